import Foundation

/// Writes a ZIP file of stored (uncompressed) records whose data start on 64-byte boundaries,
/// as `torch.save` writes them (the layout `ZipArchive` documents). Files past 4 GiB would need
/// ZIP64 fields, which this writer does not produce: it refuses them.
struct ZipWriter {
    private(set) var bytes: [UInt8] = []
    private var central: [UInt8] = []
    private var count = 0

    /// The CRC-32 (IEEE) that every ZIP record carries.
    static func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return ~crc
    }

    private static let crcTable: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    mutating func add(name: String, data: [UInt8]) throws {
        let nameBytes = Array(name.utf8)
        let offset = bytes.count
        guard offset + 30 + nameBytes.count + 68 + data.count < 0xFFFF_FFFF else { throw ZipWriterError.tooLarge }
        // Pad the extra field so the data starts on a 64-byte boundary (extra id "FB", like torch).
        let padding = (64 - (offset + 30 + nameBytes.count + 4) % 64) % 64
        let crc = Self.crc32(data)
        func header(_ signature: UInt32, central: Bool) -> [UInt8] {
            var out: [UInt8] = []
            out += le(signature)
            if central { out += le(UInt16(20)) }  // version made by
            out += le(UInt16(20)) + le(UInt16(0)) + le(UInt16(0))  // version needed, flags, method (stored)
            out += le(UInt16(0)) + le(UInt16(0x21))  // time, date (1980-01-01)
            out += le(crc) + le(UInt32(data.count)) + le(UInt32(data.count))
            out += le(UInt16(nameBytes.count)) + le(UInt16(central ? 0 : 4 + padding))
            if central {
                out += le(UInt16(0)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt32(0)) + le(UInt32(offset))
            }
            return out
        }
        bytes += header(0x0403_4B50, central: false) + nameBytes
        bytes += le(UInt16(0x4246)) + le(UInt16(padding)) + Array(repeating: 0x5A, count: padding)
        bytes += data
        central += header(0x0201_4B50, central: true) + nameBytes
        count += 1
    }

    /// The finished archive: records, central directory, end record.
    mutating func finish() throws -> [UInt8] {
        let directoryOffset = bytes.count
        guard directoryOffset + central.count + 22 < 0xFFFF_FFFF, count < 0xFFFF else { throw ZipWriterError.tooLarge }
        bytes += central
        bytes += le(UInt32(0x0605_4B50)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(count)) + le(UInt16(count))
        bytes += le(UInt32(central.count)) + le(UInt32(directoryOffset)) + le(UInt16(0))
        return bytes
    }
}

enum ZipWriterError: Error, CustomStringConvertible {
    case tooLarge
    var description: String { "the archive would pass 4 GiB or 65,535 records, which needs ZIP64; not supported by this writer" }
}

func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
