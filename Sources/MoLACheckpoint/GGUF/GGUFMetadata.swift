/// The key/value metadata of a GGUF file (layout item 2 of `GGUFFile`), in file order, with typed
/// access whose errors name the key: `try metadata.uint32("llama.block_count")`.
public struct GGUFMetadata: Sendable, Equatable {
    /// The file the metadata was read from (for errors).
    public let file: String
    /// Keys in file order.
    public let keys: [String]
    /// Values by key.
    public let values: [String: GGUFValue]

    init(file: String, keys: [String], values: [String: GGUFValue]) {
        self.file = file
        self.keys = keys
        self.values = values
    }

    public subscript(key: String) -> GGUFValue? { values[key] }

    public func contains(_ key: String) -> Bool { values[key] != nil }

    /// The value of `key`, or nil when absent, through one of the typed accessors:
    /// `try metadata.optional("llama.rope.freq_base", metadata.float)`.
    public func optional<T>(_ key: String, _ read: (String) throws -> T) throws -> T? {
        contains(key) ? try read(key) : nil
    }

    private func require(_ key: String) throws -> GGUFValue {
        guard let value = values[key] else { throw GGUFError.missingKey(file: file, key: key) }
        return value
    }

    private func mismatch(_ key: String, _ expected: String, _ found: GGUFValue) -> GGUFError {
        .wrongValueType(file: file, key: key, expected: expected, found: found.typeName)
    }

    /// A `u32` value (exactly that type, as `gguf.cpp`'s `gguf_get_val_u32` requires).
    public func uint32(_ key: String) throws -> UInt32 {
        let value = try require(key)
        guard case let .uint32(number) = value else { throw mismatch(key, "u32", value) }
        return number
    }

    /// An integer of any width (u8 ... i64) that fits in `Int`: token ids, lengths, counts.
    public func integer(_ key: String) throws -> Int {
        let value = try require(key)
        guard let number = value.integerValue else { throw mismatch(key, "an integer that fits in 64 bits", value) }
        return number
    }

    /// An `f32` or `f64` value.
    public func float(_ key: String) throws -> Double {
        let value = try require(key)
        switch value {
        case let .float32(number): return Double(number)
        case let .float64(number): return number
        default: throw mismatch(key, "f32 or f64", value)
        }
    }

    public func bool(_ key: String) throws -> Bool {
        let value = try require(key)
        guard case let .bool(flag) = value else { throw mismatch(key, "bool", value) }
        return flag
    }

    public func string(_ key: String) throws -> String {
        let value = try require(key)
        guard case let .string(text) = value else { throw mismatch(key, "str", value) }
        return text
    }

    /// An array of strings (`tokenizer.ggml.tokens`, `tokenizer.ggml.merges`).
    public func strings(_ key: String) throws -> [String] {
        let value = try require(key)
        guard case let .array(.string(texts)) = value else { throw mismatch(key, "arr[str]", value) }
        return texts
    }

    /// An array of `i32` (`tokenizer.ggml.token_type`).
    public func int32s(_ key: String) throws -> [Int32] {
        let value = try require(key)
        guard case let .array(.int32(numbers)) = value else { throw mismatch(key, "arr[i32]", value) }
        return numbers
    }

    /// An array of `f32` (`tokenizer.ggml.scores`).
    public func float32s(_ key: String) throws -> [Float] {
        let value = try require(key)
        guard case let .array(.float32(numbers)) = value else { throw mismatch(key, "arr[f32]", value) }
        return numbers
    }

    /// Any array.
    public func array(_ key: String) throws -> GGUFArray {
        let value = try require(key)
        guard case let .array(array) = value else { throw mismatch(key, "an array", value) }
        return array
    }
}
