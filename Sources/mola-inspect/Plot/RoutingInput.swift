import Foundation
import MoLAAnalysis
import MoLACheckpoint
import MoLARouting
import MoLAFiles

/// Routing results for plotting: from the saved `routing --json` output, or computed now.
struct RoutingInput {
    struct Projection {
        let experts: Int
        let shares: [Double]
        let meanWeights: [Double?]
        let normalisedEntropy: Double
    }

    struct Layer {
        let layer: Int
        let balance: Double?
        /// By router site: the routed projections, and `mlp` for MixLoRA's feed-forward block.
        let projections: [RouterSite: Projection]

        /// Its routers that choose among experts, or all when each is plain LoRA (one expert, as
        /// MoE-PEFT's attention LoRA beside its MLP mixtures): plain LoRA routes nothing.
        var mixtures: [Projection] {
            let routed = projections.values.filter { $0.experts > 1 }
            return routed.isEmpty ? Array(projections.values) : routed
        }
    }

    let adapter: String
    let layers: [Layer]

    /// The figures' view of a report, computed now or read back.
    init(document: RoutingDocument) {
        adapter = document.adapter
        layers = document.layers.map { layer in
            Layer(layer: layer.layer, balance: layer.balance, projections: Dictionary(uniqueKeysWithValues: layer.projections.entries.map {
                ($0.kind, Projection(experts: $0.value.experts.count, shares: $0.value.experts.map(\.share),
                                     meanWeights: $0.value.experts.map(\.meanWeightWhenSelected),
                                     normalisedEntropy: $0.value.normalisedEntropy))
            }))
        }
    }

    init(view: RoutingView) {
        self.init(document: view.document)
    }

    /// Reads the JSON output of `mola-inspect routing`.
    init(json path: String) throws {
        do {
            self.init(document: try JSONDocument.read(RoutingDocument.self, from: path))
        } catch let error as JSONDocumentError {
            throw CommandError.failed("\(path) is not the JSON output of `mola-inspect routing`: \(error.problem)")
        }
    }

    /// From `routing --json` output when `input` is a .json file, else by running the options' base and data.
    static func load(_ input: String, routing: RoutingRunOptions, threads: Int) throws -> RoutingInput {
        var isDirectory: ObjCBool = false
        if input.lowercased().hasSuffix(".json"), FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory), !isDirectory.boolValue {
            return try RoutingInput(json: input)
        }
        return RoutingInput(view: try RoutingCommand.analyse(routing, threads: threads, adapterPath: input))
    }

    var maximumExperts: Int { layers.flatMap { $0.projections.values.map(\.experts) }.max() ?? 0 }

    /// Per layer, the mean over the routers `sites` of a per-expert value (nil past a layer's experts or when absent).
    func perExpert(_ sites: [RouterSite], _ value: (Projection, Int) -> Double?) -> [[Double?]] {
        layers.map { layer in
            (0..<maximumExperts).map { expert in
                let values = sites.compactMap { layer.projections[$0] }.filter { expert < $0.experts }.compactMap { value($0, expert) }
                return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
            }
        }
    }
}
