import Foundation
import SpikeData
import SpikeTensor

/// `spikelab bench data` (speech loaders): samples per second of the SHD and Speech Commands
/// pipelines — reading the publisher's files, turning a sample into the model's `[T, F]` input,
/// and serving batches through the runner's `Batcher`.
///
/// The files are written by SpikeLab's writers into a temporary folder: SHD HDF5 files of
/// random spike trains with the real set's size per sample (stated in each description), and
/// 1 s, 16 kHz WAV clips of a chirp with noise in Speech Commands' layout. Real data differ in
/// content, not in the work per spike or per audio sample.
public struct SpeechDataBenchmark {
    /// Fewer samples and repetitions.
    public var quick: Bool
    /// Progress lines go here (stderr by default).
    public var log: (String) -> Void

    /// Spikes per SHD sample: the real training set averages about 8 000 (Cramer et al. 2020).
    public static let spikesPerSample = 8_000

    public init(quick: Bool = false, log: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        self.quick = quick
        self.log = log
    }

    /// Runs the speech-loader measurements and returns the report.
    public func run() throws -> BenchmarkReport {
        var report = BenchmarkReport(benchmark: "data", threads: Threads.count)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spikelab-bench-speech-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let reps = quick ? 2 : 5
        let timer = LoaderTimer(log: log)

        // SHD: one file holding `count` samples of random spike trains over 1 s.
        let shdCount = quick ? 256 : 1024
        let spikes = Self.spikesPerSample
        try SHDFile.write(randomSpikeTrains(count: shdCount, spikes: spikes), to: directory + "/" + SHD.fileName(.train))
        report.measurements.append(try timer.perDataset("shd_file_read", "SHDFile.read: \(shdCount) samples of \(spikes) spikes (variable-length HDF5)",
                                                  count: shdCount, reps: reps) {
            _ = try SHDFile.read(contentsOf: directory + "/" + SHD.fileName(.train))
        })
        let shd = try SHD.load(root: directory, split: .train, timeSteps: 15, binning: .time)
        let frame = Tensor(shape: shd.inputShape, uninitialized: true)
        report.measurements.append(try timer.perSample("shd_frames_t15", "bin \(spikes) spikes into frames [15, 700] (split_by time)",
                                                 count: shdCount, reps: reps) { i in
            shd.writeInput(at: i, to: frame.floats.baseAddress!)
        })
        let shdBatcher = Batcher(dataset: shd, batchSize: 256, shuffle: true, seed: 1, prefetch: 0)
        report.measurements.append(try timer.perDataset("shd_batches_t15", "batches of 256 [256, 15, 700] from spike trains, shuffled",
                                                  count: shdBatcher.batchesPerEpoch * 256, reps: reps) {
            for b in 0..<shdBatcher.batchesPerEpoch { _ = shdBatcher.batch(epoch: 0, index: b) }
        })

        // Speech Commands: `clips` one-second clips in two word folders.
        let clips = quick ? 64 : 256
        let root = directory + "/speech_commands"
        try writeSpeechCommands(root: root, clips: clips)
        let paths = try SpeechCommands.clips(root: root, split: .train).paths
        let mel = LogMelSpectrogram()
        report.measurements.append(try timer.perSample("speech_commands_clip_logmel", "read a 1 s 16 kHz WAV clip and compute its [98, 40] log-mel features, one thread",
                                                 count: paths.count, reps: reps) { i in
            _ = mel.features(try SpeechCommands.readClip(root + "/" + paths[i]))
        })
        report.measurements.append(try timer.perDataset("speech_commands_load", "SpeechCommands.load: \(paths.count) clips to log-mel features on \(Threads.count) threads",
                                                  count: paths.count, reps: reps) {
            _ = try SpeechCommands.load(root: root, split: .train)
        })
        let speech = try SpeechCommands.load(root: root, split: .train)
        let speechBatcher = Batcher(dataset: speech, batchSize: 64, shuffle: true, seed: 1, prefetch: 0)
        report.measurements.append(try timer.perDataset("speech_commands_batches", "batches of 64 [64, 98, 40] from the loaded features, shuffled",
                                                  count: speechBatcher.batchesPerEpoch * 64, reps: reps) {
            for b in 0..<speechBatcher.batchesPerEpoch { _ = speechBatcher.batch(epoch: 0, index: b) }
        })
        return report
    }

    /// `count` samples of `spikes` random (time, channel) pairs over 1 s, sorted by time, labels 0…19.
    func randomSpikeTrains(count: Int, spikes: Int) -> SHDFile.Contents {
        var generator = PhiloxGenerator(seed: 7)
        var times: [[Float]] = [], units: [[UInt16]] = []
        for _ in 0..<count {
            times.append((0..<spikes).map { _ in generator.nextUniform() }.sorted())
            units.append((0..<spikes).map { _ in UInt16(generator.nextIndex(below: SHDFile.channelCount)) })
        }
        return SHDFile.Contents(times: times, units: units, labels: (0..<count).map { UInt16($0 % 20) })
    }

    /// `clips` chirps with noise, alternately under `yes/` and `no/`, with empty validation and testing lists.
    func writeSpeechCommands(root: String, clips: Int) throws {
        var generator = PhiloxGenerator(seed: 11)
        for word in ["no", "yes"] { try FileManager.default.createDirectory(atPath: root + "/" + word, withIntermediateDirectories: true) }
        for k in 0..<clips {
            let start = 200 + Double(k % 17) * 40
            let samples = (0..<SpeechCommands.clipLength).map { i -> Int16 in
                let t = Double(i) / Double(SpeechCommands.sampleRate)
                let tone = sin(2 * Double.pi * (start + 600 * t) * t) * 8000
                return Int16(max(-32768, min(32767, tone + Double(generator.nextNormal()) * 500)))
            }
            try WAV.write(.init(sampleRate: SpeechCommands.sampleRate, samples: samples),
                          to: root + "/\(k % 2 == 0 ? "yes" : "no")/" + String(format: "%08x_nohash_0.wav", k))
        }
        for list in [SpeechCommands.validationList, SpeechCommands.testingList] {
            try "".write(toFile: root + "/" + list, atomically: true, encoding: .utf8)
        }
    }
}
