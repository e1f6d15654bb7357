import SpikeTensor

/// Bilinear resize of every image to `height × width` (half-pixel centres, no antialiasing;
/// see `resizeBilinear`). The manifest's `data.resize: S` is `Resize(size: S)`, applied first.
public struct Resize: ImageTransform {
    public let height: Int
    public let width: Int

    /// A square `size × size` resize.
    public init(size: Int) { self.init(height: size, width: size) }

    public init(height: Int, width: Int) {
        precondition(height > 0 && width > 0, "resize size must be positive, got \(height)×\(width)")
        self.height = height
        self.width = width
    }

    public func outputShape(for shape: [Int]) -> [Int] {
        requireImageShape(shape, "Resize")
        return [shape[0], height, width]
    }

    public func apply(_ input: UnsafePointer<Float>, shape: [Int], to output: UnsafeMutablePointer<Float>,
                      using generator: inout PhiloxGenerator) {
        if shape[1] == height && shape[2] == width {
            output.update(from: input, count: shape.reduce(1, *))
            return
        }
        resizeBilinear(input, shape: shape, height: height, width: width, to: output)
    }
}
