import Dispatch
import Foundation
import SpikeTensor

/// TinyImageNet (`tiny-imagenet-200`): 200 WordNet classes of 64×64 JPEGs.
///
/// Layout as published: `wnids.txt` (one WordNet id per line; line order = class index),
/// `words.txt` (`wnid<TAB>names`, optional here), `train/<wnid>/images/*.JPEG` (500 per
/// class), `val/images/*.JPEG` with `val/val_annotations.txt` (`file<TAB>wnid<TAB>x0<TAB>y0<TAB>x1<TAB>y1`).
/// The official val set is the test split of SNN papers, so `.test` reads it. Grayscale JPEGs
/// (a few in the real set) are expanded to RGB. `root` may be the `tiny-imagenet-200` folder
/// itself or its parent.
public enum TinyImageNet {
    /// The folder the archive extracts to.
    public static let folder = "tiny-imagenet-200"

    /// One image of a split: its path relative to the dataset folder and its class index.
    public struct Entry: Sendable, Equatable {
        public var file: String
        public var label: Int32
    }

    /// The dataset folder under `root`: `root/tiny-imagenet-200` when it holds `wnids.txt`, else `root`.
    public static func directory(root: String) -> String {
        let nested = root + "/" + folder
        return FileManager.default.fileExists(atPath: nested + "/wnids.txt") ? nested : root
    }

    /// The class ids in `wnids.txt` at `path`, in file order; blank lines and duplicates are errors.
    public static func readWordNetIDs(_ path: String) throws -> [String] {
        var ids: [String] = []
        var seen: [String: Int] = [:]
        for (number, raw) in try readTextLines(path) {
            let id = raw.trimmingCharacters(in: .whitespaces)
            guard !id.isEmpty, !id.contains(where: \.isWhitespace) else {
                throw DataError.inconsistent(file: path, reason:
                    "line \(number): found '\(raw)', expected one WordNet id (e.g. n01443537) per line")
            }
            if let first = seen[id] {
                throw DataError.inconsistent(file: path, reason: "line \(number): id \(id) repeats line \(first)")
            }
            seen[id] = number
            ids.append(id)
        }
        guard !ids.isEmpty else {
            throw DataError.inconsistent(file: path, reason: "holds no WordNet ids, expected one per line")
        }
        return ids
    }

    /// `words.txt`: WordNet id → its names (`wnid<TAB>names`); lines without a tab are errors.
    public static func readWords(_ path: String) throws -> [String: String] {
        var words: [String: String] = [:]
        for (number, line) in try readTextLines(path) where !line.isEmpty {
            guard let tab = line.firstIndex(of: "\t") else {
                throw DataError.inconsistent(file: path, reason: "line \(number): found '\(line)', expected wnid<TAB>names")
            }
            words[String(line[..<tab])] = String(line[line.index(after: tab)...])
        }
        return words
    }

    /// The images of `split` under the dataset folder `directory`, labelled through `wnids`.
    public static func entries(directory: String, split: DataSplit, wnids: [String]) throws -> [Entry] {
        if split == .train {
            var entries: [Entry] = []
            for (label, wnid) in wnids.enumerated() {
                let images = "train/\(wnid)/images"
                guard let names = sortedFileNames(in: directory + "/" + images) else {
                    throw DataError.missingFiles(root: directory, expected: ["train/<wnid>/images/*.JPEG for every id in wnids.txt"],
                                                 missing: [images + "/"])
                }
                for name in names where isJPEGName(name) {
                    entries.append(Entry(file: images + "/" + name, label: Int32(label)))
                }
            }
            return entries
        }
        let annotations = directory + "/val/val_annotations.txt"
        let classIndex = Dictionary(uniqueKeysWithValues: wnids.enumerated().map { ($1, Int32($0)) })
        var entries: [Entry] = []
        for (number, line) in try readTextLines(annotations) where !line.isEmpty {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 6, !fields[0].isEmpty, fields[2...].allSatisfy({ Int($0) != nil }) else {
                throw DataError.inconsistent(file: annotations, reason:
                    "line \(number): found '\(line)', expected 6 tab-separated fields: file, wnid, x0, y0, x1, y1 (integers)")
            }
            guard let label = classIndex[fields[1]] else {
                throw DataError.inconsistent(file: annotations, reason:
                    "line \(number): wnid \(fields[1]) is not in wnids.txt")
            }
            entries.append(Entry(file: "val/images/" + fields[0], label: label))
        }
        return entries
    }

