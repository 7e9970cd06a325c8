/// A set of declared options: a command's, or an option group several commands share.
///
/// Options are properties wrapped in `@Option`, `@Flag`, `@Argument` or `@OptionGroup`; the parser
/// finds them by reflection on a fresh `init()` and writes the parsed values into them.
public protocol ParsableArguments {
    init()
    /// Checks what the declarations cannot (options that exclude each other, ...); throw
    /// `UsageError`. Runs after parsing, before `run()`; groups' first.
    mutating func validate() throws
}

extension ParsableArguments {
    public mutating func validate() throws {}
}

/// A command: its configuration, its options as properties, and the work.
public protocol ParsableCommand: ParsableArguments, SendableMetatype {
    static var configuration: CommandConfiguration { get }
    /// The work, after parsing and `validate()`. A `UsageError` thrown here still exits 64.
    mutating func run() throws
}

extension ParsableCommand {
    /// A command with subcommands does no work of its own.
    public mutating func run() throws {}
}

/// What a command says about itself: its name, its help text, its subcommands.
public struct CommandConfiguration: Sendable {
    /// The name it is called by (`redundancy`).
    public var name: String
    /// One line for the parent command's list.
    public var summary: String
    /// `mola-inspect info <checkpoint> [options]`.
    public var usage: String
    /// The paragraph under the usage line.
    public var abstract: String
    /// Free text after the abstract (kept as written, line breaks included).
    public var details: String
    /// Subcommands, chosen by the first argument.
    public var subcommands: [any ParsableCommand.Type]
    /// What the subcommands are called in help and errors (`command`, `figure`).
    public var subcommandNoun: String

    public init(name: String, summary: String, usage: String, abstract: String = "", details: String = "",
                subcommands: [any ParsableCommand.Type] = [], subcommandNoun: String = "command") {
        self.name = name
        self.summary = summary
        self.usage = usage
        self.abstract = abstract
        self.details = details
        self.subcommands = subcommands
        self.subcommandNoun = subcommandNoun
    }
}

/// A mistake in how the command was called: exit status 64, with a pointer to `--help`.
public struct UsageError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Exit statuses: usage mistakes differ from failures.
public enum ExitStatus {
    public static let success: Int32 = 0
    /// The command ran and failed (unreadable file, inconsistent checkpoint, ...).
    public static let failure: Int32 = 1
    /// The command was called wrongly (`EX_USAGE`).
    public static let usage: Int32 = 64
}
