/// One named curve of a line chart: `y` against `x`, where a NaN in either breaks the line.
public struct PlotSeries: Sendable, Equatable {
    /// Shown in the legend; an empty name keeps the series out of it.
    public var name: String
    public var x: [Double]
    public var y: [Double]
    /// Line colour; nil takes the next of `RGBColor.categorical` in the panel.
    public var color: RGBColor?
    /// A marker drawn at every finite point, or none.
    public var marker: Marker?
    /// Whether the line is dashed (e.g. a validation curve next to its training curve).
    public var dashed: Bool

    /// A series of the points `(x[i], y[i])`.
    public init(name: String, x: [Double], y: [Double], color: RGBColor? = nil, marker: Marker? = nil,
                dashed: Bool = false) {
        precondition(x.count == y.count, "series \"\(name)\" has \(x.count) x values but \(y.count) y values")
        self.name = name
        self.x = x
        self.y = y
        self.color = color
        self.marker = marker
        self.dashed = dashed
    }
}

/// A horizontal reference line across a panel, e.g. a firing threshold or a paper's reported value.
public struct PlotReferenceLine: Sendable, Equatable {
    public var y: Double
    public var label: String
    public var color: RGBColor

    /// A dashed horizontal line at `y`, labelled at its right end.
    public init(y: Double, label: String = "", color: RGBColor = .gray(110)) {
        self.y = y
        self.label = label
        self.color = color
    }
}

/// Where a panel's legend goes.
public enum LegendPlacement: Sendable, Equatable {
    /// The inside corner that hides the fewest data.
    case automatic
    case topLeft, topRight, bottomLeft, bottomRight
    /// No legend.
    case hidden
}

/// One chart of a `LinePlot`: a title, axis titles, series and optional fixed ranges.
public struct PlotPanel: Sendable, Equatable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [PlotSeries]
    /// Dashed horizontal lines drawn under the series.
    public var referenceLines: [PlotReferenceLine]
    /// A fixed x range; nil fits nice ticks around the data.
    public var xRange: ClosedRange<Double>?
    /// A fixed y range; nil fits nice ticks around the data.
    public var yRange: ClosedRange<Double>?
    public var legend: LegendPlacement

    /// A panel showing `series`.
    public init(title: String = "", xLabel: String = "", yLabel: String = "", series: [PlotSeries],
                referenceLines: [PlotReferenceLine] = [], xRange: ClosedRange<Double>? = nil,
                yRange: ClosedRange<Double>? = nil, legend: LegendPlacement = .automatic) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.referenceLines = referenceLines
        self.xRange = xRange
        self.yRange = yRange
        self.legend = legend
    }
}

/// A line chart of one or more panels side by side (or in a grid), e.g. loss and accuracy
/// per epoch, rendered to a `Canvas` or straight to a PNG file.
///
/// Axes get "nice" 1-2-5 ticks around the data (integer steps when every x is an integer),
/// each series a distinct colour, and each panel a legend placed where it hides the least.
public struct LinePlot: Sendable, Equatable {
    /// A title over all panels; empty for none.
    public var title: String
    public var panels: [PlotPanel]
    /// Panels per row; nil puts them all in one row.
    public var columns: Int?
    /// Size of each panel in design units (multiplied by `scale`).
    public var panelWidth: Int
    public var panelHeight: Int
    /// Pixels per design unit: text, lines and margins grow with it.
    public var scale: Int

    /// A chart of `panels`.
    public init(title: String = "", panels: [PlotPanel], columns: Int? = nil, panelWidth: Int = 400,
                panelHeight: Int = 280, scale: Int = 2) {
        precondition(!panels.isEmpty, "a line plot needs at least one panel")
        precondition(columns.map { $0 >= 1 } ?? true, "a line plot needs at least one column")
        precondition(panelWidth >= 120 && panelHeight >= 80,
                     "a panel needs at least 120×80 design units, got \(panelWidth)×\(panelHeight)")
        precondition(scale >= 1, "plot scale must be at least 1, got \(scale)")
        self.title = title
        self.panels = panels
        self.columns = columns
        self.panelWidth = panelWidth
        self.panelHeight = panelHeight
        self.scale = scale
    }

