/// A model's chat template, where it is one this project can apply without a Jinja interpreter:
/// ChatML (SmolLM2, Qwen2 and many others), recognised by its `<|im_start|>` markers.
///
/// ```
/// <|im_start|>system\n{system}<|im_end|>\n     (only when the template writes a default one,
/// <|im_start|>user\n{prompt}<|im_end|>\n         or a system prompt is given)
/// <|im_start|>assistant\n
/// ```
public struct ChatTemplate: Sendable, Equatable {
    /// The system prompt the template writes when the conversation has none (SmolLM2's
    /// "You are a helpful AI assistant named SmolLM, trained by Hugging Face").
    public let defaultSystemPrompt: String?
    /// The token that ends each turn, where generation stops.
    public static let endOfTurn = "<|im_end|>"

    private static let start = "<|im_start|>"

    /// Recognises `jinja` as ChatML; nil for any other template.
    public init?(jinja: String) {
        guard jinja.contains(Self.start), jinja.contains(Self.endOfTurn) else { return nil }
        let systemOpening = Self.start + "system\n"
        if let opening = jinja.range(of: systemOpening),
           let closing = jinja.range(of: Self.endOfTurn, range: opening.upperBound..<jinja.endIndex) {
            let prompt = String(jinja[opening.upperBound..<closing.lowerBound])
            // A literal default prompt, not an expression that inserts the conversation's own.
            defaultSystemPrompt = prompt.contains("{{") || prompt.contains("'") && prompt.contains("+") ? nil : prompt
        } else {
            defaultSystemPrompt = nil
        }
    }

    /// The text of a one-turn conversation, ready for the assistant's answer.
    public func render(user: String, system: String? = nil) -> String {
        var text = ""
        if let system = system ?? defaultSystemPrompt {
            text += Self.start + "system\n" + system + Self.endOfTurn + "\n"
        }
        text += Self.start + "user\n" + user + Self.endOfTurn + "\n"
        return text + Self.start + "assistant\n"
    }
}
