import SpikeTensor

/// Random crop of `height × width` from the image zero-padded by `padding` on every side
/// (torchvision's `RandomCrop(size, padding)` with fill 0).
///
/// Draws the top offset, then the left offset, each uniform over the valid positions
/// `0...paddedExtent - size`.
public struct RandomCrop: ImageTransform {
    /// Output height.
    public let height: Int
    /// Output width.
    public let width: Int
    /// Zeros added on each side before cropping.
    public let padding: Int

    /// A square `size × size` crop after padding by `padding`.
    public init(size: Int, padding: Int = 0) {
        self.init(height: size, width: size, padding: padding)
    }

    /// A `height × width` crop after padding by `padding`.
    public init(height: Int, width: Int, padding: Int = 0) {
        precondition(height > 0 && width > 0, "crop size must be positive, got \(height)×\(width)")
        precondition(padding >= 0, "padding must not be negative, got \(padding)")
        self.height = height
        self.width = width
        self.padding = padding
    }

    public func outputShape(for shape: [Int]) -> [Int] {
        requireImageShape(shape, "RandomCrop")
        precondition(shape[1] + 2 * padding >= height && shape[2] + 2 * padding >= width,
                     "RandomCrop \(height)×\(width) is larger than the padded image \(shape) + \(padding)")
        return [shape[0], height, width]
    }

    public func apply(_ input: UnsafePointer<Float>, shape: [Int], to output: UnsafeMutablePointer<Float>,
                      using generator: inout PhiloxGenerator) {
        _ = outputShape(for: shape)
        let top = generator.nextIndex(below: shape[1] + 2 * padding - height + 1)
        let left = generator.nextIndex(below: shape[2] + 2 * padding - width + 1)
        crop(input, shape: shape, top: top, left: left, to: output)
    }

    /// The crop whose top-left corner is at (`top`, `left`) in padded coordinates.
    public func crop(_ input: UnsafePointer<Float>, shape: [Int], top: Int, left: Int,
                     to output: UnsafeMutablePointer<Float>) {
        let (channels, h, w) = (shape[0], shape[1], shape[2])
        // Source column of output column x is x + left - padding; the valid x form one run.
        let shift = left - padding
        let xStart = min(width, max(0, -shift))
        let xEnd = max(xStart, min(width, w - shift))
        for c in 0..<channels {
            for y in 0..<height {
                let row = output + (c * height + y) * width
                let sy = y + top - padding
                if sy < 0 || sy >= h {
                    row.update(repeating: 0, count: width)
                    continue
                }
                let source = input + (c * h + sy) * w
                row.update(repeating: 0, count: xStart)
                (row + xStart).update(from: source + xStart + shift, count: xEnd - xStart)
                (row + xEnd).update(repeating: 0, count: width - xEnd)
            }
        }
    }
}
