import Foundation

/// The HDF5 files of the Spiking Heidelberg Digits (`shd_train.h5`, `shd_test.h5`).
///
/// Layout (Cramer et al. 2020, as the files ship and h5py/tonic/SpikingJelly read them):
///
///     /spikes/times        one variable-length float sequence per sample: spike times in seconds
///     /spikes/units        one variable-length integer sequence per sample: channel 0..<700 of each spike
///     /labels              u16 [N], class 0..<20 (0–9 English digits, 10–19 German)
///     /extra/speaker       u16 [N], speaker id of each sample
///     /extra/keys          strings [20], the class names
///     /extra/meta_info/…   per-speaker tables (age, gender, body_height)
///
/// The reader converts whatever numeric element types are stored (the published files'
/// float and integer widths differ between tools that rewrote them) and checks every spike.
public enum SHDFile {
    /// Input channels of the cochlea model (inner-hair-cell/bushy-cell outputs).
    public static let channelCount = 700
    /// The classes: digits 0–9 in English, then in German (SHD's label order).
    public static let classNames = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                                    "null", "eins", "zwei", "drei", "vier", "fuenf", "sechs", "sieben", "acht", "neun"]

    /// The per-speaker tables under `extra/meta_info` (index = speaker id).
    public struct SpeakerInfo: Equatable, Sendable {
        public var age: [UInt16]
        public var gender: [String]
        public var bodyHeight: [Float]

        public init(age: [UInt16], gender: [String], bodyHeight: [Float]) {
            self.age = age
            self.gender = gender
            self.bodyHeight = bodyHeight
        }
    }

    /// Everything an SHD file holds.
    public struct Contents: Equatable, Sendable {
        /// Spike times in seconds, one array per sample.
        public var times: [[Float]]
        /// The channel of each spike, one array per sample (same lengths as `times`).
        public var units: [[UInt16]]
        /// Class of each sample.
        public var labels: [UInt16]
        /// Speaker of each sample (empty when the file has no `extra/speaker`).
        public var speakers: [UInt16]
        /// Class names (empty when the file has no `extra/keys`).
        public var keys: [String]
        /// Per-speaker tables (nil when the file has no `extra/meta_info`).
        public var speakerInfo: SpeakerInfo?

        public init(times: [[Float]], units: [[UInt16]], labels: [UInt16], speakers: [UInt16] = [],
                    keys: [String] = SHDFile.classNames, speakerInfo: SpeakerInfo? = nil) {
            self.times = times
            self.units = units
            self.labels = labels
            self.speakers = speakers
            self.keys = keys
            self.speakerInfo = speakerInfo
        }

        /// Number of samples.
        public var count: Int { labels.count }
    }

    /// Reads and checks the SHD file at `path`: every sample's times and units agree in length,
    /// times are finite and not negative, units lie in `0..<channels`, labels in `0..<classCount`.
    public static func read(contentsOf path: String, channels: Int = channelCount,
                            classCount: Int = classNames.count) throws -> Contents {
        let file = try openChecked(path)
        defer { try? file.close() }
        for required in ["spikes/times", "spikes/units", "labels"] {
            guard (try? file.datasetExists(required)) == true else {
                throw DataError.inconsistent(file: path, reason:
                    "has no dataset /\(required); an SHD file holds /spikes/times, /spikes/units and /labels")
            }
        }
        // Units and labels are read wide so that a negative or too-large stored value is
        // reported rather than saturated into range by HDF5's conversion.
        let times: [[Float]], wideUnits: [[Int32]], wideLabels: [Int32]
        do {
            times = try file.readSequences("spikes/times", as: Float.self)
            wideUnits = try file.readSequences("spikes/units", as: Int32.self)
            wideLabels = try file.readArray("labels", as: Int32.self)
        } catch {
            throw DataError.inconsistent(file: path, reason: error.description)
        }
        guard times.count == wideLabels.count, wideUnits.count == wideLabels.count else {
            throw DataError.inconsistent(file: path, reason:
                "/spikes/times holds \(times.count) samples, /spikes/units \(wideUnits.count), /labels \(wideLabels.count); they must agree")
        }
        for i in 0..<wideLabels.count {
            try check(sample: i, times: times[i], units: wideUnits[i], label: wideLabels[i], channels: channels,
                      classCount: classCount, file: path)
        }
        let units = wideUnits.map { $0.map { UInt16($0) } }
        let labels = wideLabels.map { UInt16($0) }
        var contents = Contents(times: times, units: units, labels: labels, keys: [])
        if (try? file.datasetExists("extra/speaker")) == true {
            do { contents.speakers = try file.readArray("extra/speaker", as: UInt16.self) } catch {
                throw DataError.inconsistent(file: path, reason: error.description)
            }
            guard contents.speakers.count == labels.count else {
                throw DataError.inconsistent(file: path, reason:
                    "/extra/speaker holds \(contents.speakers.count) entries for \(labels.count) samples")
            }
        }
        if (try? file.datasetExists("extra/keys")) == true {
            contents.keys = (try? file.readStrings("extra/keys")) ?? []
        }
        if (try? file.groupExists("extra/meta_info")) == true {
            contents.speakerInfo = SpeakerInfo(
                age: (try? file.readArray("extra/meta_info/age", as: UInt16.self)) ?? [],
                gender: (try? file.readStrings("extra/meta_info/gender")) ?? [],
                bodyHeight: (try? file.readArray("extra/meta_info/body_height", as: Float.self)) ?? [])
        }
        return contents
    }

    /// Only the labels of the file at `path` (for class histograms and splits).
    public static func readLabels(contentsOf path: String) throws -> [UInt16] {
        let file = try openChecked(path)
        defer { try? file.close() }
        do { return try file.readArray("labels", as: UInt16.self) } catch {
            throw DataError.inconsistent(file: path, reason: error.description)
        }
    }

    /// Writes `contents` as an SHD file at `path` (atomically): times as variable-length
    /// float32, units as variable-length u16, labels and speakers u16, keys as strings.
    public static func write(_ contents: Contents, to path: String) throws {
        precondition(contents.times.count == contents.count && contents.units.count == contents.count,
                     "SHDFile.write: \(contents.times.count) time and \(contents.units.count) unit sequences for \(contents.count) labels")
        for i in 0..<contents.count {
            precondition(contents.times[i].count == contents.units[i].count,
                         "SHDFile.write: sample \(i) has \(contents.times[i].count) times but \(contents.units[i].count) units")
        }
        do {
            try HDF5File.writeAtomically(to: path) { file in
                try file.writeSequences(contents.times, at: "spikes/times")
                try file.writeSequences(contents.units, at: "spikes/units")
                try file.writeArray(contents.labels, at: "labels")
                if !contents.speakers.isEmpty { try file.writeArray(contents.speakers, at: "extra/speaker") }
                if !contents.keys.isEmpty { try file.writeStrings(contents.keys, at: "extra/keys") }
                if let info = contents.speakerInfo {
                    try file.writeArray(info.age, at: "extra/meta_info/age")
                    try file.writeStrings(info.gender, at: "extra/meta_info/gender")
                    try file.writeArray(info.bodyHeight, at: "extra/meta_info/body_height")
                }
            }
        } catch let error as HDF5Error {
            throw DataError.unwritable(file: path, reason: error.description)
        }
    }

    /// Opens `path` read-only, turning HDF5's errors into `DataError`s.
    private static func openChecked(_ path: String) throws -> HDF5File {
        do {
            return try HDF5File.open(path: path)
        } catch {
            if error.kind == .fileNotFound { throw DataError.unreadable(file: path, reason: "no such file") }
            if error.kind == .notHDF5 {
                throw DataError.badMagic(file: path, offset: 0, found: "no HDF5 signature",
                                         expected: "an HDF5 file (signature 89 48 44 46 0d 0a 1a 0a)")
            }
            throw DataError.unreadable(file: path, reason: error.description)
        }
    }

    /// Throws unless one sample's spikes and label are valid, naming the sample and spike.
    static func check(sample i: Int, times: [Float], units: [Int32], label: Int32, channels: Int,
                      classCount: Int, file: String) throws {
        guard label >= 0 && Int(label) < classCount else {
            throw DataError.inconsistent(file: file, reason: "sample \(i) has label \(label), expected 0..<\(classCount)")
        }
        guard times.count == units.count else {
            throw DataError.inconsistent(file: file, reason:
                "sample \(i) has \(times.count) spike times but \(units.count) units; they must pair up")
        }
        for (k, t) in times.enumerated() where !t.isFinite || t < 0 {
            throw DataError.inconsistent(file: file, reason:
                "sample \(i), spike \(k) has time \(t) s, expected a finite time ≥ 0")
        }
        for (k, u) in units.enumerated() where u < 0 || Int(u) >= channels {
            throw DataError.inconsistent(file: file, reason:
                "sample \(i), spike \(k) has unit \(u), expected 0..<\(channels)")
        }
    }
}
