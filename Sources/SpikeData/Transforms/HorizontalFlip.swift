import SpikeTensor

/// Mirrors the image left to right with probability `probability` (torchvision's
/// `RandomHorizontalFlip`); always draws one uniform so the generator use is fixed.
public struct HorizontalFlip: ImageTransform {
    /// Chance of flipping.
    public let probability: Float

    /// A flip applied with `probability` (default 0.5).
    public init(probability: Float = 0.5) {
        precondition((0...1).contains(probability), "flip probability must be in [0, 1], got \(probability)")
        self.probability = probability
    }

    public func outputShape(for shape: [Int]) -> [Int] {
        requireImageShape(shape, "HorizontalFlip")
        return shape
    }

    public func apply(_ input: UnsafePointer<Float>, shape: [Int], to output: UnsafeMutablePointer<Float>,
                      using generator: inout PhiloxGenerator) {
        requireImageShape(shape, "HorizontalFlip")
        let count = shape.reduce(1, *)
        guard generator.nextUniform() < probability else {
            output.update(from: input, count: count)
            return
        }
        let w = shape[2]
        for row in 0..<(shape[0] * shape[1]) {
            let source = input + row * w, destination = output + row * w
            for x in 0..<w { destination[x] = source[w - 1 - x] }
        }
    }
}
