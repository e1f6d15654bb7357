import SpikeTensor

/// torchvision's `ColorJitter(brightness, contrast, saturation)` on float images (no hue):
/// the three adjustments in a random order, each with a factor drawn uniformly from
/// [max(0, 1 − s), 1 + s]. timm's scalar `color_jitter: 0.4` is `ColorJitter(0.4, 0.4, 0.4)`,
/// i.e. `ColorJitter(strength: 0.4)`. Saturation leaves a grayscale image as it is.
public struct ColorJitter: ImageTransform {
    public let brightness: Float
    public let contrast: Float
    public let saturation: Float

    /// Jitter strengths per adjustment (0 leaves it out).
    public init(brightness: Float, contrast: Float, saturation: Float) {
        precondition(brightness >= 0 && contrast >= 0 && saturation >= 0,
                     "colour jitter strengths must not be negative, got \(brightness), \(contrast), \(saturation)")
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
    }

    /// The same strength for brightness, contrast and saturation (timm's scalar).
    public init(strength: Float) {
        self.init(brightness: strength, contrast: strength, saturation: strength)
    }

    /// One image's draws: the order (a uniform permutation of brightness 0, contrast 1,
    /// saturation 2), then the three factors in that fixed order.
    public func draw(using generator: inout PhiloxGenerator) -> (order: [Int], factors: [Float]) {
        var order = [0, 1, 2]
        for i in 0..<2 { order.swapAt(i, i + generator.nextIndex(below: 3 - i)) }
        let factors = [brightness, contrast, saturation].map { s -> Float in
            let low = max(0, 1 - s), high = 1 + s
            return low + (high - low) * generator.nextUniform()
        }
        return (order, factors)
    }

    public func outputShape(for shape: [Int]) -> [Int] {
        requireImageShape(shape, "ColorJitter")
        return shape
    }

    public func apply(_ input: UnsafePointer<Float>, shape: [Int], to output: UnsafeMutablePointer<Float>,
                      using generator: inout PhiloxGenerator) {
        requireImageShape(shape, "ColorJitter")
        let (order, factors) = draw(using: &generator)
        // Every adjustment reads whole-image statistics or its own pixel only, so output may
        // serve as both source and destination after the first step.
        output.update(from: input, count: shape.reduce(1, *))
        for k in order {
            let p = UnsafePointer(output)
            switch k {
            case 0: ColorAdjust.brightness(p, shape: shape, factor: factors[0], to: output)
            case 1: ColorAdjust.contrast(p, shape: shape, factor: factors[1], to: output)
            default: ColorAdjust.saturation(p, shape: shape, factor: factors[2], to: output)
            }
        }
    }
}
