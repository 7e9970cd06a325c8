import MoLACheckpoint

extension RedundancyAnalyzer {
    /// The reference the Gram path is tested against: forms every compared matrix densely
    /// (`dW_i = s B_i A_i` is `d_out x d_in`) in Double and sums squared differences.
    ///
    /// Slow and memory-hungry by design; for tests on small adapters only.
    package static func naiveDistances(_ projection: ProjectionAdapter, file: any TensorFile,
                                      options: RedundancyOptions) throws -> [ExpertPairDistance] {
        let scale = options.metric == .delta && options.scaled ? projection.scale : 1
        let matrices: [[Double]] = try projection.experts.map { names in
            let a = try file.record(named: names.a).doubles()
            let b = try file.record(named: names.b).doubles()
            switch options.metric {
            case .a: return a
            case .b: return b
            case .delta:
                // dW[o][i] = s * sum_k B[o][k] A[k][i]
                var product = [Double](repeating: 0, count: projection.outputWidth * projection.inputWidth)
                for row in 0..<projection.outputWidth {
                    for k in 0..<projection.rank {
                        let factor = scale * b[row * projection.rank + k]
                        for column in 0..<projection.inputWidth {
                            product[row * projection.inputWidth + column] += factor * a[k * projection.inputWidth + column]
                        }
                    }
                }
                return product
            }
        }
        var pairs: [ExpertPairDistance] = []
        for first in matrices.indices {
            for second in matrices.indices where second > first {
                let squared = zip(matrices[first], matrices[second]).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                let distance = (options.metric == .delta ? 1 : abs(scale)) * squared.squareRoot()
                pairs.append(ExpertPairDistance(first: first, second: second, distance: distance))
            }
        }
        return pairs
    }
}
