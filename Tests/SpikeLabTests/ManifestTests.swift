import Foundation
import Testing
@testable import SpikeLab

// MARK: - Fixtures

/// A temporary directory holding manifest files written by a test; removed when released.
private final class Fixture {
    let directory: String

    init() {
        directory = NSTemporaryDirectory() + "spikelab-manifest-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Writes `text` to `name` (sub-directories created) and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let path = directory + "/" + name
        try! FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func load(_ name: String = "exp.yaml", profile: String? = nil, set overrides: [String] = []) throws(ManifestErrors) -> Manifest {
        try Manifest.load(contentsOf: directory + "/" + name, profile: profile, overrides: overrides)
    }

    /// The error lines of loading `name`, with this directory shown as `DIR`; empty when it loads.
    func errors(_ name: String = "exp.yaml", profile: String? = nil, set overrides: [String] = []) -> [String] {
        do {
            _ = try load(name, profile: profile, set: overrides)
            return []
        } catch {
            return error.errors.map { $0.description.replacingOccurrences(of: directory, with: "DIR") }
        }
    }

    /// Writes `text` as exp.yaml and returns its errors.
    func errors(of text: String, profile: String? = nil, set overrides: [String] = []) -> [String] {
        write("exp.yaml", text)
        return errors(profile: profile, set: overrides)
    }
}

/// The smallest valid manifest; tests add or change lines.
private let minimal = """
name: t
data: {loader: fashion_mnist, batch_size: 32}
model: {arch: spiking_cnn_28}
training: {epochs: 2, optimizer: {lr: 0.01}}

"""

private let topLevelKeys = "name, extends, paper, table, row, description, seed, task, data, model, neuron, training, checkpoint, detection, profiles"

/// The repository root (this file is Tests/SpikeLabTests/ManifestTests.swift).
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

// MARK: - Good manifests

@Suite("Manifests that load")
struct ManifestLoadingTests {
    @Test("a minimal manifest gets every default filled")
    func defaultsAreFilled() throws {
        let fixture = Fixture()
        fixture.write("exp.yaml", minimal)
        let e = try fixture.load().experiment
        #expect(e.name == "t" && e.paper == nil && e.seed == 0 && e.task == .classification)
        #expect(e.data.loader == .fashionMNIST && e.data.root == "/usr/share/datasets/fashion-mnist")
        #expect(e.data.batchSize == 32 && e.data.evalBatchSize == 32 && e.data.prefetch == 2)
        #expect(e.data.subset == nil && e.data.augment.isEmpty && e.data.frames == nil && e.data.split == nil)
        #expect(e.model == ModelSettings(arch: .spikingCNN28, numClasses: 10, width: 1.0, inChannels: 1, dropout: 0, spikformer: nil))
        #expect(e.neuron == NeuronSettings(
            variant: .lif, timeSteps: 4, vThreshold: 1.0, tau: 2.0, reset: .hard(0), decayInput: true, detachReset: false,
            surrogate: SurrogateSettings(kind: .sigmoid, alpha: 4, learnableAlpha: false), order: nil, lambdaRampEpochs: nil,
            ipsuReset: nil, spikePack: nil, generalSNN: nil))
        #expect(e.training.mode == .direct && e.training.loss == .ce && e.training.labelSmoothing == 0 && e.training.gradClip == nil)
        #expect(e.training.optimizer == OptimizerSettings(kind: .sgd, lr: 0.01, momentum: 0, nesterov: false, weightDecay: 0,
                                                          beta1: nil, beta2: nil, eps: nil))
        #expect(e.training.schedule == ScheduleSettings(kind: .constant, warmupEpochs: 0, warmupLR: 0, minLR: nil, stepSize: nil,
                                                        milestones: nil, gamma: nil, perIteration: false))
        #expect(e.training.conversion == nil)
        #expect(e.checkpoint == CheckpointSettings(everyEpochs: 1, everySteps: nil, keepBest: .top1))
    }

    @Test("defaults that depend on other keys follow them")
    func computedDefaults() throws {
        let fixture = Fixture()
        fixture.write("psn.yaml", """
        name: psn
        data: {loader: cifar100, batch_size: 64}
        model: {arch: resnet19}
        neuron: {variant: masked_psn, time_steps: 4, order: 2}
        training: {epochs: 30, optimizer: {kind: adamw, lr: 0.001}}
        """)
        let psn = try fixture.load("psn.yaml").experiment
        #expect(psn.model.numClasses == 100 && psn.model.inChannels == 3 && psn.data.root == "datasets/cifar100")
        #expect(psn.neuron.surrogate == SurrogateSettings(kind: .atan, alpha: 2, learnableAlpha: false))
        #expect(psn.neuron.lambdaRampEpochs == 30 && psn.neuron.tau == nil && psn.neuron.vThreshold == nil && psn.neuron.reset == nil)
        #expect(psn.training.optimizer.weightDecay == 0.01 && psn.training.optimizer.beta1 == 0.9 && psn.training.optimizer.beta2 == 0.999)
        #expect(psn.training.optimizer.momentum == nil && psn.training.optimizer.eps == 1e-8)

        fixture.write("dvs.yaml", """
        name: dvs
        data: {loader: cifar10_dvs, batch_size: 16, split: tebn, resize: 48}
        model: {arch: dvs_vgg}
        neuron: {variant: rpsu, time_steps: 10, v_threshold: 0.5, surrogate: {alpha: 3}}
        training: {epochs: 3, optimizer: {lr: 0.1}, schedule: {kind: multistep, milestones: [1, 2]}}
        """)
        let dvs = try fixture.load("dvs.yaml").experiment
        #expect(dvs.data.frames == FrameSettings(timeSteps: 10, splitBy: .number, durationMicroseconds: nil))
        #expect(dvs.model.inChannels == 2 && dvs.neuron.tau == 2 && dvs.neuron.vThreshold == 0.5)
        #expect(dvs.neuron.surrogate == SurrogateSettings(kind: .atan, alpha: 3, learnableAlpha: true))
        #expect(dvs.training.schedule.milestones == [1, 2] && dvs.training.schedule.gamma == 0.1 && dvs.training.schedule.minLR == nil)

        fixture.write("convert.yaml", """
        name: convert
        data: {loader: cifar10, batch_size: 128}
        model: {arch: resnet20}
        neuron: {variant: spikepack, time_steps: 8}
        training: {mode: convert, epochs: 100, optimizer: {lr: 0.1}, conversion: {percentile: max}}
        """)
        let convert = try fixture.load("convert.yaml").experiment
        #expect(convert.neuron.spikePack == SpikePackSettings(base: 2, rounding: .floor, threshold: .calibrated))
        #expect(convert.neuron.surrogate == nil && convert.neuron.tau == nil)
        #expect(convert.training.conversion == ConversionSettings(calibrationBatches: 10, percentile: .max, timeSteps: [8], maxPool: nil))

        fixture.write("ann.yaml", """
        name: ann
        data: {loader: voc_detection, batch_size: 8}
        model: {arch: yolo_tiny}
        training: {mode: ann, epochs: 1, optimizer: {lr: 0.01}}
        """)
        let ann = try fixture.load("ann.yaml").experiment
        #expect(ann.task == .detection && ann.neuron.variant == .relu && ann.neuron.timeSteps == 1 && ann.neuron.surrogate == nil)
        #expect(ann.checkpoint.keepBest == .map && ann.model.numClasses == 20 && ann.data.root == "datasets/voc")
    }

    @Test("extends chains merge maps deeply, replace lists, and keep each value's file and line")
    func extendsChain() throws {
        let fixture = Fixture()
        fixture.write("base/root.yaml", """
        name: root
        seed: 7
        data:
          loader: cifar10
          batch_size: 128
          augment: [horizontal_flip, {normalize: cifar10}]
        model: {arch: resnet19}
        training:
          epochs: 300
          optimizer: {kind: sgd, lr: 0.1, momentum: 0.9, weight_decay: 5.0e-4}
        """)
        fixture.write("base/middle.yaml", """
        extends: root.yaml
        neuron: {variant: lif, time_steps: 2}
        training:
          optimizer: {lr: 0.05}
        """)
        fixture.write("rows/exp.yaml", """
        extends: ../base/middle.yaml
        name: child
        data:
          augment: [{random_crop: {size: 32, padding: 4}}]
        """)
        let manifest = try fixture.load("rows/exp.yaml")
        let e = manifest.experiment
        #expect(e.name == "child" && e.seed == 7)
        #expect(e.data.batchSize == 128 && e.data.augment == [.randomCrop(size: 32, padding: 4)])
        #expect(e.training.optimizer.lr == 0.05 && e.training.optimizer.momentum == 0.9 && e.training.optimizer.weightDecay == 5e-4)
        #expect(e.neuron.timeSteps == 2 && e.training.epochs == 300)
        let dir = fixture.directory
        #expect(manifest.sources == ["\(dir)/base/root.yaml", "\(dir)/base/middle.yaml", "\(dir)/rows/exp.yaml"])
        #expect(manifest.location(of: "training.optimizer.momentum") == .file("\(dir)/base/root.yaml", line: 10, column: 45))
        #expect(manifest.location(of: "training.optimizer.lr") == .file("\(dir)/base/middle.yaml", line: 4, column: 19))
        #expect(manifest.location(of: "data.augment") == .file("\(dir)/rows/exp.yaml", line: 4, column: 12))
        #expect(manifest.location(of: "neuron.tau") == nil)
    }

    @Test("profiles apply when selected, and a base's profiles are inherited and merged")
    func profiles() throws {
        let fixture = Fixture()
        fixture.write("base.yaml", minimal + """
        profiles:
          cpu: {data: {subset: 500}, training: {epochs: 1}}
          tiny: {model: {width: 0.25}}
        """)
        fixture.write("exp.yaml", """
        extends: base.yaml
        profiles:
          cpu: {model: {width: 0.5}}
        """)
        let plain = try fixture.load()
        #expect(plain.experiment.data.subset == nil && plain.experiment.model.width == 1 && plain.profile == nil)
        let cpu = try fixture.load(profile: "cpu")
        #expect(cpu.experiment.data.subset == 500 && cpu.experiment.training.epochs == 1 && cpu.experiment.model.width == 0.5)
        #expect(try fixture.load(profile: "tiny").experiment.model.width == 0.25)
        // `full` is the manifest as written unless the manifest defines it.
        #expect(try fixture.load(profile: "full").experiment == plain.experiment)
    }

    @Test("--set overrides scalars, lists and maps, last one wins, and null restores the default")
    func overrides() throws {
        let fixture = Fixture()
        fixture.write("exp.yaml", minimal + "neuron: {variant: lif, tau: 3.0, surrogate: {kind: atan}}\n")
        let e = try fixture.load(profile: nil, set: [
            "training.optimizer.lr=0.05", "data.augment=[horizontal_flip, {random_rotation: {degrees: 15}}]",
            "neuron.surrogate={alpha: 1.5, learnable_alpha: true}", "seed=3", "seed=4", "neuron.tau=null",
            "neuron.v_reset=null", "training.grad_clip=20",
        ]).experiment
        #expect(e.training.optimizer.lr == 0.05 && e.seed == 4 && e.training.gradClip == 20)
        #expect(e.data.augment == [.horizontalFlip(probability: 0.5), .randomRotation(degrees: 15)])
        #expect(e.neuron.surrogate == SurrogateSettings(kind: .atan, alpha: 1.5, learnableAlpha: true))
        #expect(e.neuron.tau == 2.0 && e.neuron.reset == .soft)
    }

    @Test("the resolved manifest loads back to an equal experiment with the same text and hash")
    func resolvedRoundTrip() throws {
        let fixture = Fixture()
        let manifests = [
            """
            name: psu-cifar10-ipsu-resnet19-t4
            paper: psu
            table: table2
            row: "IPSU / ResNet-19 / T=4"
            description: "quotes \\" and: colons, # hashes"
            data: {loader: cifar10, root: datasets/cifar10, batch_size: 64, subset: 1000,
                   augment: [{random_crop: {size: 32, padding: 4}}, horizontal_flip, {rand_augment: {m: 9, mstd: 0.5}},
                             {color_jitter: {strength: 0.4}}, {normalize: cifar10},
                             {normalize: {mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25]}}, {random_erasing: {p: 0.25}}]}
            model: {arch: resnet19, dropout: 0.1}
            neuron: {variant: ipsu, time_steps: 4, v_threshold: 0.5, ipsu_reset: sigmoid}
            training: {epochs: 300, loss: ce, label_smoothing: 0.1, grad_clip: 20,
                       optimizer: {kind: adamw, lr: 6.25e-3, weight_decay: 0.01, eps: 1.0e-8},
                       schedule: {kind: cosine, warmup_epochs: 5, warmup_lr: 1.0e-6, min_lr: 1.0e-5, per_iteration: true}}
            checkpoint: {every_steps: 500, keep_best: null}
            """,
            """
            name: shd
            data: {loader: shd, batch_size: 256, frames: {split_by: duration, duration_us: 66667}}
            model: {arch: shd_fc, dropout: 0.4}
            neuron: {variant: plif, time_steps: 15, v_reset: null, detach_reset: true}
            training: {epochs: 120, loss: mse_onehot, optimizer: {kind: adam, lr: 5.0e-3, betas: [0.8, 0.99]},
                       schedule: {kind: step, step_size: 30, gamma: 0.5}}
            """,
            """
            name: convert
            data: {loader: tinyimagenet, batch_size: 128, augment: [{random_resized_crop: {size: 64}}, {auto_augment: {policy: v0}}]}
            model: {arch: resnet34}
            neuron: {variant: if, time_steps: 8}
            training: {mode: convert, epochs: 100, optimizer: {lr: 0.1, momentum: 0.9, nesterov: true},
                       conversion: {time_steps: [1, 2, 4, 6, 8], percentile: 99.99}}
            """,
            """
            name: general
            data: {loader: cifar100, batch_size: 128}
            model: {arch: general_snn_lstm}
            neuron: {variant: general_snn, general_snn: {projection: mean}}
            training: {epochs: 300, optimizer: {lr: 0.05}}
            """,
        ]
        for (index, text) in manifests.enumerated() {
            let first = try Manifest.load(yaml: text, path: fixture.write("m\(index).yaml", text))
            let path = fixture.write("m\(index).resolved.yaml", first.resolvedYAML())
            let second = try Manifest.load(contentsOf: path)
            #expect(second.experiment == first.experiment, "manifest \(index)")
            #expect(second.resolvedBody == first.resolvedBody && second.sha256 == first.sha256, "manifest \(index)")
        }
    }

    @Test("the resolved manifest lists keys in schema order, with a header naming sources, profile and overrides")
    func resolvedText() throws {
        let fixture = Fixture()
        fixture.write("exp.yaml", minimal + "profiles: {cpu: {training: {epochs: 1}}}\n")
        let manifest = try fixture.load(profile: "cpu", set: ["data.augment=[{normalize: {mean: [0.5], std: [0.5]}}]"])
        let expectedBody = """
        name: t
        paper: null
        table: null
        row: null
        description: null
        seed: 0
        task: classification
        data:
          loader: fashion_mnist
          root: "/usr/share/datasets/fashion-mnist"
          batch_size: 32
          eval_batch_size: 32
          subset: null
          test_subset: null
          prefetch: 2
          resize: null
          augment:
            - normalize: {mean: [0.5], std: [0.5]}
        model:
          arch: spiking_cnn_28
          num_classes: 10
          width: 1.0
          in_channels: 1
          dropout: 0.0
        neuron:
          variant: lif
          time_steps: 4
          v_threshold: 1.0
          tau: 2.0
          v_reset: 0.0
          decay_input: true
          detach_reset: false
          surrogate:
            kind: sigmoid
            alpha: 4.0
            learnable_alpha: false
        training:
          mode: direct
          epochs: 1
          loss: ce
          label_smoothing: 0.0
          optimizer:
            kind: sgd
            lr: 0.01
            momentum: 0.0
            nesterov: false
            weight_decay: 0.0
          schedule:
            kind: constant
            warmup_epochs: 0
            warmup_lr: 0.0
            per_iteration: false
          grad_clip: null
        checkpoint:
          every_epochs: 1
          every_steps: null
          keep_best: top1

        """
        #expect(manifest.resolvedBody == expectedBody)
        #expect(manifest.sha256 == SHA256.hex(expectedBody))
        let header = manifest.resolvedYAML().split(separator: "\n").prefix(5).map(String.init)
        #expect(header == [
            "# SpikeLab resolved manifest: every default filled; extends, profile and --set applied.",
            "# sources: \(fixture.directory)/exp.yaml",
            "# profile: cpu",
            "# overrides: --set data.augment=[{normalize: {mean: [0.5], std: [0.5]}}]",
            "# sha256 of the settings below: \(manifest.sha256)",
        ])
    }

    @Test("the demo manifest validates, with and without its cpu profile")
    func demoManifest() throws {
        let path = repositoryRoot + "/experiments/demo/fashion-mnist-lif.yaml"
        let full = try Manifest.load(contentsOf: path).experiment
        let cpu = try Manifest.load(contentsOf: path, profile: "cpu").experiment
        #expect(full.data.loader == .fashionMNIST && full.model.arch == .spikingCNN28)
        #expect(full.neuron.variant == .lif && full.neuron.timeSteps == 4 && full.training.epochs == 20)
        #expect(cpu.data.subset == 12000 && cpu.data.testSubset == nil && cpu.training.epochs == 2 && cpu.model.width == 0.5)
    }

    @Test("validateFiles reports a missing data root with exit code 3 and accepts an existing one")
    func dataRootExistence() throws {
        let fixture = Fixture()
        fixture.write("exp.yaml", """
        name: t
        data: {loader: cifar10, root: \(fixture.directory)/nowhere, batch_size: 8}
        model: {arch: resnet20}
        training: {epochs: 1, optimizer: {lr: 0.1}}
        """)
        let manifest = try fixture.load()
        do {
            try manifest.validateFiles()
            Issue.record("a missing root must be reported")
        } catch {
            #expect(error.exitCode == 3)
            #expect(error.errors.map(\.description) == [
                "\(fixture.directory)/exp.yaml:2:31: data.root: '\(fixture.directory)/nowhere' does not exist; relative paths are relative to the current directory; get the data with `spikelab data fetch cifar10 --root \(fixture.directory)/nowhere` (or `spikelab data make-demo` for demo sets), or set data.root",
            ])
        }
        try FileManager.default.createDirectory(atPath: fixture.directory + "/nowhere", withIntermediateDirectories: false)
        try manifest.validateFiles()
    }

    @Test("every choice list in the schema names exactly the cases of its Swift enum")
    func schemaMatchesTypes() {
        func choices(_ path: String) -> [String] {
            guard case let .choice(words)? = ManifestSchema.key(at: path)?.type else { return [] }
            return words
        }
        #expect(choices("task") == Experiment.Task.allCases.map(\.rawValue))
        #expect(choices("data.loader") == DataSettings.Loader.allCases.map(\.rawValue))
        #expect(choices("data.split") == DataSettings.EventSplit.allCases.map(\.rawValue))
        #expect(choices("data.frames.split_by") == FrameSettings.SplitBy.allCases.map(\.rawValue))
        #expect(choices("model.arch") == ModelSettings.Architecture.allCases.map(\.rawValue))
        #expect(choices("neuron.variant") == NeuronSettings.Variant.allCases.map(\.rawValue))
        #expect(choices("neuron.ipsu_reset") == NeuronSettings.IPSUReset.allCases.map(\.rawValue))
        #expect(choices("neuron.surrogate.kind") == SurrogateSettings.Kind.allCases.map(\.rawValue))
        #expect(choices("neuron.spikepack.rounding") == SpikePackSettings.Rounding.allCases.map(\.rawValue))
        #expect(choices("neuron.spikepack.threshold") == SpikePackSettings.Threshold.allCases.map(\.rawValue))
        #expect(choices("neuron.general_snn.projection") == GeneralSNNSettings.Projection.allCases.map(\.rawValue))
        #expect(choices("training.mode") == TrainingSettings.Mode.allCases.map(\.rawValue))
        #expect(choices("training.loss") == TrainingSettings.Loss.allCases.map(\.rawValue))
        #expect(choices("training.optimizer.kind") == OptimizerSettings.Kind.allCases.map(\.rawValue))
        #expect(choices("training.schedule.kind") == ScheduleSettings.Kind.allCases.map(\.rawValue))
        #expect(choices("checkpoint.keep_best") == CheckpointSettings.Metric.allCases.map(\.rawValue))
        #expect(ManifestSchema.normalizationPresets == Normalization.Preset.allCases.map(\.rawValue))
        #expect(Set(ManifestSchema.classCounts.keys) == Set(ManifestSchema.loaders))
        #expect(Set(ManifestSchema.inputChannels.keys) == Set(ManifestSchema.loaders))
    }
}

