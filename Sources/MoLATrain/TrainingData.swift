import MoLAFiles
import MoLAModel
import MoLAText

/// One training sequence: tokens and next-token targets (negative = not trained on), both
/// `cutoff` long (padded).
public struct TrainingSequence: Sendable, Equatable {
    public let tokens: [Int]
    public let targets: [Int]
}

/// Turns texts into training sequences with the byte-level tokenizer.
public enum TrainingData {
    /// Sequences of prompts followed by their outputs; with `outputsOnly`, the targets inside
    /// each prompt are not trained on.
    public static func sequences(_ examples: [(prompt: String, output: String)], outputsOnly: Bool,
                                 cutoff: Int) -> (sequences: [TrainingSequence], truncated: Int) {
        sequences(examples.map { (text: $0.prompt + $0.output, promptLength: outputsOnly ? $0.prompt.utf8.count : nil) }, cutoff: cutoff)
    }

    /// What `sequences` of `count` texts at `cutoff` will hold: tokens and targets, `cutoff` each.
    public static func memoryRequirement(count: Int, cutoff: Int) -> MemoryEstimate {
        var estimate = MemoryEstimate()
        estimate.add(count, 2, cutoff, elementBytes: MemorySize.integer)
        return estimate
    }

    /// - Parameters:
    ///   - texts: full texts (prompt and output), each with the length of its prompt in bytes
    ///     when only outputs are trained on (nil: the whole sequence, the reference default).
    ///   - cutoff: the sequence length; longer texts are truncated (and counted).
    /// - Returns: the sequences and how many were truncated.
    public static func sequences(_ texts: [(text: String, promptLength: Int?)], cutoff: Int) -> (sequences: [TrainingSequence], truncated: Int) {
        let tokenizer = ByteTokenizer()
        var truncated = 0
        let sequences = texts.map { text, promptLength -> TrainingSequence in
            var ids = tokenizer.encode(text, appendEnd: true)
            // cutoff + 1 ids give cutoff inputs with their next tokens.
            if ids.count > cutoff + 1 {
                ids = Array(ids.prefix(cutoff + 1))
                truncated += 1
            }
            var tokens = Array(ids.dropLast())
            var targets = Array(ids.dropFirst())
            if let promptLength {
                // Targets inside the prompt (the <bos> plus its bytes) are not trained on.
                for index in 0..<min(promptLength, targets.count) { targets[index] = -1 }
            }
            let padding = cutoff - tokens.count
            tokens += Array(repeating: ByteTokenizer.padding, count: padding)
            targets += Array(repeating: -1, count: padding)
            return TrainingSequence(tokens: tokens, targets: targets)
        }
        return (sequences, truncated)
    }
}
