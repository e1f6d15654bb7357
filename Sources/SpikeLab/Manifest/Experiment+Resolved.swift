/// Builds the typed `Experiment` from a resolved manifest tree.
///
/// The tree has passed validation, so a missing or mistyped value here means the schema and
/// these structs disagree: a programming error, stopped with a precondition.
extension Experiment {
    init(resolved root: ManifestValue) {
        let r = ResolvedReader(root, path: "")
        name = r.text("name")
        paper = r.optionalText("paper")
        table = r.optionalText("table")
        row = r.optionalText("row")
        description = r.optionalText("description")
        seed = r.int("seed")
        task = r.choice("task")
        data = DataSettings(r.section("data"))
        model = ModelSettings(r.section("model"))
        neuron = NeuronSettings(r.section("neuron"))
        training = TrainingSettings(r.section("training"))
        checkpoint = CheckpointSettings(r.section("checkpoint"))
        detection = r.optionalSection("detection").map(DetectionSettings.init)
    }
}

extension DataSettings {
    init(_ r: ResolvedReader) {
        loader = r.choice("loader")
        root = r.text("root")
        batchSize = r.int("batch_size")
        evalBatchSize = r.int("eval_batch_size")
        subset = r.optionalInt("subset")
        testSubset = r.optionalInt("test_subset")
        prefetch = r.int("prefetch")
        resize = r.optionalInt("resize")
        augment = r.list("augment").enumerated().map { Augmentation(ResolvedReader($1, path: "data.augment[\($0)]")) }
        frames = r.optionalSection("frames").map { f in
            FrameSettings(timeSteps: f.int("time_steps"), splitBy: f.choice("split_by"),
                          durationMicroseconds: f.optionalInt("duration_us"))
        }
        split = r.optionalChoice("split")
    }
}

extension Augmentation {
    init(_ r: ResolvedReader) {
        guard case let .map(fields) = r.value, fields.count == 1 else { r.fail("a one-key transform map") }
        let name = fields[0].key
        let o = ResolvedReader(fields[0].value, path: "\(r.path).\(name)")
        switch name {
        case "random_crop": self = .randomCrop(size: o.int("size"), padding: o.int("padding"))
        case "random_resized_crop":
            let scale = o.list("scale").compactMap(\.number)
            self = .randomResizedCrop(size: o.int("size"), minScale: scale[0], maxScale: scale[1])
        case "horizontal_flip": self = .horizontalFlip(probability: o.number("p"))
        case "random_rotation": self = .randomRotation(degrees: o.number("degrees"))
        case "rand_augment": self = .randAugment(operations: o.int("n"), magnitude: o.int("m"), magnitudeStd: o.number("mstd"))
        case "auto_augment": self = .autoAugment(policy: o.text("policy"))
        case "color_jitter": self = .colorJitter(strength: o.number("strength"))
        case "random_erasing": self = .randomErasing(probability: o.number("p"))
        case "normalize":
            if let preset = o.value.text {
                guard let value = Normalization.Preset(rawValue: preset) else { o.fail("a normalisation preset") }
                self = .normalize(.preset(value))
            } else {
                self = .normalize(.custom(mean: o.list("mean").compactMap(\.number), std: o.list("std").compactMap(\.number)))
            }
        case "event_random_crop": self = .eventRandomCrop(size: o.int("size"), padding: o.int("padding"))
        case "event_flip": self = .eventFlip(probability: o.number("p"))
        case "event_rotation": self = .eventRotation(degrees: o.number("degrees"))
        default: r.fail("a known transform, not \(name)")
        }
    }
}

extension ModelSettings {
    init(_ r: ResolvedReader) {
        arch = r.choice("arch")
        numClasses = r.int("num_classes")
        width = r.number("width")
        inChannels = r.int("in_channels")
        dropout = r.number("dropout")
        spikformer = r.optionalSection("spikformer").map { s in
            SpikformerSettings(depth: s.int("depth"), embedDim: s.int("embed_dim"), heads: s.int("heads"),
                               mlpRatio: s.int("mlp_ratio"), stem: s.choice("stem"))
        }
    }
}

extension NeuronSettings {
    init(_ r: ResolvedReader) {
        variant = r.choice("variant")
        timeSteps = r.int("time_steps")
        vThreshold = r.optionalNumber("v_threshold")
        tau = r.optionalNumber("tau")
        switch r.value["v_reset"] {
        case nil: reset = nil
        case .null?: reset = .soft
        case let value?: reset = .hard(r.require(value.number, "v_reset"))
        }
        decayInput = r.optionalBool("decay_input")
        detachReset = r.optionalBool("detach_reset")
        surrogate = r.optionalSection("surrogate").map { s in
            SurrogateSettings(kind: s.choice("kind"), alpha: s.number("alpha"), learnableAlpha: s.bool("learnable_alpha"))
        }
        order = r.optionalInt("order")
        lambdaRampEpochs = r.optionalInt("lambda_ramp_epochs")
        ipsuReset = r.optionalChoice("ipsu_reset")
        spikePack = r.optionalSection("spikepack").map { s in
            SpikePackSettings(base: s.number("base"), rounding: s.choice("rounding"), threshold: s.choice("threshold"))
        }
        generalSNN = r.optionalSection("general_snn").map { s in
            GeneralSNNSettings(leak: s.number("leak"), projection: s.choice("projection"),
                               overlapThreshold: s.optionalNumber("overlap_threshold"))
        }
    }
}

