import Foundation
import Testing
@testable import SpikeLab

/// The repository root (this file is Tests/SpikeLabTests/PaperTableTests.swift).
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// The papers' experiment folders.
private let paperFolders = ["psu", "spikepack", "general-snn"]

/// Files of `experiments/<folder>`, sorted.
private func files(_ folder: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: repositoryRoot + "/experiments/" + folder)
        .filter { $0.hasSuffix(".yaml") }.sorted()
}

/// Whether a YAML file is a table file (it has `rows:` at the top level).
private func isTable(_ path: String) throws -> Bool {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").contains { $0 == "rows:" }
}

/// Every table file of the three papers, loaded.
private func paperTables() throws -> [TableFile] {
    try paperFolders.flatMap { folder in
        try files(folder).map { repositoryRoot + "/experiments/\(folder)/" + $0 }.filter(isTable).map { try TableFile.load(contentsOf: $0) }
    }
}

/// The rows of `experiments/<folder>/<table>.yaml` loaded under `profile`.
private func rows(_ folder: String, _ table: String, profile: String?) throws -> [TableRowRun] {
    try TableFile.load(contentsOf: repositoryRoot + "/experiments/\(folder)/\(table).yaml").runs(profile: profile)
}

@Suite("The paper tables in experiments/: every row loads, has the paper's setting and a cpu profile on demo data")
struct PaperTableTests {
    @Test("every table file of the three papers loads, and all its rows resolve under the cpu profile and as written")
    func everyTableLoads() throws {
        let tables = try paperTables()
        #expect(tables.count == 16)
        for table in tables {
            #expect(throws: Never.self) { _ = try table.runs(profile: "cpu") }
            #expect(throws: Never.self) { _ = try table.runs(profile: nil) }
        }
        // Output names do not collide across the papers.
        #expect(Set(tables.map(\.outputName)).count == tables.count)
    }

    @Test("every row manifest is in a table, the detection and segmentation rows included")
    func noOrphanManifests() throws {
        var inTables = Set<String>()
        for table in try paperTables() { for row in table.rows { inTables.insert(ManifestPaths.absolute(row.manifest)) } }
        var outside: [String] = []
        for folder in paperFolders {
            for file in try files(folder) where !file.hasPrefix("base") {
                let path = repositoryRoot + "/experiments/\(folder)/" + file
                if try isTable(path) || inTables.contains(ManifestPaths.absolute(path)) { continue }
                outside.append(file)
            }
        }
        #expect(outside == [])
    }

    @Test("the VOC detection and segmentation tables compare mAP@0.5 and mIoU over the ANN, LIF T=4 and SpikePack T=4 rows of their task")
    func vocTables() throws {
        for (table, task, metric) in [("voc-detection", Experiment.Task.detection, TableMetric.testMAP50),
                                      ("voc-segmentation", .segmentation, .testMIoU)] {
            let file = try TableFile.load(contentsOf: repositoryRoot + "/experiments/spikepack/\(table).yaml")
            #expect(file.outputName == "spikepack-\(table)" && file.metric == metric && file.select == .best)
            // The paper's detection and segmentation numbers are not retrievable (shared/papers/spikepack.md).
            #expect(file.rows.allSatisfy { $0.reported == nil && $0.comment != nil })
            for profile in ["cpu", nil] as [String?] {
                let experiments = try file.runs(profile: profile).map(\.manifest.experiment)
                #expect(experiments.map(\.task) == [task, task, task])
                #expect(experiments.map(\.neuron.variant) == [.relu, .lif, .spikePack])
                #expect(experiments.map(\.neuron.timeSteps) == [1, 4, 4])
                #expect(experiments.map(\.training.mode) == [.ann, .direct, .direct])
                #expect(experiments.allSatisfy { $0.model == experiments[0].model })
                #expect(experiments[0].data.root == (profile == nil ? "datasets/voc" : "datasets/demo/voc"))
            }
        }
    }

