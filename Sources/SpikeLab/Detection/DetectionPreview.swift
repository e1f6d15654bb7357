import Foundation
import SpikeData
import SpikeNN

/// PNG previews of a detector on a few test images: the original image, its true boxes in
/// green (dashed-free, 2 px) with their class names, and the predictions scoring at least
/// `minimumScore` in red with class name and score, at most `maximumBoxes` of them.
public enum DetectionPreview {
    /// Predictions below this score are not drawn (the mAP still counts them).
    public static let minimumScore: Float = 0.25
    /// At most this many predictions are drawn per image, best first.
    public static let maximumBoxes = 10

    /// The preview of dataset image `index` with `detections` (original pixels), as a canvas
    /// `scale` times the image's size (nearest neighbour), so the labels stay legible.
    public static func canvas(dataset: any DetectionDataset, index: Int, detections: [Detection]) throws -> Canvas {
        let sample = try dataset.sample(at: index)
        let (h, w) = (sample.input.shape[1], sample.input.shape[2])
        let scale = max(1, Int((320.0 / Double(max(h, w))).rounded(.up)))
        var canvas = Canvas(width: w * scale, height: h * scale)
        canvas.drawImage(sample.input, x: 0, y: 0, width: w * scale, height: h * scale, range: 0...1)
        func rect(_ b: (Float, Float, Float, Float)) -> (Int, Int, Int, Int) {
            let x0 = Int((b.0 * Float(scale)).rounded()), y0 = Int((b.1 * Float(scale)).rounded())
            let x1 = Int((b.2 * Float(scale)).rounded()), y1 = Int((b.3 * Float(scale)).rounded())
            return (x0, y0, max(1, x1 - x0), max(1, y1 - y0))
        }
        let names = dataset.classNames
        for (box, label) in zip(sample.target.boxes, sample.target.classes) {
            let (x, y, bw, bh) = rect((box.xMin, box.yMin, box.xMax, box.yMax))
            canvas.drawRect(x: x, y: y, width: bw, height: bh, color: .green, thickness: 2)
            canvas.drawText(names[Int(label)], x: x + 3, y: y + 3, color: .green)
        }
        for d in detections.filter({ $0.score >= minimumScore }).prefix(maximumBoxes) {
            let (x, y, bw, bh) = rect((d.box.xMin, d.box.yMin, d.box.xMax, d.box.yMax))
            canvas.drawRect(x: x, y: y, width: bw, height: bh, color: .red, thickness: 2)
            canvas.drawText("\(names[d.classIndex]) " + String(format: "%.2f", d.score), x: x + 3, y: y + bh - 3,
                            color: .red, anchor: TextAnchor(.left, .bottom))
        }
        return canvas
    }

    /// Writes `preview_<k>.png` for the first `count` images of `evaluation` into `directory`.
    public static func write(_ evaluation: DetectionEvaluation, dataset: any DetectionDataset, count: Int,
                             to directory: String) throws {
        guard count > 0 else { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for (k, entry) in evaluation.perImage.prefix(count).enumerated() {
                try canvas(dataset: dataset, index: entry.index, detections: entry.detections)
                    .write(to: directory + "/preview_\(k).png")
            }
        } catch let error as PNGError {
            throw RunError.io(path: directory, reason: error.description)
        } catch let error as DataError {
            throw RunError.io(path: directory, reason: error.description)
        } catch let error as RunError {
            throw error
        } catch {
            throw RunError.io(path: directory, reason: "\(error)")
        }
    }
}
