import Foundation
import Testing
@testable import SpikeData

/// A tiny Speech Commands tree: words yes/no, a background-noise folder, the two lists.
private func makeTree(_ dir: TemporaryDirectory, lists: (validation: String, testing: String)? = nil) throws {
    let fm = FileManager.default
    for folder in ["yes", "no", "_background_noise_"] {
        try fm.createDirectory(atPath: dir.file(folder), withIntermediateDirectories: true)
    }
    func clip(_ count: Int, _ value: Int16) -> WAV.Audio {
        WAV.Audio(sampleRate: 16_000, samples: [Int16](repeating: value, count: count))
    }
    try WAV.write(clip(16_000, 100), to: dir.file("yes/aaaa0000_nohash_0.wav"))
    try WAV.write(clip(8_000, 200), to: dir.file("yes/bbbb1111_nohash_0.wav"))   // short: padded
    try WAV.write(clip(20_000, 300), to: dir.file("yes/cccc2222_nohash_0.wav"))  // long: cut
    try WAV.write(clip(16_000, 400), to: dir.file("no/aaaa0000_nohash_0.wav"))
    try WAV.write(clip(16_000, 500), to: dir.file("no/dddd3333_nohash_1.wav"))
    try WAV.write(clip(32_000, 1), to: dir.file("_background_noise_/noise.wav"))
    try (lists?.validation ?? "yes/bbbb1111_nohash_0.wav\n").write(toFile: dir.file("validation_list.txt"), atomically: true, encoding: .utf8)
    try (lists?.testing ?? "no/dddd3333_nohash_1.wav\nyes/cccc2222_nohash_0.wav\n").write(toFile: dir.file("testing_list.txt"), atomically: true, encoding: .utf8)
}

@Suite("Google Speech Commands loader")
struct SpeechCommandsTests {
    @Test("the lists decide test and validation, the rest is train, and _background_noise_ is no class")
    func splitRule() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        try makeTree(dir)
        #expect(try SpeechCommands.classFolders(root: dir.path) == ["no", "yes"])
        #expect(try SpeechCommands.clips(root: dir.path, split: .train).paths == ["no/aaaa0000_nohash_0.wav", "yes/aaaa0000_nohash_0.wav"])
        #expect(try SpeechCommands.clips(root: dir.path, split: .validation).paths == ["yes/bbbb1111_nohash_0.wav"])
        #expect(try SpeechCommands.clips(root: dir.path, split: .test).paths == ["no/dddd3333_nohash_1.wav", "yes/cccc2222_nohash_0.wav"])
        let test = try SpeechCommands.load(root: dir.path, split: .test)
        #expect(test.count == 2 && test.classCount == 2 && test.classNames == ["no", "yes"])
        #expect(test.inputShape == [98, 40])
        #expect(test.labelArray == [0, 1])
    }

    @Test("clips are padded with zeros or cut to one second, and features are those of the padded clip")
    func padAndCrop() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        try makeTree(dir)
        let short = try SpeechCommands.readClip(dir.file("yes/bbbb1111_nohash_0.wav"))
        #expect(short.count == 16_000)
        #expect(short[7_999] == 200.0 / 32768 && short[8_000] == 0 && short[15_999] == 0)
        let long = try SpeechCommands.readClip(dir.file("yes/cccc2222_nohash_0.wav"))
        #expect(long.count == 16_000 && long.allSatisfy { $0 == 300.0 / 32768 })
        let validation = try SpeechCommands.load(root: dir.path, split: .validation)
        let input = validation.sample(at: 0).input
        let values = withExtendedLifetime(input) { Array(input.floats) }
        #expect(values == LogMelSpectrogram().features(short))
    }

    @Test("missing lists, bad list lines and clips that are not 16 kHz mono are clear errors")
    func errors() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        #expect(throws: DataError.self) { try SpeechCommands.load(root: dir.path, split: .train) }
        try makeTree(dir, lists: ("yes/bbbb1111_nohash_0.wav\nyes/missing_nohash_0.wav\n", "no/dddd3333_nohash_1.wav\n"))
        #expect(throws: DataError.inconsistent(file: dir.file("validation_list.txt"), reason:
            "line 2: lists yes/missing_nohash_0.wav, which is not under \(dir.path)")) {
            try SpeechCommands.load(root: dir.path, split: .train)
        }
        try "just-a-name\n".write(toFile: dir.file("validation_list.txt"), atomically: true, encoding: .utf8)
        #expect(throws: DataError.inconsistent(file: dir.file("validation_list.txt"), reason:
            "line 1: 'just-a-name' is not a clip path of the form word/file.wav")) {
            try SpeechCommands.load(root: dir.path, split: .test)
        }
        try "".write(toFile: dir.file("validation_list.txt"), atomically: true, encoding: .utf8)
        try WAV.write(WAV.Audio(sampleRate: 8_000, samples: [1, 2]), to: dir.file("no/aaaa0000_nohash_0.wav"))
        #expect(throws: DataError.inconsistent(file: dir.file("no/aaaa0000_nohash_0.wav"), reason:
            "sample rate 8000 Hz, expected 16000 Hz (Speech Commands clips are 16 kHz)")) {
            try SpeechCommands.load(root: dir.path, split: .train)
        }
        // A truncated clip names the file and offset.
        let full = WAV.encode(WAV.Audio(sampleRate: 16_000, samples: [1, 2, 3, 4]))
        try full.prefix(48).write(to: URL(fileURLWithPath: dir.file("no/aaaa0000_nohash_0.wav")))
        #expect(throws: DataError.truncated(file: dir.file("no/aaaa0000_nohash_0.wav"), offset: 48, expected:
            "8 bytes of samples in the 'data' chunk that starts at byte 36 (only 4 present)")) {
            try SpeechCommands.load(root: dir.path, split: .train)
        }
    }
}
