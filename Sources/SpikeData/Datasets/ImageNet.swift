import Foundation
import SpikeTensor

/// ImageNet (ILSVRC-2012 classification) in the layout torchvision's `ImageFolder` reads.
///
/// `train/<wnid>/*.JPEG`; the validation set (the test split, as in SNN papers) either sorted
/// into class folders `val/<wnid>/*.JPEG` (the layout SpikingJelly and Spikformer read) or flat
/// `val/*.JPEG` with Kaggle's `LOC_val_solution.csv` (`ImageId,PredictionString`, the first
/// token of the string is the wnid) beside `train/` and `val/` or one folder up. Class index =
/// position of the wnid among the train folder names sorted byte-wise (ImageFolder's rule);
/// images within a class sorted byte-wise by name. `root` may also be the folder holding
/// Kaggle's `ILSVRC/Data/CLS-LOC/`.
///
/// Images have any size, so each is brought to one square side as it is decoded [ours: the
/// set is held in memory as bytes, so it cannot keep originals]: the test split exactly as
/// torchvision's evaluation transform (`Resize(shorter)` then `CenterCrop(side)`, bilinear
/// without antialiasing), the train split resized so its shorter side is `side` and
/// centre-cropped to `side`×`side`, on which the manifest's `random_resized_crop` works
/// (torchvision crops the original image instead). Grayscale JPEGs are replicated to RGB;
/// CMYK ones are refused by name.
public enum ImageNet {
    /// One image of a split: its path relative to the dataset folder and its class index.
    public struct Entry: Sendable, Equatable {
        public var file: String
        public var label: Int32
    }

    /// Kaggle's validation labels, read when `val/` holds the images flat.
    public static let solutionFile = "LOC_val_solution.csv"
    /// Kaggle's nesting of the image folders.
    static let kaggleFolder = "ILSVRC/Data/CLS-LOC"

    /// The folder holding `train/` and `val/`: `root/ILSVRC/Data/CLS-LOC` when that exists, else `root`.
    public static func directory(root: String) -> String {
        let nested = root + "/" + kaggleFolder
        return isDirectory(nested + "/train") || isDirectory(nested + "/val") ? nested : root
    }

    /// The class ids: names of the folders under `train/`, sorted byte-wise.
    public static func wordNetIDs(directory: String) throws -> [String] {
        guard let folders = sortedSubdirectories(in: directory + "/train") else {
            throw DataError.missingFiles(root: directory, expected: layoutSummary, missing: ["train/"])
        }
        guard !folders.isEmpty else {
            throw DataError.missingFiles(root: directory, expected: layoutSummary, missing: ["train/<wnid>/ (no class folders in train/)"])
        }
        return folders
    }

    /// The images of `split` under `directory`, labelled through `wnids`.
    public static func entries(directory: String, split: DataSplit, wnids: [String]) throws -> [Entry] {
        let classIndex = Dictionary(uniqueKeysWithValues: wnids.enumerated().map { ($1, Int32($0)) })
        if split == .train {
            return try folderEntries(directory: directory, parent: "train", classes: wnids, classIndex: classIndex)
        }
        guard let valFolders = sortedSubdirectories(in: directory + "/val") else {
            throw DataError.missingFiles(root: directory, expected: layoutSummary, missing: ["val/"])
        }
        if !valFolders.isEmpty {
            return try folderEntries(directory: directory, parent: "val", classes: valFolders, classIndex: classIndex)
        }
        return try solutionEntries(directory: directory, classIndex: classIndex)
    }

    /// Whether the validation images lie flat in `val/` (Kaggle) rather than in class folders.
    public static func hasFlatValidation(directory: String) -> Bool {
        sortedSubdirectories(in: directory + "/val")?.isEmpty ?? false
    }

    static func folderEntries(directory: String, parent: String, classes: [String],
                              classIndex: [String: Int32]) throws -> [Entry] {
        var entries: [Entry] = []
        for wnid in classes {
            guard let label = classIndex[wnid] else {
                throw DataError.inconsistent(file: directory + "/\(parent)/\(wnid)", reason:
                    "class folder \(wnid) has no train/\(wnid)/ folder, so it has no class index (classes = the train folders)")
            }
            let folder = "\(parent)/\(wnid)"
            for name in sortedFileNames(in: directory + "/" + folder) ?? [] where TinyImageNet.isJPEGName(name) {
                entries.append(Entry(file: folder + "/" + name, label: label))
            }
        }
        return entries
    }