    @Test("every cpu row reads a demo set under datasets/demo/, and the table names the paper's dataset it stands in for")
    func cpuProfilesSubstituteDemoData() throws {
        for table in try paperTables() {
            let runs = try table.runs(profile: "cpu")
            let report = try TableReport(table: table, runs: runs, profile: "cpu")
            for (run, line) in zip(runs, report.lines) {
                #expect(run.manifest.experiment.data.root.hasPrefix("datasets/demo/"), "\(run.row.label): \(run.manifest.experiment.data.root)")
                #expect(line.substitutes != nil && line.substitutes?.contains("datasets/demo") == false, "\(run.row.label)")
            }
        }
    }

    @Test("within a table, the rows share data, network and training, so they differ only in the neuron (or how it is trained)")
    func rowsShareTheirSetting() throws {
        for table in try paperTables() {
            for profile in ["cpu", nil] as [String?] {
                let experiments = try table.runs(profile: profile).map(\.manifest.experiment)
                let first = experiments[0]
                for e in experiments {
                    #expect(e.data == first.data, "\(table.outputName) \(e.name)")
                    #expect(e.seed == first.seed && e.training.epochs == first.training.epochs, "\(table.outputName) \(e.name)")
                    #expect(e.training.optimizer == first.training.optimizer, "\(table.outputName) \(e.name)")
                }
                // The network is shared by all but the comparison rows of another architecture.
                if table.paper == "psu" || table.table.hasPrefix("direct") || table.table.hasPrefix("conversion") || table.table == "imagenet" {
                    #expect(experiments.allSatisfy { $0.model == first.model }, "\(table.outputName)")
                }
            }
        }
    }

    @Test("SpikePack's ImageNet table: Spikformer-8-512 SpikePack T = 8 reports 80.1 at 224×224, its cpu profile a small Spikformer on the ImageNet demo")
    func spikePackImageNetRow() throws {
        let table = try TableFile.load(contentsOf: repositoryRoot + "/experiments/spikepack/imagenet.yaml")
        #expect(table.rows.map(\.reported) == [80.1, nil, nil])
        let full = try rows("spikepack", "imagenet", profile: nil)
        #expect(full.map { $0.manifest.experiment.neuron.variant } == [.spikePack, .lif, .psn])
        #expect(full.map { $0.manifest.experiment.neuron.timeSteps } == [8, 4, 4])
        let e = full[0].manifest.experiment
        #expect(e.data.loader == .imageNet && e.data.resize == 224 && e.model.numClasses == 1000)
        #expect(e.model.arch == .spikformer && e.model.spikformer == SpikformerSettings(depth: 8, embedDim: 512, heads: 8, mlpRatio: 4, stem: .imagenet))
        #expect(e.neuron.spikePack?.base == 2)
        let cpu = try rows("spikepack", "imagenet", profile: "cpu")[0].manifest.experiment
        #expect(cpu.data.root == "datasets/demo/imagenet" && cpu.data.resize == 64 && cpu.model.numClasses == 10)
        #expect(cpu.model.spikformer?.stem == .imagenet && cpu.model.spikformer?.depth == 2 && cpu.training.epochs == 2)
    }

