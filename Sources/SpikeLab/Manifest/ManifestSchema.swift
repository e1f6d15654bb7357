/// Every manifest key: its type, default, range, when it applies, and one line of documentation;
/// plus the rules that relate keys to each other.
///
/// This table is the single source for validation, default filling, the resolved manifest and
/// `docs/manifest.md` (`ManifestDocumentation.markdown()`). Defaults follow SpikingJelly and
/// PyTorch, or the papers where they state one (see `shared/papers/baselines.md`).
public enum ManifestSchema {
    // MARK: Vocabularies

    /// Every dataset reader.
    public static let loaders = [
        "fashion_mnist", "mnist", "cifar10", "cifar100", "tinyimagenet", "imagenet", "sequential_cifar10",
        "sequential_cifar100", "cifar10_dvs", "dvs128_gesture", "nmnist", "shd", "speech_commands",
        "voc_detection", "voc_segmentation", "coco_detection",
    ]
    /// Loaders whose samples are event streams integrated into frames.
    public static let eventLoaders = ["cifar10_dvs", "dvs128_gesture", "nmnist", "shd"]
    /// Loaders of camera events (x, y, polarity), which event augmentations work on.
    public static let cameraEventLoaders = ["cifar10_dvs", "dvs128_gesture", "nmnist"]
    /// Loaders whose samples are sequences of vectors (one per time step) rather than images.
    public static let sequenceLoaders = ["sequential_cifar10", "sequential_cifar100", "shd", "speech_commands"]

    /// Every network architecture.
    public static let architectures = [
        "vgg_small", "spiking_cnn_28", "cifar_convnet", "seq_cifar_conv1d", "dvs_vgg", "shd_fc",
        "resnet18", "resnet19", "resnet20", "resnet34", "vgg11", "vgg16", "sew_resnet18", "spikformer",
        "general_snn_cnn", "general_snn_lstm", "yolo_tiny", "fcn",
    ]
    /// Architectures that take a sequence of vectors.
    public static let sequenceArchitectures = ["seq_cifar_conv1d", "shd_fc"]

    /// Every neuron variant; `relu` is the non-spiking activation of an ANN.
    public static let variants = [
        "if", "lif", "plif", "psn", "masked_psn", "sliding_psn", "psu", "ipsu", "rpsu", "spikepack",
        "general_snn", "relu",
    ]
    /// Variants with a membrane reset (`v_reset`, `detach_reset`).
    static let resetVariants = ["if", "lif", "plif"]
    /// Variants with a leak time constant τ.
    static let tauVariants = ["lif", "plif", "psu", "ipsu", "rpsu"]
    /// Variants that fire when the membrane crosses `v_threshold`.
    static let thresholdVariants = ["if", "lif", "plif", "psu", "ipsu", "rpsu", "spikepack", "general_snn"]
    /// Variants trained through a surrogate gradient.
    static let surrogateVariants = ["if", "lif", "plif", "psn", "masked_psn", "sliding_psn", "psu", "ipsu", "rpsu", "general_snn"]
    /// Variants whose learned weights are T×T, so the model is tied to one T.
    static let fixedWindowVariants = ["psn", "masked_psn", "ipsu", "rpsu"]
    /// Variants that can replace a ReLU in ANN-to-SNN conversion.
    static let convertibleVariants = ["if", "lif", "plif", "spikepack"]
    /// Loaders whose static images a converted SNN can take (direct encoding, as its ANN saw them).
    static let convertibleLoaders = ["fashion_mnist", "mnist", "cifar10", "cifar100", "tinyimagenet", "imagenet"]
    /// Architectures whose only non-linearities are the activation sites (conv, batch norm,
    /// pooling, residual additions, linear), so a ReLU ANN of them converts.
    static let convertibleArchitectures = ["spiking_cnn_28", "vgg_small", "cifar_convnet", "vgg11", "vgg16",
                                           "resnet18", "resnet19", "resnet20", "resnet34", "sew_resnet18"]
    /// Variants whose surrogate defaults to atan with α = 2 (PSN and PSU families).
    static let atanVariants = ["psn", "masked_psn", "sliding_psn", "psu", "ipsu", "rpsu"]