    /// The `split` of TinyImageNet under `root`, images as Float `[3, H, W]` in [0, 1] (64×64 as published).
    ///
    /// Every image is decoded up front (in parallel over the configured thread count), so a
    /// corrupt file is reported here, with its path, and never during training.
    public static func load(root: String, split: DataSplit) throws -> ByteImageDataset {
        let directory = directory(root: root)
        let wnidsPath = directory + "/wnids.txt"
        guard FileManager.default.fileExists(atPath: wnidsPath) else {
            throw DataError.missingFiles(root: root, expected: layoutSummary, missing: [folder + "/wnids.txt"],
                                         note: "or those files directly in \(root), if it is the \(folder) folder")
        }
        let wnids = try readWordNetIDs(wnidsPath)
        let list = try entries(directory: directory, split: split, wnids: wnids)
        guard !list.isEmpty else {
            throw DataError.missingFiles(root: directory, expected: layoutSummary,
                                         missing: [split == .train ? "train/<wnid>/images/*.JPEG" : "val/images/*.JPEG"])
        }
        var names: [String] = []
        if let words = try? readWords(directory + "/words.txt") {
            names = wnids.map { words[$0] ?? $0 }
        }
        let images = try decodeImages(list.map { directory + "/" + $0.file })
        let labels = Tensor(int32: list.map(\.label))
        return ByteImageDataset(name: "tinyimagenet \(split.rawValue)", images: images, labels: labels,
                                classCount: wnids.count, classNames: names.isEmpty ? wnids : names)
    }

    /// What the layout holds, for messages.
    static let layoutSummary = ["wnids.txt", "train/<wnid>/images/*.JPEG", "val/images/*.JPEG", "val/val_annotations.txt"]

    static func isJPEGName(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasSuffix(".jpeg") || lower.hasSuffix(".jpg")
    }

    /// Decodes `paths` as RGB into one UInt8 tensor `[N, 3, H, W]`; every image must have the
    /// size of the first. Work is split over threads; the first failing file (in order) is reported.
    static func decodeImages(_ paths: [String]) throws -> Tensor {
        let first: JPEGImage
        do { first = try JPEGImage(contentsOf: paths[0]) } catch { throw DataError.unreadable(file: paths[0], reason: error.description) }
        let (h, w) = (first.height, first.width)
        let sampleBytes = 3 * h * w
        let images = Tensor(shape: [paths.count, 3, h, w], dtype: .uint8, uninitialized: true)
        let base = images.uint8s.baseAddress!
        // One slot per image, so the reported failure (the lowest index) never depends on timing.
        let failures = FailureSlots(count: paths.count)
        withExtendedLifetime(images) {
            parallelChunks(paths.count, minChunk: 16) { range in
                for i in range {
                    do {
                        let image = try JPEGImage(contentsOf: paths[i])
                        guard image.width == w, image.height == h else {
                            failures.set(i, DataError.inconsistent(file: paths[i], reason:
                                "is \(image.width)×\(image.height), expected \(w)×\(h) like \(paths[0])"))
                            return
                        }
                        let target = base + i * sampleBytes
                        let plane = h * w
                        image.pixels.withUnsafeBufferPointer { source in
                            for p in 0..<plane {
                                target[p] = source[3 * p]
                                target[plane + p] = source[3 * p + 1]
                                target[2 * plane + p] = source[3 * p + 2]
                            }
                        }
                    } catch {
                        failures.set(i, DataError.unreadable(file: paths[i], reason: "\(error)"))
                        return
                    }
                }
            }
        }
        if let failure = failures.first { throw failure }
        return images
    }

    // MARK: - Checking

    /// Everything missing or corrupt under `root` (empty when the layout is complete): the
    /// text files parse, every class has a train folder with images, every val annotation
    /// names an existing image, and every JPEG header reads. Pixels are not decoded.
    public static func verifyLayout(root: String) -> [LayoutProblem] {
        let directory = directory(root: root)
        var problems: [LayoutProblem] = []
        let wnids: [String]
        do {
            wnids = try readWordNetIDs(directory + "/wnids.txt")
        } catch {
            let missing = !FileManager.default.fileExists(atPath: directory + "/wnids.txt")
            return [LayoutProblem(path: "wnids.txt", kind: missing ? .missing : .corrupt,
                                  reason: missing ? "one WordNet id per line (200 ids)" : "\(error)")]
        }
        var files: [String] = []
        for wnid in wnids {
            let images = "train/\(wnid)/images"
            guard let names = sortedFileNames(in: directory + "/" + images) else {
                problems.append(LayoutProblem(path: images + "/", kind: .missing, reason: "the training images of \(wnid)"))
                continue
            }
            let jpegs = names.filter(isJPEGName)
            if jpegs.isEmpty {
                problems.append(LayoutProblem(path: images + "/", kind: .missing, reason: "no .JPEG files in it"))
            }
            files += jpegs.map { images + "/" + $0 }
        }
        do {
            let val = try entries(directory: directory, split: .test, wnids: wnids)
            for entry in val where !FileManager.default.fileExists(atPath: directory + "/" + entry.file) {
                problems.append(LayoutProblem(path: entry.file, kind: .missing, reason: "named in val/val_annotations.txt"))
            }
            files += val.map(\.file).filter { FileManager.default.fileExists(atPath: directory + "/" + $0) }
        } catch {
            let missing = !FileManager.default.fileExists(atPath: directory + "/val/val_annotations.txt")
            problems.append(LayoutProblem(path: "val/val_annotations.txt", kind: missing ? .missing : .corrupt,
                                          reason: missing ? "file<TAB>wnid<TAB>x0<TAB>y0<TAB>x1<TAB>y1 per val image" : "\(error)"))
        }
        problems += LayoutProblem.unreadableJPEGs(files, in: directory)
        return problems
    }

