import Foundation
import SpikeData
import SpikeNN

/// Everything a detection experiment needs besides the model: its datasets, seeded batchers
/// (letterboxed to `detection.image_size`, flipped with `horizontal_flip` in training), the
/// YOLO loss and the decoder with the manifest's threshold, NMS IoU and detection limit.
public struct DetectionSetup {
    public let settings: DetectionSettings
    public let train: any DetectionDataset
    public let test: any DetectionDataset
    public let loss: YOLOLoss
    public let decoder: YOLODecoder
    private let experiment: Experiment

    public init(_ experiment: Experiment) throws {
        guard experiment.task == .detection, let settings = experiment.detection else {
            throw BuildError.unsupported(keyPath: "task", value: experiment.task.rawValue, supported: ["detection"])
        }
        self.experiment = experiment
        self.settings = settings
        (train, test) = try DetectionPipeline.datasets(experiment.data)
        let classes = experiment.model.numClasses
        for dataset in [train, test] where dataset.classNames.count > classes {
            throw BuildError.data("data.loader \(experiment.data.loader.rawValue) under \(experiment.data.root) has "
                                  + "\(dataset.classNames.count) classes, but model.num_classes is \(classes); "
                                  + "set model.num_classes: \(dataset.classNames.count)")
        }
        let grid = YOLOGrid(imageSize: settings.imageSize)
        loss = YOLOLoss(grid: grid, classCount: classes)
        decoder = YOLODecoder(grid: grid, classCount: classes, scoreThreshold: Float(settings.scoreThreshold),
                              nmsIoU: Float(settings.nmsIoU), maxDetections: settings.maxDetections)
    }

    /// Normalisations of `data.augment` (flips are the batcher's, see `flipProbability`).
    private var normalizations: [any ImageTransform] {
        experiment.data.augment.compactMap { augmentation -> (any ImageTransform)? in
            guard case .normalize(let normalization) = augmentation else { return nil }
            switch normalization {
            case .preset(let preset): return Normalize.preset(named: preset.rawValue)!
            case .custom(let mean, let std): return Normalize(mean: mean.map(Float.init), std: std.map(Float.init))
            }
        }
    }

    /// Probability of the training flip (`horizontal_flip`'s p; 0 without it).
    public var flipProbability: Float {
        for case .horizontalFlip(let p) in experiment.data.augment { return Float(p) }
        return 0
    }

    /// The shuffled, flipped training batcher over `data.subset`.
    public func trainBatcher() -> DetectionBatcher {
        DetectionBatcher(dataset: train, batchSize: experiment.data.batchSize, shuffle: true, subset: experiment.data.subset,
                         seed: UInt64(experiment.seed), imageSize: settings.imageSize, flipProbability: flipProbability,
                         transforms: normalizations)
    }

    /// An unshuffled, unflipped batcher over the test split (`data.test_subset`), or over the
    /// training split's `data.subset` when `split` is train.
    public func evalBatcher(split: DataSplit = .test) -> DetectionBatcher {
        DetectionBatcher(dataset: split == .test ? test : train, batchSize: experiment.data.evalBatchSize, shuffle: false,
                         subset: split == .test ? experiment.data.testSubset : experiment.data.subset,
                         seed: UInt64(experiment.seed), imageSize: settings.imageSize, transforms: normalizations)
    }
}
