/// Reading the key/value pairs (layout item 2 of `GGUFFile`).
extension GGUFFile {
    static func readMetadata(_ cursor: inout GGUFCursor, count: Int) throws -> GGUFMetadata {
        var keys: [String] = []
        var values: [String: GGUFValue] = [:]
        keys.reserveCapacity(count)
        for _ in 0..<count {
            let start = cursor.offset
            let key = try cursor.string("a metadata key")
            guard !key.isEmpty else { throw GGUFError.emptyKey(file: cursor.file.path, offset: start) }
            guard values[key] == nil else { throw GGUFError.duplicateKey(file: cursor.file.path, key: key, offset: start) }
            let type = try valueType(&cursor, key: key)
            values[key] = try value(of: type, &cursor, key: key, depth: 0)
            keys.append(key)
        }
        return GGUFMetadata(file: cursor.file.path, keys: keys, values: values)
    }

    private static func valueType(_ cursor: inout GGUFCursor, key: String) throws -> GGUFValueType {
        let offset = cursor.offset
        let raw = try cursor.uint32("the value type of \(key)")
        guard let type = GGUFValueType(rawValue: raw) else {
            throw GGUFError.unknownValueType(file: cursor.file.path, key: key, offset: offset, type: raw)
        }
        return type
    }

    private static func value(of type: GGUFValueType, _ cursor: inout GGUFCursor, key: String, depth: Int) throws -> GGUFValue {
        let what = "the value of \(key)"
        switch type {
        case .uint8: return .uint8(try cursor.uint8(what))
        case .int8: return .int8(Int8(bitPattern: try cursor.uint8(what)))
        case .uint16: return .uint16(try cursor.array(of: UInt16.self, count: 1, reading: what)[0])
        case .int16: return .int16(Int16(bitPattern: try cursor.array(of: UInt16.self, count: 1, reading: what)[0]))
        case .uint32: return .uint32(try cursor.uint32(what))
        case .int32: return .int32(Int32(bitPattern: try cursor.uint32(what)))
        case .float32: return .float32(Float(bitPattern: try cursor.uint32(what)))
        case .bool: return .bool(try cursor.uint8(what) != 0)
        case .string: return .string(try cursor.string(what))
        case .uint64: return .uint64(try cursor.uint64(what))
        case .int64: return .int64(Int64(bitPattern: try cursor.uint64(what)))
        case .float64: return .float64(Double(bitPattern: try cursor.uint64(what)))
        case .array: return .array(try array(&cursor, key: key, depth: depth + 1))
        }
    }

    /// An array: u32 element type, u64 count, the elements.
    private static func array(_ cursor: inout GGUFCursor, key: String, depth: Int) throws -> GGUFArray {
        let start = cursor.offset
        guard depth <= maximumArrayNesting else {
            throw GGUFError.arrayNestingTooDeep(file: cursor.file.path, key: key, offset: start)
        }
        let element = try valueType(&cursor, key: key)
        let countOffset = cursor.offset
        let stored = try cursor.uint64("the element count of \(key)")
        guard stored <= UInt64(cursor.remaining / element.minimumByteCount) else {
            throw GGUFError.arrayPastEnd(file: cursor.file.path, key: key, offset: countOffset, count: stored)
        }
        let count = Int(stored)
        let what = "the elements of \(key)"
        switch element {
        case .uint8: return .uint8(try cursor.array(of: UInt8.self, count: count, reading: what))
        case .int8: return .int8(try cursor.array(of: Int8.self, count: count, reading: what))
        case .uint16: return .uint16(try cursor.array(of: UInt16.self, count: count, reading: what))
        case .int16: return .int16(try cursor.array(of: Int16.self, count: count, reading: what))
        case .uint32: return .uint32(try cursor.array(of: UInt32.self, count: count, reading: what))
        case .int32: return .int32(try cursor.array(of: Int32.self, count: count, reading: what))
        case .float32: return .float32(try cursor.array(of: UInt32.self, count: count, reading: what).map(Float.init(bitPattern:)))
        case .bool: return .bool(try cursor.array(of: UInt8.self, count: count, reading: what).map { $0 != 0 })
        case .uint64: return .uint64(try cursor.array(of: UInt64.self, count: count, reading: what))
        case .int64: return .int64(try cursor.array(of: Int64.self, count: count, reading: what))
        case .float64: return .float64(try cursor.array(of: UInt64.self, count: count, reading: what).map(Double.init(bitPattern:)))
        case .string:
            var texts: [String] = []
            texts.reserveCapacity(count)
            for _ in 0..<count { texts.append(try cursor.string("an element of \(key)")) }
            return .string(texts)
        case .array:
            var arrays: [GGUFArray] = []
            arrays.reserveCapacity(count)
            for _ in 0..<count { arrays.append(try array(&cursor, key: key, depth: depth + 1)) }
            return .array(arrays)
        }
    }
}
