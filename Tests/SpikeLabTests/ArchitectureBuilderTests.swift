import Foundation
import Testing
@testable import SpikeLab
import SpikeNN
import SpikeTensor

/// A minimal valid manifest for `arch` on `loader` with a 1/16-width LIF network.
private func manifest(arch: String, loader: String, timeSteps: Int, width: Double = 0.0625,
                      resize: Int? = nil) throws -> Manifest {
    let split = (loader == "cifar10_dvs" ? "\n  split: per_class_first_90" : "") + (resize.map { "\n  resize: \($0)" } ?? "")
    let yaml = """
        name: arch-\(arch)
        paper: demo
        seed: 3
        data:
          loader: \(loader)
          batch_size: 4\(split)
        model:
          arch: \(arch)
          width: \(width)
        neuron:
          variant: lif
          time_steps: \(timeSteps)
        training:
          mode: direct
          epochs: 1
          loss: ce
          optimizer: {kind: sgd, lr: 0.1}
          schedule: {kind: constant}
        """
    return try Manifest.load(yaml: yaml, path: "arch-\(arch).yaml")
}

@Suite("Architecture builder")
struct ArchitectureBuilderTests {
    @Test("every paper architecture builds from a manifest, seeded like a direct construction")
    func buildsFromManifest() throws {
        let spec = NeuronSpec(.lif, timeSteps: 2)
        func direct(_ body: (inout PhiloxGenerator) -> any ClassifierModel) -> any ClassifierModel {
            var rng = PhiloxGenerator(seed: 3, stream: ExperimentBuilder.Stream.modelInit.rawValue)
            return body(&rng)
        }
        let w: Float = 0.0625
        let cases: [(String, String, Int, any ClassifierModel)] = [
            ("resnet18", "cifar10", 2, direct { SpikingResNet(layout: .resnet18, neuron: spec, width: w, rng: &$0) }),
            ("resnet19", "cifar10", 2, direct { SpikingResNet(layout: .resnet19, neuron: spec, width: w, rng: &$0) }),
            ("resnet20", "cifar100", 2, direct { SpikingResNet(layout: .resnet20, neuron: spec, numClasses: 100, width: w, rng: &$0) }),
            ("resnet34", "cifar10", 2, direct { SpikingResNet(layout: .resnet34, neuron: spec, width: w, rng: &$0) }),
            ("sew_resnet18", "cifar10", 2, direct { SpikingResNet(layout: .sewResNet18, neuron: spec, width: w, rng: &$0) }),
            ("vgg11", "cifar10", 2, direct { SpikingVGG(plan: SpikingVGG.vgg11Plan, neuron: spec, width: w, rng: &$0) }),
            ("vgg16", "cifar10", 2, direct { SpikingVGG(plan: SpikingVGG.vgg16Plan, neuron: spec, width: w, rng: &$0) }),
            ("dvs_vgg", "cifar10_dvs", 2, direct {
                SpikingVGG(plan: SpikingVGG.dvsPlan, neuron: spec, inChannels: 2, inputSize: 48, width: w, rng: &$0)
            }),
            ("cifar_convnet", "cifar10", 2, direct { CIFARConvNet(neuron: spec, width: w, rng: &$0) }),
            ("seq_cifar_conv1d", "sequential_cifar10", 32, direct {
                SeqCIFARConv1d(neuron: NeuronSpec(.lif, timeSteps: 32), width: w, rng: &$0)
            }),
            ("spikformer", "cifar10", 2, direct { Spikformer(neuron: spec, width: w, rng: &$0) }),
        ]
        for (arch, loader, steps, expected) in cases {
            let resize = arch == "dvs_vgg" ? 48 : nil  // event frames need an explicit side for dvs_vgg
            let built = try ExperimentBuilder.model(manifest(arch: arch, loader: loader, timeSteps: steps, resize: resize).experiment)
            #expect(type(of: built) == type(of: expected), "\(arch)")
            #expect(built.stateDict().map(\.name) == expected.stateDict().map(\.name), "\(arch)")
            // Same seed and stream: the same initial weights.
            #expect(built.parameters().map(\.array) == expected.parameters().map(\.array), "\(arch)")
        }
    }

