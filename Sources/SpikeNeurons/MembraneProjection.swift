import Foundation
import SpikeTensor

/// How the general-SNN merges two membranes into the starting membrane of the next window
/// (the paper's "projection function", learned threshold and activation).
public enum MembraneProjection: String, Sendable, CaseIterable, Codable {
    /// P(a, b) = 2·sin((π/4)·a·cos((π/4)·b)), bounded in [−2, 2] (CIFAR-10 and RNN code).
    case sincos
    /// P(a, b) = (a + b)/2 (CIFAR-100 code).
    case mean

    /// P(a, b) element-wise for equally shaped a and b, differentiable in both.
    ///
    /// sincos gradients, with c = cos(πb/4) and u = (π/4)·a·c:
    ///   ∂P/∂a = 2·cos(u)·(π/4)·c,   ∂P/∂b = −2·cos(u)·(π/4)²·a·sin(πb/4).
    public func callAsFunction(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.dtype == .float32 && b.dtype == .float32, "MembraneProjection: inputs must be float32")
        precondition(a.shape == b.shape, "MembraneProjection: shapes \(a.shape) and \(b.shape) differ")
        let n = a.count
        let out = Tensor(shape: a.shape, uninitialized: true)
        let pa = UnsafePointer(a.floats.baseAddress!), pb = UnsafePointer(b.floats.baseAddress!)
        let po = out.floats.baseAddress!
        let quarterPi = Float.pi / 4
        switch self {
        case .sincos:
            parallelChunks(n, minChunk: 1 << 13) { range in
                for i in range {
                    // The authors' order: (a·π/4)·cos(b·π/4), each product left to right.
                    po[i] = 2 * Foundation.sin(pa[i] * Float.pi / 4 * Foundation.cos(pb[i] * Float.pi / 4))
                }
            }
        case .mean:
            parallelChunks(n, minChunk: 1 << 15) { range in
                for i in range { po[i] = (pa[i] + pb[i]) / 2 }
            }
        }
        // Saved for backward: nothing beyond the inputs a and b (held by the graph); sincos
        // recomputes its sines and cosines, which costs less than storing them.
        return Tensor.record("projection.\(rawValue)", output: out, inputs: [a, b]) { g in
            let pg = UnsafePointer(g.floats.baseAddress!)
            let ga = a.requiresGrad ? Tensor(shape: a.shape, uninitialized: true) : nil
            let gb = b.requiresGrad ? Tensor(shape: b.shape, uninitialized: true) : nil
            let pga = ga?.floats.baseAddress, pgb = gb?.floats.baseAddress
            switch self {
            case .sincos:
                parallelChunks(n, minChunk: 1 << 13) { range in
                    for i in range {
                        let c = Foundation.cos(pb[i] * Float.pi / 4)
                        let outer = 2 * Foundation.cos(pa[i] * Float.pi / 4 * c) * pg[i]
                        pga?[i] = outer * quarterPi * c
                        pgb?[i] = -outer * quarterPi * quarterPi * pa[i] * Foundation.sin(pb[i] * Float.pi / 4)
                    }
                }
            case .mean:
                parallelChunks(n, minChunk: 1 << 15) { range in
                    for i in range {
                        pga?[i] = pg[i] / 2
                        pgb?[i] = pg[i] / 2
                    }
                }
            }
            return [ga, gb]
        }
    }
}
