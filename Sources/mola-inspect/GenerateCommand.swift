import Foundation
import MoLACheckpoint
import MoLACommandLine
import MoLAFiles
import MoLAModel
import MoLAText

/// `mola-inspect generate --base B [ADAPTER] --prompt T`: text the model writes after a prompt.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "generate", summary: "continue a prompt with the base (and an adapter), tokens printed as they come",
        usage: "mola-inspect generate --base BASE [adapter] --prompt TEXT [options]",
        abstract: "Continues the prompt one token at a time with a key/value cache: greedily by default, or sampled at --temperature within the nucleus --top-p, repeatably for a --seed. --chat wraps the prompt in the model's chat template (ChatML, as SmolLM2's) and stops at the end of the assistant's turn. Generation stops at the end-of-text token, after --max-new-tokens, or when the context is full.")

    @Argument(valueName: "adapter", help: "MoLA adapters to run on the base (none: the base alone)") var adapter: FilePath?
    @Option(name: "--base", valueName: "BASE", help: "the base model: a GGUF file or a Hugging Face LLaMA directory") var base: FilePath
    @Option(name: "--prompt", valueName: "TEXT", help: "the text to continue") var prompt: String
    @Flag(name: "--chat", help: "apply the model's chat template to the prompt (a user turn) and answer as the assistant") var chat: Bool
    @Option(name: "--system", valueName: "TEXT", help: "with --chat: the system prompt, instead of the template's default") var system: String?
    @Option(name: "--max-new-tokens", help: "the most tokens to generate", in: 1...65_536) var maxNewTokens = 128
    @Option(name: "--temperature", help: "0 for greedy, else sample from softmax(logits / temperature)", in: 0.0...100.0) var temperature = 0.0
    @Option(name: "--top-p", help: "sample only from the most likely tokens whose probabilities sum to P", in: 0.000_001...1.0) var topP = 1.0
    @Option(name: "--seed", help: "the seed of the draws when sampling", in: 0...) var seed = 0
    @OptionGroup var topK: TopKOptions
    @Flag(name: "--json", help: "write one JSON object at the end instead of streaming text (schema in README.md)") var json: Bool
    @OptionGroup var threads: ThreadOptions

    func validate() throws {
        if system != nil && !chat { throw UsageError("--system applies to --chat only") }
    }

    func run() throws {
        let source = try OpenedBase(path: base.path)
        let tokenizer = try source.tokenizer()
        var text = prompt
        var stops = Set(tokenizer.endId.map { [$0] } ?? [])
        if chat {
            guard let template = tokenizer.recognisedChatTemplate else {
                throw CommandError.failed("the base has no chat template this tool can apply (ChatML); leave out --chat (\(base.path))")
            }
            text = template.render(user: prompt, system: system)
            if let end = tokenizer.id(of: ChatTemplate.endOfTurn) { stops.insert(end) }
        }
        let promptIds = tokenizer.encode(text, appendEnd: false)
        guard !promptIds.isEmpty else { throw CommandError.failed("the prompt has no tokens") }
        try source.checkFits(promptIds.count, what: "the prompt")
        let length = min(promptIds.count + maxNewTokens, source.contextLength ?? Int.max)
        let checkpoint = try adapter.map { try Checkpoint(path: $0.path) }
        let resolution = try checkpoint.map { try $0.resolveTopK(option: topK.topK) }
        let model = try source.model(adapter: checkpoint, topK: resolution?.perLayer, batch: 1, length: length, threads: threads.count)
        let generator = try KeyValueCacheGenerator(model: model)
        var sampler = TokenSampler(temperature: temperature, topP: topP, seed: UInt64(seed))
        var stream = StreamingDecoder(tokenizer)
        let started = Date()
        let generated = try generator.generate(prompt: promptIds, maxNewTokens: maxNewTokens, stop: stops, sampler: &sampler) { token in
            guard !json, !stops.contains(token) else { return }
            try StandardStream.output.write(stream.append(token))
        }
        let seconds = Date().timeIntervalSince(started)
        let reason = generated.last.map(stops.contains) == true ? "end" : generated.count == maxNewTokens ? "max_new_tokens" : "context"
        let answerIds = stops.contains(generated.last ?? -1) ? Array(generated.dropLast()) : generated
        if json {
            let document = JSONValue.object([
                ("prompt", .string(text)), ("prompt_tokens", .integer(promptIds.count)),
                ("ids", .array(generated.map(JSONValue.integer))), ("text", .string(tokenizer.decode(answerIds))),
                ("stopped_by", .string(reason)), ("seconds", .number(seconds)),
            ])
            try StandardStream.output.write(document.rendered() + "\n")
        } else {
            try StandardStream.output.write(stream.finish() + "\n")
        }
    }
}
