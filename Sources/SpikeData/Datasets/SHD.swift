import Foundation

/// Spiking Heidelberg Digits: `shd_train.h5` / `shd_test.h5` directly in `root`, each sample
/// served as spike-count frames Float `[T, 700]` (one 700-channel vector per time step).
public enum SHD {
    /// The file of `split`.
    public static func fileName(_ split: DataSplit) -> String { "shd_\(split.rawValue).h5" }

    /// The `split` under `root`, binned into `timeSteps` frames as `binning` says.
    public static func load(root: String, split: DataSplit, timeSteps: Int,
                            binning: SpikeTrainBinning = .time) throws -> SpikeTrainDataset {
        let path = root + "/" + fileName(split)
        guard FileManager.default.fileExists(atPath: path) else {
            let plain = FileManager.default.fileExists(atPath: path + ".gz")
            throw DataError.missingFiles(root: root, expected: DataSplit.allCases.map(fileName),
                                         missing: [fileName(split)],
                                         note: plain ? "found \(fileName(split)).gz: decompress it with gunzip first"
                                                     : "SHD ships as shd_train.h5.gz and shd_test.h5.gz; gunzip them into \(root)")
        }
        let contents = try SHDFile.read(contentsOf: path)
        let names = contents.keys.count == SHDFile.classNames.count ? contents.keys : SHDFile.classNames
        return SpikeTrainDataset(name: "shd \(split.rawValue)", times: contents.times, units: contents.units,
                                 labels: contents.labels.map(Int32.init), channels: SHDFile.channelCount,
                                 classCount: SHDFile.classNames.count, classNames: names,
                                 timeSteps: timeSteps, binning: binning)
    }
}

/// Samples held as spike trains (times, channels) and binned into frames `[T, channels]` when
/// a sample is served, so memory stays that of the spikes, not of the frames.
public final class SpikeTrainDataset: ClassificationDataset, @unchecked Sendable {
    // @unchecked: nothing is written after init, so concurrent reads are safe.

    /// Where the data came from (for messages).
    public let name: String
    public let count: Int
    public let classCount: Int
    /// Class names, index = label.
    public let classNames: [String]
    /// `[timeSteps, channels]`.
    public let inputShape: [Int]
    /// How spikes are cut into frames.
    public let binning: SpikeTrainBinning
    private let times: [[Float]]
    private let units: [[UInt16]]
    private let labels: [Int32]

    /// A dataset over per-sample spike `times` (seconds) and `units` (each in `0..<channels`).
    public init(name: String, times: [[Float]], units: [[UInt16]], labels: [Int32], channels: Int,
                classCount: Int, classNames: [String] = [], timeSteps: Int, binning: SpikeTrainBinning) {
        precondition(times.count == labels.count && units.count == labels.count,
                     "SpikeTrainDataset: \(times.count) times, \(units.count) units, \(labels.count) labels")
        precondition(timeSteps >= 1, "SpikeTrainDataset: timeSteps must be at least 1")
        precondition(labels.allSatisfy { $0 >= 0 && Int($0) < classCount }, "labels must lie in 0..<\(classCount)")
        self.name = name
        self.times = times
        self.units = units
        self.labels = labels
        self.count = labels.count
        self.classCount = classCount
        self.classNames = classNames
        self.inputShape = [timeSteps, channels]
        self.binning = binning
    }

    public func label(at index: Int) -> Int32 {
        precondition(index >= 0 && index < count, "sample index \(index) out of range 0..<\(count)")
        return labels[index]
    }

    public func writeInput(at index: Int, to destination: UnsafeMutablePointer<Float>) {
        precondition(index >= 0 && index < count, "sample index \(index) out of range 0..<\(count)")
        destination.initialize(repeating: 0, count: inputShape[0] * inputShape[1])
        binning.accumulate(times: times[index], units: units[index], timeSteps: inputShape[0],
                           channels: inputShape[1], into: destination)
    }

    /// The labels as an array.
    public var labelArray: [Int32] { labels }

    /// The spike train of sample `index` as stored: times (seconds) and channels.
    public func spikes(at index: Int) -> (times: [Float], units: [UInt16]) {
        precondition(index >= 0 && index < count, "sample index \(index) out of range 0..<\(count)")
        return (times[index], units[index])
    }
}
