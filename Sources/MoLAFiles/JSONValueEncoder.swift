/// Encodes an `Encodable` value into a `JSONValue` whose objects keep the order in which the
/// value encoded its keys (synthesised `Codable` encodes them in declaration order), so a report
/// type's declaration is the layout of its file.
///
/// With `nullForAbsentValues` an optional property that is nil is written as `null` rather than
/// left out, so a report always carries every documented key.
public struct JSONValueEncoder {
    public var nullForAbsentValues: Bool

    public init(nullForAbsentValues: Bool = true) {
        self.nullForAbsentValues = nullForAbsentValues
    }

    public func encode<Value: Encodable>(_ value: Value) throws -> JSONValue {
        let slot = Slot()
        try slot.encode(value, options: self, codingPath: [])
        return slot.value
    }
}

/// One place in the tree being built: a finished value, or an object or array still filling.
///
/// Appending takes the array out of `content` before growing it, so it is grown in place (a
/// copy per append would make a report of `n` pairs cost `n^2`).
private final class Slot {
    enum Content {
        case value(JSONValue)
        /// Fields in encoding order, and each key's position among them.
        case object([(String, Slot)], [String: Int])
        case array([Slot])
    }

    var content = Content.value(.null)

    var value: JSONValue {
        switch content {
        case let .value(value): value
        case let .object(fields, _): .object(fields.map { ($0.0, $0.1.value) })
        case let .array(items): .array(items.map(\.value))
        }
    }

    func encode<Value: Encodable>(_ value: Value, options: JSONValueEncoder, codingPath: [any CodingKey]) throws {
        switch value {
        case let number as Double: content = .value(.number(number))
        case let number as Float: content = .value(.number(Double(number)))
        case let text as String: content = .value(.string(text))
        case let flag as Bool: content = .value(.bool(flag))
        case let integer as Int: content = .value(.integer(integer))
        default: try value.encode(to: TreeEncoder(slot: self, options: options, codingPath: codingPath))
        }
    }

    /// A new slot for `key`; encoding a key again replaces its value in its first position.
    func appendField(_ key: String) -> Slot {
        let child = Slot()
        guard case .object(var fields, var positions) = content else {
            content = .object([(key, child)], [key: 0])
            return child
        }
        content = .value(.null)
        if let position = positions[key] {
            fields[position].1 = child
        } else {
            positions[key] = fields.count
            fields.append((key, child))
        }
        content = .object(fields, positions)
        return child
    }

    func appendItem() -> Slot {
        let child = Slot()
        guard case var .array(items) = content else {
            content = .array([child])
            return child
        }
        content = .value(.null)
        items.append(child)
        content = .array(items)
        return child
    }

    var itemCount: Int {
        if case let .array(items) = content { return items.count }
        return 0
    }
}

private struct TreeEncoder: Encoder {
    let slot: Slot
    let options: JSONValueEncoder
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = slot.content {} else { slot.content = .object([], [:]) }
        return KeyedEncodingContainer(KeyedContainer<Key>(slot: slot, options: options, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = slot.content {} else { slot.content = .array([]) }
        return UnkeyedContainer(slot: slot, options: options, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleContainer(slot: slot, options: options, codingPath: codingPath)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let slot: Slot
    let options: JSONValueEncoder
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { slot.appendField(key.stringValue).content = .value(.null) }

    mutating func encode<Value: Encodable>(_ value: Value, forKey key: Key) throws {
        try slot.appendField(key.stringValue).encode(value, options: options, codingPath: codingPath + [key])
    }

    mutating func encodeIfPresent<Value: Encodable>(_ value: Value?, forKey key: Key) throws { try encodePresent(value, key) }

    // The protocol's own defaults for these leave a nil out whatever the options say.
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encodePresent(value, key) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encodePresent(value, key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encodePresent(value, key) }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try encodePresent(value, key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encodePresent(value, key) }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try encodePresent(value, key) }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try encodePresent(value, key) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try encodePresent(value, key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encodePresent(value, key) }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try encodePresent(value, key) }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try encodePresent(value, key) }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try encodePresent(value, key) }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try encodePresent(value, key) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try encodePresent(value, key) }

    private mutating func encodePresent<Value: Encodable>(_ value: Value?, _ key: Key) throws {
        if let value { try encode(value, forKey: key) } else if options.nullForAbsentValues { try encodeNil(forKey: key) }
    }

    // The fixed-width and floating-point spellings all go through the generic path.
    mutating func encode(_ value: Bool, forKey key: Key) throws { try encode(value as Bool?, key) }
    mutating func encode(_ value: String, forKey key: Key) throws { try encode(value as String?, key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try encode(value as Double?, key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try encode(value as Float?, key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { try encode(value as Int?, key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try encode(Int(value), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try encode(Int(value), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try encode(Int(value), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try encode(Int(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try encode(try exactInteger(value, codingPath + [key]), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try encode(Int(value), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try encode(Int(value), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try encode(Int(value), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try encode(try exactInteger(value, codingPath + [key]), key) }

    private mutating func encode<Value: Encodable>(_ value: Value?, _ key: Key) throws {
        try slot.appendField(key.stringValue).encode(value!, options: options, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type,
                                                        forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        TreeEncoder(slot: slot.appendField(key.stringValue), options: options, codingPath: codingPath + [key])
            .container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        TreeEncoder(slot: slot.appendField(key.stringValue), options: options, codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        TreeEncoder(slot: slot.appendField("super"), options: options, codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        TreeEncoder(slot: slot.appendField(key.stringValue), options: options, codingPath: codingPath + [key])
    }
}

/// An unsigned value as an `Int`, or an error when it does not fit (JSON readers lose digits past 2^53
/// anyway: types that need every bit of a `UInt64` store it as a string).
private func exactInteger<Value: BinaryInteger>(_ value: Value, _ codingPath: [any CodingKey]) throws -> Int {
    guard let integer = Int(exactly: value) else {
        throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "\(value) does not fit in a JSON integer"))
    }
    return integer
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let slot: Slot
    let options: JSONValueEncoder
    let codingPath: [any CodingKey]
    var count: Int { slot.itemCount }

    mutating func encodeNil() throws { slot.appendItem().content = .value(.null) }

    mutating func encode<Value: Encodable>(_ value: Value) throws {
        try slot.appendItem().encode(value, options: options, codingPath: codingPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        TreeEncoder(slot: slot.appendItem(), options: options, codingPath: codingPath).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        TreeEncoder(slot: slot.appendItem(), options: options, codingPath: codingPath).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        TreeEncoder(slot: slot.appendItem(), options: options, codingPath: codingPath)
    }
}

private struct SingleContainer: SingleValueEncodingContainer {
    let slot: Slot
    let options: JSONValueEncoder
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { slot.content = .value(.null) }

    mutating func encode<Value: Encodable>(_ value: Value) throws {
        try slot.encode(value, options: options, codingPath: codingPath)
    }
}
