import Foundation
import Testing
@testable import SpikeLab
import SpikeData
import SpikeNN
import SpikeNeurons
import SpikeTensor

/// A temporary directory for probe files; removed when released.
private final class ProbeFolder {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "spikelab-probe-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `tensor` as dataset `name` of a new HDF5 file `file` and returns the file's path.
    func write(_ tensor: Tensor, as name: String = "x", to file: String) -> String {
        let full = path + "/" + file
        try? FileManager.default.removeItem(atPath: full)
        let h5 = try! HDF5File.create(path: full)
        try! h5.writeTensor(tensor, at: name)
        try! h5.close()
        return full
    }

    /// Dataset `name` of the HDF5 file at `file` (inside the folder).
    func read(_ name: String, from file: String) throws -> Tensor {
        let h5 = try HDF5File.open(path: path + "/" + file)
        defer { try? h5.close() }
        return try h5.readTensor(name)
    }

    func datasets(in file: String) throws -> [String] {
        let h5 = try HDF5File.open(path: path + "/" + file)
        defer { try? h5.close() }
        return try h5.listChildren().filter { $0.kind == .dataset }.map(\.name).sorted()
    }
}

private func close(_ a: [Float], _ b: [Float], tolerance: Float = 1e-6) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
}

@Suite("spikelab neuron: the probe on files")
struct NeuronProbeFileTests {
    @Test("LIF on a hand-computed sequence: spikes and membrane read back from the output file")
    func lifHandComputed() throws {
        let folder = ProbeFolder()
        // Two neurons over T = 4, τ = 2, V_th = 1, hard reset to 0, decay_input:
        //   neuron 0, x = 1.5, 1.5, 0.2, 3.0: H = 0.75 | 0.75 + 0.375 = 1.125 fires | 0.1 | 0.1 + 1.45 = 1.55 fires
        //   neuron 1, x = 0.5, 2.0, 0, 0:     H = 0.25 | 0.25 + 0.875 = 1.125 fires | 0 | 0
        let x = Tensor([1.5, 0.5, 1.5, 2.0, 0.2, 0, 3.0, 0], shape: [4, 2])
        let input = folder.write(x, to: "in.h5")
        let probe = NeuronProbe(options: NeuronOptions(variant: .lif))
        try probe.run(files: .init(input: input, output: folder.path + "/out.h5"))
        #expect(try folder.read("spikes", from: "out.h5").array == [0, 0, 1, 1, 0, 0, 1, 0])
        #expect(close(try folder.read("membrane", from: "out.h5").array, [0.75, 0.25, 0, 0, 0.1, 0, 0, 0]))
        #expect(try folder.read("spikes", from: "out.h5").shape == [4, 2])
        #expect(try folder.datasets(in: "out.h5") == ["membrane", "spikes"])
        let h5 = try HDF5File.open(path: folder.path + "/out.h5")
        #expect(try h5.stringAttribute("variant") == "lif")
        #expect(try h5.int64Attribute("time_steps") == 4)
        try h5.close()
    }

    @Test("the soft reset (--v-reset null) and another dataset name (--dataset current)")
    func softResetOtherDataset() throws {
        let folder = ProbeFolder()
        // x = 1.5, 1.5: H = 0.75 | 0.75 + (1.5 − 0.75)/2 = 1.125 fires, V = 1.125 − 1 = 0.125.
        let input = folder.write(Tensor([1.5, 1.5], shape: [2]), as: "current", to: "in.h5")
        var options = NeuronOptions(variant: .lif)
        options.reset = .soft
        try NeuronProbe(options: options).run(files: .init(input: input, dataset: "current", output: folder.path + "/out.h5"))
        #expect(try folder.read("spikes", from: "out.h5").array == [0, 1])
        #expect(close(try folder.read("membrane", from: "out.h5").array, [0.75, 0.125]))
    }

    @Test("LIF gradients in the file equal autograd through lifMultiStep")
    func lifGradientMatchesAutograd() throws {
        let folder = ProbeFolder()
        var rng = PhiloxGenerator(seed: 5)
        let x = Tensor.uniform([6, 3, 5], low: -0.5, high: 2.5, rng: &rng)
        let g = Tensor.uniform([6, 3, 5], low: -1, high: 1, rng: &rng)
        let input = folder.write(x, to: "in.h5"), upstream = folder.write(g, as: "g", to: "g.h5")
        var options = NeuronOptions(variant: .lif)
        options.tau = 3
        options.detachReset = true
        try NeuronProbe(options: options).run(files: .init(input: input, output: folder.path + "/out.h5", gradient: upstream))

        let leaf = Tensor(x.array, shape: x.shape, requiresGrad: true)
        let config = LIFConfiguration(tau: 3, detachReset: true)
        lifMultiStep(leaf, config).spikes.backward(g)
        #expect(close(try folder.read("grad_input", from: "out.h5").array, leaf.grad!.array))
        #expect(try folder.datasets(in: "out.h5") == ["grad_input", "membrane", "spikes"])
    }

