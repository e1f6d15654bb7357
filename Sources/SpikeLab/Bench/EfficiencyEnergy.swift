import Foundation
import SpikeData
import SpikeNN
import SpikeTensor

/// The energy part of `spikelab bench efficiency`: the general SNN's single-step CNN (T = 1),
/// its ReLU ANN twin and the T = 4 LIF ResNet-18 of `experiments/general-snn/cifar10-*.yaml`,
/// each measured by `EnergyMeter` on the same real test images: MACs, accumulates and energy
/// per image, the spiking rows' firing rates, and top-1 on those images (which says whether the
/// weights are trained). Models come from the given checkpoints (matched to a row by the
/// manifest name stored in them) or, for rows without one, untrained from the manifest.
public struct EfficiencyEnergy {
    /// The three rows: which network, and the manifest (relative to the experiments folder).
    public enum Role: String, Codable, Sendable, CaseIterable {
        /// The general SNN's single-step CNN.
        case snn
        /// Its ReLU twin trained as an ANN.
        case ann
        /// The T = 4 LIF ResNet-18, the "standard SNN".
        case lif

        public var manifest: String {
            switch self {
            case .snn: "general-snn/cifar10-cnn.yaml"
            case .ann: "general-snn/cifar10-ann.yaml"
            case .lif: "general-snn/cifar10-lif-t4.yaml"
            }
        }
    }

    /// The paper's claims: energy this many times lower than a standard ANN and a standard SNN.
    public static let claimedANNRatio = 10.0
    public static let claimedSNNRatio = 3.0

    /// Run directories or checkpoint files, each of one of the three rows' manifests.
    public var checkpoints: [String]
    /// Folder of the CIFAR-10-layout test images; nil: the rows' cpu-profile `data.root`.
    public var dataRoot: String?
    /// Test images measured; nil: the manifest's whole test split (`data.test_subset`).
    public var images: Int?
    /// `model.width` of the untrained rows; nil: the cpu profile's (checkpoints keep their own).
    public var width: Double?
    public var costs: EnergyCosts

    public init(checkpoints: [String] = [], dataRoot: String? = nil, images: Int? = nil, width: Double? = nil,
                costs: EnergyCosts = EnergyCosts()) {
        self.checkpoints = checkpoints
        self.dataRoot = dataRoot
        self.images = images
        self.width = width
        self.costs = costs
    }

