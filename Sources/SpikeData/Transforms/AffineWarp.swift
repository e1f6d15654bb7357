import Foundation
import SpikeTensor

/// Where each output pixel of a warp samples its source, in pixel-index coordinates (pixel
/// centres at integers, (0, 0) the centre of the top-left pixel):
/// source = (a·x + b·y + c, d·x + e·y + f) for output pixel (x, y).
public struct AffineMap: Sendable, Equatable {
    public var a, b, c, d, e, f: Double

    public init(a: Double, b: Double, c: Double, d: Double, e: Double, f: Double) {
        (self.a, self.b, self.c, self.d, self.e, self.f) = (a, b, c, d, e, f)
    }

    /// The map of PIL's `Image.transform(size, AFFINE, (a, b, c, d, e, f))`, whose coefficients
    /// use continuous coordinates with (0, 0) at the top-left corner of the first pixel.
    public static func pil(_ a: Double, _ b: Double, _ c: Double, _ d: Double, _ e: Double, _ f: Double) -> AffineMap {
        // index = corner − 0.5: source_index = a(x + ½) + b(y + ½) + c − ½, likewise for y.
        AffineMap(a: a, b: b, c: c + 0.5 * (a + b) - 0.5, d: d, e: e, f: f + 0.5 * (d + e) - 0.5)
    }

    /// Counter-clockwise rotation (as shown, row 0 on top) by `degrees` about the image centre,
    /// PIL's `Image.rotate`: its matrix entries are rounded to 15 decimals, as PIL does, so a
    /// quarter turn samples exactly on pixel centres.
    public static func rotation(degrees: Double, height: Int, width: Int) -> AffineMap {
        let radians = degrees * Double.pi / 180
        func round15(_ v: Double) -> Double { (v * 1e15).rounded() / 1e15 }
        let cosine = round15(cos(radians)), sine = round15(sin(radians))
        let cx = Double(width - 1) / 2, cy = Double(height - 1) / 2
        // source = R(−θ)·(p − centre) + centre, with y pointing down.
        return AffineMap(a: cosine, b: -sine, c: cx - cosine * cx + sine * cy,
                         d: sine, e: cosine, f: cy - sine * cx - cosine * cy)
    }
}

/// Bilinear warp of every channel of `input` (`[C, H, W]`) by `map`, with PIL's border rule
/// (`Image.transform` with `BILINEAR` and `fillcolor`): an output pixel whose source point lies
/// outside the image (beyond the outer pixel edges) takes `fill[c]`; inside, the four nearest
/// pixels are blended, clamped at the edge. `fill` holds one value per channel, or one for all.
public func warpAffineBilinear(_ input: UnsafePointer<Float>, shape: [Int], map: AffineMap, fill: [Float],
                               to output: UnsafeMutablePointer<Float>) {
    requireImageShape(shape, "warpAffineBilinear")
    let (channels, h, w) = (shape[0], shape[1], shape[2])
    precondition(fill.count == 1 || fill.count == channels,
                 "warp fill needs 1 or \(channels) values, got \(fill.count)")
    let plane = h * w
    for y in 0..<h {
        for x in 0..<w {
            let sx = map.a * Double(x) + map.b * Double(y) + map.c
            let sy = map.d * Double(x) + map.e * Double(y) + map.f
            let o = y * w + x
            // Inside means the source point lies within the outer pixel edges: [−½, W − ½).
            guard sx >= -0.5 && sx < Double(w) - 0.5 && sy >= -0.5 && sy < Double(h) - 0.5 else {
                for ch in 0..<channels { output[ch * plane + o] = fill.count == 1 ? fill[0] : fill[ch] }
                continue
            }
            let x0f = sx.rounded(.down), y0f = sy.rounded(.down)
            let fx = Float(sx - x0f), fy = Float(sy - y0f)
            let x0 = Int(x0f), y0 = Int(y0f)
            let xa = max(0, x0), xb = min(w - 1, x0 + 1), ya = max(0, y0), yb = min(h - 1, y0 + 1)
            for ch in 0..<channels {
                let p = input + ch * plane
                let top = p[ya * w + xa] + (p[ya * w + xb] - p[ya * w + xa]) * fx
                let bottom = p[yb * w + xa] + (p[yb * w + xb] - p[yb * w + xa]) * fx
                output[ch * plane + o] = top + (bottom - top) * fy
            }
        }
    }
}
