import Foundation
import SpikeTensor

/// MNIST handwritten digits: the four IDX files as published, gzip or plain, directly in `root`.
public enum MNIST {
    /// Digit names, index = label.
    public static let classNames = (0...9).map(String.init)

    /// The `split` of MNIST under `root`, images as Float `[1, 28, 28]` in [0, 1].
    public static func load(root: String, split: DataSplit) throws -> ByteImageDataset {
        try loadIDXClassification(name: "mnist", root: root, split: split, classNames: classNames)
    }
}

/// Fashion-MNIST (Zalando): same IDX layout and file names as MNIST, ten clothing classes.
public enum FashionMNIST {
    /// Where Debian's `dataset-fashion-mnist` package installs the files.
    public static let defaultRoot = "/usr/share/datasets/fashion-mnist"

    /// Class names, index = label.
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

    /// The `split` of Fashion-MNIST under `root`, images as Float `[1, 28, 28]` in [0, 1].
    public static func load(root: String = defaultRoot, split: DataSplit) throws -> ByteImageDataset {
        try loadIDXClassification(name: "fashion-mnist", root: root, split: split, classNames: classNames)
    }
}

/// The IDX file names of an MNIST-style split: (images, labels), without `.gz`.
func idxFileNames(_ split: DataSplit) -> (images: String, labels: String) {
    let prefix = split == .train ? "train" : "t10k"
    return ("\(prefix)-images-idx3-ubyte", "\(prefix)-labels-idx1-ubyte")
}

/// Loads an MNIST-layout split: u8 images `[N, H, W]` and u8 labels `[N]` in `0..<classNames.count`.
func loadIDXClassification(name: String, root: String, split: DataSplit,
                           classNames: [String]) throws -> ByteImageDataset {
    let files = idxFileNames(split)
    let rootURL = URL(fileURLWithPath: root)
    func locate(_ base: String) -> String? {
        // The files ship gzip-compressed; accept them decompressed too.
        for candidate in [base + ".gz", base] {
            let path = rootURL.appendingPathComponent(candidate).path
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }
    let imagePath = locate(files.images), labelPath = locate(files.labels)
    guard let imagePath, let labelPath else {
        let all = DataSplit.allCases.flatMap { s -> [String] in
            let f = idxFileNames(s)
            return [f.images + ".gz", f.labels + ".gz"]
        }
        var missing: [String] = []
        if imagePath == nil { missing.append(files.images + ".gz") }
        if labelPath == nil { missing.append(files.labels + ".gz") }
        throw DataError.missingFiles(root: root, expected: all, missing: missing)
    }

    let images = try IDX.read(contentsOf: imagePath)
    guard images.dtype == .uint8, images.rank == 3 else {
        throw DataError.inconsistent(file: imagePath, reason:
            "expected u8 images [N, H, W], found \(images.dtype) \(images.shape)")
    }
    let labels = try IDX.readLabels(contentsOf: labelPath)
    guard labels.count == images.shape[0] else {
        throw DataError.inconsistent(file: labelPath, reason:
            "holds \(labels.count) labels but \(imagePath) holds \(images.shape[0]) images")
    }
    try validateLabels(labels, classCount: classNames.count, file: labelPath)
    // [N, H, W] → [N, 1, H, W]: a view of the same bytes.
    let nchw = Tensor(shape: [images.shape[0], 1, images.shape[1], images.shape[2]], dtype: .uint8,
                      storage: images.storage, offset: images.offset)
    return ByteImageDataset(name: "\(name) \(split.rawValue)", images: nchw, labels: labels,
                            classCount: classNames.count, classNames: classNames)
}
