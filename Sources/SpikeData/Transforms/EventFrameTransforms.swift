import Foundation
import SpikeTensor

// Augmentations of event frames [T, C, H, W]: one random draw per sample, applied alike to
// every frame, so an augmented sample is still one consistent scene in motion. The batcher
// hands each sample its own generator, derived from (seed, epoch, dataset index).

/// [T, C, H, W] (or [C, H, W]) → the planes view [T·C, H, W] the image transforms work on.
@inline(__always)
func framePlanes(_ shape: [Int], _ transform: String) -> [Int] {
    precondition(shape.count == 3 || shape.count == 4,
                 "\(transform) expects event frames [T, C, H, W] (or [C, H, W]), got shape \(shape)")
    return [shape.dropLast(2).reduce(1, *), shape[shape.count - 2], shape[shape.count - 1]]
}

/// The same random crop of every frame, after zero padding (SpikingJelly's and the PSU code's
/// `RandomCrop(size, padding)` on frames): draws the top, then the left offset.
public struct EventRandomCrop: ImageTransform {
    /// The crop of one plane.
    public let crop: RandomCrop

    /// A `size × size` crop after padding every side by `padding`.
    public init(size: Int, padding: Int = 0) {
        crop = RandomCrop(size: size, padding: padding)
    }

    public func outputShape(for shape: [Int]) -> [Int] {
        let planes = crop.outputShape(for: framePlanes(shape, "EventRandomCrop"))
        return shape.dropLast(2) + [planes[1], planes[2]]
    }

    public func apply(_ input: UnsafePointer<Float>, shape: [Int], to output: UnsafeMutablePointer<Float>,
                      using generator: inout PhiloxGenerator) {
        crop.apply(input, shape: framePlanes(shape, "EventRandomCrop"), to: output, using: &generator)
    }
}

/// Left-right mirror of every frame with probability `probability` (one uniform draw).
public struct EventFlip: ImageTransform {
    /// The flip of the planes view.
    public let flip: HorizontalFlip

    /// A flip applied with `probability` (default 0.5).
    public init(probability: Float = 0.5) {
        flip = HorizontalFlip(probability: probability)
    }

    public var probability: Float { flip.probability }

    public func outputShape(for shape: [Int]) -> [Int] {
        _ = framePlanes(shape, "EventFlip")
        return shape
    }

    public func apply(_ input: UnsafePointer<Float>, shape: [Int], to output: UnsafeMutablePointer<Float>,
                      using generator: inout PhiloxGenerator) {
        flip.apply(input, shape: framePlanes(shape, "EventFlip"), to: output, using: &generator)
    }
}

/// Rotation of every frame by one angle drawn uniformly from [−degrees, degrees] about the
/// frame centre, nearest-neighbour, zeros outside (torchvision's `RandomRotation(degrees)`
/// defaults: nearest, fill 0, centre ((W−1)/2, (H−1)/2)).
public struct EventRotation: ImageTransform {
    /// Largest rotation in degrees, either way.
    public let degrees: Float

    /// Rotations up to ±`degrees`.
    public init(degrees: Float) {
        precondition(degrees >= 0 && degrees <= 180, "rotation range must be in 0...180 degrees, got \(degrees)")
        self.degrees = degrees
    }

    public func outputShape(for shape: [Int]) -> [Int] {
        _ = framePlanes(shape, "EventRotation")
        return shape
    }

    public func apply(_ input: UnsafePointer<Float>, shape: [Int], to output: UnsafeMutablePointer<Float>,
                      using generator: inout PhiloxGenerator) {
        let angle = (2 * generator.nextUniform() - 1) * degrees
        Self.rotate(input, shape: framePlanes(shape, "EventRotation"), degrees: angle, to: output)
    }

    /// Every plane of `input` ([P, H, W]) rotated counter-clockwise by `degrees` (as shown with
    /// row 0 at the top), nearest source pixel, zero where the source falls outside.
    public static func rotate(_ input: UnsafePointer<Float>, shape: [Int], degrees: Float,
                              to output: UnsafeMutablePointer<Float>) {
        let (planes, h, w) = (shape[0], shape[1], shape[2])
        let radians = Double(degrees) * Double.pi / 180
        let c = cos(radians), s = sin(radians)
        let cx = Double(w - 1) / 2, cy = Double(h - 1) / 2
        // For each output pixel, its source: the inverse rotation about the centre.
        var source = [Int](repeating: -1, count: h * w)
        for y in 0..<h {
            for x in 0..<w {
                let dx = Double(x) - cx, dy = Double(y) - cy
                let sx = (c * dx - s * dy + cx).rounded(), sy = (s * dx + c * dy + cy).rounded()
                if sx >= 0 && sx < Double(w) && sy >= 0 && sy < Double(h) {
                    source[y * w + x] = Int(sy) * w + Int(sx)
                }
            }
        }
        let plane = h * w
        for p in 0..<planes {
            let from = input + p * plane, to = output + p * plane
            for i in 0..<plane { to[i] = source[i] >= 0 ? from[source[i]] : 0 }
        }
    }
}
