import Foundation

// Element-wise math functions on float tensors, each with its backward. Ops whose derivative
// is cheapest from the output (exp, sqrt, tanh, sigmoid, relu) save a detached view of the
// output — a view, not the output itself, so the graph node does not keep its own output alive.

/// Which formula `gelu` uses.
public enum GELUApproximation: String, Sendable {
    /// x·Φ(x) with the exact normal CDF (erf), PyTorch's default `approximate="none"`.
    case exact = "none"
    /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), PyTorch's `approximate="tanh"`.
    case tanh
}

extension Tensor {
    /// A unary op: forward kernel over the elements, backward kernel over (gradient, saved).
    private func unary<F: UnaryKernel, B: BinaryKernel>(_ name: String, _ forward: F, _ backward: B,
                                                       savingOutput: Bool) -> Tensor {
        requireFloat(name)
        let out = mapElements(self, forward)
        let saved = savingOutput ? out.detached() : self
        return Tensor.record(name, output: out, inputs: [self]) { g in [zipElements(g, saved, backward)] }
    }

    /// eˣ element-wise.
    public func exp() -> Tensor { unary("exp", ExpKernel(), MultiplyKernel(), savingOutput: true) }

    /// Natural logarithm element-wise.
    public func log() -> Tensor { unary("log", LogKernel(), DivideKernel(), savingOutput: false) }

    /// Square root element-wise.
    public func sqrt() -> Tensor { unary("sqrt", SqrtKernel(), SqrtGradient(), savingOutput: true) }

    /// Hyperbolic tangent element-wise.
    public func tanh() -> Tensor { unary("tanh", TanhKernel(), TanhGradient(), savingOutput: true) }

    /// Logistic sigmoid 1/(1+e⁻ˣ) element-wise.
    public func sigmoid() -> Tensor { unary("sigmoid", SigmoidKernel(), SigmoidGradient(), savingOutput: true) }

    /// max(x, 0) element-wise; the gradient at 0 is 0.
    public func relu() -> Tensor { unary("relu", ReluKernel(), PositiveMaskGradient(), savingOutput: true) }

    /// Gaussian error linear unit, x·Φ(x) (exact by default, or the tanh approximation).
    public func gelu(approximate: GELUApproximation = .exact) -> Tensor {
        switch approximate {
        case .exact: unary("gelu", GELUKernel(), GELUGradient(), savingOutput: false)
        case .tanh: unary("gelu_tanh", TanhGELUKernel(), TanhGELUGradient(), savingOutput: false)
        }
    }

    /// Sine element-wise.
    public func sin() -> Tensor { unary("sin", SinKernel(), SinGradient(), savingOutput: false) }

    /// Cosine element-wise.
    public func cos() -> Tensor { unary("cos", CosKernel(), CosGradient(), savingOutput: false) }

    /// Absolute value element-wise; the gradient at 0 is 0.
    public func abs() -> Tensor { unary("abs", AbsKernel(), SignGradient(), savingOutput: false) }

    /// x² element-wise.
    public func square() -> Tensor { unary("square", SquareKernel(), SquareGradient(), savingOutput: false) }

    /// Limits every element to `[min, max]` (nil bounds are open); the gradient passes where
    /// min ≤ x ≤ max and is 0 outside, as in PyTorch.
    public func clamp(min: Float? = nil, max: Float? = nil) -> Tensor {
        let lo = min ?? -.infinity, hi = max ?? .infinity
        precondition(!(lo > hi), "clamp: min \(lo) is greater than max \(hi)")
        return unary("clamp", ClampKernel(lo, hi), ClampGradient(lo, hi), savingOutput: false)
    }

