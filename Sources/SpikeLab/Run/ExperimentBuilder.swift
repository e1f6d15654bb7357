import Foundation
import SpikeData
import SpikeNN
import SpikeNeurons
import SpikeTensor

/// A classifier the runner can train: images `[N, …]` (or event frames `[T, N, …]`) in,
/// logits `[N, classes]` out (already averaged over time).
public typealias ClassifierModel = Module & UnaryLayer

/// Why an experiment cannot be built although its manifest is valid.
public enum BuildError: Error, CustomStringConvertible, Equatable {
    /// A manifest option this build of SpikeLab cannot run yet.
    case unsupported(keyPath: String, value: String, supported: [String])
    /// The dataset could not be read.
    case data(String)

    public var description: String {
        switch self {
        case .unsupported(let keyPath, let value, let supported):
            return "\(keyPath): '\(value)' is valid in a manifest but this SpikeLab cannot run it yet; it runs: \(supported.joined(separator: ", "))"
        case .data(let message):
            return message
        }
    }

    /// Exit code: 3 for missing or bad data, 2 for an option that cannot run.
    public var exitCode: Int32 {
        if case .data = self { return 3 }
        return 2
    }
}

/// Turns a validated `Experiment` into the objects a run needs: datasets, the model, its
/// optimizer and learning-rate schedule.
public enum ExperimentBuilder {
    /// Stream ids of the seeded generators derived from `seed` (documented so a user can
    /// reproduce a model's initial weights outside SpikeLab).
    public enum Stream: UInt64 {
        case modelInit = 0
        case dataOrder = 1
    }

    /// Loaders this build can run.
    static let supportedLoaders: [DataSettings.Loader] = [.fashionMNIST, .mnist, .cifar10, .cifar100]
    /// Architectures this build can run.
    static let supportedArchitectures: [ModelSettings.Architecture] = [
        .spikingCNN28, .vggSmall, .resnet18, .resnet19, .resnet20, .resnet34, .sewResNet18, .vgg11, .vgg16,
        .cifarConvNet, .seqCIFARConv1d, .dvsVGG, .spikformer,
    ]

    /// The training and test datasets of the manifest's loader.
    public static func datasets(_ data: DataSettings, root: String) throws -> (train: any ClassificationDataset, test: any ClassificationDataset) {
        do {
            switch data.loader {
            case .fashionMNIST:
                return (try FashionMNIST.load(root: root, split: .train), try FashionMNIST.load(root: root, split: .test))
            case .mnist:
                return (try MNIST.load(root: root, split: .train), try MNIST.load(root: root, split: .test))
            case .cifar10:
                return (try CIFAR10.load(root: root, split: .train), try CIFAR10.load(root: root, split: .test))
            case .cifar100:
                return (try CIFAR100.load(root: root, split: .train), try CIFAR100.load(root: root, split: .test))
            default:
                throw BuildError.unsupported(keyPath: "data.loader", value: data.loader.rawValue,
                                             supported: supportedLoaders.map(\.rawValue))
            }
        } catch let error as DataError {
            throw BuildError.data(error.description)
        }
    }

    /// Training transforms in manifest order, and the evaluation transforms (normalisation only).
    public static func transforms(_ data: DataSettings) throws -> (train: [any ImageTransform], eval: [any ImageTransform]) {
        var train: [any ImageTransform] = [], eval: [any ImageTransform] = []
        for augmentation in data.augment {
            switch augmentation {
            case .randomCrop(let size, let padding):
                train.append(RandomCrop(size: size, padding: padding))
            case .horizontalFlip(let probability):
                train.append(HorizontalFlip(probability: Float(probability)))
            case .normalize(let normalization):
                let transform: Normalize
                switch normalization {
                case .preset(let preset):
                    transform = Normalize.preset(named: preset.rawValue)!
                case .custom(let mean, let std):
                    transform = Normalize(mean: mean.map(Float.init), std: std.map(Float.init))
                }
                train.append(transform)
                eval.append(transform)
            default:
                throw BuildError.unsupported(keyPath: "data.augment", value: "\(augmentation)",
                                             supported: ["random_crop", "horizontal_flip", "normalize"])
            }
        }
        return (train, eval)
    }

    /// The neuron every activation site of the model uses.
    public static func neuronSpec(_ neuron: NeuronSettings) -> NeuronSpec {
        let variant = NeuronSpec.Variant(rawValue: neuron.variant.rawValue)!
        var spec = NeuronSpec(variant, timeSteps: neuron.timeSteps)
        spec.vThreshold = neuron.vThreshold.map(Float.init)
        if let tau = neuron.tau { spec.tau = Float(tau) }
        switch neuron.reset {
        case .hard(let value)?: spec.vReset = Float(value)
        case .soft?: spec.vReset = nil
        case nil: break
        }
        if let decayInput = neuron.decayInput { spec.decayInput = decayInput }
        if let detachReset = neuron.detachReset { spec.detachReset = detachReset }
        if let surrogate = neuron.surrogate {
            spec.surrogate = Surrogate.Kind(rawValue: surrogate.kind.rawValue)
            spec.surrogateAlpha = Float(surrogate.alpha)
            spec.learnableAlpha = surrogate.learnableAlpha
        }
        if let order = neuron.order { spec.order = order }
        if let reset = neuron.ipsuReset { spec.ipsuReset = reset == .linear ? .linear : .sigmoid }
        if let pack = neuron.spikePack {
            spec.base = Float(pack.base)
            spec.rounding = pack.rounding == .floor ? .floor : .nearest
            switch pack.threshold {
            case .fixed: spec.thresholdMode = .fixed
            case .learnable: spec.thresholdMode = .learnable
            case .calibrated: spec.thresholdMode = .calibrated
            }
        }
        if let general = neuron.generalSNN { spec.decay = Float(general.leak) }
        return spec
    }

