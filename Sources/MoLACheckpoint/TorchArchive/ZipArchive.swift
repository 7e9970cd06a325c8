/// The directory of a ZIP file, read through a memory mapping; stored records are read in place.
///
/// Byte layout (PKWARE APPNOTE.TXT 6.3; all integers little-endian):
///
/// 1. Local records, each: a 30-byte local header (signature `50 4B 03 04`; method at +8;
///    name length at +26, extra length at +28), the name, the extra field, then the data.
///    `torch.save` stores records uncompressed (method 0) and pads the extra field so that data
///    starts on a 64-byte boundary.
/// 2. The central directory: one 46-byte header per record (signature `50 4B 01 02`; flags
///    at +8, method at +10, compressed size at +20, uncompressed size at +24, name length at +28,
///    extra length at +30, comment length at +32, local header offset at +42), then name,
///    extra and comment. A size or offset of `0xFFFFFFFF` MUST be read from the ZIP64 extra field
///    (id `0x0001`), which holds, in this order, only the values that overflowed.
/// 3. Optionally a ZIP64 end record (signature `50 4B 06 06`, entry count at +32, directory size
///    at +40, directory offset at +48) and its 20-byte locator (signature `50 4B 06 07`, record
///    offset at +8), directly before:
/// 4. The end-of-central-directory record, 22 bytes plus a comment of at most 65,535 bytes
///    (signature `50 4B 05 06`; entry count at +10, directory size at +12, directory offset
///    at +16, comment length at +20). It is found by scanning back from the end of the file.
///
/// Only the directory is read when the archive is opened; a record's local header is read when
/// its data is asked for, so records that are never asked for are never touched. Compressed or
/// encrypted records are refused when asked for (this reader decompresses nothing).
package struct ZipArchive: Sendable {
    /// One record as the central directory describes it.
    package struct Entry: Sendable {
        public let name: String
        /// The name's bytes as stored (compared with the local header's).
        let nameBytes: [UInt8]
        public let method: UInt16
        public let flags: UInt16
        public let compressedSize: Int
        public let uncompressedSize: Int
        public let localHeaderOffset: Int
    }

    package let file: MappedFile
    /// Records by name.
    package let entries: [String: Entry]
    /// Record names in directory order.
    package let names: [String]

    private static let endRecordSize = 22
    private static let zip64LocatorSize = 20
    private static let centralHeaderSize = 46
    private static let localHeaderSize = 30

    /// Reads the central directory of `file`.
    ///
    /// - Throws: `ZipError` naming the file and offset of the first inconsistency.
    package init(file: MappedFile) throws {
        self.file = file
        let path = file.path
        let end = try Self.findEndRecord(in: file)
        var entryCount = Int(try file.uint16(at: end + 10, path))
        var directorySize = Int(try file.uint32(at: end + 12, path))
        var directoryOffset = Int(try file.uint32(at: end + 16, path))
        let diskNumber = try file.uint16(at: end + 4, path)
        if end >= Self.zip64LocatorSize,
           try file.uint32(at: end - Self.zip64LocatorSize, path) == 0x0706_4B50 {
            let recordOffset = try file.uint64(at: end - Self.zip64LocatorSize + 8, path)
            guard recordOffset <= UInt64(Int.max), file.contains(offset: Int(recordOffset), count: 56),
                  try file.uint32(at: Int(recordOffset), path) == 0x0606_4B50 else {
                throw ZipError.badZip64EndRecord(file: path, offset: Int(clamping: recordOffset))
            }
            let record = Int(recordOffset)
            let count64 = try file.uint64(at: record + 32, path)
            let size64 = try file.uint64(at: record + 40, path)
            let offset64 = try file.uint64(at: record + 48, path)
            guard count64 <= UInt64(Int.max), size64 <= UInt64(Int.max), offset64 <= UInt64(Int.max) else {
                throw ZipError.badZip64EndRecord(file: path, offset: record)
            }
            (entryCount, directorySize, directoryOffset) = (Int(count64), Int(size64), Int(offset64))
        } else if diskNumber != 0 {
            throw ZipError.multiDiskArchive(file: path)
        }
        guard file.contains(offset: directoryOffset, count: directorySize) else {
            throw ZipError.centralDirectoryOutOfRange(file: path, offset: directoryOffset, size: directorySize)
        }
        // Every entry takes at least 46 bytes: a count that cannot fit is a lie, not a reason
        // to reserve memory for it.
        guard entryCount <= directorySize / Self.centralHeaderSize else {
            throw ZipError.centralDirectoryOutOfRange(file: path, offset: directoryOffset, size: directorySize)
        }
        var entries: [String: Entry] = [:]
        var names: [String] = []
        names.reserveCapacity(entryCount)
        var position = directoryOffset
        let directoryEnd = directoryOffset + directorySize
        for _ in 0..<entryCount {
            let entry = try Self.readCentralHeader(in: file, at: &position, limit: directoryEnd)
            guard entries[entry.name] == nil else {
                throw ZipError.duplicateName(file: path, name: entry.name)
            }
            entries[entry.name] = entry
            names.append(entry.name)
        }
        self.entries = entries
        self.names = names
    }

    /// The bytes of a stored (uncompressed, unencrypted) record, in place in the mapping.
    ///
    /// - Returns: the byte offset of the record's data in the file and its length.
    /// - Throws: `ZipError` when the record is compressed, encrypted or out of range.
    package func storedData(of entry: Entry) throws -> (offset: Int, count: Int) {
        let path = file.path
        guard entry.flags & 1 == 0 else { throw ZipError.encryptedRecord(file: path, name: entry.name) }
        guard entry.method == 0 else {
            throw ZipError.compressedRecord(file: path, name: entry.name, method: entry.method)
        }
        guard entry.compressedSize == entry.uncompressedSize else {
            throw ZipError.storedSizeMismatch(file: path, name: entry.name, compressed: entry.compressedSize,
                                              uncompressed: entry.uncompressedSize)
        }
        let header = entry.localHeaderOffset
        guard file.contains(offset: header, count: Self.localHeaderSize),
              try file.uint32(at: header, path) == 0x0403_4B50 else {
            throw ZipError.badLocalHeader(file: path, name: entry.name, offset: header)
        }
        let nameLength = Int(try file.uint16(at: header + 26, path))
        let extraLength = Int(try file.uint16(at: header + 28, path))
        // The local header names the same record as the directory: a reader that trusts one
        // and a tool that trusts the other must not see different files.
        guard let localName = file.bytes(at: header + Self.localHeaderSize, count: nameLength),
              localName.elementsEqual(entry.nameBytes) else {
            throw ZipError.localNameMismatch(file: path, name: entry.name, offset: header)
        }
        let dataOffset = header + Self.localHeaderSize + nameLength + extraLength
        guard file.contains(offset: dataOffset, count: entry.compressedSize) else {
            throw ZipError.recordOutOfRange(file: path, name: entry.name, offset: dataOffset,
                                            size: entry.compressedSize)
        }
        return (dataOffset, entry.compressedSize)
    }

    /// Scans back from the end for the end-of-central-directory signature.
    private static func findEndRecord(in file: MappedFile) throws -> Int {
        guard file.size >= endRecordSize else { throw ZipError.noEndOfCentralDirectory(file: file.path) }
        let earliest = max(0, file.size - endRecordSize - 0xFFFF)
        var candidate = file.size - endRecordSize
        while candidate >= earliest {
            if try file.uint32(at: candidate, file.path) == 0x0605_4B50 {
                let commentLength = Int(try file.uint16(at: candidate + 20, file.path))
                if candidate + endRecordSize + commentLength == file.size { return candidate }
            }
            candidate -= 1
        }
        throw ZipError.noEndOfCentralDirectory(file: file.path)
    }

    private static func readCentralHeader(in file: MappedFile, at position: inout Int,
                                          limit: Int) throws -> Entry {
        let path = file.path
        let start = position
        guard start + centralHeaderSize <= limit,
              try file.uint32(at: start, path) == 0x0201_4B50 else {
            throw ZipError.badCentralHeader(file: path, offset: start)
        }
        let flags = try file.uint16(at: start + 8, path)
        let method = try file.uint16(at: start + 10, path)
        var compressed = UInt64(try file.uint32(at: start + 20, path))
        var uncompressed = UInt64(try file.uint32(at: start + 24, path))
        let nameLength = Int(try file.uint16(at: start + 28, path))
        let extraLength = Int(try file.uint16(at: start + 30, path))
        let commentLength = Int(try file.uint16(at: start + 32, path))
        var localOffset = UInt64(try file.uint32(at: start + 42, path))
        let nameStart = start + centralHeaderSize
        let extraStart = nameStart + nameLength
        let next = extraStart + extraLength + commentLength
        guard next <= limit, let nameBytes = file.bytes(at: nameStart, count: nameLength) else {
            throw ZipError.badCentralHeader(file: path, offset: start)
        }
        // Names are UTF-8 (general purpose flag 11) or CP437; torch.save writes ASCII. A name that
        // is not UTF-8 would decode with replacement characters, making two records alike.
        guard let name = String(validating: nameBytes, as: UTF8.self) else {
            throw ZipError.invalidName(file: path, offset: start)
        }
        // ZIP64: the extra field carries, in order, each 32-bit value that was saturated.
        var extra = extraStart
        while extra + 4 <= extraStart + extraLength {
            let id = try file.uint16(at: extra, path)
            let size = Int(try file.uint16(at: extra + 2, path))
            let body = extra + 4
            guard body + size <= extraStart + extraLength else {
                throw ZipError.badCentralHeader(file: path, offset: start)
            }
            if id == 0x0001 {
                var field = body
                func next64() throws -> UInt64 {
                    guard field + 8 <= body + size else { throw ZipError.badCentralHeader(file: path, offset: start) }
                    defer { field += 8 }
                    return try file.uint64(at: field, path)
                }
                if uncompressed == 0xFFFF_FFFF { uncompressed = try next64() }
                if compressed == 0xFFFF_FFFF { compressed = try next64() }
                if localOffset == 0xFFFF_FFFF { localOffset = try next64() }
            }
            extra = body + size
        }
        guard compressed <= UInt64(Int.max), uncompressed <= UInt64(Int.max), localOffset <= UInt64(Int.max) else {
            throw ZipError.badCentralHeader(file: path, offset: start)
        }
        position = next
        return Entry(name: name, nameBytes: Array(nameBytes), method: method, flags: flags, compressedSize: Int(compressed),
                     uncompressedSize: Int(uncompressed), localHeaderOffset: Int(localOffset))
    }
}

extension MappedFile {
    func uint16(at offset: Int, _ path: String) throws -> UInt16 {
        guard let bytes = bytes(at: offset, count: 2) else { throw ZipError.truncated(file: path, offset: offset) }
        return UInt16(littleEndian: bytes.loadUnaligned(as: UInt16.self))
    }

    func uint32(at offset: Int, _ path: String) throws -> UInt32 {
        guard let bytes = bytes(at: offset, count: 4) else { throw ZipError.truncated(file: path, offset: offset) }
        return UInt32(littleEndian: bytes.loadUnaligned(as: UInt32.self))
    }

    func uint64(at offset: Int, _ path: String) throws -> UInt64 {
        guard let bytes = bytes(at: offset, count: 8) else { throw ZipError.truncated(file: path, offset: offset) }
        return UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
    }
}
