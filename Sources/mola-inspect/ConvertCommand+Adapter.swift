import Foundation
import MoLACheckpoint
import MoLACommandLine
import MoLAFiles

extension AdapterConversion.Layout: ExpressibleByArgument {}

extension ConvertCommand {
    /// The files a converted adapter may hold (each layout writes some of them).
    static let adapterFileNames = ["adapter_model.bin", "adapter_model.safetensors", Checkpoint.configFileName, Checkpoint.sidecarFileName]

    /// `convert CKPT --to mola|peft -o DIR`: plans the whole conversion (reading every value and
    /// refusing what would compute differently) before it writes anything.
    func convertAdapter(to layout: AdapterConversion.Layout, directory: String) throws {
        try OutputSafety.check(directory: directory, option: "--output", writing: Self.adapterFileNames, inputs: [.checkpoint(input.path)])
        let existing = Self.adapterFileNames.filter { FileManager.default.fileExists(atPath: URL(fileURLWithPath: directory).appendingPathComponent($0).path) }
        if !existing.isEmpty && !overwrite {
            throw CommandError.failed("\(directory) already holds an adapter (\(existing.joined(separator: ", "))); pass --overwrite to replace it")
        }
        let checkpoint = try Checkpoint(path: input.path)
        let conversion = try AdapterConversion(checkpoint, to: layout)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let folder = URL(fileURLWithPath: directory)
        // A stale file of the other layout would be read beside the new one: remove it.
        for name in existing { try FileManager.default.removeItem(at: folder.appendingPathComponent(name)) }
        let tensorPath = folder.appendingPathComponent(conversion.tensorFileName).path
        if layout == .mola {
            try TorchSaveWriter.write(conversion.tensors, to: tensorPath, folder: "adapter_model")
        } else {
            try SafetensorsWriter.write(conversion.tensors, metadata: ["format": "pt"], to: tensorPath)
        }
        try JSONDocument.write(conversion.config, to: folder.appendingPathComponent(Checkpoint.configFileName).path)
        if let sidecar = conversion.sidecar {
            try JSONDocument.write(sidecar, to: folder.appendingPathComponent(Checkpoint.sidecarFileName).path)
        }
        StandardStream.error.writeDiagnostic("wrote \(TerminalText.escaped(directory)) (\(checkpoint.adapter.framework.displayName) as \(layout == .mola ? "MoLA's reference layout" : "PEFT LoRA"))\n")
    }
}
