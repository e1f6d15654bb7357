import Foundation
import SpikeData

/// Writes predicted segmentation masks as VOC-palette PNGs (`<image id>.png`), the format of
/// VOC's `SegmentationClass` that `spikelab score segmentation` reads.
final class SegmentationPredictionWriter {
    let directory: String
    private(set) var written = 0
    private var failure: RunError?
    private let palette = vocColorMap()

    /// Creates `directory` if needed.
    init(directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw RunError.io(path: directory, reason: "cannot create the predictions folder: \(error.localizedDescription)")
        }
        self.directory = directory
    }

    /// Writes one mask; the first failure is kept for `finish()` and later masks are skipped.
    func write(id: String, mask: ResizedSegmentationSet.OriginalMask) {
        guard failure == nil else { return }
        let path = directory + "/" + id + ".png"
        do {
            try PalettedPNGImage(width: mask.width, height: mask.height, indices: mask.labels, palette: palette).write(to: path)
            written += 1
        } catch {
            failure = RunError.io(path: path, reason: "\(error)")
        }
    }

    /// Throws the first write failure, if any.
    func finish() throws {
        if let failure { throw failure }
    }
}