    /// Named normalisation constants `normalize` accepts.
    public static let normalizationPresets = ["mnist", "fashion_mnist", "cifar10", "cifar100", "imagenet"]

    /// Classes of each loader's task.
    static let classCounts: [String: Int] = [
        "fashion_mnist": 10, "mnist": 10, "cifar10": 10, "cifar100": 100, "tinyimagenet": 200, "imagenet": 1000,
        "sequential_cifar10": 10, "sequential_cifar100": 100, "cifar10_dvs": 10, "dvs128_gesture": 11,
        "nmnist": 10, "shd": 20, "speech_commands": 35, "voc_detection": 20, "voc_segmentation": 21,
        "coco_detection": 80,
    ]
    /// Input channels (or features per step) of each loader's samples.
    static let inputChannels: [String: Int] = [
        "fashion_mnist": 1, "mnist": 1, "cifar10": 3, "cifar100": 3, "tinyimagenet": 3, "imagenet": 3,
        "sequential_cifar10": 3, "sequential_cifar100": 3, "cifar10_dvs": 2, "dvs128_gesture": 2,
        "nmnist": 2, "shd": 700, "speech_commands": 40, "voc_detection": 3, "voc_segmentation": 3,
        "coco_detection": 3,
    ]
    /// Channels of each normalisation preset.
    static let presetChannels: [String: Int] = ["mnist": 1, "fashion_mnist": 1, "cifar10": 3, "cifar100": 3, "imagenet": 3]
    /// The task each loader serves.
    static func task(of loader: String) -> String {
        switch loader {
        case "voc_detection", "coco_detection": "detection"
        case "voc_segmentation": "segmentation"
        default: "classification"
        }
    }
    /// Where each loader's files live unless `data.root` says otherwise.
    static func defaultRoot(of loader: String) -> String {
        switch loader {
        case "fashion_mnist": "/usr/share/datasets/fashion-mnist"
        case "sequential_cifar10": "datasets/cifar10"
        case "sequential_cifar100": "datasets/cifar100"
        case "voc_detection", "voc_segmentation": "datasets/voc"
        case "coco_detection": "datasets/coco"
        default: "datasets/\(loader)"
        }
    }

    // MARK: Keys

    /// The top-level keys, in the order the resolved manifest writes them.
    public static let keys: [ManifestKey] = [
        ManifestKey("name", .identifier, default: .required,
                    "Experiment name; names the run directory."),
        ManifestKey("extends", .baseManifest, default: .null,
                    "Base manifest this one inherits from, relative to this file's directory; maps deep-merge, lists and scalars replace."),
        ManifestKey("paper", .text, default: .null, null: "not tied to a paper",
                    "Paper this experiment reproduces (psu, spikepack, general_snn, ...)."),
        ManifestKey("table", .text, default: .null, null: "not in a table", "Table of the paper this row belongs to."),
        ManifestKey("row", .text, default: .null, null: "not in a table", "Row label in that table."),
        ManifestKey("description", .text, default: .null, null: "no description", "Free text for people."),
        ManifestKey("seed", .integer(.atLeast(0)), default: .int(0),
                    "Seed of every random generator (initialisation, data order, augmentation)."),
        ManifestKey("task", .choice(["classification", "detection", "segmentation"]),
                    default: .computed(.init("the task of data.loader") { lookup in
                        lookup.text("data.loader").map { .value(.text(task(of: $0))) }
                    }),
                    "What the network predicts; decides metrics and heads."),
        ManifestKey("data", .section(dataKeys), default: .null, "Dataset, batching and augmentation."),
        ManifestKey("model", .section(modelKeys), default: .null, "Network architecture."),
        ManifestKey("neuron", .section(neuronKeys), default: .null, "Spiking neuron used in every activation site."),
        ManifestKey("training", .section(trainingKeys), default: .null, "Training mode, loss, optimizer, schedule."),
        ManifestKey("checkpoint", .section(checkpointKeys), default: .null, "When checkpoints are written and which is kept as best."),
        ManifestKey("detection", .section(detectionKeys), default: .null, when: .init("task", in: ["detection"]),
                    "Detector input size, decoding and previews (docs/detection.md)."),
        ManifestKey("profiles", .profiles, default: .null,
                    "Named override sets (`cpu: {...}`) applied with `--profile NAME`; a base's profiles are inherited and deep-merged."),
    ]

