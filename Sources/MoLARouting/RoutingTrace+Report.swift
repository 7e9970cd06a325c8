import MoLACheckpoint
import MoLAModel

extension RoutingTrace {
    /// Every statistic of `RoutingRun` over the trace's tokens, the ranks merged in rank order:
    /// each rank's rows become `RoutingRecord`s (chosen experts, their weights renormalised over
    /// the top-K as the model does, the whole softmax) added up by `RoutingAccumulator`.
    ///
    /// - Parameter includePadding: count the rows the mask marks as padding too.
    /// - Throws: `RoutingTraceError.noFullSoftmax`, `.indexOutOfRange`, `.countedTokens`;
    ///   `RoutingError.nonFiniteProbabilities`.
    public func report(includePadding: Bool) throws -> RoutingReport {
        guard reference.fullSoftmax else { throw RoutingTraceError.noFullSoftmax(directory: directory) }
        let accumulator = RoutingAccumulator()
        for (manifest, shard) in zip(manifests, shards) {
            let mask = try shard.record(named: RoutingTraceManifest.maskName).integers().map { $0 != 0 }
            let counted = mask.filter { $0 }.count
            guard counted == manifest.countedTokens else {
                throw RoutingTraceError.countedTokens(shard: shard.path, manifest: manifest.countedTokens, mask: counted)
            }
            var records: [RoutingRecord] = []
            for (layer, (experts, topK)) in zip(manifest.expertsPerLayer, manifest.topK).enumerated() {
                for kind in projections {
                    records.append(try record(shard, layer: layer, kind: kind, tokens: manifest.tokens, experts: experts, topK: topK))
                }
            }
            try accumulator.add(records, counted: includePadding ? Array(repeating: true, count: mask.count) : mask)
        }
        return accumulator.report(windows: 0)
    }

    /// One projection's rows of one shard as a `RoutingRecord`.
    private func record(_ shard: SafetensorsFile, layer: Int, kind: ProjectionKind, tokens: Int, experts: Int,
                        topK: Int) throws -> RoutingRecord {
        let name = { RoutingTraceManifest.tensorName(layer: layer, projection: kind.checkpointName, field: $0) }
        let indices = try shard.record(named: name("indices")).integers()
        if let position = indices.firstIndex(where: { !(0..<experts).contains($0) }) {
            throw RoutingTraceError.indexOutOfRange(shard: shard.path, tensor: name("indices"), token: position / topK,
                                                    index: indices[position], experts: experts)
        }
        let chosen = try shard.record(named: name("probabilities")).doubles()
        var weights = [Float](repeating: 0, count: chosen.count)
        for token in 0..<tokens {
            let row = (token * topK)..<((token + 1) * topK)
            let sum = row.reduce(0.0) { $0 + chosen[$1] }
            for slot in row { weights[slot] = Float(chosen[slot] / sum) }
        }
        let softmax = try shard.record(named: name("softmax")).doubles().map { Float($0) }
        return RoutingRecord(layer: layer, site: .projection(kind), tokens: tokens, experts: experts, topK: topK,
                             probabilities: softmax, chosen: indices.map { Int32($0) }, weights: weights)
    }
}
