import Foundation
import Testing
@testable import SpikeLab
import SpikeData

private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path
private let hasEspeak = FileManager.default.isExecutableFile(atPath: "/usr/bin/espeak-ng")

/// A fresh directory under the temporary directory.
private func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "spikelab-speech-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Every regular file under `root` with its bytes, by relative path.
private func fileTree(_ root: String) -> [String: Data] {
    var out: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(atPath: root)!
    while let relative = enumerator.nextObject() as? String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
            out[relative] = FileManager.default.contents(atPath: root + "/" + relative)
        }
    }
    return out
}

@Suite("Spoken-digit demo sets", .serialized)
struct SpeechDemoTests {
    @Test("the plan of voices, pitches and speeds is a function of the seed")
    func planIsSeeded() {
        let digits = SpokenDigits(speakersPerLanguage: 3)
        let a = digits.plan(seed: 1), b = digits.plan(seed: 1), c = digits.plan(seed: 2)
        #expect(a == b)
        #expect(a != c)
        #expect(a.count == 60)
        #expect(a.filter(\.german).count == 30)
        #expect(Set(a.map(\.voice)).count > 1)
        #expect(a.allSatisfy { (0...99).contains($0.pitch) && $0.speed >= 80 })
        #expect(a.filter { $0.split == .test }.map(\.speaker).allSatisfy { $0 % 5 == 4 })
        #expect(DemoSets.named("shd") != nil && DemoSets.named("speech_commands") != nil)
    }

    @Test("the generators write identical files for a seed on a tiny count", .enabled(if: hasEspeak))
    func deterministic() throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let digits = SpokenDigits(speakersPerLanguage: 1)
        let first = try digits.synthesise(seed: 9, limit: 4), second = try digits.synthesise(seed: 9, limit: 4)
        #expect(first == second)
        #expect(first.allSatisfy { !$0.samples.isEmpty && $0.samples.count < 16_000 * 2 })
        let speech = SpeechCommandsDemoSet(speakersPerLanguage: 1)
        try speech.write(first, seed: 9, to: root + "/a")
        try speech.write(second, seed: 9, to: root + "/b")
        #expect(!speech.isComplete(root: root, seed: 9))  // its folder is "speech_commands", not "a"
        let treeA = fileTree(root + "/a")
        #expect(treeA == fileTree(root + "/b"))
        #expect(treeA.keys.contains("zero/\(SpokenDigits.speakerID(0))_nohash_0.wav"))
        let shd = SHDDemoSet(speakersPerLanguage: 1)
        let spikes = try shd.write(first, seed: 9, to: root + "/s1")
        try shd.write(second, seed: 9, to: root + "/s2")
        #expect(spikes > 0)
        let one = try SHDFile.read(contentsOf: root + "/s1/shd_train.h5")
        #expect(one == (try SHDFile.read(contentsOf: root + "/s2/shd_train.h5")))
        #expect(one.count == 4 && one.labels == [0, 1, 2, 3] && one.keys == SHDFile.classNames)
        // The completion marker holds the seed: complete for 9, not for another seed.
        try shd.write(first, seed: 9, to: root + "/" + shd.folder)
        #expect(shd.isComplete(root: root, seed: 9))
        #expect(!shd.isComplete(root: root, seed: 10))
    }

    @Test("datasets with more classes than model.num_classes are refused with the value to set")
    func fitChecks() throws {
        let data = FeatureSequenceDataset(name: "t", features: [Float](repeating: 0, count: 3 * 98 * 40), labels: [0, 1, 9],
                                          timeSteps: 98, featureCount: 40, classCount: 10)
        let path = repositoryRoot + "/experiments/demo/speech-commands-lif.yaml"
        let small = try Manifest.load(contentsOf: path, profile: "cpu", overrides: ["model.num_classes=5"])
        #expect(throws: BuildError.data("data.loader speech_commands under datasets/demo/speech_commands has 10 classes, "
                                        + "but model.num_classes is 5; set model.num_classes: 10")) {
            try ExperimentBuilder.checkFit(train: data, test: data, small.experiment)
        }
        // A wrong in_channels never gets this far: the manifest rules refuse it.
        #expect(throws: ManifestErrors.self) {
            try Manifest.load(contentsOf: path, profile: "cpu", overrides: ["model.in_channels=64"])
        }
        let fine = try Manifest.load(contentsOf: path, profile: "cpu")
        try ExperimentBuilder.checkFit(train: data, test: data, fine.experiment)
    }

    @Test("the demo manifests validate, and with small demo sets each trains one short epoch", .enabled(if: hasEspeak))
    func manifestsTrain() throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Three speakers per language: speakers 0-5, so there is a validation (3) and a test (4) speaker.
        let utterances = try SpokenDigits(speakersPerLanguage: 3).synthesise(seed: 0)
        try SpeechCommandsDemoSet(speakersPerLanguage: 3).write(utterances, seed: 0, to: root + "/speech_commands")
        try SHDDemoSet(speakersPerLanguage: 3).write(utterances, seed: 0, to: root + "/shd")
        for (file, folder) in [("shd-lif.yaml", "shd"), ("speech-commands-lif.yaml", "speech_commands")] {
            let manifest = try Manifest.load(contentsOf: repositoryRoot + "/experiments/demo/" + file, profile: "cpu",
                                             overrides: ["data.root=\(root)/\(folder)", "data.batch_size=16"])
            let runDirectory = root + "/run-" + folder
            let runner = try Runner.start(manifest, directory: runDirectory,
                                          options: RunOptions(progress: ProgressReporter(output: .nullDevice, interactive: false),
                                                              handleSignals: false))
            #expect(try runner.run() == .finished, "\(file)")
            let csv = try String(contentsOfFile: runDirectory + "/metrics.csv", encoding: .utf8)
            #expect(csv.split(separator: "\n").count == 2, "\(file): one epoch row after the header")
        }
    }

    @Test("image augmentations on speech data are refused before training, not run on [T, F] samples")
    func noImageAugmentations() throws {
        let manifest = try Manifest.load(contentsOf: repositoryRoot + "/experiments/demo/shd-lif.yaml", profile: "cpu",
                                         overrides: ["data.augment=[horizontal_flip]"])
        #expect(throws: BuildError.unsupported(keyPath: "data.augment", value: "horizontalFlip(probability: 0.5)",
                                               supported: ["no augmentations for shd (its samples are [T, F] sequences)"])) {
            try ExperimentBuilder.transforms(manifest.experiment.data)
        }
    }

    @Test("a speech_commands manifest with the wrong neuron.time_steps is refused before training")
    func wrongTimeSteps() throws {
        let manifest = try Manifest.load(contentsOf: repositoryRoot + "/experiments/demo/speech-commands-lif.yaml",
                                         profile: "cpu", overrides: ["neuron.time_steps=10"])
        #expect(throws: BuildError.unsupported(keyPath: "neuron.time_steps", value: "10",
                                               supported: ["98 for speech_commands (log-mel frames of a 1 s clip)"])) {
            try ExperimentBuilder.model(manifest.experiment)
        }
    }
}
