import SpikeTensor

/// Membrane traces of a few neurons, one row each over a shared time axis: the potential as
/// a line, the threshold as a dashed line, and the spikes as ticks in a strip under each trace.
public struct NeuronTracePlot: Sendable, Equatable {
    /// A title over the rows; empty for none.
    public var title: String
    /// Membrane potential per neuron per time step: `membrane[neuron][t]`.
    public var membrane: [[Double]]
    /// Spikes per neuron per time step: `spikes[neuron][t]`; empty for no spike strips.
    public var spikes: [[Bool]]
    /// The firing threshold, drawn dashed in every row; nil for none.
    public var threshold: Double?
    /// Row names, shown as the vertical axis titles.
    public var neuronNames: [String]
    /// Title of the shared time axis.
    public var timeLabel: String
    /// Width of the image and height of each row in design units (multiplied by `scale`).
    public var width: Int
    public var rowHeight: Int
    /// Pixels per design unit.
    public var scale: Int

    /// A plot of `membrane[neuron][t]` with optional `spikes[neuron][t]` and `threshold`.
    public init(title: String = "", membrane: [[Double]], spikes: [[Bool]] = [], threshold: Double? = nil,
                neuronNames: [String]? = nil, timeLabel: String = "time step", width: Int = 560,
                rowHeight: Int = 130, scale: Int = 2) {
        precondition(!membrane.isEmpty, "a trace plot needs at least one neuron")
        precondition(spikes.isEmpty || spikes.count == membrane.count,
                     "\(spikes.count) spike trains for \(membrane.count) membrane traces")
        for (neuron, train) in spikes.enumerated() where train.count != membrane[neuron].count {
            preconditionFailure("neuron \(neuron): \(train.count) spike steps but \(membrane[neuron].count) membrane steps")
        }
        precondition(neuronNames.map { $0.count == membrane.count } ?? true,
                     "\(neuronNames?.count ?? 0) names for \(membrane.count) neurons")
        precondition(width >= 160 && rowHeight >= 60, "a trace plot needs at least 160×60 design units per row")
        precondition(scale >= 1, "plot scale must be at least 1, got \(scale)")
        self.title = title
        self.membrane = membrane
        self.spikes = spikes
        self.threshold = threshold
        self.neuronNames = neuronNames ?? membrane.indices.map { "neuron \($0)" }
        self.timeLabel = timeLabel
        self.width = width
        self.rowHeight = rowHeight
        self.scale = scale
    }

    /// A plot of time-major tensors as neurons produce them: `membrane` is `[T, K]` (float),
    /// `spikes` `[T, K]` of any dtype (non-zero = spike); each of the K columns is a row.
    public init(title: String = "", membrane: Tensor, spikes: Tensor? = nil, threshold: Double? = nil,
                neuronNames: [String]? = nil, timeLabel: String = "time step") {
        precondition(membrane.rank == 2, "membrane traces are [T, K], got \(membrane.shape)")
        precondition(spikes.map { $0.shape == membrane.shape } ?? true,
                     "spikes \(spikes!.shape) do not match membrane \(membrane.shape)")
        let steps = membrane.shape[0], neurons = membrane.shape[1]
        let values = membrane.array, fired = spikes?.array
        self.init(title: title,
                  membrane: (0..<neurons).map { k in (0..<steps).map { Double(values[$0 * neurons + k]) } },
                  spikes: fired.map { fired in (0..<neurons).map { k in (0..<steps).map { fired[$0 * neurons + k] != 0 } } } ?? [],
                  threshold: threshold, neuronNames: neuronNames, timeLabel: timeLabel)
    }

    /// Width and height of the rendered image in pixels.
    public var pixelSize: (width: Int, height: Int) {
        (width * scale, titleBand + membrane.count * rowHeight * scale + bottomBand)
    }

    private var titleBand: Int { title.isEmpty ? 0 : (PlotStyle.padding * 2 + BitmapFont.capHeight) * scale }
    /// Room under the last row for the time tick labels and the time axis title.
    private var bottomBand: Int {
        (PlotStyle.tickLabelGap + BitmapFont.capHeight + (timeLabel.isEmpty ? 0 : PlotStyle.axisTitleGap + BitmapFont.capHeight)
            + PlotStyle.padding) * scale
    }
    private var stripHeight: Int { spikes.isEmpty ? 0 : 12 * scale }
    private var stripGap: Int { spikes.isEmpty ? 0 : 3 * scale }