    /// Width and height of the rendered image in pixels.
    public var pixelSize: (width: Int, height: Int) {
        let columns = min(self.columns ?? panels.count, panels.count)
        let rows = (panels.count + columns - 1) / columns
        return (columns * panelWidth * scale, rows * panelHeight * scale + titleBand)
    }

    /// Height of the band above the panels that holds `title`.
    private var titleBand: Int {
        title.isEmpty ? 0 : (PlotStyle.padding * 2 + BitmapFont.capHeight) * scale
    }

    /// Draws the chart on a new canvas of `pixelSize`.
    public func render() -> Canvas {
        let size = pixelSize
        var canvas = Canvas(width: size.width, height: size.height, background: PlotStyle.background)
        if !title.isEmpty {
            canvas.drawText(title, x: size.width / 2, y: PlotStyle.padding * scale, color: PlotStyle.text,
                            scale: scale, anchor: .topCenter, bold: true)
        }
        let columns = min(self.columns ?? panels.count, panels.count)
        for (index, panel) in panels.enumerated() {
            let frame = PixelRect(x: (index % columns) * panelWidth * scale,
                                  y: titleBand + (index / columns) * panelHeight * scale,
                                  width: panelWidth * scale, height: panelHeight * scale)
            LinePlot.draw(panel, in: frame, scale: scale, on: &canvas)
        }
        return canvas
    }

    /// Renders the chart and writes it to `path` as a PNG.
    public func write(to path: String) throws(PNGError) { try render().write(to: path) }

    // MARK: - Drawing one panel

    static func draw(_ panel: PlotPanel, in frame: PixelRect, scale s: Int, on canvas: inout Canvas) {
        let finiteX = panel.series.flatMap { series in zip(series.x, series.y).filter { $0.1.isFinite }.map(\.0) }
            .filter(\.isFinite)
        let finiteY = panel.series.flatMap { series in zip(series.x, series.y).filter { $0.0.isFinite }.map(\.1) }
            .filter(\.isFinite) + panel.referenceLines.map(\.y).filter(\.isFinite)
        let xData = (finiteX.min() ?? 0)...(finiteX.max() ?? 1)
        let yData = (finiteY.min() ?? 0)...(finiteY.max() ?? 1)
        let integerX = !finiteX.isEmpty && finiteX.allSatisfy { $0 == $0.rounded() }
        let axes = PlotAxes(frame: frame, scale: s, title: panel.title, xLabel: panel.xLabel, yLabel: panel.yLabel,
                            xData: xData, yData: yData, xFixed: panel.xRange, yFixed: panel.yRange, integerX: integerX)
        axes.draw(on: &canvas, frame: frame, title: panel.title, xLabel: panel.xLabel, yLabel: panel.yLabel)

        let area = axes.area
        let mapped = panel.series.map { series in zip(series.x, series.y).map { axes.point($0.0, $0.1) } }
        let curveSamples = mapped.flatMap(PlotAxes.samplesAlong)
        var referenceSamples: [CanvasPoint] = []
        var labels: [(text: String, corner: (x: Int, y: Int), color: RGBColor)] = []
        for line in panel.referenceLines where line.y.isFinite {
            let y = axes.point(0, line.y).y
            guard y >= Double(area.y), y <= Double(area.y + area.height - 1) else { continue }
            let ends = [CanvasPoint(Double(area.x), y), CanvasPoint(Double(area.x + area.width - 1), y)]
            referenceSamples += PlotAxes.samplesAlong(ends)
            canvas.drawPolyline(ends, color: line.color, lineWidth: Double(s), dash: [Double(5 * s), Double(4 * s)], clip: area)
            if !line.label.isEmpty {
                labels.append((line.label, axes.labelPosition(line.label, lineY: y, samples: curveSamples), line.color))
            }
        }

        for (index, series) in panel.series.enumerated() {
            let color = series.color ?? RGBColor.categorical[index % RGBColor.categorical.count]
            let points = mapped[index]
            canvas.drawPolyline(points, color: color, lineWidth: 1.25 * Double(s),
                                dash: series.dashed ? [Double(6 * s), Double(4 * s)] : nil, clip: area)
            if let marker = series.marker {
                for point in points where point.x.isFinite && point.y.isFinite {
                    canvas.drawMarker(marker, at: point, size: 5 * Double(s), color: color,
                                      lineWidth: Double(s), clip: area)
                }
            }
        }
        // Labels go over the curves (with a halo), the legend over everything.
        for label in labels { axes.drawLabel(label.text, at: label.corner, color: label.color, on: &canvas) }
        drawLegend(panel, samples: curveSamples + referenceSamples, area: area, scale: s, on: &canvas)
    }

