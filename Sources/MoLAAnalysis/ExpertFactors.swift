import MoLACheckpoint
import MoLAFiles
import MoLATensor

/// The thin QR factors of every expert of one projection and the SVD of each `r x r` core.
///
/// ```
/// B_i  = Q_B R_B      Q_B is [d_out, r] orthonormal, R_B is [r, r]       (LAPACK dgeqrf, dorgqr)
/// A_i^T = Q_A R_A     Q_A is [d_in, r],  R_A is [r, r]
/// dW_i = s B_i A_i = s Q_B (R_B R_A^T) Q_A^T,    core C = R_B R_A^T = U_c diag(S) V_c^T   (dgesdd)
/// so dW_i = (Q_B U_c) diag(s S) (Q_A V_c)^T: its singular values are |s| S, its column space is
/// spanned by Q_B U_c and its row space by Q_A V_c (the first `numericalRank` columns of each).
/// ```
/// Costs `O(r^2 (d_in + d_out))` per expert; no `d x d` matrix is formed.
struct ExpertFactors {
    let experts: Int
    /// `k = min(r, d)` columns per expert in the bases.
    let rank: Int
    /// Per expert, the singular values of `dW_i` (the scale included), descending.
    let singularValues: [[Double]]
    /// Per expert, `U_c` (`[coreRows, k]`, row-major) when the column side was asked for, else
    /// `V_c`; empty without vectors.
    let coreVectors: [[Double]]
    /// `min(r, d)` of the side asked for: the rows of `coreVectors`.
    let coreRows: Int
    /// Stacked orthonormal bases of the side asked for, `[d, E k]` column-major (expert `i`'s
    /// `Q` in columns `i k ..< (i + 1) k`); empty without a side.
    let bases: UnsafeBufferPointer<Double>
    /// `d` of the side asked for.
    let baseRows: Int

    /// Singular values below this share of an expert's largest count as zero.
    static let rankTolerance = 1e-10

    /// The numerical rank of expert `i`: singular values above `rankTolerance` of the largest.
    func numericalRank(_ expert: Int) -> Int {
        let values = singularValues[expert]
        guard let largest = values.first, largest > 0 else { return 0 }
        return values.filter { $0 > Self.rankTolerance * largest }.count
    }

