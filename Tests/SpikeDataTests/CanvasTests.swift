import Foundation
import Testing
@testable import SpikeData
import SpikeTensor

/// The pixels of `canvas` that differ from `background`, as (x, y) pairs.
private func paintedPixels(_ canvas: Canvas, background: RGBColor = .white) -> [(x: Int, y: Int)] {
    var painted: [(x: Int, y: Int)] = []
    for y in 0..<canvas.height {
        for x in 0..<canvas.width where canvas[x, y] != background { painted.append((x, y)) }
    }
    return painted
}

/// Where sample images go when `SPIKELAB_PLOT_SAMPLES` names a folder (to look at them), else nil.
private func samplePath(_ name: String) -> String? {
    guard let folder = ProcessInfo.processInfo.environment["SPIKELAB_PLOT_SAMPLES"] else { return nil }
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return folder + "/" + name
}

@Suite("Canvas drawing")
struct CanvasTests {
    @Test("a Bresenham line sets both endpoints and exactly one pixel per column of a shallow slope")
    func lineEndpoints() {
        var canvas = Canvas(width: 20, height: 10)
        canvas.drawLine(x0: 2, y0: 1, x1: 11, y1: 4, color: .black)
        let painted = paintedPixels(canvas)
        #expect(canvas[2, 1] == .black && canvas[11, 4] == .black)
        #expect(painted.count == 10)
        #expect(Set(painted.map(\.x)) == Set(2...11))
        // Every pixel lies within half a pixel of the ideal line y = 1 + (x - 2) / 3.
        #expect(painted.allSatisfy { abs(Double($0.y) - (1 + Double($0.x - 2) / 3)) <= 0.5 })

        var steep = Canvas(width: 10, height: 20)
        steep.drawLine(x0: 7, y0: 18, x1: 3, y1: 0, color: .red)
        #expect(steep[7, 18] == .red && steep[3, 0] == .red)
        #expect(Set(paintedPixels(steep).map(\.y)) == Set(0...18) && paintedPixels(steep).count == 19)
    }

    @Test("thick, dashed, clipped lines and rectangles paint exactly the expected pixels")
    func thickDashedAndRectangles() {
        var canvas = Canvas(width: 30, height: 12)
        canvas.drawLine(x0: 0, y0: 2, x1: 19, y1: 2, color: .black, dash: [3, 2])
        #expect((0..<20).map { canvas[$0, 2] == .black } == (0..<20).map { $0 % 5 < 3 })
        canvas.drawLine(x0: 5, y0: 7, x1: 8, y1: 7, color: .blue, thickness: 3)
        #expect(paintedPixels(canvas).filter { canvas[$0.x, $0.y] == .blue }.count == 6 * 3)
        #expect(canvas[4, 6] == .blue && canvas[9, 8] == .blue && canvas[10, 7] == .white)
        // Far outside the canvas: clipped silently.
        canvas.drawLine(x0: -50, y0: -50, x1: 100, y1: 100, color: .green)
        #expect(canvas[0, 0] == .green && canvas[11, 11] == .green)

        var boxes = Canvas(width: 12, height: 12)
        boxes.drawRect(x: 1, y: 2, width: 6, height: 4, color: .black)
        #expect(paintedPixels(boxes).count == 2 * 6 + 2 * 2)
        #expect(boxes[1, 2] == .black && boxes[6, 5] == .black && boxes[3, 3] == .white)
        boxes.fillRect(x: 8, y: 8, width: 10, height: 10, color: .red)
        #expect(paintedPixels(boxes).filter { boxes[$0.x, $0.y] == .red }.count == 16)
    }

