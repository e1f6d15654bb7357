import SpikeTensor

/// The blend-based colour adjustments of torchvision's `functional` on float images
/// (`adjust_brightness`, `adjust_contrast`, `adjust_saturation`, `adjust_sharpness`), which are
/// PIL's `ImageEnhance` ops without its rounding to 8 bits: each blends the image with a
/// degenerate image, `factor · x + (1 − factor) · degenerate`, clamped to [0, 1], so factor 1
/// is the identity. Images are `[C, H, W]` in [0, 1]; one channel is grayscale. Brightness,
/// contrast and saturation read whole-image statistics or the pixel itself before writing it,
/// so they may run in place (`ColorJitter` does); sharpness may not.
public enum ColorAdjust {
    /// Luma weights of torchvision's `rgb_to_grayscale` (ITU-R 601-2).
    public static let lumaWeights: (r: Float, g: Float, b: Float) = (0.2989, 0.587, 0.114)

    /// Blend with black.
    public static func brightness(_ input: UnsafePointer<Float>, shape: [Int], factor: Float,
                                  to output: UnsafeMutablePointer<Float>) {
        requireImageShape(shape, "brightness")
        for i in 0..<shape.reduce(1, *) { output[i] = clamp01(factor * input[i]) }
    }

    /// Blend with the mean gray level of the whole image (the mean of the luma for RGB).
    public static func contrast(_ input: UnsafePointer<Float>, shape: [Int], factor: Float,
                                to output: UnsafeMutablePointer<Float>) {
        requireImageShape(shape, "contrast")
        let plane = shape[1] * shape[2]
        var sum: Double = 0
        if shape[0] == 3 {
            for i in 0..<plane { sum += Double(luma(input, i, plane)) }
        } else {
            for i in 0..<(shape[0] * plane) { sum += Double(input[i]) }
        }
        let mean = Float(sum / Double(shape[0] == 3 ? plane : shape[0] * plane))
        let offset = (1 - factor) * mean
        for i in 0..<(shape[0] * plane) { output[i] = clamp01(factor * input[i] + offset) }
    }

    /// Blend with the pixel's own gray level; a grayscale image is returned unchanged (as
    /// torchvision does for one channel, and as PIL's `Color` enhance does for mode L).
    public static func saturation(_ input: UnsafePointer<Float>, shape: [Int], factor: Float,
                                  to output: UnsafeMutablePointer<Float>) {
        requireImageShape(shape, "saturation")
        let plane = shape[1] * shape[2]
        guard shape[0] == 3 else {
            output.update(from: input, count: shape[0] * plane)
            return
        }
        for i in 0..<plane {
            let gray = (1 - factor) * luma(input, i, plane)
            for c in 0..<3 { output[c * plane + i] = clamp01(factor * input[c * plane + i] + gray) }
        }
    }

    /// Blend with the image smoothed by the 3×3 kernel [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13
    /// (PIL's `SMOOTH`), border pixels kept; images of side 2 or less are returned unchanged.
    public static func sharpness(_ input: UnsafePointer<Float>, shape: [Int], factor: Float,
                                 to output: UnsafeMutablePointer<Float>) {
        requireImageShape(shape, "sharpness")
        let (channels, h, w) = (shape[0], shape[1], shape[2])
        output.update(from: input, count: channels * h * w)
        guard h > 2 && w > 2 else { return }
        for c in 0..<channels {
            let p = input + c * h * w, o = output + c * h * w
            for y in 1..<(h - 1) {
                for x in 1..<(w - 1) {
                    var s: Float = 0
                    for dy in -1...1 { for dx in -1...1 { s += p[(y + dy) * w + x + dx] } }
                    let blurred = (s + 4 * p[y * w + x]) / 13
                    o[y * w + x] = clamp01(factor * p[y * w + x] + (1 - factor) * blurred)
                }
            }
        }
    }

    @inline(__always)
    static func luma(_ input: UnsafePointer<Float>, _ i: Int, _ plane: Int) -> Float {
        lumaWeights.r * input[i] + lumaWeights.g * input[plane + i] + lumaWeights.b * input[2 * plane + i]
    }
}

@inline(__always)
func clamp01(_ v: Float) -> Float { min(1, max(0, v)) }
