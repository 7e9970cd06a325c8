import MoLACheckpoint

extension TopKSource {
    /// How reports name the source: the option, the sidecar or the reference default.
    var reportName: String { fileDescription ?? "--top-k" }
}

extension Checkpoint {
    /// Top-K per layer as `TopKPolicy` resolves it for `--top-k` (nil when not given): a K the
    /// user asked for that a layer cannot honour is a usage mistake, one the sidecar records a failure.
    func resolveTopK(option requested: Int?) throws -> TopKResolution {
        do {
            return try topK(requested: requested)
        } catch let error as TopKError {
            guard case let .exceedsExperts(_, _, _, source) = error, source != .caller else { throw UsageError("\(error)") }
            throw CommandError.failed("\(error) (\(sidecarPath ?? path))")
        }
    }
}
