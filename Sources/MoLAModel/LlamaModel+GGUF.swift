import Foundation
import MoLACheckpoint

extension LlamaModel {
    /// Copies a GGUF base's weights (any type `GGUFFile` dequantizes) into this model, with the
    /// rows of `attn_q` and `attn_k` put back in Hugging Face's order (`rotaryRowOrder`), and
    /// keeps the matrices stored as Q4_0, Q4_1 or Q8_0 in that form too (`quantizedBase`), for
    /// one-token products, unless `keepingQuantized` is false (a model that only trains).
    ///
    /// - Throws: `ModelError.missingTensor` or `.tensorShape` naming the tensor, `GGUFError` for a
    ///   tensor whose type cannot be dequantized, `MemoryError` (before anything is copied) when
    ///   the quantized matrices would not fit beside the model.
    public func loadBase(gguf file: GGUFFile, keepingQuantized: Bool = true) throws {
        let names = GGUFBaseTensorName.map(config)
        if keepingQuantized {
            var memory = Self.memoryRequirement(config: config, adapter: adapterSpec, batch: batch, time: time, threadCount: threadCount)
            for name in base.names where slot(of: name) != nil {
                guard let ggufName = names[name], let tensor = try? file.tensor(named: ggufName),
                      let matrix = GGUFFile.quantizedMemory(of: tensor) else { continue }
                memory.add(matrix)
            }
            try memory.require(for: "the model and the base's quantized matrices for generation", source: file.path)
        }
        var quantized = QuantizedBaseWeights(layerCount: config.layerCount)
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
            let slot = slot(of: name)
            var rotaryHeads: Int?
            if case .projection(_, .query)? = slot { rotaryHeads = config.headCount }
            if case .projection(_, .key)? = slot { rotaryHeads = config.keyValueHeadCount }
            if let rotaryHeads {
                base.write(name, Self.unpermuteRotaryRows(try file.floats(of: tensor), headCount: rotaryHeads, columns: view.columns))
            } else {
                precondition(view.rowStride == view.columns, "base views are contiguous")
                try file.dequantize(tensor, into: UnsafeMutableBufferPointer(start: base.values(view), count: view.count))
            }
            guard keepingQuantized else { continue }
            let rowOrder = rotaryHeads.map { Self.rotaryRowOrder(rowCount: view.rows, headCount: $0) }
            switch slot {
            case let .projection(layer, kind)?:
                quantized.projections[layer][kind.rawValue] = try file.quantizedMatrix(of: tensor, rowOrder: rowOrder)
            case .head?:
                quantized.head = try file.quantizedMatrix(of: tensor)
            case nil:
                break
            }
        }
        quantizedBase = keepingQuantized ? quantized : nil
    }

    /// The base tensors whose loading differs: a layer's projection (q and k rows un-permuted;
    /// a quantized form kept) and the LM head (the token embedding when the two are tied; a
    /// quantized form kept). Other tensors (norms, an untied embedding) have none.
    private enum Slot: Equatable {
        case projection(layer: Int, kind: ProjectionKind)
        case head
    }

    private func slot(of name: String) -> Slot? {
        if name.hasPrefix("model.layers."), let layer = Int(name.split(separator: ".")[2]),
           let kind = ProjectionKind.allCases.first(where: { name == BaseTensorName.projection(layer: layer, $0) }) {
            return .projection(layer: layer, kind: kind)
        }
        return name == (config.tiedEmbeddings ? BaseTensorName.embedding : BaseTensorName.head) ? .head : nil
    }

    /// Opens `path` and copies its weights (see `loadBase(gguf:)` for a file already open).
    public func loadBase(gguf path: String) throws {
        try loadBase(gguf: GGUFFile(path: path))
    }

    /// Undoes `convert_hf_to_gguf.py`'s `LlamaModel.permute` on the rows of a q or k matrix.
    ///
    /// - Parameters:
    ///   - rows: the matrix as stored, `[headCount D, columns]`, row-major.
    /// - Returns: the matrix in Hugging Face's row order (`rotaryRowOrder`).
    static func unpermuteRotaryRows(_ rows: [Float], headCount: Int, columns: Int) -> [Float] {
        let order = rotaryRowOrder(rowCount: rows.count / columns, headCount: headCount)
        precondition(rows.count == order.count * columns, "unpermuteRotaryRows: \(rows.count) values are not rows of \(columns)")
        var result = [Float](repeating: 0, count: rows.count)
        for (target, source) in order.enumerated() {
            result[(target * columns)..<((target + 1) * columns)] = rows[(source * columns)..<((source + 1) * columns)]
        }
        return result
    }

    /// For each row of a q or k matrix in Hugging Face's order, the row of the GGUF file that
    /// holds it.
    ///
    /// The converter reorders each head's rows so that llama.cpp's rotary embedding, which
    /// rotates neighbouring pairs (2j, 2j + 1), computes what Hugging Face's rotate-half computes
    /// on the pairs (j, j + D/2). Within a head of D rows:
    /// ```
    /// gguf row 2 j + i  =  hf row i D/2 + j        i in {0, 1}, j in 0..<D/2
    /// ```
    /// For k the converter uses the key/value head count, so `headCount` is that for k.
    static func rotaryRowOrder(rowCount: Int, headCount: Int) -> [Int] {
        let headSize = rowCount / headCount, half = headSize / 2
        precondition(headSize * headCount == rowCount && headSize % 2 == 0,
                     "rotaryRowOrder: \(rowCount) rows do not split into \(headCount) heads of even size")
        var order = [Int](repeating: 0, count: rowCount)
        for head in 0..<headCount {
            for i in 0..<2 {
                for j in 0..<half { order[head * headSize + i * half + j] = head * headSize + 2 * j + i }
            }
        }
        return order
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