    static let dataKeys: [ManifestKey] = [
        ManifestKey("loader", .choice(loaders), default: .required, "Dataset reader (files in the publisher's format)."),
        ManifestKey("root", .path,
                    default: .computed(.init("/usr/share/datasets/fashion-mnist for fashion_mnist (Debian package), else datasets/LOADER") { lookup in
                        lookup.text("data.loader").map { .value(.text(defaultRoot(of: $0))) }
                    }),
                    "Directory of the dataset files; a relative path is relative to the current directory."),
        ManifestKey("batch_size", .integer(.atLeast(1)), default: .required, "Training samples per batch."),
        ManifestKey("eval_batch_size", .integer(.atLeast(1)),
                    default: .computed(.init("data.batch_size") { lookup in lookup.value("data.batch_size").map { .value($0) } }),
                    "Samples per batch during evaluation."),
        ManifestKey("subset", .integer(.atLeast(1)), default: .null, null: "the whole training set",
                    "Train on the first n samples of the training set after a shuffle seeded by `seed`."),
        ManifestKey("test_subset", .integer(.atLeast(1)), default: .null, null: "the whole test set",
                    "Evaluate on the first n samples of the test set after a shuffle seeded by `seed`."),
        ManifestKey("prefetch", .integer(.atLeast(0)), default: .int(2),
                    "Batches prepared ahead on a background thread; 0 prepares each batch when it is needed."),
        ManifestKey("resize", .integer(.atLeast(1)), default: .null, null: "keep the dataset's size",
                    "Resize images or event frames to this side length (bilinear), before augmentation; imagenet: the side its images are decoded to (default 224: train resized and centre-cropped, test resized to side/0.875 and centre-cropped)."),
        ManifestKey("augment", .transforms(transforms), default: .value(.list([])),
                    "Transforms applied in order; random ones only in training, `normalize` in training and evaluation."),
        ManifestKey("frames", .section(frameKeys), default: .null, when: .init("data.loader", in: eventLoaders),
                    "How event streams are integrated into frames (SpikingJelly semantics)."),
        ManifestKey("split", .choice(["per_class_first_90", "random_90", "tebn"]), default: .required,
                    when: .init("data.loader", in: ["cifar10_dvs"]),
                    "CIFAR10-DVS train/test split (it has no official one): first 90% of each class, a seeded random 90%, or TEBN's (per class 0-99 test)."),
    ]

    static let frameKeys: [ManifestKey] = [
        ManifestKey("time_steps", .integer(.atLeast(1)),
                    default: .computed(.init("neuron.time_steps") { lookup in lookup.value("neuron.time_steps").map { .value($0) } }),
                    "Frames per sample; each frame is one time step of the network."),
        ManifestKey("split_by", .choice(["number", "time", "duration"]), default: .text("number"),
                    "number: equal event counts per frame; time: equal durations spanning the sample; duration: fixed `duration_us` per frame."),
        ManifestKey("duration_us", .integer(.atLeast(1)), default: .required,
                    when: .init("data.frames.split_by", in: ["duration"]),
                    "Frame length in microseconds; frames past `time_steps` are dropped, missing ones are zero."),
    ]

    static let modelKeys: [ManifestKey] = [
        ManifestKey("arch", .choice(architectures), default: .required, "Network architecture."),
        ManifestKey("num_classes", .integer(.atLeast(1)),
                    default: .computed(.init("the class count of data.loader") { lookup in
                        lookup.text("data.loader").flatMap { classCounts[$0] }.map { .value(.int($0)) }
                    }),
                    "Output classes (segmentation counts the background)."),
        ManifestKey("width", .number(.above(0)), default: .number(1.0),
                    "Channel-width multiplier applied to every layer (0.25 = quarter width)."),
        ManifestKey("in_channels", .integer(.atLeast(1)),
                    default: .computed(.init("the channels of data.loader's samples") { lookup in
                        lookup.text("data.loader").flatMap { inputChannels[$0] }.map { .value(.int($0)) }
                    }),
                    "Input channels (features per step for sequence data)."),
        ManifestKey("dropout", .number(.between(0, 1, upperInclusive: false)), default: .number(0.0),
                    "Dropout probability where the architecture has dropout layers."),
        ManifestKey("spikformer", .section(spikformerKeys), default: .null, when: .init("model.arch", in: ["spikformer"]),
                    "Spikformer size and stem (Spikformer-depth-embed_dim)."),
    ]

