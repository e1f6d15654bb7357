import SpikeTensor

/// A per-sample image augmentation or preprocessing step on Float `[C, H, W]` data.
///
/// Random transforms draw from the generator they are given, which the batcher derives
/// from (seed, epoch, sample index), so results never depend on thread timing.
public protocol ImageTransform: Sendable {
    /// Shape of the result for an input of `shape` (`[C, H, W]`).
    func outputShape(for shape: [Int]) -> [Int]
    /// Writes the transformed `input` (of `shape`) to `output`, which must not overlap it.
    func apply(_ input: UnsafePointer<Float>, shape: [Int], to output: UnsafeMutablePointer<Float>,
               using generator: inout PhiloxGenerator)
}

extension ImageTransform {
    /// The transformed copy of a Float `[C, H, W]` tensor.
    public func callAsFunction(_ image: Tensor, using generator: inout PhiloxGenerator) -> Tensor {
        precondition(image.dtype == .float32 && image.rank == 3,
                     "image transforms take Float [C, H, W], got \(image.dtype) \(image.shape)")
        let output = Tensor(shape: outputShape(for: image.shape), uninitialized: true)
        apply(UnsafePointer(image.floats.baseAddress!), shape: image.shape, to: output.floats.baseAddress!,
              using: &generator)
        return output
    }
}

/// Transforms applied one after another, in the order listed (the manifest's order).
public struct TransformPipeline: Sendable {
    /// The steps, first applied first.
    public let transforms: [any ImageTransform]

    /// A pipeline of `transforms` in order.
    public init(_ transforms: [any ImageTransform]) {
        self.transforms = transforms
    }

    /// Shape after every step, starting from `shape`.
    public func outputShape(for shape: [Int]) -> [Int] {
        transforms.reduce(shape) { $1.outputShape(for: $0) }
    }

    /// Largest element count of the input and every intermediate result (scratch size).
    public func largestElementCount(for shape: [Int]) -> Int {
        var current = shape
        var largest = current.reduce(1, *)
        for t in transforms {
            current = t.outputShape(for: current)
            largest = max(largest, current.reduce(1, *))
        }
        return largest
    }

    /// Runs every step on `input` (overwritten as scratch) and writes the result to `output`.
    ///
    /// `input` and `scratch` must each hold `largestElementCount(for: shape)` floats.
    public func apply(_ input: UnsafeMutablePointer<Float>, shape: [Int], to output: UnsafeMutablePointer<Float>,
                      scratch: UnsafeMutablePointer<Float>, using generator: inout PhiloxGenerator) {
        guard !transforms.isEmpty else {
            output.update(from: input, count: shape.reduce(1, *))
            return
        }
        var current = input, currentShape = shape
        for (k, t) in transforms.enumerated() {
            // Ping-pong between the two scratch buffers; the last step writes the output.
            let destination = k == transforms.count - 1 ? output : (current == input ? scratch : input)
            t.apply(UnsafePointer(current), shape: currentShape, to: destination, using: &generator)
            current = destination
            currentShape = t.outputShape(for: currentShape)
        }
    }
}

/// Checks that `shape` is `[C, H, W]` (for transform preconditions).
@inline(__always)
func requireImageShape(_ shape: [Int], _ transform: String) {
    precondition(shape.count == 3, "\(transform) expects a [C, H, W] image, got shape \(shape)")
}
