import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLAModel
import MoLAPlot
import MoLATensor
import MoLAText

/// `mola-inspect`: look inside MoLA (mixture of LoRA experts) checkpoints.
@main
struct MolaInspect {
    static let version = "0.1.0"

    /// Subcommands by name.
    static let commands: [(name: String, summary: String, run: @Sendable ([String]) throws -> Void)] = [
        ("info", "the architecture card of a checkpoint", InfoCommand.run),
        ("redundancy", "pairwise distances between the experts of every layer (Figure 3)", RedundancyCommand.run),
        ("routing", "where tokens go: selection counts, shares, probabilities, balance per expert", RoutingCommand.run),
        ("plot", "figures as PNG, SVG or PDF: redundancy (Figure 3), pairs, allocation, routing", PlotCommand.run),
        ("train", "pretrain a small base or fine-tune MoLA adapters on one", TrainCommand.run),
        ("eval", "accuracy by greedy generation, scored as the reference does", EvalCommand.run),
    ]

    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let first = arguments.first, first != "--help", first != "-h", first != "help" else {
            print(overview)
            exit(arguments.isEmpty ? ExitStatus.usage : ExitStatus.success)
        }
        if first == "--version" {
            print("mola-inspect \(version) (\(LinearAlgebra.blasConfiguration); kernels: \(LinearAlgebra.blasKernelName))")
            exit(ExitStatus.success)
        }
        guard let command = commands.first(where: { $0.name == first }) else {
            report(UsageError("unknown command \"\(first)\""), command: nil)
            exit(ExitStatus.usage)
        }
        do {
            try command.run(Array(arguments.dropFirst()))
            exit(ExitStatus.success)
        } catch let error as UsageError {
            report(error, command: command.name)
            exit(ExitStatus.usage)
        } catch {
            report(error, command: command.name)
            exit(ExitStatus.failure)
        }
    }

    static var overview: String {
        let width = (commands.map(\.name.count).max() ?? 0) + 2
        return (["mola-inspect \(version): look inside MoLA (mixture of LoRA experts) checkpoints", "",
                 "usage: mola-inspect <command> [options]", "", "commands:"]
            + commands.map { "  " + $0.name.padding(toLength: width, withPad: " ", startingAt: 0) + $0.summary }
            + ["", "Run `mola-inspect <command> --help` for a command's options."]).joined(separator: "\n")
    }

    /// Prints `error: ...` and, where it helps, a `hint: ...` line to standard error.
    static func report(_ error: Error, command: String?) {
        var lines = ["error: \(error)"]
        if error is UsageError {
            lines.append("hint: run `mola-inspect \(command ?? "--help")\(command == nil ? "" : " --help")` for usage")
        } else if let hint = hint(for: error, command: command) {
            lines.append("hint: \(hint)")
        }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    static func hint(for error: Error, command: String?) -> String? {
        // Only routing reads pre-tokenised ids.
        let tokensInstead = command == "routing" ? ", or tokenise with the base's own tokenizer and pass the ids with --tokens FILE" : ""
        switch error {
        case PickleError.disallowedGlobal:
            return "a checkpoint of tensors only needs torch storages and OrderedDict; this file asks for more, so it was not loaded"
        case ZipError.compressedRecord:
            return "torch.save never compresses; a tool repacked this archive (e.g. `zip`), re-save it with torch.save"
        case TensorFileError.legacyTorchFormat:
            return "load and re-save it with PyTorch 1.6 or later: torch.save(torch.load(path), path)"
        case AnalysisError.nonFiniteValues:
            return "pass --allow-nonfinite to report the other distances and mark these as null"
        case PlotError.unknownFormat:
            return "name the output .png, .svg or .pdf"
        case TokenizerError.noTokenizer, TokenizerError.unsupported:
            return "mola-inspect runs LLaMA 1/2 tokenizer.json files and its own byte tokenizer" + tokensInstead
        case TokenizerError.sentencePieceModelOnly:
            return "write tokenizer.json with transformers: AutoTokenizer.from_pretrained(DIR).save_pretrained(DIR)" + tokensInstead
        case CheckpointError.noTensorFile:
            return "point at the directory that trainer.save_model / model.save_pretrained wrote, or at the file itself"
        default:
            return nil
        }
    }
}

/// Exit statuses: usage mistakes differ from failures.
enum ExitStatus {
    static let success: Int32 = 0
    /// The command ran and failed (unreadable file, inconsistent checkpoint, ...).
    static let failure: Int32 = 1
    /// The command was called wrongly (`EX_USAGE`).
    static let usage: Int32 = 64
}
