import Foundation
import SpikeTensor

/// timm's `RandomErasing(probability, mode="pixel")` with its defaults: with probability `p`,
/// one rectangle of area fraction uniform in [0.02, 1/3] and log aspect ratio (h / w) uniform
/// in [log 0.3, log 1/0.3] (up to 10 tries for one that fits strictly inside the image) is
/// filled with independent standard-normal noise per pixel and channel.
///
/// The noise matches normalised pixels, so, as in timm, it belongs after `normalize`.
public struct RandomErasing: ImageTransform {
    /// Chance of erasing a rectangle.
    public let probability: Float
    /// Range of the rectangle's area as a fraction of the image's.
    public let area: ClosedRange<Double>
    /// Range of the log of the rectangle's height / width.
    public let logAspect: ClosedRange<Double>

    /// Erasing with probability `probability`, timm's area and aspect ranges by default.
    public init(probability: Float, area: ClosedRange<Double> = 0.02...(1.0 / 3), minAspect: Double = 0.3) {
        precondition((0...1).contains(probability), "erasing probability must be in [0, 1], got \(probability)")
        precondition(area.lowerBound > 0 && area.upperBound <= 1, "erasing area must lie in (0, 1], got \(area)")
        precondition(minAspect > 0 && minAspect <= 1, "erasing minimum aspect must be in (0, 1], got \(minAspect)")
        self.probability = probability
        self.area = area
        self.logAspect = log(minAspect)...log(1 / minAspect)
    }

    /// The erased rectangle (top, left, height, width) for an image of `height × width`, or nil
    /// (not erased, or no try fitted). Draws, as timm: one uniform against `probability`, then
    /// per try area and log aspect, and for a fitting box top then left.
    public func box(height: Int, width: Int, using generator: inout PhiloxGenerator)
        -> (top: Int, left: Int, height: Int, width: Int)? {
        if generator.nextUniform() > probability { return nil }
        let imageArea = Double(height * width)
        for _ in 0..<10 {
            let target = uniform(area.lowerBound, area.upperBound, &generator) * imageArea
            let aspect = exp(uniform(logAspect.lowerBound, logAspect.upperBound, &generator))
            let h = Int((target * aspect).squareRoot().rounded(.toNearestOrEven))
            let w = Int((target / aspect).squareRoot().rounded(.toNearestOrEven))
            if w < width && h < height {
                let top = generator.nextIndex(below: height - h + 1)
                let left = generator.nextIndex(below: width - w + 1)
                return (top, left, h, w)
            }
        }
        return nil
    }

    public func outputShape(for shape: [Int]) -> [Int] {
        requireImageShape(shape, "RandomErasing")
        return shape
    }

    public func apply(_ input: UnsafePointer<Float>, shape: [Int], to output: UnsafeMutablePointer<Float>,
                      using generator: inout PhiloxGenerator) {
        requireImageShape(shape, "RandomErasing")
        let (channels, h, w) = (shape[0], shape[1], shape[2])
        output.update(from: input, count: channels * h * w)
        guard let b = box(height: h, width: w, using: &generator) else { return }
        // Noise in timm's tensor order: channel, row, column.
        for c in 0..<channels {
            for y in b.top..<(b.top + b.height) {
                let row = output + (c * h + y) * w
                for x in b.left..<(b.left + b.width) { row[x] = generator.nextNormal() }
            }
        }
    }
}