    @Test("the PSU rows carry the settings of shared/papers/psu.md as written")
    func psuSettings() throws {
        let common: (Experiment) -> Bool = { e in
            e.paper == "psu" && e.seed == 42 && e.training.optimizer.kind == .adamw && e.training.optimizer.eps == 1e-8
                && e.training.schedule.kind == .cosine && e.training.schedule.warmupLR == 1e-6 && e.training.schedule.minLR == 1e-5
        }
        // (table, arch, T, batch, lr, weight decay, epochs, warm-up, loss)
        let settings: [(String, ModelSettings.Architecture, Int, Int, Double, Double, Int, Int, TrainingSettings.Loss)] = [
            ("static-cifar10", .cifarConvNet, 4, 64, 6.25e-3, 0.01, 300, 5, .ce),
            ("static-cifar100", .cifarConvNet, 4, 64, 6.25e-3, 0.01, 300, 5, .ce),
            ("sequential-cifar10", .seqCIFARConv1d, 32, 128, 1e-3, 0.01, 300, 0, .ce),
            ("sequential-cifar100", .seqCIFARConv1d, 32, 128, 1e-3, 0.01, 300, 0, .ce),
            ("dvs-cifar10dvs", .dvsVGG, 10, 128, 1.25e-3, 5e-4, 300, 5, .ce),
            ("shd", .shdFC, 15, 256, 5e-3, 0, 120, 5, .mseOneHot),
        ]
        for (table, arch, T, batch, lr, wd, epochs, warmup, loss) in settings {
            let runs = try rows("psu", table, profile: nil)
            #expect(runs.map { $0.manifest.experiment.neuron.variant } == [.lif, .plif, .psn, .maskedPSN, .slidingPSN, .psu, .ipsu, .rpsu])
            for run in runs {
                let e = run.manifest.experiment
                #expect(common(e), "\(e.name)")
                #expect(e.model.arch == arch && e.neuron.timeSteps == T && e.data.batchSize == batch, "\(e.name)")
                #expect(e.training.optimizer.lr == lr && e.training.optimizer.weightDecay == wd, "\(e.name)")
                #expect(e.training.epochs == epochs && e.training.schedule.warmupEpochs == warmup && e.training.loss == loss, "\(e.name)")
                #expect(e.training.labelSmoothing == (loss == .ce ? 0.1 : nil), "\(e.name)")
                if [.lif, .plif, .psu, .ipsu, .rpsu].contains(e.neuron.variant) {
                    #expect(e.neuron.vThreshold == (table == "shd" ? 0.3 : 0.5), "\(e.name)")
                }
                #expect(e.neuron.surrogate?.kind == .atan && e.neuron.surrogate?.alpha == 2, "\(e.name)")
            }
        }
        let dvs = try rows("psu", "dvs-cifar10dvs", profile: nil)[0].manifest.experiment.data
        #expect(dvs.loader == .cifar10DVS && dvs.split == .perClassFirst90 && dvs.resize == 48 && dvs.frames?.splitBy == .time)
    }

    @Test("a CIFAR-100 row's cpu profile reads the 100-class cifar100 demo set at its CIFAR-10 twin's scale, so it is a run of its own")
    func cifar100CPURowsReadTheCIFAR100Demo() throws {
        let pairs = [("psu", "static-cifar10", "static-cifar100"), ("psu", "sequential-cifar10", "sequential-cifar100"),
                     ("spikepack", "direct-cifar10", "direct-cifar100"), ("spikepack", "conversion-cifar10", "conversion-cifar100"),
                     ("general-snn", "cifar10", "cifar100")]
        for (folder, ten, hundred) in pairs {
            let a = try rows(folder, ten, profile: "cpu").map(\.manifest.experiment)
            let b = try rows(folder, hundred, profile: "cpu").map(\.manifest.experiment)
            #expect(a.count == b.count)
            for (x, y) in zip(a, b) {
                // The demo set in CIFAR-100's layout, 100 classes: not the CIFAR-10 rows' data.
                #expect(y.data.root == "datasets/demo/cifar100", "\(y.name): \(y.data.root)")
                #expect([.cifar100, .sequentialCIFAR100].contains(y.data.loader) && y.model.numClasses == 100, "\(y.name)")
                #expect(x.data != y.data && x.model.numClasses == 10, "\(x.name) vs \(y.name)")
                // The same scale as the CIFAR-10 twin: batch, subsets, network, training, seed.
                #expect(x.data.batchSize == y.data.batchSize && x.data.subset == y.data.subset
                        && x.data.testSubset == y.data.testSubset, "\(x.name) vs \(y.name)")
                #expect(x.model.arch == y.model.arch && x.model.width == y.model.width && x.training == y.training
                        && x.seed == y.seed, "\(x.name) vs \(y.name)")
                // The same neuron, except the general SNN's CIFAR-100 CNN: the authors' CIFAR-100
                // projection (a + b)/2.
                if x.neuron.generalSNN?.projection != y.neuron.generalSNN?.projection {
                    #expect(y.name == "general-snn-cifar100-cnn-t1" && y.neuron.generalSNN?.projection == .mean)
                } else {
                    #expect(x.neuron == y.neuron, "\(x.name) vs \(y.name)")
                }
                #expect(x.name != y.name)
            }
            // As written they differ: the paper's CIFAR-100 with 100 classes.
            let full = try rows(folder, hundred, profile: nil).map(\.manifest.experiment)
            #expect(full.allSatisfy { [.cifar100, .sequentialCIFAR100].contains($0.data.loader) && $0.model.numClasses == 100 })
        }
    }
}
