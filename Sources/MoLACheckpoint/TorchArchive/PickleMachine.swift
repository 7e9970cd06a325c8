/// A pickle interpreter that builds plain data and executes nothing.
///
/// Byte layout (Python `pickletools`, protocols 2 to 5): a stream of one-byte opcodes, each
/// followed by its fixed or length-prefixed argument (integers little-endian, `BINFLOAT`
/// big-endian), ending with `STOP` (`.`). Values live on a stack; `MARK` opens a group that
/// `TUPLE`, `LIST`, `DICT`, `APPENDS` and `SETITEMS` close; the memo keeps values by index for
/// `GET`s.
///
/// Where Python would import a module and call a function, this machine only looks up the
/// name in an allow-list (`PickleGlobal`) and, for `REDUCE`, interprets the arguments of those
/// few functions as data: `OrderedDict()` makes an empty dict, `_rebuild_tensor_v2` and
/// `_rebuild_parameter` make a `TensorReference`. Any other global is an error naming it,
/// before anything else happens. Persistent ids (`BINPERSID`) must be torch storage tuples.
///
/// Containers nest at most `maximumDepth` deep (a state dict nests a handful), and a list or
/// dict that has been put inside another container is complete: appending to it again is
/// refused, as is putting a container inside itself. Python's pickler always finishes a
/// container before its parent takes it, so real files never meet these rules; a crafted one
/// cannot build a structure deep enough to overflow the stack when it is freed, nor a cycle.
package struct PickleMachine {
    /// The deepest nesting of containers accepted.
    package static let maximumDepth = 100

    private var reader: ByteCursor
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private let source: String

    /// Runs the pickle in `bytes` and returns the value it leaves.
    ///
    /// - Parameter source: names the pickle in errors, e.g. `adapter_model.bin:archive/data.pkl`.
    /// - Throws: `PickleError`.
    package static func load(_ bytes: UnsafeRawBufferPointer, source: String) throws -> PickleValue {
        var machine = PickleMachine(reader: ByteCursor(bytes: bytes), source: source)
        return try machine.run()
    }

    private mutating func run() throws -> PickleValue {
        while true {
            let offset = reader.position
            guard let opcode = reader.byte() else { throw PickleError.unexpectedEnd(source: source, offset: offset) }
            if opcode == 0x2E {  // STOP
                let value = try pop(opcode, offset)
                return value
            }
            try execute(opcode, at: offset)
        }
    }

    private mutating func execute(_ opcode: UInt8, at offset: Int) throws {
        switch opcode {
        case 0x80:  // PROTO
            let version = try readByte(offset)
            guard version <= 5 else { throw PickleError.unsupportedProtocol(source: source, version: Int(version)) }
        case 0x95:  // FRAME: an 8-byte length hint, nothing to do
            _ = try readBytes(8, offset)
        case 0x28: marks.append(stack.count)  // MARK
        case 0x29: stack.append(.tuple(PickleTuple([])))  // EMPTY_TUPLE
        case 0x5D: stack.append(.list(PickleList()))  // EMPTY_LIST
        case 0x7D: stack.append(.dict(PickleDict()))  // EMPTY_DICT
        case 0x4E: stack.append(.none)  // NONE
        case 0x88: stack.append(.bool(true))  // NEWTRUE
        case 0x89: stack.append(.bool(false))  // NEWFALSE
        case 0x4A:  // BININT
            stack.append(.int(Int(Int32(bitPattern: try readUInt32(offset)))))
        case 0x4B: stack.append(.int(Int(try readByte(offset))))  // BININT1
        case 0x4D: stack.append(.int(Int(try readUInt16(offset))))  // BININT2
        case 0x8A:  // LONG1
            let length = Int(try readByte(offset))
            stack.append(.int(try littleEndianSigned(try readBytes(length, offset), offset)))
        case 0x8B:  // LONG4
            let length = try readLength(4, offset)
            stack.append(.int(try littleEndianSigned(try readBytes(length, offset), offset)))
        case 0x47:  // BINFLOAT, big-endian
            let bytes = try readBytes(8, offset)
            let bits = bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            stack.append(.float(Double(bitPattern: bits)))
        case 0x58: stack.append(.string(try readString(lengthBytes: 4, offset)))  // BINUNICODE
        case 0x8C: stack.append(.string(try readString(lengthBytes: 1, offset)))  // SHORT_BINUNICODE
        case 0x8D: stack.append(.string(try readString(lengthBytes: 8, offset)))  // BINUNICODE8
        case 0x54: stack.append(.string(try readLatin1(lengthBytes: 4, offset)))  // BINSTRING
        case 0x55: stack.append(.string(try readLatin1(lengthBytes: 1, offset)))  // SHORT_BINSTRING
        case 0x42: stack.append(.bytes(try readBytes(try readLength(4, offset), offset)))  // BINBYTES
        case 0x43: stack.append(.bytes(try readBytes(Int(try readByte(offset)), offset)))  // SHORT_BINBYTES
        case 0x8E: stack.append(.bytes(try readBytes(try readLength(8, offset), offset)))  // BINBYTES8
        // Values are popped into a local before a method of `self` uses them: as an argument,
        // the pop would run while that call holds a copy of `self`, so the stack's buffer would
        // not be unique and every pop would copy the whole stack (quadratic; a fuzzer found it).
        case 0x74:  // TUPLE
            let items = try popToMark(opcode, offset)
            stack.append(.tuple(try tuple(of: items, offset)))
        case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
            let items = try pop(Int(opcode) - 0x84, opcode, offset)
            stack.append(.tuple(try tuple(of: items, offset)))
        case 0x6C:  // LIST
            let list = PickleList()
            let items = try popToMark(opcode, offset)
            try append(items, to: list, offset)
            stack.append(.list(list))
        case 0x64:  // DICT
            let items = try popToMark(opcode, offset)
            let dict = PickleDict()
            try setItems(items, in: dict, offset)
            stack.append(.dict(dict))
        case 0x61:  // APPEND
            let item = try pop(opcode, offset)
            try append([item], to: try list(atTopFor: opcode, offset), offset)
        case 0x65:  // APPENDS
            let items = try popToMark(opcode, offset)
            try append(items, to: try list(atTopFor: opcode, offset), offset)
        case 0x73:  // SETITEM
            let pair = try pop(2, opcode, offset)
            try setItems(pair, in: try dict(atTopFor: opcode, offset), offset)
        case 0x75:  // SETITEMS
            let items = try popToMark(opcode, offset)
            try setItems(items, in: try dict(atTopFor: opcode, offset), offset)
        case 0x71: try memoize(Int(try readByte(offset)), opcode, offset)  // BINPUT
        case 0x72: try memoize(Int(try readUInt32(offset)), opcode, offset)  // LONG_BINPUT
        case 0x94: try memoize(memo.count, opcode, offset)  // MEMOIZE
        case 0x68: try recall(Int(try readByte(offset)), offset)  // BINGET
        case 0x6A: try recall(Int(try readUInt32(offset)), offset)  // LONG_BINGET
        case 0x63:  // GLOBAL "module\nname\n"
            let module = try readLine(offset)
            let name = try readLine(offset)
            stack.append(.global(try allowedGlobal(module: module, name: name, offset)))
        case 0x93:  // STACK_GLOBAL
            let pair = try pop(2, opcode, offset)
            guard case let .string(module) = pair[0], case let .string(name) = pair[1] else {
                throw PickleError.invalidArguments(source: source, callee: "STACK_GLOBAL", offset: offset,
                                                   reason: "module and name must be strings")
            }
            stack.append(.global(try allowedGlobal(module: module, name: name, offset)))
        case 0x52, 0x81:  // REDUCE, NEWOBJ: callee and argument tuple
            let pair = try pop(2, opcode, offset)
            guard case let .global(callee) = pair[0] else {
                throw PickleError.notCallable(source: source, kind: pair[0].kindName, offset: offset)
            }
            guard case let .tuple(argumentTuple) = pair[1] else {
                throw PickleError.invalidArguments(source: source, callee: callee.qualifiedName, offset: offset,
                                                   reason: "arguments are a \(pair[1].kindName), not a tuple")
            }
            stack.append(try apply(callee, argumentTuple.items, offset))
        case 0x62:  // BUILD: state for the object below it
            let state = try pop(opcode, offset)
            let target = try top(opcode, offset)
            // A state dict's OrderedDict carries `_metadata` (module versions) as its state; the
            // tensors do not depend on it, so it is dropped. Anything else is unexpected.
            guard case .dict = target, case .dict = state else {
                throw PickleError.invalidArguments(source: source, callee: "BUILD", offset: offset,
                                                   reason: "cannot set the state of a \(target.kindName)")
            }
        case 0x51:  // BINPERSID
            let id = try pop(opcode, offset)
            stack.append(.storage(try storageReference(from: id, offset)))
        case 0x30: _ = try pop(opcode, offset)  // POP
        case 0x31: _ = try popToMark(opcode, offset)  // POP_MARK
        case 0x32:  // DUP
            stack.append(try top(opcode, offset))
        default:
            throw PickleError.unsupportedOpcode(source: source, opcode: opcode, offset: offset)
        }
    }
}

