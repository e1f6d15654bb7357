import Foundation
import Testing
@testable import SpikeTensor

@Suite("Vectorised exp, sigmoid and tanh")
struct VectorMathTests {
    /// Values from −90 to 90, dense near 0, plus exact edge points.
    static let samples: [Float] = {
        var v: [Float] = [0, -0, 1e-6, -1e-6, 0.625, -0.625, 0.6249, 88, -87, 87.5]
        var x: Float = -90
        while x <= 90 { v.append(x); x += 0.0137 }
        for k in 0..<2000 { v.append(Float(k - 1000) * 1e-3) }
        return v
    }()

    @Test("exp has a relative error of a few ulp over the float range")
    func exp() {
        var worst = 0.0
        for x in Self.samples where x >= -87 && x <= 88 {
            let exact = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(VectorMath.exp(x)) - exact) / exact)
        }
        #expect(worst < 5e-7, "worst relative error \(worst)")
        #expect(VectorMath.exp(-1000) < 2e-38 && VectorMath.exp(-1000) >= 0)
        #expect(VectorMath.exp(1000).isFinite)
        #expect(VectorMath.exp(Float.nan).isNaN)
    }

    @Test("sigmoid and tanh match Double to 2e-7 absolute, tanh also relatively near 0")
    func sigmoidAndTanh() {
        var worstSigmoid = 0.0, worstTanh = 0.0, worstTanhRelative = 0.0
        for x in Self.samples {
            let d = Double(x)
            worstSigmoid = max(worstSigmoid, abs(Double(VectorMath.sigmoid(x)) - 1 / (1 + Foundation.exp(-d))))
            let t = Foundation.tanh(d)
            worstTanh = max(worstTanh, abs(Double(VectorMath.tanh(x)) - t))
            if x != 0 && abs(x) < 1 { worstTanhRelative = max(worstTanhRelative, abs(Double(VectorMath.tanh(x)) - t) / abs(t)) }
        }
        #expect(worstSigmoid < 2e-7, "sigmoid \(worstSigmoid)")
        #expect(worstTanh < 2e-7, "tanh \(worstTanh)")
        #expect(worstTanhRelative < 1e-6, "tanh relative \(worstTanhRelative)")
        #expect(VectorMath.tanh(-0.3) == -VectorMath.tanh(0.3))
        #expect(VectorMath.tanh(Float.nan).isNaN && VectorMath.sigmoid(Float.nan).isNaN)
    }
}
