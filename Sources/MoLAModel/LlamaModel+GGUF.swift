import Foundation
import MoLACheckpoint

extension LlamaModel {
    /// Copies a GGUF base's weights (any type `GGUFFile` dequantizes) into this model, with the
    /// rows of `attn_q` and `attn_k` put back in Hugging Face's order (`unpermuteRotaryRows`).
    ///
    /// - Throws: `ModelError.missingTensor` or `.tensorShape` naming the tensor, `GGUFError` for a
    ///   tensor whose type cannot be dequantized.
    public func loadBase(gguf file: GGUFFile) throws {
        let names = GGUFBaseTensorName.map(config)
        for name in base.names {
            guard let ggufName = names[name] else { preconditionFailure("no GGUF name for \(name)") }
            let view = base.view(name)
            let expected = BaseTensorName.fileShape(name, view)
            guard let tensor = try? file.tensor(named: ggufName) else {
                throw ModelError.missingTensor(file: file.path, tensor: ggufName, expected: expected)
            }
            guard tensor.shape == expected else {
                throw ModelError.tensorShape(file: file.path, tensor: ggufName, expected: expected, found: tensor.shape)
            }
            let layer = name.hasPrefix("model.layers.") ? Int(name.split(separator: ".")[2]) : nil
            if let layer, name == BaseTensorName.projection(layer: layer, .query) {
                base.write(name, Self.unpermuteRotaryRows(try file.floats(of: tensor), headCount: config.headCount, columns: view.columns))
            } else if let layer, name == BaseTensorName.projection(layer: layer, .key) {
                base.write(name, Self.unpermuteRotaryRows(try file.floats(of: tensor), headCount: config.keyValueHeadCount,
                                                          columns: view.columns))
            } else {
                precondition(view.rowStride == view.columns, "base views are contiguous")
                try file.dequantize(tensor, into: UnsafeMutableBufferPointer(start: base.values(view), count: view.count))
            }
        }
    }

    /// Opens `path` and copies its weights (see `loadBase(gguf:)` for a file already open).
    public func loadBase(gguf path: String) throws {
        try loadBase(gguf: GGUFFile(path: path))
    }

    /// Undoes `convert_hf_to_gguf.py`'s `LlamaModel.permute` on the rows of a q or k matrix.
    ///
    /// The converter reorders each head's rows so that llama.cpp's rotary embedding, which
    /// rotates neighbouring pairs (2j, 2j + 1), computes what Hugging Face's rotate-half computes
    /// on the pairs (j, j + D/2). Within a head of D rows:
    /// ```
    /// gguf row 2 j + i  =  hf row i D/2 + j        i in {0, 1}, j in 0..<D/2
    /// ```
    /// For k the converter uses the key/value head count, so `headCount` is that for k.
    ///
    /// - Parameters:
    ///   - rows: the matrix as stored, `[headCount D, columns]`, row-major.
    /// - Returns: the matrix in Hugging Face's row order.
    static func unpermuteRotaryRows(_ rows: [Float], headCount: Int, columns: Int) -> [Float] {
        let rowCount = rows.count / columns
        let headSize = rowCount / headCount, half = headSize / 2
        precondition(rows.count == rowCount * columns && headSize * headCount == rowCount && headSize % 2 == 0,
                     "unpermuteRotaryRows: \(rowCount) rows do not split into \(headCount) heads of even size")
        var result = [Float](repeating: 0, count: rows.count)
        for head in 0..<headCount {
            for i in 0..<2 {
                for j in 0..<half {
                    let target = (head * headSize + i * half + j) * columns, source = (head * headSize + 2 * j + i) * columns
                    result[target..<(target + columns)] = rows[source..<(source + columns)]
                }
            }
        }
        return result
    }
}

/// Where a base model comes from: what `--base` names.
public enum BaseModelSource: Sendable, Equatable {
    /// A Hugging Face directory: `config.json`, the weights (`BaseWeightFiles`), the tokenizer's files.
    case huggingFace(directory: String)
    /// A llama.cpp GGUF file: configuration, tokenizer and weights in one.
    case gguf(file: String)

    /// A directory is a Hugging Face base; a file named `*.gguf` a GGUF base (opening it refuses
    /// anything but a regular file, without reading from a pipe).
    ///
    /// - Throws: `ModelError.invalidConfig` for a path that is neither.
    public init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ModelError.invalidConfig("no such base: \(path) is neither a Hugging Face model directory nor a .gguf file")
        }
        if isDirectory.boolValue {
            self = .huggingFace(directory: path)
            return
        }
        guard path.lowercased().hasSuffix(".gguf") else {
            throw ModelError.invalidConfig("\(path) is a file but not a .gguf file: give a GGUF file or a Hugging Face model directory")
        }
        self = .gguf(file: path)
    }
}