    /// `LOC_val_solution.csv` beside `train/`/`val/`, or one or three folders up (Kaggle keeps it at the top).
    static func solutionPath(directory: String) -> String? {
        let candidates = [directory, directory + "/..", directory + "/../../.."].map { $0 + "/" + solutionFile }
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }

    static func solutionEntries(directory: String, classIndex: [String: Int32]) throws -> [Entry] {
        guard let path = solutionPath(directory: directory) else {
            throw DataError.missingFiles(root: directory, expected: layoutSummary, missing: [solutionFile],
                                         note: "val/ holds no class folders, so its flat images need \(solutionFile) (ImageId,PredictionString)")
        }
        var entries: [Entry] = []
        for (number, line) in try readTextLines(path) where !line.isEmpty {
            if number == 1, line.hasPrefix("ImageId") { continue }
            let fields = line.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false)
            let wnid = fields.count == 2 ? fields[1].split(separator: " ").first.map(String.init) : nil
            guard let wnid, !fields[0].isEmpty else {
                throw DataError.inconsistent(file: path, reason:
                    "line \(number): found '\(line)', expected ImageId,PredictionString (the string starting with the wnid)")
            }
            guard let label = classIndex[wnid] else {
                throw DataError.inconsistent(file: path, reason: "line \(number): wnid \(wnid) has no train/\(wnid)/ folder")
            }
            entries.append(Entry(file: "val/\(fields[0]).JPEG", label: label))
        }
        // Kaggle's file is in no particular order: sort by image id, as the file names are.
        return entries.sorted { $0.file.utf8.lexicographicallyPrecedes($1.file.utf8) }
    }

    /// The shorter side the test split is resized to before its centre crop of `side`:
    /// 256 for 224 (torchvision's reference), the same ratio 224/256 = 0.875 for other sides.
    public static func evaluationResize(side: Int) -> Int {
        Int((Double(side) / 0.875).rounded())
    }

    /// The `split` of ImageNet under `root` as Float `[3, side, side]` in [0, 1] (see the type's
    /// comment for how each image is brought to that size). `shorter` overrides the test
    /// split's resize (default `evaluationResize(side:)`).
    ///
    /// Every image is decoded up front, in parallel; a file that cannot be decoded is reported
    /// by path. A split whose bytes would exceed half the machine's memory is refused.
    public static func load(root: String, split: DataSplit, side: Int = 224, shorter: Int? = nil) throws -> ByteImageDataset {
        precondition(side >= 1, "ImageNet.load: side must be positive, got \(side)")
        let directory = directory(root: root)
        let wnids = try wordNetIDs(directory: directory)
        let list = try entries(directory: directory, split: split, wnids: wnids)
        guard !list.isEmpty else {
            throw DataError.missingFiles(root: directory, expected: layoutSummary,
                                         missing: [split == .train ? "train/<wnid>/*.JPEG" : "val/<wnid>/*.JPEG or val/*.JPEG"])
        }
        let bytes = list.count * 3 * side * side
        let budget = Int(ProcessInfo.processInfo.physicalMemory / 2)
        guard bytes <= budget else {
            throw DataError.inconsistent(file: directory, reason:
                "the \(split.rawValue) split's \(list.count) images at \(side)×\(side) need \(bytes >> 20) MiB in memory, "
                + "more than half this machine's (\(budget >> 20) MiB): this reader holds decoded images; use a smaller data.resize or a subset")
        }
        let resize = split == .train ? side : (shorter ?? evaluationResize(side: side))
        let images = try decode(list.map { directory + "/" + $0.file }, shorter: resize, side: side)
        return ByteImageDataset(name: "imagenet \(split.rawValue)", images: images, labels: Tensor(int32: list.map(\.label)),
                                classCount: wnids.count, classNames: wnids)
    }

    /// Decodes `paths` and brings each to `side`×`side` (`resizeShorterCenterCrop`) into one
    /// UInt8 tensor `[N, 3, side, side]`, in parallel; the first failing file (in order) is reported.
    static func decode(_ paths: [String], shorter: Int, side: Int) throws -> Tensor {
        let sampleBytes = 3 * side * side
        let images = Tensor(shape: [paths.count, 3, side, side], dtype: .uint8, uninitialized: true)
        let base = images.uint8s.baseAddress!
        let failures = FailureSlots(count: paths.count)
        withExtendedLifetime(images) {
            parallelChunks(paths.count, minChunk: 8) { range in
                for i in range {
                    do {
                        let image = try JPEGImage(contentsOf: paths[i])
                        guard image.width >= 1, image.height >= 1 else { throw DataError.inconsistent(file: paths[i], reason: "has no pixels") }
                        resizeShorterCenterCrop(image, shorter: shorter, side: side, into: base + i * sampleBytes)
                    } catch let error as JPEGError {
                        failures.set(i, DataError.unreadable(file: paths[i], reason:
                            "\(error) (only baseline/progressive RGB or grayscale JPEGs are read; convert CMYK ones to RGB)"))
                        return
                    } catch {
                        failures.set(i, error as? DataError ?? DataError.unreadable(file: paths[i], reason: "\(error)"))
                        return
                    }
                }
            }
        }
        if let failure = failures.first { throw failure }
        return images
    }

    /// torchvision's `Resize(shorter)` then `CenterCrop(side)` on an RGB image, written planar
    /// (`[3, side, side]`) to `target`: the shorter side becomes `shorter`, the longer
    /// ⌊shorter·long/short⌋; bilinear with half-pixel centres (`resizeBilinear`), bytes rounded;
    /// the crop starts at round((size − side)/2), zero-padded where the image is smaller.
    public static func resizeShorterCenterCrop(_ image: JPEGImage, shorter: Int, side: Int, into target: UnsafeMutablePointer<UInt8>) {
        precondition(image.channels == 3, "resizeShorterCenterCrop takes RGB images")
        let (w, h) = (image.width, image.height)
        let (newW, newH) = w <= h ? (shorter, Int(Double(shorter) * Double(h) / Double(w)))
                                  : (Int(Double(shorter) * Double(w) / Double(h)), shorter)
        let plane = w * h
        var planar = [Float](repeating: 0, count: 3 * plane)
        image.pixels.withUnsafeBufferPointer { source in
            for p in 0..<plane {
                planar[p] = Float(source[3 * p])
                planar[plane + p] = Float(source[3 * p + 1])
                planar[2 * plane + p] = Float(source[3 * p + 2])
            }
        }
        var resized = [Float](repeating: 0, count: 3 * newW * newH)
        if newW == w && newH == h {
            resized = planar
        } else {
            planar.withUnsafeBufferPointer { input in
                resized.withUnsafeMutableBufferPointer { output in
                    resizeBilinear(input.baseAddress!, shape: [3, h, w], height: newH, width: newW, to: output.baseAddress!)
                }
            }
        }
        // torchvision's CenterCrop: top = round((H − side)/2) with Python's round half to even.
        let top = Int((Double(newH - side) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(newW - side) / 2).rounded(.toNearestOrEven))
        for c in 0..<3 {
            for y in 0..<side {
                let sy = y + top
                for x in 0..<side {
                    let sx = x + left
                    let value: Float = (sy >= 0 && sy < newH && sx >= 0 && sx < newW)
                        ? resized[(c * newH + sy) * newW + sx] : 0
                    target[(c * side + y) * side + x] = UInt8(max(0, min(255, value.rounded())))
                }
            }
        }
    }

    // MARK: - Checking

    /// Everything missing or corrupt under `root` (empty when complete): class folders under
    /// `train/` with images, a validation set in class folders (each a train class) or flat with
    /// its solution file naming existing images, and every JPEG header readable.
    public static func verifyLayout(root: String) -> [LayoutProblem] {
        let directory = directory(root: root)
        let wnids: [String]
        do {
            wnids = try wordNetIDs(directory: directory)
        } catch {
            return [LayoutProblem(path: "train/", kind: .missing, reason: "one folder of .JPEG images per class, named by its WordNet id (n01440764, ...)")]
        }
        var problems: [LayoutProblem] = []
        var files: [String] = []
        for wnid in wnids {
            let jpegs = (sortedFileNames(in: directory + "/train/" + wnid) ?? []).filter(TinyImageNet.isJPEGName)
            if jpegs.isEmpty {
                problems.append(LayoutProblem(path: "train/\(wnid)/", kind: .missing, reason: "no .JPEG files in it"))
            }
            files += jpegs.map { "train/\(wnid)/" + $0 }
        }
        if !isDirectory(directory + "/val") {
            problems.append(LayoutProblem(path: "val/", kind: .missing, reason: "val/<wnid>/*.JPEG, or val/*.JPEG with \(solutionFile)"))
        } else {
            do {
                let val = try entries(directory: directory, split: .test, wnids: wnids)
                if val.isEmpty {
                    problems.append(LayoutProblem(path: "val/", kind: .missing, reason: "no .JPEG validation images"))
                }
                for entry in val where !FileManager.default.fileExists(atPath: directory + "/" + entry.file) {
                    problems.append(LayoutProblem(path: entry.file, kind: .missing, reason: "named in \(solutionFile)"))
                }
                files += val.map(\.file).filter { FileManager.default.fileExists(atPath: directory + "/" + $0) }
            } catch {
                let missingSolution = hasFlatValidation(directory: directory) && solutionPath(directory: directory) == nil
                problems.append(LayoutProblem(path: missingSolution ? solutionFile : "val/", kind: missingSolution ? .missing : .corrupt,
                                              reason: missingSolution ? "val/ holds no class folders, so its flat images need ImageId,PredictionString labels" : "\(error)"))
            }
        }
        problems += LayoutProblem.unreadableJPEGs(files, in: directory)
        return problems
    }

    /// What the layout holds, for messages.
    static let layoutSummary = ["train/<wnid>/*.JPEG", "val/<wnid>/*.JPEG (or val/*.JPEG with \(solutionFile))"]

    // MARK: - Writing

    /// Writes an ImageNet layout under `root`: `train/<wnid>/<wnid>_<k>.JPEG` and the test split
    /// as `val/<wnid>/ILSVRC2012_val_<8 digits>.JPEG`, or with `flatValidation` as
    /// `val/ILSVRC2012_val_<8 digits>.JPEG` plus `LOC_val_solution.csv` at `root`.
    /// Images are UInt8 `[N, C, H, W]` (C = 1 or 3), labels Int32 `[N]` in `0..<wnids.count`.
    public static func write(root: String, wnids: [String], train: (images: Tensor, labels: Tensor),
                             test: (images: Tensor, labels: Tensor), flatValidation: Bool = false, quality: Int = 90) throws {
        precondition(!wnids.isEmpty && wnids == wnids.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) },
                     "need one or more wnids in byte-wise order (the class index is the sorted position)")
        func image(_ images: Tensor, _ i: Int, _ path: String) throws {
            let sample = Tensor(shape: Array(images.shape.dropFirst()), dtype: .uint8, storage: images.storage,
                                offset: images.offset + i * images.shape.dropFirst().reduce(1, *))
            do {
                try JPEGImage(sample).write(to: root + "/" + path, quality: quality)
            } catch {
                throw DataError.unwritable(file: root + "/" + path, reason: error.description)
            }
        }
        try DataError.createDirectories([root + "/val"] + wnids.flatMap { wnid in
            [root + "/train/\(wnid)"] + (flatValidation ? [] : [root + "/val/\(wnid)"])
        })
        var perClass = [Int](repeating: 0, count: wnids.count)
        for i in 0..<train.images.shape[0] {
            let label = Int(train.labels.int32s[i])
            precondition(label >= 0 && label < wnids.count, "train label \(label) outside 0..<\(wnids.count)")
            try image(train.images, i, "train/\(wnids[label])/\(wnids[label])_\(perClass[label]).JPEG")
            perClass[label] += 1
        }
        var solution = ["ImageId,PredictionString"]
        for i in 0..<test.images.shape[0] {
            let label = Int(test.labels.int32s[i])
            precondition(label >= 0 && label < wnids.count, "test label \(label) outside 0..<\(wnids.count)")
            let id = "ILSVRC2012_val_" + String(repeating: "0", count: max(0, 8 - String(i + 1).count)) + String(i + 1)
            try image(test.images, i, flatValidation ? "val/\(id).JPEG" : "val/\(wnids[label])/\(id).JPEG")
            solution.append("\(id),\(wnids[label]) 0 0 \(test.images.shape[3] - 1) \(test.images.shape[2] - 1)")
        }
        if flatValidation {
            do {
                try (solution.joined(separator: "\n") + "\n").write(toFile: root + "/" + solutionFile, atomically: true, encoding: .utf8)
            } catch {
                throw DataError.unwritable(file: root + "/" + solutionFile, reason: error.localizedDescription)
            }
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    /// Sub-folder names of `directory` sorted byte-wise; nil when it does not exist.
    static func sortedSubdirectories(in directory: String) -> [String]? {
        guard isDirectory(directory), let names = sortedFileNames(in: directory) else { return nil }
        return names.filter { isDirectory(directory + "/" + $0) }
    }
}
