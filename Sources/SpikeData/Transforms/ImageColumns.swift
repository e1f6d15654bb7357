import SpikeTensor

/// Turns an image `[C, H, W]` into a sequence of its columns `[W, C·H]`: time step t is image
/// column t (left to right), and its features are the column's pixels channel by channel,
/// top to bottom, so element `[t, c·H + h]` is pixel `[c, h, t]`.
///
/// This is the "sequential CIFAR" input of the PSN and PSU papers (T = 32 steps of 3×32
/// values for CIFAR): their networks read step t as a `[C, H]` signal with a Conv1d over H,
/// which is `[t, c·H + h]` viewed as `[C, H]`. Put it last in a pipeline, after image
/// augmentations and normalisation.
public struct ImageColumns: ImageTransform {
    public init() {}

    public func outputShape(for shape: [Int]) -> [Int] {
        requireImageShape(shape, "ImageColumns")
        return [shape[2], shape[0] * shape[1]]
    }

    public func apply(_ input: UnsafePointer<Float>, shape: [Int], to output: UnsafeMutablePointer<Float>,
                      using generator: inout PhiloxGenerator) {
        Self.columns(input, shape: shape, to: output)
    }

    /// The column sequence of `input` (`[C, H, W]`) written to `output` (`[W, C·H]`).
    public static func columns(_ input: UnsafePointer<Float>, shape: [Int], to output: UnsafeMutablePointer<Float>) {
        requireImageShape(shape, "ImageColumns")
        let (channels, height, width) = (shape[0], shape[1], shape[2])
        let features = channels * height
        for row in 0..<features {
            // Row (c, h) of the image is contiguous: spread it over the steps.
            let source = input + row * width
            for t in 0..<width { output[t * features + row] = source[t] }
        }
    }
}