    @Test("circles: the outline stays within half a pixel of the radius, the disc is filled")
    func circles() {
        var canvas = Canvas(width: 21, height: 21)
        canvas.drawCircle(centerX: 10, centerY: 10, radius: 7, color: .black)
        let ring = paintedPixels(canvas)
        #expect(ring.allSatisfy { p in
            let d = (Double((p.x - 10) * (p.x - 10) + (p.y - 10) * (p.y - 10))).squareRoot()
            return abs(d - 7) <= 0.5
        })
        #expect(canvas[17, 10] == .black && canvas[10, 3] == .black && canvas[3, 10] == .black)
        canvas.fill(.white)
        canvas.fillCircle(centerX: 10, centerY: 10, radius: 4, color: .red)
        #expect(canvas[10, 10] == .red && canvas[14, 10] == .red && canvas[15, 10] == .white)
        // (3, 3) from the centre is within 4.5 of it, (4, 3) is not.
        #expect(canvas[13, 13] == .red && canvas[14, 13] == .white)
    }

    @Test("an anti-aliased polyline covers its centre line fully, leaves far pixels alone and breaks at NaN")
    func polylines() {
        var canvas = Canvas(width: 40, height: 12)
        let gap = CanvasPoint(.nan, .nan)
        canvas.drawPolyline([CanvasPoint(2, 5), CanvasPoint(12, 5), gap, CanvasPoint(22, 5), CanvasPoint(32, 5)],
                            color: .black, lineWidth: 1)
        #expect(canvas[7, 5] == .black && canvas[27, 5] == .black)
        #expect(canvas[17, 5] == .white, "the NaN point breaks the line")
        #expect(canvas[7, 7] == .white && canvas[7, 3] == .white)

        // A half-pixel offset puts the line between two rows: both get about half the colour.
        var half = Canvas(width: 20, height: 10)
        half.drawPolyline([CanvasPoint(2, 4.5), CanvasPoint(17, 4.5)], color: .black, lineWidth: 1)
        #expect((120...135).contains(Int(half[9, 4].red)) && half[9, 4] == half[9, 5])

        // A clip rectangle keeps the line inside it.
        var clipped = Canvas(width: 20, height: 10)
        clipped.drawPolyline([CanvasPoint(0, 5), CanvasPoint(19, 5)], color: .black, lineWidth: 2,
                             clip: PixelRect(x: 5, y: 0, width: 5, height: 10))
        #expect(paintedPixels(clipped).allSatisfy { (5..<10).contains($0.x) } && clipped[7, 5] == .black)
    }

    @Test("text renders inside the box it reports, and the glyph's pixels land where the font says")
    func textBox() {
        var canvas = Canvas(width: 80, height: 40)
        let box = canvas.drawText("Hi, 7%", x: 10, y: 12, color: .black, scale: 2)
        #expect(box == PixelRect(x: 10, y: 12, width: (6 * 6 - 1) * 2, height: 9 * 2))
        let painted = paintedPixels(canvas)
        #expect(painted.count > 50)
        #expect(painted.allSatisfy { box.contains(x: $0.x, y: $0.y) })
        // 'H': the top-left font pixel is set (a 2×2 block), the one right of it is not.
        #expect(canvas[10, 12] == .black && canvas[11, 13] == .black && canvas[12, 12] == .white)
        // ',' is the only glyph reaching below the baseline (font rows 7 and 8).
        let belowBaseline = painted.filter { $0.y >= 12 + 14 }
        #expect(!belowBaseline.isEmpty && belowBaseline.allSatisfy { $0.x >= 10 + 2 * 6 * 2 && $0.x < 10 + 3 * 6 * 2 })

        // Anchored at its centre, the capitals block is centred on the point.
        let centred = Canvas.textBounds("ABC", x: 40, y: 20, anchor: .center)
        #expect(centred == PixelRect(x: 40 - 17 / 2, y: 20 - 7 / 2, width: 17, height: 9))
        // Turned a quarter, the box turns too and the text still lands inside it.
        var turned = Canvas(width: 40, height: 60)
        let turnedBox = turned.drawText("Loss", x: 5, y: 30, color: .black, anchor: .middleLeft, rotated: true)
        #expect(turnedBox.width == 9 && turnedBox.height == 23)
        #expect(paintedPixels(turned).allSatisfy { turnedBox.contains(x: $0.x, y: $0.y) })
        // Reading upwards: the 'L' (first letter) is at the bottom of the box.
        #expect(paintedPixels(turned).map(\.y).max()! == turnedBox.y + turnedBox.height - 1)
    }

    @Test("every printable ASCII character has its own glyph, blank only for the space")
    func fontCoverage() {
        let glyphs = (32...126).map { BitmapFont.glyph(Character(UnicodeScalar(UInt8($0)))) }
        #expect(glyphs[0] == 0)
        #expect(glyphs.dropFirst().allSatisfy { $0 != 0 })
        #expect(Set(glyphs).count == 95)
        // Glyphs fit in 5×9 bits; only g j p q y , ; _ | use the two descender rows.
        let descending = (32...126).filter { glyphs[$0 - 32] & 0x3FF != 0 }.map { Character(UnicodeScalar(UInt8($0))) }
        #expect(Set(descending) == Set("gjpqy,;_|"))
        #expect(glyphs.allSatisfy { $0 >> 45 == 0 })
        #expect(BitmapFont.glyph("é") == BitmapFont.glyph("?"))
        #expect(BitmapFont.size(of: "ab\ncde", scale: 3) == (width: 17 * 3, height: 20 * 3))
    }

    @Test("gray tensors and event frames blit with nearest-neighbour scaling and the right colours")
    func imageBlits() {
        var canvas = Canvas(width: 8, height: 8)
        canvas.drawImage(Tensor([0, 1, 2, 3], shape: [2, 2]), x: 2, y: 2, width: 4, height: 4)
        #expect(canvas[2, 2] == .gray(0) && canvas[3, 3] == .gray(0))
        #expect(canvas[4, 2] == .gray(85) && canvas[5, 3] == .gray(85))
        #expect(canvas[2, 4] == .gray(170) && canvas[5, 5] == .gray(255))
        #expect(canvas[1, 1] == .white && canvas[6, 6] == .white)

        // [2, 1, 3]: pixel 0 OFF only, pixel 1 ON only, pixel 2 none.
        var events = Canvas(width: 3, height: 1, background: .black)
        events.drawEventFrame(Tensor([4, 0, 0, 0, 4, 0], shape: [2, 1, 3]), x: 0, y: 0, width: 3, height: 1)
        #expect(events[0, 0] == RGBColor(0, 0, 255))
        #expect(events[1, 0] == RGBColor(255, 0, 0))
        #expect(events[2, 0] == .white)

        let gray = PNGImage(width: 2, height: 1, channels: 1, pixels: [10, 200])
        let shown = Canvas(image: gray)
        #expect(shown[0, 0] == .gray(10) && shown[1, 0] == .gray(200))
        // RGBA: alpha 0 leaves the white background, alpha 255 replaces it, 51 mixes 20%.
        let rgba = PNGImage(width: 3, height: 1, channels: 4, pixels: [0, 0, 0, 0, 10, 20, 30, 255, 0, 0, 0, 51])
        let composited = Canvas(image: rgba)
        #expect(composited[0, 0] == .white && composited[1, 0] == RGBColor(10, 20, 30) && composited[2, 0] == .gray(204))
    }

    @Test("a preview sheet: a scaled digit, an event frame, a labelled box, a VOC mask and every marker")
    func previewSheet() throws {
        var sheet = Canvas(width: 600, height: 200)
        // A 28×28 "digit": a ring, upscaled ×5 by nearest neighbour.
        let digit = Tensor((0..<28 * 28).map { i -> Float in
            let x = Float(i % 28) - 13.5, y = Float(i / 28) - 13.5
            return abs((x * x + y * y).squareRoot() - 8) < 2.5 ? 1 : 0
        }, shape: [28, 28])
        sheet.drawImage(digit, x: 10, y: 30, width: 140, height: 140)
        #expect(sheet[80, 100] == .black && sheet[80, 100 - 40] == .white)
        // An event frame: ON events on the left half, OFF on the right, both in the middle column.
        let events = Tensor((0..<2 * 16 * 16).map { i -> Float in
            let channel = i / 256, x = i % 16
            return (channel == 1 && x <= 8) || (channel == 0 && x >= 8) ? Float(1 + (i % 3)) : 0
        }, shape: [2, 16, 16])
        sheet.drawEventFrame(events, x: 160, y: 30, width: 128, height: 128, saturation: 2)
        #expect(sheet[170, 60] == RGBColor(255, 0, 0) || sheet[170, 60].green < 255)
        #expect(sheet[280, 60].blue == 255 && sheet[280, 60].red < 255)
        // A detection box with its label on a filled tab.
        sheet.drawRect(x: 40, y: 60, width: 80, height: 70, color: .green, thickness: 3)
        let tab = Canvas.textBounds("digit 0.97", x: 40, y: 60, anchor: .bottomLeft)
        sheet.fillRect(x: tab.x, y: tab.y - 3, width: tab.width + 6, height: tab.height + 3, color: .green)
        sheet.drawText("digit 0.97", x: 43, y: 58, color: .white, anchor: .bottomLeft)
        // A segmentation mask in VOC colours, void border included.
        let mask = PalettedPNGImage(width: 32, height: 32, indices: (0..<32 * 32).map { i in
            let x = i % 32, y = i / 32
            if x == 0 || y == 0 || x == 31 || y == 31 { return 255 }
            return UInt8((x / 8 + y / 8) % 4 == 0 ? 0 : (x / 8 + 2 * (y / 8)) % 21)
        }, palette: vocColorMap())
        sheet.drawImage(mask.colorImage(), x: 300, y: 30, width: 128, height: 128)
        #expect(sheet[300, 30] == vocColorMap()[255])
        for (index, marker) in Marker.allCases.enumerated() {
            sheet.drawMarker(marker, at: CanvasPoint(460, 40 + 24 * Double(index)), size: 12,
                             color: RGBColor.categorical[index])
            sheet.drawText(marker.rawValue, x: 475, y: 40 + 24 * index, color: .black, scale: 2, anchor: .middleLeft)
        }
        sheet.drawText("MNIST 7 / events / VOC mask", x: 280, y: 8, color: .black, scale: 2, anchor: .topCenter, bold: true)
        if let path = samplePath("preview-sheet.png") { try sheet.write(to: path) }
    }

    @Test("nice ticks step by 1, 2 or 5 times a power of ten and cover the data")
    func niceTicks() {
        let unit = AxisTicks(covering: 0, 1)
        #expect(unit.values == [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        #expect(unit.labels == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        let small = AxisTicks(covering: 0.0013, 0.0171)
        #expect(small.values == [0, 0.005, 0.01, 0.015, 0.02])
        #expect(small.labels == ["0.000", "0.005", "0.010", "0.015", "0.020"])
        #expect(AxisTicks(covering: 3, 97).values == [0, 20, 40, 60, 80, 100])
        #expect(AxisTicks(covering: -2.5, 7).values == [-4, -2, 0, 2, 4, 6, 8])
        #expect(AxisTicks(covering: -2.5, 7).labels.first == "-4")
        #expect(AxisTicks(covering: 1, 3, integerSteps: true).values == [1, 2, 3])
        #expect(AxisTicks(covering: 1, 300, integerSteps: true).values == [0, 50, 100, 150, 200, 250, 300])
        let flat = AxisTicks(covering: 5, 5)
        #expect(flat.lower < 5 && flat.upper > 5)
        #expect(AxisTicks(covering: .nan, 3).values == [0, 0.2, 0.4, 0.6, 0.8, 1.0])
        #expect(AxisTicks(covering: 0, 3e6).labels.last == "3.0e+06")
        // Extremes neither crash nor loop: huge, tiny and too-narrow-for-doubles ranges.
        for (low, high) in [(-Double.greatestFiniteMagnitude, Double.greatestFiniteMagnitude), (0, Double.leastNormalMagnitude / 1e6),
                            (1e12, 1e12 + 1e-6), (-.infinity, 1)] {
            let ticks = AxisTicks(covering: low, high)
            #expect(ticks.values.count >= 2 && ticks.values.allSatisfy(\.isFinite) && ticks.lower < ticks.upper)
        }
        // A fixed range keeps its ends; ticks fall inside it.
        let fixed = AxisTicks(inside: 0.05...0.95)
        #expect(fixed.lower == 0.05 && fixed.upper == 0.95 && fixed.values == [0.2, 0.4, 0.6, 0.8])
        // Never more intervals than asked for.
        for (low, high) in [(0.0, 7.3), (-13.0, 0.002), (1e-7, 3e-7), (42.0, 42.5)] {
            for limit in 2...8 {
                let ticks = AxisTicks(covering: low, high, maxIntervals: limit)
                #expect(ticks.values.count - 1 <= limit && ticks.lower <= low && ticks.upper >= high)
            }
        }
    }

    @Test("a two-panel line plot renders to a PNG of the expected size with its series colours")
    func linePlotPNG() throws {
        let epochs = (1...30).map(Double.init)
        let train = epochs.map { 2.3 * exp(-$0 / 8) + 0.05 }
        var test = epochs.map { 2.3 * exp(-$0 / 9) + 0.15 }
        test[12] = .nan  // a missing evaluation leaves a gap
        let plot = LinePlot(title: "psu-cifar10-ipsu-resnet19-t4", panels: [
            PlotPanel(title: "Loss", xLabel: "epoch", yLabel: "loss", series: [
                PlotSeries(name: "train", x: epochs, y: train),
                PlotSeries(name: "test", x: epochs, y: test, dashed: true),
            ]),
            PlotPanel(title: "Accuracy", xLabel: "epoch", yLabel: "top-1 (%)", series: [
                PlotSeries(name: "train", x: epochs, y: epochs.map { 95 - 80 * exp(-$0 / 6) }, marker: .circle),
                PlotSeries(name: "test", x: epochs, y: epochs.map { 91 - 78 * exp(-$0 / 7) }, marker: .square),
            ], referenceLines: [PlotReferenceLine(y: 92.1, label: "paper 92.1")]),
        ])
        #expect(plot.pixelSize == (width: 1600, height: 2 * 280 + 46))
        let canvas = plot.render()
        let colours = Set(stride(from: 0, to: canvas.pixels.count, by: 3).map {
            RGBColor(canvas.pixels[$0], canvas.pixels[$0 + 1], canvas.pixels[$0 + 2])
        })
        #expect(colours.contains(RGBColor.categorical[0]) && colours.contains(RGBColor.categorical[1]))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spikedata-plot-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try plot.write(to: folder + "/curves.png")
        let read = try PNGImage(contentsOf: folder + "/curves.png")
        #expect(read.width == 1600 && read.height == 606 && read.channels == 3)
        #expect(read.pixels == canvas.pixels)
        if let path = samplePath("learning-curves.png") { try plot.write(to: path) }
    }

    @Test("awkward data still plots: one point, all-NaN, huge values, ten series, points far off a fixed range")
    func awkwardPlots() throws {
        let x = (0..<50).map(Double.init)
        let panels = [
            PlotPanel(title: "one point", series: [PlotSeries(name: "only", x: [3], y: [0.5], marker: .diamond)]),
            PlotPanel(title: "nothing finite", xLabel: "x", yLabel: "y",
                      series: [PlotSeries(name: "nan", x: [1, 2], y: [.nan, .nan])]),
            PlotPanel(title: "negative, huge", xLabel: "step", yLabel: "value", series: [
                PlotSeries(name: "a rather long series name", x: x, y: x.map { -2e6 + 1e5 * $0 }),
                PlotSeries(name: "b", x: x, y: x.map { 1e6 * sin($0 / 5) }),
            ]),
            PlotPanel(title: "ten series", xLabel: "t", yLabel: "firing rate", series: (0..<10).map { k in
                PlotSeries(name: "layer \(k)", x: x.map { $0 / 10 }, y: x.map { 0.01 * Double(k) + 0.002 * sin($0 / 4 + Double(k)) })
            }, yRange: 0...0.12),
            PlotPanel(title: "far outside a fixed range", series: [
                PlotSeries(name: "wild", x: [0, 1, 2, 3], y: [0.5, 1e300, -1e300, 0.25], marker: .circle),
            ], yRange: 0...1),
        ]
        // A segment to a point 1e300 pixels away still shows where it crosses the canvas.
        var far = Canvas(width: 10, height: 10)
        far.drawPolyline([CanvasPoint(5, 5), CanvasPoint(5, -1e300)], color: .black, lineWidth: 1)
        #expect((0...5).allSatisfy { far[5, $0] == .black } && far[5, 7] == .white)
        for scale in [1, 2] {
            let plot = LinePlot(title: "edge cases", panels: panels, columns: 2, scale: scale)
            let canvas = plot.render()
            #expect(canvas.width == 800 * scale && canvas.height == plot.pixelSize.height)
            if let path = samplePath("edge-cases-\(scale).png") { try plot.write(to: path) }
        }
    }

    @Test("a neuron trace plot draws a row per neuron with threshold and spike ticks")
    func neuronTraces() throws {
        let steps = 32
        var membrane: [[Double]] = [], spikes: [[Bool]] = []
        for neuron in 0..<3 {
            var v = 0.0
            var potentials: [Double] = [], fired: [Bool] = []
            for t in 0..<steps {
                v = 0.5 * v + 0.35 + 0.25 * Double(neuron) + 0.2 * sin(Double(t) * 0.7)
                potentials.append(v)
                fired.append(v >= 1)
                if v >= 1 { v = 0 }
            }
            membrane.append(potentials)
            spikes.append(fired)
        }
        let plot = NeuronTracePlot(title: "LIF neurons", membrane: membrane, spikes: spikes, threshold: 1)
        let canvas = plot.render()
        #expect(canvas.width == plot.pixelSize.width && canvas.height == plot.pixelSize.height)
        #expect(canvas.pixels.contains(RGBColor.red.red))
        let tensorPlot = NeuronTracePlot(
            membrane: Tensor((0..<steps * 3).map { Float(membrane[$0 % 3][$0 / 3]) }, shape: [steps, 3]),
            spikes: Tensor(uint8: (0..<steps * 3).map { spikes[$0 % 3][$0 / 3] ? 1 : 0 }, shape: [steps, 3]),
            threshold: 1)
        #expect(tensorPlot.membrane == membrane.map { $0.map { Double(Float($0)) } } && tensorPlot.spikes == spikes)
        if let path = samplePath("neuron-traces.png") { try plot.write(to: path) }
    }
}
