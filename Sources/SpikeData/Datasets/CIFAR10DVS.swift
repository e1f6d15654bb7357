import Foundation
import SpikeTensor

/// CIFAR10-DVS (Li et al., 2017): CIFAR-10 images moved on a monitor in front of a DVS128,
/// one folder per class of `cifar10_<class>_<i>.aedat` files (`AEDAT2`), 1000 per class,
/// 128 × 128. Events are mapped as SpikingJelly does (x' = 127 − y, y' = 127 − x, p' = 1 − p).
///
/// It has no official train/test split; `Split` names the ones papers use.
public enum CIFAR10DVS {
    /// Class names, index = label = folder name.
    public static let classNames = ["airplane", "automobile", "bird", "cat", "deer",
                                    "dog", "frog", "horse", "ship", "truck"]

    /// A train/test split (per class, in file-number order `cifar10_<class>_0`, `_1`, …).
    public enum Split: Equatable, Sendable, CustomStringConvertible {
        /// The first 90 % of each class train, the last 10 % test (BrainCog, the PSU paper).
        case perClassFirst90
        /// A seeded random 90 % of each class train, the rest test (SpikingJelly's
        /// `split_to_train_test_set(0.9, …, random_split=True)`, with a Philox permutation).
        case random90(seed: UInt64)
        /// TEBN's: the first 10 % of each class (files 0–99 of 1000) test, the rest train.
        case tebn

        public var description: String {
            switch self {
            case .perClassFirst90: "per_class_first_90"
            case .random90(let seed): "random_90(seed \(seed))"
            case .tebn: "tebn"
            }
        }

        /// Which of a class's `n` files (in number order) are in `part`.
        public func indices(classSize n: Int, classIndex: Int, part: DataSplit) -> [Int] {
            let trainCount = n * 9 / 10
            switch self {
            case .perClassFirst90:
                return part == .train ? Array(0..<trainCount) : Array(trainCount..<n)
            case .tebn:
                let testCount = n - trainCount
                return part == .train ? Array(testCount..<n) : Array(0..<testCount)
            case .random90(let seed):
                var generator = PhiloxGenerator(seed: seed, stream: UInt64(classIndex))
                let permutation = randomPermutation(count: n, using: &generator).map(Int.init)
                return (part == .train ? Array(permutation[0..<trainCount]) : Array(permutation[trainCount...])).sorted()
            }
        }
    }

    /// The recordings of `part` of `split` under `root` (the folder holding the class folders).
    public static func source(root: String, split: Split, part: DataSplit) throws -> FolderEventSource {
        let all = try FolderEventSource(name: "cifar10_dvs", root: root, folder: "", classFolders: classNames,
                                        classNames: classNames, fileExtension: "aedat", sensor: .dvs128, format: .cifar10DVS)
        var byClass = [[(path: String, label: Int32)]](repeating: [], count: classNames.count)
        for file in all.files { byClass[Int(file.label)].append(file) }
        var chosen: [(path: String, label: Int32)] = []
        for (k, files) in byClass.enumerated() {
            let ordered = files.sorted { fileNumber($0.path) < fileNumber($1.path) }
            chosen += split.indices(classSize: ordered.count, classIndex: k, part: part).map { ordered[$0] }
        }
        return FolderEventSource(name: "cifar10_dvs \(part.rawValue) \(split)", sensor: .dvs128, classNames: classNames,
                                 format: .cifar10DVS, files: chosen, fingerprint: all.fingerprint + "\nsplit \(split) \(part)")
    }

    /// `part` of CIFAR10-DVS under `root` with `split`, as frames `[T, 2, H, W]`.
    public static func load(root: String, split: Split, part: DataSplit, integration: FrameIntegration,
                            size: (height: Int, width: Int)? = nil, cacheDirectory: String? = nil) throws -> EventFrameDataset {
        try EventFrameDataset(source: source(root: root, split: split, part: part), integration: integration,
                              size: size, cacheDirectory: cacheDirectory)
    }

    /// The sample number of `cifar10_<class>_<i>.aedat` (the digits before the extension), so
    /// files sort 0, 1, 2, …, 10 rather than 0, 1, 10, 100; names without one sort by name.
    static func fileNumber(_ path: String) -> (Int, String) {
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        let digits = name.reversed().prefix { $0.isNumber }
        return (Int(String(digits.reversed())) ?? Int.max, name)
    }
}
