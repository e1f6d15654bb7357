import SpikeTensor

/// PIL's `ImageOps` tone curves (as timm's AutoAugment and RandAugment call them) on float
/// images `[C, H, W]` in [0, 1], each channel on its own.
///
/// Ops defined on 8-bit levels (`equalize`, `posterize`, and the thresholds of `solarize`,
/// `solarizeAdd`) read a pixel as its level `round(255 · x)`; for images decoded from bytes
/// these are PIL's results exactly. `autocontrast` and `invert` are their continuous forms
/// (PIL's autocontrast truncates its 8-bit lookup table; ours does not round).
public enum ToneOps {
    /// 1 − x.
    public static func invert(_ input: UnsafePointer<Float>, shape: [Int], to output: UnsafeMutablePointer<Float>) {
        requireImageShape(shape, "invert")
        for i in 0..<shape.reduce(1, *) { output[i] = 1 - input[i] }
    }

    /// Each channel stretched linearly so its darkest pixel becomes 0 and its brightest 1; a
    /// constant channel is left as it is.
    public static func autocontrast(_ input: UnsafePointer<Float>, shape: [Int], to output: UnsafeMutablePointer<Float>) {
        requireImageShape(shape, "autocontrast")
        let plane = shape[1] * shape[2]
        for c in 0..<shape[0] {
            let p = input + c * plane, o = output + c * plane
            var low = p[0], high = p[0]
            for i in 0..<plane { low = min(low, p[i]); high = max(high, p[i]) }
            guard high > low else {
                o.update(from: p, count: plane)
                continue
            }
            let scale = 1 / (high - low)
            for i in 0..<plane { o[i] = clamp01((p[i] - low) * scale) }
        }
    }

    /// Histogram equalisation per channel, PIL's `ImageOps.equalize` (Pillow 13; torchvision's
    /// tensor version agrees): with `step` = (pixel count − the count of the highest occupied
    /// level) / 255 (integer division), level v maps to
    /// (step / 2 + pixels below v) / step, at most 255; a channel with one occupied level, or
    /// step 0, is left as it is.
    public static func equalize(_ input: UnsafePointer<Float>, shape: [Int], to output: UnsafeMutablePointer<Float>) {
        requireImageShape(shape, "equalize")
        let plane = shape[1] * shape[2]
        var histogram = [Int](repeating: 0, count: 256)
        for c in 0..<shape[0] {
            let p = input + c * plane, o = output + c * plane
            for v in 0..<256 { histogram[v] = 0 }
            for i in 0..<plane { histogram[level(p[i])] += 1 }
            let occupied = histogram.filter { $0 > 0 }
            let step = occupied.count <= 1 ? 0 : (plane - occupied.last!) / 255
            guard step > 0 else {
                o.update(from: p, count: plane)
                continue
            }
            var table = [Float](repeating: 0, count: 256)
            var n = step / 2
            for v in 0..<256 {
                table[v] = Float(min(255, n / step)) / 255
                n += histogram[v]
            }
            for i in 0..<plane { o[i] = table[level(p[i])] }
        }
    }

    /// Keeps the `bits` most significant bits of each 8-bit level (`bits` ≥ 8 is the identity,
    /// 0 gives black), PIL's `ImageOps.posterize`.
    public static func posterize(_ input: UnsafePointer<Float>, shape: [Int], bits: Int,
                                 to output: UnsafeMutablePointer<Float>) {
        requireImageShape(shape, "posterize")
        let count = shape.reduce(1, *)
        guard bits < 8 else {
            output.update(from: input, count: count)
            return
        }
        let mask = bits <= 0 ? 0 : ~((1 << (8 - bits)) - 1) & 0xFF
        for i in 0..<count { output[i] = Float(level(input[i]) & mask) / 255 }
    }

    /// Inverts every pixel whose level is at least `threshold` (0…256), PIL's `ImageOps.solarize`.
    public static func solarize(_ input: UnsafePointer<Float>, shape: [Int], threshold: Int,
                                to output: UnsafeMutablePointer<Float>) {
        requireImageShape(shape, "solarize")
        for i in 0..<shape.reduce(1, *) { output[i] = level(input[i]) >= threshold ? 1 - input[i] : input[i] }
    }

    /// Adds `add` levels (capped at 255) to every pixel below level `threshold`, timm's `solarize_add`.
    public static func solarizeAdd(_ input: UnsafePointer<Float>, shape: [Int], add: Int, threshold: Int = 128,
                                   to output: UnsafeMutablePointer<Float>) {
        requireImageShape(shape, "solarizeAdd")
        let shift = Float(add) / 255
        for i in 0..<shape.reduce(1, *) {
            output[i] = level(input[i]) < threshold ? min(1, input[i] + shift) : input[i]
        }
    }

    /// The 8-bit level of a pixel in [0, 1]: round(255 · x), clamped to 0…255.
    @inline(__always)
    static func level(_ x: Float) -> Int {
        Int(min(255, max(0, (x * 255).rounded())))
    }
}