// MARK: - Stack, memo and arguments

extension PickleMachine {
    private mutating func pop(_ opcode: UInt8, _ offset: Int) throws -> PickleValue {
        // Values below the last MARK belong to the enclosing group and cannot be popped.
        guard stack.count > (marks.last ?? 0), let value = stack.popLast() else {
            throw PickleError.stackUnderflow(source: source, opcode: opcode, offset: offset)
        }
        return value
    }

    /// The value on top of the stack, above the last mark.
    private func top(_ opcode: UInt8, _ offset: Int) throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.last else {
            throw PickleError.stackUnderflow(source: source, opcode: opcode, offset: offset)
        }
        return value
    }

    /// Pops `count` values, returned bottom first.
    private mutating func pop(_ count: Int, _ opcode: UInt8, _ offset: Int) throws -> [PickleValue] {
        guard stack.count - count >= (marks.last ?? 0) else {
            throw PickleError.stackUnderflow(source: source, opcode: opcode, offset: offset)
        }
        return popTop(count)
    }

    /// The top `count` values, bottom first.
    private mutating func popTop(_ count: Int) -> [PickleValue] {
        var values: [PickleValue] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(stack.removeLast()) }
        values.reverse()
        return values
    }

    private mutating func popToMark(_ opcode: UInt8, _ offset: Int) throws -> [PickleValue] {
        guard let mark = marks.popLast() else {
            throw PickleError.missingMark(source: source, opcode: opcode, offset: offset)
        }
        return popTop(stack.count - mark)
    }

    private func list(atTopFor opcode: UInt8, _ offset: Int) throws -> PickleList {
        let top = try top(opcode, offset)
        guard case let .list(list) = top else {
            throw PickleError.invalidArguments(source: source, callee: "APPEND", offset: offset,
                                               reason: "target is a \(top.kindName), not a list")
        }
        return list
    }

    private func dict(atTopFor opcode: UInt8, _ offset: Int) throws -> PickleDict {
        let top = try top(opcode, offset)
        guard case let .dict(dict) = top else {
            throw PickleError.invalidArguments(source: source, callee: "SETITEM", offset: offset,
                                               reason: "target is a \(top.kindName), not a dict")
        }
        return dict
    }

    private func setItems(_ items: [PickleValue], in dict: PickleDict, _ offset: Int) throws {
        guard items.count % 2 == 0 else {
            throw PickleError.invalidArguments(source: source, callee: "SETITEMS", offset: offset,
                                               reason: "odd number of keys and values")
        }
        guard !dict.isNested else { throw PickleError.modifiedAfterNesting(source: source, kind: "dict", offset: offset) }
        for index in stride(from: 0, to: items.count, by: 2) {
            let value = items[index + 1]
            if case let .dict(child) = value, child === dict {
                throw PickleError.containerInsideItself(source: source, kind: "dict", offset: offset)
            }
            try adopt([value], offset)
            dict.set(try key(items[index], offset), value)
        }
    }

    private func append(_ items: [PickleValue], to list: PickleList, _ offset: Int) throws {
        guard !list.isNested else { throw PickleError.modifiedAfterNesting(source: source, kind: "list", offset: offset) }
        if items.contains(where: { if case let .list(child) = $0 { child === list } else { false } }) {
            throw PickleError.containerInsideItself(source: source, kind: "list", offset: offset)
        }
        try adopt(items, offset)
        list.append(contentsOf: items)
    }

    private func tuple(of items: [PickleValue], _ offset: Int) throws -> PickleTuple {
        try adopt(items, offset)
        return PickleTuple(items)
    }

    /// Marks containers that are about to go inside another one as complete, after checking
    /// that the parent stays within `maximumDepth`.
    private func adopt(_ children: [PickleValue], _ offset: Int) throws {
        let depth = 1 + (children.map(\.depth).max() ?? 0)
        guard depth <= Self.maximumDepth else {
            throw PickleError.nestingTooDeep(source: source, limit: Self.maximumDepth, offset: offset)
        }
        for child in children {
            switch child {
            case let .list(list): list.isNested = true
            case let .dict(dict): dict.isNested = true
            default: break
            }
        }
    }

    private func key(_ value: PickleValue, _ offset: Int) throws -> PickleKey {
        switch value {
        case let .string(string): return .string(string)
        case let .int(int): return .int(int)
        default:
            throw PickleError.invalidArguments(source: source, callee: "dict", offset: offset,
                                               reason: "a \(value.kindName) key; state dicts use str keys")
        }
    }

    private mutating func memoize(_ index: Int, _ opcode: UInt8, _ offset: Int) throws {
        memo[index] = try top(opcode, offset)
    }

    private mutating func recall(_ index: Int, _ offset: Int) throws {
        guard let value = memo[index] else { throw PickleError.missingMemo(source: source, index: index, offset: offset) }
        stack.append(value)
    }

    private func allowedGlobal(module: String, name: String, _ offset: Int) throws -> PickleGlobal {
        guard let global = PickleGlobal.allowed(module: module, name: name) else {
            throw PickleError.disallowedGlobal(source: source, module: module, name: name, offset: offset)
        }
        return global
    }
}

