/// Every way the ZIP container of a `torch.save` archive can be unreadable.
public enum ZipError: Error, Equatable, CustomStringConvertible {
    /// No end-of-central-directory record: not a ZIP file, or truncated.
    case noEndOfCentralDirectory(file: String)
    /// A ZIP64 locator points at something that is not a ZIP64 end record.
    case badZip64EndRecord(file: String, offset: Int)
    /// The archive spans several disks.
    case multiDiskArchive(file: String)
    /// The central directory lies (partly) outside the file, or cannot hold its entry count.
    case centralDirectoryOutOfRange(file: String, offset: Int, size: Int)
    /// A central directory header is malformed.
    case badCentralHeader(file: String, offset: Int)
    /// Two records with the same name.
    case duplicateName(file: String, name: String)
    /// A record's local header is missing or malformed.
    case badLocalHeader(file: String, name: String, offset: Int)
    /// A record's local header names another record than the central directory does.
    case localNameMismatch(file: String, name: String, offset: Int)
    /// A record name that is not UTF-8.
    case invalidName(file: String, offset: Int)
    /// A record's data runs past the end of the file.
    case recordOutOfRange(file: String, name: String, offset: Int, size: Int)
    /// A record is compressed (this reader reads stored records only).
    case compressedRecord(file: String, name: String, method: UInt16)
    /// A record is encrypted.
    case encryptedRecord(file: String, name: String)
    /// A stored record whose compressed and uncompressed sizes differ.
    case storedSizeMismatch(file: String, name: String, compressed: Int, uncompressed: Int)
    /// A fixed-size field runs past the end of the file.
    case truncated(file: String, offset: Int)

    public var description: String {
        switch self {
        case let .noEndOfCentralDirectory(file):
            "no ZIP central directory found: the file is truncated or not a torch.save archive (\(file))"
        case let .badZip64EndRecord(file, offset):
            "the ZIP64 locator points to offset \(offset), where there is no ZIP64 end record (\(file))"
        case let .multiDiskArchive(file):
            "multi-disk ZIP archives are not supported (\(file))"
        case let .centralDirectoryOutOfRange(file, offset, size):
            "the ZIP central directory [\(offset), +\(size)) does not fit in the file or its entry count (\(file))"
        case let .badCentralHeader(file, offset):
            "malformed ZIP central directory entry (\(file), offset \(offset))"
        case let .duplicateName(file, name):
            "the ZIP archive holds two records named \(name) (\(file))"
        case let .badLocalHeader(file, name, offset):
            "record \(name): no valid ZIP local header (\(file), offset \(offset))"
        case let .localNameMismatch(file, name, offset):
            "record \(name): the local header at offset \(offset) names another record than the central directory (\(file))"
        case let .invalidName(file, offset):
            "a ZIP record name is not UTF-8 (\(file), central directory offset \(offset))"
        case let .recordOutOfRange(file, name, offset, size):
            "record \(name) of \(size) bytes at offset \(offset) runs past the end of the file (\(file))"
        case let .compressedRecord(file, name, method):
            "record \(name) is compressed (ZIP method \(method)); torch.save writes stored records, so re-save the checkpoint with torch.save (\(file))"
        case let .encryptedRecord(file, name):
            "record \(name) is encrypted (\(file))"
        case let .storedSizeMismatch(file, name, compressed, uncompressed):
            "stored record \(name) claims \(compressed) bytes on disk but \(uncompressed) uncompressed (\(file))"
        case let .truncated(file, offset):
            "the ZIP structure runs past the end of the file (\(file), offset \(offset))"
        }
    }
}
