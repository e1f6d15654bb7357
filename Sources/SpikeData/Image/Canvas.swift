/// A point on a `Canvas` in pixel units: integer coordinates are pixel centres, x grows to
/// the right and y downwards.
public struct CanvasPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double

    /// A point from its coordinates.
    public init(_ x: Double, _ y: Double) {
        self.x = x
        self.y = y
    }
}

/// A rectangle of whole pixels: top-left pixel `(x, y)`, `width × height` pixels.
public struct PixelRect: Sendable, Equatable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    /// A rectangle from its top-left pixel and size.
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// Whether pixel `(x, y)` lies inside.
    public func contains(x: Int, y: Int) -> Bool {
        x >= self.x && y >= self.y && x < self.x + width && y < self.y + height
    }

    /// Whether the rectangle shares at least one pixel with `other`.
    public func intersects(_ other: PixelRect) -> Bool {
        x < other.x + other.width && other.x < x + width && y < other.y + other.height && other.y < y + height
    }
}

/// The shape drawn at a data point.
public enum Marker: String, Sendable, CaseIterable {
    case circle, square, diamond, triangle, cross, plus
}

/// An RGB raster image to draw on: plots, data previews, detection boxes.
///
/// Pixel `(x, y)` is column `x`, row `y`, counted from the top-left corner. Drawing outside
/// the canvas is clipped, never an error. Crisp primitives (`drawLine`, rectangles, circles,
/// text) set whole pixels; `drawPolyline` and `drawMarker` are anti-aliased (blended by the
/// fraction of each pixel they cover) for plot curves.
public struct Canvas: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `height × width × 3` samples (red, green, blue), row by row.
    public private(set) var pixels: [UInt8]

    /// A canvas filled with `background`.
    public init(width: Int, height: Int, background: RGBColor = .white) {
        precondition(width >= 1 && height >= 1, "a canvas needs at least one pixel, got \(width)×\(height)")
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        fill(background)
    }

    /// A canvas showing `image`; gray is spread to RGB, alpha is composited on white.
    public init(image: PNGImage) {
        self.init(width: image.width, height: image.height)
        drawImage(image, x: 0, y: 0, width: image.width, height: image.height)
    }

    /// The colour of pixel `(x, y)`, which must lie on the canvas.
    public subscript(x: Int, y: Int) -> RGBColor {
        get {
            precondition(contains(x: x, y: y), "pixel (\(x), \(y)) is outside the \(width)×\(height) canvas")
            let i = (y * width + x) * 3
            return RGBColor(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            precondition(contains(x: x, y: y), "pixel (\(x), \(y)) is outside the \(width)×\(height) canvas")
            setPixel(x: x, y: y, newValue)
        }
    }

    /// Whether `(x, y)` is a pixel of the canvas.
    public func contains(x: Int, y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }

    /// The canvas as an RGB `PNGImage`.
    public var image: PNGImage { PNGImage(width: width, height: height, channels: 3, pixels: pixels) }

    /// Writes the canvas to `path` as an RGB PNG.
    public func write(to path: String) throws(PNGError) { try image.write(to: path) }

    // MARK: - Pixels

    /// Paints every pixel with `color`.
    public mutating func fill(_ color: RGBColor) {
        pixels.withUnsafeMutableBufferPointer { buffer in
            for i in stride(from: 0, to: buffer.count, by: 3) {
                buffer[i] = color.red
                buffer[i + 1] = color.green
                buffer[i + 2] = color.blue
            }
        }
    }

    /// Paints pixel `(x, y)`; does nothing outside the canvas.
    public mutating func setPixel(x: Int, y: Int, _ color: RGBColor) {
        guard contains(x: x, y: y) else { return }
        let i = (y * width + x) * 3
        pixels[i] = color.red
        pixels[i + 1] = color.green
        pixels[i + 2] = color.blue
    }

    /// Mixes `color` into pixel `(x, y)` with weight `opacity` (0 keeps it, 1 replaces it).
    public mutating func blendPixel(x: Int, y: Int, _ color: RGBColor, opacity: Double) {
        guard contains(x: x, y: y), opacity > 0 else { return }
        if opacity >= 1 { return setPixel(x: x, y: y, color) }
        let i = (y * width + x) * 3
        func mix(_ old: UInt8, _ new: UInt8) -> UInt8 {
            UInt8((Double(old) + (Double(new) - Double(old)) * opacity).rounded())
        }
        pixels[i] = mix(pixels[i], color.red)
        pixels[i + 1] = mix(pixels[i + 1], color.green)
        pixels[i + 2] = mix(pixels[i + 2], color.blue)
    }

    /// `value` rounded to a whole pixel, kept within ±10⁹ so that far-away points (data
    /// outside a plot's range) convert to `Int` safely and still clip.
    static func pixel(_ value: Double, _ rule: FloatingPointRoundingRule) -> Int {
        Int(min(max(value, -1e9), 1e9).rounded(rule))
    }

    // MARK: - Crisp lines and shapes

    /// A straight line of whole pixels from `(x0, y0)` to `(x1, y1)`, both ends included
    /// (Bresenham). A `thickness` above 1 paints a square of that side at every step; a `dash`
    /// of `[on, off]` step counts leaves gaps.
    public mutating func drawLine(x0: Int, y0: Int, x1: Int, y1: Int, color: RGBColor,
                                  thickness: Int = 1, dash: [Int]? = nil) {
        precondition(thickness >= 1, "line thickness must be at least 1, got \(thickness)")
        let period = dash.map { pattern -> Int in
            precondition(pattern.count == 2 && pattern[0] > 0 && pattern[1] >= 0,
                         "a dash is [on, off] with on > 0 and off ≥ 0, got \(pattern)")
            return pattern[0] + pattern[1]
        }
        let dx = abs(x1 - x0), dy = -abs(y1 - y0)
        let stepX = x0 < x1 ? 1 : -1, stepY = y0 < y1 ? 1 : -1
        var error = dx + dy
        var x = x0, y = y0, step = 0
        let low = (thickness - 1) / 2
        while true {
            if let period, let dash, step % period >= dash[0] {
                // In a gap of the dash pattern.
            } else if thickness == 1 {
                setPixel(x: x, y: y, color)
            } else {
                fillRect(x: x - low, y: y - low, width: thickness, height: thickness, color: color)
            }
            if x == x1 && y == y1 { break }
            let doubled = 2 * error
            if doubled >= dy { error += dy; x += stepX }
            if doubled <= dx { error += dx; y += stepY }
            step += 1
        }
    }

    /// A horizontal run of pixels from `x0` to `x1` (both included) on row `y`.
    public mutating func drawHorizontalLine(x0: Int, x1: Int, y: Int, color: RGBColor) {
        fillRect(x: min(x0, x1), y: y, width: abs(x1 - x0) + 1, height: 1, color: color)
    }

    /// A vertical run of pixels from `y0` to `y1` (both included) in column `x`.
    public mutating func drawVerticalLine(x: Int, y0: Int, y1: Int, color: RGBColor) {
        fillRect(x: x, y: min(y0, y1), width: 1, height: abs(y1 - y0) + 1, color: color)
    }

    /// Paints the `width × height` rectangle whose top-left pixel is `(x, y)`.
    public mutating func fillRect(x: Int, y: Int, width: Int, height: Int, color: RGBColor) {
        let left = max(x, 0), right = min(x + width, self.width)
        let top = max(y, 0), bottom = min(y + height, self.height)
        guard left < right, top < bottom else { return }
        let canvasWidth = self.width
        pixels.withUnsafeMutableBufferPointer { buffer in
            for row in top..<bottom {
                var i = (row * canvasWidth + left) * 3
                for _ in left..<right {
                    buffer[i] = color.red
                    buffer[i + 1] = color.green
                    buffer[i + 2] = color.blue
                    i += 3
                }
            }
        }
    }

    /// The outline of the `width × height` rectangle whose top-left pixel is `(x, y)`,
    /// `thickness` pixels wide, drawn inside the rectangle.
    public mutating func drawRect(x: Int, y: Int, width: Int, height: Int, color: RGBColor, thickness: Int = 1) {
        precondition(thickness >= 1, "outline thickness must be at least 1, got \(thickness)")
        guard width > 0, height > 0 else { return }
        let t = min(thickness, (min(width, height) + 1) / 2)
        fillRect(x: x, y: y, width: width, height: t, color: color)
        fillRect(x: x, y: y + height - t, width: width, height: t, color: color)
        fillRect(x: x, y: y + t, width: t, height: height - 2 * t, color: color)
        fillRect(x: x + width - t, y: y + t, width: t, height: height - 2 * t, color: color)
    }

    /// The outline of the circle of `radius` pixels around `(centerX, centerY)` (midpoint algorithm).
    public mutating func drawCircle(centerX: Int, centerY: Int, radius: Int, color: RGBColor) {
        precondition(radius >= 0, "circle radius must not be negative, got \(radius)")
        var x = radius, y = 0, decision = 1 - radius
        while x >= y {
            for (dx, dy) in [(x, y), (y, x), (-y, x), (-x, y), (-x, -y), (-y, -x), (y, -x), (x, -y)] {
                setPixel(x: centerX + dx, y: centerY + dy, color)
            }
            y += 1
            if decision < 0 {
                decision += 2 * y + 1
            } else {
                x -= 1
                decision += 2 * (y - x) + 1
            }
        }
    }

    /// The disc of `radius` pixels around `(centerX, centerY)`: every pixel whose centre lies
    /// within `radius + 0.5` of the centre.
    public mutating func fillCircle(centerX: Int, centerY: Int, radius: Int, color: RGBColor) {
        precondition(radius >= 0, "circle radius must not be negative, got \(radius)")
        let limit = (Double(radius) + 0.5) * (Double(radius) + 0.5)
        for dy in -radius...radius {
            let half = Int((limit - Double(dy * dy)).squareRoot().rounded(.down))
            let span = min(half, radius)
            drawHorizontalLine(x0: centerX - span, x1: centerX + span, y: centerY + dy, color: color)
        }
    }

    // MARK: - Anti-aliased curves and markers

    /// An anti-aliased line through `points`, `lineWidth` pixels wide with round joins and
    /// caps. A non-finite point breaks the line (a lone point between breaks shows as a dot).
    /// A `dash` of `[on, off]` lengths in pixels, measured along the line, leaves gaps.
    ///
    /// Only pixels inside `clip` (when given) are painted. Each pixel takes the largest
    /// coverage any segment gives it, so joins are not painted twice.
    public mutating func drawPolyline(_ points: [CanvasPoint], color: RGBColor, lineWidth: Double = 1.5,
                                      dash: [Double]? = nil, clip: PixelRect? = nil) {
        precondition(lineWidth > 0, "line width must be positive, got \(lineWidth)")
        if let dash {
            precondition(dash.count == 2 && dash[0] > 0 && dash[1] >= 0,
                         "a dash is [on, off] with on > 0 and off ≥ 0, got \(dash)")
        }
        let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
        guard !finite.isEmpty else { return }
        let half = lineWidth / 2
        // Coverage is gathered over the clipped bounding box of the whole line, then blended once.
        let margin = half + 1
        let bounds = clip ?? PixelRect(x: 0, y: 0, width: width, height: height)
        let left = max(0, bounds.x, Canvas.pixel(finite.map(\.x).min()! - margin, .down))
        let right = min(width - 1, bounds.x + bounds.width - 1, Canvas.pixel(finite.map(\.x).max()! + margin, .up))
        let top = max(0, bounds.y, Canvas.pixel(finite.map(\.y).min()! - margin, .down))
        let bottom = min(height - 1, bounds.y + bounds.height - 1, Canvas.pixel(finite.map(\.y).max()! + margin, .up))
        guard left <= right, top <= bottom else { return }
        let boxWidth = right - left + 1
        var coverage = [Float](repeating: 0, count: boxWidth * (bottom - top + 1))

        // Runs of finite points; each run is drawn segment by segment.
        var runs: [[CanvasPoint]] = [[]]
        for point in points {
            if point.x.isFinite && point.y.isFinite {
                runs[runs.count - 1].append(point)
            } else if !runs[runs.count - 1].isEmpty {
                runs.append([])
            }
        }
        for run in runs where !run.isEmpty {
            var travelled = 0.0  // length along the run so far, for dashes
            let segments = run.count == 1 ? [(run[0], run[0])] : (1..<run.count).map { (run[$0 - 1], run[$0]) }
            for (start, end) in segments {
                accumulateSegment(from: start, to: end, halfWidth: half, dash: dash, dashOffset: travelled,
                                  into: &coverage, left: left, top: top, right: right, bottom: bottom, boxWidth: boxWidth)
                travelled += ((end.x - start.x) * (end.x - start.x) + (end.y - start.y) * (end.y - start.y)).squareRoot()
            }
        }
        blend(coverage: coverage, left: left, top: top, boxWidth: boxWidth, color: color)
    }

    /// An anti-aliased straight line from `start` to `end`, `lineWidth` pixels wide.
    public mutating func drawSmoothLine(from start: CanvasPoint, to end: CanvasPoint, color: RGBColor,
                                        lineWidth: Double = 1.5, dash: [Double]? = nil, clip: PixelRect? = nil) {
        drawPolyline([start, end], color: color, lineWidth: lineWidth, dash: dash, clip: clip)
    }

    /// An anti-aliased marker `size` pixels across centred on `center`; filled shapes are
    /// filled, `cross` and `plus` are strokes `lineWidth` wide. Only pixels inside `clip`
    /// (when given) are painted.
    public mutating func drawMarker(_ marker: Marker, at center: CanvasPoint, size: Double, color: RGBColor,
                                    lineWidth: Double = 1.5, clip: PixelRect? = nil) {
        let r = size / 2
        switch marker {
        case .cross:
            let d = r * 0.8
            drawSmoothLine(from: CanvasPoint(center.x - d, center.y - d), to: CanvasPoint(center.x + d, center.y + d),
                           color: color, lineWidth: lineWidth, clip: clip)
            drawSmoothLine(from: CanvasPoint(center.x - d, center.y + d), to: CanvasPoint(center.x + d, center.y - d),
                           color: color, lineWidth: lineWidth, clip: clip)
        case .plus:
            drawSmoothLine(from: CanvasPoint(center.x - r, center.y), to: CanvasPoint(center.x + r, center.y),
                           color: color, lineWidth: lineWidth, clip: clip)
            drawSmoothLine(from: CanvasPoint(center.x, center.y - r), to: CanvasPoint(center.x, center.y + r),
                           color: color, lineWidth: lineWidth, clip: clip)
        case .circle:
            fillShape(center: center, radius: r, color: color, clip: clip) { dx, dy in dx * dx + dy * dy <= r * r }
        case .square:
            let s = r * 0.85
            fillShape(center: center, radius: r, color: color, clip: clip) { dx, dy in abs(dx) <= s && abs(dy) <= s }
        case .diamond:
            fillShape(center: center, radius: r, color: color, clip: clip) { dx, dy in abs(dx) + abs(dy) <= r }
        case .triangle:
            // Pointing up, its centroid on `center`.
            fillShape(center: center, radius: r, color: color, clip: clip) { dx, dy in
                let y = dy + r / 4  // shift so the centroid, not the box centre, sits on the point
                return y <= r * 0.75 && y >= -r && abs(dx) <= (y + r) * 0.577_35
            }
        }
    }

    /// Blends `color` into the pixels near `center` by the fraction of 4×4 sub-samples of each
    /// pixel for which `inside(dx, dy)` holds (offsets from `center`).
    private mutating func fillShape(center: CanvasPoint, radius: Double, color: RGBColor, clip: PixelRect?,
                                    inside: (Double, Double) -> Bool) {
        guard center.x.isFinite, center.y.isFinite, radius.isFinite else { return }
        let bounds = clip ?? PixelRect(x: 0, y: 0, width: width, height: height)
        let x0 = Canvas.pixel(center.x - radius - 1, .down), x1 = Canvas.pixel(center.x + radius + 1, .up)
        let y0 = Canvas.pixel(center.y - radius - 1, .down), y1 = Canvas.pixel(center.y + radius + 1, .up)
        for y in y0...y1 {
            for x in x0...x1 where contains(x: x, y: y) && bounds.contains(x: x, y: y) {
                var hits = 0
                for sy in 0..<4 {
                    for sx in 0..<4 {
                        let dx = Double(x) - 0.375 + Double(sx) * 0.25 - center.x
                        let dy = Double(y) - 0.375 + Double(sy) * 0.25 - center.y
                        if inside(dx, dy) { hits += 1 }
                    }
                }
                blendPixel(x: x, y: y, color, opacity: Double(hits) / 16)
            }
        }
    }

    /// Raises `coverage` (over the box `left…right × top…bottom`) to the coverage of the
    /// round-capped segment `start`–`end` of half-width `halfWidth`, skipping dash gaps.
    private func accumulateSegment(from start: CanvasPoint, to end: CanvasPoint, halfWidth: Double,
                                   dash: [Double]?, dashOffset: Double, into coverage: inout [Float],
                                   left: Int, top: Int, right: Int, bottom: Int, boxWidth: Int) {
        let reach = halfWidth + 1
        // Clip the segment to the box grown by the line's reach (Liang–Barsky), so a point far
        // off the canvas neither overflows the distance arithmetic nor costs a huge loop.
        let dx = end.x - start.x, dy = end.y - start.y
        var enter = 0.0, leave = 1.0
        let limits = [(-dx, start.x - (Double(left) - reach)), (dx, Double(right) + reach - start.x),
                      (-dy, start.y - (Double(top) - reach)), (dy, Double(bottom) + reach - start.y)]
        for (direction, room) in limits {
            if direction == 0 {
                if room < 0 { return }
            } else if direction < 0 {
                enter = max(enter, room / direction)
            } else {
                leave = min(leave, room / direction)
            }
        }
        guard enter <= leave else { return }
        let fullLength = (dx * dx + dy * dy).squareRoot()
        let dashOffset = dashOffset + (fullLength.isFinite ? enter * fullLength : 0)
        let origin = start
        let start = CanvasPoint(origin.x + enter * dx, origin.y + enter * dy)
        let end = CanvasPoint(origin.x + leave * dx, origin.y + leave * dy)
        let ex = end.x - start.x, ey = end.y - start.y
        let lengthSquared = ex * ex + ey * ey
        let length = lengthSquared.squareRoot()
        let x0 = max(left, Canvas.pixel(min(start.x, end.x) - reach, .down))
        let x1 = min(right, Canvas.pixel(max(start.x, end.x) + reach, .up))
        let y0 = max(top, Canvas.pixel(min(start.y, end.y) - reach, .down))
        let y1 = min(bottom, Canvas.pixel(max(start.y, end.y) + reach, .up))
        guard x0 <= x1, y0 <= y1 else { return }
        coverage.withUnsafeMutableBufferPointer { buffer in
            for y in y0...y1 {
                for x in x0...x1 {
                    let px = Double(x) - start.x, py = Double(y) - start.y
                    let t = lengthSquared > 0 ? min(max((px * ex + py * ey) / lengthSquared, 0), 1) : 0
                    let qx = px - t * ex, qy = py - t * ey
                    let distance = (qx * qx + qy * qy).squareRoot()
                    let amount = min(max(halfWidth + 0.5 - distance, 0), 1)
                    guard amount > 0 else { continue }
                    if let dash {
                        let along = dashOffset + t * length
                        if along.truncatingRemainder(dividingBy: dash[0] + dash[1]) >= dash[0] { continue }
                    }
                    let i = (y - top) * boxWidth + (x - left)
                    buffer[i] = max(buffer[i], Float(amount))
                }
            }
        }
    }

    /// Mixes `color` into the box at `(left, top)` by the per-pixel `coverage`.
    private mutating func blend(coverage: [Float], left: Int, top: Int, boxWidth: Int, color: RGBColor) {
        let rows = coverage.count / boxWidth
        for row in 0..<rows {
            for column in 0..<boxWidth {
                let amount = coverage[row * boxWidth + column]
                if amount > 0 { blendPixel(x: left + column, y: top + row, color, opacity: Double(amount)) }
            }
        }
    }
}
