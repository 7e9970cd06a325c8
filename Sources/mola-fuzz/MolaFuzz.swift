// `mola-fuzz`: the parsers of MoLAFuzzTargets as fuzz targets.
//
// Built by `notebooks-cli/fuzz.sh` with `-DMOLA_LIBFUZZER -sanitize=fuzzer,address`,
// this file is the libFuzzer driver: libFuzzer supplies `main`, and the target is chosen by the
// binary's name (`fuzz-pickle`, a link fuzz.sh makes) or by `MOLA_FUZZ_TARGET`. In the normal
// build it is a replayer: `mola-fuzz TARGET FILE...` runs each file through the target and says
// what it threw, without sanitizers, so that a saved input can be looked at by hand.
import Foundation
import MoLAFuzzTargets

#if MOLA_LIBFUZZER

/// The target this process fuzzes, chosen once in `LLVMFuzzerInitialize` before any input runs
/// (libFuzzer calls both from one thread).
nonisolated(unsafe) private var selectedTarget: FuzzTarget?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<Int32>,
                             _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    let program = argv.pointee?.pointee.map { String(cString: $0) } ?? ""
    let linkName = URL(fileURLWithPath: program).lastPathComponent
    let name = linkName.hasPrefix("fuzz-") ? String(linkName.dropFirst(5)) : ProcessInfo.processInfo.environment["MOLA_FUZZ_TARGET"]
    guard let name, let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("error: no fuzz target: run as fuzz-<target> or set MOLA_FUZZ_TARGET to one of \(names)\n".utf8))
        exit(64)
    }
    selectedTarget = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    // Any thrown error is a refusal, the expected outcome for a malformed file.
    try? selectedTarget!.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

#else

import MoLACommandLine

@main
struct MolaFuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        name: "mola-fuzz", summary: "replay fuzz inputs through a parser",
        usage: "mola-fuzz <target> <file>...",
        abstract: "Runs each file through the fuzz target's parser and prints what it threw (or `accepted`). Targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")). The fuzzing build of this program (notebooks-cli/fuzz.sh) is the libFuzzer driver.")

    @Argument(valueName: "target", help: "the parser to run") var target: String
    @Argument(valueName: "file", help: "inputs to replay") var files: [String]

    func validate() throws {
        guard FuzzTarget(rawValue: target) != nil else {
            throw UsageError("unknown target \"\(target)\"; use \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let parser = FuzzTarget(rawValue: target)!
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { throw UsageError("cannot read \(file)") }
            do {
                try parser.run(Array(data))
                print("\(file): accepted")
            } catch {
                print("\(file): \(errorCaseName(error)): \(error)")
            }
        }
    }

    static func main() {
        main(Array(CommandLine.arguments.dropFirst()))
    }
}

#endif
