import Foundation
import SpikeTensor

/// CIFAR-10, binary version: `cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin`.
///
/// `root` may be the extracted `cifar-10-batches-bin` folder itself or its parent.
public enum CIFAR10 {
    /// The folder the archive extracts to.
    public static let folder = "cifar-10-batches-bin"
    /// Class names, index = label.
    public static let classNames = ["airplane", "automobile", "bird", "cat", "deer",
                                    "dog", "frog", "horse", "ship", "truck"]

    /// The record files of `split`, in the order their records are numbered.
    public static func fileNames(_ split: DataSplit) -> [String] {
        split == .train ? (1...5).map { "data_batch_\($0).bin" } : ["test_batch.bin"]
    }

    /// The `split` of CIFAR-10 under `root`, images as Float `[3, 32, 32]` in [0, 1].
    public static func load(root: String, split: DataSplit) throws -> ByteImageDataset {
        let directory = try locateCIFAR(root: root, folder: folder, split: split,
                                        allFiles: fileNames(.train) + fileNames(.test), fileNames: fileNames)
        let records = try CIFARBinary.read(contentsOf: fileNames(split).map { directory + "/" + $0 },
                                           layout: .cifar10)
        return ByteImageDataset(name: "cifar10 \(split.rawValue)", images: records.images,
                                labels: records.labels, classCount: 10, classNames: classNames)
    }
}

/// CIFAR-100, binary version: `cifar-100-binary/{train,test}.bin`, with coarse and fine labels.
///
/// `root` may be the extracted `cifar-100-binary` folder itself or its parent.
public enum CIFAR100 {
    /// The folder the archive extracts to.
    public static let folder = "cifar-100-binary"

    /// Which of the two labels a sample carries.
    public enum LabelKind: String, Sendable {
        /// The 100 classes (the usual benchmark).
        case fine
        /// The 20 superclasses.
        case coarse
    }

    /// The record file of `split`.
    public static func fileNames(_ split: DataSplit) -> [String] {
        [split == .train ? "train.bin" : "test.bin"]
    }

    /// The `split` of CIFAR-100 under `root` labelled by `labels`, images as Float `[3, 32, 32]` in [0, 1].
    ///
    /// Class names come from `fine_label_names.txt` / `coarse_label_names.txt` when present.
    public static func load(root: String, split: DataSplit, labels: LabelKind = .fine) throws -> ByteImageDataset {
        let directory = try locateCIFAR(root: root, folder: folder, split: split,
                                        allFiles: fileNames(.train) + fileNames(.test), fileNames: fileNames)
        let records = try CIFARBinary.read(contentsOf: fileNames(split).map { directory + "/" + $0 },
                                           layout: .cifar100)
        let classCount = labels == .fine ? 100 : 20
        let namesFile = directory + "/\(labels.rawValue)_label_names.txt"
        var names: [String] = []
        if let text = try? String(contentsOfFile: namesFile, encoding: .utf8) {
            names = text.split(whereSeparator: \.isNewline).map(String.init)
                .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            if names.count != classCount { names = [] }  // a malformed names file only loses the names
        }
        return ByteImageDataset(name: "cifar100 \(split.rawValue) (\(labels.rawValue))", images: records.images,
                                labels: labels == .fine ? records.labels : records.coarseLabels!,
                                classCount: classCount, classNames: names)
    }
}

/// The directory holding `split`'s files: `root/folder` or `root` itself.
func locateCIFAR(root: String, folder: String, split: DataSplit, allFiles: [String],
                 fileNames: (DataSplit) -> [String]) throws -> String {
    let needed = fileNames(split)
    let candidates = [root + "/" + folder, root]
    var best: (directory: String, missing: [String])?
    for directory in candidates {
        let missing = needed.filter { !FileManager.default.fileExists(atPath: directory + "/" + $0) }
        if missing.isEmpty { return directory }
        if best == nil || missing.count < best!.missing.count { best = (directory, missing) }
    }
    // Report paths relative to root in the layout the archive extracts to.
    let missing = best!.missing.map { folder + "/" + $0 }
    throw DataError.missingFiles(root: root, expected: allFiles.map { folder + "/" + $0 }, missing: missing,
                                 note: "or those files directly in \(root), if it is the \(folder) folder")
}
