import MoLATensor

/// A `torch.save` archive (PyTorch 1.6 and later) read without Python and without running it.
///
/// Byte layout (PyTorch `torch/serialization.py`, `_save` and `_load`):
///
/// 1. A ZIP file (`ZipArchive`) whose records all sit under one top folder of the writer's
///    choosing (`archive/`, or the file's stem).
/// 2. `<top>/data.pkl`: a pickle (protocol 2) of the saved object, here a dict or OrderedDict of
///    tensors. Each tensor is `_rebuild_tensor_v2(storage, storage_offset, size, stride,
///    requires_grad, backward_hooks)` (inside `_rebuild_parameter` for parameters), where
///    `storage` is the persistent id `('storage', torch.FloatStorage, key, location, numel)`.
/// 3. `<top>/data/<key>`: the raw little-endian elements of storage `key`, `numel` of them.
///    Several tensors MAY view one storage at different offsets and strides.
/// 4. `<top>/byteorder` MAY say `little` or `big`; `<top>/version` holds the format version.
///
/// Opening runs the restricted `PickleMachine` and records each tensor's view; a storage
/// record is located and checked only when one of its tensors is asked for, so a trainer
/// checkpoint's base weights are never touched when only the adapter is read.
public final class TorchArchive: TensorFile {
    public let path: String
    public var formatName: String { "torch.save" }
    public let descriptions: [TensorDescription]
    /// The top folder the writer chose, e.g. `archive`.
    public let topFolder: String
    private let container: ZipArchive
    private let references: [String: (TensorReference, TensorDescription)]

    /// Opens a `torch.save` archive.
    ///
    /// - Throws: `MappedFileError`, `ZipError`, `PickleError` or `TorchArchiveError`.
    public convenience init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    init(file: MappedFile) throws {
        path = file.path
        container = try ZipArchive(file: file)
        let pickles = container.names.filter { $0.hasSuffix("/data.pkl") && $0.dropLast(9).firstIndex(of: "/") == nil }
        guard let picklePath = pickles.first else { throw TorchArchiveError.noDataPickle(file: path) }
        guard pickles.count == 1 else { throw TorchArchiveError.severalDataPickles(file: path, records: pickles) }
        topFolder = String(picklePath.dropLast(9))
        if let byteOrder = container.entries["\(topFolder)/byteorder"] {
            let (offset, count) = try container.storedData(of: byteOrder)
            let text = String(decoding: file.bytes(at: offset, count: count)!, as: UTF8.self)
            guard text == "little" else { throw TorchArchiveError.bigEndian(file: path) }
        }
        let (offset, count) = try container.storedData(of: container.entries[picklePath]!)
        let value = try PickleMachine.load(file.bytes(at: offset, count: count)!, source: "\(path):\(picklePath)")
        guard case let .dict(dict) = value else {
            throw TorchArchiveError.notAStateDict(file: path, found: value.kindName)
        }
        var descriptions: [TensorDescription] = []
        var references: [String: (TensorReference, TensorDescription)] = [:]
        for (key, value) in dict.entries {
            // Non-tensor entries (step counters, nested configs) are not tensors to read.
            guard case let .tensor(reference) = value else { continue }
            let name = key.description
            _ = try Self.elementCount(of: reference, tensor: name, file: path)
            let elementType = reference.storage.elementType
            let dtype = elementType.elementType.dtype
            let description = TensorDescription(name: name, storedTypeName: elementType.storageName,
                                                dtype: dtype, shape: reference.shape)
            descriptions.append(description)
            references[name] = (reference, description)
        }
        self.descriptions = descriptions
        self.references = references
    }

