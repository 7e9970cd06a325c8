/// Reusable scratch buffers, one per `Scratch.Role`, grown on demand.
///
/// Every role is a buffer of its own, so code holding one role's pointer (the lane's backward
/// holds `dNorm` while a projection's backward runs) can call code that uses other roles. A
/// pointer stays valid until the next request for the same role with a larger count.
final class Scratch {
    /// What a scratch buffer holds. Legend: N tokens, C hidden, F intermediate, V vocabulary,
    /// Ckv key/value width, Cin and Cout a projection's widths, E experts, R rank, K top-K.
    enum Role: Int, CaseIterable {
        // A decoder's backward (`Lane.backward`; dLoss/dlogits overwrite the logits).
        /// Into a norm's output, [N, C].
        case dNorm
        /// Into the residual stream, [N, C].
        case dResidual
        /// Into SwiGLU's output, gate and up, [N, F] each.
        case dActivated, dGate, dUp
        /// Into attention's output, [N, C].
        case dAttention
        /// Into q [N, C], k and v [N, Ckv].
        case dQuery, dKey, dValue

        // A projection's backward (`MoLALinear.backward`).
        /// Into G, [N, E R].
        case projectionDGated
        /// Into H, [N, E R].
        case projectionDHidden
        /// Into the renormalised routing weights, [N, K].
        case projectionDWeights
        /// Into the dropped-out input, [N, Cin].
        case projectionDInput
        /// Into the router's logits, [N, E].
        case routerDLogits

        // The chosen-experts forward (`MoLALinear.forwardWithoutBackward`), per expert i.
        /// The rows of x that chose i, [n_i, Cin].
        case gatheredInput
        /// Their H_i, [n_i, R].
        case expertHidden
        /// Their H_i B_i^T, [n_i, Cout].
        case expertOutput

        // The feed-forward experts' forward (`FeedForwardExperts.forward`, MixLoRA), per expert i,
        // beside `gatheredInput` (its rows of h), `expertHidden` and `expertOutput` (its down update).
        /// Its rows of gate's output, then their SwiGLU activation, [n_i, F].
        case expertGate
        /// Its rows of up's output, [n_i, F].
        case expertUp
    }

    private var buffers = Role.allCases.map { _ in FloatBuffer(count: 0) }

    /// At least `count` floats for `role` (contents undefined).
    func buffer(_ role: Role, _ count: Int) -> UnsafeMutablePointer<Float> {
        if buffers[role.rawValue].count < count { buffers[role.rawValue] = FloatBuffer(count: count) }
        return buffers[role.rawValue].pointer
    }
}
