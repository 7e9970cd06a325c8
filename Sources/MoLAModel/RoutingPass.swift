/// A model that routing statistics can run over: windows of `time` tokens, `batch` at a time,
/// each forward recording every router's decisions in `routingTap`. `LlamaModel` (every weight
/// in Float32) and `LayerwiseModel` (weights mapped, one layer converted at a time) are both.
public protocol RoutingPass: AnyObject {
    var config: ModelConfig { get }
    /// Window length.
    var time: Int { get }
    /// Windows per forward.
    var batch: Int { get }
    var routingTap: RoutingTap? { get set }
    /// Runs `tokens` ([batch, time] row-major, at most `batch` windows) up to the last router.
    ///
    /// - Throws: `ModelError.tokenOutOfRange`.
    func routingForward(tokens: [Int]) throws
}

/// A model that scores text: the logits of a window, [T, V] (`TokenScorer`). `LlamaModel` and
/// `LayerwiseModel` are both.
public protocol LogitsPass: AnyObject {
    var config: ModelConfig { get }
    /// Window length.
    var time: Int { get }
    /// The logits of `tokens` (one window of `time` tokens), [time, V].
    ///
    /// - Throws: `ModelError.tokenOutOfRange`.
    func logits(tokens: [Int]) throws -> [Float]
}

extension LlamaModel: LogitsPass {
    public func logits(tokens: [Int]) throws -> [Float] {
        try forward(tokens: tokens, logits: true)
        return logits
    }
}

extension LayerwiseModel: LogitsPass {}

extension LlamaModel: RoutingPass {
    public func routingForward(tokens: [Int]) throws {
        try forward(tokens: tokens, logits: false)
    }
}
