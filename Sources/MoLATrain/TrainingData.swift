import MoLAFiles
import MoLAModel
import MoLAText

/// One training sequence: tokens and next-token targets (negative = not trained on), both
/// `cutoff` long (padded).
public struct TrainingSequence: Sendable, Equatable {
    public let tokens: [Int]
    public let targets: [Int]
}

/// Turns texts into training sequences with the base's tokenizer, as the reference does: the
/// whole text tokenised with the end token appended; with only outputs trained on, as many
/// leading targets masked as the prompt alone has tokens (its first, the beginning token where
/// the tokenizer adds one, is never a target).
public enum TrainingData {
    /// Sequences of prompts followed by their outputs; with `outputsOnly`, the targets inside
    /// each prompt are not trained on.
    public static func sequences(_ examples: [(prompt: String, output: String)], outputsOnly: Bool,
                                 cutoff: Int, tokenizer: BaseTokenizer = .bytes) -> (sequences: [TrainingSequence], truncated: Int) {
        sequences(examples.map { (text: $0.prompt + $0.output, prompt: outputsOnly ? $0.prompt : nil) }, cutoff: cutoff, tokenizer: tokenizer)
    }

    /// What `sequences` of `count` texts at `cutoff` will hold: tokens and targets, `cutoff` each.
    public static func memoryRequirement(count: Int, cutoff: Int) -> MemoryEstimate {
        var estimate = MemoryEstimate()
        estimate.add(count, 2, cutoff, elementBytes: MemorySize.integer)
        return estimate
    }

    /// - Parameters:
    ///   - texts: full texts (prompt and output), each with its prompt when only outputs are
    ///     trained on (nil: the whole sequence, the reference default).
    ///   - cutoff: the sequence length; longer texts are truncated (and counted).
    ///   - tokenizer: the base's; windows are padded with its padding id.
    /// - Returns: the sequences and how many were truncated.
    public static func sequences(_ texts: [(text: String, prompt: String?)], cutoff: Int,
                                 tokenizer: BaseTokenizer = .bytes) -> (sequences: [TrainingSequence], truncated: Int) {
        var truncated = 0
        let sequences = texts.map { text, prompt -> TrainingSequence in
            var ids = tokenizer.encode(text, appendEnd: true)
            // cutoff + 1 ids give cutoff inputs with their next tokens.
            if ids.count > cutoff + 1 {
                ids = Array(ids.prefix(cutoff + 1))
                truncated += 1
            }
            var tokens = Array(ids.dropLast())
            var targets = Array(ids.dropFirst())
            if let prompt {
                // Targets are the ids after the first: the prompt's others are not trained on.
                let masked = tokenizer.encode(prompt, appendEnd: false).count - 1
                for index in 0..<min(max(masked, 0), targets.count) { targets[index] = -1 }
            }
            let padding = cutoff - tokens.count
            tokens += Array(repeating: tokenizer.paddingId, count: padding)
            targets += Array(repeating: -1, count: padding)
            return TrainingSequence(tokens: tokens, targets: targets)
        }
        return (sequences, truncated)
    }
}