// MARK: - The allow-listed callables, interpreted as data

extension PickleMachine {
    private func apply(_ callee: PickleGlobal, _ arguments: [PickleValue], _ offset: Int) throws -> PickleValue {
        func fail(_ reason: String) -> PickleError {
            .invalidArguments(source: source, callee: callee.qualifiedName, offset: offset, reason: reason)
        }
        switch callee {
        case .orderedDict:
            let dict = PickleDict()
            if let first = arguments.first {  // OrderedDict([(key, value), ...])
                guard arguments.count == 1, case let .list(pairs) = first else { throw fail("expected () or a list of pairs") }
                for pair in pairs.items {
                    guard case let .tuple(tuple) = pair, tuple.items.count == 2 else { throw fail("expected (key, value) pairs") }
                    try setItems(tuple.items, in: dict, offset)
                }
            }
            return .dict(dict)
        case .rebuildTensor:
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            guard (6...7).contains(arguments.count) else { throw fail("expected 6 or 7 arguments, found \(arguments.count)") }
            guard case let .storage(storage) = arguments[0] else { throw fail("argument 1 is a \(arguments[0].kindName), not a storage") }
            guard case let .int(storageOffset) = arguments[1], storageOffset >= 0 else { throw fail("storage_offset is not a non-negative int") }
            guard let shape = integers(arguments[2]) else { throw fail("size is not a tuple of non-negative ints") }
            guard let strides = integers(arguments[3]), strides.count == shape.count else {
                throw fail("stride is not a tuple of non-negative ints as long as size")
            }
            return .tensor(TensorReference(storage: storage, storageOffset: storageOffset, shape: shape, strides: strides))
        case .rebuildParameter:
            // (data, requires_grad, backward_hooks)
            guard arguments.count == 3, case .tensor = arguments[0] else { throw fail("expected (tensor, requires_grad, hooks)") }
            return arguments[0]
        case .storageType:
            throw PickleError.notCallable(source: source, kind: callee.qualifiedName, offset: offset)
        }
    }

