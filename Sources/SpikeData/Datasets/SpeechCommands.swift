import Foundation
import SpikeTensor

/// Google Speech Commands (v0.02: 35 words): `<word>/<speaker>_nohash_<n>.wav` clips of 16 kHz
/// mono 16-bit PCM, ≤ 1 s, with `validation_list.txt` and `testing_list.txt` directly in `root`.
///
/// Split rule (the dataset's README): a clip listed in `testing_list.txt` is test, one in
/// `validation_list.txt` is validation, every other clip of a word folder is train.
/// `_background_noise_` (and any folder starting with `_`) is not a class. Classes are the
/// word folders in sorted order. Each clip is zero-padded at the end or cut to 1 s (16 000
/// samples) and becomes log-mel frames `[98, 40]` (see `LogMelSpectrogram`).
public enum SpeechCommands {
    /// The 35 words of v0.02.
    public static let wordsV2 = ["backward", "bed", "bird", "cat", "dog", "down", "eight", "five", "follow", "forward",
                                 "four", "go", "happy", "house", "learn", "left", "marvin", "nine", "no", "off", "on",
                                 "one", "right", "seven", "sheila", "six", "stop", "three", "tree", "two", "up", "visual",
                                 "wow", "yes", "zero"]
    /// Sample rate every clip must have.
    public static let sampleRate = 16_000
    /// Samples a clip is padded or cut to (1 s).
    public static let clipLength = 16_000
    /// The split list files.
    public static let validationList = "validation_list.txt"
    public static let testingList = "testing_list.txt"

    /// The three parts of the dataset.
    public enum Split: String, Sendable, CaseIterable {
        case train, validation, test
    }

    /// Log-mel frames per clip with the default features (98).
    public static var frameCount: Int { LogMelSpectrogram().frameCount(sampleCount: clipLength) }

    /// The class folders under `root`, sorted (folders starting with `_` or `.` excluded).
    public static func classFolders(root: String) throws -> [String] {
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: root) } catch {
            throw DataError.unreadable(file: root, reason: error.localizedDescription)
        }
        return entries.filter { name in
            var isDirectory: ObjCBool = false
            return !name.hasPrefix("_") && !name.hasPrefix(".")
                && FileManager.default.fileExists(atPath: root + "/" + name, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }.sorted()
    }

    /// The clips of `split` as paths relative to `root` (`word/file.wav`), sorted, with their class folders.
    public static func clips(root: String, split: Split) throws -> (paths: [String], classes: [String]) {
        let missing = [validationList, testingList].filter { !FileManager.default.fileExists(atPath: root + "/" + $0) }
        let classes = try classFolders(root: root)
        if !missing.isEmpty || classes.isEmpty {
            throw DataError.missingFiles(root: root, expected: [validationList, testingList, "<word>/*.wav"],
                                         missing: missing + (classes.isEmpty ? ["<word>/*.wav (no class folders)"] : []),
                                         note: "the layout speech_commands_v0.02.tar.gz extracts to")
        }
        let validation = try readList(root + "/" + validationList, root: root)
        let test = try readList(root + "/" + testingList, root: root)
        switch split {
        case .validation: return (validation.sorted(), classes)
        case .test: return (test.sorted(), classes)
        case .train:
            let held = Set(validation).union(test)
            var paths: [String] = []
            for word in classes {
                let files: [String]
                do { files = try FileManager.default.contentsOfDirectory(atPath: root + "/" + word) } catch {
                    throw DataError.unreadable(file: root + "/" + word, reason: error.localizedDescription)
                }
                for file in files where file.hasSuffix(".wav") {
                    let relative = word + "/" + file
                    if !held.contains(relative) { paths.append(relative) }
                }
            }
            return (paths.sorted(), classes)
        }
    }

    /// The entries of a split list, each checked to be a `word/file.wav` that exists.
    static func readList(_ path: String, root: String) throws -> [String] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw DataError.unreadable(file: path, reason: error.localizedDescription)
        }
        var entries: [String] = []
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let parts = line.split(separator: "/")
            guard parts.count == 2, line.hasSuffix(".wav") else {
                throw DataError.inconsistent(file: path, reason:
                    "line \(number + 1): '\(line)' is not a clip path of the form word/file.wav")
            }
            guard FileManager.default.fileExists(atPath: root + "/" + line) else {
                throw DataError.inconsistent(file: path, reason:
                    "line \(number + 1): lists \(line), which is not under \(root)")
            }
            entries.append(line)
        }
        return entries
    }

    /// The clip at `path` as 1 s of Float samples (zero-padded at the end, or cut).
    public static func readClip(_ path: String) throws -> [Float] {
        let audio = try WAV.read(contentsOf: path)
        guard audio.sampleRate == sampleRate else {
            throw DataError.inconsistent(file: path, reason:
                "sample rate \(audio.sampleRate) Hz, expected \(sampleRate) Hz (Speech Commands clips are 16 kHz)")
        }
        guard audio.channels == 1 else {
            throw DataError.inconsistent(file: path, reason: "\(audio.channels) channels, expected 1 (mono)")
        }
        var samples = audio.monoFloats()
        if samples.count > clipLength { samples.removeLast(samples.count - clipLength) }
        if samples.count < clipLength { samples.append(contentsOf: repeatElement(0, count: clipLength - samples.count)) }
        return samples
    }

    /// The `split` under `root` as log-mel sequences `[98, 40]`, computed on all cores.
    public static func load(root: String, split: Split, features: LogMelSpectrogram = LogMelSpectrogram()) throws
        -> FeatureSequenceDataset {
        let (paths, classes) = try clips(root: root, split: split)
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, Int32($0)) })
        var labels: [Int32] = []
        for path in paths {
            let word = String(path.split(separator: "/")[0])
            guard let label = index[word] else {
                throw DataError.inconsistent(file: root + "/" + (split == .test ? testingList : validationList),
                                             reason: "lists \(path), whose word folder \(word) is not a class folder")
            }
            labels.append(label)
        }
        let frames = features.frameCount(sampleCount: clipLength), size = frames * features.melCount
        var values = [Float](repeating: 0, count: paths.count * size)
        let failures = FailureSlot()
        values.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!
            parallelChunks(paths.count, minChunk: 1) { range in
                for i in range {
                    do {
                        let clip = try readClip(root + "/" + paths[i])
                        let f = features.features(clip)
                        f.withUnsafeBufferPointer { (base + i * size).update(from: $0.baseAddress!, count: size) }
                    } catch {
                        failures.record(index: i, error: error)
                    }
                }
            }
        }
        if let failure = failures.first { throw failure }
        return FeatureSequenceDataset(name: "speech_commands \(split.rawValue)", features: values, labels: labels,
                                      timeSteps: frames, featureCount: features.melCount,
                                      classCount: classes.count, classNames: classes)
    }
}

/// The error of the lowest-numbered failed item of a parallel loop (so the message is the
/// same whatever the thread timing).
final class FailureSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var best: (index: Int, error: any Error)?

    func record(index: Int, error: any Error) {
        lock.lock()
        defer { lock.unlock() }
        if best == nil || index < best!.index { best = (index, error) }
    }

    var first: (any Error)? {
        lock.lock()
        defer { lock.unlock() }
        return best?.error
    }
}