    static let spikformerKeys: [ManifestKey] = [
        ManifestKey("depth", .integer(.atLeast(1)), default: .int(4), "Encoder blocks (4 in Spikformer-4-384, 8 in Spikformer-8-512)."),
        ManifestKey("embed_dim", .integer(.atLeast(1)), default: .int(384),
                    "Embedding width D before model.width scales it (rounded to a multiple of heads)."),
        ManifestKey("heads", .integer(.atLeast(1)), default: .int(12), "Attention heads (12 for -4-384 on CIFAR, 8 for -8-512 on ImageNet)."),
        ManifestKey("mlp_ratio", .integer(.atLeast(1)), default: .int(4), "MLP hidden width over D."),
        ManifestKey("stem", .choice(["cifar", "imagenet"]),
                    default: .computed(.init("imagenet for data.loader imagenet, else cifar") { lookup in
                        lookup.text("data.loader").map { .value(.text($0 == "imagenet" ? "imagenet" : "cifar")) }
                    }),
                    "Patch splitting: cifar pools twice (32 → 8×8 tokens), imagenet four times (224 → 14×14 tokens), as the authors' two codes."),
    ]

    static let neuronKeys: [ManifestKey] = [
        ManifestKey("variant", .choice(variants),
                    default: .computed(.init("relu when training.mode is ann, else lif") { lookup in
                        lookup.text("training.mode").map { .value(.text($0 == "ann" ? "relu" : "lif")) }
                    }),
                    "Neuron model; relu is the activation of a non-spiking ANN."),
        ManifestKey("time_steps", .integer(.atLeast(1)),
                    default: .computed(.init("1 for relu and general_snn; none for psn, masked_psn, ipsu, rpsu (must be set); else 4") { lookup in
                        guard let variant = lookup.text("neuron.variant") else { return nil }
                        if ["relu", "general_snn"].contains(variant) { return .value(.int(1)) }
                        if fixedWindowVariants.contains(variant) {
                            return .required("\(variant) learns T x T weights, so the model is tied to one T; state it")
                        }
                        return .value(.int(4))
                    }),
                    "Simulation time steps T (the input is presented at every step)."),
        ManifestKey("v_threshold", .number(.above(0)),
                    default: .computed(.init("0.5 for general_snn, else 1.0") { lookup in
                        lookup.text("neuron.variant").map { .value(.number($0 == "general_snn" ? 0.5 : 1.0)) }
                    }),
                    when: .init("neuron.variant", in: thresholdVariants),
                    "Firing threshold V_th (SpikePack: the initial θ)."),
        ManifestKey("tau", .number(.above(1)), default: .number(2.0), when: .init("neuron.variant", in: tauVariants),
                    "Membrane time constant τ (PLIF: its initial value)."),
        ManifestKey("v_reset", .number(nil),
                    default: .computed(.init("null (soft reset) when training.mode is convert, else 0.0") { lookup in
                        lookup.text("training.mode").map { .value($0 == "convert" ? .null : .number(0.0)) }
                    }),
                    null: "soft reset: subtract v_threshold after a spike",
                    when: .init("neuron.variant", in: resetVariants),
                    "Membrane value after a spike (hard reset)."),
        ManifestKey("decay_input", .bool, default: .bool(true), when: .init("neuron.variant", in: ["lif", "plif"]),
                    "Whether the input is divided by τ too (SpikingJelly's decay_input)."),
        ManifestKey("detach_reset", .bool, default: .bool(false), when: .init("neuron.variant", in: resetVariants),
                    "Stop the gradient through the spike inside the reset term."),
        ManifestKey("surrogate", .section(surrogateKeys), default: .null, when: .init("neuron.variant", in: surrogateVariants),
                    "Surrogate gradient of the Heaviside step."),
        ManifestKey("order", .integer(.atLeast(1)), default: .required, when: .init("neuron.variant", in: ["masked_psn", "sliding_psn"]),
                    "Order k: how many past steps feed each step."),
        ManifestKey("lambda_ramp_epochs", .integer(.atLeast(1)),
                    default: .computed(.init("training.epochs") { lookup in lookup.value("training.epochs").map { .value($0) } }),
                    when: .init("neuron.variant", in: ["masked_psn"]),
                    "Epochs over which the mask weight λ ramps linearly from 0 to 1."),
        ManifestKey("ipsu_reset", .choice(["linear", "sigmoid"]), default: .text("linear"), when: .init("neuron.variant", in: ["ipsu"]),
                    "IPSU reset term: R·X as the authors' code ships it (linear), or R·σ(H) (their commented-out variant)."),
        ManifestKey("spikepack", .section(spikePackKeys), default: .null, when: .init("neuron.variant", in: ["spikepack"]),
                    "SpikePack options."),
        ManifestKey("general_snn", .section(generalSNNKeys), default: .null, when: .init("neuron.variant", in: ["general_snn"]),
                    "Options of the single-step general SNN neuron."),
    ]

