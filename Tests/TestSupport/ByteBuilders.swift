import Foundation

/// Builds small files byte by byte for malformed-input tests.
public struct ByteWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func append(_ more: [UInt8]) { bytes += more }
    public mutating func append(_ text: String) { bytes += Array(text.utf8) }
    public mutating func uint16(_ value: UInt16) { bytes += withUnsafeBytes(of: value.littleEndian, Array.init) }
    public mutating func uint32(_ value: UInt32) { bytes += withUnsafeBytes(of: value.littleEndian, Array.init) }
    public mutating func uint64(_ value: UInt64) { bytes += withUnsafeBytes(of: value.littleEndian, Array.init) }
    public mutating func float32(_ values: [Float]) { for value in values { uint32(value.bitPattern) } }
}

/// A safetensors file from a header JSON text and a data buffer.
public func safetensorsBytes(header: String, buffer: [UInt8]) -> [UInt8] {
    var writer = ByteWriter()
    writer.uint64(UInt64(header.utf8.count))
    writer.append(header)
    writer.append(buffer)
    return writer.bytes
}

/// A safetensors file of F32 tensors, laid out in order without gaps.
public func safetensorsBytes(tensors: [(name: String, shape: [Int], values: [Float])]) -> [UInt8] {
    var entries: [String] = []
    var buffer = ByteWriter()
    for tensor in tensors {
        let begin = buffer.bytes.count
        buffer.float32(tensor.values)
        let shape = tensor.shape.map(String.init).joined(separator: ",")
        entries.append("\"\(tensor.name)\":{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(begin),\(buffer.bytes.count)]}")
    }
    return safetensorsBytes(header: "{" + entries.joined(separator: ",") + "}", buffer: buffer.bytes)
}

/// One record of a test ZIP file.
public struct ZipRecord {
    public var name: String
    public var data: [UInt8]
    /// 0 stored, 8 deflate (the bytes are not actually compressed: readers must refuse first).
    public var method: UInt16
    /// The name written in the local header, when it should differ from the directory's.
    public var localName: [UInt8]?
    /// The name's bytes in the directory (and the local header), when they are not `name`'s UTF-8.
    public var nameBytes: [UInt8]?

    public init(name: String, data: [UInt8], method: UInt16 = 0, localName: [UInt8]? = nil, nameBytes: [UInt8]? = nil) {
        self.name = name
        self.data = data
        self.method = method
        self.localName = localName
        self.nameBytes = nameBytes
    }

    var storedName: [UInt8] { nameBytes ?? Array(name.utf8) }
}