    @Test("PLIF's grad_w equals autograd through plifMultiStep with the same initial w")
    func plifLeakGradient() throws {
        let folder = ProbeFolder()
        var rng = PhiloxGenerator(seed: 6)
        let x = Tensor.uniform([5, 8], low: -0.5, high: 2.5, rng: &rng)
        let g = Tensor.uniform([5, 8], low: -1, high: 1, rng: &rng)
        let input = folder.write(x, to: "in.h5"), upstream = folder.write(g, as: "g", to: "g.h5")
        var options = NeuronOptions(variant: .plif)
        options.tau = 4
        try NeuronProbe(options: options).run(files: .init(input: input, output: folder.path + "/out.h5", gradient: upstream))

        let config = PLIFConfiguration(initTau: 4)
        let w = config.initialWeight(), leaf = Tensor(x.array, shape: x.shape, requiresGrad: true)
        plifMultiStep(leaf, w: w, config).spikes.backward(g)
        #expect(close(try folder.read("grad_w", from: "out.h5").array, w.grad!.array, tolerance: 1e-5))
        #expect(close(try folder.read("grad_input", from: "out.h5").array, leaf.grad!.array))
        #expect(close(try folder.read("parameters/w", from: "out.h5").array, w.array))
    }

    @Test("PSN's grad_weight and grad_bias equal autograd through psn with the written parameters")
    func psnParameterGradients() throws {
        let folder = ProbeFolder()
        var rng = PhiloxGenerator(seed: 7)
        let x = Tensor.uniform([4, 10], low: -1, high: 1, rng: &rng)
        let g = Tensor.uniform([4, 10], low: -1, high: 1, rng: &rng)
        let input = folder.write(x, to: "in.h5"), upstream = folder.write(g, as: "g", to: "g.h5")
        try NeuronProbe(options: NeuronOptions(variant: .psn), seed: 3)
            .run(files: .init(input: input, output: folder.path + "/out.h5", gradient: upstream))

        let weight = Tensor(try folder.read("parameters/weight", from: "out.h5").array, shape: [4, 4], requiresGrad: true)
        let bias = Tensor(try folder.read("parameters/bias", from: "out.h5").array, shape: [4], requiresGrad: true)
        let leaf = Tensor(x.array, shape: x.shape, requiresGrad: true)
        psn(leaf, weight: weight, bias: bias).backward(g)
        #expect(close(try folder.read("grad_weight", from: "out.h5").array, weight.grad!.array, tolerance: 1e-5))
        #expect(close(try folder.read("grad_bias", from: "out.h5").array, bias.grad!.array, tolerance: 1e-5))
        #expect(close(try folder.read("grad_input", from: "out.h5").array, leaf.grad!.array, tolerance: 1e-5))
        #expect(!(try folder.datasets(in: "out.h5")).contains("membrane"))
    }

    @Test("SpikePack: output θ·z, serial spikes [bits, …], grad_threshold equal to spikePack's autograd")
    func spikePackThresholdGradient() throws {
        let folder = ProbeFolder()
        // θ = 1, 3 bits, floor: v = 5.5 → z = 5 (spikes 1 0 1), v = 2.2 → z = 2 (0 1 0).
        let x = Tensor([5.5, 2.2], shape: [2])
        let g = Tensor([1, -2], shape: [2])
        let input = folder.write(x, to: "in.h5"), upstream = folder.write(g, as: "g", to: "g.h5")
        var options = NeuronOptions(variant: .spikePack)
        options.bits = 3
        let result = try NeuronProbe(options: options)
            .run(files: .init(input: input, output: folder.path + "/out.h5", gradient: upstream))
        #expect(try folder.read("output", from: "out.h5").array == [5, 2])
        #expect(try folder.read("spikes", from: "out.h5").array == [1, 0, 0, 1, 1, 0])
        #expect(close(try folder.read("membrane", from: "out.h5").array, [1.5, 2.2, 1.5, 0.2, 0.5, 0.2]))
        #expect(result.spec.spikePackConfiguration.bits == 3)

        let theta = Tensor([1], shape: [1], requiresGrad: true), leaf = Tensor(x.array, shape: [2], requiresGrad: true)
        spikePack(leaf, threshold: theta, configuration: SpikePackConfiguration(bits: 3)).backward(g)
        #expect(close(try folder.read("grad_threshold", from: "out.h5").array, theta.grad!.array))
        #expect(close(try folder.read("grad_input", from: "out.h5").array, leaf.grad!.array))
    }

