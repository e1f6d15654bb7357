// Broadcasting arithmetic on tensors (`+ - * /`, with tensors or scalars), negation, and
// element-wise `maximum` / `minimum`. Each backward reduces its gradient back to the operand's
// shape with `sumToShape`.

extension Tensor {
    /// Element-wise sum, broadcasting.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        let out = broadcastZip(lhs, rhs, AddKernel(), "+")
        // Saves nothing: the gradient passes through, summed over broadcast axes.
        return record("add", output: out, inputs: [lhs, rhs]) { g in
            [lhs.requiresGrad ? g.sumToShape(lhs.shape) : nil,
             rhs.requiresGrad ? g.sumToShape(rhs.shape) : nil]
        }
    }

    /// Element-wise difference, broadcasting.
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        let out = broadcastZip(lhs, rhs, SubtractKernel(), "-")
        return record("sub", output: out, inputs: [lhs, rhs]) { g in
            // Negate after reducing: the reduced gradient is never larger than g.
            [lhs.requiresGrad ? g.sumToShape(lhs.shape) : nil,
             rhs.requiresGrad ? -g.sumToShape(rhs.shape) : nil]
        }
    }

    /// Element-wise product, broadcasting.
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
        let out = broadcastZip(lhs, rhs, MultiplyKernel(), "*")
        // Saves both operands (each one's gradient needs the other); the graph holds them anyway.
        return record("mul", output: out, inputs: [lhs, rhs]) { g in
            [lhs.requiresGrad ? (g * rhs).sumToShape(lhs.shape) : nil,
             rhs.requiresGrad ? (g * lhs).sumToShape(rhs.shape) : nil]
        }
    }

    /// Element-wise quotient, broadcasting.
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor {
        let out = broadcastZip(lhs, rhs, DivideKernel(), "/")
        // Saves both operands: d(a/b)/da = 1/b, d(a/b)/db = −a/b².
        return record("div", output: out, inputs: [lhs, rhs]) { g in
            [lhs.requiresGrad ? (g / rhs).sumToShape(lhs.shape) : nil,
             rhs.requiresGrad ? -((g * lhs) / (rhs * rhs)).sumToShape(rhs.shape) : nil]
        }
    }

    // MARK: Scalar operands

    /// Adds a scalar to every element.
    public static func + (lhs: Tensor, rhs: Float) -> Tensor {
        lhs.requireFloat("+")
        let out = zipElements(lhs, scalar: rhs, AddKernel())
        return record("add_scalar", output: out, inputs: [lhs]) { g in [g] }
    }

    /// Adds a scalar to every element.
    public static func + (lhs: Float, rhs: Tensor) -> Tensor { rhs + lhs }

    /// Subtracts a scalar from every element.
    public static func - (lhs: Tensor, rhs: Float) -> Tensor {
        lhs.requireFloat("-")
        let out = zipElements(lhs, scalar: rhs, SubtractKernel())
        return record("sub_scalar", output: out, inputs: [lhs]) { g in [g] }
    }

    /// Subtracts every element from a scalar.
    public static func - (lhs: Float, rhs: Tensor) -> Tensor {
        rhs.requireFloat("-")
        let out = zipElements(scalar: lhs, rhs, SubtractKernel())
        return record("rsub_scalar", output: out, inputs: [rhs]) { g in [-g] }
    }

    /// Multiplies every element by a scalar.
    public static func * (lhs: Tensor, rhs: Float) -> Tensor {
        lhs.requireFloat("*")
        let out = zipElements(lhs, scalar: rhs, MultiplyKernel())
        return record("mul_scalar", output: out, inputs: [lhs]) { g in [g * rhs] }
    }

    /// Multiplies every element by a scalar.
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs * lhs }

    /// Divides every element by a scalar.
    public static func / (lhs: Tensor, rhs: Float) -> Tensor {
        lhs.requireFloat("/")
        let out = zipElements(lhs, scalar: rhs, DivideKernel())
        return record("div_scalar", output: out, inputs: [lhs]) { g in [g / rhs] }
    }

    /// Divides a scalar by every element.
    public static func / (lhs: Float, rhs: Tensor) -> Tensor {
        rhs.requireFloat("/")
        let out = zipElements(scalar: lhs, rhs, DivideKernel())
        // Saves the divisor (an input): d(s/b)/db = −s/b².
        return record("rdiv_scalar", output: out, inputs: [rhs]) { g in
            [zipElements(g, rhs, ScaledReciprocalSquareGradient(-lhs))]
        }
    }

    /// Element-wise negation.
    public static prefix func - (x: Tensor) -> Tensor {
        x.requireFloat("negation")
        let out = mapElements(x, ScaleKernel(-1))
        return record("neg", output: out, inputs: [x]) { g in [-g] }
    }
}

/// Element-wise maximum, broadcasting; the gradient goes to the larger operand (to `a` on ties).
public func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
    let out = broadcastZip(a, b, MaximumKernel(), "maximum")
    // Saves both operands to rebuild which one won (a byte mask would be smaller but the
    // operands are held by the graph anyway).
    return Tensor.record("maximum", output: out, inputs: [a, b]) { g in
        routeToWinner(g, a, b, FirstWinsMaximumMask())
    }
}

/// Element-wise minimum, broadcasting; the gradient goes to the smaller operand (to `a` on ties).
public func minimum(_ a: Tensor, _ b: Tensor) -> Tensor {
    let out = broadcastZip(a, b, MinimumKernel(), "minimum")
    return Tensor.record("minimum", output: out, inputs: [a, b]) { g in
        routeToWinner(g, a, b, FirstWinsMinimumMask())
    }
}

/// Splits `g` between `a` (where `mask(a, b)` is 1) and `b` (elsewhere), reduced to each shape.
private func routeToWinner<K: BinaryKernel>(_ g: Tensor, _ a: Tensor, _ b: Tensor, _ mask: K) -> [Tensor?] {
    let toA = g * broadcastZip(a, b, mask, "maximum/minimum backward")
    return [a.requiresGrad ? toA.sumToShape(a.shape) : nil,
            b.requiresGrad ? (g - toA).sumToShape(b.shape) : nil]
}

/// 1 where `a` wins `maximum(a, b)` (b is not larger), else 0.
private struct FirstWinsMaximumMask: BinaryKernel {
    @inline(__always) func callAsFunction(_ a: Lanes, _ b: Lanes) -> Lanes {
        Lanes(repeating: 1).replacing(with: 0, where: b .> a)
    }
}

/// 1 where `a` wins `minimum(a, b)` (b is not smaller), else 0.
private struct FirstWinsMinimumMask: BinaryKernel {
    @inline(__always) func callAsFunction(_ a: Lanes, _ b: Lanes) -> Lanes {
        Lanes(repeating: 1).replacing(with: 0, where: b .< a)
    }
}

/// `s · g / b²`, the gradient of `s / b` with `s` = −scalar.
private struct ScaledReciprocalSquareGradient: BinaryKernel {
    let s: Lanes
    init(_ s: Float) { self.s = Lanes(repeating: s) }
    @inline(__always) func callAsFunction(_ g: Lanes, _ b: Lanes) -> Lanes { s * g / (b * b) }
}