    /// Draws the plot on a new canvas of `pixelSize`.
    public func render() -> Canvas {
        let s = scale
        let size = pixelSize
        var canvas = Canvas(width: size.width, height: size.height, background: PlotStyle.background)
        if !title.isEmpty {
            canvas.drawText(title, x: size.width / 2, y: PlotStyle.padding * s, color: PlotStyle.text,
                            scale: s, anchor: .topCenter, bold: true)
        }
        let steps = membrane.map(\.count).max() ?? 0
        let xData = 0...Double(max(steps - 1, 1))
        // Every row is laid out twice: first to find the widest left side, then aligned on it.
        func axes(row: Int, minimumLeft: Int?) -> (PlotAxes, PixelRect) {
            let frame = PixelRect(x: 0, y: titleBand + row * rowHeight * s, width: size.width,
                                  height: rowHeight * s - stripGap - stripHeight)
            let values = membrane[row].filter(\.isFinite) + (threshold.map { [$0] } ?? [])
            // 5% headroom, so neither the trace nor the threshold runs along the frame.
            let low = values.min() ?? 0, high = values.max() ?? 1
            let yData = (low - 0.05 * (high - low))...(high + 0.05 * (high - low))
            return (PlotAxes(frame: frame, scale: s, title: "", xLabel: "", yLabel: neuronNames[row],
                             xData: xData, yData: yData, xFixed: xData, yFixed: nil, integerX: true,
                             showXTickLabels: false, maxYIntervals: 3, minimumLeft: minimumLeft), frame)
        }
        let left = membrane.indices.map { axes(row: $0, minimumLeft: nil).0.area.x }.max()!
        for row in membrane.indices {
            let (plotAxes, frame) = axes(row: row, minimumLeft: left)
            plotAxes.draw(on: &canvas, frame: frame, title: "", xLabel: "", yLabel: neuronNames[row],
                          showXTickLabels: false)
            let area = plotAxes.area
            let color = RGBColor.categorical[row % RGBColor.categorical.count]
            let points = membrane[row].enumerated().map { plotAxes.point(Double($0.offset), $0.element) }
            let thresholdY = threshold.flatMap { $0.isFinite ? plotAxes.point(0, $0).y : nil }
            if let y = thresholdY {
                canvas.drawPolyline([CanvasPoint(Double(area.x), y), CanvasPoint(Double(area.x + area.width - 1), y)],
                                    color: .red, lineWidth: Double(s), dash: [Double(5 * s), Double(4 * s)], clip: area)
            }
            canvas.drawPolyline(points, color: color, lineWidth: 1.25 * Double(s), clip: area)
            if steps <= 40 {
                for point in points { canvas.drawMarker(.circle, at: point, size: 3.5 * Double(s), color: color, clip: area) }
            }
            if let y = thresholdY {
                let corner = plotAxes.labelPosition("threshold", lineY: y, samples: PlotAxes.samplesAlong(points))
                plotAxes.drawLabel("threshold", at: corner, color: .red, on: &canvas)
            }
            if !spikes.isEmpty {
                let strip = PixelRect(x: area.x, y: area.y + area.height + PlotStyle.tickLength * s + stripGap,
                                      width: area.width, height: stripHeight)
                canvas.drawHorizontalLine(x0: strip.x, x1: strip.x + strip.width - 1, y: strip.y + strip.height - 1,
                                          color: PlotStyle.grid)
                for (t, fired) in spikes[row].enumerated() where fired {
                    let x = Int(plotAxes.point(Double(t), 0).x.rounded())
                    canvas.fillRect(x: x - (s - 1) / 2, y: strip.y, width: s, height: strip.height, color: color)
                }
                canvas.drawText("spikes", x: area.x - (PlotStyle.tickLength + PlotStyle.tickLabelGap) * s,
                                y: strip.y + strip.height / 2, color: PlotStyle.text, scale: s, anchor: .middleRight)
            }
            if row == membrane.count - 1 {
                // The shared time axis under the last row (its strip included).
                let top = area.y + area.height + PlotStyle.tickLength * s + stripGap + stripHeight
                for (value, label) in zip(plotAxes.xTicks.values, plotAxes.xTicks.labels) {
                    let x = Int(plotAxes.point(value, 0).x.rounded())
                    canvas.drawText(label, x: x, y: top + PlotStyle.tickLabelGap * s, color: PlotStyle.text,
                                    scale: s, anchor: .topCenter)
                }
                if !timeLabel.isEmpty {
                    let y = top + (PlotStyle.tickLabelGap + BitmapFont.capHeight + PlotStyle.axisTitleGap) * s
                    canvas.drawText(timeLabel, x: area.x + area.width / 2, y: y, color: PlotStyle.text, scale: s,
                                    anchor: .topCenter)
                }
            }
        }
        return canvas
    }

    /// Renders the plot and writes it to `path` as a PNG.
    public func write(to path: String) throws(PNGError) { try render().write(to: path) }
}
