import MoLATensor

/// The name, element type and shape of a tensor, known without touching its data.
public struct TensorDescription: Sendable, Equatable {
    public let name: String
    /// The element type as the file names it (`F32`, `FloatStorage`, ...).
    public let storedTypeName: String
    /// The element type when it is F32, F16 or BF16.
    public let dtype: DType?
    public let shape: [Int]

    public var elementCount: Int { shape.reduce(1, *) }
}

/// A file of named tensors: a safetensors file or a `torch.save` archive.
public protocol TensorFile: Sendable {
    /// The path it was opened from.
    var path: String { get }
    /// `safetensors` or `torch.save`.
    var formatName: String { get }
    /// Every tensor in the file, in file order, without reading any data.
    var descriptions: [TensorDescription] { get }
    /// The record of one tensor, ready to read; validates where its data lies.
    func record(named name: String) throws -> TensorRecord
}

extension SafetensorsFile: TensorFile {
    public var formatName: String { "safetensors" }

    public var descriptions: [TensorDescription] {
        records.map { TensorDescription(name: $0.name, storedTypeName: $0.storedTypeName, dtype: $0.dtype, shape: $0.shape) }
    }

    public func record(named name: String) throws -> TensorRecord {
        guard let index = recordIndex[name] else {
            throw TensorFileError.noSuchTensor(file: path, tensor: name)
        }
        return records[index]
    }
}

/// Opening a tensor file whose format is not recognised, or asking for a tensor it lacks.
public enum TensorFileError: Error, Equatable, CustomStringConvertible {
    case unrecognisedFormat(file: String)
    case legacyTorchFormat(file: String)
    case noSuchTensor(file: String, tensor: String)

    public var description: String {
        switch self {
        case let .unrecognisedFormat(file):
            "not a safetensors file nor a torch.save archive (\(file))"
        case let .legacyTorchFormat(file):
            "this is a torch.save file in the legacy (pre-1.6, non-ZIP) format, which is not supported (\(file))"
        case let .noSuchTensor(file, tensor):
            "no tensor named \(tensor) (\(file))"
        }
    }
}

/// Opens `path` as safetensors or a `torch.save` archive, judged by its first bytes.
///
/// - Throws: `MappedFileError`, `TensorFileError`, `SafetensorsError`, `ZipError`,
///   `PickleError` or `TorchArchiveError`.
public func openTensorFile(path: String) throws -> any TensorFile {
    let file = try MappedFile(path: path)
    if let magic = file.bytes(at: 0, count: 4), magic.elementsEqual([0x50, 0x4B, 0x03, 0x04]) {
        return try TorchArchive(file: file)
    }
    // A safetensors header is a JSON object right after its 8-byte length. Checked before the
    // pickle protocol byte: a header length whose low bytes are 0x80 0x0N looks like `PROTO N`
    // (a legacy torch file's byte 8 is inside its magic number, never JSON).
    if let first = file.bytes(at: 8, count: 1)?.first, [0x7B, 0x20, 0x0A, 0x0D, 0x09].contains(first) {
        return try SafetensorsFile(file: file)
    }
    if let magic = file.bytes(at: 0, count: 2), magic[0] == 0x80, magic[1] <= 5 {
        throw TensorFileError.legacyTorchFormat(file: path)
    }
    throw TensorFileError.unrecognisedFormat(file: path)
}
