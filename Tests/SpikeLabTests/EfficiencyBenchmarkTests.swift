import Foundation
import Testing
@testable import SpikeLab
import SpikeNN
import SpikeNeurons
import SpikeTensor

/// `spikelab bench efficiency` on tiny settings: the rows each part must give, ratios computed
/// from the run's own measurements (never timing values), and energy counts against a hand count.
@Suite("Efficiency benchmark")
struct EfficiencyBenchmarkTests {
    static let experiments = TinyCIFARDemo.repositoryRoot + "/experiments"

    @Test("the psu part times LIF, PSU, IPSU and RPSU at every T and divides each median by LIF's at the same T")
    func psuPartTiny() throws {
        let report = try EfficiencyBenchmark(parts: [.psu], timeSteps: [1, 2], width: 0.0625, batch: 2, steps: 1,
                                             experimentsRoot: Self.experiments, log: { _ in }).run()
        let rows = try #require(report.psu)
        #expect(report.spikePack == nil && report.energy == nil)
        #expect(rows.map(\.variant) == ["lif", "lif", "lif-serial", "lif-serial", "psu", "psu", "ipsu", "ipsu", "rpsu", "rpsu"])
        #expect(rows.map(\.timeSteps) == [1, 2, 1, 2, 1, 2, 1, 2, 1, 2])
        #expect(rows.allSatisfy { $0.arch == "cifar_convnet" && $0.width == 0.0625 && $0.medianStepSeconds > 0 && $0.leastCPUSeconds > 0 && $0.peakBytes == nil })
        for row in rows {
            let lif = try #require(rows.first { $0.variant == "lif" && $0.timeSteps == row.timeSteps })
            #expect(row.ratioToBaseline == row.medianStepSeconds / lif.medianStepSeconds)
            #expect(row.cpuRatioToBaseline == row.leastCPUSeconds / lif.leastCPUSeconds)
            let serial = try #require(rows.first { $0.variant == "lif-serial" && $0.timeSteps == row.timeSteps })
            #expect(row.ratioToSerial == row.medianStepSeconds / serial.medianStepSeconds)
            #expect(row.cpuRatioToSerial == row.leastCPUSeconds / serial.leastCPUSeconds)
            #expect(row.imagesPerSecond == 2 / row.medianStepSeconds)
        }
        // IPSU and RPSU carry a T×T weight and a T bias per neuron layer: more parameters at T = 2.
        let ipsu = rows.filter { $0.variant == "ipsu" }
        #expect(ipsu[1].parameters > ipsu[0].parameters)
        #expect(rows.first { $0.variant == "psu" }!.parameters > rows.first { $0.variant == "lif" }!.parameters)  // learnable α
        let text = report.table()
        #expect(text.contains("claim (PSU paper") && text.contains("psu vs lif-serial: no T ≥ 8 measured") && text.contains("load average"))
    }

    @Test("the spikepack part measures time and peak memory per T, over each variant's first T, and skips SpikePack above 24 bits")
    func spikePackPartTiny() throws {
        let report = try EfficiencyBenchmark(parts: [.spikepack], timeSteps: [1, 2, 25], width: 0.0625, batch: 1, steps: 1,
                                             experimentsRoot: Self.experiments, log: { _ in }).run()
        let rows = try #require(report.spikePack)
        #expect(rows.map(\.variant) == ["lif", "lif", "lif", "spikepack", "spikepack"])
        #expect(rows.map(\.timeSteps) == [1, 2, 25, 1, 2])
        #expect(rows.allSatisfy { $0.arch == "resnet18" && ($0.peakBytes ?? 0) > 0 && $0.ratioToBaseline == nil })
        for row in rows {
            let first = try #require(rows.first { $0.variant == row.variant })
            #expect(row.timeOverFirstT == row.medianStepSeconds / first.medianStepSeconds)
            #expect(row.cpuOverFirstT == row.leastCPUSeconds / first.leastCPUSeconds)
            #expect(row.memoryOverFirstT == Double(row.peakBytes!) / Double(first.peakBytes!))
        }
        // No assertion on the sizes themselves: the storage pool is process-wide, and tests in
        // other suites allocate beside this one while it measures.
        #expect(report.table().contains("no SpikePack row above T = 24"))
    }

