import Foundation
import SpikeData
import SpikeTensor

/// Spoken digits 0–9 in English and German made with `espeak-ng`: the audio both speech
/// demo sets (Speech Commands layout, SHD format) are built from.
///
/// A "speaker" is an espeak-ng voice with a variant (`en-us+f3`, `de+m2`, …), a base pitch
/// (`-p`) and a base speed (`-s`), all drawn from a Philox generator seeded by the seed;
/// each of its ten digits is spoken with the pitch and speed jittered around the base.
/// Speakers alternate English and German. Every 5th speaker (index 4, 9, …) is a test
/// speaker, index 3, 8, … a validation speaker, the rest train, so no voice is in two splits.
/// espeak-ng writes 22 050 Hz 16-bit mono; the audio is resampled to 16 kHz.
public struct SpokenDigits: Sendable {
    /// English digit words (also the Speech Commands class folders).
    public static let englishWords = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    /// German digit words as spoken.
    public static let germanWords = ["null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun"]
    /// espeak-ng voices of each language (those shipped in espeak-ng-data, no MBROLA).
    static let englishVoices = ["en-us", "en", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan", "en-gb-x-gbcwmd"]
    static let germanVoices = ["de"]
    /// Voice variants (files in espeak-ng-data/voices/!v).
    static let variants = ["m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2", "klatt3"]
    /// Sample rate of the audio handed out.
    public static let sampleRate = 16_000

    /// One spoken digit.
    public struct Utterance: Sendable, Equatable {
        public var speaker: Int
        public var digit: Int
        public var german: Bool
        public var voice: String
        public var pitch: Int
        public var speed: Int
        /// 16 kHz mono samples.
        public var samples: [Int16]

        /// SHD's label: the digit, +10 for German.
        public var shdLabel: Int { digit + (german ? 10 : 0) }
        /// Which split the speaker belongs to.
        public var split: SpeechCommands.Split { SpokenDigits.split(ofSpeaker: speaker) }
        /// A stable 8-hex-digit speaker id like those of Speech Commands file names.
        public var speakerID: String { SpokenDigits.speakerID(speaker) }
    }

    /// Speakers per language.
    public var speakersPerLanguage: Int
    /// Path of the espeak-ng program.
    public var program: String

    public init(speakersPerLanguage: Int = 15, program: String = "/usr/bin/espeak-ng") {
        self.speakersPerLanguage = speakersPerLanguage
        self.program = program
    }

    /// The split of speaker `s`.
    public static func split(ofSpeaker s: Int) -> SpeechCommands.Split {
        switch s % 5 {
        case 4: .test
        case 3: .validation
        default: .train
        }
    }

    /// An id for speaker `s` (FNV-1a of its index, 32 bits, hex).
    public static func speakerID(_ s: Int) -> String {
        var h: UInt32 = 2_166_136_261
        for byte in withUnsafeBytes(of: UInt64(s).littleEndian, Array.init) { h = (h ^ UInt32(byte)) &* 16_777_619 }
        return String(format: "%08x", h)
    }

    /// What each utterance will be (voice, pitch, speed), without synthesising it.
    public func plan(seed: UInt64) -> [Utterance] {
        var rng = PhiloxGenerator(seed: seed, stream: 0x5350_4545_4348)  // "SPEECH"
        func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        func uniform(_ lo: Int, _ hi: Int) -> Int { lo + pick(hi - lo + 1) }
        var out: [Utterance] = []
        for s in 0..<(2 * speakersPerLanguage) {
            let german = s % 2 == 1
            let voices = german ? Self.germanVoices : Self.englishVoices
            let voice = voices[pick(voices.count)] + "+" + Self.variants[pick(Self.variants.count)]
            let basePitch = uniform(20, 80), baseSpeed = uniform(130, 190)
            for digit in 0..<10 {
                let pitch = min(99, max(0, basePitch + uniform(-8, 8)))
                let speed = max(80, baseSpeed + uniform(-15, 15))
                out.append(Utterance(speaker: s, digit: digit, german: german, voice: voice, pitch: pitch,
                                     speed: speed, samples: []))
            }
        }
        return out
    }

    /// Every utterance of the plan, spoken; `limit` keeps only the first ones (tests).
    /// Runs up to `parallel` espeak-ng processes at once.
    public func synthesise(seed: UInt64, limit: Int? = nil, parallel: Int = 8,
                           progress: (String) -> Void = { _ in }) throws -> [Utterance] {
        guard FileManager.default.isExecutableFile(atPath: program) else {
            throw DataError.missingFiles(root: (program as NSString).deletingLastPathComponent,
                                         expected: [(program as NSString).lastPathComponent],
                                         missing: [(program as NSString).lastPathComponent],
                                         note: "install the Debian package espeak-ng")
        }
        var utterances = plan(seed: seed)
        if let limit { utterances = Array(utterances.prefix(limit)) }
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("spikelab-espeak-\(getpid())-\(UInt32.random(in: 0 ... .max))").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var start = 0
        while start < utterances.count {
            let end = min(utterances.count, start + parallel)
            var running: [(Int, Process, String)] = []
            for i in start..<end {
                let u = utterances[i]
                let path = scratch + "/\(i).wav"
                let process = Process()
                process.executableURL = URL(fileURLWithPath: program)
                let word = (u.german ? Self.germanWords : Self.englishWords)[u.digit]
                process.arguments = ["-v", u.voice, "-p", String(u.pitch), "-s", String(u.speed), "-w", path, word]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                do { try process.run() } catch {
                    throw DataError.unreadable(file: program, reason: "cannot start espeak-ng: \(error.localizedDescription)")
                }
                running.append((i, process, path))
            }
            for (i, process, path) in running {
                process.waitUntilExit()
                guard process.terminationStatus == 0 else {
                    let u = utterances[i]
                    throw DataError.inconsistent(file: program, reason:
                        "espeak-ng -v \(u.voice) failed with status \(process.terminationStatus) for utterance \(i)")
                }
                let audio = try WAV.read(contentsOf: path)
                utterances[i].samples = Self.toSpeechRate(audio)
            }
            start = end
            progress("spoke \(start)/\(utterances.count) digits")
        }
        return utterances
    }

    /// espeak-ng's audio as 16 kHz 16-bit mono, leading and trailing silence trimmed.
    static func toSpeechRate(_ audio: WAV.Audio) -> [Int16] {
        let mono = audio.monoFloats()
        let resampled = Resampler(from: audio.sampleRate, to: sampleRate).resample(mono)
        let threshold: Float = 1e-3
        let first = resampled.firstIndex { abs($0) > threshold } ?? 0
        let last = resampled.lastIndex { abs($0) > threshold } ?? (resampled.count - 1)
        let kept = first <= last ? Array(resampled[first...last]) : []
        return kept.map { Int16(max(-32768, min(32767, ($0 * 32768).rounded()))) }
    }
}