/// A ZIP file of `records` with a central directory; ZIP64 end records when `zip64` is set.
public func zipBytes(_ records: [ZipRecord], zip64: Bool = false) -> [UInt8] {
    var writer = ByteWriter()
    var offsets: [Int] = []
    for record in records {
        offsets.append(writer.bytes.count)
        writer.uint32(0x0403_4B50)
        writer.uint16(20); writer.uint16(0); writer.uint16(record.method)
        writer.uint16(0); writer.uint16(0); writer.uint32(0)
        writer.uint32(UInt32(record.data.count)); writer.uint32(UInt32(record.data.count))
        let localName = record.localName ?? record.storedName
        writer.uint16(UInt16(localName.count)); writer.uint16(0)
        writer.append(localName)
        writer.append(record.data)
    }
    let directoryStart = writer.bytes.count
    for (record, offset) in zip(records, offsets) {
        writer.uint32(0x0201_4B50)
        writer.uint16(20); writer.uint16(20); writer.uint16(0); writer.uint16(record.method)
        writer.uint16(0); writer.uint16(0); writer.uint32(0)
        if zip64 {
            writer.uint32(0xFFFF_FFFF); writer.uint32(0xFFFF_FFFF)
        } else {
            writer.uint32(UInt32(record.data.count)); writer.uint32(UInt32(record.data.count))
        }
        writer.uint16(UInt16(record.storedName.count)); writer.uint16(zip64 ? 28 : 0); writer.uint16(0)
        writer.uint16(0); writer.uint16(0); writer.uint32(0)
        writer.uint32(zip64 ? 0xFFFF_FFFF : UInt32(offset))
        writer.append(record.storedName)
        if zip64 {
            writer.uint16(0x0001); writer.uint16(24)
            writer.uint64(UInt64(record.data.count)); writer.uint64(UInt64(record.data.count)); writer.uint64(UInt64(offset))
        }
    }
    let directorySize = writer.bytes.count - directoryStart
    if zip64 {
        let recordOffset = writer.bytes.count
        writer.uint32(0x0606_4B50); writer.uint64(44)
        writer.uint16(45); writer.uint16(45); writer.uint32(0); writer.uint32(0)
        writer.uint64(UInt64(records.count)); writer.uint64(UInt64(records.count))
        writer.uint64(UInt64(directorySize)); writer.uint64(UInt64(directoryStart))
        writer.uint32(0x0706_4B50); writer.uint32(0); writer.uint64(UInt64(recordOffset)); writer.uint32(1)
    }
    writer.uint32(0x0605_4B50)
    writer.uint16(0); writer.uint16(0)
    writer.uint16(zip64 ? 0xFFFF : UInt16(records.count)); writer.uint16(zip64 ? 0xFFFF : UInt16(records.count))
    writer.uint32(zip64 ? 0xFFFF_FFFF : UInt32(directorySize)); writer.uint32(zip64 ? 0xFFFF_FFFF : UInt32(directoryStart))
    writer.uint16(0)
    return writer.bytes
}

/// Pickle bytes for a state dict of float32 tensors, each on a storage of its own, as
/// `torch.save` writes it (protocol 2, `_rebuild_tensor_v2`, persistent ids).
///
/// - Parameter storages: per tensor, the storage key, its element count, the offset, shape
///   and strides of the view.
public func stateDictPickle(_ tensors: [(name: String, key: String, storageCount: Int, offset: Int, shape: [Int], strides: [Int])]) -> [UInt8] {
    var writer = ByteWriter()
    writer.append([0x80, 0x02])  // PROTO 2
    writer.append("ccollections\nOrderedDict\n")
    writer.append([0x29, 0x52])  // EMPTY_TUPLE, REDUCE
    writer.append([0x28])  // MARK
    func string(_ text: String) {
        writer.append([0x58]); writer.uint32(UInt32(text.utf8.count)); writer.append(text)
    }
    func integer(_ value: Int) {
        if let small = Int32(exactly: value) {
            writer.append([0x4A]); writer.uint32(UInt32(bitPattern: small))  // BININT
        } else {
            writer.append([0x8A, 8]); writer.uint64(UInt64(bitPattern: Int64(value)))  // LONG1 of 8 bytes
        }
    }
    func tuple(_ values: [Int]) {
        writer.append([0x28]); values.forEach(integer); writer.append([0x74])
    }
    for tensor in tensors {
        string(tensor.name)
        writer.append("ctorch._utils\n_rebuild_tensor_v2\n")
        writer.append([0x28])  // MARK (arguments)
        writer.append([0x28])  // MARK (persistent id)
        string("storage")
        writer.append("ctorch\nFloatStorage\n")
        string(tensor.key)
        string("cpu")
        integer(tensor.storageCount)
        writer.append([0x74, 0x51])  // TUPLE, BINPERSID
        integer(tensor.offset)
        tuple(tensor.shape)
        tuple(tensor.strides)
        writer.append([0x89])  // False
        writer.append("ccollections\nOrderedDict\n")
        writer.append([0x29, 0x52])  // OrderedDict()
        writer.append([0x74, 0x52])  // TUPLE, REDUCE
    }
    writer.append([0x75, 0x2E])  // SETITEMS, STOP
    return writer.bytes
}
