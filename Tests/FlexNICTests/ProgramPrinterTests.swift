import FlexNIC
import Testing

@Suite("FlexNIC program printer")
struct ProgramPrinterTests {
    @Test("the ACK program prints like the dissertation's Figure 5.4")
    func printsACKProgram() {
        let text = ProgramPrinter.render(FlowControlACK.program(port: 5000, queue: 0))
        #expect(text.hasPrefix("program ack\nparser (start ethernet):\n  ethernet [14 bytes]: ether_type == 0x8100 → vlan, ether_type == 0x800 → ipv4\n"))
        let stages = text.firstRange(of: "stage ports").map { String(text[$0.lowerBound...]) } ?? ""
        #expect(stages == """
            stage ports when dccp.type == 2:
              table ports: exact match on dccp.destination_port, size 64, default pass()
                action deliver(p0):
                  QUEUE(p0)
                  meta.room = ROOM(queue p0)
                action pass():
                entry [0x1388] → deliver(0)
            stage acknowledge when meta.room > 0:
              action ack():
                SWAP(dccp.source_port, dccp.destination_port)
                dccp.type = 3
                dccp.acknowledgment = dccp.sequence
                IP_REPLY(up to dccp)

            """)
    }

    @Test("every standard program prints, listing each of its stages")
    func printsEveryStandardProgram() throws {
        for (name, _) in StandardPrograms.descriptions {
            let program = try #require(StandardPrograms.program(named: name))
            let text = ProgramPrinter.render(program)
            for stage in program.stages { #expect(text.contains("stage \(stage.name)"), "\(name): \(stage.name)") }
        }
    }

    @Test("flexnic list names every standard program with its pipeline, the host interface's doorbell and DMA programs too")
    func listsEveryProgramWithItsPipeline() throws {
        let lines = StandardPrograms.listing().split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(lines.count == StandardPrograms.descriptions.count)
        let pipelines = Dictionary(uniqueKeysWithValues: lines.map { (String($0[0]), String($0[1])) })
        #expect(pipelines["steering"] == "receive" && pipelines["ack"] == "receive")
        #expect(pipelines["doorbell"] == "doorbell" && pipelines["dma"] == "dma")
        for (name, _) in StandardPrograms.descriptions {
            #expect(pipelines[name] == "\(try #require(StandardPrograms.program(named: name)).pipeline)", "\(name)")
        }
    }
}
