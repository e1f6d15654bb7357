/// Colours and proportions shared by SpikeLab's plots. Lengths are in design units, which
/// a plot multiplies by its `scale` (2 by default, for crisp output on dense screens).
enum PlotStyle {
    static let background = RGBColor.white
    static let text = RGBColor.gray(35)
    static let axis = RGBColor.gray(70)
    static let grid = RGBColor.gray(228)
    static let legendBorder = RGBColor.gray(190)
    static let padding = 8
    static let tickLength = 4
    static let tickLabelGap = 3
    static let titleGap = 7
    static let axisTitleGap = 6
}

/// One rectangle of a plot: its axes, ticks, grid and labels, and the mapping from data
/// coordinates to canvas pixels inside it.
struct PlotAxes {
    /// The data area in canvas pixels.
    let area: PixelRect
    let xTicks: AxisTicks
    let yTicks: AxisTicks
    let scale: Int

    /// Lays out axes inside `frame` (canvas pixels): title on top, y tick labels and the
    /// turned y title on the left, x tick labels and title below. With `showXTickLabels`
    /// off the x labels are left out (stacked plots share the bottom one).
    init(frame: PixelRect, scale: Int, title: String, xLabel: String, yLabel: String,
         xData: ClosedRange<Double>, yData: ClosedRange<Double>,
         xFixed: ClosedRange<Double>?, yFixed: ClosedRange<Double>?,
         integerX: Bool, showXTickLabels: Bool = true, maxYIntervals: Int? = nil, minimumLeft: Int? = nil) {
        self.scale = scale
        let s = scale
        let fontHeight = BitmapFont.capHeight * s
        let top = frame.y + PlotStyle.padding * s + (title.isEmpty ? 0 : fontHeight + PlotStyle.titleGap * s)
        let xLabelBand = showXTickLabels
            ? (PlotStyle.tickLength + PlotStyle.tickLabelGap) * s + fontHeight
                + (xLabel.isEmpty ? 0 : PlotStyle.axisTitleGap * s + fontHeight)
            : PlotStyle.tickLength * s
        let bottom = frame.y + frame.height - PlotStyle.padding * s - xLabelBand
        let areaHeight = max(bottom - top, 4 * s)

        // y ticks first: their labels decide how much room the left side needs.
        let yIntervals = maxYIntervals ?? min(8, max(2, areaHeight / (28 * s)))
        let yTicks = yFixed.map { AxisTicks(inside: $0, maxIntervals: yIntervals) }
            ?? AxisTicks(covering: yData.lowerBound, yData.upperBound, maxIntervals: yIntervals)
        let yLabelWidth = yTicks.labels.map { BitmapFont.size(of: $0, scale: s).width }.max() ?? 0
        let naturalLeft = frame.x + PlotStyle.padding * s + (yLabel.isEmpty ? 0 : fontHeight + PlotStyle.axisTitleGap * s)
            + yLabelWidth + (PlotStyle.tickLabelGap + PlotStyle.tickLength) * s
        // Stacked plots align their data areas on the widest left side.
        let left = max(naturalLeft, minimumLeft ?? naturalLeft)

        // x ticks: as many as fit without their labels touching (at least 3 characters apart).
        var right = frame.x + frame.width - PlotStyle.padding * s * 2
        var xIntervals = min(10, max(2, (right - left) / (45 * s)))
        var xTicks: AxisTicks
        while true {
            xTicks = xFixed.map { AxisTicks(inside: $0, maxIntervals: xIntervals, integerSteps: integerX) }
                ?? AxisTicks(covering: xData.lowerBound, xData.upperBound, maxIntervals: xIntervals, integerSteps: integerX)
            let widest = xTicks.labels.map { BitmapFont.size(of: $0, scale: s).width }.max() ?? 0
            // The last label is centred on the right edge: keep room for its right half.
            right = min(right, frame.x + frame.width - PlotStyle.padding * s - widest / 2)
            let spacing = Double(right - left) / Double(max(xTicks.values.count - 1, 1))
            if !showXTickLabels || xIntervals <= 1 || spacing >= Double(widest + 3 * BitmapFont.advance * s) { break }
            xIntervals -= 1
        }
        self.xTicks = xTicks
        self.yTicks = yTicks
        area = PixelRect(x: left, y: top, width: max(right - left, 4 * s), height: areaHeight)
    }

    /// Where to write `text` next to a horizontal line at canvas row `lineY`: above or below
    /// it, at its right end, its left end or a quarter, half or three quarters along —
    /// whichever box inside the data area covers the fewest `samples` (points along the
    /// curves), the right end first among equals. Returns the text's top-left corner.
    func labelPosition(_ text: String, lineY: Double, samples: [CanvasPoint]) -> (x: Int, y: Int) {
        let s = scale
        let size = BitmapFont.size(of: text, scale: s)
        let y = Int(lineY.rounded())
        let rightX = area.x + area.width - 4 * s - size.width, leftX = area.x + 4 * s
        let aboveY = y - 3 * s - BitmapFont.capHeight * s, belowY = y + 4 * s
        let alongX = [3, 2, 1].map { area.x + area.width * $0 / 4 - size.width / 2 }
        let candidates = [(rightX, aboveY), (leftX, aboveY), (rightX, belowY), (leftX, belowY)]
            + alongX.map { ($0, aboveY) } + alongX.map { ($0, belowY) }
        func cost(_ corner: (Int, Int)) -> Int {
            // A margin of a few pixels keeps the text clear of curves passing just outside it.
            let box = PixelRect(x: corner.0 - 4 * s, y: corner.1 - 3 * s, width: size.width + 8 * s,
                                height: size.height + 6 * s)
            let outside = box.y < area.y || box.y + box.height > area.y + area.height ? 1_000_000 : 0
            return outside + PlotAxes.count(samples, in: box)
        }
        let best = candidates.min { cost($0) < cost($1) }!
        return (best.0, best.1)
    }

