import Foundation
import SpikeData
import SpikeNN

/// The event-camera loaders (`nmnist`, `cifar10_dvs`, `dvs128_gesture`): recordings in their
/// publishers' files, integrated into frames `[T, 2, H, W]` by `data.frames`, resized to
/// `data.resize`, cached as HDF5 under `<root>/.spikelab-frames/`.
enum EventLoaders {
    /// Folder under the dataset root where integrated frames are cached.
    static let cacheFolder = ".spikelab-frames"

    /// How `data.frames` integrates events.
    static func integration(_ frames: FrameSettings) -> FrameIntegration {
        switch frames.splitBy {
        case .number: FrameIntegration(frames: frames.timeSteps, split: .number)
        case .time: FrameIntegration(frames: frames.timeSteps, split: .time)
        case .duration: FrameIntegration(frames: frames.timeSteps, split: .duration(microseconds: Int64(frames.durationMicroseconds!)))
        }
    }

    /// CIFAR10-DVS's `data.split`.
    static func split(_ split: DataSettings.EventSplit, seed: UInt64) -> CIFAR10DVS.Split {
        switch split {
        case .perClassFirst90: .perClassFirst90
        case .random90: .random90(seed: seed)
        case .tebn: .tebn
        }
    }

    /// The train and test frame datasets of an event loader, or nil for other loaders.
    static func datasets(_ data: DataSettings, root: String, seed: UInt64)
        throws -> (train: any ClassificationDataset, test: any ClassificationDataset)? {
        guard [.nmnist, .cifar10DVS, .dvs128Gesture].contains(data.loader), let frames = data.frames else { return nil }
        let integration = integration(frames)
        let size = data.resize.map { (height: $0, width: $0) }
        let cache = root + "/" + cacheFolder
        switch data.loader {
        case .nmnist:
            return (try NMNIST.load(root: root, split: .train, integration: integration, size: size, cacheDirectory: cache),
                    try NMNIST.load(root: root, split: .test, integration: integration, size: size, cacheDirectory: cache))
        case .cifar10DVS:
            let split = split(data.split ?? .perClassFirst90, seed: seed)
            return (try CIFAR10DVS.load(root: root, split: split, part: .train, integration: integration, size: size, cacheDirectory: cache),
                    try CIFAR10DVS.load(root: root, split: split, part: .test, integration: integration, size: size, cacheDirectory: cache))
        case .dvs128Gesture:
            return (try DVS128Gesture.load(root: root, split: .train, integration: integration, size: size, cacheDirectory: cache),
                    try DVS128Gesture.load(root: root, split: .test, integration: integration, size: size, cacheDirectory: cache))
        default:
            return nil
        }
    }

    /// The side of the frames an event loader serves: `data.resize`, else the sensor's.
    static func frameSide(_ data: DataSettings) -> Int {
        data.resize ?? (data.loader == .nmnist ? 34 : 128)
    }

    /// The side of an `event_random_crop` in `data.augment`, if there is one.
    static func cropSize(_ data: DataSettings) -> Int? {
        for case .eventRandomCrop(let size, _) in data.augment { return size }
        return nil
    }

    /// Throws unless the model can take this experiment's event frames: `spiking_cnn_28`
    /// (2 channels, sides ≥ 28) or `dvs_vgg` (sides a multiple of 16), with a neuron that runs
    /// every time step.
    static func checkModel(_ experiment: Experiment, spec: NeuronSpec) throws {
        let data = experiment.data
        guard [.nmnist, .cifar10DVS, .dvs128Gesture].contains(data.loader), let frames = data.frames else { return }
        let side = frameSide(data)
        if let crop = cropSize(data), crop != side {
            // Evaluation frames are not cropped, so training and test frames would differ in size.
            throw BuildError.unsupported(keyPath: "data.augment.event_random_crop.size", value: String(crop),
                                         supported: ["\(side), the side of the frames (data.resize or the sensor's)"])
        }
        switch experiment.model.arch {
        case .spikingCNN28:
            if side < 28 {
                throw BuildError.unsupported(keyPath: "data.resize", value: "\(side) for spiking_cnn_28", supported: ["28 or more"])
            }
        case .dvsVGG:
            // The network is built for one frame side; the sensor's 128×128 (13 GB of frames for
            // CIFAR10-DVS at T = 10) is rarely what is meant, so the side must be chosen.
            guard data.resize != nil else {
                throw BuildError.unsupported(keyPath: "data.resize", value: "none (\(side)×\(side) sensor frames)",
                                             supported: ["a multiple of 16 for dvs_vgg (48 in the PSU paper)"])
            }
            if side % 16 != 0 {
                throw BuildError.unsupported(keyPath: "data.resize", value: String(side),
                                             supported: ["a multiple of 16 for dvs_vgg (48 in the PSU paper)"])
            }
        default:
            throw BuildError.unsupported(keyPath: "model.arch", value: experiment.model.arch.rawValue + " with \(data.loader.rawValue) event frames",
                                         supported: ["spiking_cnn_28", "dvs_vgg"])
        }
        if spec.foldedSteps != frames.timeSteps {
            throw BuildError.unsupported(keyPath: "neuron.variant",
                                         value: "\(experiment.neuron.variant.rawValue), which runs \(spec.foldedSteps) step(s), with \(frames.timeSteps) event frames",
                                         supported: ["a neuron that runs every time step (if, lif, plif, psn, psu, ...)"])
        }
    }
}
