import Foundation
import SpikeData
import SpikeNN
import SpikeNeurons
import SpikeTensor

/// Why `spikelab neuron` could not run, with the exit code each maps to.
public enum NeuronProbeError: Error, CustomStringConvertible, Equatable {
    /// Options that are unknown for the variant, out of range or contradictory (exit 2).
    case invalidOptions(String)
    /// An input or gradient whose shape the neuron cannot take (exit 2).
    case invalidShape(String)
    /// A file that is missing or unreadable, or a dataset that is missing or holds bad values (exit 3).
    case badData(String)
    /// The output could not be written (exit 1).
    case writeFailed(String)

    public var description: String {
        switch self {
        case .invalidOptions(let m), .invalidShape(let m), .badData(let m), .writeFailed(let m): m
        }
    }

    /// The command's exit code: 2 bad arguments, 3 bad or missing data, 1 failed.
    public var exitCode: Int32 {
        switch self {
        case .invalidOptions, .invalidShape: 2
        case .badData: 3
        case .writeFailed: 1
        }
    }
}

/// What a probe computed for one input.
public struct NeuronProbeResult {
    /// The neuron that ran.
    public var spec: NeuronSpec
    /// Spikes (0/1), shaped like the input; SpikePack: the serial form's spikes [bits, …input].
    public var spikes: Tensor
    /// The membrane at every step where the variant has one (IF/LIF/PLIF: V after reset; PSU
    /// family: the potential compared with the threshold; general SNN: mem; SpikePack: the serial
    /// form's residual after each step, [bits, …input]); nil for the PSN family.
    public var membrane: Tensor?
    /// SpikePack's output θ·z (what the next layer sees), shaped like the input; nil otherwise.
    public var output: Tensor?
    /// ∂L/∂x for L = ⟨g, y⟩ (y = spikes, or SpikePack's output), when an upstream gradient was given.
    public var gradInput: Tensor?
    /// The layer's parameters under their state-dict names (PLIF `w`, PSN `weight`/`bias`, …).
    public var parameters: [NamedTensor]
    /// ∂L/∂p of every parameter that learns, when an upstream gradient was given.
    public var parameterGradients: [NamedTensor]
}

/// `spikelab neuron`: one neuron layer, built from a `NeuronSpec` exactly as an experiment builds
/// it (`NeuronLayer`), run on an input current and, given an upstream gradient, differentiated.
public struct NeuronProbe {
    /// The neuron's options.
    public var options: NeuronOptions
    /// Seed of the parameters that start random (PSN, IPSU/RPSU weights).
    public var seed: UInt64

    public init(options: NeuronOptions, seed: UInt64 = 0) {
        self.options = options
        self.seed = seed
    }