    private func integers(_ value: PickleValue) -> [Int]? {
        guard case let .tuple(tuple) = value else { return nil }
        var result: [Int] = []
        for item in tuple.items {
            guard case let .int(integer) = item, integer >= 0 else { return nil }
            result.append(integer)
        }
        return result
    }

    /// `('storage', torch.FloatStorage, key, location, numel)`.
    private func storageReference(from id: PickleValue, _ offset: Int) throws -> StorageReference {
        guard case let .tuple(tuple) = id, case let fields = tuple.items, fields.count == 5,
              case .string("storage") = fields[0],
              case let .global(.storageType(elementType)) = fields[1],
              case let .string(key) = fields[2],
              case let .string(location) = fields[3],
              case let .int(count) = fields[4], count >= 0 else {
            throw PickleError.invalidPersistentID(source: source, offset: offset)
        }
        return StorageReference(elementType: elementType, key: key, location: location, elementCount: count)
    }
}

// MARK: - Reading arguments

extension PickleMachine {
    private mutating func readByte(_ offset: Int) throws -> UInt8 {
        guard let byte = reader.byte() else { throw PickleError.unexpectedEnd(source: source, offset: offset) }
        return byte
    }

    private mutating func readBytes(_ count: Int, _ offset: Int) throws -> [UInt8] {
        guard let bytes = reader.bytes(count) else { throw PickleError.unexpectedEnd(source: source, offset: offset) }
        return bytes
    }