    @Test("dvs_vgg takes data.resize as its frame side, a multiple of 16, which event data must set")
    func dvsFrameSide() throws {
        let resized = try ExperimentBuilder.model(manifest(arch: "dvs_vgg", loader: "cifar10_dvs", timeSteps: 2,
                                                           resize: 64).experiment)
        // Width 1/16: 32 channels after four pools of 64 → 4×4.
        #expect((resized as? SpikingVGG)?.classifier.weight.shape == [10, 32 * 4 * 4])
        let standard = try ExperimentBuilder.model(manifest(arch: "dvs_vgg", loader: "cifar10_dvs", timeSteps: 2, resize: 48).experiment)
        #expect((standard as? SpikingVGG)?.inputSize == 48)
        // Event frames come at the sensor's 128×128 unless data.resize says otherwise: refused.
        let sensor = try manifest(arch: "dvs_vgg", loader: "cifar10_dvs", timeSteps: 2).experiment
        #expect(throws: BuildError.unsupported(keyPath: "data.resize", value: "none (128×128 sensor frames)",
                                               supported: ["a multiple of 16 for dvs_vgg (48 in the PSU paper)"])) {
            _ = try ExperimentBuilder.model(sensor)
        }
        let odd = try manifest(arch: "dvs_vgg", loader: "cifar10_dvs", timeSteps: 2, resize: 40).experiment
        #expect(throws: BuildError.unsupported(keyPath: "data.resize", value: "40",
                                               supported: ["a multiple of 16 for dvs_vgg (48 in the PSU paper)"])) {
            _ = try ExperimentBuilder.model(odd)
        }
    }

    @Test("spikformer on imagenet takes the ImageNet stem and model.spikformer's size; a side not a multiple of 16 is refused naming data.resize")
    func spikformerImageNetStem() throws {
        let small = try manifest(arch: "spikformer", loader: "imagenet", timeSteps: 2, width: 1, resize: 64).experiment
        #expect(small.model.spikformer == SpikformerSettings(depth: 4, embedDim: 384, heads: 12, mlpRatio: 4, stem: .imagenet))
        let model = try ExperimentBuilder.model(small) as? Spikformer
        #expect(model?.patchEmbed.maxpool != nil && model?.block.count == 4 && model?.embedDim == 384)
        #expect(model?.head.weight.shape == [1000, 384])
        let cifar = try ExperimentBuilder.model(manifest(arch: "spikformer", loader: "cifar10", timeSteps: 2).experiment) as? Spikformer
        #expect(cifar?.patchEmbed.maxpool == nil)
        let odd = try manifest(arch: "spikformer", loader: "imagenet", timeSteps: 2, resize: 72).experiment
        #expect(throws: BuildError.unsupported(keyPath: "data.resize", value: "72",
                                               supported: ["a multiple of 16 for spikformer with model.spikformer.stem imagenet"])) {
            _ = try ExperimentBuilder.model(odd)
        }
    }

    @Test("seq_cifar_conv1d with a time_steps other than the 32 image columns is refused before the build")
    func sequentialNeedsThirtyTwoSteps() {
        // The manifest rule catches it with the file position (exit code 2); the builder's own
        // check is the second line of defence for programmatic experiments.
        #expect(throws: ManifestErrors.self) {
            _ = try manifest(arch: "seq_cifar_conv1d", loader: "sequential_cifar10", timeSteps: 4)
        }
    }
}

