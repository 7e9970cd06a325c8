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
    /// Runs `body` on the logits of `tokens` where the model keeps them (valid during the call
    /// only): for a scorer reading 100 MB of logits (512 tokens of a 49,152-token vocabulary)
    /// once, no copy.
    func withLogits<Result>(tokens: [Int], _ body: (UnsafeBufferPointer<Float>) throws -> Result) throws -> Result
}

extension LogitsPass {
    public func withLogits<Result>(tokens: [Int], _ body: (UnsafeBufferPointer<Float>) throws -> Result) throws -> Result {
        try logits(tokens: tokens).withUnsafeBufferPointer(body)
    }
}

extension LlamaModel: LogitsPass {
    public func logits(tokens: [Int]) throws -> [Float] {
        try forward(tokens: tokens, logits: true)
        return logits
    }

    /// One window runs on one lane, whose logits buffer is read in place.
    public func withLogits<Result>(tokens: [Int], _ body: (UnsafeBufferPointer<Float>) throws -> Result) throws -> Result {
        try forward(tokens: tokens, logits: true)
        guard let lane = lanes.first, lastActiveLanes == 1 else { return try logits.withUnsafeBufferPointer(body) }
        return try body(UnsafeBufferPointer(start: lane.final.logits.pointer, count: lane.count * config.vocabularySize))
    }
}

extension LayerwiseModel: LogitsPass {}

extension LlamaModel: RoutingPass {
    public func routingForward(tokens: [Int]) throws {
        try forward(tokens: tokens, logits: false)
    }
}
