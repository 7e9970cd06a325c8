import Foundation

/// The fields of a PEFT-style `adapter_config.json` that MoLA writes.
///
/// MoLA stores `r` as a per-layer list; plain PEFT stores a number. The file does not record
/// the number of experts per layer nor top-K: those come from the tensors and the sidecar.
public struct AdapterConfig: Sendable, Equatable {
    /// `peft_type`, normally `LORA`.
    public var peftType: String?
    /// `r`: one rank for every layer, or one per layer.
    public var ranks: LayerValues?
    /// `lora_alpha`.
    public var alpha: Double?
    /// `lora_dropout`.
    public var dropout: Double?
    /// `target_modules`.
    public var targetModules: [String]?
    /// `base_model_name_or_path`.
    public var baseModel: String?

    /// One value for every layer, or one per layer (ranks here, top-K in the sidecar).
    public enum LayerValues: Sendable, Equatable {
        case uniform(Int)
        case perLayer([Int])

        /// The value given for `layer`, if one is given.
        public func rank(ofLayer layer: Int) -> Int? {
            switch self {
            case let .uniform(rank): rank
            case let .perLayer(ranks): layer < ranks.count ? ranks[layer] : nil
            }
        }
    }

    public init(peftType: String? = nil, ranks: LayerValues? = nil, alpha: Double? = nil, dropout: Double? = nil,
                targetModules: [String]? = nil, baseModel: String? = nil) {
        self.peftType = peftType
        self.ranks = ranks
        self.alpha = alpha
        self.dropout = dropout
        self.targetModules = targetModules
        self.baseModel = baseModel
    }

    /// Parses `adapter_config.json`.
    ///
    /// - Throws: `AdapterConfigError` naming the file and field.
    public init(path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw AdapterConfigError.unreadable(file: path)
        }
        try self.init(json: data, path: path)
    }

    init(json: Data, path: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: json),
              let fields = object as? [String: Any] else {
            throw AdapterConfigError.notAJSONObject(file: path)
        }
        func field<T>(_ name: String, _ expected: String, _ convert: (Any) -> T?) throws -> T? {
            guard let value = fields[name], !(value is NSNull) else { return nil }
            guard let converted = convert(value) else {
                throw AdapterConfigError.invalidField(file: path, field: name, expected: expected)
            }
            return converted
        }
        peftType = try field("peft_type", "a string") { $0 as? String }
        ranks = try field("r", "a positive integer or a list of them") { value -> LayerValues? in
            if let rank = value as? Int, rank > 0 { return .uniform(rank) }
            if let list = value as? [Any] {
                let ranks = list.compactMap { $0 as? Int }
                guard ranks.count == list.count, !ranks.isEmpty, ranks.allSatisfy({ $0 > 0 }) else { return nil }
                return .perLayer(ranks)
            }
            return nil
        }
        alpha = try field("lora_alpha", "a positive number") { value -> Double? in
            guard let number = value as? NSNumber, number.doubleValue > 0, number.doubleValue.isFinite else { return nil }
            return number.doubleValue
        }
        dropout = try field("lora_dropout", "a number") { ($0 as? NSNumber)?.doubleValue }
        targetModules = try field("target_modules", "a list of strings") { value -> [String]? in
            if let string = value as? String { return [string] }
            return value as? [String]
        }
        baseModel = try field("base_model_name_or_path", "a string") { $0 as? String }
    }
}

/// An `adapter_config.json` that cannot be used.
public enum AdapterConfigError: Error, Equatable, CustomStringConvertible {
    case unreadable(file: String)
    case notAJSONObject(file: String)
    case invalidField(file: String, field: String, expected: String)

    public var description: String {
        switch self {
        case let .unreadable(file): "cannot read \(file)"
        case let .notAJSONObject(file): "adapter config is not a JSON object (\(file))"
        case let .invalidField(file, field, expected): "adapter config field \"\(field)\" should be \(expected) (\(file))"
        }
    }
}
