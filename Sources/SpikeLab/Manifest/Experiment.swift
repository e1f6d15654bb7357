/// One experiment, fully resolved from its manifest: typed, immutable, every default filled.
///
/// Settings that do not apply to the chosen options are nil (e.g. `neuron.tau` for `spikepack`,
/// `training.conversion` unless the mode is `convert`).
public struct Experiment: Sendable, Equatable {
    /// What the network predicts.
    public enum Task: String, Sendable, CaseIterable { case classification, detection, segmentation }

    public let name: String
    public let paper: String?
    public let table: String?
    public let row: String?
    public let description: String?
    public let seed: Int
    public let task: Task
    public let data: DataSettings
    public let model: ModelSettings
    public let neuron: NeuronSettings
    public let training: TrainingSettings
    public let checkpoint: CheckpointSettings
    /// Detector settings; nil unless the task is detection.
    public let detection: DetectionSettings?
}

/// Dataset, batching and augmentation.
public struct DataSettings: Sendable, Equatable {
    /// A dataset reader.
    public enum Loader: String, Sendable, CaseIterable {
        case fashionMNIST = "fashion_mnist", mnist, cifar10, cifar100, tinyImageNet = "tinyimagenet", imageNet = "imagenet"
        case sequentialCIFAR10 = "sequential_cifar10", sequentialCIFAR100 = "sequential_cifar100"
        case cifar10DVS = "cifar10_dvs", dvs128Gesture = "dvs128_gesture", nmnist, shd
        case speechCommands = "speech_commands", vocDetection = "voc_detection"
        case vocSegmentation = "voc_segmentation", cocoDetection = "coco_detection"
    }
    /// CIFAR10-DVS train/test split.
    public enum EventSplit: String, Sendable, CaseIterable {
        case perClassFirst90 = "per_class_first_90", random90 = "random_90", tebn
    }

    public let loader: Loader
    /// As written (relative to the current directory when not absolute).
    public let root: String
    public let batchSize: Int
    public let evalBatchSize: Int
    public let subset: Int?
    public let testSubset: Int?
    public let prefetch: Int
    public let resize: Int?
    public let augment: [Augmentation]
    /// Event-to-frame integration; nil for loaders that are not event streams.
    public let frames: FrameSettings?
    /// Only for CIFAR10-DVS.
    public let split: EventSplit?
}

/// How event streams become frames.
public struct FrameSettings: Sendable, Equatable {
    /// How a sample's events are cut into frames.
    public enum SplitBy: String, Sendable, CaseIterable { case number, time, duration }

    public let timeSteps: Int
    public let splitBy: SplitBy
    /// Only when `splitBy` is `.duration`.
    public let durationMicroseconds: Int?
}

/// One entry of `data.augment`.
public enum Augmentation: Sendable, Equatable {
    case randomCrop(size: Int, padding: Int)
    case randomResizedCrop(size: Int, minScale: Double, maxScale: Double)
    case horizontalFlip(probability: Double)
    case randomRotation(degrees: Double)
    case randAugment(operations: Int, magnitude: Int, magnitudeStd: Double)
    case autoAugment(policy: String)
    case colorJitter(strength: Double)
    case randomErasing(probability: Double)
    case normalize(Normalization)
    case eventRandomCrop(size: Int, padding: Int)
    case eventFlip(probability: Double)
    case eventRotation(degrees: Double)
}

/// Per-channel normalisation constants.
public enum Normalization: Sendable, Equatable {
    /// A dataset's published constants.
    public enum Preset: String, Sendable, CaseIterable { case mnist, fashionMNIST = "fashion_mnist", cifar10, cifar100, imagenet }
    case preset(Preset)
    case custom(mean: [Double], std: [Double])
}

/// Network architecture.
public struct ModelSettings: Sendable, Equatable {
    /// An architecture SpikeLab builds.
    public enum Architecture: String, Sendable, CaseIterable {
        case vggSmall = "vgg_small", spikingCNN28 = "spiking_cnn_28", cifarConvNet = "cifar_convnet"
        case seqCIFARConv1d = "seq_cifar_conv1d", dvsVGG = "dvs_vgg", shdFC = "shd_fc"
        case resnet18, resnet19, resnet20, resnet34, vgg11, vgg16, sewResNet18 = "sew_resnet18", spikformer
        case generalSNNCNN = "general_snn_cnn", generalSNNLSTM = "general_snn_lstm", yoloTiny = "yolo_tiny", fcn
    }

    public let arch: Architecture
    public let numClasses: Int
    public let width: Double
    public let inChannels: Int
    public let dropout: Double
    /// `model.spikformer` (arch spikformer only).
    public let spikformer: SpikformerSettings?
}

/// Spikformer's size and stem (`model.spikformer`).
public struct SpikformerSettings: Sendable, Equatable {
    /// Patch-splitting stem: two max-pools (CIFAR) or four (ImageNet).
    public enum Stem: String, Sendable, CaseIterable { case cifar, imagenet }

    public let depth: Int
    public let embedDim: Int
    public let heads: Int
    public let mlpRatio: Int
    public let stem: Stem
}

