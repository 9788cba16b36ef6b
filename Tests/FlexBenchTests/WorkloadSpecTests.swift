import FlexBench
import Testing

@Suite struct WorkloadSpecTests {
    @Test func defaultsAreValid() throws {
        try WorkloadSpec(workload: .echo).validate()
        try RunPlan().validate()
    }

    @Test(arguments: [
        WorkloadSpec(workload: .echo, connections: 0),
        WorkloadSpec(workload: .echo, connections: WorkloadSpec.connectionLimit + 1),
        WorkloadSpec(workload: .echo, size: 0),
        WorkloadSpec(workload: .echo, pipeline: 0),
        WorkloadSpec(workload: .serverReceive, delayCycles: WorkloadSpec.delayLimit + 1),
        WorkloadSpec(workload: .echo, size: 1 << 20, pipeline: 32),
    ])
    func outOfRangeParametersAreRefused(spec: WorkloadSpec) {
        #expect(throws: WorkloadSpecError.self) { try spec.validate() }
    }

    @Test func runPlanRefusesNonsense() {
        #expect(throws: WorkloadSpecError.self) { try RunPlan(duration: 0).validate() }
        #expect(throws: WorkloadSpecError.self) { try RunPlan(warmup: -1).validate() }
        #expect(throws: WorkloadSpecError.self) { try RunPlan(repetitions: 0).validate() }
    }
}
