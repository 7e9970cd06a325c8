import MoLACheckpoint

extension LlamaModel {
    /// A base projection's frozen weight `W0` of layer `layer`, `[output, input]` row-major, with
    /// its Hugging Face name (`model.layers.3.self_attn.q_proj.weight`).
    public func baseProjection(layer: Int, _ kind: ProjectionKind) -> (name: String, rows: Int, columns: Int, values: [Float]) {
        let name = BaseTensorName.projection(layer: layer, kind)
        let view = base.view(name)
        return (name, view.rows, view.columns, base.read(name))
    }
}