    static let surrogateKeys: [ManifestKey] = [
        ManifestKey("kind", .choice(["sigmoid", "atan", "rectangle", "triangle"]),
                    default: .computed(.init("atan for the PSN and PSU families, rectangle for general_snn, else sigmoid") { lookup in
                        guard let variant = lookup.text("neuron.variant") else { return nil }
                        if atanVariants.contains(variant) { return .value(.text("atan")) }
                        return .value(.text(variant == "general_snn" ? "rectangle" : "sigmoid"))
                    }),
                    "Shape of the surrogate derivative."),
        ManifestKey("alpha", .number(.above(0)),
                    default: .computed(.init("4 for sigmoid, 2 for atan, 1 for rectangle and triangle") { lookup in
                        guard let kind = lookup.text("neuron.surrogate.kind") else { return nil }
                        let alpha: Double = switch kind { case "sigmoid": 4; case "atan": 2; default: 1 }
                        return .value(.number(alpha))
                    }),
                    "Sharpness (sigmoid, atan) or width (rectangle, triangle)."),
        ManifestKey("learnable_alpha", .bool,
                    default: .computed(.init("true for psu, ipsu, rpsu (the authors' code), else false") { lookup in
                        lookup.text("neuron.variant").map { .value(.bool(["psu", "ipsu", "rpsu"].contains($0))) }
                    }),
                    "Learn α as a parameter of each neuron layer."),
    ]

    static let spikePackKeys: [ManifestKey] = [
        ManifestKey("base", .number(.atLeast(1)), default: .number(2.0),
                    "Base τ of the packed value (2: T-bit uniform levels; 1: rate coding like IF)."),
        ManifestKey("rounding", .choice(["floor", "nearest"]), default: .text("floor"),
                    "How the membrane is rounded to a packed level."),
        ManifestKey("threshold", .choice(["fixed", "learnable", "calibrated"]),
                    default: .computed(.init("calibrated when training.mode is convert, else learnable") { lookup in
                        lookup.text("training.mode").map { .value(.text($0 == "convert" ? "calibrated" : "learnable")) }
                    }),
                    "θ stays v_threshold (fixed), is trained (learnable), or is set from activations (calibrated, conversion only)."),
    ]

    static let generalSNNKeys: [ManifestKey] = [
        ManifestKey("leak", .number(.between(0, 1, lowerInclusive: false, upperInclusive: false)), default: .number(0.4),
                    "Membrane leak factor between windows."),
        ManifestKey("projection", .choice(["sincos", "mean"]), default: .text("sincos"),
                    "Projection merging recurrent membranes: 2·sin(π/4·a·cos(π/4·b)) or (a + b)/2."),
        ManifestKey("overlap_threshold", .number(.between(0, 1, upperInclusive: false)), default: .null,
                    null: "keep the averaged overlaps",
                    "general_snn_cnn, overlapping windows: averaged spikes above this become 1 before fc (0.2 in the authors' CIFAR-100 code)."),
    ]

