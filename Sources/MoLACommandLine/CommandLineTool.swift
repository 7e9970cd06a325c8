import Foundation
import MoLAFiles

/// A parsed command line: the command to run, and the names that led to it (`["plot", "pairs"]`).
public struct Invocation {
    public var command: any ParsableCommand
    public var path: [String]
}

/// A usage mistake, with the names of the command it happened in (for the `--help` hint).
public struct CommandUsageError: Error, CustomStringConvertible {
    public let error: UsageError
    public let path: [String]
    public var description: String { error.description }
}

extension ParsableCommand {
    /// Parses `arguments` for this command, or for the subcommand the first argument names.
    ///
    /// - Throws: `CommandUsageError`, or `HelpRequest` with the text to print.
    public static func parseInvocation(_ arguments: [String], path: [String] = []) throws -> Invocation {
        let configuration = Self.configuration
        if configuration.subcommands.isEmpty {
            let command: Self
            do {
                command = try parse(arguments)
            } catch let error as UsageError {
                throw CommandUsageError(error: error, path: path)
            } catch let help as HelpWanted {
                throw HelpRequest(text: help.markdown ? markdownTable : helpText)
            }
            return Invocation(command: command, path: path)
        }
        let names = configuration.subcommands.map { $0.configuration.name }
        let noun = configuration.subcommandNoun
        guard let first = arguments.first else {
            throw CommandUsageError(error: UsageError("missing the \(noun): \(names.joined(separator: ", "))"), path: path)
        }
        if first == "--help" || first == "-h" { throw HelpRequest(text: Self().helpText) }
        guard let subcommand = configuration.subcommands.first(where: { $0.configuration.name == first }) else {
            throw CommandUsageError(error: UsageError("unknown \(noun) \"\(first)\"; use \(names.joined(separator: ", "))"), path: path)
        }
        return try subcommand.parseInvocation(Array(arguments.dropFirst()), path: path + [first])
    }

    /// Parses, runs, prints errors and exits: 0 on success (and after help), 64 for a usage
    /// mistake (with `hint: run \`TOOL CMD --help\` for usage`), 1 for a failure, a failure to
    /// write the output included. A closed pipe on standard output (`| head`) ends the command
    /// quietly with status 1, as standard tools that ignore SIGPIPE do, without a message.
    ///
    /// - Parameter hint: a `hint:` line for a failure, given the command's path, or nil.
    public static func main(_ arguments: [String], hint: (Error, [String]) -> String? = { _, _ in nil }) -> Never {
        prepareProcess()
        let tool = configuration.name
        var invocation: Invocation
        do {
            invocation = try parseInvocation(arguments)
        } catch let help as HelpRequest {
            printResult(help.text)
        } catch let error as CommandUsageError {
            reportUsage(error.error, tool: tool, path: error.path)
            exit(ExitStatus.usage)
        } catch {
            report(error, hint: nil)
            exit(ExitStatus.failure)
        }
        do {
            try invocation.command.run()
            exit(ExitStatus.success)
        } catch AtomicFileError.brokenPipe(StandardStream.output.name) {
            exit(ExitStatus.failure)
        } catch let error as UsageError {
            reportUsage(error, tool: tool, path: invocation.path)
            exit(ExitStatus.usage)
        } catch {
            report(error, hint: hint(error, invocation.path))
            exit(ExitStatus.failure)
        }
    }

    /// Parses `arguments` for this command (no subcommands), or prints help (exit 0) or the
    /// usage mistake (exit 64).
    public static func parseOrExit(_ arguments: [String]) -> Self {
        prepareProcess()
        do {
            return try parse(arguments)
        } catch let help as HelpWanted {
            printResult(help.markdown ? markdownTable : helpText)
        } catch {
            reportUsage(error as? UsageError ?? UsageError("\(error)"), tool: configuration.name, path: [])
            exit(ExitStatus.usage)
        }
    }

    private static func reportUsage(_ error: UsageError, tool: String, path: [String]) {
        report(error, hint: "run `\(([tool] + path).joined(separator: " ")) --help` for usage")
    }
}

/// Prints `error: ...` and, when given, `hint: ...` to standard error, with the control
/// characters of file contents they quote escaped (`TerminalText`).
func report(_ error: Error, hint: String?) {
    let lines = ["error: \(error)"] + (hint.map { ["hint: \($0)"] } ?? [])
    StandardStream.error.writeDiagnostic(lines.map { TerminalText.escaped($0) }.joined(separator: "\n") + "\n")
}

/// Sets up the process for a command: standard streams whose failures are errors
/// (`StandardStream.prepare`), and temporary files removed on SIGINT and SIGTERM.
public func prepareProcess() {
    StandardStream.prepare()
    AtomicFileWriter.removeTemporaryFilesOnTermination()
}

/// Writes `text` and a newline to standard output and exits 0, or, when standard output cannot
/// be written, reports it and exits 1 (quietly for a closed pipe).
public func printResult(_ text: String) -> Never {
    do {
        try StandardStream.output.write(text + "\n")
        exit(ExitStatus.success)
    } catch AtomicFileError.brokenPipe {
        exit(ExitStatus.failure)
    } catch {
        report(error, hint: nil)
        exit(ExitStatus.failure)
    }
}
