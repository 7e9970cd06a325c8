import Foundation

/// What this project records beside an adapter that the reference files do not:
/// `mola_config.json`, e.g. `{"experts_per_layer": [2, 2, 4, 4], "top_k": [2, 2, 2, 2]}`
/// (`top_k` may also be a single number). Written by `mola-inspect train`.
public struct MoLASidecar: Sendable, Equatable {
    public var expertsPerLayer: [Int]?
    /// Top-K: one value for every layer, or one per layer.
    public var topK: AdapterConfig.LayerValues?

    /// Parses a sidecar file.
    ///
    /// - Throws: `AdapterConfigError` naming the file and field.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AdapterConfigError.unreadable(file: path)
        }
        guard let object = try? JSONSerialization.jsonObject(with: data),
              let fields = object as? [String: Any] else {
            throw AdapterConfigError.notAJSONObject(file: path)
        }
        func positiveIntegers(_ value: Any) -> [Int]? {
            guard let list = value as? [Any] else { return nil }
            let integers = list.compactMap { $0 as? Int }
            return integers.count == list.count && integers.allSatisfy({ $0 > 0 }) ? integers : nil
        }
        if let value = fields["experts_per_layer"] {
            guard let counts = positiveIntegers(value) else {
                throw AdapterConfigError.invalidField(file: path, field: "experts_per_layer",
                                                      expected: "a list of positive integers")
            }
            expertsPerLayer = counts
        }
        if let value = fields["top_k"] {
            if let single = value as? Int, single > 0 {
                topK = .uniform(single)
            } else if let list = positiveIntegers(value) {
                topK = .perLayer(list)
            } else {
                throw AdapterConfigError.invalidField(file: path, field: "top_k",
                                                      expected: "a positive integer or a list of them")
            }
        }
    }
}
