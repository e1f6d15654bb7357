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
    static let supportedLoaders: [DataSettings.Loader] = [.fashionMNIST, .mnist, .cifar10, .cifar100, .tinyImageNet, .imageNet,
                                                           .sequentialCIFAR10, .sequentialCIFAR100, .shd, .speechCommands,
                                                           .nmnist, .cifar10DVS, .dvs128Gesture, .vocSegmentation]
    /// Architectures this build can run.
    static let supportedArchitectures: [ModelSettings.Architecture] = [
        .spikingCNN28, .vggSmall, .shdFC, .resnet18, .resnet19, .resnet20, .resnet34, .sewResNet18, .vgg11, .vgg16,
        .cifarConvNet, .seqCIFARConv1d, .dvsVGG, .spikformer, .yoloTiny, .fcn, .generalSNNCNN, .generalSNNLSTM,
    ]

    /// Whether the loader's batches are time-major: camera-event frames [T, 2, H, W] become time
    /// steps [T, N, …]; sequence loaders (SHD, speech) hand [N, T, F] to their models, which mix
    /// along time before going time-major. Every batcher a model is fed from must agree.
    public static func isTimeMajor(_ data: DataSettings) -> Bool {
        ManifestSchema.cameraEventLoaders.contains(data.loader.rawValue)
    }

    /// The training and test datasets of the manifest's loader (`seed` draws CIFAR10-DVS's `random_90` split).
    public static func datasets(_ data: DataSettings, root: String, seed: Int = 0) throws -> (train: any ClassificationDataset, test: any ClassificationDataset) {
        do {
            if let events = try EventLoaders.datasets(data, root: root, seed: UInt64(seed)) { return events }
            switch data.loader {
            case .fashionMNIST:
                return (try FashionMNIST.load(root: root, split: .train), try FashionMNIST.load(root: root, split: .test))
            case .mnist:
                return (try MNIST.load(root: root, split: .train), try MNIST.load(root: root, split: .test))
            case .cifar10:
                return (try CIFAR10.load(root: root, split: .train), try CIFAR10.load(root: root, split: .test))
            case .cifar100:
                return (try CIFAR100.load(root: root, split: .train), try CIFAR100.load(root: root, split: .test))
            case .shd:
                let binning = shdBinning(data.frames)
                let steps = data.frames?.timeSteps ?? 15
                return (try SHD.load(root: root, split: .train, timeSteps: steps, binning: binning),
                        try SHD.load(root: root, split: .test, timeSteps: steps, binning: binning))
            case .speechCommands:
                // Train = every clip in neither list; validation clips are not used by the runner.
                return (try SpeechCommands.load(root: root, split: .train), try SpeechCommands.load(root: root, split: .test))
            case .tinyImageNet:
                return (try TinyImageNet.load(root: root, split: .train), try TinyImageNet.load(root: root, split: .test))
            case .imageNet:
                // Decoded at data.resize (default 224): train resized to it and centre-cropped,
                // test resized to side/0.875 (256 for 224) and centre-cropped (docs/datasets.md).
                let side = data.resize ?? 224
                return (try ImageNet.load(root: root, split: .train, side: side), try ImageNet.load(root: root, split: .test, side: side))
            case .vocSegmentation:
                // Every image and mask resized to data.resize (the fcn rule requires it) and held
                // in memory; the test split keeps its original masks to be scored at full size.
                let side = data.resize ?? 96
                return (try ResizedSegmentationSet(VOCSegmentationDataset(root: root, split: .train), side: side),
                        try ResizedSegmentationSet(VOCSegmentationDataset(root: root, split: .test), side: side,
                                                   keepOriginalMasks: true))
            case .sequentialCIFAR10, .sequentialCIFAR100:
                // The images themselves: `transforms` ends both pipelines with `ImageColumns`, so
                // augmentations see [3, 32, 32] and the model gets [32, 96] (one column per step).
                let hundred = data.loader == .sequentialCIFAR100
                return hundred
                    ? (try CIFAR100.load(root: root, split: .train), try CIFAR100.load(root: root, split: .test))
                    : (try CIFAR10.load(root: root, split: .train), try CIFAR10.load(root: root, split: .test))
            default:
                throw BuildError.unsupported(keyPath: "data.loader", value: data.loader.rawValue,
                                             supported: supportedLoaders.map(\.rawValue))
            }
        } catch let error as DataError {
            throw BuildError.data(error.description)
        }
    }

    /// Throws unless the datasets fit the model the manifest describes: every label below
    /// `model.num_classes`, and for sequence data `model.in_channels` features per step.
    public static func checkFit(train: any ClassificationDataset, test: any ClassificationDataset,
                                _ experiment: Experiment) throws {
        let model = experiment.model, loader = experiment.data.loader.rawValue
        for dataset in [train, test] where dataset.classCount > model.numClasses {
            throw BuildError.data("data.loader \(loader) under \(experiment.data.root) has \(dataset.classCount) classes, "
                                  + "but model.num_classes is \(model.numClasses); set model.num_classes: \(dataset.classCount)")
        }
        // Speech samples are [T, F]; sequential CIFAR's images become [32, 96] columns only in
        // its transforms, and its model reads them as 3 channels (ImageColumns).
        if [.shd, .speechCommands].contains(experiment.data.loader), let features = train.inputShape.last,
           features != model.inChannels {
            throw BuildError.data("data.loader \(loader) gives \(features) features per step, but model.in_channels is "
                                  + "\(model.inChannels); set model.in_channels: \(features)")
        }
    }

    /// How SHD spikes become frames: the manifest's `data.frames.split_by` (SpikingJelly semantics).
    static func shdBinning(_ frames: FrameSettings?) -> SpikeTrainBinning {
        switch frames?.splitBy {
        case .number?: .number
        case .duration?: .duration(microseconds: frames?.durationMicroseconds ?? 1)
        case .time?, nil: .time
        }
    }

    /// Training transforms in manifest order, and the evaluation transforms (normalisation only).
    public static func transforms(_ data: DataSettings) throws -> (train: [any ImageTransform], eval: [any ImageTransform]) {
        var train: [any ImageTransform] = [], eval: [any ImageTransform] = []
        // Speech samples are [T, F] sequences, not images: no image transform applies to them.
        if [.shd, .speechCommands].contains(data.loader), let first = data.augment.first {
            throw BuildError.unsupported(keyPath: "data.augment", value: "\(first)",
                                         supported: ["no augmentations for \(data.loader.rawValue) (its samples are [T, F] sequences)"])
        }
        // Segmentation masks must move with their images, but transforms see the image alone:
        // only per-pixel value transforms apply (the dataset itself resizes both).
        if data.loader == .vocSegmentation, let moving = data.augment.first(where: { if case .normalize = $0 { false } else { true } }) {
            throw BuildError.unsupported(keyPath: "data.augment", value: "\(moving)",
                                         supported: ["normalize (for \(data.loader.rawValue): transforms act on the image, not its mask)"])
        }
        // Event loaders resize their frames when they integrate them (EventLoaders), segmentation
        // sets and ImageNet (whose images differ in size) when they load; images here.
        if let size = data.resize, !ManifestSchema.eventLoaders.contains(data.loader.rawValue),
           ![.vocSegmentation, .imageNet].contains(data.loader) {
            train.append(Resize(size: size))
            eval.append(Resize(size: size))
        }
        let fill = augmentationFill(data.augment)
        for augmentation in data.augment {
            switch augmentation {
            case .randomCrop(let size, let padding):
                train.append(RandomCrop(size: size, padding: padding))
            case .randomResizedCrop(let size, let minScale, let maxScale):
                // Evaluation images are not cropped, so the crop must come out at their side.
                let sequential = data.loader == .sequentialCIFAR10 || data.loader == .sequentialCIFAR100
                if let side = data.resize ?? nativeImageSide[data.loader] ?? (sequential ? 32 : nil), side != size {
                    throw BuildError.unsupported(keyPath: "data.augment.random_resized_crop.size", value: String(size),
                                                 supported: ["\(side) (the side of the evaluation images, which are not cropped)"])
                }
                train.append(RandomResizedCrop(size: size, scale: minScale...maxScale))
            case .horizontalFlip(let probability):
                train.append(HorizontalFlip(probability: Float(probability)))
            case .randomRotation(let degrees):
                train.append(RandomRotation(degrees: Float(degrees)))
            case .randAugment(let operations, let magnitude, let magnitudeStd):
                train.append(RandAugment(count: operations, magnitude: Double(magnitude), magnitudeStd: magnitudeStd, fill: fill))
            case .autoAugment(let policy):
                // The schema admits only the policies AutoAugment.Policy names.
                train.append(AutoAugment(policy: AutoAugment.Policy(rawValue: policy)!, fill: fill))
            case .colorJitter(let strength):
                train.append(ColorJitter(strength: Float(strength)))
            case .randomErasing(let probability):
                train.append(RandomErasing(probability: Float(probability)))
            case .eventRandomCrop(let size, let padding):
                train.append(EventRandomCrop(size: size, padding: padding))
            case .eventFlip(let probability):
                train.append(EventFlip(probability: Float(probability)))
            case .eventRotation(let degrees):
                train.append(EventRotation(degrees: Float(degrees)))
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
            }
        }
        if data.loader == .sequentialCIFAR10 || data.loader == .sequentialCIFAR100 {
            train.append(ImageColumns())
            eval.append(ImageColumns())
        }
        return (train, eval)
    }

    /// The colour RandAugment and AutoAugment give pixels their geometric ops uncover: the mean
    /// of the manifest's `normalize` rounded to 8-bit levels (timm's `img_mean`), or level 128
    /// (timm's default) without one.
    static func augmentationFill(_ augment: [Augmentation]) -> [Float] {
        for case .normalize(let normalization) in augment {
            let mean: [Float]
            switch normalization {
            case .preset(let preset): mean = Normalize.preset(named: preset.rawValue)!.mean
            case .custom(let values, _): mean = values.map(Float.init)
            }
            return mean.map { min(255, ($0 * 255).rounded(.toNearestOrEven)) / 255 }
        }
        return [128.0 / 255]
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

    /// The model the run trains, initialised from the experiment's seed (generator stream
    /// `modelInit`): for `training.mode: convert` the ReLU ANN of the manifest's architecture
    /// (its SNN is `convertedModel`), otherwise the architecture with the manifest's neuron.
    public static func model(_ experiment: Experiment) throws -> any ClassifierModel {
        if experiment.training.mode == .convert {
            return try model(experiment, spec: NeuronSpec(.relu, timeSteps: 1))
        }
        return try model(experiment, spec: neuronSpec(experiment.neuron))
    }

    /// The SNN of a `training.mode: convert` run at `timeSteps` steps: the manifest's
    /// architecture and neuron, every IF/LIF/PLIF layer with a calibrated threshold (SpikePack:
    /// as `neuron.spikepack.threshold` says). Its weights and thresholds come from
    /// `ANNToSNN.convert` (or a converted checkpoint).
    public static func convertedModel(_ experiment: Experiment, timeSteps: Int) throws -> any ClassifierModel {
        var spec = neuronSpec(experiment.neuron)
        spec.timeSteps = timeSteps
        spec.bits = nil
        if [.if, .lif, .plif].contains(spec.variant) { spec.calibrated = true }
        if let problem = spec.problem {
            throw BuildError.unsupported(keyPath: "training.conversion.time_steps", value: String(timeSteps), supported: [problem])
        }
        let snn = try model(experiment, spec: spec)
        // Rate-coded spikes are pooled by their running counts (training.conversion.max_pool,
        // docs/conversion.md); SpikePack's values are monotone in its input, so a plain max-pool
        // commutes with it.
        let rule = experiment.training.conversion?.maxPool ?? .cumulative
        if spec.calibrated, rule != .plain {
            for pool in snn.modules(ofType: MaxPool2d.self) {
                pool.spikingTimeSteps = timeSteps
                pool.spikingRule = rule == .gated ? .gated : .cumulative
            }
        }
        return snn
    }

    /// The manifest's architecture with `spec` at every activation site.
    static func model(_ experiment: Experiment, spec: NeuronSpec) throws -> any ClassifierModel {
        var rng = PhiloxGenerator(seed: UInt64(experiment.seed), stream: Stream.modelInit.rawValue)
        try EventLoaders.checkModel(experiment, spec: spec)
        let settings = experiment.model
        try checkImageSize(experiment)
        switch settings.arch {
        case .spikingCNN28:
            return SpikingCNN28(neuron: spec, numClasses: settings.numClasses, width: Float(settings.width),
                                inChannels: settings.inChannels, rng: &rng)
        case .vggSmall:
            return VGGSmall(neuron: spec, numClasses: settings.numClasses, width: Float(settings.width), rng: &rng)
        case .shdFC:
            // Speech Commands clips always give the same number of log-mel frames; a spiking
            // neuron must run exactly that many steps (SHD's frames follow neuron.time_steps).
            if experiment.data.loader == .speechCommands && spec.foldedSteps != 1
                && spec.timeSteps != SpeechCommands.frameCount {
                throw BuildError.unsupported(keyPath: "neuron.time_steps", value: String(spec.timeSteps),
                                             supported: ["\(SpeechCommands.frameCount) for speech_commands (log-mel frames of a 1 s clip)"])
            }
            return SHDFC(neuron: spec, inputs: settings.inChannels, numClasses: settings.numClasses,
                         width: Float(settings.width), dropout: Float(settings.dropout), rng: &rng)
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
        case .yoloTiny:
            // The manifest rules make detection.image_size a multiple of 32 and give every
            // detection manifest its `detection` section.
            return YOLOTiny(neuron: spec, numClasses: settings.numClasses, imageSize: experiment.detection?.imageSize ?? 416,
                            width: Float(settings.width), inChannels: settings.inChannels, rng: &rng)
        case .spikformer:
            // model.spikformer: Spikformer-4-384 with the CIFAR stem by default (the paper's CIFAR model).
            let size = settings.spikformer
            let stem: SpikingPatchSplitting.Stem = size?.stem == .imagenet ? .imagenet : .cifar
            let side = experiment.data.resize ?? nativeImageSide[experiment.data.loader] ?? 32
            let multiple = 1 << stem.downsamplings
            if side % multiple != 0 {
                throw BuildError.unsupported(keyPath: "data.resize", value: experiment.data.resize.map(String.init) ?? "none (\(side)×\(side) images)",
                                             supported: ["a multiple of \(multiple) for spikformer with model.spikformer.stem \(stem.rawValue)"])
            }
            return Spikformer(neuron: spec, numClasses: settings.numClasses, inChannels: settings.inChannels,
                              embedDim: size?.embedDim ?? 384, depth: size?.depth ?? 4, heads: size?.heads ?? 12,
                              mlpRatio: size?.mlpRatio ?? 4, width: Float(settings.width), stem: stem, rng: &rng)
        case .fcn:
            return SpikingFCN(neuron: spec, numClasses: settings.numClasses, inChannels: settings.inChannels,
                              width: Float(settings.width), rng: &rng)
        case .generalSNNCNN, .generalSNNLSTM:
            return try generalSNN(experiment, spec: spec, rng: &rng)
        default:
            throw BuildError.unsupported(keyPath: "model.arch", value: settings.arch.rawValue,
                                         supported: supportedArchitectures.map(\.rawValue))
        }
    }

    /// Yao et al.'s general SNN (CNN or LSTM form) at the paper's depths [2, 2, 6, 2]; image
    /// sides a multiple of 32 (CIFAR's 32, TinyImageNet's 64), static image loaders only.
    static func generalSNN(_ experiment: Experiment, spec: NeuronSpec, rng: inout PhiloxGenerator) throws -> GeneralSNN {
        let settings = experiment.model, loader = experiment.data.loader
        guard let native = nativeImageSide[loader] else {
            throw BuildError.unsupported(keyPath: "data.loader", value: loader.rawValue,
                                         supported: ["image loaders for \(settings.arch.rawValue): cifar10, cifar100, tinyimagenet, mnist, fashion_mnist (with data.resize: 32)"])
        }
        let side = experiment.data.resize ?? native
        let multiple = 1 << (GeneralSNN.paperDepths.count + 1)
        if side % multiple != 0 {
            throw BuildError.unsupported(keyPath: "data.resize", value: experiment.data.resize.map(String.init) ?? "none (\(side)×\(side) images)",
                                         supported: ["a multiple of \(multiple) for \(settings.arch.rawValue) (32 for CIFAR, 64 for TinyImageNet)"])
        }
        let projection: MembraneProjection = experiment.neuron.generalSNN?.projection == .mean ? .mean : .sincos
        return GeneralSNN(form: settings.arch == .generalSNNCNN ? .cnn : .lstm, neuron: spec,
                          numClasses: settings.numClasses, inChannels: settings.inChannels,
                          width: Float(settings.width), projection: projection,
                          overlapThreshold: experiment.neuron.generalSNN?.overlapThreshold.map(Float.init), rng: &rng)
    }

    /// Side length of each loader's images as published.
    static let nativeImageSide: [DataSettings.Loader: Int] = [
        .fashionMNIST: 28, .mnist: 28, .cifar10: 32, .cifar100: 32, .tinyImageNet: 64, .imageNet: 224,
    ]
    /// Side length of the images each image architecture takes.
    static let architectureImageSide: [ModelSettings.Architecture: Int] = [.spikingCNN28: 28, .vggSmall: 32, .vgg11: 32, .vgg16: 32]

    /// Refuses an image size the architecture cannot take (e.g. TinyImageNet's 64×64 on
    /// vgg_small, which is built for 32×32), naming `data.resize` as the fix.
    static func checkImageSize(_ experiment: Experiment) throws {
        // Event frames are checked by EventLoaders.checkModel (spiking_cnn_28 takes any side ≥ 28 there).
        guard !ManifestSchema.cameraEventLoaders.contains(experiment.data.loader.rawValue),
              let needed = architectureImageSide[experiment.model.arch],
              let side = experiment.data.resize ?? nativeImageSide[experiment.data.loader], side != needed else { return }
        throw BuildError.unsupported(keyPath: "data.resize", value: experiment.data.resize.map(String.init) ?? "none (\(side)×\(side) images)",
                                     supported: ["\(needed) (\(experiment.model.arch.rawValue) takes \(needed)×\(needed) images)"])
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