    static let trainingKeys: [ManifestKey] = [
        ManifestKey("mode", .choice(["direct", "convert", "ann"]), default: .text("direct"),
                    "direct: train the SNN with surrogate gradients; convert: train a ReLU ANN, then convert; ann: train the ANN only."),
        ManifestKey("epochs", .integer(.atLeast(1)), default: .required, "Training epochs (convert: of the ANN)."),
        ManifestKey("loss", .choice(["ce", "mse", "tet", "mse_onehot", "yolo"]),
                    default: .computed(.init("yolo for detection, else ce") { lookup in
                        lookup.text("task").map { .value(.text($0 == "detection" ? "yolo" : "ce")) }
                    }),
                    "ce: cross-entropy of the mean-over-T logits; mse: MSE of the mean output to the one-hot label; tet: mean over T of per-step CE; mse_onehot: output clamped at 1, MSE to one-hot (BrainCog's UnilateralMse); yolo: YOLOv3's box, objectness and class loss (detection, docs/detection.md)."),
        ManifestKey("label_smoothing", .number(.between(0, 1, upperInclusive: false)), default: .number(0.0),
                    when: .init("training.loss", in: ["ce", "tet"]), "Label smoothing of the cross-entropy."),
        ManifestKey("optimizer", .section(optimizerKeys), default: .null, "Optimizer (PyTorch's algorithms)."),
        ManifestKey("schedule", .section(scheduleKeys), default: .null, "Learning-rate schedule."),
        ManifestKey("grad_clip", .number(.above(0)), default: .null, null: "no clipping",
                    "Clip the global L2 norm of all gradients to this value."),
        ManifestKey("conversion", .section(conversionKeys), default: .null, when: .init("training.mode", in: ["convert"]),
                    "ANN-to-SNN conversion."),
    ]

    static let optimizerKeys: [ManifestKey] = [
        ManifestKey("kind", .choice(["sgd", "adam", "adamw"]), default: .text("sgd"), "Optimizer algorithm."),
        ManifestKey("lr", .number(.above(0)), default: .required, "Learning rate (the peak, after warm-up)."),
        ManifestKey("momentum", .number(.between(0, 1, upperInclusive: false)), default: .number(0.0),
                    when: .init("training.optimizer.kind", in: ["sgd"]), "SGD momentum."),
        ManifestKey("nesterov", .bool, default: .bool(false), when: .init("training.optimizer.kind", in: ["sgd"]),
                    "Nesterov momentum (needs momentum > 0)."),
        ManifestKey("weight_decay", .number(.atLeast(0)),
                    default: .computed(.init("0.01 for adamw, else 0 (PyTorch)") { lookup in
                        lookup.text("training.optimizer.kind").map { .value(.number($0 == "adamw" ? 0.01 : 0.0)) }
                    }),
                    "L2 penalty (sgd, adam) or decoupled weight decay (adamw)."),
        ManifestKey("betas", .list(.number(.between(0, 1, upperInclusive: false)), count: 2...2),
                    default: .value(.list([.number(0.9), .number(0.999)])),
                    when: .init("training.optimizer.kind", in: ["adam", "adamw"]), "Adam's moment decay rates."),
        ManifestKey("eps", .number(.above(0)), default: .number(1e-8), when: .init("training.optimizer.kind", in: ["adam", "adamw"]),
                    "Adam's denominator term."),
    ]

    static let scheduleKeys: [ManifestKey] = [
        ManifestKey("kind", .choice(["constant", "cosine", "step", "multistep"]), default: .text("constant"),
                    "Shape of the learning-rate curve after warm-up."),
        ManifestKey("warmup_epochs", .integer(.atLeast(0)), default: .int(0), "Epochs of linear warm-up from warmup_lr to lr."),
        ManifestKey("warmup_lr", .number(.atLeast(0)), default: .number(0.0), "Learning rate at the start of warm-up."),
        ManifestKey("min_lr", .number(.atLeast(0)), default: .number(0.0), when: .init("training.schedule.kind", in: ["cosine"]),
                    "Rate the cosine ends at."),
        ManifestKey("step_size", .integer(.atLeast(1)), default: .required, when: .init("training.schedule.kind", in: ["step"]),
                    "Epochs between decays."),
        ManifestKey("milestones", .list(.integer(.atLeast(1)), count: 1...Int.max), default: .required,
                    when: .init("training.schedule.kind", in: ["multistep"]), "Epochs at which the rate decays, increasing."),
        ManifestKey("gamma", .number(.above(0)), default: .number(0.1), when: .init("training.schedule.kind", in: ["step", "multistep"]),
                    "Decay factor at each step or milestone."),
        ManifestKey("per_iteration", .bool, default: .bool(false),
                    "Update the rate at every iteration instead of once per epoch (timm style)."),
    ]

