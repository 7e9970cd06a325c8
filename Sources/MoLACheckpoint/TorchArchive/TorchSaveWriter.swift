import Foundation
import MoLAFiles
import MoLATensor

/// Writes a dict of F32 tensors as a `torch.save` archive that `torch.load` (including
/// `weights_only=True`) and `TorchArchive` read: the layout `TorchArchive` documents, with an
/// OrderedDict pickled at protocol 2, each tensor on a storage of its own.
public enum TorchSaveWriter {
    /// Writes `entries` to `path` atomically; `folder` is the archive's top folder.
    public static func write(_ entries: [SafetensorsWriter.Entry], to path: String, folder: String = "archive") throws {
        var zip = ZipWriter()
        try zip.add(name: "\(folder)/data.pkl", data: pickle(entries))
        try zip.add(name: "\(folder)/byteorder", data: Array("little".utf8))
        for (key, entry) in entries.enumerated() {
            try zip.add(name: "\(folder)/data/\(key)", data: entry.values.withUnsafeBytes { Array($0) })
        }
        try zip.add(name: "\(folder)/version", data: Array("3\n".utf8))
        let bytes = try zip.finish()
        try AtomicFileWriter.write(Data(bytes), to: path)
    }

    /// The pickle of `OrderedDict((name, _rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())), ...)`.
    static func pickle(_ entries: [SafetensorsWriter.Entry]) -> [UInt8] {
        var out: [UInt8] = [0x80, 0x02]  // PROTO 2
        func global(_ module: String, _ name: String) { out += [0x63] + Array("\(module)\n\(name)\n".utf8) }  // GLOBAL
        func string(_ text: String) { out += [0x58] + le(UInt32(text.utf8.count)) + Array(text.utf8) }  // BINUNICODE
        func integer(_ value: Int) {
            if value >= 0 && value < 1 << 31 {
                out += [0x4A] + le(Int32(value))  // BININT
            } else {
                out += [0x8A, 8] + le(Int64(value))  // LONG1, 8 bytes
            }
        }
        func tuple(_ values: [Int]) {
            out.append(0x28)  // MARK
            values.forEach(integer)
            out.append(0x74)  // TUPLE
        }
        global("collections", "OrderedDict")
        out += [0x29, 0x52]  // EMPTY_TUPLE, REDUCE
        out.append(0x28)  // MARK for SETITEMS
        for (key, entry) in entries.enumerated() {
            string(entry.name)
            global("torch._utils", "_rebuild_tensor_v2")
            out.append(0x28)  // MARK: arguments
            out.append(0x28)  // MARK: persistent id
            string("storage")
            global("torch", ElementType.float32.torchStorageName!)
            string(String(key))
            string("cpu")
            integer(entry.values.count)
            out += [0x74, 0x51]  // TUPLE, BINPERSID
            integer(0)
            tuple(entry.shape)
            tuple(TensorRecord.rowMajorStrides(for: entry.shape))
            out.append(0x89)  // NEWFALSE: requires_grad
            global("collections", "OrderedDict")
            out += [0x29, 0x52]  // OrderedDict(): backward hooks
            out += [0x74, 0x52]  // TUPLE, REDUCE
        }
        out += [0x75, 0x2E]  // SETITEMS, STOP
        return out
    }
}
