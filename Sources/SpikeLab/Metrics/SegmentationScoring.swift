import Foundation
import SpikeData

/// Scores a folder of predicted masks against a folder of truth masks, paired by file name.
///
/// Masks are PNG files: palette PNGs (VOC's `SegmentationClass`, read as their indices) or
/// 8-bit grayscale PNGs (read as their values). Every truth mask needs a prediction of the
/// same name and size, and every prediction a truth mask.
public enum SegmentationScoring {
    /// The confusion matrix over all pairs, and how many images were scored.
    public static func score(truthDirectory: String, predictedDirectory: String,
                             classCount: Int) throws(ScoreError) -> (matrix: ConfusionMatrix, images: Int) {
        let truthNames = try pngNames(in: truthDirectory)
        let predictedNames = try pngNames(in: predictedDirectory)
        guard !truthNames.isEmpty else {
            throw .mismatch(file: truthDirectory, reason: "no .png masks in the truth folder")
        }
        let missing = truthNames.subtracting(predictedNames).sorted()
        if !missing.isEmpty {
            throw .mismatch(file: predictedDirectory, reason: "\(missing.count) truth mask(s) have no prediction: "
                            + listed(missing))
        }
        let extra = predictedNames.subtracting(truthNames).sorted()
        if !extra.isEmpty {
            throw .mismatch(file: truthDirectory, reason: "\(extra.count) prediction(s) have no truth mask: " + listed(extra))
        }
        var matrix = ConfusionMatrix(classCount: classCount)
        for name in truthNames.sorted() {
            let truthPath = truthDirectory + "/" + name, predictedPath = predictedDirectory + "/" + name
            let truth = try readMask(truthPath)
            let predicted = try readMask(predictedPath)
            guard truth.width == predicted.width && truth.height == predicted.height else {
                throw .mismatch(file: predictedPath, reason: "is \(predicted.width)×\(predicted.height) pixels but its truth mask "
                                + "\(truthPath) is \(truth.width)×\(truth.height)")
            }
            do {
                try matrix.add(truth: truth.labels, predicted: predicted.labels, width: truth.width)
            } catch {
                let allowed = "a class 0…\(classCount - 1)" + (error.inTruth ? " or 255 (void)" : "")
                throw .invalid(file: error.inTruth ? truthPath : predictedPath, path: "pixel (x \(error.x), y \(error.y))",
                               found: "label \(error.value)", expected: allowed + " (--classes \(classCount))")
            }
        }
        return (matrix, truthNames.count)
    }

    /// Reads a palette or 8-bit grayscale PNG mask as one label per pixel.
    public static func readMask(_ path: String) throws(ScoreError) -> (width: Int, height: Int, labels: [UInt8]) {
        do {
            let image = try PalettedPNGImage(contentsOf: path)
            return (image.width, image.height, image.indices)
        } catch {
            // Not a palette PNG: a grayscale one is read as its values below.
            guard isNotPaletted(error) else { throw .unreadable(file: path, reason: "\(error)") }
        }
        let image: PNGImage
        do {
            image = try PNGImage(contentsOf: path)
        } catch {
            throw .unreadable(file: path, reason: "\(error)")
        }
        guard image.channels == 1 else {
            throw .invalid(file: path, path: "colour type", found: "\(image.channels) channels",
                           expected: "a palette PNG or an 8-bit grayscale PNG (one label per pixel)")
        }
        return (image.width, image.height, image.pixels)
    }

    private static func isNotPaletted(_ error: PNGError) -> Bool {
        if case .notPaletted = error.kind { return true }
        return false
    }

    private static func pngNames(in directory: String) throws(ScoreError) -> Set<String> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw .unreadable(file: directory, reason: "no such folder")
        }
        guard isDirectory.boolValue else { throw .unreadable(file: directory, reason: "not a folder") }
        do {
            return Set(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.lowercased().hasSuffix(".png") })
        } catch {
            throw .unreadable(file: directory, reason: error.localizedDescription)
        }
    }

    private static func listed(_ names: [String]) -> String {
        names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", … (\(names.count - 5) more)" : "")
    }
}
