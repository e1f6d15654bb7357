import Foundation

/// A surrogate gradient: the forward pass is the Heaviside step Θ(x) (x = H − V_th, fires
/// when x ≥ 0 unless a neuron says otherwise), the backward pass uses the derivative of a
/// smooth primitive g(x; α) in its place.
///
/// Conventions and default α follow SpikingJelly (see `shared/papers/baselines.md`):
///
/// | kind | g(x; α) | g′(x) | default α |
/// |---|---|---|---|
/// | sigmoid | σ(αx) | α·σ(αx)(1 − σ(αx)) | 4 |
/// | atan | ½ + arctan(π/2·αx)/π | (α/2)/(1 + (π/2·αx)²) | 2 |
/// | rectangle | clamp(x/α + ½, 0, 1) | 1/α for |x| < α/2 | 1 |
/// | triangle | piecewise quadratic | max(0, (1 − |x|/α)/α) | 1 |
///
/// `alphaDerivative` is ∂g/∂α, the gradient of a learnable α.
public struct Surrogate: Sendable, Hashable, CustomStringConvertible {
    /// The family of the smooth primitive.
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case sigmoid, atan, rectangle, triangle

        /// SpikingJelly's default α for this kind.
        public var defaultAlpha: Float {
            switch self {
            case .sigmoid: 4
            case .atan: 2
            case .rectangle, .triangle: 1
            }
        }
    }

    /// Which primitive.
    public var kind: Kind
    /// Sharpness (sigmoid, atan) or width (rectangle, triangle).
    public var alpha: Float

    /// A surrogate of `kind` with `alpha` (the kind's default when nil).
    public init(_ kind: Kind, alpha: Float? = nil) {
        precondition((alpha ?? 1) > 0, "surrogate alpha must be positive, got \(alpha!)")
        self.kind = kind
        self.alpha = alpha ?? kind.defaultAlpha
    }

    public var description: String { "\(kind.rawValue)(α=\(alpha))" }

    /// Θ(x): 1 when x ≥ 0, else 0.
    @inline(__always)
    public static func heaviside(_ x: Float) -> Float { x >= 0 ? 1 : 0 }

    /// g′(x): the gradient used in place of the Heaviside step's.
    @inline(__always)
    public func derivative(_ x: Float) -> Float {
        Self.derivative(kind, alpha, x)
    }

    /// g′(x) for a given α (for kernels with a learnable α held in a tensor).
    @inline(__always)
    public static func derivative(_ kind: Kind, _ alpha: Float, _ x: Float) -> Float {
        switch kind {
        case .sigmoid:
            let s = 1 / (1 + Foundation.exp(-alpha * x))
            return alpha * s * (1 - s)
        case .atan:
            let u = Float.pi / 2 * alpha * x
            return (alpha / 2) / (1 + u * u)
        case .rectangle:
            return Swift.abs(x) < alpha / 2 ? 1 / alpha : 0
        case .triangle:
            return Swift.max(0, (1 - Swift.abs(x) / alpha) / alpha)
        }
    }

    /// g(x; α), the smooth primitive (for tests and for learnable-α gradients).
    public static func primitive(_ kind: Kind, _ alpha: Float, _ x: Float) -> Float {
        switch kind {
        case .sigmoid:
            return 1 / (1 + Foundation.exp(-alpha * x))
        case .atan:
            return 0.5 + Foundation.atan(Float.pi / 2 * alpha * x) / Float.pi
        case .rectangle:
            return Swift.min(1, Swift.max(0, x / alpha + 0.5))
        case .triangle:
            if x <= -alpha { return 0 }
            if x >= alpha { return 1 }
            let u = x / alpha
            return x < 0 ? 0.5 * (1 + u) * (1 + u) : 1 - 0.5 * (1 - u) * (1 - u)
        }
    }

    /// ∂g(x; α)/∂α, the gradient of a learnable α per unit upstream gradient.
    @inline(__always)
    public static func alphaDerivative(_ kind: Kind, _ alpha: Float, _ x: Float) -> Float {
        switch kind {
        case .sigmoid:
            let s = 1 / (1 + Foundation.exp(-alpha * x))
            return x * s * (1 - s)
        case .atan:
            let u = Float.pi / 2 * alpha * x
            return (x / 2) / (1 + u * u)
        case .rectangle:
            return Swift.abs(x) < alpha / 2 ? -x / (alpha * alpha) : 0
        case .triangle:
            guard Swift.abs(x) < alpha else { return 0 }
            // g = ½(1 + x/α)² for x < 0, 1 − ½(1 − x/α)² for x ≥ 0.
            return x < 0 ? -(1 + x / alpha) * x / (alpha * alpha) : -(1 - x / alpha) * x / (alpha * alpha)
        }
    }
}
