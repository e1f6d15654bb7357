import Foundation
import SpikeData
import SpikeTensor

/// Spoken digits (espeak-ng, English and German) in the Google Speech Commands layout:
/// `zero/ … nine/` folders of 16 kHz 16-bit mono WAV clips named `<speaker>_nohash_<n>.wav`,
/// `validation_list.txt`, `testing_list.txt` (held-out speakers) and a `_background_noise_/`
/// folder with one clip of seeded white noise (which the loader must skip).
public struct SpeechCommandsDemoSet: DemoSet {
    public let name = "speech_commands"
    public let summary = "spoken digits 0-9 (English and German, espeak-ng) as Speech Commands WAV folders"
    public let folder = "speech_commands"
    /// Speakers per language (10 digits each).
    public var speakersPerLanguage: Int

    public init(speakersPerLanguage: Int = 15) { self.speakersPerLanguage = speakersPerLanguage }

    public func isComplete(root: String, seed: UInt64) -> Bool {
        SpeechDemoMarker.matches(root + "/" + folder, seed: seed, detail: "speakers=\(speakersPerLanguage)")
    }

    public func make(root: String, seed: UInt64, progress: (String) -> Void) throws {
        let utterances = try SpokenDigits(speakersPerLanguage: speakersPerLanguage).synthesise(seed: seed, progress: progress)
        try write(utterances, seed: seed, to: root + "/" + folder)
        progress("\(utterances.count) clips")
    }

    /// Writes `utterances` in the Speech Commands layout under `directory` (replacing it).
    public func write(_ utterances: [SpokenDigits.Utterance], seed: UInt64, to directory: String) throws {
        let fm = FileManager.default
        try? fm.removeItem(atPath: directory)
        var validation: [String] = [], testing: [String] = []
        for word in SpokenDigits.englishWords + ["_background_noise_"] {
            try DataError.createDirectories([directory + "/" + word])
        }
        var takes: [String: Int] = [:]
        for u in utterances {
            let word = SpokenDigits.englishWords[u.digit]
            let key = word + "/" + u.speakerID
            let take = takes[key, default: 0]
            takes[key] = take + 1
            let relative = "\(word)/\(u.speakerID)_nohash_\(take).wav"
            let clip = Array(u.samples.prefix(SpeechCommands.clipLength))
            try WAV.write(WAV.Audio(sampleRate: SpokenDigits.sampleRate, samples: clip), to: directory + "/" + relative)
            switch u.split {
            case .validation: validation.append(relative)
            case .test: testing.append(relative)
            case .train: break
            }
        }
        var rng = PhiloxGenerator(seed: seed, stream: 0x4E4F_4953_45)  // "NOISE"
        let noise = (0..<SpeechCommands.clipLength).map { _ in Int16((rng.nextUniform() - 0.5) * 2000) }
        try WAV.write(WAV.Audio(sampleRate: SpokenDigits.sampleRate, samples: noise),
                      to: directory + "/_background_noise_/white_noise.wav")
        try SpeechDemoMarker.writeText(validation.sorted().joined(separator: "\n") + "\n", to: directory + "/" + SpeechCommands.validationList)
        try SpeechDemoMarker.writeText(testing.sorted().joined(separator: "\n") + "\n", to: directory + "/" + SpeechCommands.testingList)
        try SpeechDemoMarker.write(directory, seed: seed, detail: "speakers=\(speakersPerLanguage)")
    }
}

/// The same spoken digits encoded into 700-channel spike trains by `CochleaEncoder`, in the
/// SHD HDF5 format: `shd_train.h5` (train and validation speakers), `shd_test.h5` (test
/// speakers), labels 0–9 English and 10–19 German, `extra/speaker`, `extra/keys`.
public struct SHDDemoSet: DemoSet {
    public let name = "shd"
    public let summary = "spoken digits 0-9 (English and German, espeak-ng) through a 700-channel cochlea model, as SHD HDF5"
    public let folder = "shd"
    /// Speakers per language (10 digits each).
    public var speakersPerLanguage: Int

    public init(speakersPerLanguage: Int = 15) { self.speakersPerLanguage = speakersPerLanguage }

    public func isComplete(root: String, seed: UInt64) -> Bool {
        SpeechDemoMarker.matches(root + "/" + folder, seed: seed, detail: "speakers=\(speakersPerLanguage)")
    }

    public func make(root: String, seed: UInt64, progress: (String) -> Void) throws {
        let utterances = try SpokenDigits(speakersPerLanguage: speakersPerLanguage).synthesise(seed: seed, progress: progress)
        let spikes = try write(utterances, seed: seed, to: root + "/" + folder)
        progress("\(utterances.count) samples, \(spikes) spikes")
    }

    /// Encodes `utterances` and writes the two SHD files under `directory`; returns the spike count.
    @discardableResult
    public func write(_ utterances: [SpokenDigits.Utterance], seed: UInt64, to directory: String) throws -> Int {
        let fm = FileManager.default
        try? fm.removeItem(atPath: directory)
        try DataError.createDirectories([directory])
        let encoder = CochleaEncoder(sampleRate: SpokenDigits.sampleRate, channelCount: SHDFile.channelCount)
        var encoded = [(times: [Float], units: [UInt16])](repeating: ([], []), count: utterances.count)
        encoded.withUnsafeMutableBufferPointer { slots in
            let base = slots.baseAddress!
            parallelChunks(utterances.count, minChunk: 1) { range in
                for i in range { base[i] = encoder.encode(utterances[i].samples.map { Float($0) / 32768 }) }
            }
        }
        var total = 0
        for split in DataSplit.allCases {
            var contents = SHDFile.Contents(times: [], units: [], labels: [])
            for (i, u) in utterances.enumerated() where (u.split == .test) == (split == .test) {
                contents.times.append(encoded[i].times)
                contents.units.append(encoded[i].units)
                contents.labels.append(UInt16(u.shdLabel))
                contents.speakers.append(UInt16(u.speaker))
                total += encoded[i].times.count
            }
            try SHDFile.write(contents, to: directory + "/" + SHD.fileName(split))
        }
        try SpeechDemoMarker.write(directory, seed: seed, detail: "speakers=\(speakersPerLanguage)")
        return total
    }
}

/// The `.complete` file a finished demo set leaves in its folder: the seed and settings it
/// was made with, written last so an interrupted run is never taken for complete.
enum SpeechDemoMarker {
    static let fileName = ".complete"

    static func text(seed: UInt64, detail: String) -> String { "seed=\(seed) \(detail) version=1\n" }

    static func matches(_ directory: String, seed: UInt64, detail: String) -> Bool {
        (try? String(contentsOfFile: directory + "/" + fileName, encoding: .utf8)) == text(seed: seed, detail: detail)
    }

    static func write(_ directory: String, seed: UInt64, detail: String) throws {
        try writeText(text(seed: seed, detail: detail), to: directory + "/" + fileName)
    }

    static func writeText(_ text: String, to path: String) throws {
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw DataError.unwritable(file: path, reason: error.localizedDescription)
        }
    }
}