    public func record(named name: String) throws -> TensorRecord {
        guard let (reference, description) = references[name] else {
            throw TensorFileError.noSuchTensor(file: path, tensor: name)
        }
        let storage = reference.storage
        let recordName = "\(topFolder)/data/\(storage.key)"
        guard let entry = container.entries[recordName] else {
            throw TorchArchiveError.missingStorageRecord(file: path, tensor: name, record: recordName)
        }
        let (offset, count) = try container.storedData(of: entry)
        let (storageBytes, overflow) = storage.elementCount.multipliedReportingOverflow(by: storage.elementType.byteCount)
        guard !overflow, storageBytes <= count else {
            throw TorchArchiveError.storageRecordTooSmall(file: path, record: recordName,
                                                          needed: overflow ? Int.max : storageBytes, found: count)
        }
        // The offset lies inside the storage even for a view of no elements (at most one past
        // its end, as torch allows), and the highest element the view addresses lies inside it.
        guard reference.storageOffset <= storage.elementCount else {
            throw TorchArchiveError.offsetPastStorage(file: path, tensor: name, offset: reference.storageOffset,
                                                      available: storage.elementCount)
        }
        let elementCount = try Self.elementCount(of: reference, tensor: name, file: path)
        if elementCount > 0 {
            var last = reference.storageOffset
            for (size, stride) in zip(reference.shape, reference.strides) {
                let (step, stepOverflow) = (size - 1).multipliedReportingOverflow(by: stride)
                let (sum, sumOverflow) = last.addingReportingOverflow(step)
                guard !stepOverflow, !sumOverflow else {
                    throw TorchArchiveError.storageTooSmall(file: path, tensor: name, needed: Int.max,
                                                            available: storage.elementCount)
                }
                last = sum
            }
            guard last < storage.elementCount else {
                throw TorchArchiveError.storageTooSmall(file: path, tensor: name, needed: last + 1,
                                                        available: storage.elementCount)
            }
        }
        return TensorRecord(name: name, storedTypeName: description.storedTypeName, dtype: description.dtype,
                            shape: reference.shape, strides: reference.strides,
                            storageOffset: reference.storageOffset,
                            storage: StorageRegion(file: container.file, byteOffset: offset, byteCount: storageBytes))
    }

    private static func elementCount(of reference: TensorReference, tensor: String, file: String) throws -> Int {
        var count = 1
        for size in reference.shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw TorchArchiveError.shapeOverflow(file: file, tensor: tensor, shape: reference.shape) }
            count = product
        }
        return count
    }
}

/// Every way a `torch.save` archive's contents can be wrong (beyond its ZIP and pickle layers).
public enum TorchArchiveError: Error, Equatable, CustomStringConvertible {
    case noDataPickle(file: String)
    case severalDataPickles(file: String, records: [String])
    case bigEndian(file: String)
    case notAStateDict(file: String, found: String)
    case missingStorageRecord(file: String, tensor: String, record: String)
    case storageRecordTooSmall(file: String, record: String, needed: Int, found: Int)
    case storageTooSmall(file: String, tensor: String, needed: Int, available: Int)
    case offsetPastStorage(file: String, tensor: String, offset: Int, available: Int)
    case shapeOverflow(file: String, tensor: String, shape: [Int])

    public var description: String {
        switch self {
        case let .noDataPickle(file):
            "no <folder>/data.pkl record: a ZIP file but not a torch.save archive (\(file))"
        case let .severalDataPickles(file, records):
            "several data.pkl records (\(records.joined(separator: ", "))): cannot tell which is the checkpoint (\(file))"
        case let .bigEndian(file):
            "the archive was written on a big-endian machine, which is not supported (\(file))"
        case let .notAStateDict(file, found):
            "the archive holds a \(found), not a dict of tensors (\(file))"
        case let .missingStorageRecord(file, tensor, record):
            "tensor \(tensor) refers to storage record \(record), which the archive lacks (\(file))"
        case let .storageRecordTooSmall(file, record, needed, found):
            "storage record \(record) holds \(found) bytes but its persistent id declares \(needed) (\(file))"
        case let .storageTooSmall(file, tensor, needed, available):
            "tensor \(tensor) addresses \(needed) elements of a storage of \(available) (size, stride and offset disagree) (\(file))"
        case let .offsetPastStorage(file, tensor, offset, available):
            "tensor \(tensor) starts at element \(offset) of a storage of \(available) (\(file))"
        case let .shapeOverflow(file, tensor, shape):
            "shape \(shape) of tensor \(tensor) overflows 64-bit sizes (\(file))"
        }
    }
}
