import Foundation

/// How a fan-based initialiser picks its fan.
public enum FanMode: String, Sendable {
    case fanIn = "fan_in", fanOut = "fan_out"
}

extension Tensor {
    /// Fan-in and fan-out of a weight as PyTorch computes them: `[out, in, k…]` gives
    /// fan_in = in·∏k, fan_out = out·∏k; a 1-d shape has both equal to its length.
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        precondition(!shape.isEmpty, "fan of a 0-d tensor is undefined")
        if shape.count == 1 { return (shape[0], shape[0]) }
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// Uniform in [low, high).
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1,
                               rng: inout PhiloxGenerator, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(shape: shape, uninitialized: true, requiresGrad: requiresGrad)
        let p = t.floats
        for i in 0..<t.count { p[i] = low + (high - low) * rng.nextUniform() }
        return t
    }

    /// Normal with the given mean and standard deviation.
    public static func normal(_ shape: [Int], mean: Float = 0, std: Float = 1,
                              rng: inout PhiloxGenerator, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(shape: shape, uninitialized: true, requiresGrad: requiresGrad)
        let p = t.floats
        for i in 0..<t.count { p[i] = mean + std * rng.nextNormal() }
        return t
    }

    /// Normal truncated to [mean − 2·std, mean + 2·std] by redrawing (as timm's trunc_normal_).
    public static func truncatedNormal(_ shape: [Int], mean: Float = 0, std: Float = 1,
                                       rng: inout PhiloxGenerator, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(shape: shape, uninitialized: true, requiresGrad: requiresGrad)
        let p = t.floats
        for i in 0..<t.count {
            var z = rng.nextNormal()
            while Swift.abs(z) > 2 { z = rng.nextNormal() }
            p[i] = mean + std * z
        }
        return t
    }

    /// Kaiming (He) uniform, PyTorch's `kaiming_uniform_` with leaky-ReLU slope `a`:
    /// bound = gain·√(3/fan), gain = √(2/(1+a²)). `a = √5` is PyTorch's Conv/Linear default.
    public static func kaimingUniform(_ shape: [Int], a: Float = 0, mode: FanMode = .fanIn,
                                      rng: inout PhiloxGenerator, requiresGrad: Bool = false) -> Tensor {
        let (fanIn, fanOut) = fans(shape)
        let fan = Float(mode == .fanIn ? fanIn : fanOut)
        let gain = (2 / (1 + a * a)).squareRoot()
        let bound = gain * (3 / fan).squareRoot()
        return uniform(shape, low: -bound, high: bound, rng: &rng, requiresGrad: requiresGrad)
    }

    /// Kaiming (He) normal: std = gain/√fan.
    public static func kaimingNormal(_ shape: [Int], a: Float = 0, mode: FanMode = .fanIn,
                                     rng: inout PhiloxGenerator, requiresGrad: Bool = false) -> Tensor {
        let (fanIn, fanOut) = fans(shape)
        let fan = Float(mode == .fanIn ? fanIn : fanOut)
        let gain = (2 / (1 + a * a)).squareRoot()
        return normal(shape, std: gain / fan.squareRoot(), rng: &rng, requiresGrad: requiresGrad)
    }

    /// Xavier (Glorot) uniform: bound = gain·√(6/(fan_in+fan_out)).
    public static func xavierUniform(_ shape: [Int], gain: Float = 1,
                                     rng: inout PhiloxGenerator, requiresGrad: Bool = false) -> Tensor {
        let (fanIn, fanOut) = fans(shape)
        let bound = gain * (6 / Float(fanIn + fanOut)).squareRoot()
        return uniform(shape, low: -bound, high: bound, rng: &rng, requiresGrad: requiresGrad)
    }

    /// Xavier (Glorot) normal: std = gain·√(2/(fan_in+fan_out)).
    public static func xavierNormal(_ shape: [Int], gain: Float = 1,
                                    rng: inout PhiloxGenerator, requiresGrad: Bool = false) -> Tensor {
        let (fanIn, fanOut) = fans(shape)
        return normal(shape, std: gain * (2 / Float(fanIn + fanOut)).squareRoot(), rng: &rng,
                      requiresGrad: requiresGrad)
    }

    /// LeCun normal as timm/JAX use it: truncated normal with std √(1/fan_in), rescaled so
    /// the truncated distribution has that variance (÷ 0.87962566).
    public static func lecunNormal(_ shape: [Int], rng: inout PhiloxGenerator,
                                   requiresGrad: Bool = false) -> Tensor {
        let (fanIn, _) = fans(shape)
        let std = (1 / Float(fanIn)).squareRoot() / 0.879_625_66
        return truncatedNormal(shape, std: std, rng: &rng, requiresGrad: requiresGrad)
    }
}