    /// Runs the neuron on `input` ([T, …] for the variants that see time; any shape of potentials
    /// for SpikePack). With `upstream` (shaped like the spikes, or like SpikePack's output) also
    /// back-propagates ⟨upstream, y⟩ to the input and the parameters.
    public func run(input: Tensor, upstream: Tensor? = nil) throws(NeuronProbeError) -> NeuronProbeResult {
        let variant = options.variant
        if variant.runsOverTime, input.rank < 1 {
            throw .invalidShape("\(variant.rawValue) needs an input [T, ...] with a leading time axis, got a scalar")
        }
        if input.count == 0 { throw .invalidShape("the input is empty (shape \(input.shape))") }
        let spec = try options.spec(inputSteps: input.rank >= 1 ? input.shape[0] : 1)
        guard input.dtype == .float32 else { throw .invalidShape("the input must be float32, got \(input.dtype)") }
        let floats = input
        if let bad = firstNonFinite(floats) {
            throw .badData("input holds a non-finite value (\(bad.value)) at flat index \(bad.index)")
        }
        var rng = PhiloxGenerator(seed: seed)
        let layer = NeuronLayer(spec: spec, rng: &rng)
        let x = Tensor(floats.array, shape: floats.shape, requiresGrad: upstream != nil)

        var result: NeuronProbeResult
        let differentiated: Tensor
        if variant == .spikePack {
            let out = upstream == nil ? noGrad { layer(x) } : layer(x)
            let theta = layer.threshold!.item
            let configuration = spec.spikePackConfiguration
            result = NeuronProbeResult(
                spec: spec, spikes: spikePackSerialDecode(x, threshold: theta, configuration: configuration),
                membrane: spikePackResiduals(x, threshold: theta, configuration: configuration), output: out,
                gradInput: nil, parameters: layer.namedParameters(), parameterGradients: [])
            differentiated = out
        } else {
            let (spikes, membrane) = upstream == nil ? noGrad { layer.multiStep(x) } : layer.multiStep(x)
            result = NeuronProbeResult(spec: spec, spikes: spikes, membrane: membrane, output: nil, gradInput: nil,
                                       parameters: layer.namedParameters(), parameterGradients: [])
            differentiated = spikes
        }
        guard let upstream else { return result }
        guard upstream.shape == differentiated.shape else {
            throw .invalidShape("the upstream gradient has shape \(upstream.shape) but the \(variant == .spikePack ? "output" : "spikes") have shape \(differentiated.shape); they must match")
        }
        guard upstream.dtype == .float32 else { throw .invalidShape("the upstream gradient must be float32, got \(upstream.dtype)") }
        let g = upstream
        if let bad = firstNonFinite(g) {
            throw .badData("the upstream gradient holds a non-finite value (\(bad.value)) at flat index \(bad.index)")
        }
        differentiated.backward(g)
        result.gradInput = x.grad ?? Tensor.zeros(x.shape)
        result.parameterGradients = result.parameters.compactMap { named in
            guard named.tensor.requiresGrad else { return nil }
            return (named.name, named.tensor.grad ?? Tensor.zeros(named.tensor.shape))
        }
        return result
    }

    // MARK: Files

    /// Where a probe reads and writes.
    public struct Files: Sendable {
        /// HDF5 file with the input current.
        public var input: String
        /// Name of the input dataset in it.
        public var dataset: String
        /// HDF5 file written (atomically) with the results.
        public var output: String
        /// HDF5 file with the upstream gradient, if any.
        public var gradient: String?
        /// Name of the gradient dataset.
        public var gradientDataset: String
        /// PNG of membrane and spike traces, if wanted.
        public var png: String?
        /// How many neurons (the first of the flattened non-time axes) the PNG shows.
        public var traceNeurons: Int

        public init(input: String, dataset: String = "x", output: String, gradient: String? = nil,
                    gradientDataset: String = "g", png: String? = nil, traceNeurons: Int = 4) {
            self.input = input
            self.dataset = dataset
            self.output = output
            self.gradient = gradient
            self.gradientDataset = gradientDataset
            self.png = png
            self.traceNeurons = traceNeurons
        }
    }

    /// Reads `files.input`, runs the neuron and writes `spikes`, `membrane`, `output`, `grad_input`,
    /// `grad_<parameter>` and `parameters/<name>` to `files.output` (plus the PNG when asked).
    @discardableResult
    public func run(files: Files) throws(NeuronProbeError) -> NeuronProbeResult {
        if files.traceNeurons < 1 { throw .invalidOptions("--trace-neurons must be at least 1, got \(files.traceNeurons)") }
        let input = try Self.readDataset(files.dataset, from: files.input, role: "input")
        var upstream: Tensor?
        if let path = files.gradient {
            upstream = try Self.readDataset(files.gradientDataset, from: path, role: "upstream gradient")
        }
        let result = try run(input: input, upstream: upstream)
        do {
            try HDF5File.writeAtomically(to: files.output) { file in
                try file.writeTensor(result.spikes, at: "spikes")
                if let membrane = result.membrane { try file.writeTensor(membrane, at: "membrane") }
                if let output = result.output { try file.writeTensor(output, at: "output") }
                if let grad = result.gradInput { try file.writeTensor(grad, at: "grad_input") }
                for (name, grad) in result.parameterGradients { try file.writeTensor(grad, at: "grad_\(name)") }
                for (name, value) in result.parameters { try file.writeTensor(value, at: "parameters/\(name)") }
                try file.setAttribute("variant", .string(result.spec.variant.rawValue))
                try file.setAttribute("time_steps", .int64(Int64(result.spec.timeSteps)))
                try file.setAttribute("seed", .int64(Int64(bitPattern: seed)))
                try file.setAttribute("spec", .string(String(describing: result.spec)))
                try file.setAttribute("spikelab_version", .string(SpikeLabVersion.string))
            }
        } catch {
            throw .writeFailed("could not write \(files.output): \(error)")
        }
        if let png = files.png {
            do {
                try tracePlot(result, input: input, neurons: files.traceNeurons).write(to: png)
            } catch {
                throw .writeFailed("could not write \(png): \(error)")
            }
        }
        return result
    }