    @Test("a LIF layer run step by step gives the fused kernel's spikes and input and α gradients")
    func stepByStepLIFMatchesFused() throws {
        var spec = NeuronSpec(.lif, timeSteps: 6)
        spec.vThreshold = 0.5
        spec.surrogate = .atan
        spec.surrogateAlpha = 2
        spec.learnableAlpha = true
        var rng = PhiloxGenerator(seed: 3)
        let x = Tensor.uniform([6 * 2, 3, 5], low: -0.5, high: 2, rng: &rng)
        let g = Tensor.uniform([6 * 2, 3, 5], low: -1, high: 1, rng: &rng)
        func run(stepByStep: Bool) -> (spikes: [Float], dx: [Float], dAlpha: [Float]) {
            var layerRNG = PhiloxGenerator(seed: 0)
            let layer = NeuronLayer(spec: spec, rng: &layerRNG)
            layer.runsStepByStep = stepByStep
            let input = Tensor(Array(x.floats), shape: x.shape, requiresGrad: true)
            let y = layer(input)
            y.backward(g)
            return (Array(y.floats), Array(input.grad!.floats), Array(layer.alpha!.grad!.floats))
        }
        let fused = run(stepByStep: false), serial = run(stepByStep: true)
        #expect(serial.spikes == fused.spikes)
        #expect(fused.spikes.contains(1) && fused.spikes.contains(0))
        #expect(zip(serial.dx, fused.dx).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
        #expect(zip(serial.dAlpha, fused.dAlpha).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
    }

    @Test("a tiny Linear-LIF-Linear model's energy row equals the hand count")
    func energyRowMatchesHandCount() throws {
        // Linear 4→3 picks the first three inputs; LIF (τ 2, threshold 1, T = 1) fires where
        // the picked value / 2 exceeds 1; Linear 3→2 reads the spikes.
        let first = Linear(weight: Tensor([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0], shape: [3, 4]), bias: nil)
        var rng = PhiloxGenerator(seed: 0)
        let lif = NeuronLayer(spec: NeuronSpec(.lif, timeSteps: 1), rng: &rng)
        let second = Linear(weight: Tensor([1, 0, 1, 0, 1, 0], shape: [2, 3]), bias: nil)
        let model = Sequential(first, lif, second)
        // Sample a: picks [5, 0, 5] → spikes [1, 0, 1] → logits [2, 0]; sample b: [0, 3, 0] → [0, 1, 0] → [0, 1].
        let inputs = Tensor([5, 0, 5, 7, 0, 3, 0, 1], shape: [2, 4])
        let labels = Tensor(int32: [0, 0])
        let row = EfficiencyEnergy.measure(model: model, batches: [(inputs, labels)], costs: EnergyCosts(mac: 4.6, ac: 0.9))
        #expect(row.images == 2)
        #expect(row.top1 == 0.5)
        #expect(row.firingRate == 0.5)           // 3 spikes of 6 neuron-steps
        #expect(row.chargedMACs == 12)           // 4 × 3 per image, real-valued input
        #expect(row.accumulates == 3)            // (2 + 1) spikes × 2 outputs over 2 images
        #expect(row.denseMACs == 18)             // 12 + 3 × 2
        #expect(abs(row.energyPJ - (12 * 4.6 + 3 * 0.9)) < 1e-9)
    }

    @Test("the energy part measures the single-step SNN, its ANN twin and the T = 4 LIF SNN on the same images, with ratios to the SNN")
    func energyPartTiny() throws {
        let demo = try TinyCIFARDemo("efficiency-energy")
        defer { demo.remove() }
        let energy = EfficiencyEnergy(dataRoot: demo.root + "/cifar10", images: 8, width: 0.125)
        let part = try energy.run(experimentsRoot: Self.experiments, log: { _ in })
        #expect(part.rows.map(\.role) == [.snn, .ann, .lif])
        #expect(part.rows.map(\.arch) == ["general_snn_cnn", "general_snn_cnn", "resnet18"])
        #expect(part.rows.map(\.timeSteps) == [1, 1, 4])
        #expect(part.images == 8 && part.rows.allSatisfy { $0.images == 8 && $0.epoch == nil && $0.source.hasPrefix("untrained") })
        let snn = part.rows[0], ann = part.rows[1], lif = part.rows[2]
        #expect(snn.ratioToSNN == 1)
        #expect(part.annOverSNN == ann.energyPJ / snn.energyPJ)
        #expect(part.lifOverSNN == lif.energyPJ / snn.energyPJ)
        // The ANN charges every operation as a MAC; the spiking rows charge accumulates too.
        #expect(ann.accumulates == 0 && ann.firingRate == nil && ann.chargedMACs == ann.denseMACs)
        #expect(snn.accumulates > 0 && (snn.firingRate ?? 0) > 0 && lif.accumulates >= 0)
        #expect(abs(snn.energyPJ - (snn.chargedMACs * 4.6 + snn.accumulates * 0.9)) < 1e-6 * snn.energyPJ)
        let text = EfficiencyReport(machine: BenchmarkReport(benchmark: "efficiency", threads: 1), loadAverageBefore: nil,
                                    batch: 1, steps: 1, timeSteps: [], energy: part).table()
        #expect(text.contains("untrained rows: their firing rates are initialisation's"))
        #expect(text.contains("ANN / SNN") && text.contains("LIF (T=4) / SNN"))
    }

