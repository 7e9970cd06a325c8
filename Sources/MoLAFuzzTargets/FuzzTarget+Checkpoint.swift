import MoLAAnalysis
import MoLACheckpoint
import MoLAModel

/// The binary checkpoint readers: what `info` and `redundancy` do with a downloaded file.
extension FuzzTarget {
    static func safetensors(_ bytes: UnsafeRawBufferPointer) throws {
        try FuzzScratch.withDirectory { directory in
            let file = try SafetensorsFile(path: directory.write(bytes, to: "adapter_model.safetensors"))
            try readEveryTensor(of: file)
            try analyseAsAdapter(file)
        }
    }

    static func zip(_ bytes: UnsafeRawBufferPointer) throws {
        try FuzzScratch.withDirectory { directory in
            let archive = try ZipArchive(file: MappedFile(path: directory.write(bytes, to: "archive.zip")))
            for name in archive.names {
                let (offset, count) = try archive.storedData(of: archive.entries[name]!)
                // The range the reader vouched for must lie inside the mapping.
                guard archive.file.bytes(at: offset, count: count) != nil else {
                    preconditionFailure("ZipArchive.storedData gave [\(offset), +\(count)) outside the \(archive.file.size)-byte file")
                }
            }
        }
    }

    static func pickle(_ bytes: UnsafeRawBufferPointer) throws {
        _ = try PickleMachine.load(bytes, source: "fuzz:data.pkl")
    }

    static func torchArchive(_ bytes: UnsafeRawBufferPointer) throws {
        try FuzzScratch.withDirectory { directory in
            let file = try openTensorFile(path: directory.write(bytes, to: "adapter_model.bin"))
            try readEveryTensor(of: file)
            try analyseAsAdapter(file)
        }
    }

    /// What a GGUF base goes through before the model is allocated (allocating it is left out: a
    /// small file can describe a model of gigabytes, which the memory check allows), the blocks
    /// kept for generation included.
    static func gguf(_ bytes: UnsafeRawBufferPointer) throws {
        try FuzzScratch.withDirectory { directory in
            let file = try GGUFFile(path: directory.write(bytes, to: "base.gguf"))
            for tensor in file.tensors where tensor.type.isDequantizable {
                let values = try file.floats(of: tensor, threadCount: 1)
                guard values.count == tensor.elementCount else {
                    preconditionFailure("GGUFFile.floats gave \(values.count) values for \(tensor.elementCount) elements")
                }
                // The blocks generation reads hold the same values, bit for bit (a NaN's payload
                // aside: which operand's NaN an addition keeps is the compiler's choice).
                if let matrix = try file.quantizedMatrix(of: tensor),
                   !Swift.zip(matrix.dequantized(), values).allSatisfy({ $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }) {
                    preconditionFailure("GGUFFile.quantizedMatrix of \(tensor.name) differs from its dequantized values")
                }
            }
            _ = try? GGUFTokenizerMetadata(file.metadata)
            _ = try ModelConfig(gguf: file)
        }
    }

    /// Converts every tensor of a type this project reads (as `info --values` and the analyses do).
    private static func readEveryTensor(of file: any TensorFile) throws {
        for description in file.descriptions {
            let record = try file.record(named: description.name)
            guard record.dtype != nil else { continue }
            _ = try record.doubles()
        }
    }

    /// Infers the adapter's structure from the names and shapes and measures its experts, as
    /// `redundancy` does; a file that is not an adapter is refused by `MoLAAdapter`.
    private static func analyseAsAdapter(_ file: any TensorFile) throws {
        let adapter = try MoLAAdapter(file: file, config: nil)
        _ = try RedundancyAnalyzer.analyze(adapter, options: RedundancyOptions(projections: Set(ProjectionKind.allCases)))
    }
}
