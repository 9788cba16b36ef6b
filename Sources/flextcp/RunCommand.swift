import ArgumentParser
import CFlexShim
import FlexTCP
#if canImport(Glibc)
import Glibc
#endif

/// `flextcp run -- COMMAND ARGS…`: runs an unmodified program with its TCP/IPv4 sockets on flextcpd,
/// through the POSIX sockets library (libFlexTCPPOSIX.so, built next to this executable) in LD_PRELOAD.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a program with its TCP/IPv4 sockets on flextcpd (the POSIX sockets library preloaded).",
        discussion: """
            Checks that flextcpd answers at the service path, then replaces this process with COMMAND, \
            LD_PRELOAD naming libFlexTCPPOSIX.so (found next to this executable, or given by --library) and \
            FLEXTCP_SERVICE the service path. Every other descriptor (UNIX, UDP, IPv6, files, pipes) stays the kernel's. \
            Example: flextcp run --service /tmp/flextcpd.sock -- socat TCP-LISTEN:7000 PIPE
            """)

    @Option(help: "The flextcpd socket (default: $FLEXTCP_SERVICE, $XDG_RUNTIME_DIR/flextcpd.sock or /run/flextcp/flextcpd.sock).")
    var service: String?

    @Option(help: "The library to preload (default: libFlexTCPPOSIX.so next to this executable).")
    var library: String?

    @Argument(parsing: .captureForPassthrough, help: "The program and its arguments (after --).")
    var command: [String] = []

    func run() throws {
        let arguments = command.first == "--" ? Array(command.dropFirst()) : command
        guard let program = arguments.first else {
            printError("flextcp run: give the program to run after --, e.g. flextcp run -- socat TCP-LISTEN:7000 PIPE")
            throw ExitCode(2)
        }
        let path = service ?? FlexTCPStack.defaultServicePath
        let probe = flexshim_unix_connect(path)
        guard probe >= 0 else {
            printError("flextcp run: flextcpd is not reachable at \(path): \(String(cString: strerror(errno))) (start flextcpd, or give --service PATH)")
            throw ExitCode(2)
        }
        close(probe)
        let preload = library ?? Self.libraryNextToExecutable()
        guard access(preload, R_OK) == 0 else {
            printError("flextcp run: the POSIX sockets library is not at \(preload) (build it with `swift build --product FlexTCPPOSIX`, or give --library PATH)")
            throw ExitCode(2)
        }
        let existing = getenv("LD_PRELOAD").map { String(cString: $0) } ?? ""
        setenv("LD_PRELOAD", existing.isEmpty ? preload : preload + ":" + existing, 1)
        setenv("FLEXTCP_SERVICE", path, 1)
        var cArguments = arguments.map { strdup($0) } + [nil]
        execvp(program, &cArguments)
        printError("flextcp run: cannot run \(program): \(String(cString: strerror(errno)))")
        throw ExitCode(127)
    }

    /// libFlexTCPPOSIX.so in the directory of this executable.
    static func libraryNextToExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let executable = length > 0 ? String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        let directory = executable.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return (directory.isEmpty ? "." : directory) + "/libFlexTCPPOSIX.so"
    }
}
