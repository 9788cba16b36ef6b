import ArgumentParser
import FlexNIC
import FlexPort

/// The `flexnic` tool: validate, print or run the standard FlexNIC programs (named) over pcap files.
@main
struct FlexNICCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flexnic",
        abstract: "Validate, print or run a FlexNIC program over a pcap capture.",
        discussion: "Programs: " + StandardPrograms.descriptions.map { "\($0.name) — \($0.summary)" }.joined(separator: "; "),
        subcommands: [Check.self, Print.self, Run.self, List.self])

    /// Resolves a program name or fails with the list of names.
    static func program(named name: String) throws -> Program {
        guard let program = StandardPrograms.program(named: name) else {
            throw ValidationError("unknown program '\(name)'; known: \(StandardPrograms.descriptions.map(\.name).joined(separator: ", "))")
        }
        return program
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the standard programs with the pipeline each runs on.")
        func run() { print(StandardPrograms.listing(), terminator: "") }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate a program against the NIC's rules.")
        @Argument(help: "A standard program name.") var program: String

        func run() throws {
            let declaration = try FlexNICCommand.program(named: program)
            do throws(FlexNIC.ValidationError) {
                try Validator().validate(declaration)
                print("\(program): valid (\(declaration.stages.count) stages)")
            } catch {
                print("\(program): rejected: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Print: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a program as text.")
        @Argument(help: "A standard program name.") var program: String

        func run() throws { print(ProgramPrinter.render(try FlexNICCommand.program(named: program)), terminator: "") }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a program's receive pipeline over a pcap file.")
        @Argument(help: "A standard program name.") var program: String
        @Option(help: "The capture to read (classic pcap, Ethernet).") var pcap: String
        @Option(help: "Write queue-N.pcap, passed.pcap, exceptions.pcap and replies.pcap here.") var outputDirectory: String?

        func run() throws {
            let declaration = try FlexNICCommand.program(named: program)
            guard declaration.pipeline == .receive || declaration.pipeline == .transmit else {
                throw ValidationError("'\(program)' runs on the \(declaration.pipeline) pipeline, over host-interface records, not captured frames")
            }
            var reader = try PcapReader(path: pcap)
            let report = try PcapRun.run(declaration, queueCount: StandardPrograms.queueCount(named: program),
                                         records: try reader.readAll(), outputDirectory: outputDirectory)
            print(report.text, terminator: "")
        }
    }
}