    /// The dataset `name` of the HDF5 file at `path` as float32, or `.badData` saying what is wrong.
    static func readDataset(_ name: String, from path: String, role: String) throws(NeuronProbeError) -> Tensor {
        let file: HDF5File
        do {
            file = try HDF5File.open(path: path)
        } catch {
            throw .badData("cannot read the \(role) file: \(error)")
        }
        defer { try? file.close() }
        do {
            guard try file.datasetExists(name) else {
                let names = (try? file.listChildren().filter { $0.kind == .dataset }.map(\.name)) ?? []
                throw NeuronProbeError.badData("\(path): no dataset '\(name)' for the \(role); datasets there: "
                                               + (names.isEmpty ? "none" : names.joined(separator: ", "))
                                               + (role == "input" ? " (pick one with --dataset)" : " (pick one with --grad-dataset)"))
            }
            return try file.readTensor(name, as: .float32)
        } catch let error as NeuronProbeError {
            throw error
        } catch {
            throw .badData("\(path): cannot read dataset '\(name)' (\(role)): \(error)")
        }
    }

    /// Traces of the first `neurons` neurons: the membrane (or, for the PSN family, the input
    /// current), the spikes and the threshold where there is one fixed value.
    func tracePlot(_ result: NeuronProbeResult, input: Tensor, neurons: Int) -> NeuronTracePlot {
        let spec = result.spec
        let steps = result.spikes.shape[0]
        let width = result.spikes.count / steps
        let k = min(neurons, width)
        let trace = result.membrane ?? input
        func columns(_ t: Tensor) -> Tensor {
            let values = t.array
            var picked = [Float](repeating: 0, count: steps * k)
            for s in 0..<steps { for j in 0..<k { picked[s * k + j] = values[s * width + j] } }
            return Tensor(picked, shape: [steps, k])
        }
        let threshold: Double? = switch spec.variant {
        case .if, .lif, .plif, .psu, .ipsu, .rpsu, .generalSNN: Double(spec.resolvedThreshold)
        case .psn, .maskedPSN, .slidingPSN, .spikePack, .relu: nil
        }
        let what = switch spec.variant {
        case .psn, .maskedPSN, .slidingPSN: "input current (the PSN has no membrane)"
        case .spikePack: "serial residual membrane"
        default: "membrane"
        }
        return NeuronTracePlot(title: "\(spec.variant.rawValue), T = \(steps): \(what) and spikes",
                               membrane: columns(trace), spikes: columns(result.spikes), threshold: threshold)
    }
}

/// The serial SpikePack form's residual membrane after each step, [bits, …v.shape].
func spikePackResiduals(_ v: Tensor, threshold: Float, configuration: SpikePackConfiguration) -> Tensor {
    var state = SpikePackSerialState(potential: v, threshold: threshold, configuration: configuration)
    let residuals = Tensor(shape: [configuration.bits] + v.shape, uninitialized: true)
    let out = residuals.floats.baseAddress!
    for t in 0..<configuration.bits {
        _ = state.advance()
        let residual = state.membrane
        (out + t * v.count).update(from: residual.floats.baseAddress!, count: v.count)
    }
    return residuals
}

/// The first NaN or infinity of a float tensor, if any.
private func firstNonFinite(_ t: Tensor) -> (index: Int, value: Float)? {
    let p = t.floats
    for i in 0..<t.count where !p[i].isFinite { return (i, p[i]) }
    return nil
}