    static let conversionKeys: [ManifestKey] = [
        ManifestKey("calibration_batches", .integer(.atLeast(1)), default: .int(10),
                    "Training batches whose activations set each layer's threshold."),
        ManifestKey("percentile", .either([.number(.between(0, 100, lowerInclusive: false)), .choice(["max"])]), default: .number(99.9),
                    "Percentile of a layer's activations its threshold covers, or max."),
        ManifestKey("time_steps", .list(.integer(.atLeast(1)), count: 1...Int.max),
                    default: .computed(.init("[neuron.time_steps]") { lookup in
                        lookup.value("neuron.time_steps").map { .value(.list([$0])) }
                    }),
                    "Time steps at which the converted SNN is evaluated."),
        ManifestKey("max_pool", .choice(["cumulative", "gated", "plain"]), default: .text("cumulative"),
                    when: .init("neuron.variant", in: ["if", "lif", "plif"]),
                    "How rate-coded spikes are max-pooled: emit each rise of the window's largest spike count (cumulative, exact), Rueckauer et al.'s gate (gated), or the max of each step's spikes (plain)."),
    ]

    static let checkpointKeys: [ManifestKey] = [
        ManifestKey("every_epochs", .integer(.atLeast(1)), default: .int(1), "Write checkpoints/last.h5 every n epochs."),
        ManifestKey("every_steps", .integer(.atLeast(1)), default: .null, null: "only at epoch ends",
                    "Also write it every n optimizer steps."),
        ManifestKey("keep_best", .choice(["top1", "loss", "map", "miou"]),
                    default: .computed(.init("top1 (classification), map (detection), miou (segmentation)") { lookup in
                        lookup.text("task").map { task in
                            .value(.text(["detection": "map", "segmentation": "miou"][task] ?? "top1"))
                        }
                    }),
                    null: "keep no best.h5", "Metric whose best value is kept as checkpoints/best.h5."),
    ]

    static let detectionKeys: [ManifestKey] = [
        ManifestKey("image_size", .integer(.atLeast(32)), default: .int(416),
                    "Side of the square network input: each image is letterboxed into it (aspect kept, grey padding); a multiple of 32."),
        ManifestKey("score_threshold", .number(.between(0, 1, upperInclusive: false)), default: .number(0.01),
                    "Keep a (box, class) candidate whose score, objectness x class probability, exceeds this."),
        ManifestKey("nms_iou", .number(.between(0, 1, lowerInclusive: false)), default: .number(0.45),
                    "Class-wise non-maximum suppression drops a box overlapping a better one of its class above this IoU."),
        ManifestKey("max_detections", .integer(.atLeast(1)), default: .int(100),
                    "Detections kept per image after suppression, best first (COCO scores at most 100)."),
        ManifestKey("previews", .integer(.atLeast(0)), default: .int(4),
                    "Test images drawn with predicted and true boxes to previews/*.png after each evaluation."),
    ]

    // MARK: Augmentations

