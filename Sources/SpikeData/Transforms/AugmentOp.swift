import SpikeTensor

/// One image operation of timm's AutoAugment / RandAugment (`timm/data/auto_augment.py`), with
/// timm's mapping from a magnitude level (0…10) to the operation's argument.
public enum AugmentOperation: String, CaseIterable, Sendable {
    case autoContrast = "AutoContrast", equalize = "Equalize", invert = "Invert", rotate = "Rotate"
    case posterize = "Posterize", posterizeOriginal = "PosterizeOriginal"
    case solarize = "Solarize", solarizeAdd = "SolarizeAdd"
    case color = "Color", contrast = "Contrast", brightness = "Brightness", sharpness = "Sharpness"
    case shearX = "ShearX", shearY = "ShearY", translateXRel = "TranslateXRel", translateYRel = "TranslateYRel"

    /// timm's magnitude scale: level 10 is the largest argument.
    public static let levelDenominator: Double = 10

    /// The argument at magnitude `level` (0…10): rotate ±30·level/10 degrees; shear
    /// ±0.3·level/10; translate ±0.45·level/10 of the side; enhance factor 1.8·level/10 + 0.1;
    /// posterize ⌊4·level/10⌋ bits (original policy: +4); solarize threshold ⌊256·level/10⌋;
    /// solarize-add ⌊110·level/10⌋ levels. Signed arguments draw their sign (one uniform,
    /// negative when above ½); the others draw nothing. Ops without an argument return 0.
    public func argument(level: Double, using generator: inout PhiloxGenerator) -> Double {
        let fraction = level / Self.levelDenominator
        func signed(_ v: Double) -> Double { generator.nextUniform() > 0.5 ? -v : v }
        switch self {
        case .autoContrast, .equalize, .invert: return 0
        case .rotate: return signed(fraction * 30)
        case .posterize: return (fraction * 4).rounded(.towardZero)
        case .posterizeOriginal: return (fraction * 4).rounded(.towardZero) + 4
        case .solarize: return (fraction * 256).rounded(.towardZero)
        case .solarizeAdd: return (fraction * 110).rounded(.towardZero)
        case .color, .contrast, .brightness, .sharpness: return fraction * 1.8 + 0.1
        case .shearX, .shearY: return signed(fraction * 0.3)
        case .translateXRel, .translateYRel: return signed(fraction * 0.45)
        }
    }

    /// Applies the operation with `argument` to `input` (`[C, H, W]` in [0, 1]); geometric ops
    /// are bilinear and fill uncovered pixels with `fill` (one value per channel, or one).
    public func apply(_ input: UnsafePointer<Float>, shape: [Int], argument: Double, fill: [Float],
                      to output: UnsafeMutablePointer<Float>) {
        requireImageShape(shape, rawValue)
        let (h, w) = (shape[1], shape[2])
        let factor = Float(argument)
        switch self {
        case .autoContrast: ToneOps.autocontrast(input, shape: shape, to: output)
        case .equalize: ToneOps.equalize(input, shape: shape, to: output)
        case .invert: ToneOps.invert(input, shape: shape, to: output)
        case .posterize, .posterizeOriginal: ToneOps.posterize(input, shape: shape, bits: Int(argument), to: output)
        case .solarize: ToneOps.solarize(input, shape: shape, threshold: Int(argument), to: output)
        case .solarizeAdd: ToneOps.solarizeAdd(input, shape: shape, add: Int(argument), to: output)
        case .color: ColorAdjust.saturation(input, shape: shape, factor: factor, to: output)
        case .contrast: ColorAdjust.contrast(input, shape: shape, factor: factor, to: output)
        case .brightness: ColorAdjust.brightness(input, shape: shape, factor: factor, to: output)
        case .sharpness: ColorAdjust.sharpness(input, shape: shape, factor: factor, to: output)
        case .rotate:
            warpAffineBilinear(input, shape: shape, map: .rotation(degrees: argument, height: h, width: w),
                               fill: fill, to: output)
        case .shearX:
            warpAffineBilinear(input, shape: shape, map: .pil(1, argument, 0, 0, 1, 0), fill: fill, to: output)
        case .shearY:
            warpAffineBilinear(input, shape: shape, map: .pil(1, 0, 0, argument, 1, 0), fill: fill, to: output)
        case .translateXRel:
            warpAffineBilinear(input, shape: shape, map: .pil(1, 0, argument * Double(w), 0, 1, 0), fill: fill, to: output)
        case .translateYRel:
            warpAffineBilinear(input, shape: shape, map: .pil(1, 0, 0, 0, 1, argument * Double(h)), fill: fill, to: output)
        }
    }
}

/// An operation applied with probability `probability` at magnitude `magnitude`, timm's
/// `AugmentOp(name, prob, magnitude)`.
public struct AugmentOp: Sendable, Equatable {
    public let operation: AugmentOperation
    public let probability: Double
    public let magnitude: Double

    public init(_ operation: AugmentOperation, probability: Double, magnitude: Double) {
        self.operation = operation
        self.probability = probability
        self.magnitude = magnitude
    }

    /// The step this op takes, or nil when it is skipped: draws, in timm's order, one uniform
    /// (skip when above `probability`), then with `magnitudeStd` > 0 a normal magnitude
    /// `magnitude + magnitudeStd · z`, clipped to 0…10, then the argument's sign.
    public func draw(magnitudeStd: Double, using generator: inout PhiloxGenerator) -> AugmentStep? {
        if probability < 1 && Double(generator.nextUniform()) > probability { return nil }
        var level = magnitude
        if magnitudeStd > 0 { level += magnitudeStd * Double(generator.nextNormal()) }
        level = min(AugmentOperation.levelDenominator, max(0, level))
        return AugmentStep(operation: operation, argument: operation.argument(level: level, using: &generator))
    }
}

/// An operation with its argument fixed: what one image gets.
public struct AugmentStep: Sendable, Equatable {
    public let operation: AugmentOperation
    public let argument: Double

    public init(operation: AugmentOperation, argument: Double) {
        self.operation = operation
        self.argument = argument
    }
}

/// Runs `steps` one after another from `input` to `output` (`[C, H, W]`, not overlapping),
/// copying when there are none.
func applySteps(_ steps: [AugmentStep], _ input: UnsafePointer<Float>, shape: [Int], fill: [Float],
                to output: UnsafeMutablePointer<Float>) {
    let count = shape.reduce(1, *)
    guard !steps.isEmpty else {
        output.update(from: input, count: count)
        return
    }
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: steps.count > 1 ? count : 0)
    defer { scratch.deallocate() }
    // Ping-pong so that the last step writes `output`: odd remaining counts start there.
    var source = input
    for (k, step) in steps.enumerated() {
        let remaining = steps.count - k
        let destination = remaining % 2 == 1 ? output : scratch
        step.operation.apply(source, shape: shape, argument: step.argument, fill: fill, to: destination)
        source = UnsafePointer(destination)
    }
}