    @Test("--png writes a PNG of the traces")
    func tracePNG() throws {
        let folder = ProbeFolder()
        var rng = PhiloxGenerator(seed: 8)
        let input = folder.write(Tensor.uniform([16, 6], low: 0, high: 2, rng: &rng), to: "in.h5")
        let png = folder.path + "/traces.png"
        for variant in [NeuronSpec.Variant.lif, .psn] {
            try NeuronProbe(options: NeuronOptions(variant: variant))
                .run(files: .init(input: input, output: folder.path + "/out.h5", png: png, traceNeurons: 3))
            let bytes = try Data(contentsOf: URL(fileURLWithPath: png))
            #expect(bytes.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        }
    }
}

@Suite("spikelab neuron: bad input is refused with the right exit code")
struct NeuronProbeErrorTests {
    /// Runs the probe and returns the error it throws (nil if none).
    private func failure(_ options: NeuronOptions, _ folder: ProbeFolder, input: Tensor = Tensor([1, 2, 3, 4], shape: [4, 1]),
                         inputFile: String? = nil, dataset: String = "x", upstream: Tensor? = nil) -> NeuronProbeError? {
        let path = inputFile ?? folder.write(input, to: "in.h5")
        let gradient = upstream.map { folder.write($0, as: "g", to: "g.h5") }
        do {
            try NeuronProbe(options: options).run(files: .init(input: path, dataset: dataset, output: folder.path + "/out.h5",
                                                               gradient: gradient))
            return nil
        } catch {
            return error
        }
    }

    @Test("a missing input file is bad data (exit 3) and writes nothing")
    func missingFile() {
        let folder = ProbeFolder()
        let error = failure(NeuronOptions(variant: .lif), folder, inputFile: folder.path + "/nope.h5")
        #expect(error?.exitCode == 3)
        #expect(error?.description.contains("nope.h5") == true)
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/out.h5"))
    }

    @Test("a file that is not HDF5 is bad data (exit 3)")
    func notHDF5() throws {
        let folder = ProbeFolder()
        let path = folder.path + "/text.h5"
        try "not hdf5".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(failure(NeuronOptions(variant: .lif), folder, inputFile: path)?.exitCode == 3)
    }

    @Test("a missing dataset names the datasets that are there (exit 3)")
    func missingDataset() {
        let folder = ProbeFolder()
        let error = failure(NeuronOptions(variant: .lif), folder, dataset: "current")
        #expect(error?.exitCode == 3)
        #expect(error?.description.contains("no dataset 'current'") == true)
        #expect(error?.description.contains("datasets there: x") == true)
    }

    @Test("an option that does not apply to the variant is refused (exit 2), naming where it applies")
    func inapplicableOption() {
        let folder = ProbeFolder()
        var options = NeuronOptions(variant: .if)
        options.tau = 3
        let error = failure(options, folder)
        #expect(error?.exitCode == 2)
        #expect(error?.description.contains("--tau does not apply to if; it applies to lif, plif, psu, ipsu, rpsu") == true)
    }

    @Test("out-of-range values are refused (exit 2)")
    func outOfRange() {
        let folder = ProbeFolder()
        var lif = NeuronOptions(variant: .lif)
        lif.tau = 0.5
        #expect(failure(lif, folder)?.description.contains("--tau must be a number > 1, got 0.5") == true)
        var pack = NeuronOptions(variant: .spikePack)
        pack.bits = 30
        #expect(failure(pack, folder)?.exitCode == 2)
        var masked = NeuronOptions(variant: .maskedPSN)
        #expect(failure(masked, folder)?.description.contains("--order is required") == true)
        masked.order = 9
        #expect(failure(masked, folder)?.description.contains("--order must be in 1...4") == true)
    }

    @Test("bad variant and choice names list what is allowed (exit 2)")
    func badNames() {
        #expect(throws: NeuronProbeError.self) { try NeuronOptions(variantName: "lfi") }
        #expect(throws: NeuronProbeError.self) { try NeuronOptions(variantName: "relu") }
        var options = NeuronOptions(variant: .lif)
        do {
            try options.setChoice("--surrogate", "sigmod")
            Issue.record("sigmod was accepted")
        } catch {
            #expect(error.exitCode == 2)
            #expect(error.description.contains("allowed: sigmoid, atan, rectangle, triangle"))
        }
    }

    @Test("--time-steps that disagrees with the input's time axis is refused (exit 2)")
    func timeStepMismatch() {
        let folder = ProbeFolder()
        var options = NeuronOptions(variant: .lif)
        options.timeSteps = 8
        let error = failure(options, folder)
        #expect(error?.exitCode == 2)
        #expect(error?.description.contains("does not match the input's leading (time) axis of 4") == true)
    }

    @Test("an upstream gradient of the wrong shape is refused (exit 2) and nothing is written")
    func gradientShape() {
        let folder = ProbeFolder()
        let error = failure(NeuronOptions(variant: .lif), folder, upstream: Tensor([1, 2], shape: [2, 1]))
        #expect(error?.exitCode == 2)
        #expect(error?.description.contains("upstream gradient has shape [2, 1]") == true)
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/out.h5"))
    }

    @Test("a scalar input for a neuron that sees time is refused (exit 2); a NaN input is bad data (exit 3)")
    func badInputs() {
        let folder = ProbeFolder()
        #expect(failure(NeuronOptions(variant: .lif), folder, input: Tensor([1], shape: []))?.exitCode == 2)
        let nan = failure(NeuronOptions(variant: .lif), folder, input: Tensor([1, .nan], shape: [2]))
        #expect(nan?.exitCode == 3)
        #expect(nan?.description.contains("flat index 1") == true)
    }
}
