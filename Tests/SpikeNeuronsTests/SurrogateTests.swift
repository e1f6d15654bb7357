import Testing
@testable import SpikeNeurons

@Suite("Surrogate gradients")
struct SurrogateTests {
    static let points: [Float] = [-1.7, -0.9, -0.3, -0.05, 0.05, 0.2, 0.45, 0.8, 1.6]

    @Test("each derivative is the finite-difference slope of its primitive", arguments: Surrogate.Kind.allCases)
    func derivativeMatchesPrimitive(kind: Surrogate.Kind) {
        for alpha: Float in [0.7, kind.defaultAlpha, 3] {
            for x in Self.points where abs(abs(x) - alpha / 2) > 0.02 && abs(abs(x) - alpha) > 0.02 {
                let h: Float = 1e-3
                let numeric = (Double(Surrogate.primitive(kind, alpha, x + h)) - Double(Surrogate.primitive(kind, alpha, x - h))) / Double(2 * h)
                #expect(abs(Double(Surrogate.derivative(kind, alpha, x)) - numeric) < 2e-3, "\(kind) α=\(alpha) x=\(x)")
                let numericAlpha = (Double(Surrogate.primitive(kind, alpha + h, x)) - Double(Surrogate.primitive(kind, alpha - h, x))) / Double(2 * h)
                #expect(abs(Double(Surrogate.alphaDerivative(kind, alpha, x)) - numericAlpha) < 2e-3, "∂/∂α \(kind) α=\(alpha) x=\(x)")
            }
        }
    }

    @Test("hand values at the origin and the SpikingJelly defaults")
    func handValues() {
        #expect(Surrogate(.sigmoid).derivative(0) == 1)          // 4 · ½ · ½
        #expect(Surrogate(.atan).derivative(0) == 1)             // 2/2
        #expect(Surrogate(.rectangle).derivative(0.49) == 1)
        #expect(Surrogate(.rectangle).derivative(0.5) == 0)
        #expect(Surrogate(.triangle).derivative(0.5) == 0.5)
        #expect(abs(Surrogate(.atan, alpha: 2).derivative(1) - Float(1 / (1 + Double.pi * Double.pi))) < 1e-7)
        #expect(Surrogate.heaviside(0) == 1 && Surrogate.heaviside(-1e-7) == 0)
    }
}