    /// The transforms `data.augment` accepts.
    public static let transforms: [TransformSpec] = [
        TransformSpec("random_crop", .section([
            ManifestKey("size", .integer(.atLeast(1)), default: .required, "Side of the crop."),
            ManifestKey("padding", .integer(.atLeast(0)), default: .int(0), "Zero padding added on every side first."),
        ]), "Random crop after padding."),
        TransformSpec("random_resized_crop", .section([
            ManifestKey("size", .integer(.atLeast(1)), default: .required, "Output side."),
            ManifestKey("scale", .list(.number(.between(0, 1, lowerInclusive: false)), count: 2...2),
                        default: .value(.list([.number(0.08), .number(1.0)])), "Range of the cropped area fraction."),
        ]), "Random area and aspect crop resized to size (torchvision)."),
        TransformSpec("horizontal_flip", .section([
            ManifestKey("p", .number(.between(0, 1)), default: .number(0.5), "Flip probability."),
        ]), "Random horizontal flip."),
        TransformSpec("random_rotation", .section([
            ManifestKey("degrees", .number(.between(0, 180, lowerInclusive: false)), default: .required, "Maximum angle either way."),
        ]), "Random rotation in [-degrees, degrees], bilinear, zero fill (torchvision's RandomRotation on a PIL image)."),
        TransformSpec("rand_augment", .section([
            ManifestKey("n", .integer(.atLeast(1)), default: .int(2), "Operations per image."),
            ManifestKey("m", .integer(.between(0, 30)), default: .int(9), "Magnitude level; each drawn level is clipped to 0–10 (timm)."),
            ManifestKey("mstd", .number(.atLeast(0)), default: .number(0.5), "Standard deviation of the magnitude."),
        ]), "RandAugment (timm's rand-m9-mstd0.5 by default; each chosen op applies with probability 0.5)."),
        TransformSpec("auto_augment", .section([
            ManifestKey("policy", .choice(["original", "v0"]), default: .text("original"), "timm AutoAugment policy."),
        ]), "AutoAugment with a learned ImageNet policy."),
        TransformSpec("color_jitter", .section([
            ManifestKey("strength", .number(.atLeast(0)), default: .number(0.4), "Brightness, contrast and saturation jitter."),
        ]), "Colour jitter."),
        TransformSpec("random_erasing", .section([
            ManifestKey("p", .number(.between(0, 1)), default: .number(0.25), "Probability of erasing a random rectangle."),
        ]), "Random erasing (timm, per-pixel N(0, 1) noise); goes after normalize."),
        TransformSpec("normalize", .either([
            .choice(normalizationPresets),
            .section([
                ManifestKey("mean", .list(.number(nil), count: 1...Int.max), default: .required, "Per-channel mean."),
                ManifestKey("std", .list(.number(.above(0)), count: 1...Int.max), default: .required, "Per-channel standard deviation."),
            ]),
        ]), "Subtract the mean and divide by the std per channel: a dataset's constants by name, or {mean: [...], std: [...]}."),
        TransformSpec("event_random_crop", .section([
            ManifestKey("size", .integer(.atLeast(1)), default: .required, "Side of the crop."),
            ManifestKey("padding", .integer(.atLeast(0)), default: .int(0), "Zero padding added on every side first."),
        ]), loaders: cameraEventLoaders, "The same random crop of every frame of an event sample."),
        TransformSpec("event_flip", .section([
            ManifestKey("p", .number(.between(0, 1)), default: .number(0.5), "Flip probability."),
        ]), loaders: cameraEventLoaders, "Horizontal flip of every frame of an event sample."),
        TransformSpec("event_rotation", .section([
            ManifestKey("degrees", .number(.between(0, 180)), default: .required, "Maximum angle either way."),
        ]), loaders: cameraEventLoaders, "The same random rotation in [-degrees, degrees] of every frame of an event sample."),
    ]

    // MARK: Lookup

    /// The key at a dotted path, or nil.
    public static func key(at keyPath: String) -> ManifestKey? {
        var level = keys
        var found: ManifestKey?
        for part in keyPath.split(separator: ".") {
            guard let next = level.first(where: { $0.name == part }) else { return nil }
            found = next
            level = next.children ?? []
        }
        return found
    }

    /// Every key path of the schema, depth first in schema order.
    public static var allKeyPaths: [String] {
        func walk(_ keys: [ManifestKey], _ prefix: String) -> [String] {
            keys.flatMap { key -> [String] in
                let path = prefix.isEmpty ? key.name : "\(prefix).\(key.name)"
                return [path] + walk(key.children ?? [], path)
            }
        }
        return walk(keys, "")
    }
}

extension ManifestDefault {
    /// Optional key, absent unless set.
    public static let null = ManifestDefault.value(.null)
    static func int(_ v: Int) -> ManifestDefault { .value(.int(v)) }
    static func number(_ v: Double) -> ManifestDefault { .value(.number(v)) }
    static func text(_ v: String) -> ManifestDefault { .value(.text(v)) }
    static func bool(_ v: Bool) -> ManifestDefault { .value(.bool(v)) }
}
