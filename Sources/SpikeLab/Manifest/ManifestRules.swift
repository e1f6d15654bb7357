/// A relation between settings that no single key's type can express.
public struct ManifestRule: Sendable {
    /// A broken rule: the message, and the keys involved, the one to change first.
    struct Violation {
        let keyPaths: [String]
        let message: String
    }

    /// One line for the documentation.
    public let doc: String
    let check: @Sendable (ManifestLookup) -> [Violation]

    init(_ doc: String, _ check: @escaping @Sendable (ManifestLookup) -> [Violation]) {
        self.doc = doc
        self.check = check
    }
}

extension ManifestSchema {
    /// Every cross-key rule; checked after types, ranges and defaults, on the resolved values.
    /// A rule whose inputs are invalid is skipped (their own errors are already reported).
    public static let rules: [ManifestRule] = [
        ManifestRule("task must be the task of data.loader (detection: voc_detection, coco_detection; segmentation: voc_segmentation).") { m in
            guard let task = m.text("task"), let loader = m.text("data.loader"), task != ManifestSchema.task(of: loader) else { return [] }
            return [.init(keyPaths: ["task", "data.loader"],
                          message: "task \(task) does not fit data.loader \(loader), which serves \(ManifestSchema.task(of: loader))")]
        },
        ManifestRule("model.arch yolo_tiny is for detection, fcn for segmentation, every other arch for classification.") { m in
            guard let arch = m.text("model.arch"), let task = m.text("task") else { return [] }
            let archTask = ["yolo_tiny": "detection", "fcn": "segmentation"][arch] ?? "classification"
            guard archTask != task else { return [] }
            return [.init(keyPaths: ["model.arch", "task"], message: "arch \(arch) is a \(archTask) network, but task is \(task)")]
        },
        ManifestRule("training.loss yolo is the detection loss: detection needs it, and no other task can use it.") { m in
            guard let loss = m.text("training.loss"), let task = m.text("task"), (loss == "yolo") != (task == "detection") else { return [] }
            return [.init(keyPaths: ["training.loss", "task"],
                          message: task == "detection" ? "a detector trains with loss yolo (box, objectness and class terms), not \(loss)"
                                                       : "loss yolo trains a detector; task is \(task)")]
        },
        ManifestRule("detection.image_size must be a multiple of 32 (the detector's coarsest stride).") { m in
            guard let size = m.int("detection.image_size"), size % 32 != 0 else { return [] }
            let lower = size / 32 * 32
            return [.init(keyPaths: ["detection.image_size"],
                          message: "\(size) is not a multiple of 32 (the stride of the coarsest output); use \(lower > 0 ? "\(lower) or " : "")\(lower + 32)")]
        },
        ManifestRule("Detection letterboxes images to detection.image_size: data.resize does not apply to it.") { m in
            guard m.text("task") == "detection", let resize = m.int("data.resize") else { return [] }
            return [.init(keyPaths: ["data.resize", "detection.image_size"],
                          message: "data.resize \(resize) would stretch detection images; remove it and set detection.image_size (images are letterboxed to it)")]
        },
        ManifestRule("Detection augments with horizontal_flip (boxes flip too) and normalize only.") { m in
            guard m.text("task") == "detection", let augment = m.value("data.augment")?.list else { return [] }
            var violations: [ManifestRule.Violation] = []
            for (index, item) in augment.enumerated() {
                let name: String? = item.text ?? { if case let .map(fields) = item { return fields.first?.key } else { return nil } }()
                guard let name, !["horizontal_flip", "normalize"].contains(name) else { continue }
                violations.append(.init(keyPaths: ["data.augment[\(index)]"],
                                        message: "\(name) would move pixels without moving the boxes; detection takes horizontal_flip and normalize"))
            }
            return violations
        },
        ManifestRule("model.arch fcn needs data.resize, a multiple of 8: images of every size become one square side, and fcn's class scores are 1/8 of it.") { m in
            guard m.text("model.arch") == "fcn", let resize = m.value("data.resize") else { return [] }
            if let side = resize.int {
                guard side % 8 != 0 else { return [] }
                return [.init(keyPaths: ["data.resize", "model.arch"],
                              message: "data.resize \(side) is not a multiple of 8, fcn's output stride; use e.g. \(max(8, side / 8 * 8))")]
            }
            return [.init(keyPaths: ["data.resize", "model.arch"],
                          message: "arch fcn needs data.resize (images of every size are resized to one square side): a multiple of 8, e.g. 96")]
        },
        ManifestRule("Sequence data (sequential_cifar10/100, shd, speech_commands) needs a sequence arch (seq_cifar_conv1d, shd_fc), and those archs need sequence data.") { m in
            guard let arch = m.text("model.arch"), let loader = m.text("data.loader") else { return [] }
            let sequenceData = sequenceLoaders.contains(loader), sequenceArch = sequenceArchitectures.contains(arch)
            guard sequenceData != sequenceArch else { return [] }
            let message = sequenceData
                ? "data.loader \(loader) gives one vector per time step; use a sequence arch (\(sequenceArchitectures.joined(separator: ", "))), not \(arch)"
                : "arch \(arch) takes one vector per time step; data.loader \(loader) gives images or frames"
            return [.init(keyPaths: ["model.arch", "data.loader"], message: message)]
        },
        ManifestRule("neuron.variant general_snn goes with arch general_snn_cnn or general_snn_lstm, and those archs with general_snn.") { m in
            guard let variant = m.text("neuron.variant"), let arch = m.text("model.arch") else { return [] }
            let generalArch = arch.hasPrefix("general_snn_")
            guard (variant == "general_snn") != generalArch, variant != "relu" else { return [] }
            return [.init(keyPaths: ["neuron.variant", "model.arch"],
                          message: variant == "general_snn"
                              ? "variant general_snn is the token mixer of arch general_snn_cnn or general_snn_lstm, not of \(arch)"
                              : "arch \(arch) is built around the general_snn neuron; variant \(variant) cannot replace it")]
        },
        ManifestRule("neuron.general_snn.overlap_threshold is a quirk of the convolutional form: it needs arch general_snn_cnn.") { m in
            guard m.number("neuron.general_snn.overlap_threshold") != nil, let arch = m.text("model.arch"),
                  arch != "general_snn_cnn" else { return [] }
            return [.init(keyPaths: ["neuron.general_snn.overlap_threshold", "model.arch"],
                          message: "overlap_threshold binarises the overlapping windows of general_snn_cnn (the authors' CIFAR-100 file); arch \(arch) does not use it (remove the key)")]
        },
        ManifestRule("training.mode ann trains a non-spiking network: neuron.variant must be relu; relu needs mode ann.") { m in
            guard let mode = m.text("training.mode"), let variant = m.text("neuron.variant") else { return [] }
            if mode == "ann", variant != "relu" {
                return [.init(keyPaths: ["neuron.variant", "training.mode"],
                              message: "training.mode ann trains a non-spiking network, so neuron.variant must be relu, not \(variant) (for an SNN use mode direct; for ANN-to-SNN use mode convert)")]
            }
            if mode != "ann", variant == "relu" {
                return [.init(keyPaths: ["neuron.variant", "training.mode"],
                              message: "relu does not spike; training.mode \(mode) needs a spiking variant (use mode ann to train an ANN)")]
            }
            return []
        },
        ManifestRule("training.mode convert replaces each ReLU by if, lif, plif or spikepack; the PSN and PSU families and general_snn mix time steps and cannot.") { m in
            guard m.text("training.mode") == "convert", let variant = m.text("neuron.variant"),
                  !convertibleVariants.contains(variant), variant != "relu" else { return [] }
            return [.init(keyPaths: ["neuron.variant", "training.mode"],
                          message: "training.mode convert replaces each ReLU of a trained ANN by a spiking neuron; \(variant) cannot replace an activation (use \(convertibleVariants.joined(separator: ", ")))")]
        },
        ManifestRule("training.mode convert needs static images (fashion_mnist, mnist, cifar10, cifar100, tinyimagenet, imagenet) and a feed-forward CNN (spiking_cnn_28, vgg_small, cifar_convnet, vgg11, vgg16, resnet18/19/20/34, sew_resnet18).") { m in
            guard m.text("training.mode") == "convert" else { return [] }
            var violations: [ManifestRule.Violation] = []
            if let loader = m.text("data.loader"), !convertibleLoaders.contains(loader) {
                violations.append(.init(keyPaths: ["data.loader", "training.mode"],
                                        message: "training.mode convert evaluates the SNN on the images its ANN was trained on; data.loader \(loader) is not one (use \(convertibleLoaders.joined(separator: ", ")))"))
            }
            if let arch = m.text("model.arch"), !convertibleArchitectures.contains(arch) {
                violations.append(.init(keyPaths: ["model.arch", "training.mode"],
                                        message: "training.mode convert replaces ReLUs in a feed-forward CNN; arch \(arch) is not one that converts (use \(convertibleArchitectures.joined(separator: ", ")))"))
            }
            return violations
        },
        ManifestRule("training.conversion.time_steps must include neuron.time_steps (the T of the converted checkpoint and of the table row); spikepack packs at most 24 steps.") { m in
            guard m.text("training.mode") == "convert", let steps = m.value("training.conversion.time_steps")?.list?.compactMap(\.int),
                  let t = m.int("neuron.time_steps") else { return [] }
            var violations: [ManifestRule.Violation] = []
            if !steps.contains(t) {
                violations.append(.init(keyPaths: ["training.conversion.time_steps", "neuron.time_steps"],
                                        message: "training.conversion.time_steps \(steps) must include neuron.time_steps \(t), the T the converted checkpoint keeps and tables report (add \(t), or change neuron.time_steps to one of them)"))
            }
            if m.text("neuron.variant") == "spikepack", let big = steps.first(where: { $0 > 24 }) {
                violations.append(.init(keyPaths: ["training.conversion.time_steps", "neuron.variant"],
                                        message: "spikepack packs 1 to 24 time steps into one value; training.conversion.time_steps has \(big)"))
            }
            if Set(steps).count != steps.count {
                violations.append(.init(keyPaths: ["training.conversion.time_steps"],
                                        message: "training.conversion.time_steps \(steps) names a T twice; list each once"))
            }
            return violations
        },
        ManifestRule("neuron.spikepack.threshold calibrated needs training.mode convert; learnable needs mode direct.") { m in
            guard let threshold = m.text("neuron.spikepack.threshold"), let mode = m.text("training.mode") else { return [] }
            if threshold == "calibrated", mode != "convert" {
                return [.init(keyPaths: ["neuron.spikepack.threshold", "training.mode"],
                              message: "calibrated thresholds are set from a trained ANN's activations, which needs training.mode convert (mode is \(mode)); use learnable or fixed")]
            }
            if threshold == "learnable", mode == "convert" {
                return [.init(keyPaths: ["neuron.spikepack.threshold", "training.mode"],
                              message: "training.mode convert does not train the SNN, so a learnable threshold never learns; use calibrated or fixed")]
            }
            return []
        },
        ManifestRule("training.loss tet averages per-step losses: it needs training.mode direct.") { m in
            guard m.text("training.loss") == "tet", let mode = m.text("training.mode"), mode != "direct" else { return [] }
            return [.init(keyPaths: ["training.loss", "training.mode"],
                          message: "loss tet averages the loss over time steps, which only an SNN trained directly has (training.mode is \(mode))")]
        },
        ManifestRule("training.optimizer.nesterov needs momentum > 0.") { m in
            guard m.bool("training.optimizer.nesterov") == true, let momentum = m.number("training.optimizer.momentum"), momentum <= 0 else { return [] }
            return [.init(keyPaths: ["training.optimizer.nesterov", "training.optimizer.momentum"],
                          message: "Nesterov momentum needs training.optimizer.momentum > 0 (it is \(momentum))")]
        },
        ManifestRule("training.schedule.milestones must increase strictly.") { m in
            guard let milestones = m.value("training.schedule.milestones")?.list?.compactMap(\.int),
                  zip(milestones, milestones.dropFirst()).contains(where: { $0 >= $1 }) else { return [] }
            return [.init(keyPaths: ["training.schedule.milestones"],
                          message: "milestones \(milestones) must increase strictly")]
        },
        ManifestRule("training.schedule.warmup_epochs must be fewer than training.epochs.") { m in
            guard let warmup = m.int("training.schedule.warmup_epochs"), let epochs = m.int("training.epochs"), warmup >= epochs else { return [] }
            return [.init(keyPaths: ["training.schedule.warmup_epochs", "training.epochs"],
                          message: "warm-up of \(warmup) epochs leaves nothing of training.epochs \(epochs); use fewer")]
        },
        ManifestRule("neuron.order may not exceed neuron.time_steps.") { m in
            guard let order = m.int("neuron.order"), let steps = m.int("neuron.time_steps"), order > steps else { return [] }
            return [.init(keyPaths: ["neuron.order", "neuron.time_steps"],
                          message: "order \(order) exceeds neuron.time_steps \(steps)")]
        },
        ManifestRule("relu and general_snn run one time step: neuron.time_steps must be 1.") { m in
            guard let variant = m.text("neuron.variant"), ["relu", "general_snn"].contains(variant),
                  let steps = m.int("neuron.time_steps"), steps != 1 else { return [] }
            let why = variant == "relu" ? "relu (an ANN) has no time steps" : "general_snn is a single-time-step neuron"
            return [.init(keyPaths: ["neuron.time_steps", "neuron.variant"], message: "\(why); time_steps must be 1, not \(steps)")]
        },
        ManifestRule("data.frames.time_steps must equal neuron.time_steps.") { m in
            guard let frames = m.int("data.frames.time_steps"), let steps = m.int("neuron.time_steps"), frames != steps else { return [] }
            return [.init(keyPaths: ["data.frames.time_steps", "neuron.time_steps"],
                          message: "\(frames) frames per sample, but neuron.time_steps is \(steps); each frame is one time step")]
        },
        ManifestRule("Sequential CIFAR presents one image column per step: neuron.time_steps must equal the image width (32, or data.resize).") { m in
            guard let loader = m.text("data.loader"), loader.hasPrefix("sequential_"), let steps = m.int("neuron.time_steps") else { return [] }
            let width = m.int("data.resize") ?? 32
            guard steps != width else { return [] }
            return [.init(keyPaths: ["neuron.time_steps", "data.loader"],
                          message: "\(loader) presents one image column per step, so time_steps must be the image width \(width), not \(steps)")]
        },
        ManifestRule("checkpoint.keep_best must be a metric of the task: top1 (classification), map (detection), miou (segmentation), or loss.") { m in
            guard let metric = m.text("checkpoint.keep_best"), let task = m.text("task") else { return [] }
            let owner = ["top1": "classification", "map": "detection", "miou": "segmentation"][metric]
            guard let owner, owner != task else { return [] }
            return [.init(keyPaths: ["checkpoint.keep_best", "task"], message: "\(metric) is a \(owner) metric; task is \(task)")]
        },
        ManifestRule("model.in_channels must match the channels data.loader gives.") { m in
            guard let loader = m.text("data.loader"), let expected = inputChannels[loader],
                  let channels = m.int("model.in_channels"), channels != expected else { return [] }
            return [.init(keyPaths: ["model.in_channels", "data.loader"],
                          message: "data.loader \(loader) gives \(expected) input channels, not \(channels)")]
        },
        ManifestRule("normalize must have one mean and std per input channel, and mean and std the same length.") { m in
            guard let augment = m.value("data.augment")?.list, let channels = m.int("model.in_channels") else { return [] }
            var violations: [ManifestRule.Violation] = []
            for (index, item) in augment.enumerated() {
                guard let argument = item["normalize"] else { continue }
                let path = "data.augment[\(index)].normalize"
                if let preset = argument.text, let presetChannels = presetChannels[preset], presetChannels != channels {
                    violations.append(.init(keyPaths: [path], message: "\(preset) constants are for \(presetChannels) channels; the input has \(channels)"))
                }
                if let mean = argument["mean"]?.list, let std = argument["std"]?.list {
                    if mean.count != std.count {
                        violations.append(.init(keyPaths: [path], message: "mean has \(mean.count) values, std has \(std.count); they must match"))
                    } else if mean.count != channels {
                        violations.append(.init(keyPaths: [path], message: "\(mean.count) mean and std values for \(channels) input channels"))
                    }
                }
            }
            return violations
        },
        ManifestRule("Image augmentations (random_crop, random_resized_crop, horizontal_flip, random_rotation, rand_augment, auto_augment, color_jitter, random_erasing, normalize) need images; camera event frames take event_random_crop, event_flip, event_rotation.") { m in
            guard let augment = m.value("data.augment")?.list, let loader = m.text("data.loader"),
                  cameraEventLoaders.contains(loader) else { return [] }
            var violations: [ManifestRule.Violation] = []
            for (index, item) in augment.enumerated() {
                guard let name = transformName(item), transforms.first(where: { $0.name == name })?.loaders == nil else { continue }
                violations.append(.init(keyPaths: ["data.augment[\(index)]"],
                                        message: "\(name) works on images [C, H, W]; data.loader \(loader) gives event frames [T, C, H, W]: "
                                            + "use event_random_crop, event_flip or event_rotation"))
            }
            return violations
        },
        ManifestRule("rand_augment, auto_augment and color_jitter work on [0, 1] pixels, so they come before normalize; random_erasing fills with N(0, 1) noise, so it comes after normalize (timm's order).") { m in
            guard let augment = m.value("data.augment")?.list else { return [] }
            let names = augment.map { transformName($0) ?? "" }
            guard let normalize = names.firstIndex(of: "normalize") else { return [] }
            var violations: [ManifestRule.Violation] = []
            for (index, name) in names.enumerated() {
                if index > normalize, ["rand_augment", "auto_augment", "color_jitter"].contains(name) {
                    violations.append(.init(keyPaths: ["data.augment[\(index)]"],
                                            message: "\(name) works on [0, 1] pixels; move it before normalize (data.augment[\(normalize)])"))
                }
                if index < normalize, name == "random_erasing" {
                    violations.append(.init(keyPaths: ["data.augment[\(index)]"],
                                            message: "random_erasing fills with N(0, 1) noise, which matches normalised pixels; move it after normalize (data.augment[\(normalize)])"))
                }
            }
            return violations
        },
        ManifestRule("random_resized_crop.scale is [smallest, largest] area fraction: the first must not exceed the second.") { m in
            guard let augment = m.value("data.augment")?.list else { return [] }
            var violations: [ManifestRule.Violation] = []
            for (index, item) in augment.enumerated() {
                guard let scale = item["random_resized_crop"]?["scale"]?.list, scale.count == 2,
                      let low = scale[0].number, let high = scale[1].number, low > high else { continue }
                violations.append(.init(keyPaths: ["data.augment[\(index)].random_resized_crop.scale"],
                                        message: "scale [\(low), \(high)] must be [smallest, largest]; write [\(high), \(low)]"))
            }
            return violations
        },
        ManifestRule("Event augmentations (event_random_crop, event_flip, event_rotation) need camera event data (cifar10_dvs, dvs128_gesture, nmnist).") { m in
            guard let augment = m.value("data.augment")?.list, let loader = m.text("data.loader") else { return [] }
            var violations: [ManifestRule.Violation] = []
            for (index, item) in augment.enumerated() {
                guard case let .map(fields) = item, let name = fields.first?.key,
                      let loaders = transforms.first(where: { $0.name == name })?.loaders, !loaders.contains(loader) else { continue }
                violations.append(.init(keyPaths: ["data.augment[\(index)]"],
                                        message: "\(name) works on \(loaders.joined(separator: ", ")) event data, not \(loader)"))
            }
            return violations
        },
    ]

    /// The transform an entry of `data.augment` names: its one key, or the bare name.
    static func transformName(_ item: ManifestValue) -> String? {
        switch item {
        case .map(let fields): fields.first?.key
        case .text(let text): text
        default: nil
        }
    }
}