    private mutating func readUInt16(_ offset: Int) throws -> UInt16 {
        UInt16(try littleEndianUnsigned(try readBytes(2, offset)))
    }

    private mutating func readUInt32(_ offset: Int) throws -> UInt32 {
        UInt32(try littleEndianUnsigned(try readBytes(4, offset)))
    }

    /// A length of `width` bytes; lengths past the end of the pickle fail when read.
    private mutating func readLength(_ width: Int, _ offset: Int) throws -> Int {
        let value = try littleEndianUnsigned(try readBytes(width, offset))
        guard value <= UInt64(reader.remaining) else { throw PickleError.unexpectedEnd(source: source, offset: offset) }
        return Int(value)
    }

    private func littleEndianUnsigned(_ bytes: [UInt8]) throws -> UInt64 {
        bytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// Two's complement, little-endian, as `LONG1`/`LONG4` store it; must fit in 64 bits.
    private func littleEndianSigned(_ bytes: [UInt8], _ offset: Int) throws -> Int {
        guard !bytes.isEmpty else { return 0 }
        let negative = bytes.last! & 0x80 != 0
        // Bytes past the eighth must be pure sign extension.
        if bytes.count > 8 {
            let fill: UInt8 = negative ? 0xFF : 0x00
            guard bytes[8...].allSatisfy({ $0 == fill }), (bytes[7] & 0x80 != 0) == negative else {
                throw PickleError.integerTooLarge(source: source, offset: offset)
            }
        }
        var value: UInt64 = negative ? ~0 : 0
        for (index, byte) in bytes.prefix(8).enumerated() {
            value &= ~(UInt64(0xFF) << (8 * UInt64(index)))
            value |= UInt64(byte) << (8 * UInt64(index))
        }
        return Int(Int64(bitPattern: value))
    }

    private mutating func readString(lengthBytes: Int, _ offset: Int) throws -> String {
        let length = lengthBytes == 1 ? Int(try readByte(offset)) : try readLength(lengthBytes, offset)
        let bytes = try readBytes(length, offset)
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw PickleError.invalidUTF8(source: source, offset: offset)
        }
        return string
    }

    private mutating func readLatin1(lengthBytes: Int, _ offset: Int) throws -> String {
        let length = lengthBytes == 1 ? Int(try readByte(offset)) : try readLength(lengthBytes, offset)
        return String(try readBytes(length, offset).map { Character(Unicode.Scalar($0)) })
    }

    /// A newline-terminated ASCII line (the arguments of `GLOBAL`).
    private mutating func readLine(_ offset: Int) throws -> String {
        guard let line = reader.line() else { throw PickleError.unexpectedEnd(source: source, offset: offset) }
        return String(decoding: line, as: UTF8.self)
    }
}

/// Bounds-checked reading through a byte buffer.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    private(set) var position = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - position }

    mutating func byte() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func bytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, count <= remaining else { return nil }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    mutating func line() -> [UInt8]? {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else { return nil }
        defer { position = end + 1 }
        return Array(bytes[position..<end])
    }
}
