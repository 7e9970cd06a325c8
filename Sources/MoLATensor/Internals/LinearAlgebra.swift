import CBLAS
import CLAPACK
import Foundation

/// Safe Swift entry points to the BLAS and LAPACK routines the analyses use.
///
/// This is the only file of `MoLATensor` that imports the C libraries. Matrices are row-major
/// flat buffers; sizes are checked here (a mismatch is caller misuse and traps).
public enum LinearAlgebra {
    /// Sets the number of threads OpenBLAS may use for one call.
    ///
    /// Callers that already run BLAS calls in parallel set 1 to avoid oversubscription.
    /// The corresponding C function is `openblas_set_num_threads`.
    public static func setBLASThreadCount(_ count: Int) {
        precondition(count >= 1, "setBLASThreadCount: \(count) threads")
        openblas_set_num_threads(Int32(count))
    }

    /// The number of threads OpenBLAS may use for one call.
    ///
    /// The corresponding C function is `openblas_get_num_threads`.
    public static var blasThreadCount: Int { Int(openblas_get_num_threads()) }

    /// Runs `body` with OpenBLAS on one thread when `callersRunInParallel` (BLAS calls from
    /// several threads at once, where each multithreaded call would wait on the others), then
    /// restores the count.
    public static func withSingleThreadedBLAS<Result>(when callersRunInParallel: Bool,
                                                      _ body: () throws -> Result) rethrows -> Result {
        let previous = blasThreadCount
        guard callersRunInParallel, previous > 1 else { return try body() }
        setBLASThreadCount(1)
        defer { setBLASThreadCount(previous) }
        return try body()
    }