extension TrainingSettings {
    init(_ r: ResolvedReader) {
        mode = r.choice("mode")
        epochs = r.int("epochs")
        loss = r.choice("loss")
        labelSmoothing = r.optionalNumber("label_smoothing")
        let o = r.section("optimizer")
        let betas = o.value["betas"]?.list?.compactMap(\.number)
        optimizer = OptimizerSettings(kind: o.choice("kind"), lr: o.number("lr"), momentum: o.optionalNumber("momentum"),
                                      nesterov: o.optionalBool("nesterov"), weightDecay: o.number("weight_decay"),
                                      beta1: betas?[0], beta2: betas?[1], eps: o.optionalNumber("eps"))
        let s = r.section("schedule")
        schedule = ScheduleSettings(kind: s.choice("kind"), warmupEpochs: s.int("warmup_epochs"), warmupLR: s.number("warmup_lr"),
                                    minLR: s.optionalNumber("min_lr"), stepSize: s.optionalInt("step_size"),
                                    milestones: s.value["milestones"]?.list?.compactMap(\.int), gamma: s.optionalNumber("gamma"),
                                    perIteration: s.bool("per_iteration"))
        gradClip = r.optionalNumber("grad_clip")
        conversion = r.optionalSection("conversion").map { c in
            let percentile: ConversionSettings.Percentile =
                c.value["percentile"]?.text == "max" ? .max : .percentile(c.number("percentile"))
            return ConversionSettings(calibrationBatches: c.int("calibration_batches"), percentile: percentile,
                                      timeSteps: c.list("time_steps").compactMap(\.int),
                                      maxPool: c.optionalChoice("max_pool"))
        }
    }
}

extension DetectionSettings {
    init(_ r: ResolvedReader) {
        imageSize = r.int("image_size")
        scoreThreshold = r.number("score_threshold")
        nmsIoU = r.number("nms_iou")
        maxDetections = r.int("max_detections")
        previews = r.int("previews")
    }
}

extension CheckpointSettings {
    init(_ r: ResolvedReader) {
        everyEpochs = r.int("every_epochs")
        everySteps = r.optionalInt("every_steps")
        keepBest = r.optionalChoice("keep_best")
    }
}

/// Typed reads from a resolved map; absent and null both read as nil for optional values.
struct ResolvedReader {
    let value: ManifestValue
    let path: String

    init(_ value: ManifestValue, path: String) {
        self.value = value
        self.path = path
    }

    func fail(_ what: String) -> Never {
        preconditionFailure("resolved manifest at '\(path)' lacks \(what): ManifestSchema and Experiment disagree")
    }

    private func present(_ key: String) -> ManifestValue? {
        guard let found = value[key], found != .null else { return nil }
        return found
    }

    func require<Value>(_ value: Value?, _ what: String) -> Value {
        guard let value else { fail(what) }
        return value
    }

    func text(_ key: String) -> String { require(present(key)?.text, key) }
    func optionalText(_ key: String) -> String? { present(key).map { require($0.text, key) } }
    func int(_ key: String) -> Int { require(present(key)?.int, key) }
    func optionalInt(_ key: String) -> Int? { present(key).map { require($0.int, key) } }
    func number(_ key: String) -> Double { require(present(key)?.number, key) }
    func optionalNumber(_ key: String) -> Double? { present(key).map { require($0.number, key) } }
    func bool(_ key: String) -> Bool { require(present(key)?.bool, key) }
    func optionalBool(_ key: String) -> Bool? { present(key).map { require($0.bool, key) } }
    func list(_ key: String) -> [ManifestValue] { require(present(key)?.list, key) }
    func choice<Choice: RawRepresentable>(_ key: String) -> Choice where Choice.RawValue == String {
        require(optionalChoice(key), key)
    }
    func optionalChoice<Choice: RawRepresentable>(_ key: String) -> Choice? where Choice.RawValue == String {
        present(key).map { require(Choice(rawValue: require($0.text, key)), "a known \(key)") }
    }
    func section(_ key: String) -> ResolvedReader { require(optionalSection(key), key) }
    func optionalSection(_ key: String) -> ResolvedReader? {
        present(key).map { ResolvedReader($0, path: path.isEmpty ? key : "\(path).\(key)") }
    }
}