/// The neuron used at every activation site.
public struct NeuronSettings: Sendable, Equatable {
    /// A neuron model; `relu` is an ANN's activation.
    public enum Variant: String, Sendable, CaseIterable {
        case `if`, lif, plif, psn, maskedPSN = "masked_psn", slidingPSN = "sliding_psn", psu, ipsu, rpsu
        case spikePack = "spikepack", generalSNN = "general_snn", relu
    }
    /// What happens to the membrane after a spike.
    public enum Reset: Sendable, Equatable {
        /// Set to this value.
        case hard(Double)
        /// Subtract the threshold.
        case soft
    }
    /// IPSU's reset term.
    public enum IPSUReset: String, Sendable, CaseIterable { case linear, sigmoid }

    public let variant: Variant
    public let timeSteps: Int
    public let vThreshold: Double?
    public let tau: Double?
    public let reset: Reset?
    public let decayInput: Bool?
    public let detachReset: Bool?
    public let surrogate: SurrogateSettings?
    public let order: Int?
    public let lambdaRampEpochs: Int?
    public let ipsuReset: IPSUReset?
    public let spikePack: SpikePackSettings?
    public let generalSNN: GeneralSNNSettings?
}

/// Surrogate gradient of the spike.
public struct SurrogateSettings: Sendable, Equatable {
    /// Shape of the surrogate derivative.
    public enum Kind: String, Sendable, CaseIterable { case sigmoid, atan, rectangle, triangle }

    public let kind: Kind
    public let alpha: Double
    public let learnableAlpha: Bool
}

/// SpikePack options.
public struct SpikePackSettings: Sendable, Equatable {
    /// Rounding of the membrane to a packed level.
    public enum Rounding: String, Sendable, CaseIterable { case floor, nearest }
    /// Where the threshold θ comes from.
    public enum Threshold: String, Sendable, CaseIterable { case fixed, learnable, calibrated }

    public let base: Double
    public let rounding: Rounding
    public let threshold: Threshold
}

/// Options of the single-step general SNN neuron.
public struct GeneralSNNSettings: Sendable, Equatable {
    /// How recurrent membranes are merged.
    public enum Projection: String, Sendable, CaseIterable { case sincos, mean }

    public let leak: Double
    public let projection: Projection
    /// general_snn_cnn in mode B: averaged spikes above this become 1 (nil: kept).
    public let overlapThreshold: Double?
}

/// Training mode, loss, optimizer and schedule.
public struct TrainingSettings: Sendable, Equatable {
    /// How the network is obtained.
    public enum Mode: String, Sendable, CaseIterable { case direct, convert, ann }
    /// Training loss.
    public enum Loss: String, Sendable, CaseIterable { case ce, mse, tet, mseOneHot = "mse_onehot", yolo }

    public let mode: Mode
    public let epochs: Int
    public let loss: Loss
    public let labelSmoothing: Double?
    public let optimizer: OptimizerSettings
    public let schedule: ScheduleSettings
    public let gradClip: Double?
    /// Only when `mode` is `.convert`.
    public let conversion: ConversionSettings?
}

/// Optimizer and its hyper-parameters.
public struct OptimizerSettings: Sendable, Equatable {
    /// Optimizer algorithm.
    public enum Kind: String, Sendable, CaseIterable { case sgd, adam, adamw }

    public let kind: Kind
    public let lr: Double
    public let momentum: Double?
    public let nesterov: Bool?
    public let weightDecay: Double
    public let beta1: Double?
    public let beta2: Double?
    public let eps: Double?
}

/// Learning-rate schedule.
public struct ScheduleSettings: Sendable, Equatable {
    /// Curve after warm-up.
    public enum Kind: String, Sendable, CaseIterable { case constant, cosine, step, multistep }

    public let kind: Kind
    public let warmupEpochs: Int
    public let warmupLR: Double
    public let minLR: Double?
    public let stepSize: Int?
    public let milestones: [Int]?
    public let gamma: Double?
    public let perIteration: Bool
}

/// ANN-to-SNN conversion.
public struct ConversionSettings: Sendable, Equatable {
    /// Which activation value a layer's threshold covers.
    public enum Percentile: Sendable, Equatable {
        case percentile(Double)
        case max
    }

    /// How a converted rate-coded SNN max-pools spikes (`training.conversion.max_pool`).
    public enum MaxPool: String, Sendable, CaseIterable {
        case cumulative, gated, plain
    }

    public let calibrationBatches: Int
    public let percentile: Percentile
    public let timeSteps: [Int]
    /// Rate-coded neurons only (IF, LIF, PLIF); nil for SpikePack, which max-pools its values directly.
    public let maxPool: MaxPool?
}

/// Checkpoint cadence and best-model metric.
public struct CheckpointSettings: Sendable, Equatable {
    /// A metric a best checkpoint can be chosen by.
    public enum Metric: String, Sendable, CaseIterable { case top1, loss, map, miou }

    public let everyEpochs: Int
    public let everySteps: Int?
    public let keepBest: Metric?
}

/// Detector input size, decoding and previews (`detection:`).
public struct DetectionSettings: Sendable, Equatable {
    public let imageSize: Int
    public let scoreThreshold: Double
    public let nmsIoU: Double
    public let maxDetections: Int
    public let previews: Int
}
