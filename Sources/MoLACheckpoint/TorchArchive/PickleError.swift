/// Every way the restricted pickle machine refuses or fails on a pickle.
public enum PickleError: Error, Equatable, CustomStringConvertible {
    /// The pickle ends inside an opcode or before `STOP`.
    case unexpectedEnd(source: String, offset: Int)
    /// A protocol newer than 5.
    case unsupportedProtocol(source: String, version: Int)
    /// An opcode this machine does not implement (state dicts do not use it).
    case unsupportedOpcode(source: String, opcode: UInt8, offset: Int)
    /// An opcode needs more values than the stack (above the last mark) holds.
    case stackUnderflow(source: String, opcode: UInt8, offset: Int)
    /// An opcode that closes a mark found none.
    case missingMark(source: String, opcode: UInt8, offset: Int)
    /// A `GET` of a memo slot that was never written.
    case missingMemo(source: String, index: Int, offset: Int)
    /// A global outside the allow-list: refused, nothing imported or called.
    case disallowedGlobal(source: String, module: String, name: String, offset: Int)
    /// `REDUCE` applied to something that is not an allow-listed callable.
    case notCallable(source: String, kind: String, offset: Int)
    /// An allow-listed callable (or container opcode) with arguments it does not take.
    case invalidArguments(source: String, callee: String, offset: Int, reason: String)
    /// A persistent id that is not `('storage', torch.<T>Storage, key, location, numel)`.
    case invalidPersistentID(source: String, offset: Int)
    /// Containers nested deeper than `PickleMachine.maximumDepth`.
    case nestingTooDeep(source: String, limit: Int, offset: Int)
    /// An append to a list (or set on a dict) that is already inside another container.
    case modifiedAfterNesting(source: String, kind: String, offset: Int)
    /// A list or dict put inside itself.
    case containerInsideItself(source: String, kind: String, offset: Int)
    /// An integer that does not fit in 64 bits.
    case integerTooLarge(source: String, offset: Int)
    /// A string that is not UTF-8.
    case invalidUTF8(source: String, offset: Int)

    public var description: String {
        switch self {
        case let .unexpectedEnd(source, offset):
            "pickle ends unexpectedly (\(source), offset \(offset))"
        case let .unsupportedProtocol(source, version):
            "pickle protocol \(version) is newer than the supported 2 to 5 (\(source))"
        case let .unsupportedOpcode(source, opcode, offset):
            "pickle opcode 0x\(String(opcode, radix: 16)) is not used by state dicts and is not supported (\(source), offset \(offset))"
        case let .stackUnderflow(source, opcode, offset):
            "pickle stack underflow at opcode 0x\(String(opcode, radix: 16)) (\(source), offset \(offset))"
        case let .missingMark(source, opcode, offset):
            "pickle opcode 0x\(String(opcode, radix: 16)) found no MARK (\(source), offset \(offset))"
        case let .missingMemo(source, index, offset):
            "pickle reads memo slot \(index), which was never written (\(source), offset \(offset))"
        case let .disallowedGlobal(source, module, name, offset):
            "pickle refers to \(module).\(name), which is not allowed in a checkpoint; nothing was run (\(source), offset \(offset))"
        case let .notCallable(source, kind, offset):
            "pickle calls a \(kind), which is not an allowed callable (\(source), offset \(offset))"
        case let .invalidArguments(source, callee, offset, reason):
            "pickle applies \(callee) wrongly: \(reason) (\(source), offset \(offset))"
        case let .invalidPersistentID(source, offset):
            "pickle persistent id is not a torch storage tuple (\(source), offset \(offset))"
        case let .nestingTooDeep(source, limit, offset):
            "pickle nests containers more than \(limit) deep; a state dict nests a few (\(source), offset \(offset))"
        case let .modifiedAfterNesting(source, kind, offset):
            "pickle adds to a \(kind) that is already inside another container, which Python's pickler never does (\(source), offset \(offset))"
        case let .containerInsideItself(source, kind, offset):
            "pickle puts a \(kind) inside itself; a state dict holds no cycles (\(source), offset \(offset))"
        case let .integerTooLarge(source, offset):
            "pickle integer does not fit in 64 bits (\(source), offset \(offset))"
        case let .invalidUTF8(source, offset):
            "pickle string is not valid UTF-8 (\(source), offset \(offset))"
        }
    }
}