@Suite("Architecture benchmark")
struct ArchitectureBenchmarkTests {
    @Test("bench arch times each named architecture against vgg_small and reports its real parameter count")
    func smallRun() throws {
        let report = try ArchitectureBenchmark(architectures: ["resnet20", "seq_cifar_conv1d"], width: 0.0625, batch: 2,
                                               timeSteps: 2, steps: 1, log: { _ in }).run()
        #expect(report.cases.map(\.arch) == ["vgg_small", "resnet20", "seq_cifar_conv1d"])
        #expect(report.cases[0].ratioToVGGSmall == 1)
        #expect(report.cases.allSatisfy { $0.medianStepSeconds > 0 && $0.samplesPerSecond > 0 })
        #expect(report.cases[2].inputShape == [2, 32, 96] && report.cases[2].timeSteps == 32)
        // resnet20 at width 1/16: channels 1, 2, 4 — the count inspect prints for the same manifest.
        var rng = PhiloxGenerator(seed: 0)
        #expect(report.cases[1].parameters
                == SpikingResNet(layout: .resnet20, neuron: NeuronSpec(.lif, timeSteps: 2), width: 0.0625, rng: &rng).parameterCount)
        #expect(report.table().contains("resnet20"))
    }
}

@Suite("Training modes the builder runs")
struct TrainingModeBuildTests {
    @Test("training.mode convert trains the architecture's ReLU ANN; its SNN has the same entries plus one threshold per neuron layer")
    func convertBuildsANNAndSNN() throws {
        let manifest = try Manifest.load(yaml: """
            name: c
            data: {loader: fashion_mnist, batch_size: 8}
            model: {arch: spiking_cnn_28, width: 0.25}
            neuron: {variant: if, time_steps: 4}
            training: {mode: convert, epochs: 1, optimizer: {lr: 0.1}}
            """, path: "c.yaml")
        let ann = try ExperimentBuilder.model(manifest.experiment)
        #expect(ann.modules(ofType: NeuronLayer.self).map(\.spec.variant) == [.relu, .relu])
        let snn = try ExperimentBuilder.convertedModel(manifest.experiment, timeSteps: 16)
        let layers = snn.modules(ofType: NeuronLayer.self)
        #expect(layers.allSatisfy { $0.spec.variant == .if && $0.spec.calibrated && $0.spec.timeSteps == 16 && $0.spec.vReset == nil })
        #expect(Set(snn.stateDict().map(\.name)) == Set(ann.stateDict().map(\.name)).union(["features.2.threshold", "features.6.threshold"]))
        #expect(snn.modules(ofType: MaxPool2d.self).map(\.spikingTimeSteps) == [16, 16])
        #expect(ann.modules(ofType: MaxPool2d.self).allSatisfy { $0.spikingTimeSteps == nil })
        #expect(snn.modules(ofType: MaxPool2d.self).allSatisfy { $0.spikingRule == .cumulative })
    }

    @Test("training.conversion.max_pool picks how the converted SNN pools spikes: cumulative, gated, or a plain max")
    func convertMaxPoolRule() throws {
        func pools(_ rule: String) throws -> [MaxPool2d] {
            let manifest = try Manifest.load(yaml: """
                name: c
                data: {loader: fashion_mnist, batch_size: 8}
                model: {arch: spiking_cnn_28, width: 0.25}
                neuron: {variant: if, time_steps: 4}
                training: {mode: convert, epochs: 1, optimizer: {lr: 0.1}, conversion: {max_pool: \(rule)}}
                """, path: "c.yaml")
            return try ExperimentBuilder.convertedModel(manifest.experiment, timeSteps: 8).modules(ofType: MaxPool2d.self)
        }
        #expect(try pools("cumulative").allSatisfy { $0.spikingTimeSteps == 8 && $0.spikingRule == .cumulative })
        #expect(try pools("gated").allSatisfy { $0.spikingTimeSteps == 8 && $0.spikingRule == .gated })
        #expect(try pools("plain").allSatisfy { $0.spikingTimeSteps == nil })
    }
}
