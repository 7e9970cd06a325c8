/// The Alpaca prompt template the reference MoLA code trains and evaluates with.
public enum PromptTemplate {
    /// The prompt for `instruction` (and `input`, when not empty), followed by `output`.
    public static func alpaca(instruction: String, input: String, output: String) -> String {
        if input.isEmpty {
            return "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n"
                + "### Instruction:\n\(instruction)\n\n### Response:\n\(output)"
        }
        return "Below is an instruction that describes a task, paired with an input that provides further context. "
            + "Write a response that appropriately completes the request.\n\n"
            + "### Instruction:\n\(instruction)\n\n### Input:\n\(input)\n\n### Response:\n\(output)"
    }
}
