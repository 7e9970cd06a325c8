/// How many experts each layer has, and the paper's name for that shape.
///
/// The paper writes an allocation as digits over equal contiguous groups of layers: for the
/// 32 layers of LLaMA-2-7B, `2468` means layers 0-7 have 2 experts, 8-15 have 4, and so on
/// ([MoLA, arXiv 2402.08562](https://arxiv.org/abs/2402.08562), section 3.2). When the depth
/// `L` is not a multiple of the number of digits `G`, group `g` (from 0) covers layers
/// ```
/// floor(g * L / G) ..< floor((g + 1) * L / G)
/// ```
/// so groups differ in size by at most one layer and the larger ones come last.
public struct Allocation: Sendable, Equatable {
    /// Experts per layer, layer 0 first.
    public let expertsPerLayer: [Int]

    public init(expertsPerLayer: [Int]) {
        self.expertsPerLayer = expertsPerLayer
    }

    /// Expands digits (e.g. `2468`) over `layerCount` layers with the split above.
    public init(digits: [Int], layerCount: Int) {
        precondition(!digits.isEmpty && layerCount >= 0, "Allocation: no digits")
        let groups = digits.count
        expertsPerLayer = (0..<layerCount).map { layer in
            // The group of `layer` is the largest g with floor(g * L / G) <= layer.
            var group = 0
            while group + 1 < groups && (group + 1) * layerCount / groups <= layer { group += 1 }
            return digits[group]
        }
    }

    /// The layers of group `group` of `groups` over `layerCount` layers.
    public static func layers(ofGroup group: Int, groups: Int, layerCount: Int) -> Range<Int> {
        (group * layerCount / groups)..<((group + 1) * layerCount / groups)
    }

    /// The four digits of the paper's notation, when every layer of each of the four groups
    /// has the same single-digit count.
    public var digits: [Int]? {
        let layerCount = expertsPerLayer.count
        guard layerCount >= 4 else { return nil }
        var digits: [Int] = []
        for group in 0..<4 {
            let layers = Self.layers(ofGroup: group, groups: 4, layerCount: layerCount)
            let counts = Set(expertsPerLayer[layers])
            guard counts.count == 1, let count = counts.first, (1...9).contains(count) else { return nil }
            digits.append(count)
        }
        return digits
    }

    /// The shape of the allocation, as the paper names them.
    public enum Shape: String, Sendable {
        case rectangle = "MoLA-□"
        case triangle = "MoLA-△"
        case invertedTriangle = "MoLA-▽"
        case hourglass = "MoLA-▷◁"
        case custom = "custom"

        /// A word for the shape, e.g. `inverted triangle`.
        public var word: String {
            switch self {
            case .rectangle: "uniform"
            case .triangle: "triangle"
            case .invertedTriangle: "inverted triangle"
            case .hourglass: "hourglass"
            case .custom: "custom"
            }
        }
    }

    /// Constant: □; strictly increasing over the groups: ▽ (more experts higher up);
    /// strictly decreasing: △; symmetric, high at both ends and lower in the middle: ▷◁.
    public var shape: Shape {
        let counts = digits ?? expertsPerLayer
        guard let first = counts.first else { return .custom }
        if counts.allSatisfy({ $0 == first }) { return .rectangle }
        let steps = zip(counts, counts.dropFirst())
        if steps.allSatisfy({ $0 < $1 }) { return .invertedTriangle }
        if steps.allSatisfy({ $0 > $1 }) { return .triangle }
        if counts.count >= 3, counts == counts.reversed(),
           counts.dropFirst().dropLast().allSatisfy({ $0 < first }) {
            return .hourglass
        }
        return .custom
    }

    /// The paper's digits (`2468`), or the per-layer list (`1,2`) when there are none.
    public var notation: String {
        digits.map { $0.map(String.init).joined() } ?? expertsPerLayer.map(String.init).joined(separator: ",")
    }

    /// E.g. `2468 (MoLA-▽, inverted triangle)`, or the per-layer list when there are no digits.
    public var summary: String {
        shape == .custom ? "\(notation) (custom)" : "\(notation) (\(shape.rawValue), \(shape.word))"
    }

    /// For legends: `2468 (MoLA-▽)`, `1,2 (MoLA-▽)`, `2,3,2 (custom)`.
    public var shortName: String {
        "\(notation) (\(shape == .custom ? "custom" : shape.rawValue))"
    }

    /// Total number of experts over all layers (per projection type).
    public var totalExperts: Int { expertsPerLayer.reduce(0, +) }
}
