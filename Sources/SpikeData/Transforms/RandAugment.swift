import SpikeTensor

/// RandAugment as timm builds it from `rand-m{m}-n{n}-mstd{mstd}` (`rand_augment_transform`):
/// `n` operations drawn uniformly with replacement from timm's 15 (`operations`), each then
/// applied with probability ½ at a magnitude drawn from N(m, mstd²) and clipped to 0…10 (timm
/// without `mmax`, so m above 10 acts as 10). On average n/2 operations touch an image.
///
/// Geometric ops fill uncovered pixels with `fill` (timm: the dataset mean as 8-bit levels,
/// or 128 when none is given). Interpolation is always bilinear (timm's training default picks
/// bilinear or bicubic at random), and images stay float between ops (PIL rounds to 8 bits).
public struct RandAugment: ImageTransform {
    /// timm's `_RAND_TRANSFORMS`, in its order.
    public static let operations: [AugmentOperation] = [
        .autoContrast, .equalize, .invert, .rotate, .posterize, .solarize, .solarizeAdd,
        .color, .contrast, .brightness, .sharpness, .shearX, .shearY, .translateXRel, .translateYRel,
    ]

    /// Operations drawn per image.
    public let count: Int
    /// Mean magnitude level.
    public let magnitude: Double
    /// Standard deviation of the magnitude level (0: fixed).
    public let magnitudeStd: Double
    /// Fill of uncovered pixels per channel (or one value for all).
    public let fill: [Float]

    /// `count` ops per image at magnitude `magnitude` ± `magnitudeStd`.
    public init(count: Int = 2, magnitude: Double = 9, magnitudeStd: Double = 0.5, fill: [Float] = [128.0 / 255]) {
        precondition(count >= 1, "RandAugment needs at least one op per image, got \(count)")
        precondition(magnitude >= 0 && magnitudeStd >= 0, "RandAugment magnitude and std must not be negative")
        precondition(!fill.isEmpty, "RandAugment needs a fill value")
        self.count = count
        self.magnitude = magnitude
        self.magnitudeStd = magnitudeStd
        self.fill = fill
    }

    /// The steps one image gets: `count` uniform op choices first, then each op's draws.
    public func steps(using generator: inout PhiloxGenerator) -> [AugmentStep] {
        let chosen = (0..<count).map { _ in Self.operations[generator.nextIndex(below: Self.operations.count)] }
        return chosen.compactMap {
            AugmentOp($0, probability: 0.5, magnitude: magnitude).draw(magnitudeStd: magnitudeStd, using: &generator)
        }
    }

    public func outputShape(for shape: [Int]) -> [Int] {
        requireImageShape(shape, "RandAugment")
        return shape
    }

    public func apply(_ input: UnsafePointer<Float>, shape: [Int], to output: UnsafeMutablePointer<Float>,
                      using generator: inout PhiloxGenerator) {
        requireImageShape(shape, "RandAugment")
        applySteps(steps(using: &generator), input, shape: shape, fill: fill, to: output)
    }
}