    /// The model, initialised from the experiment's seed (generator stream `modelInit`).
    public static func model(_ experiment: Experiment) throws -> any ClassifierModel {
        var rng = PhiloxGenerator(seed: UInt64(experiment.seed), stream: Stream.modelInit.rawValue)
        let spec = neuronSpec(experiment.neuron)
        let settings = experiment.model
        switch settings.arch {
        case .spikingCNN28:
            return SpikingCNN28(neuron: spec, numClasses: settings.numClasses, width: Float(settings.width), rng: &rng)
        case .vggSmall:
            return VGGSmall(neuron: spec, numClasses: settings.numClasses, width: Float(settings.width), rng: &rng)
        case .resnet18, .resnet19, .resnet20, .resnet34, .sewResNet18:
            let layouts: [ModelSettings.Architecture: ResNetLayout] = [
                .resnet18: .resnet18, .resnet19: .resnet19, .resnet20: .resnet20, .resnet34: .resnet34,
                .sewResNet18: .sewResNet18,
            ]
            return SpikingResNet(layout: layouts[settings.arch]!, neuron: spec, numClasses: settings.numClasses,
                                 inChannels: settings.inChannels, width: Float(settings.width), rng: &rng)
        case .vgg11, .vgg16, .dvsVGG:
            // dvs_vgg reads CIFAR10-DVS frames resized to data.resize (48×48 in psu.md; four
            // pools, so a multiple of 16); the CIFAR VGGs 32×32 images.
            let plan = settings.arch == .vgg11 ? SpikingVGG.vgg11Plan : settings.arch == .vgg16 ? SpikingVGG.vgg16Plan : SpikingVGG.dvsPlan
            let side = settings.arch == .dvsVGG ? experiment.data.resize ?? 48 : 32
            if side % 16 != 0 {
                throw BuildError.unsupported(keyPath: "data.resize", value: String(side),
                                             supported: ["a multiple of 16 for dvs_vgg (48 in the PSU paper)"])
            }
            return SpikingVGG(plan: plan, neuron: spec, numClasses: settings.numClasses, inChannels: settings.inChannels,
                              inputSize: side, width: Float(settings.width), rng: &rng)
        case .cifarConvNet:
            return CIFARConvNet(neuron: spec, numClasses: settings.numClasses, inChannels: settings.inChannels,
                                width: Float(settings.width), rng: &rng)
        case .seqCIFARConv1d:
            // One step per image column: T = 32 for CIFAR's 32×32 images.
            if spec.variant.runsOverTime && spec.timeSteps != 32 {
                throw BuildError.unsupported(keyPath: "neuron.time_steps", value: String(spec.timeSteps),
                                             supported: ["32 (seq_cifar_conv1d reads one 32-pixel image column per step)"])
            }
            return SeqCIFARConv1d(neuron: spec, numClasses: settings.numClasses, inChannels: settings.inChannels,
                                  width: Float(settings.width), rng: &rng)
        case .spikformer:
            // Spikformer-4-384 at width 1 (the paper's CIFAR model).
            return Spikformer(neuron: spec, numClasses: settings.numClasses, inChannels: settings.inChannels,
                              width: Float(settings.width), rng: &rng)
        default:
            throw BuildError.unsupported(keyPath: "model.arch", value: settings.arch.rawValue,
                                         supported: supportedArchitectures.map(\.rawValue))
        }
    }

    /// The optimizer over the model's named parameters.
    public static func optimizer(_ settings: OptimizerSettings, parameters: [NamedParameter]) -> any Optimizer {
        let lr = Float(settings.lr), decay = Float(settings.weightDecay)
        switch settings.kind {
        case .sgd:
            return SGD(parameters: parameters, lr: lr, momentum: Float(settings.momentum ?? 0),
                       weightDecay: decay, nesterov: settings.nesterov ?? false)
        case .adam:
            return Adam(parameters: parameters, lr: lr,
                        betas: (Float(settings.beta1 ?? 0.9), Float(settings.beta2 ?? 0.999)),
                        eps: Float(settings.eps ?? 1e-8), weightDecay: decay)
        case .adamw:
            return AdamW(parameters: parameters, lr: lr,
                         betas: (Float(settings.beta1 ?? 0.9), Float(settings.beta2 ?? 0.999)),
                         eps: Float(settings.eps ?? 1e-8), weightDecay: decay)
        }
    }

    /// The learning-rate schedule over `training.epochs`.
    public static func schedule(_ training: TrainingSettings) -> any LearningRateSchedule {
        let s = training.schedule, base = Float(training.optimizer.lr)
        let granularity: ScheduleGranularity = s.perIteration ? .iteration : .epoch
        switch s.kind {
        case .constant:
            return ConstantSchedule(baseLR: base)
        case .cosine:
            return CosineSchedule(baseLR: base, totalEpochs: training.epochs, warmupEpochs: s.warmupEpochs,
                                  warmupStartLR: Float(s.warmupLR), minLR: Float(s.minLR ?? 0), granularity: granularity)
        case .step:
            return StepSchedule(baseLR: base, stepSize: s.stepSize ?? 30, gamma: Float(s.gamma ?? 0.1),
                                granularity: granularity)
        case .multistep:
            return MultiStepSchedule(baseLR: base, milestones: s.milestones ?? [], gamma: Float(s.gamma ?? 0.1),
                                     granularity: granularity)
        }
    }
}
