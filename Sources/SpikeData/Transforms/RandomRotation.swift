import SpikeTensor

/// Rotation by one angle drawn uniformly from [−degrees, degrees] about the image centre,
/// bilinear, zero outside: torchvision's `RandomRotation(degrees, interpolation=BILINEAR,
/// fill=0)` on a PIL image (the sampling rule of `warpAffineBilinear`). Positive angles turn
/// the image counter-clockwise. For event frames use `EventRotation` (nearest, like
/// torchvision's default interpolation).
public struct RandomRotation: ImageTransform {
    /// Largest rotation in degrees, either way.
    public let degrees: Float

    /// Rotations up to ±`degrees`.
    public init(degrees: Float) {
        precondition(degrees >= 0 && degrees <= 180, "rotation range must be in 0...180 degrees, got \(degrees)")
        self.degrees = degrees
    }

    public func outputShape(for shape: [Int]) -> [Int] {
        requireImageShape(shape, "RandomRotation")
        return shape
    }

    public func apply(_ input: UnsafePointer<Float>, shape: [Int], to output: UnsafeMutablePointer<Float>,
                      using generator: inout PhiloxGenerator) {
        requireImageShape(shape, "RandomRotation")
        let angle = Double(-degrees + 2 * degrees * generator.nextUniform())
        Self.rotate(input, shape: shape, degrees: angle, to: output)
    }

    /// `input` (`[C, H, W]`) rotated counter-clockwise by `degrees`, zeros where the source
    /// falls outside the image.
    public static func rotate(_ input: UnsafePointer<Float>, shape: [Int], degrees: Double,
                              to output: UnsafeMutablePointer<Float>) {
        warpAffineBilinear(input, shape: shape, map: .rotation(degrees: degrees, height: shape[1], width: shape[2]),
                           fill: [0], to: output)
    }
}