    // MARK: - Writing

    /// Writes a TinyImageNet layout under `root/tiny-imagenet-200`: `wnids.txt`, `words.txt`,
    /// train images as `train/<wnid>/images/<wnid>_<k>.JPEG` (with `<wnid>_boxes.txt`), and
    /// the test split as `val/images/val_<k>.JPEG` with `val/val_annotations.txt`.
    ///
    /// Images are UInt8 `[N, C, H, W]` (C = 1 or 3), labels Int32 `[N]` in `0..<wnids.count`;
    /// `boxes` (x0, y0, x1, y1) per image default to the whole image.
    public static func write(root: String, wnids: [String], words: [String] = [],
                             train: (images: Tensor, labels: Tensor), test: (images: Tensor, labels: Tensor),
                             trainBoxes: [[Int]]? = nil, testBoxes: [[Int]]? = nil, quality: Int = 90) throws {
        precondition(!wnids.isEmpty && (words.isEmpty || words.count == wnids.count),
                     "need one or more wnids and one words entry per wnid (or none)")
        let directory = root + "/" + folder
        func text(_ lines: [String], _ path: String) throws {
            do {
                try (lines.joined(separator: "\n") + "\n").write(toFile: directory + "/" + path, atomically: true, encoding: .utf8)
            } catch {
                throw DataError.unwritable(file: directory + "/" + path, reason: error.localizedDescription)
            }
        }
        func image(_ images: Tensor, _ i: Int, _ path: String) throws {
            let sample = Tensor(shape: Array(images.shape.dropFirst()), dtype: .uint8, storage: images.storage,
                                offset: images.offset + i * images.shape.dropFirst().reduce(1, *))
            do {
                try JPEGImage(sample).write(to: directory + "/" + path, quality: quality)
            } catch {
                throw DataError.unwritable(file: directory + "/" + path, reason: error.description)
            }
        }
        func box(_ boxes: [[Int]]?, _ i: Int, _ images: Tensor) -> String {
            let b = boxes?[i] ?? [0, 0, images.shape[3] - 1, images.shape[2] - 1]
            return b.map(String.init).joined(separator: "\t")
        }
        try DataError.createDirectories([directory + "/val/images"] + wnids.map { directory + "/train/\($0)/images" })
        try text(wnids, "wnids.txt")
        try text(words.isEmpty ? wnids.map { "\($0)\t\($0)" } : zip(wnids, words).map { "\($0)\t\($1)" }, "words.txt")
        var perClass = [[String]](repeating: [], count: wnids.count)
        for i in 0..<train.images.shape[0] {
            let label = Int(train.labels.int32s[i])
            precondition(label >= 0 && label < wnids.count, "train label \(label) outside 0..<\(wnids.count)")
            let wnid = wnids[label]
            let name = "\(wnid)_\(perClass[label].count).JPEG"
            try image(train.images, i, "train/\(wnid)/images/\(name)")
            perClass[label].append("\(name)\t\(box(trainBoxes, i, train.images))")
        }
        for (label, wnid) in wnids.enumerated() {
            try text(perClass[label], "train/\(wnid)/\(wnid)_boxes.txt")
        }
        var annotations: [String] = []
        for i in 0..<test.images.shape[0] {
            let label = Int(test.labels.int32s[i])
            precondition(label >= 0 && label < wnids.count, "test label \(label) outside 0..<\(wnids.count)")
            let name = "val_\(i).JPEG"
            try image(test.images, i, "val/images/\(name)")
            annotations.append("\(name)\t\(wnids[label])\t\(box(testBoxes, i, test.images))")
        }
        try text(annotations, "val/val_annotations.txt")
    }
}

/// One error slot per work item, so the reported failure does not depend on thread timing.
final class FailureSlots: @unchecked Sendable {
    // @unchecked: every access holds the lock.
    private var slots: [DataError?]
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ error: DataError) {
        lock.lock()
        defer { lock.unlock() }
        if slots[index] == nil { slots[index] = error }
    }

    /// The failure of the lowest-numbered item that failed.
    var first: DataError? {
        lock.lock()
        defer { lock.unlock() }
        return slots.lazy.compactMap { $0 }.first
    }
}
