import SpikeTensor

/// AutoAugment with a learned ImageNet policy as timm defines it (`auto_augment_policy_original`,
/// `auto_augment_policy_v0`): one of 25 sub-policies drawn uniformly, then its two ops in
/// order, each applied with its own probability at its fixed magnitude (timm's level mapping;
/// torchvision's `AutoAugment(IMAGENET)` lists the same sub-policies as "original" but maps
/// magnitudes onto 10 bins differently). Fill and interpolation as in `RandAugment`.
public struct AutoAugment: ImageTransform {
    /// The named policies.
    public enum Policy: String, CaseIterable, Sendable {
        /// The ImageNet policy of the AutoAugment paper (arXiv 1805.09501).
        case original
        /// The ImageNet policy of the TPU EfficientNet code.
        case v0

        /// The 25 sub-policies, each two (op, probability, magnitude), as timm lists them.
        public var subPolicies: [[AugmentOp]] {
            let table: [[(AugmentOperation, Double, Double)]]
            switch self {
            case .original: table = [
                [(.posterizeOriginal, 0.4, 8), (.rotate, 0.6, 9)],
                [(.solarize, 0.6, 5), (.autoContrast, 0.6, 5)],
                [(.equalize, 0.8, 8), (.equalize, 0.6, 3)],
                [(.posterizeOriginal, 0.6, 7), (.posterizeOriginal, 0.6, 6)],
                [(.equalize, 0.4, 7), (.solarize, 0.2, 4)],
                [(.equalize, 0.4, 4), (.rotate, 0.8, 8)],
                [(.solarize, 0.6, 3), (.equalize, 0.6, 7)],
                [(.posterizeOriginal, 0.8, 5), (.equalize, 1.0, 2)],
                [(.rotate, 0.2, 3), (.solarize, 0.6, 8)],
                [(.equalize, 0.6, 8), (.posterizeOriginal, 0.4, 6)],
                [(.rotate, 0.8, 8), (.color, 0.4, 0)],
                [(.rotate, 0.4, 9), (.equalize, 0.6, 2)],
                [(.equalize, 0.0, 7), (.equalize, 0.8, 8)],
                [(.invert, 0.6, 4), (.equalize, 1.0, 8)],
                [(.color, 0.6, 4), (.contrast, 1.0, 8)],
                [(.rotate, 0.8, 8), (.color, 1.0, 2)],
                [(.color, 0.8, 8), (.solarize, 0.8, 7)],
                [(.sharpness, 0.4, 7), (.invert, 0.6, 8)],
                [(.shearX, 0.6, 5), (.equalize, 1.0, 9)],
                [(.color, 0.4, 0), (.equalize, 0.6, 3)],
                [(.equalize, 0.4, 7), (.solarize, 0.2, 4)],
                [(.solarize, 0.6, 5), (.autoContrast, 0.6, 5)],
                [(.invert, 0.6, 4), (.equalize, 1.0, 8)],
                [(.color, 0.6, 4), (.contrast, 1.0, 8)],
                [(.equalize, 0.8, 8), (.equalize, 0.6, 3)],
            ]
            case .v0: table = [
                [(.equalize, 0.8, 1), (.shearY, 0.8, 4)],
                [(.color, 0.4, 9), (.equalize, 0.6, 3)],
                [(.color, 0.4, 1), (.rotate, 0.6, 8)],
                [(.solarize, 0.8, 3), (.equalize, 0.4, 7)],
                [(.solarize, 0.4, 2), (.solarize, 0.6, 2)],
                [(.color, 0.2, 0), (.equalize, 0.8, 8)],
                [(.equalize, 0.4, 8), (.solarizeAdd, 0.8, 3)],
                [(.shearX, 0.2, 9), (.rotate, 0.6, 8)],
                [(.color, 0.6, 1), (.equalize, 1.0, 2)],
                [(.invert, 0.4, 9), (.rotate, 0.6, 0)],
                [(.equalize, 1.0, 9), (.shearY, 0.6, 3)],
                [(.color, 0.4, 7), (.equalize, 0.6, 0)],
                [(.posterize, 0.4, 6), (.autoContrast, 0.4, 7)],
                [(.solarize, 0.6, 8), (.color, 0.6, 9)],
                [(.solarize, 0.2, 4), (.rotate, 0.8, 9)],
                [(.rotate, 1.0, 7), (.translateYRel, 0.8, 9)],
                [(.shearX, 0.0, 0), (.solarize, 0.8, 4)],
                [(.shearY, 0.8, 0), (.color, 0.6, 4)],
                [(.color, 1.0, 0), (.rotate, 0.6, 2)],
                [(.equalize, 0.8, 4), (.equalize, 0.0, 8)],
                [(.equalize, 1.0, 4), (.autoContrast, 0.6, 2)],
                [(.shearY, 0.4, 7), (.solarizeAdd, 0.6, 7)],
                [(.posterize, 0.8, 2), (.solarize, 0.6, 10)],
                [(.solarize, 0.6, 8), (.equalize, 0.6, 1)],
                [(.color, 0.8, 6), (.rotate, 0.4, 5)],
            ]
            }
            return table.map { $0.map { AugmentOp($0.0, probability: $0.1, magnitude: $0.2) } }
        }
    }

    public let policy: Policy
    /// The policy's sub-policies (kept so an image does not rebuild them).
    public let subPolicies: [[AugmentOp]]
    /// Fill of uncovered pixels per channel (or one value for all).
    public let fill: [Float]

    public init(policy: Policy, fill: [Float] = [128.0 / 255]) {
        precondition(!fill.isEmpty, "AutoAugment needs a fill value")
        self.policy = policy
        self.subPolicies = policy.subPolicies
        self.fill = fill
    }

    /// The steps one image gets: a uniform sub-policy index, then each of its ops' draws.
    public func steps(using generator: inout PhiloxGenerator) -> [AugmentStep] {
        let chosen = subPolicies[generator.nextIndex(below: subPolicies.count)]
        return chosen.compactMap { $0.draw(magnitudeStd: 0, using: &generator) }
    }

    public func outputShape(for shape: [Int]) -> [Int] {
        requireImageShape(shape, "AutoAugment")
        return shape
    }

    public func apply(_ input: UnsafePointer<Float>, shape: [Int], to output: UnsafeMutablePointer<Float>,
                      using generator: inout PhiloxGenerator) {
        requireImageShape(shape, "AutoAugment")
        applySteps(steps(using: &generator), input, shape: shape, fill: fill, to: output)
    }
}