// MARK: - Documentation and hashing

@Suite("Manifest documentation")
struct ManifestDocumentationTests {
    @Test("docs/manifest.md is exactly the text generated from the schema")
    func docsMatchSchema() throws {
        let path = repositoryRoot + "/docs/manifest.md"
        let generated = ManifestDocumentation.markdown()
        if ProcessInfo.processInfo.environment["SPIKELAB_WRITE_DOCS"] == "1" {
            try generated.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let committed = try String(contentsOfFile: path, encoding: .utf8)
        #expect(committed == generated, "docs/manifest.md is stale: regenerate it with SPIKELAB_WRITE_DOCS=1 (see ManifestDocumentation)")
    }

    @Test("the documentation names every key path of the schema")
    func docsNameEveryKey() {
        let markdown = ManifestDocumentation.markdown()
        for path in ManifestSchema.allKeyPaths {
            #expect(markdown.contains("`\(path)`"), "\(path)")
        }
    }
}

@Suite("SHA-256")
struct SHA256Tests {
    @Test("digests match the FIPS 180-4 test vectors")
    func knownVectors() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(String(repeating: "a", count: 1000))
            == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}

// MARK: - Bad manifests

@Suite("Manifests that are refused, with errors a user can act on")
struct ManifestErrorTests {
    @Test("an unknown top-level key gets the closest allowed key")
    func unknownKey() {
        #expect(Fixture().errors(of: minimal + "neuro: {variant: lif}\n") == [
            "DIR/exp.yaml:5:1: neuro: unknown key 'neuro'; did you mean 'neuron'?; allowed here: \(topLevelKeys)",
        ])
    }

    @Test("an unknown nested key is named by its full path")
    func unknownNestedKey() {
        #expect(Fixture().errors(of: """
        name: t
        data: {loader: fashion_mnist, batch_size: 32}
        model: {arch: spiking_cnn_28}
        training:
          epochs: 2
          optimizer: {lrr: 0.01}
        """) == [
            "DIR/exp.yaml:6:14: training.optimizer.lr: required key is missing",
            "DIR/exp.yaml:6:15: training.optimizer.lrr: unknown key 'lrr'; did you mean 'lr'?; allowed here: kind, lr, momentum, nesterov, weight_decay, betas, eps",
        ])
    }

    @Test("a key in the wrong section is pointed to where it belongs")
    func misplacedKey() {
        #expect(Fixture().errors(of: minimal + "checkpoint: {momentum: 0.9}\n") == [
            "DIR/exp.yaml:5:14: checkpoint.momentum: unknown key 'momentum'; did you mean 'training.optimizer.momentum'?; allowed here: every_epochs, every_steps, keep_best",
        ])
    }

    @Test("a one-name-only key suggests its real name")
    func aliasIsNotAccepted() {
        #expect(Fixture().errors(of: minimal + "neuron: {threshold: 0.5}\n") == [
            "DIR/exp.yaml:5:10: neuron.threshold: unknown key 'threshold'; did you mean 'v_threshold'?; allowed here: variant, time_steps, v_threshold, tau, v_reset, decay_input, detach_reset, surrogate, order, lambda_ramp_epochs, ipsu_reset, spikepack, general_snn",
        ])
    }

    @Test("text where an integer belongs is a type error")
    func textForInteger() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "batch_size: 32", with: "batch_size: many")) == [
            "DIR/exp.yaml:2:43: data.batch_size: expected an integer >= 1, found 'many'",
        ])
    }

    @Test("a fraction where an integer belongs is a type error")
    func fractionForInteger() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "epochs: 2", with: "epochs: 2.5")) == [
            "DIR/exp.yaml:4:20: training.epochs: expected an integer >= 1, found '2.5'",
        ])
    }

    @Test("a quoted number is text, not a number")
    func quotedNumber() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "lr: 0.01", with: "lr: \"0.01\"")) == [
            "DIR/exp.yaml:4:39: training.optimizer.lr: expected a number > 0, found the quoted text '0.01'",
        ])
    }

    @Test("a list where a map belongs is a type error")
    func listForMap() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "model: {arch: spiking_cnn_28}", with: "model: [spiking_cnn_28]")) == [
            "DIR/exp.yaml:3:8: model: expected a map, found a list",
        ])
    }

    @Test("yes is not a flag: only true and false are")
    func yesIsNotABool() {
        #expect(Fixture().errors(of: minimal + "neuron: {decay_input: yes}\n") == [
            "DIR/exp.yaml:5:23: neuron.decay_input: expected true or false, found 'yes'",
        ])
    }

    @Test("a negative learning rate is out of range")
    func negativeLearningRate() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "lr: 0.01", with: "lr: -0.1")) == [
            "DIR/exp.yaml:4:39: training.optimizer.lr: -0.1 is out of range; allowed: a number > 0",
        ])
    }

    @Test("a zero batch size is out of range")
    func zeroBatchSize() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "batch_size: 32", with: "batch_size: 0")) == [
            "DIR/exp.yaml:2:43: data.batch_size: 0 is out of range; allowed: an integer >= 1",
        ])
    }

    @Test("an unknown loader lists the loaders and suggests the closest")
    func badEnum() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "fashion_mnist", with: "cifar11")) == [
            "DIR/exp.yaml:2:16: data.loader: 'cifar11' is not allowed; did you mean 'cifar10'?; allowed: \(ManifestSchema.loaders.joined(separator: ", "))",
        ])
    }

    @Test("an unknown surrogate kind lists the kinds")
    func badSurrogateKind() {
        #expect(Fixture().errors(of: minimal + "neuron: {surrogate: {kind: sigmod}}\n") == [
            "DIR/exp.yaml:5:28: neuron.surrogate.kind: 'sigmod' is not allowed; did you mean 'sigmoid'?; allowed: sigmoid, atan, rectangle, triangle",
        ])
    }

    @Test("a manifest without a name is refused")
    func missingName() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "name: t\n", with: "")) == [
            "DIR/exp.yaml: name: required key is missing",
        ])
    }

    @Test("a name with spaces is refused, since it names a directory")
    func badName() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "name: t", with: "name: my run")) == [
            "DIR/exp.yaml:1:7: name: expected a name (letters, digits, '.', '_', '-', '+'), found 'my run'",
        ])
    }

    @Test("a missing required key inside a section points at the section")
    func missingNestedKey() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "model: {arch: spiking_cnn_28}", with: "model: {width: 0.5}")) == [
            "DIR/exp.yaml:3:8: model.arch: required key is missing",
        ])
    }

    @Test("extends naming a missing file says where it looked")
    func extendsMissingFile() {
        #expect(Fixture().errors(of: "extends: bases/nothere.yaml\n" + minimal) == [
            "DIR/exp.yaml:1:10: extends: 'DIR/bases/nothere.yaml' does not exist; extends paths are relative to the extending file's directory",
        ])
    }

    @Test("an extends cycle is refused, naming the chain")
    func extendsCycle() {
        let fixture = Fixture()
        fixture.write("a.yaml", "extends: b.yaml\nname: a\n")
        fixture.write("b.yaml", "extends: a.yaml\nseed: 1\n")
        #expect(fixture.errors("a.yaml") == [
            "DIR/b.yaml:1:10: extends: extends forms a cycle: DIR/a.yaml -> DIR/b.yaml -> DIR/a.yaml",
        ])
    }

    @Test("a manifest cannot extend itself")
    func extendsSelf() {
        #expect(Fixture().errors(of: "extends: ./exp.yaml\n" + minimal) == [
            "DIR/exp.yaml:1:10: extends: extends forms a cycle: DIR/exp.yaml -> DIR/exp.yaml",
        ])
    }

    @Test("an unknown profile lists the defined ones")
    func unknownProfile() {
        #expect(Fixture().errors(of: minimal + "profiles: {cpu: {training: {epochs: 1}}, gpu: {}}\n", profile: "cpuu") == [
            "--profile cpuu: unknown profile 'cpuu'; did you mean 'cpu'?; defined: cpu, gpu",
        ])
        #expect(Fixture().errors(of: minimal, profile: "cpu") == [
            "--profile cpu: unknown profile 'cpu'; this manifest defines no profiles",
        ])
    }

    @Test("a mistake in a profile is found even when the profile is not selected")
    func badUnselectedProfile() {
        #expect(Fixture().errors(of: minimal + "profiles:\n  cpu: {data: {subset: 0}, trainng: {epochs: 1}}\n") == [
            "DIR/exp.yaml:6:24: profiles.cpu.data.subset: 0 is out of range; allowed: an integer >= 1",
            "DIR/exp.yaml:6:28: profiles.cpu.trainng: unknown key 'trainng'; did you mean 'training'?; allowed here: name, paper, table, row, description, seed, task, data, model, neuron, training, checkpoint, detection",
        ])
    }

    @Test("a profile cannot change extends")
    func profileSetsExtends() {
        #expect(Fixture().errors(of: minimal + "profiles: {cpu: {extends: other.yaml}}\n", profile: "cpu") == [
            "DIR/exp.yaml:5:18: profiles.cpu.extends: a profile cannot set 'extends'",
        ])
    }

    @Test("--set to an unknown key names the argument and suggests the key")
    func overrideUnknownKey() {
        #expect(Fixture().errors(of: minimal, set: ["training.optimizer.lrr=0.05"]) == [
            "--set training.optimizer.lrr=0.05: training.optimizer.lrr: unknown key 'lrr'; did you mean 'lr'?; allowed here: kind, lr, momentum, nesterov, weight_decay, betas, eps",
        ])
    }

    @Test("--set with a bad value is validated like a file value")
    func overrideBadValue() {
        #expect(Fixture().errors(of: minimal, set: ["training.optimizer.lr=fast", "data.augment=[horizontal_flip, {random_crop: {padding: 4}}]"]) == [
            "--set training.optimizer.lr=fast: training.optimizer.lr: expected a number > 0, found 'fast'",
            "--set data.augment=[horizontal_flip, {random_crop: {padding: 4}}]: data.augment[1].random_crop.size: required key is missing",
        ])
    }

    @Test("--set without '=' is refused and the other errors are still reported")
    func overrideMalformed() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "batch_size: 32", with: "batch_size: 0"),
                                 set: ["training.epochs", "=3", "seed=[1"]) == [
            "DIR/exp.yaml:2:43: data.batch_size: 0 is out of range; allowed: an integer >= 1",
            "--set training.epochs: expected --set key.path=value (e.g. --set training.epochs=5), found no '='",
            "--set =3: '' is not a key path like training.optimizer.lr",
            "--set seed=[1: seed: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at line 1, column 1)",
        ])
    }

    @Test("--set cannot change extends or profiles")
    func overrideExtends() {
        #expect(Fixture().errors(of: minimal, set: ["extends=base.yaml"]) == [
            "--set extends=base.yaml: extends: --set cannot change extends; edit the manifest, or choose a profile with --profile",
        ])
    }

    @Test("a YAML syntax error names its line")
    func syntaxError() {
        #expect(Fixture().errors(of: "name: t\ndata: {loader: cifar10\nmodel: {arch: resnet19}\n") == [
            "DIR/exp.yaml:3:6: YAML syntax error: did not find expected ',' or '}' (while parsing a flow mapping at line 2, column 7)",
        ])
    }

    @Test("a duplicate key is refused")
    func duplicateKey() {
        #expect(Fixture().errors(of: minimal + "seed: 1\nseed: 2\n") == [
            "DIR/exp.yaml:5:1: duplicate key 'seed' in the same map; each key may appear once",
        ])
    }

    @Test("an empty file is refused")
    func emptyFile() {
        #expect(Fixture().errors(of: "# nothing yet\n") == [
            "DIR/exp.yaml: the manifest is empty; it must be a map with at least 'name'",
        ])
    }

    @Test("a top level that is not a map is refused")
    func topLevelList() {
        #expect(Fixture().errors(of: "- name: t\n- seed: 1\n") == [
            "DIR/exp.yaml:1:1: the top level of a manifest must be a map of keys (name: ..., data: ...), found a list",
        ])
    }

    @Test("a conversion percentile above 100 is out of range")
    func percentileOutOfRange() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "training: {", with: "training: {mode: convert, conversion: {percentile: 150}, ")) == [
            "DIR/exp.yaml:4:52: training.conversion.percentile: 150 is out of range; allowed: a number 0 < x <= 100",
        ])
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "training: {", with: "training: {mode: convert, conversion: {percentile: top}, ")) == [
            "DIR/exp.yaml:4:52: training.conversion.percentile: expected a number 0 < x <= 100, or one of max, found 'top'",
        ])
    }

    @Test("conversion with a neuron that mixes time steps is refused")
    func convertWithPSN() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "training: {", with: "neuron: {variant: psn, time_steps: 4}\ntraining: {mode: convert, ")) == [
            "DIR/exp.yaml:4:19: neuron.variant: training.mode convert replaces each ReLU of a trained ANN by a spiking neuron; psn cannot replace an activation (use if, lif, plif, spikepack)",
        ])
    }

    @Test("mode ann with a spiking neuron is refused, and relu with mode direct too")
    func annWithSpikingNeuron() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "training: {", with: "neuron: {variant: lif}\ntraining: {mode: ann, ")) == [
            "DIR/exp.yaml:4:19: neuron.variant: training.mode ann trains a non-spiking network, so neuron.variant must be relu, not lif (for an SNN use mode direct; for ANN-to-SNN use mode convert)",
        ])
        #expect(Fixture().errors(of: minimal + "neuron: {variant: relu}\n") == [
            "DIR/exp.yaml:5:19: neuron.variant: relu does not spike; training.mode direct needs a spiking variant (use mode ann to train an ANN)",
        ])
    }

    @Test("a key that does not apply to the chosen variant is refused")
    func spikePackWithTau() {
        #expect(Fixture().errors(of: minimal + "neuron: {variant: spikepack, tau: 2.0}\n") == [
            "DIR/exp.yaml:5:35: neuron.tau: 2.0 is set, but this key applies only when neuron.variant is lif, plif, psu, ipsu or rpsu (it is spikepack); remove it (or set it to null to drop an inherited value)",
        ])
    }

    @Test("an inherited key that stops applying is reported at the base's line")
    func inheritedMomentumForAdamW() {
        let fixture = Fixture()
        fixture.write("base.yaml", minimal.replacingOccurrences(of: "{lr: 0.01}", with: "{lr: 0.01, momentum: 0.9}"))
        fixture.write("exp.yaml", "extends: base.yaml\ntraining: {optimizer: {kind: adamw}}\n")
        #expect(fixture.errors() == [
            "DIR/base.yaml:4:55: training.optimizer.momentum: 0.9 is set, but this key applies only when training.optimizer.kind is sgd (it is adamw); remove it (or set it to null to drop an inherited value)",
        ])
        #expect(fixture.errors(set: ["training.optimizer.momentum=null"]) == [])
    }

    @Test("a T x T neuron needs its time steps stated")
    func ipsuNeedsTimeSteps() {
        #expect(Fixture().errors(of: minimal + "neuron: {variant: ipsu}\n") == [
            "DIR/exp.yaml:5:9: neuron.time_steps: required key is missing (ipsu learns T x T weights, so the model is tied to one T; state it)",
        ])
    }

    @Test("CIFAR10-DVS needs a split, and frames exist only for event data")
    func eventSettings() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "{loader: fashion_mnist, batch_size: 32}",
                                                                  with: "{loader: cifar10_dvs, batch_size: 32}")
                                    .replacingOccurrences(of: "spiking_cnn_28", with: "dvs_vgg")) == [
            "DIR/exp.yaml:2:7: data.split: required key is missing",
        ])
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "batch_size: 32", with: "batch_size: 32, frames: {split_by: time}")) == [
            "DIR/exp.yaml:2:55: data.frames: {split_by: time} is set, but this key applies only when data.loader is cifar10_dvs, dvs128_gesture, nmnist or shd (it is fashion_mnist); remove it (or set it to null to drop an inherited value)",
        ])
    }

    @Test("transforms: unknown names get a suggestion, options are checked, bare names need defaults")
    func badTransforms() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(
            of: "batch_size: 32", with: "batch_size: 32, augment: [horizontal_flp, normalize, {random_crop: {size: 28, pad: 2}}, {a: 1, b: 2}]")) == [
            "DIR/exp.yaml:2:57: data.augment[0]: 'horizontal_flp' is not allowed; did you mean 'horizontal_flip'?; allowed: random_crop, random_resized_crop, horizontal_flip, random_rotation, rand_augment, auto_augment, color_jitter, random_erasing, normalize, event_random_crop, event_flip, event_rotation",
            "DIR/exp.yaml:2:73: data.augment[1]: expected normalize: one of mnist, fashion_mnist, cifar10, cifar100, imagenet, or a map, found 'normalize' without options",
            "DIR/exp.yaml:2:109: data.augment[2].random_crop.pad: unknown key 'pad'; did you mean 'padding'?; allowed here: size, padding",
            "DIR/exp.yaml:2:119: data.augment[3]: expected a transform name or a one-key map like {random_crop: {size: 32, padding: 4}}, found a map",
        ])
    }

    @Test("normalisation constants must fit the input channels")
    func normalizeChannels() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "batch_size: 32", with: "batch_size: 32, augment: [{normalize: cifar10}]")) == [
            "DIR/exp.yaml:2:69: data.augment[0].normalize: cifar10 constants are for 3 channels; the input has 1",
        ])
    }

    @Test("event augmentations are refused for image data")
    func eventAugmentationOnImages() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "batch_size: 32", with: "batch_size: 32, augment: [event_flip]")) == [
            "DIR/exp.yaml:2:57: data.augment[0]: event_flip works on cifar10_dvs, dvs128_gesture, nmnist event data, not fashion_mnist",
        ])
    }

    @Test("Adam betas must be exactly two numbers")
    func betasCount() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "{lr: 0.01}", with: "{kind: adam, lr: 0.01, betas: [0.9]}")) == [
            "DIR/exp.yaml:4:64: training.optimizer.betas: expected a list of 2 (each a number 0 <= x < 1), found a list of 1",
        ])
    }

    @Test("Nesterov without momentum is refused")
    func nesterovWithoutMomentum() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "{lr: 0.01}", with: "{lr: 0.01, nesterov: true}")) == [
            "DIR/exp.yaml:4:55: training.optimizer.nesterov: Nesterov momentum needs training.optimizer.momentum > 0 (it is 0.0)",
        ])
    }

    @Test("milestones must increase and warm-up must leave epochs to train")
    func scheduleRules() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "training: {", with: "training: {schedule: {kind: multistep, milestones: [5, 3], warmup_epochs: 2}, ")) == [
            "DIR/exp.yaml:4:52: training.schedule.milestones: milestones [5, 3] must increase strictly",
            "DIR/exp.yaml:4:75: training.schedule.warmup_epochs: warm-up of 2 epochs leaves nothing of training.epochs 2; use fewer",
        ])
    }

    @Test("the best-checkpoint metric must belong to the task")
    func keepBestForTask() {
        #expect(Fixture().errors(of: minimal + "checkpoint: {keep_best: miou}\n") == [
            "DIR/exp.yaml:5:25: checkpoint.keep_best: miou is a segmentation metric; task is classification",
        ])
    }

    @Test("loss tet needs a directly trained SNN")
    func tetWithANN() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "training: {", with: "training: {mode: ann, loss: tet, ")) == [
            "DIR/exp.yaml:4:29: training.loss: loss tet averages the loss over time steps, which only an SNN trained directly has (training.mode is ann)",
        ])
    }

    @Test("architecture, task and data must fit each other")
    func architectureFits() {
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "spiking_cnn_28", with: "yolo_tiny")) == [
            "DIR/exp.yaml:3:15: model.arch: arch yolo_tiny is a detection network, but task is classification",
        ])
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "spiking_cnn_28", with: "shd_fc")) == [
            "DIR/exp.yaml:3:15: model.arch: arch shd_fc takes one vector per time step; data.loader fashion_mnist gives images or frames",
        ])
        #expect(Fixture().errors(of: minimal + "neuron: {variant: general_snn}\n") == [
            "DIR/exp.yaml:5:19: neuron.variant: variant general_snn is the token mixer of arch general_snn_cnn or general_snn_lstm, not of spiking_cnn_28",
        ])
        #expect(Fixture().errors(of: minimal.replacingOccurrences(of: "{arch: spiking_cnn_28}", with: "{arch: spiking_cnn_28, in_channels: 3}")) == [
            "DIR/exp.yaml:3:44: model.in_channels: data.loader fashion_mnist gives 1 input channels, not 3",
        ])
    }

    @Test("task and loader must agree")
    func taskFitsLoader() {
        #expect(Fixture().errors(of: minimal + "task: segmentation\n") == [
            "DIR/exp.yaml:3:15: model.arch: arch spiking_cnn_28 is a classification network, but task is segmentation",
            "DIR/exp.yaml:5:7: task: task segmentation does not fit data.loader fashion_mnist, which serves classification",
        ])
    }

    @Test("all errors are reported together, in file order")
    func everyErrorAtOnce() {
        let errors = Fixture().errors(of: """
        name: t
        seed: -1
        data: {loader: fashion_mnist, batch_size: 0, prefetch: many}
        model: {arch: spiking_cnn_28, width: 0}
        neuron: {variant: lif, tau: 0.5, surrogate: {kind: atan, alpha: -1}}
        training: {epochs: 2, optimizer: {lr: 0.01, momentum: 1.5}, schedule: {kind: cosinus}}
        checkpoint: {every_epochs: 0}
        """)
        #expect(errors == [
            "DIR/exp.yaml:2:7: seed: -1 is out of range; allowed: an integer >= 0",
            "DIR/exp.yaml:3:43: data.batch_size: 0 is out of range; allowed: an integer >= 1",
            "DIR/exp.yaml:3:56: data.prefetch: expected an integer >= 0, found 'many'",
            "DIR/exp.yaml:4:38: model.width: 0 is out of range; allowed: a number > 0",
            "DIR/exp.yaml:5:29: neuron.tau: 0.5 is out of range; allowed: a number > 1",
            "DIR/exp.yaml:5:65: neuron.surrogate.alpha: -1 is out of range; allowed: a number > 0",
            "DIR/exp.yaml:6:55: training.optimizer.momentum: 1.5 is out of range; allowed: a number 0 <= x < 1",
            "DIR/exp.yaml:6:78: training.schedule.kind: 'cosinus' is not allowed; did you mean 'cosine'?; allowed: constant, cosine, step, multistep",
            "DIR/exp.yaml:7:28: checkpoint.every_epochs: 0 is out of range; allowed: an integer >= 1",
        ])
    }

    @Test("the errors' description counts them and the exit code is 2")
    func errorsDescription() {
        let fixture = Fixture()
        fixture.write("exp.yaml", minimal.replacingOccurrences(of: "batch_size: 32", with: "batch_size: 0"))
        do {
            _ = try fixture.load(set: ["seed=x"])
            Issue.record("expected errors")
        } catch {
            #expect(error.exitCode == 2)
            #expect(error.description.replacingOccurrences(of: fixture.directory, with: "DIR") == """
            2 errors in the manifest:
              DIR/exp.yaml:2:43: data.batch_size: 0 is out of range; allowed: an integer >= 1
              --set seed=x: seed: expected an integer >= 0, found 'x'
            """)
        }
    }
}

@Suite("Manifest combinations")
struct ManifestCombinationTests {
    @Test("every variant, mode, optimizer and schedule combination either loads or explains why not")
    func everyCombinationResolvesOrErrs() throws {
        var loaded = 0
        for variant in ManifestSchema.variants {
            for mode in ["direct", "convert", "ann"] {
                for optimizer in ["sgd", "adam", "adamw"] {
                    for schedule in ["constant", "cosine", "step", "multistep"] {
                        let text = """
                        name: combo
                        data: {loader: cifar10, batch_size: 8}
                        model: {arch: \(variant == "general_snn" ? "general_snn_cnn" : "resnet20")}
                        neuron: {variant: \(variant), time_steps: \(["relu", "general_snn"].contains(variant) ? 1 : 4), order: \(variant.hasSuffix("_psn") ? "2" : "null")}
                        training: {mode: \(mode), epochs: 10, optimizer: {kind: \(optimizer), lr: 0.1},
                                   schedule: {kind: \(schedule), step_size: \(schedule == "step" ? "3" : "null"), milestones: \(schedule == "multistep" ? "[3, 6]" : "null")}}
                        """
                        do {
                            let manifest = try Manifest.load(yaml: text, path: "combo.yaml")
                            let again = try Manifest.load(yaml: manifest.resolvedYAML(), path: "combo.resolved.yaml")
                            #expect(again.experiment == manifest.experiment)
                            loaded += 1
                        } catch {
                            // Only the documented incompatibilities may refuse these.
                            #expect(error.errors.allSatisfy { if case .incompatible = $0.problem { true } else { false } }, "\(error)")
                        }
                    }
                }
            }
        }
        // direct: 11 spiking variants; convert: if, lif, plif, spikepack; ann: relu — each with 3 optimizers × 4 schedules.
        #expect(loaded == (11 + 4 + 1) * 12)
    }
}
