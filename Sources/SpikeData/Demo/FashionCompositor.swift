import Foundation
import SpikeTensor

/// Paints demo images from real Fashion-MNIST items: textured colour backgrounds, items
/// scaled, tinted and pasted at chosen places, with each item's silhouette.
///
/// Every random choice comes from the generator passed in, so a scene is a pure function of
/// the seed and the source images.
struct FashionCompositor {
    /// An RGB canvas, Float `[3, H, W]` in [0, 1] stored row-major per channel.
    struct Canvas {
        let width: Int
        let height: Int
        var pixels: [Float]

        init(width: Int, height: Int) {
            self.width = width
            self.height = height
            pixels = [Float](repeating: 0, count: 3 * width * height)
        }

        /// UInt8 `[3, H, W]`, rounded.
        func bytes() -> Tensor {
            Tensor(uint8: pixels.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }, shape: [3, height, width])
        }
    }

    /// Fills `canvas` with a texture: a base colour modulated by two random plane waves and
    /// fine noise, so items do not sit on a flat field.
    static func paintBackground(_ canvas: inout Canvas, using g: inout PhiloxGenerator) {
        let base = (0..<3).map { _ in 0.15 + 0.6 * g.nextUniform() }
        let waves = (0..<2).map { _ -> (Float, Float, Float, Float) in
            let angle = g.nextUniform() * 2 * .pi
            let period = 6 + 30 * g.nextUniform()
            return (cos(angle) * 2 * .pi / period, sin(angle) * 2 * .pi / period, g.nextUniform() * 2 * .pi,
                    0.04 + 0.1 * g.nextUniform())
        }
        let plane = canvas.width * canvas.height
        for y in 0..<canvas.height {
            for x in 0..<canvas.width {
                var shade: Float = 0
                for (kx, ky, phase, amplitude) in waves {
                    shade += amplitude * sin(kx * Float(x) + ky * Float(y) + phase)
                }
                let noise = (g.nextUniform() - 0.5) * 0.06
                for c in 0..<3 {
                    canvas.pixels[c * plane + y * canvas.width + x] = max(0, min(1, base[c] + shade + noise))
                }
            }
        }
    }

    /// An item (Float `[1, 28, 28]` in [0, 1]) scaled to `size × size` (bilinear): its opacity map.
    static func scaledItem(_ item: Tensor, size: Int) -> [Float] {
        let scaled = resizeBilinear(item, height: size, width: size)
        return withExtendedLifetime(scaled) { Array(scaled.floats) }
    }

    /// Pastes an opacity map `alpha` (`size × size`) at (`left`, `top`) in `color` (alpha
    /// blending: the item's brightness is its coverage). Parts outside the canvas are dropped.
    static func paste(_ alpha: [Float], size: Int, left: Int, top: Int, color: [Float], on canvas: inout Canvas) {
        let plane = canvas.width * canvas.height
        for y in 0..<size {
            let cy = top + y
            guard cy >= 0 && cy < canvas.height else { continue }
            for x in 0..<size {
                let cx = left + x
                guard cx >= 0 && cx < canvas.width else { continue }
                let a = alpha[y * size + x]
                guard a > 0 else { continue }
                for c in 0..<3 {
                    let i = c * plane + cy * canvas.width + cx
                    canvas.pixels[i] = canvas.pixels[i] * (1 - a) + color[c] * a
                }
            }
        }
    }

    /// A saturated random colour that stands out from mid-grey backgrounds.
    static func itemColor(using g: inout PhiloxGenerator) -> [Float] {
        let hue = g.nextUniform() * 6
        let sector = Int(hue) % 6, f = hue - Float(Int(hue))
        let (hi, lo) = (Float(0.95), Float(0.1) + 0.2 * g.nextUniform())
        let mid = lo + (hi - lo) * f, down = hi - (hi - lo) * f
        switch sector {
        case 0: return [hi, mid, lo]
        case 1: return [down, hi, lo]
        case 2: return [lo, hi, mid]
        case 3: return [lo, down, hi]
        case 4: return [mid, lo, hi]
        default: return [hi, lo, down]
        }
    }
}
