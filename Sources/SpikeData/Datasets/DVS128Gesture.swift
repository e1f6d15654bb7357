import Foundation

/// DVS128 Gesture (Amir et al., 2017): 29 users × lighting conditions recorded with a DVS128,
/// `DvsGesture/user{01..29}_<lighting>.aedat` (`AEDAT31`) with `…_labels.csv` beside each, and
/// `trials_to_train.txt` / `trials_to_test.txt` naming the files of each split. Every labelled
/// gesture is one sample: the events with start ≤ t < end. 11 classes, 128 × 128,
/// 1176 train / 288 test samples.
public enum DVS128Gesture {
    /// Class names, index = label (the CSV's class − 1).
    public static let classNames = ["hand_clapping", "right_hand_wave", "left_hand_wave", "right_arm_clockwise",
                                    "right_arm_counter_clockwise", "left_arm_clockwise", "left_arm_counter_clockwise",
                                    "arm_roll", "air_drums", "air_guitar", "other_gestures"]
    /// The folder the archive extracts to.
    public static let folder = "DvsGesture"

    /// The trials file of `split`.
    public static func trialsFile(_ split: DataSplit) -> String {
        split == .train ? "trials_to_train.txt" : "trials_to_test.txt"
    }

    /// The labels file of a recording (`user01_fluorescent.aedat` → `user01_fluorescent_labels.csv`).
    public static func labelsFile(for recording: String) -> String {
        (recording as NSString).deletingPathExtension + "_labels.csv"
    }

    /// The gestures of `split` under `root` (the `DvsGesture` folder itself or its parent).
    public static func source(root: String, split: DataSplit) throws -> GestureEventSource {
        let candidates = [root + "/" + folder, root]
        guard let directory = candidates.first(where: { FileManager.default.fileExists(atPath: $0 + "/" + trialsFile(split)) }) else {
            throw DataError.missingFiles(root: root, expected: [folder + "/" + trialsFile(.train), folder + "/" + trialsFile(.test),
                                                                folder + "/user*_*.aedat", folder + "/user*_*_labels.csv"],
                                         missing: [folder + "/" + trialsFile(split)],
                                         note: "or those files directly in \(root), if it is the \(folder) folder")
        }
        let recordings = try DVSGestureLabels.readTrials(contentsOf: directory + "/" + trialsFile(split))
        let missing = recordings.flatMap { [$0, labelsFile(for: $0)] }
            .filter { !FileManager.default.fileExists(atPath: directory + "/" + $0) }
        if !missing.isEmpty {
            throw DataError.missingFiles(root: directory, expected: ["the files listed in \(trialsFile(split)) and their _labels.csv"],
                                         missing: missing)
        }
        var samples: [GestureEventSource.Sample] = []
        var print = ["dvs128_gesture \(split.rawValue)"]
        for recording in recordings {
            let path = directory + "/" + recording
            let labelsPath = directory + "/" + labelsFile(for: recording)
            for gesture in try DVSGestureLabels.readCSV(contentsOf: labelsPath) {
                samples.append(.init(path: path, gesture: gesture))
            }
            print.append(fileFingerprint(path, name: recording))
            print.append(fileFingerprint(labelsPath, name: labelsFile(for: recording)))
        }
        return GestureEventSource(name: "dvs128_gesture \(split.rawValue)", samples: samples,
                                  fingerprint: print.joined(separator: "\n"))
    }

    /// The `split` of DVS128 Gesture under `root` as frames `[T, 2, H, W]`.
    public static func load(root: String, split: DataSplit, integration: FrameIntegration,
                            size: (height: Int, width: Int)? = nil, cacheDirectory: String? = nil) throws -> EventFrameDataset {
        try EventFrameDataset(source: source(root: root, split: split), integration: integration, size: size,
                              cacheDirectory: cacheDirectory)
    }
}

/// Labelled time windows of AEDAT 3.1 recordings (DVS128 Gesture's samples).
public final class GestureEventSource: EventSampleSource, @unchecked Sendable {
    // @unchecked: `recent` is only touched under `lock`; everything else is immutable.

    /// One sample: a recording and the window of one gesture in it.
    public struct Sample: Sendable {
        public var path: String
        public var gesture: DVSGestureLabels.Gesture
    }

    public let name: String
    public let sensor = SensorSize.dvs128
    public var classCount: Int { DVSGestureLabels.classCount }
    public var classNames: [String] { DVS128Gesture.classNames }
    /// Every sample in order (recordings in trials-file order, gestures in CSV order).
    public let samples: [Sample]
    public let fingerprint: String
    private let lock = NSLock()
    private var recent: [(path: String, events: Events)] = []

    init(name: String, samples: [Sample], fingerprint: String) {
        self.name = name
        self.samples = samples
        self.fingerprint = fingerprint
    }

    public var count: Int { samples.count }
    public func label(at index: Int) -> Int32 { samples[index].gesture.label }
    public func file(at index: Int) -> String { samples[index].path }

    public func events(at index: Int) throws -> Events {
        let sample = samples[index]
        return try recording(sample.path).window(from: sample.gesture.start, to: sample.gesture.end)
    }

    /// The decoded events of a recording; the last few are kept, since consecutive samples
    /// share a recording.
    private func recording(_ path: String) throws -> Events {
        lock.lock()
        if let hit = recent.first(where: { $0.path == path }) {
            lock.unlock()
            return hit.events
        }
        lock.unlock()
        let events = try AEDAT31.read(contentsOf: path).events
        try events.checkBounds(sensor, file: path)
        try events.checkTimeOrder(file: path)
        lock.lock()
        recent.append((path, events))
        if recent.count > 4 { recent.removeFirst() }
        lock.unlock()
        return events
    }
}
