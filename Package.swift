// swift-tools-version:6.0
// mola-inspect: read MoLA (mixture of LoRA experts) checkpoints and measure their experts.
// Dependencies are system C libraries from Debian only: OpenBLAS (cblas), LAPACKE and Cairo
// (`libopenblas-dev liblapacke-dev libcairo2-dev`), each wrapped in a system-library target.
import PackageDescription

let package = Package(
    name: "mola-inspect",
    products: [
        .executable(name: "mola-inspect", targets: ["mola-inspect"]),
        .library(name: "MoLATensor", targets: ["MoLATensor"]),
        .library(name: "MoLACheckpoint", targets: ["MoLACheckpoint"]),
        .library(name: "MoLAFiles", targets: ["MoLAFiles"]),
        .library(name: "MoLAText", targets: ["MoLAText"]),
        .library(name: "MoLAAnalysis", targets: ["MoLAAnalysis"]),
        .library(name: "MoLARouting", targets: ["MoLARouting"]),
        .library(name: "MoLAPlot", targets: ["MoLAPlot"]),
        .library(name: "MoLAModel", targets: ["MoLAModel"]),
        .library(name: "MoLATrain", targets: ["MoLATrain"]),
        .library(name: "MoLACommandLine", targets: ["MoLACommandLine"]),
        .executable(name: "mola-benchmark", targets: ["mola-benchmark"]),
        .executable(name: "mola-fuzz", targets: ["mola-fuzz"]),
    ],
    targets: [
        // System libraries: a module map and a shim header each, nothing else.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS",
                       providers: [.apt(["libopenblas-dev"])]),
        // LAPACKE: thin QR and small SVDs for the subspace and spectrum analyses.
        .systemLibrary(name: "CLAPACK", path: "Sources/CLAPACK",
                       providers: [.apt(["liblapacke-dev"])]),
        .systemLibrary(name: "CCairo", path: "Sources/CCairo", pkgConfig: "cairo",
                       providers: [.apt(["libcairo2-dev"])]),

        // Libraries, dependencies pointing one way (each line below depends only on lines above it).
        // Files read without blocking and written atomically, the JSON documents every format type
        // reads and writes through, and the memory budget asked before sizes from a file are allocated.
        .target(name: "MoLAFiles"),
        // Element types, vectorised math, the BLAS and LAPACK wrappers.
        .target(name: "MoLATensor", dependencies: ["CBLAS", "CLAPACK"]),
        // The file formats (safetensors, torch.save, adapter_config.json, the sidecar) and the adapter model.
        .target(name: "MoLACheckpoint", dependencies: ["MoLATensor", "MoLAFiles"]),
        // Tokenizers, datasets and prompt templates: text to token ids; knows nothing of models.
        .target(name: "MoLAText", dependencies: ["MoLAFiles"]),
        // The LLaMA decoder with MoLA adapters, forward and backward; below routing and the trainer.
        .target(name: "MoLAModel", dependencies: ["MoLATensor", "MoLACheckpoint", "MoLAFiles"]),
        // Expert redundancy and finiteness: from the adapter's weights alone, no model.
        .target(name: "MoLAAnalysis", dependencies: ["MoLATensor", "MoLACheckpoint", "MoLAFiles"]),
        // Routing statistics: the model run over data, every router's choices gathered.
        .target(name: "MoLARouting", dependencies: ["MoLAModel", "MoLACheckpoint", "MoLAFiles"]),
        .target(name: "MoLATrain", dependencies: ["MoLAModel", "MoLAText", "MoLACheckpoint", "MoLATensor", "MoLAFiles"]),
        // Draws numbers and labels; knows nothing about checkpoints.
        .target(name: "MoLAPlot", dependencies: ["CCairo", "MoLAFiles"]),
        // Declared commands: typed options as property wrappers, help and usage errors from them.
        // Depends only on MoLAFiles (standard streams written with errors checked); both executables parse with it.
        .target(name: "MoLACommandLine", dependencies: ["MoLAFiles"]),
        .executableTarget(name: "mola-inspect",
                          dependencies: ["MoLACommandLine", "MoLATensor", "MoLAFiles", "MoLACheckpoint", "MoLAText", "MoLAModel",
                                         "MoLAAnalysis", "MoLARouting", "MoLAPlot", "MoLATrain"]),

        // Every parser of untrusted files as a fuzz target (bytes in, any thrown error accepted),
        // replayed by the tests and driven by libFuzzer in the fuzzing build of mola-fuzz.
        .target(name: "MoLAFuzzTargets",
                dependencies: ["MoLACheckpoint", "MoLAFiles", "MoLAText", "MoLAModel", "MoLAAnalysis", "MoLARouting", "MoLATrain"]),
        // notebooks-cli/fuzz.sh builds it with -DMOLA_LIBFUZZER -sanitize=fuzzer,address (libFuzzer's main);
        // the normal build is a replayer of saved inputs.
        .executableTarget(name: "mola-fuzz", dependencies: ["MoLAFuzzTargets", "MoLACommandLine"]),

        // Shared by the test targets: assertClose, fixture paths, builders of malformed files.
        .target(name: "MoLATestSupport", dependencies: ["MoLATensor"], path: "Tests/TestSupport"),
        // The model-core benchmark (benchmarks/model_step.py runs it beside PyTorch).
        .executableTarget(name: "mola-benchmark",
                          dependencies: ["MoLACommandLine", "MoLATensor", "MoLAModel", "MoLARouting", "MoLATrain", "MoLACheckpoint"]),

        .testTarget(name: "MoLAFilesTests", dependencies: ["MoLAFiles", "MoLATestSupport"]),
        .testTarget(name: "MoLATensorTests", dependencies: ["MoLATensor", "MoLATestSupport"]),
        .testTarget(name: "MoLATextTests", dependencies: ["MoLAText", "MoLAFiles", "MoLATestSupport"]),
        .testTarget(name: "MoLARoutingTests",
                    dependencies: ["MoLARouting", "MoLAModel", "MoLACheckpoint", "MoLAFiles", "MoLATestSupport"]),
        .testTarget(name: "MoLACheckpointTests", dependencies: ["MoLACheckpoint", "MoLAFiles", "MoLATensor", "MoLATestSupport"]),
        .testTarget(name: "MoLAAnalysisTests",
                    dependencies: ["MoLAAnalysis", "MoLACheckpoint", "MoLAFiles", "MoLATensor", "MoLATestSupport"]),
        .testTarget(name: "MoLAPlotTests", dependencies: ["MoLAPlot", "MoLATestSupport"]),
        .testTarget(name: "MoLATrainTests",
                    dependencies: ["MoLATrain", "MoLAModel", "MoLAText", "MoLACheckpoint", "MoLAFiles", "MoLATensor", "MoLATestSupport"]),
        .testTarget(name: "MoLAModelTests", dependencies: ["MoLAModel", "MoLACheckpoint", "MoLAFiles", "MoLATensor", "MoLATestSupport"]),
        .testTarget(name: "MoLACommandLineTests", dependencies: ["MoLACommandLine"]),
        .testTarget(name: "MoLAFuzzTargetsTests", dependencies: ["MoLAFuzzTargets", "MoLACheckpoint", "MoLATestSupport"]),
        .testTarget(name: "MolaInspectTests", dependencies: ["mola-inspect", "MoLAPlot", "MoLATestSupport"],
                    exclude: ["Snapshots"]),
    ]
)