    /// The legend: one row per named series, a line sample (with its marker) and the name.
    private static func drawLegend(_ panel: PlotPanel, samples: [CanvasPoint], area: PixelRect, scale s: Int,
                                   on canvas: inout Canvas) {
        let entries = panel.series.enumerated().filter { !$0.element.name.isEmpty }
        guard !entries.isEmpty, panel.legend != .hidden else { return }
        let sample = 18 * s, gap = 5 * s, inset = 5 * s, rowHeight = 11 * s
        let nameWidth = entries.map { BitmapFont.size(of: $0.element.name, scale: s).width }.max() ?? 0
        let width = inset * 2 + sample + gap + nameWidth
        let height = inset * 2 + rowHeight * entries.count - 4 * s
        let margin = 6 * s
        let left = area.x + margin, right = area.x + area.width - margin - width
        let top = area.y + margin, bottom = area.y + area.height - margin - height
        let corners: [(LegendPlacement, PixelRect)] = [
            (.topRight, PixelRect(x: right, y: top, width: width, height: height)),
            (.topLeft, PixelRect(x: left, y: top, width: width, height: height)),
            (.bottomRight, PixelRect(x: right, y: bottom, width: width, height: height)),
            (.bottomLeft, PixelRect(x: left, y: bottom, width: width, height: height)),
        ]
        let box: PixelRect
        if panel.legend == .automatic {
            // The corner whose box covers the fewest samples along the drawn curves and lines.
            box = corners.min { a, b in
                PlotAxes.count(samples, in: a.1) < PlotAxes.count(samples, in: b.1)
            }!.1
        } else {
            box = corners.first { $0.0 == panel.legend }!.1
        }
        canvas.fillRect(x: box.x, y: box.y, width: box.width, height: box.height, color: PlotStyle.background)
        canvas.drawRect(x: box.x, y: box.y, width: box.width, height: box.height, color: PlotStyle.legendBorder)
        for (row, (index, series)) in entries.enumerated() {
            let color = series.color ?? RGBColor.categorical[index % RGBColor.categorical.count]
            let middle = Double(box.y + inset + row * rowHeight) + Double(BitmapFont.capHeight * s) / 2 - 0.5
            let x0 = Double(box.x + inset), x1 = Double(box.x + inset + sample)
            canvas.drawSmoothLine(from: CanvasPoint(x0, middle), to: CanvasPoint(x1, middle), color: color,
                                  lineWidth: 1.25 * Double(s), dash: series.dashed ? [Double(5 * s), Double(3 * s)] : nil)
            if let marker = series.marker {
                canvas.drawMarker(marker, at: CanvasPoint((x0 + x1) / 2, middle), size: 5 * Double(s), color: color,
                                  lineWidth: Double(s))
            }
            canvas.drawText(series.name, x: box.x + inset + sample + gap, y: box.y + inset + row * rowHeight,
                            color: PlotStyle.text, scale: s)
        }
    }
}
