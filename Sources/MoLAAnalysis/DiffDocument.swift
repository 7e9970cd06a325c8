import MoLACheckpoint

/// The `diff --json` report: written by `diff`, read back by `plot diff` (the same type on both
/// sides). Its layout is documented in README.md.
public struct DiffDocument: Sendable, Codable {
    /// The checkpoints as given: A (`first`) and B (`second`).
    public var first: String
    public var second: String
    public var expertsPerLayer: [Int]
    public var projectionSet: String
    public var layers: [Layer]

    enum CodingKeys: String, CodingKey {
        case first, second, expertsPerLayer = "experts_per_layer", projectionSet = "projection_set", layers
    }

    public struct Layer: Sendable, Codable {
        public var layer: Int
        public var projections: ProjectionTable<Projection>
        /// Mean over projections of their mean relative drift; null when an expert of A is zero.
        public var meanRelative: Double?

        enum CodingKeys: String, CodingKey { case layer, projections, meanRelative = "mean_relative" }
    }

    public struct Projection: Sendable, Codable {
        /// `permutation[i]`: A's expert matched to B's expert `i`.
        public var permutation: [Int]
        /// `[i, permutation[i], distance, relative]` per expert `i` of B.
        public var matched: [Match]
        public var meanRelative: Double?

        enum CodingKeys: String, CodingKey { case permutation, matched, meanRelative = "mean_relative" }
    }

    /// `[i, j, distance, relative]` in the file (relative `null` when A's expert is zero).
    public struct Match: Sendable, Codable {
        public var second: Int
        public var first: Int
        public var distance: Double
        public var relative: Double?

        init(second: Int, first: Int, distance: Double, relative: Double?) {
            (self.second, self.first, self.distance, self.relative) = (second, first, distance, relative)
        }

        public init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            second = try container.decode(Int.self)
            first = try container.decode(Int.self)
            distance = try container.decode(Double.self)
            relative = try container.decodeNil() ? nil : container.decode(Double.self)
            guard container.isAtEnd, second >= 0, first >= 0 else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected: [i, j, distance, relative]"))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            try container.encode(second)
            try container.encode(first)
            try container.encode(distance)
            if let relative { try container.encode(relative) } else { try container.encodeNil() }
        }
    }

    public init(first: String, second: String, expertsPerLayer: [Int], report: DiffReport, projectionSet: String) {
        self.first = first
        self.second = second
        self.expertsPerLayer = expertsPerLayer
        self.projectionSet = projectionSet
        layers = report.layers.map { layer in
            Layer(layer: layer.layer, projections: ProjectionTable(layer.projections.map { projection in
                (projection.kind, Projection(permutation: projection.permutation, matched: projection.permutation.indices.map {
                    Match(second: $0, first: projection.permutation[$0], distance: projection.distances[$0], relative: projection.relative[$0])
                }, meanRelative: projection.meanRelative))
            }), meanRelative: layer.meanRelative)
        }
    }
}