    /// Factors every expert of `projection`, forming the `Q` of `side` (none when nil).
    ///
    /// - Throws: `AnalysisError.nonFiniteValues` naming every tensor with NaN or infinity (LAPACK
    ///   would return garbage); `AnalysisError.lapackFailed` naming the tensor; read errors.
    init(_ projection: ProjectionAdapter, file: any TensorFile, side: SubspaceSide?, workspace: Workspace, scaled: Bool = true) throws {
        let (experts, r) = (projection.expertCount, projection.rank)
        let (inputWidth, outputWidth) = (projection.inputWidth, projection.outputWidth)
        let (kA, kB) = (min(r, inputWidth), min(r, outputWidth))
        var memory = MemoryEstimate()
        memory.add(experts, r, inputWidth + 2 * outputWidth, elementBytes: MemoryLayout<Double>.size)
        try memory.require(for: "the factors of \(projection.label) (\(experts) experts of rank \(r))")
        // A_i is [r, d_in] row-major: the bytes of A_i^T column-major, factored in place.
        let stackedA = workspace.buffer(10, count: experts * r * inputWidth)
        // B_i read row-major into `rows`, then transposed into column-major blocks.
        let rows = workspace.buffer(11, count: outputWidth * r)
        let stackedB = workspace.buffer(12, count: experts * r * outputWidth)
        var nonFinite: [String] = []
        for (expert, names) in projection.experts.enumerated() {
            let blockA = UnsafeMutableBufferPointer(rebasing: stackedA[(expert * r * inputWidth)..<((expert + 1) * r * inputWidth)])
            try file.record(named: names.a).read(into: blockA)
            if !Self.allFinite(UnsafeBufferPointer(blockA)) { nonFinite.append(names.a) }
            try file.record(named: names.b).read(into: rows)
            if !Self.allFinite(UnsafeBufferPointer(rows)) { nonFinite.append(names.b) }
            let base = expert * r * outputWidth
            for row in 0..<outputWidth { for p in 0..<r { stackedB[base + p * outputWidth + row] = rows[row * r + p] } }
        }
        guard nonFinite.isEmpty else { throw AnalysisError.nonFiniteValues(file: file.path, tensors: nonFinite) }
        let scale = scaled ? abs(projection.scale) : 1
        var rA = [Double](repeating: 0, count: kA * r), rB = [Double](repeating: 0, count: kB * r)
        var singularValues: [[Double]] = [], coreVectors: [[Double]] = []
        for expert in 0..<experts {
            let names = projection.experts[expert]
            func factor(_ buffer: UnsafeMutableBufferPointer<Double>, _ d: Int, into upper: inout [Double], formQ: Bool, tensor: String) throws {
                let block = UnsafeMutableBufferPointer(rebasing: buffer[(expert * r * d)..<((expert + 1) * r * d)])
                try Self.naming(tensor, file) {
                    try upper.withUnsafeMutableBufferPointer { try LinearAlgebra.thinQR(block, rows: d, columns: r, upperTriangle: $0, formQ: formQ) }
                }
            }
            try factor(stackedA, inputWidth, into: &rA, formQ: side == .row, tensor: names.a)
            try factor(stackedB, outputWidth, into: &rB, formQ: side == .column, tensor: names.b)
            // C = R_B R_A^T: [kB, kA].
            var core = [Double](repeating: 0, count: kB * kA)
            for row in 0..<kB { for column in 0..<kA { for p in 0..<r { core[row * kA + column] += rB[row * r + p] * rA[column * r + p] } } }
            let k = min(kA, kB)
            var values = [Double](repeating: 0, count: k)
            var u = [Double](repeating: 0, count: kB * k), vt = [Double](repeating: 0, count: k * kA)
            try Self.naming(names.b, file) {
                try core.withUnsafeBufferPointer { coreBuffer in
                    try values.withUnsafeMutableBufferPointer { valuesBuffer in
                        try u.withUnsafeMutableBufferPointer { uBuffer in
                            try vt.withUnsafeMutableBufferPointer { vtBuffer in
                                try LinearAlgebra.singularValueDecomposition(coreBuffer, rows: kB, columns: kA, singularValues: valuesBuffer,
                                                                             vectors: side == nil ? nil : (uBuffer, vtBuffer))
                            }
                        }
                    }
                }
            }
            singularValues.append(values.map { $0 * scale })
            switch side {
            case .column?: coreVectors.append(u)                     // [kB, k]
            case .row?: coreVectors.append((0..<(kA * k)).map { vt[($0 % k) * kA + $0 / k] })   // V = (V^T)^T: [kA, k]
            case nil: break
            }
        }
        self.experts = experts
        self.rank = min(kA, kB)
        self.singularValues = singularValues
        self.coreVectors = coreVectors
        coreRows = side == .row ? kA : kB
        switch side {
        case .column?: (bases, baseRows) = (UnsafeBufferPointer(stackedB), outputWidth)
        case .row?: (bases, baseRows) = (UnsafeBufferPointer(stackedA), inputWidth)
        case nil: (bases, baseRows) = (UnsafeBufferPointer(start: nil, count: 0), 0)
        }
    }

    /// Runs `body`, reporting a LAPACK failure with the tensor it was working on.
    private static func naming(_ tensor: String, _ file: any TensorFile, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let LinearAlgebraError.lapackFailed(routine, info) {
            throw AnalysisError.lapackFailed(file: file.path, tensor: tensor, routine: routine, info: info)
        }
    }

    /// Whether every value is finite: `x - x` is 0 for a finite `x` and NaN otherwise, summed
    /// eight lanes at a time without a branch (a per-element `isFinite` test does not vectorise).
    static func allFinite(_ values: UnsafeBufferPointer<Double>) -> Bool {
        guard let base = values.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        let stride = MemoryLayout<SIMD8<Double>>.stride
        var lanes = SIMD8<Double>()
        let whole = values.count / 8
        for index in 0..<whole {
            let chunk = raw.loadUnaligned(fromByteOffset: index * stride, as: SIMD8<Double>.self)
            lanes += chunk - chunk
        }
        var tail = 0.0
        for index in (whole * 8)..<values.count { tail += values[index] - values[index] }
        return (lanes.sum() + tail) == 0
    }
}