    @Test("a checkpoint given to the energy part replaces its row's untrained model, and one of another manifest is refused by name")
    func energyPartTakesCheckpoints() throws {
        let demo = try TinyCIFARDemo("efficiency-checkpoint")
        defer { demo.remove() }
        func checkpoint(_ manifest: String, _ extra: [String], at path: String) throws {
            let m = try Manifest.load(contentsOf: Self.experiments + "/general-snn/" + manifest, profile: "cpu",
                                      overrides: ["model.width=0.125", "data.root=\(demo.root)/cifar10"] + extra)
            let model = try ExperimentBuilder.model(m.experiment)
            try Checkpoint(epoch: 3, globalStep: 6, threads: 1, manifest: m.resolvedYAML(), manifestSHA256: m.sha256,
                           model: model.stateDict().map { ($0.name, $0.tensor) }, optimizer: nil, schedule: nil, learningRate: 0,
                           rng: [:], dataPosition: .start, metrics: []).write(to: path)
        }
        let good = demo.root + "/cnn.h5", other = demo.root + "/other.h5"
        try checkpoint("cifar10-cnn.yaml", [], at: good)
        try checkpoint("cifar10-cnn.yaml", ["name=someone-else"], at: other)

        var energy = EfficiencyEnergy(checkpoints: [good], dataRoot: demo.root + "/cifar10", images: 4, width: 0.125)
        let part = try energy.run(experimentsRoot: Self.experiments, log: { _ in })
        let snn = try #require(part.row(.snn))
        #expect(snn.source == good && snn.epoch == 3)
        #expect(part.row(.ann)?.epoch == nil)
        // The checkpoint holds the seed's initial weights: the same counts as the untrained row.
        let untrained = try EfficiencyEnergy(dataRoot: demo.root + "/cifar10", images: 4, width: 0.125)
            .run(experimentsRoot: Self.experiments, log: { _ in })
        #expect(snn.energyPJ == untrained.row(.snn)?.energyPJ)

        energy.checkpoints = [other]
        let error = #expect(throws: BenchmarkArgumentError.self) { try energy.run(experimentsRoot: Self.experiments, log: { _ in }) }
        #expect(error?.message.contains("'someone-else'") == true && error?.message.contains("general-snn-cifar10-cnn-t1") == true)
        energy.checkpoints = [good, good]
        let twice = #expect(throws: BenchmarkArgumentError.self) { try energy.run(experimentsRoot: Self.experiments, log: { _ in }) }
        #expect(twice?.message.contains("a second checkpoint") == true)
    }

    @Test("parts and time steps parse from comma lists and name what is allowed when wrong")
    func argumentParsing() throws {
        #expect(try EfficiencyBenchmark.parseParts(["psu,energy", "psu"]).get() == [.psu, .energy])
        guard case .failure(let part) = EfficiencyBenchmark.parseParts(["speed"]) else { Issue.record("speed accepted"); return }
        #expect(part.message.contains("'speed'") && part.message.contains("psu, spikepack, energy"))
        #expect(try EfficiencyBenchmark.parseTimeSteps("8,1,2,8").get() == [1, 2, 8])
        for bad in ["0", "1,,2", "x", "5000"] {
            guard case .failure(let error) = EfficiencyBenchmark.parseTimeSteps(bad) else { Issue.record("\(bad) accepted"); continue }
            #expect(error.message.contains("1...4096"))
        }
    }
}

/// The command line refuses bad arguments with exit 2 (3 for missing data) and says why.
@Suite("spikelab bench efficiency arguments",
       .enabled(if: Executable.path != nil, "needs the built spikelab executable next to the tests (swift build --build-tests)"))
struct EfficiencyCommandTests {
    func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try Executable.run(["bench", "efficiency"] + arguments + ["--experiments", EfficiencyBenchmarkTests.experiments],
                           logs: NSTemporaryDirectory() + "spikelab-efficiency-\(UUID().uuidString)")
    }

    @Test("bad parts, time steps, sizes and energy-only options exit 2 naming the option and what is allowed")
    func badArgumentsExitTwo() throws {
        let cases: [([String], String)] = [
            (["--part", "speed"], "'speed' is not a part"),
            (["--time-steps", "0,4"], "--time-steps"),
            (["--batch", "0"], "--batch must be at least 1"),
            (["--steps", "0"], "--steps must be at least 1"),
            (["--width", "0"], "--width must be in (0, 4]"),
            (["--part", "psu", "--runs", "somewhere"], "belong to the energy part"),
            (["--part", "energy", "--images", "0"], "--images must be at least 1"),
            (["--part", "energy", "--runs", "/no/such/run"], "no such file or directory"),
        ]
        for (arguments, message) in cases {
            let result = try run(arguments)
            #expect(result.status == 2, "\(arguments): exit \(result.status)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    @Test("a missing data folder for the energy part exits 3 naming data.root")
    func missingDataExitsThree() throws {
        let result = try run(["--part", "energy", "--data", "/no/such/cifar10"])
        #expect(result.status == 3)
        #expect(result.stderr.contains("data.root") && result.stderr.contains("/no/such/cifar10"))
    }
}
