import SpikeTensor

/// An 8-bit image whose samples are stored interleaved, row by row: `pixels[(y·width + x)·channels + c]`
/// (PNG and JPEG decode to this layout).
public protocol InterleavedImage {
    /// Columns.
    var width: Int { get }
    /// Rows.
    var height: Int { get }
    /// Samples per pixel.
    var channels: Int { get }
    /// `width · height · channels` samples, interleaved.
    var pixels: [UInt8] { get }
}

extension InterleavedImage {
    /// The samples as a new UInt8 tensor `[C, H, W]`.
    public func tensor() -> Tensor {
        let plane = width * height
        let result = Tensor(shape: [channels, height, width], dtype: .uint8, uninitialized: true)
        let target = result.uint8s
        pixels.withUnsafeBufferPointer { source in
            for channel in 0..<channels {
                for index in 0..<plane { target[channel * plane + index] = source[index * channels + channel] }
            }
        }
        return result
    }

    /// The sample of `channel` at column `x`, row `y`.
    public subscript(x x: Int, y y: Int, channel channel: Int) -> UInt8 {
        precondition((0..<width).contains(x) && (0..<height).contains(y) && (0..<channels).contains(channel),
                     "pixel (\(x), \(y)) channel \(channel) is outside a \(width)×\(height)×\(channels) image")
        return pixels[(y * width + x) * channels + channel]
    }
}