    /// The name of the kernel family OpenBLAS chose when it loaded (`Haswell`, `SkylakeX`, ...).
    ///
    /// The corresponding C function is `openblas_get_corename`.
    public static var blasKernelName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name).trimmingCharacters(in: .whitespaces)
    }

    /// The build OpenBLAS describes itself as (`OpenBLAS 0.3.21 DYNAMIC_ARCH ...`).
    ///
    /// The corresponding C function is `openblas_get_config`.
    public static var blasConfiguration: String {
        guard let configuration = openblas_get_config() else { return "unknown" }
        return String(cString: configuration).trimmingCharacters(in: .whitespaces)
    }

    /// The Gram matrix of the rows of `matrix`: `G = M M^T`, full (both triangles filled).
    ///
    /// ```
    /// M is [rows, columns]      G is [rows, rows]      G[i][j] = <row i, row j>
    /// ```
    /// The corresponding C function is `cblas_dsyrk`.
    public static func gramOfRows(_ matrix: UnsafeBufferPointer<Double>, rows: Int, columns: Int,
                                  into gram: UnsafeMutableBufferPointer<Double>) {
        precondition(rows >= 0 && columns >= 0 && matrix.count >= rows * columns,
                     "gramOfRows: buffer of \(matrix.count) for [\(rows), \(columns)]")
        precondition(gram.count >= rows * rows, "gramOfRows: output smaller than [\(rows), \(rows)]")
        guard rows > 0 else { return }
        if columns == 0 {
            gram.update(repeating: 0)
            return
        }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(rows), Int32(columns),
                    1.0, matrix.baseAddress, Int32(columns), 0.0, gram.baseAddress, Int32(rows))
        mirrorUpperTriangle(gram, size: rows)
    }

    /// The Gram matrix of the columns of `matrix`: `G = M^T M`, full (both triangles filled).
    ///
    /// ```
    /// M is [rows, columns]      G is [columns, columns]      G[i][j] = <column i, column j>
    /// ```
    /// The corresponding C function is `cblas_dsyrk`.
    public static func gramOfColumns(_ matrix: UnsafeBufferPointer<Double>, rows: Int, columns: Int,
                                     into gram: UnsafeMutableBufferPointer<Double>) {
        precondition(rows >= 0 && columns >= 0 && matrix.count >= rows * columns,
                     "gramOfColumns: buffer of \(matrix.count) for [\(rows), \(columns)]")
        precondition(gram.count >= columns * columns,
                     "gramOfColumns: output smaller than [\(columns), \(columns)]")
        guard columns > 0 else { return }
        if rows == 0 {
            gram.update(repeating: 0)
            return
        }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(columns), Int32(rows),
                    1.0, matrix.baseAddress, Int32(columns), 0.0, gram.baseAddress, Int32(columns))
        mirrorUpperTriangle(gram, size: columns)
    }

    /// Row-major single-precision matrix product `C = alpha * op(A) op(B) + beta * C`.
    ///
    /// ```
    /// op(A) is [m, k]   op(B) is [k, n]   C is [m, n]
    /// ```
    /// `transposeA` means A is stored as `[k, m]`; leading dimensions default to the stored
    /// row lengths and may be larger (views into wider matrices).
    /// The corresponding C function is `cblas_sgemm`; a single row (`m` 1, the key/value-cache
    /// generator's products) goes to `cblas_sgemv`, which reads B once where sgemm first copies
    /// (packs) all of it.
    public static func multiply(_ a: UnsafePointer<Float>, transposeA: Bool = false, leadingA: Int? = nil,
                                _ b: UnsafePointer<Float>, transposeB: Bool = false, leadingB: Int? = nil,
                                into c: UnsafeMutablePointer<Float>, leadingC: Int? = nil,
                                m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0) {
        precondition(m >= 0 && n >= 0 && k >= 0, "multiply: negative size")
        guard m > 0, n > 0 else { return }
        let lda = leadingA ?? (transposeA ? m : k)
        let ldb = leadingB ?? (transposeB ? k : n)
        let ldc = leadingC ?? n
        precondition(lda >= (transposeA ? m : k) && ldb >= (transposeB ? k : n) && ldc >= n, "multiply: leading dimension too small")
        if k == 0 {
            for row in 0..<m { for column in 0..<n { c[row * ldc + column] = beta == 0 ? 0 : c[row * ldc + column] * beta } }
            return
        }
        if m == 1 {
            // c = alpha op(B)^T a + beta c: B [n, k] (transposeB) is y = B x, else B [k, n] is y = B^T x.
            // a's k values lie at stride 1, or at stride lda when A is stored transposed ([k, 1]).
            cblas_sgemv(CblasRowMajor, transposeB ? CblasNoTrans : CblasTrans, Int32(transposeB ? n : k), Int32(transposeB ? k : n),
                        alpha, b, Int32(ldb), a, Int32(transposeA ? lda : 1), beta, c, 1)
            return
        }
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The thin QR factorisation of a column-major matrix, `M = Q R`, in place.
    ///
    /// ```
    /// M is [rows, columns], column-major (column c at c * rows)      k = min(rows, columns)
    /// Q is [rows, k], orthonormal columns (written over M's first k columns when formQ)
    /// R is [k, columns], upper triangular, row-major, written to `upperTriangle`
    /// ```
    /// A row-major `[columns, rows]` buffer is the same bytes as a column-major `[rows, columns]`
    /// one, so `A_i` (`[r, d_in]`) factors as `A_i^T` without a copy.
    /// The corresponding C functions are `LAPACKE_dgeqrf_work` and `LAPACKE_dorgqr_work`: the
    /// `_work` forms skip LAPACKE's scan of the matrix for NaN (8% of the subspace analysis; the
    /// callers check finiteness themselves: NaN in, garbage out) and its allocation of a workspace per call.
    /// - Throws: `LinearAlgebraError.lapackFailed` with LAPACK's `info`.
    public static func thinQR(_ matrix: UnsafeMutableBufferPointer<Double>, rows: Int, columns: Int,
                              upperTriangle: UnsafeMutableBufferPointer<Double>, formQ: Bool) throws(LinearAlgebraError) {
        let k = min(rows, columns)
        precondition(rows >= 0 && columns >= 0 && matrix.count >= rows * columns, "thinQR: buffer of \(matrix.count) for [\(rows), \(columns)]")
        precondition(upperTriangle.count >= k * columns, "thinQR: R smaller than [\(k), \(columns)]")
        guard k > 0 else { return }
        var tau = [Double](repeating: 0, count: k)
        // Blocked routines need at most columns x block size; 64 columns of blocks is ample.
        var work = [Double](repeating: 0, count: max(1, columns) * 64)
        let status = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, LAPACKInteger(rows), LAPACKInteger(columns), matrix.baseAddress,
                                         LAPACKInteger(rows), &tau, &work, LAPACKInteger(work.count))
        guard status == 0 else { throw .lapackFailed(routine: "dgeqrf", info: Int(status)) }
        for row in 0..<k {
            for column in 0..<columns {
                upperTriangle[row * columns + column] = column >= row ? matrix[column * rows + row] : 0
            }
        }
        guard formQ else { return }
        let formed = LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, LAPACKInteger(rows), LAPACKInteger(k), LAPACKInteger(k), matrix.baseAddress,
                                         LAPACKInteger(rows), &tau, &work, LAPACKInteger(work.count))
        guard formed == 0 else { throw .lapackFailed(routine: "dorgqr", info: Int(formed)) }
    }

    /// The singular value decomposition of a small row-major matrix, `M = U diag(S) V^T`.
    ///
    /// ```
    /// M is [rows, columns]     k = min(rows, columns)
    /// S is [k], descending     U is [rows, k]     V^T is [k, columns]   (only when vectors)
    /// ```
    /// `matrix` is left as it was (a copy is factored).
    /// The corresponding C function is `LAPACKE_dgesdd`.
    /// - Throws: `LinearAlgebraError.lapackFailed` with LAPACK's `info` (positive: no convergence).
    public static func singularValueDecomposition(_ matrix: UnsafeBufferPointer<Double>, rows: Int, columns: Int,
                                                  singularValues: UnsafeMutableBufferPointer<Double>,
                                                  vectors: (u: UnsafeMutableBufferPointer<Double>, vt: UnsafeMutableBufferPointer<Double>)?)
        throws(LinearAlgebraError) {
        let k = min(rows, columns)
        precondition(rows >= 0 && columns >= 0 && matrix.count >= rows * columns && singularValues.count >= k,
                     "singularValueDecomposition: buffers too small for [\(rows), \(columns)]")
        guard k > 0 else { return }
        var copy = Array(matrix[0..<(rows * columns)])
        let status: LAPACKInteger
        if let vectors {
            precondition(vectors.u.count >= rows * k && vectors.vt.count >= k * columns, "singularValueDecomposition: U or V^T too small")
            status = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "S")), LAPACKInteger(rows), LAPACKInteger(columns), &copy,
                                    LAPACKInteger(columns), singularValues.baseAddress, vectors.u.baseAddress, LAPACKInteger(k),
                                    vectors.vt.baseAddress, LAPACKInteger(columns))
        } else {
            status = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "N")), LAPACKInteger(rows), LAPACKInteger(columns), &copy,
                                    LAPACKInteger(columns), singularValues.baseAddress, nil, LAPACKInteger(max(1, k)), nil, LAPACKInteger(columns))
        }
        guard status == 0 else { throw .lapackFailed(routine: "dgesdd", info: Int(status)) }
    }

    /// The eigenvalues of a symmetric row-major matrix, ascending.
    ///
    /// ```
    /// M is [size, size], symmetric (only its upper triangle is read)     values is [size], ascending
    /// ```
    /// `matrix` is left as it was (a copy is factored).
    /// The corresponding C function is `LAPACKE_dsyevd`.
    /// - Throws: `LinearAlgebraError.lapackFailed` with LAPACK's `info` (positive: no convergence).
    public static func symmetricEigenvalues(_ matrix: UnsafeBufferPointer<Double>, size: Int,
                                            values: UnsafeMutableBufferPointer<Double>) throws(LinearAlgebraError) {
        precondition(size >= 0 && matrix.count >= size * size && values.count >= size,
                     "symmetricEigenvalues: buffers too small for [\(size), \(size)]")
        guard size > 0 else { return }
        var copy = Array(matrix[0..<(size * size)])
        let status = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "U")), LAPACKInteger(size),
                                    &copy, LAPACKInteger(size), values.baseAddress)
        guard status == 0 else { throw .lapackFailed(routine: "dsyevd", info: Int(status)) }
    }

    private static func mirrorUpperTriangle(_ matrix: UnsafeMutableBufferPointer<Double>, size: Int) {
        for row in 1..<max(size, 1) {
            for column in 0..<row {
                matrix[row * size + column] = matrix[column * size + row]
            }
        }
    }
}

/// A LAPACK routine that reported failure.
public enum LinearAlgebraError: Error, Equatable, CustomStringConvertible {
    /// `info` as LAPACK returned it: negative, the argument at that position was illegal;
    /// positive, the routine did not converge (dgesdd) or similar.
    case lapackFailed(routine: String, info: Int)

    public var description: String {
        switch self {
        case let .lapackFailed(routine, info): "LAPACK \(routine) failed with info = \(info)"
        }
    }
}

/// LAPACKE's `lapack_int` (a macro, so not imported): 32 bits in Debian's liblapacke (LP64).
private typealias LAPACKInteger = Int32
