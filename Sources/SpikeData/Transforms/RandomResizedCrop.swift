import Foundation
import SpikeTensor

/// A crop of random area and aspect ratio, resized (bilinear) to `size × size`: torchvision's
/// `RandomResizedCrop(size, scale, ratio=(3/4, 4/3))`.
///
/// Up to 10 tries draw an area fraction uniform in `scale` and a log aspect ratio uniform in
/// log `ratio`; the first box that fits is placed uniformly (top, then left). If none fits,
/// the fallback is the central crop of the whole image clamped to `ratio`. The resize has
/// half-pixel centres and no antialiasing (`resizeBilinear`), which equals PIL's bilinear
/// whenever the crop is upscaled (always for a crop of a `size × size` image).
public struct RandomResizedCrop: ImageTransform {
    /// Output side.
    public let size: Int
    /// Range of the crop's area as a fraction of the image's.
    public let scale: ClosedRange<Double>
    /// Range of the crop's width / height.
    public let ratio: ClosedRange<Double>

    /// A crop resized to `size × size`, area fraction in `scale`, aspect ratio in `ratio`.
    public init(size: Int, scale: ClosedRange<Double> = 0.08...1, ratio: ClosedRange<Double> = (3.0 / 4)...(4.0 / 3)) {
        precondition(size > 0, "crop size must be positive, got \(size)")
        precondition(scale.lowerBound > 0 && scale.upperBound <= 1, "crop scale must lie in (0, 1], got \(scale)")
        precondition(ratio.lowerBound > 0, "crop aspect ratios must be positive, got \(ratio)")
        self.size = size
        self.scale = scale
        self.ratio = ratio
    }

    /// The crop box (top, left, height, width) for an image of `height × width`.
    public func box(height: Int, width: Int, using generator: inout PhiloxGenerator)
        -> (top: Int, left: Int, height: Int, width: Int) {
        let area = Double(height * width)
        let logRatio = (log(ratio.lowerBound), log(ratio.upperBound))
        for _ in 0..<10 {
            let target = area * uniform(scale.lowerBound, scale.upperBound, &generator)
            let aspect = exp(uniform(logRatio.0, logRatio.1, &generator))
            // Python's round: halves to even.
            let w = Int((target * aspect).squareRoot().rounded(.toNearestOrEven))
            let h = Int((target / aspect).squareRoot().rounded(.toNearestOrEven))
            if w > 0 && w <= width && h > 0 && h <= height {
                let top = generator.nextIndex(below: height - h + 1)
                let left = generator.nextIndex(below: width - w + 1)
                return (top, left, h, w)
            }
        }
        let inRatio = Double(width) / Double(height)
        var (h, w) = (height, width)
        if inRatio < ratio.lowerBound {
            h = Int((Double(w) / ratio.lowerBound).rounded(.toNearestOrEven))
        } else if inRatio > ratio.upperBound {
            w = Int((Double(h) * ratio.upperBound).rounded(.toNearestOrEven))
        }
        return ((height - h) / 2, (width - w) / 2, h, w)
    }

    public func outputShape(for shape: [Int]) -> [Int] {
        requireImageShape(shape, "RandomResizedCrop")
        return [shape[0], size, size]
    }

    public func apply(_ input: UnsafePointer<Float>, shape: [Int], to output: UnsafeMutablePointer<Float>,
                      using generator: inout PhiloxGenerator) {
        requireImageShape(shape, "RandomResizedCrop")
        let (channels, h, w) = (shape[0], shape[1], shape[2])
        let b = box(height: h, width: w, using: &generator)
        let crop = UnsafeMutablePointer<Float>.allocate(capacity: channels * b.height * b.width)
        defer { crop.deallocate() }
        for c in 0..<channels {
            for y in 0..<b.height {
                (crop + (c * b.height + y) * b.width)
                    .update(from: input + (c * h + b.top + y) * w + b.left, count: b.width)
            }
        }
        resizeBilinear(UnsafePointer(crop), shape: [channels, b.height, b.width], height: size, width: size, to: output)
    }
}

/// Uniform in [low, high) from one 24-bit draw (torch's `uniform_` / Python's `random.uniform`).
@inline(__always)
func uniform(_ low: Double, _ high: Double, _ generator: inout PhiloxGenerator) -> Double {
    low + (high - low) * Double(generator.nextUniform())
}