    /// xᵉ element-wise for a fixed exponent.
    public func pow(_ exponent: Float) -> Tensor {
        requireFloat("pow")
        let out: Tensor
        switch exponent {
        case 1: out = copy()
        case 2: out = mapElements(self, SquareKernel())
        case 0.5: out = mapElements(self, SqrtKernel())
        default: out = mapElements(self, PowerKernel(exponent))
        }
        // Saves the input (held by the graph anyway): d xᵉ/dx = e·xᵉ⁻¹.
        return Tensor.record("pow", output: out, inputs: [self]) { [self] g in
            switch exponent {
            case 0: [Tensor(shape: g.shape)]
            case 1: [g]
            case 2: [zipElements(g, self, SquareGradient())]
            default: [zipElements(g, self, PowerGradient(exponent))]
            }
        }
    }
}

// MARK: - Forward kernels

/// Applies a scalar libm function lane by lane (for functions without a SIMD form here).
@inline(__always)
private func lanewise(_ x: Lanes, _ f: (Float) -> Float) -> Lanes {
    var y = Lanes()
    for i in 0..<8 { y[i] = f(x[i]) }
    return y
}

struct ExpKernel: UnaryKernel {
    @inline(__always) func callAsFunction(_ x: Lanes) -> Lanes { LaneMath.exp(x) }
}

private struct LogKernel: UnaryKernel {
    @inline(__always) func callAsFunction(_ x: Lanes) -> Lanes { lanewise(x) { Foundation.log($0) } }
}

private struct SqrtKernel: UnaryKernel {
    @inline(__always) func callAsFunction(_ x: Lanes) -> Lanes { x.squareRoot() }
}

struct TanhKernel: UnaryKernel {
    @inline(__always) func callAsFunction(_ x: Lanes) -> Lanes { LaneMath.tanh(x) }
}

struct SigmoidKernel: UnaryKernel {
    @inline(__always) func callAsFunction(_ x: Lanes) -> Lanes { LaneMath.sigmoid(x) }
}

private struct ReluKernel: UnaryKernel {
    // NaN fails the comparison and propagates, as in PyTorch.
    @inline(__always) func callAsFunction(_ x: Lanes) -> Lanes { x.replacing(with: 0, where: x .< 0) }
}

private let inverseSqrt2: Float = 0.707_106_781_186_547_5
private let inverseSqrt2Pi: Float = 0.398_942_280_401_432_7
private let sqrt2OverPi: Float = 0.797_884_560_802_865_4
private let geluCubic: Float = 0.044_715

private struct GELUKernel: UnaryKernel {
    @inline(__always) func callAsFunction(_ x: Lanes) -> Lanes {
        0.5 * x * (1 + lanewise(x * inverseSqrt2) { Foundation.erf($0) })
    }
}

private struct TanhGELUKernel: UnaryKernel {
    @inline(__always) func callAsFunction(_ x: Lanes) -> Lanes {
        0.5 * x * (1 + LaneMath.tanh(sqrt2OverPi * (x + geluCubic * x * x * x)))
    }
}

private struct SinKernel: UnaryKernel {
    @inline(__always) func callAsFunction(_ x: Lanes) -> Lanes { lanewise(x) { Foundation.sin($0) } }
}

private struct CosKernel: UnaryKernel {
    @inline(__always) func callAsFunction(_ x: Lanes) -> Lanes { lanewise(x) { Foundation.cos($0) } }
}

private struct AbsKernel: UnaryKernel {
    @inline(__always) func callAsFunction(_ x: Lanes) -> Lanes {
        unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & SIMD8<UInt32>(repeating: 0x7FFF_FFFF), to: Lanes.self)
    }
}

private struct SquareKernel: UnaryKernel {
    @inline(__always) func callAsFunction(_ x: Lanes) -> Lanes { x * x }
}

private struct ClampKernel: UnaryKernel {
    let lo: Lanes, hi: Lanes
    init(_ lo: Float, _ hi: Float) { self.lo = Lanes(repeating: lo); self.hi = Lanes(repeating: hi) }
    @inline(__always) func callAsFunction(_ x: Lanes) -> Lanes {
        x.replacing(with: lo, where: x .< lo).replacing(with: hi, where: x .> hi)
    }
}

