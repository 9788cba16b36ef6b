import ArgumentParser
import FlexBench
import Foundation

/// `flexbench profile`: instructions per RPC of a FlexTCP system under callgrind, and where they go.
struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Instructions per RPC echo of a FlexTCP system, counted with valgrind's callgrind, and the costliest functions per RPC.",
        discussion: """
            Runs `flexbench interleaved` (both sides stepped in turn on one thread, so callgrind, which runs one thread at a \
            time, counts no busy-polling of an idle side) under callgrind twice, with --messages and half as many; \
            instructions per RPC = (I(long) − I(short)) / (messages(long) − messages(short)), so start-up and teardown \
            cancel. Both stacks hash flows with one fixed flow-table key (random in production), so figures repeat from run to run. The cost of an empty round is measured the same way (a few messages, then --idle-rounds and twice as \
            many rounds with the client idle) and printed with the figure net of the empty rounds per RPC. Profiles a copy of this binary stripped with `objcopy --strip-debug` (valgrind 3.19 rejects the release \
            binary's debug info; function names survive). Needs valgrind, callgrind_annotate and objcopy on PATH. \
            Callgrind counts user-space instructions only, so Linux systems (whose work is in the kernel) are not offered.
            """)

    @OptionGroup var echo: InterleavedEchoOptions
    @Option(help: "Messages of the long run (the short run does half).") var messages: UInt64 = 20_000
    @Option(help: "Idle rounds of the shorter empty-pass run (the longer does twice as many); 0: no empty-pass measurement.")
    var idleRounds = 5_000
    @Option(help: "Functions listed.") var top = 15
    @Flag(help: "List functions by inclusive cost (with their callees) instead of self cost.") var inclusive = false
    @Option(help: "Directory for the callgrind output files (default: a new one under /tmp).") var outputDirectory: String?

    func validate() throws {
        _ = try echo.pathAndSpec()
        guard messages >= 2 else { throw ValidationError("--messages must be at least 2") }
    }

    func run() throws {
        let directory = try outputDirectory ?? Self.makeTemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let binary = directory + "/flexbench-stripped"
        try Tool.run("objcopy", ["--strip-debug", try Self.ownExecutable(), binary])
        defer { try? FileManager.default.removeItem(atPath: binary) }
        let long = try profiledRun(binary, messages: messages, idleRounds: 0, directory: directory)
        let short = try profiledRun(binary, messages: messages / 2, idleRounds: 0, directory: directory)
        guard let perMessage = CallgrindReport.instructionsPerMessage(long: (long.instructions, long.messages),
                                                                      short: (short.instructions, short.messages)) else {
            throw ValidationError("the long run completed no more messages than the short one")
        }
        let roundsPerMessage = Double(long.rounds - short.rounds) / Double(long.messages - short.messages)
        print("\(echo.system), \(echo.connections) connection(s), \(echo.size) B, pipeline \(echo.pipeline): "
              + "\(long.messages) messages \(long.instructions) instructions, \(short.messages) messages \(short.instructions) instructions")
        print(String(format: "instructions per RPC: %.0f (%.2f rounds of server step + client step per RPC)", perMessage, roundsPerMessage))
        if idleRounds > 0 {
            // The same few messages, then K or 2K rounds with nothing to do: the difference over K is one empty round.
            let idleMessages = min(messages / 2, 1_000)
            let once = try profiledRun(binary, messages: idleMessages, idleRounds: idleRounds, directory: directory)
            let twice = try profiledRun(binary, messages: idleMessages, idleRounds: 2 * idleRounds, directory: directory)
            let emptyRound = (Double(twice.instructions) - Double(once.instructions)) / Double(idleRounds)
            print(String(format: "an empty round (server step + client step with nothing to do): %.0f instructions; "
                         + "instructions per RPC less %.2f empty rounds: %.0f", emptyRound, roundsPerMessage, perMessage - roundsPerMessage * emptyRound))
        }
        let listings = try [long.file, short.file].map { file in
            CallgrindReport.topFunctions(inAnnotation: try Tool.run("callgrind_annotate", ["--inclusive=\(inclusive ? "yes" : "no")",
                                                                                         "--threshold=100", file]), count: .max)
        }
        let functions = CallgrindReport.perMessageFunctions(long: listings[0], short: listings[1], messages: long.messages - short.messages)
            .prefix(top)
        let names = Self.demangled(functions.map(\.name))
        print("top \(functions.count) functions by \(inclusive ? "inclusive" : "self") instructions per RPC (the same difference per function; "
              + "share of the instructions per RPC):")
        for (function, name) in zip(functions, names) {
            print(String(format: "%10.0f  %6.2f%%  ", function.instructions, 100 * function.instructions / perMessage) + String(name.prefix(160)))
        }
        print("callgrind output: \(long.file), \(short.file)")
    }

    /// One run of `flexbench interleaved` under callgrind: its instruction total, the messages and
    /// rounds it reported, and its output file.
    private func profiledRun(_ binary: String, messages: UInt64, idleRounds: Int,
                             directory: String) throws -> (instructions: UInt64, messages: UInt64, rounds: Int, file: String) {
        let file = "\(directory)/callgrind.\(echo.system).\(echo.connections)c.\(messages)m.\(idleRounds)idle.out"
        let log = file + ".log"
        let printed: String
        do {
            printed = try Tool.run("valgrind", ["--tool=callgrind", "--callgrind-out-file=\(file)", "--log-file=\(log)", binary, "interleaved"]
                                   + echo.arguments + ["--messages", String(messages), "--idle-rounds", String(idleRounds)])
        } catch {
            let valgrindSaid = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw ValidationError("\(error)\nvalgrind's log (\(log)):\n\(valgrindSaid.suffix(2000))")
        }
        guard let instructions = CallgrindReport.totalInstructions(in: try String(contentsOfFile: file, encoding: .utf8)) else {
            throw ValidationError("no instruction total in \(file)")
        }
        // "<system>: <messages> messages, … in <rounds> rounds, …"
        let words = printed.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" })
        guard let messagesAt = words.firstIndex(of: "messages"), messagesAt > 0, let completed = UInt64(words[messagesAt - 1]),
              let roundsAt = words.firstIndex(of: "rounds"), roundsAt > 0, let rounds = Int(words[roundsAt - 1]) else {
            throw ValidationError("unexpected output of `flexbench interleaved`: \(printed)")
        }
        return (instructions, completed, rounds, file)
    }

    static func makeTemporaryDirectory() throws -> String {
        var template = Array("/tmp/flexbench-profile-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ValidationError("cannot make a directory under /tmp")
        }
        return String(cString: made)
    }

    static func ownExecutable() throws -> String {
        do {
            return try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        } catch {
            throw ValidationError("cannot find this executable (/proc/self/exe): \(error)")
        }
    }

    /// Swift symbol names made readable with `swift-demangle --simplified` when it is on PATH.
    static func demangled(_ names: [String]) -> [String] {
        guard let output = try? Tool.run("swift-demangle", ["--simplified"], input: names.joined(separator: "\n") + "\n") else { return names }
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return lines.count >= names.count ? Array(lines.prefix(names.count)) : names
    }
}

/// Runs a command-line tool found on PATH and returns its standard output.
enum Tool {
    /// Throws a validation error with the tool's standard error if it cannot start or exits non-zero.
    @discardableResult
    static func run(_ name: String, _ arguments: [String], input: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [name] + arguments
        let output = Pipe()
        let errors = Pipe()
        let feed = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input == nil ? FileHandle.nullDevice : feed
        do {
            try process.run()
        } catch {
            throw ValidationError("cannot run \(name): \(error)")
        }
        if let input {
            feed.fileHandleForWriting.write(Data(input.utf8))
            try? feed.fileHandleForWriting.close()
        }
        // Standard output first: the tools used here write little to standard error (valgrind writes to its log file).
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        let complaint = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("\(name) failed (exit \(process.terminationStatus)): \(complaint.suffix(2000))")
        }
        return String(decoding: printed, as: UTF8.self)
    }
}
