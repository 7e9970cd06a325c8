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
        .library(name: "MoLAAnalysis", targets: ["MoLAAnalysis"]),
        .library(name: "MoLAPlot", targets: ["MoLAPlot"]),
        .library(name: "MoLAModel", targets: ["MoLAModel"]),
        .library(name: "MoLATrain", targets: ["MoLATrain"]),
        .library(name: "MoLACommandLine", targets: ["MoLACommandLine"]),
        .executable(name: "mola-benchmark", targets: ["mola-benchmark"]),
    ],
    targets: [
        // System libraries: a module map and a shim header each, nothing else.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLAPACK", path: "Sources/CLAPACK",
                       providers: [.apt(["liblapacke-dev"])]),
        .systemLibrary(name: "CCairo", path: "Sources/CCairo", pkgConfig: "cairo",
                       providers: [.apt(["libcairo2-dev"])]),

        // Libraries, dependencies pointing one way: tensor <- checkpoint <- analysis <- CLI.
        .target(name: "MoLATensor", dependencies: ["CBLAS", "CLAPACK"]),
        .target(name: "MoLACheckpoint", dependencies: ["MoLATensor"]),
        // The LLaMA decoder with MoLA adapters, forward and backward; below analyses and trainer.
        .target(name: "MoLAModel", dependencies: ["MoLATensor", "MoLACheckpoint"]),
        .target(name: "MoLATrain", dependencies: ["MoLAModel", "MoLACheckpoint", "MoLATensor"]),
        .target(name: "MoLAAnalysis", dependencies: ["MoLATensor", "MoLACheckpoint", "MoLAModel"]),
        // Draws numbers and labels; knows nothing about checkpoints.
        .target(name: "MoLAPlot", dependencies: ["CCairo"]),
        // Declared commands: typed options as property wrappers, help and usage errors from them.
        // Depends on nothing of ours; both executables parse with it.
        .target(name: "MoLACommandLine"),
        .executableTarget(name: "mola-inspect",
                          dependencies: ["MoLACommandLine", "MoLATensor", "MoLACheckpoint", "MoLAModel", "MoLAAnalysis", "MoLAPlot", "MoLATrain"]),

        // Shared by the test targets: assertClose, fixture paths, builders of malformed files.
        .target(name: "MoLATestSupport", dependencies: ["MoLATensor"], path: "Tests/TestSupport"),
        // The model-core benchmark (benchmarks/model_step.py runs it beside PyTorch).
        .executableTarget(name: "mola-benchmark", dependencies: ["MoLACommandLine", "MoLAModel", "MoLATrain", "MoLACheckpoint", "MoLAAnalysis"]),

        .testTarget(name: "MoLATensorTests", dependencies: ["MoLATensor", "MoLATestSupport"]),
        .testTarget(name: "MoLACheckpointTests", dependencies: ["MoLACheckpoint", "MoLATensor", "MoLATestSupport"]),
        .testTarget(name: "MoLAAnalysisTests",
                    dependencies: ["MoLAAnalysis", "MoLACheckpoint", "MoLAModel", "MoLATensor", "MoLATestSupport"]),
        .testTarget(name: "MoLAPlotTests", dependencies: ["MoLAPlot", "MoLATestSupport"]),
        .testTarget(name: "MoLATrainTests", dependencies: ["MoLATrain", "MoLAModel", "MoLATensor", "MoLATestSupport"]),
        .testTarget(name: "MoLAModelTests", dependencies: ["MoLAModel", "MoLACheckpoint", "MoLATensor", "MoLATestSupport"]),
        .testTarget(name: "MoLACommandLineTests", dependencies: ["MoLACommandLine"]),
        .testTarget(name: "MolaInspectTests", dependencies: ["mola-inspect", "MoLAPlot", "MoLATensor", "MoLATestSupport"],
                    exclude: ["Snapshots"]),
    ]
)