private struct PowerKernel: UnaryKernel {
    let e: Float
    init(_ e: Float) { self.e = e }
    @inline(__always) func callAsFunction(_ x: Lanes) -> Lanes { lanewise(x) { Foundation.pow($0, e) } }
}

// MARK: - Backward kernels: (incoming gradient, saved value) → input gradient

private struct SqrtGradient: BinaryKernel {
    @inline(__always) func callAsFunction(_ g: Lanes, _ y: Lanes) -> Lanes { 0.5 * g / y }
}

private struct TanhGradient: BinaryKernel {
    @inline(__always) func callAsFunction(_ g: Lanes, _ y: Lanes) -> Lanes { g * (1 - y * y) }
}

private struct SigmoidGradient: BinaryKernel {
    @inline(__always) func callAsFunction(_ g: Lanes, _ y: Lanes) -> Lanes { g * y * (1 - y) }
}

/// g where the saved value is positive, else 0.
private struct PositiveMaskGradient: BinaryKernel {
    @inline(__always) func callAsFunction(_ g: Lanes, _ y: Lanes) -> Lanes {
        Lanes().replacing(with: g, where: y .> 0)
    }
}

/// d/dx x·Φ(x) = Φ(x) + x·φ(x).
private struct GELUGradient: BinaryKernel {
    @inline(__always) func callAsFunction(_ g: Lanes, _ x: Lanes) -> Lanes {
        let cdf = 0.5 * (1 + lanewise(x * inverseSqrt2) { Foundation.erf($0) })
        let pdf = inverseSqrt2Pi * LaneMath.exp(-0.5 * x * x)
        return g * (cdf + x * pdf)
    }
}

private struct TanhGELUGradient: BinaryKernel {
    @inline(__always) func callAsFunction(_ g: Lanes, _ x: Lanes) -> Lanes {
        let x2 = x * x
        let t = LaneMath.tanh(sqrt2OverPi * x * (1 + geluCubic * x2))
        let dInner = sqrt2OverPi * (1 + 3 * geluCubic * x2)
        return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dInner)
    }
}

private struct SinGradient: BinaryKernel {
    @inline(__always) func callAsFunction(_ g: Lanes, _ x: Lanes) -> Lanes { g * lanewise(x) { Foundation.cos($0) } }
}

private struct CosGradient: BinaryKernel {
    @inline(__always) func callAsFunction(_ g: Lanes, _ x: Lanes) -> Lanes { -g * lanewise(x) { Foundation.sin($0) } }
}

/// g·sign(x) with sign(0) = 0.
private struct SignGradient: BinaryKernel {
    @inline(__always) func callAsFunction(_ g: Lanes, _ x: Lanes) -> Lanes {
        Lanes().replacing(with: g, where: x .> 0).replacing(with: -g, where: x .< 0)
    }
}

private struct SquareGradient: BinaryKernel {
    @inline(__always) func callAsFunction(_ g: Lanes, _ x: Lanes) -> Lanes { 2 * g * x }
}

/// g inside [lo, hi] (bounds included), 0 outside.
private struct ClampGradient: BinaryKernel {
    let lo: Lanes, hi: Lanes
    init(_ lo: Float, _ hi: Float) { self.lo = Lanes(repeating: lo); self.hi = Lanes(repeating: hi) }
    @inline(__always) func callAsFunction(_ g: Lanes, _ x: Lanes) -> Lanes {
        g.replacing(with: 0, where: (x .< lo) .| (x .> hi))
    }
}

private struct PowerGradient: BinaryKernel {
    let e: Float
    init(_ e: Float) { self.e = e }
    @inline(__always) func callAsFunction(_ g: Lanes, _ x: Lanes) -> Lanes {
        g * e * lanewise(x) { Foundation.pow($0, e - 1) }
    }
}
