import SpikeTensor

extension Canvas {
    /// Draws `image` scaled to the `width × height` rectangle at `(x, y)` by nearest
    /// neighbour; gray is spread to RGB and alpha is composited on what is below.
    public mutating func drawImage(_ image: PNGImage, x: Int, y: Int, width: Int, height: Int) {
        let channels = image.channels
        forEachTarget(x: x, y: y, width: width, height: height, sourceWidth: image.width,
                      sourceHeight: image.height) { canvas, targetX, targetY, source in
            let i = source * channels
            let samples = image.pixels
            let color = channels < 3 ? RGBColor.gray(samples[i]) : RGBColor(samples[i], samples[i + 1], samples[i + 2])
            if channels == 2 || channels == 4 {
                canvas.blendPixel(x: targetX, y: targetY, color, opacity: Double(samples[i + channels - 1]) / 255)
            } else {
                canvas.setPixel(x: targetX, y: targetY, color)
            }
        }
    }

    /// Draws an image tensor — gray `[H, W]` or `[1, H, W]`, colour `[3, H, W]`, any dtype —
    /// scaled to the `width × height` rectangle at `(x, y)` by nearest neighbour. Values map
    /// linearly from `range` to 0…255 (clamped); by default `range` is 0…255 for UInt8
    /// tensors and the smallest…largest value otherwise.
    public mutating func drawImage(_ tensor: Tensor, x: Int, y: Int, width: Int, height: Int,
                                   range: ClosedRange<Float>? = nil) {
        let isGray = tensor.rank == 2 || (tensor.rank == 3 && tensor.shape[0] == 1)
        precondition(isGray || (tensor.rank == 3 && tensor.shape[0] == 3),
                     "an image tensor is [H, W], [1, H, W] or [3, H, W], got \(tensor.shape)")
        let sourceHeight = tensor.shape[tensor.rank - 2], sourceWidth = tensor.shape[tensor.rank - 1]
        let values = tensor.array
        let plane = sourceHeight * sourceWidth
        guard plane > 0 else { return }
        let bounds = range ?? (tensor.dtype == .uint8 ? 0...255 : Canvas.valueRange(values))
        let span = bounds.upperBound - bounds.lowerBound
        func level(_ value: Float) -> UInt8 {
            guard span > 0, value.isFinite else { return value >= bounds.upperBound ? 255 : 0 }
            return UInt8((min(max((value - bounds.lowerBound) / span, 0), 1) * 255).rounded())
        }
        forEachTarget(x: x, y: y, width: width, height: height, sourceWidth: sourceWidth,
                      sourceHeight: sourceHeight) { canvas, targetX, targetY, source in
            let color = isGray ? RGBColor.gray(level(values[source]))
                               : RGBColor(level(values[source]), level(values[plane + source]),
                                          level(values[2 * plane + source]))
            canvas.setPixel(x: targetX, y: targetY, color)
        }
    }

    /// Draws an event frame `[2, H, W]` of per-pixel event counts (any dtype) scaled to the
    /// `width × height` rectangle at `(x, y)`: ON events (channel `onChannel`) in red, OFF
    /// events in blue, both in dark purple to black, none in white. A count of `saturation`
    /// (by default the largest count) or more shows at full strength.
    public mutating func drawEventFrame(_ frame: Tensor, x: Int, y: Int, width: Int, height: Int,
                                        onChannel: Int = 1, saturation: Float? = nil) {
        precondition(frame.rank == 3 && frame.shape[0] == 2, "an event frame is [2, H, W], got \(frame.shape)")
        precondition(onChannel == 0 || onChannel == 1, "the ON channel is 0 or 1, got \(onChannel)")
        let sourceHeight = frame.shape[1], sourceWidth = frame.shape[2]
        let values = frame.array
        let plane = sourceHeight * sourceWidth
        guard plane > 0 else { return }
        let full = saturation ?? max(values.max() ?? 0, Float.leastNormalMagnitude)
        func strength(_ count: Float) -> Double { Double(min(max(count / full, 0), 1)) }
        forEachTarget(x: x, y: y, width: width, height: height, sourceWidth: sourceWidth,
                      sourceHeight: sourceHeight) { canvas, targetX, targetY, source in
            let on = strength(values[onChannel * plane + source])
            let off = strength(values[(1 - onChannel) * plane + source])
            func component(_ amount: Double) -> UInt8 { UInt8((255 * (1 - amount)).rounded()) }
            canvas.setPixel(x: targetX, y: targetY,
                            RGBColor(component(off), component(max(on, off)), component(on)))
        }
    }

    /// Calls `body` for each canvas pixel of the target rectangle with the row-major index
    /// of the source pixel that nearest-neighbour scaling puts there.
    private mutating func forEachTarget(x: Int, y: Int, width: Int, height: Int, sourceWidth: Int, sourceHeight: Int,
                                        _ body: (inout Canvas, Int, Int, Int) -> Void) {
        precondition(width >= 0 && height >= 0, "a target rectangle cannot have a negative size (\(width)×\(height))")
        guard sourceWidth > 0, sourceHeight > 0 else { return }
        for row in max(0, -y)..<max(0, min(height, self.height - y)) {
            // The source pixel whose span contains the target pixel's centre.
            let sourceRow = (2 * row + 1) * sourceHeight / (2 * height)
            for column in max(0, -x)..<max(0, min(width, self.width - x)) {
                let sourceColumn = (2 * column + 1) * sourceWidth / (2 * width)
                body(&self, x + column, y + row, sourceRow * sourceWidth + sourceColumn)
            }
        }
    }

    /// Smallest…largest finite value, or 0…1 when there is none.
    static func valueRange(_ values: [Float]) -> ClosedRange<Float> {
        var low = Float.infinity, high = -Float.infinity
        for value in values where value.isFinite {
            low = min(low, value)
            high = max(high, value)
        }
        return low <= high ? low...high : 0...1
    }
}
