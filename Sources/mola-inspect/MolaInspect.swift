import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLACommandLine
import MoLAFiles
import MoLAModel
import MoLAPlot
import MoLATensor
import MoLAText

/// `mola-inspect`: look inside MoLA (mixture of LoRA experts) checkpoints.
@main
struct MolaInspect: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        name: "mola-inspect", summary: "look inside MoLA (mixture of LoRA experts) checkpoints",
        usage: "mola-inspect <command> [options]",
        abstract: "mola-inspect \(version): look inside MoLA (mixture of LoRA experts) checkpoints",
        subcommands: [InfoCommand.self, RedundancyCommand.self, SpectrumCommand.self, CheckCommand.self, DiffCommand.self, AdviseCommand.self, MergeCommand.self,
                      RoutingCommand.self, PlotCommand.self, TrainCommand.self, EvalCommand.self, ContinualCommand.self,
                      TokenizeCommand.self, ScoreCommand.self, GenerateCommand.self, ConvertCommand.self])

    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let first = arguments.first, first != "help" else {
            prepareProcess()
            guard arguments.isEmpty else { printResult(helpText) }
            StandardStream.output.writeDiagnostic(helpText + "\n")
            exit(ExitStatus.usage)
        }
        if first == "--version" {
            prepareProcess()
            printResult("mola-inspect \(version) (\(LinearAlgebra.blasConfiguration); kernels: \(LinearAlgebra.blasKernelName))")
        }
        main(arguments) { error, path in hint(for: error, command: path.first) }
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
        case AnalysisError.zeroExperts:
            return "these experts never moved from their initialisation (check reports them as untrained_expert): "
                + "--metric delta measures their distances; redundancy --allow-untrained leaves them out of cosine and subspace, and spectrum --allow-untrained gives them null measures"
        case AnalysisError.nonFiniteValues:
            return "pass --allow-nonfinite to report the other distances and mark these as null"
        case PlotError.unknownFormat:
            return "name the output .png, .svg or .pdf"
        case TokenizerError.noTokenizer, TokenizerError.unsupported:
            return "mola-inspect runs tokenizer.json files of SentencePiece-style BPE (LLaMA 1/2) and byte-level BPE (LLaMA 3, SmolLM, Qwen2; GPT-2 and known Split regexes), and its own byte tokenizer" + tokensInstead
        case TokenizerError.sentencePieceModelOnly:
            return "write tokenizer.json with transformers: AutoTokenizer.from_pretrained(DIR).save_pretrained(DIR)" + tokensInstead
        case MemoryError.exceedsMachine:
            return switch command {
            case "train": "a smaller --micro-batch or --cutoff needs less (and, pretraining, smaller sizes)"
            case "eval": "a smaller --length needs less"
            case "routing", "plot": "a smaller --length or --batch needs less"
            default: nil
            }
        case CheckpointError.noTensorFile:
            return "point at the directory that trainer.save_model / model.save_pretrained wrote, or at the file itself"
        default:
            return nil
        }
    }
}