    /// Writes a line label with a background-coloured halo one design unit wide, so it stays
    /// legible where a curve passes under it.
    func drawLabel(_ text: String, at corner: (x: Int, y: Int), color: RGBColor, on canvas: inout Canvas) {
        let s = scale
        for (dx, dy) in [(-s, 0), (s, 0), (0, -s), (0, s), (-s, -s), (s, s), (-s, s), (s, -s)] {
            canvas.drawText(text, x: corner.x + dx, y: corner.y + dy, color: PlotStyle.background, scale: s)
        }
        canvas.drawText(text, x: corner.x, y: corner.y, color: color, scale: s)
    }

    /// Points every pixel or so along a polyline (its vertices and the segments between).
    static func samplesAlong(_ points: [CanvasPoint]) -> [CanvasPoint] {
        var samples: [CanvasPoint] = []
        for (a, b) in zip(points, points.dropFirst()) {
            guard a.x.isFinite, a.y.isFinite, b.x.isFinite, b.y.isFinite else { continue }
            // At most a few thousand per segment: one to a point far off the plot needs no more.
            let steps = max(1, Int(min(max(abs(b.x - a.x), abs(b.y - a.y)) / 2, 4096)))
            for k in 0...steps {
                let t = Double(k) / Double(steps)
                samples.append(CanvasPoint(a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)))
            }
        }
        return samples + points.filter { $0.x.isFinite && $0.y.isFinite }
    }

    /// How many of `points` fall inside `rect`.
    static func count(_ points: [CanvasPoint], in rect: PixelRect) -> Int {
        points.reduce(0) { total, p in
            total + (p.x >= Double(rect.x) && p.x < Double(rect.x + rect.width)
                     && p.y >= Double(rect.y) && p.y < Double(rect.y + rect.height) ? 1 : 0)
        }
    }

    /// Where the data point `(x, y)` lies on the canvas.
    func point(_ x: Double, _ y: Double) -> CanvasPoint {
        let fx = (x - xTicks.lower) / (xTicks.upper - xTicks.lower)
        let fy = (y - yTicks.lower) / (yTicks.upper - yTicks.lower)
        return CanvasPoint(Double(area.x) + fx * Double(area.width - 1),
                           Double(area.y + area.height - 1) - fy * Double(area.height - 1))
    }

    /// Draws the grid, frame, ticks, tick labels and titles.
    func draw(on canvas: inout Canvas, frame: PixelRect, title: String, xLabel: String, yLabel: String,
              showXTickLabels: Bool = true) {
        let s = scale
        let right = area.x + area.width - 1, bottom = area.y + area.height - 1
        canvas.fillRect(x: area.x, y: area.y, width: area.width, height: area.height, color: PlotStyle.background)
        for value in xTicks.values {
            let x = Int(point(value, 0).x.rounded())
            if x > area.x && x < right { canvas.drawVerticalLine(x: x, y0: area.y + 1, y1: bottom - 1, color: PlotStyle.grid) }
        }
        for value in yTicks.values {
            let y = Int(point(0, value).y.rounded())
            if y > area.y && y < bottom { canvas.drawHorizontalLine(x0: area.x + 1, x1: right - 1, y: y, color: PlotStyle.grid) }
        }
        canvas.drawRect(x: area.x - s + 1, y: area.y - s + 1, width: area.width + 2 * (s - 1),
                        height: area.height + 2 * (s - 1), color: PlotStyle.axis, thickness: max(1, s / 2))
        let tick = PlotStyle.tickLength * s
        for (value, label) in zip(xTicks.values, xTicks.labels) {
            let x = Int(point(value, 0).x.rounded())
            canvas.fillRect(x: x - (s - 1) / 2, y: bottom + 1, width: max(1, s / 2 + s % 2), height: tick, color: PlotStyle.axis)
            if showXTickLabels {
                canvas.drawText(label, x: x, y: bottom + 1 + tick + PlotStyle.tickLabelGap * s, color: PlotStyle.text,
                                scale: s, anchor: .topCenter)
            }
        }
        for (value, label) in zip(yTicks.values, yTicks.labels) {
            let y = Int(point(0, value).y.rounded())
            canvas.fillRect(x: area.x - tick, y: y - (s - 1) / 2, width: tick, height: max(1, s / 2 + s % 2),
                            color: PlotStyle.axis)
            canvas.drawText(label, x: area.x - tick - PlotStyle.tickLabelGap * s, y: y, color: PlotStyle.text,
                            scale: s, anchor: .middleRight)
        }
        let fontHeight = BitmapFont.capHeight * s
        if !title.isEmpty {
            canvas.drawText(title, x: area.x + area.width / 2, y: frame.y + PlotStyle.padding * s,
                            color: PlotStyle.text, scale: s, anchor: .topCenter, bold: true)
        }
        if !xLabel.isEmpty && showXTickLabels {
            let y = bottom + 1 + tick + PlotStyle.tickLabelGap * s + fontHeight + PlotStyle.axisTitleGap * s
            canvas.drawText(xLabel, x: area.x + area.width / 2, y: y, color: PlotStyle.text, scale: s, anchor: .topCenter)
        }
        if !yLabel.isEmpty {
            canvas.drawText(yLabel, x: frame.x + PlotStyle.padding * s, y: area.y + area.height / 2,
                            color: PlotStyle.text, scale: s, anchor: .middleLeft, rotated: true)
        }
    }
}
