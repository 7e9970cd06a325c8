import Foundation
import MoLACheckpoint
import MoLAFiles
import MoLAText

/// A file or directory a command reads, as the rule "no output replaces an input" needs it.
enum CommandInput {
    /// A data, tokens or report file (nil: the option was not given).
    case file(String?)
    /// A checkpoint: a directory (the files `Checkpoint` looks for in it), or a tensor file with
    /// the `adapter_config.json` and sidecar that `Checkpoint` reads beside it.
    case checkpoint(String?)
    /// A base model directory: `config.json`, the weights (`BaseWeightFiles`) and the tokenizer's files.
    case base(String?)

    /// The files of a base directory that the commands read (`LlamaModel.load`, `BaseTokenizer`).
    static let baseFileNames = ["config.json"] + BaseWeightFiles.fileNames + ["tokenizer.json", "tokenizer.model", TokenizerConfig.fileName]
    /// The files of a checkpoint directory, or beside a checkpoint file, that `Checkpoint` reads.
    static let checkpointFileNames = Checkpoint.tensorFileNames + [Checkpoint.configFileName, Checkpoint.sidecarFileName]
}

/// The one place commands ask whether their outputs are safe to write: no output may replace
/// a file the command reads (`InputFiles` compares device and inode, so `./x`, a symbolic link
/// or a hard link to an input is caught), and no two outputs may name one file. Checked before
/// any work, so a refused command writes nothing.
enum OutputSafety {
    /// The identities of everything `inputs` name.
    static func inputFiles(_ inputs: [CommandInput]) -> InputFiles {
        var files = InputFiles()
        for input in inputs {
            switch input {
            case let .file(path?):
                files.add(path)
            case let .base(path?):
                files.add(directory: path, reading: CommandInput.baseFileNames)
            case let .checkpoint(path?):
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue {
                    files.add(directory: path, reading: CommandInput.checkpointFileNames)
                } else {
                    files.add(path)
                    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
                    files.add(directory: directory, reading: [Checkpoint.configFileName, Checkpoint.sidecarFileName])
                }
            case .file(nil), .base(nil), .checkpoint(nil):
                continue
            }
        }
        return files
    }

    /// Refuses an output that would replace one of `inputs`, and two outputs that name one file.
    ///
    /// - Parameter outputs: each output's option and path as given (nil, `-` and `/dev/stdout`:
    ///   standard output).
    /// - Throws: `OutputError.replacesInput`, `OutputError.sameFile`.
    static func check(outputs: [(option: String, path: String?)], inputs: [CommandInput]) throws {
        let files = inputFiles(inputs)
        var seen: [OutputKey: String] = [:]
        for (option, given) in outputs {
            let path = given.flatMap { OutputDestination.isStandardOutput($0) ? nil : $0 }
            if let path, let input = files.input(replacedBy: path) {
                throw OutputError.replacesInput(option: option, output: path, input: input)
            }
            let key = OutputKey(path)
            if let earlier = seen[key] {
                throw OutputError.sameFile(options: [earlier, option], path: path ?? "standard output")
            }
            seen[key] = option
        }
    }

    /// Refuses a directory output (train's `--out`) whose files `names` would replace one of
    /// `inputs`, or that is itself an input file.
    ///
    /// - Throws: `OutputError.replacesInput`.
    static func check(directory: String, option: String, writing names: [String], inputs: [CommandInput]) throws {
        let files = inputFiles(inputs)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), !isDirectory.boolValue,
           let input = files.input(replacedBy: directory) {
            throw OutputError.replacesInput(option: option, output: directory, input: input)
        }
        for name in names {
            let path = URL(fileURLWithPath: directory).appendingPathComponent(name).path
            if let input = files.input(replacedBy: path) {
                throw OutputError.replacesInput(option: option, output: path, input: input)
            }
        }
    }

    /// What an output is, for finding two outputs on one file: its identity when it exists
    /// (standard output: descriptor 1's), else its resolved path.
    private enum OutputKey: Hashable {
        case identity(FileIdentity)
        case path(String)

        init(_ path: String?) {
            if let path {
                if let identity = FileIdentity(path: path) { self = .identity(identity); return }
                self = .path(URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path)
            } else if let identity = FileIdentity(descriptor: STDOUT_FILENO) {
                self = .identity(identity)
            } else {
                self = .path("standard output")
            }
        }
    }
}