    /// Measures the three rows (see the type's description).
    public func run(experimentsRoot: String, log: (String) -> Void) throws -> EfficiencyReport.EnergyPart {
        var overrides: [String] = []
        if let dataRoot { overrides.append("data.root=\(dataRoot)") }
        var untrainedOverrides = overrides
        if let width { untrainedOverrides.append("model.width=\(width)") }
        var manifests: [Role: Manifest] = [:]
        for role in Role.allCases {
            manifests[role] = try Manifest.load(contentsOf: experimentsRoot + "/" + role.manifest, profile: "cpu",
                                                overrides: untrainedOverrides)
        }
        let trained = try matchCheckpoints(manifests)

        // The same images, in the same order and with the same evaluation transforms, for every row.
        let dataManifest = manifests[.snn]!
        try dataManifest.validateFiles()
        let experiment = dataManifest.experiment
        let test = try ExperimentBuilder.datasets(experiment.data, root: experiment.data.expandedRoot, seed: experiment.seed).test
        let transforms = try ExperimentBuilder.transforms(experiment.data).eval
        if let images, images > test.count {
            throw BenchmarkArgumentError(message: "--images \(images): the test split under \(experiment.data.root) has only \(test.count) images")
        }
        let batcher = Batcher(dataset: test, batchSize: experiment.data.evalBatchSize, shuffle: false,
                              subset: images ?? experiment.data.testSubset, seed: UInt64(experiment.seed),
                              transforms: transforms, prefetch: 0)
        var batches: [(inputs: Tensor, labels: Tensor)] = []
        while let batch = batcher.next() { batches.append((batch.inputs, batch.labels)) }
        batcher.stopPrefetching()
        let imageCount = batches.reduce(0) { $0 + $1.inputs.shape[0] }

        var rows: [EfficiencyReport.EnergyRow] = []
        for role in Role.allCases {
            let model: any ClassifierModel, rowExperiment: Experiment, source: String, epoch: Int?
            if let loaded = trained[role] {
                model = loaded.model
                rowExperiment = loaded.experiment
                source = loaded.path
                epoch = loaded.checkpoint.epoch
            } else {
                rowExperiment = manifests[role]!.experiment
                model = try ExperimentBuilder.model(rowExperiment)
                source = "untrained (initialisation, seed \(rowExperiment.seed))"
                epoch = nil
            }
            log("energy \(role.rawValue): \(rowExperiment.model.arch.rawValue) \(rowExperiment.neuron.variant.rawValue), \(imageCount) test images, \(source) …")
            var row = Self.measure(model: model, batches: batches, costs: costs)
            row.role = role
            row.manifest = role.manifest
            row.name = rowExperiment.name
            row.arch = rowExperiment.model.arch.rawValue
            row.neuron = rowExperiment.neuron.variant.rawValue
            row.timeSteps = rowExperiment.neuron.variant == .relu ? 1 : rowExperiment.neuron.timeSteps
            row.width = rowExperiment.model.width
            row.source = source
            row.epoch = epoch
            rows.append(row)
        }
        let snn = rows.first { $0.role == .snn }!.energyPJ
        for index in rows.indices { rows[index].ratioToSNN = snn > 0 ? rows[index].energyPJ / snn : nil }
        return EfficiencyReport.EnergyPart(dataRoot: experiment.data.root, images: imageCount, costs: costs, rows: rows)
    }

    /// Loads every given checkpoint and assigns it to the row whose manifest name it carries.
    func matchCheckpoints(_ manifests: [Role: Manifest]) throws -> [Role: LoadedCheckpoint] {
        var trained: [Role: LoadedCheckpoint] = [:]
        for path in checkpoints {
            let file = try CheckpointEvaluation.locate(path, which: nil)
            let loaded = try LoadedCheckpoint(path: file, threads: Threads.count)
            guard let role = Role.allCases.first(where: { manifests[$0]!.experiment.name == loaded.experiment.name }) else {
                throw BenchmarkArgumentError(message: "--runs \(path): its checkpoint is of '\(loaded.experiment.name)', not one of the energy rows' manifests: "
                                             + Role.allCases.map { "\(manifests[$0]!.experiment.name) (\($0.manifest))" }.joined(separator: ", "))
            }
            if let earlier = trained[role] {
                throw BenchmarkArgumentError(message: "--runs \(path): a second checkpoint of '\(loaded.experiment.name)' (the first: \(earlier.path)); give one per row")
            }
            trained[role] = loaded
        }
        return trained
    }

    /// Counts `model`'s synaptic operations over `batches` with `EnergyMeter` and scores its
    /// top-1 on the same forwards: the measured fields of an energy row.
    public static func measure(model: any ClassifierModel, batches: [(inputs: Tensor, labels: Tensor)],
                               costs: EnergyCosts) -> EfficiencyReport.EnergyRow {
        let meter = EnergyMeter(model: model)
        var correct = 0, count = 0
        for (inputs, labels) in batches {
            let n = labels.count
            let output = meter.measure(inputs: inputs, count: n)
            correct += Evaluation.correct(output, labels, k: 1)
            count += n
        }
        let report = meter.report(costs: costs)
        return EfficiencyReport.EnergyRow(images: count, top1: count > 0 ? Double(correct) / Double(count) : 0,
                                          firingRate: report.neuronFiringRate, chargedMACs: report.totalMACs,
                                          denseMACs: report.denseMACs, accumulates: report.totalSOPs,
                                          energyPJ: report.totalEnergy)
    }
}
