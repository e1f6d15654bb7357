import ArgumentParser
import Foundation
import SpikeLab
import SpikeTensor

/// `spikelab neuron`: run one neuron variant on an input current from HDF5 and write what it did.
struct Neuron: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run one spiking neuron on an input current (HDF5) and write its spikes, membrane and gradients.",
        discussion: """
            Reads the dataset x (or --dataset) of --input: [T, ...] for the neurons that see time \
            (T = the leading axis), potentials of any shape for spikepack (bits = --bits or --time-steps, \
            default 4). Writes to --output: spikes, membrane (where the variant has one; spikepack: the \
            serial residual [bits, ...]), output (spikepack's θ·z), parameters/<name>, and with \
            --grad-output (dataset g, shaped like the spikes or spikepack's output) the gradient of \
            ⟨g, y⟩: grad_input and grad_<parameter> (plif grad_w, psn grad_weight/grad_bias, \
            spikepack grad_threshold, learnable grad_alpha). Options are the manifest's neuron: keys \
            (docs/manifest.md) with the same defaults; an option that does not apply to the variant is an error.
            Exit codes: 0 done, 1 could not write, 2 bad options or shapes, 3 missing or unreadable data.
            """)

    @Option(help: ArgumentHelp("Neuron model.", valueName: NeuronOptions.variantNames.joined(separator: "|")))
    var variant: String

    @Option(help: "HDF5 file holding the input current.")
    var input: String

    @Option(help: "Name of the input dataset.")
    var dataset: String = "x"

    @Option(help: "HDF5 file to write (replaced atomically).")
    var output: String

    @Option(name: .customLong("grad-output"), help: "HDF5 file with the upstream gradient ∂L/∂y (dataset g): also back-propagate.")
    var gradOutput: String?

    @Option(name: .customLong("grad-dataset"), help: "Name of the upstream gradient dataset.")
    var gradDataset: String = "g"

    @Option(help: "Draw membrane and spike traces of a few neurons to this PNG.")
    var png: String?

    @Option(name: .customLong("trace-neurons"), help: "Neurons (the first ones) the PNG shows.")
    var traceNeurons: Int = 4

    @Option(help: "Seed of the parameters that start random (PSN, IPSU, RPSU weights).")
    var seed: UInt64 = 0

    @Option(help: "Threads (default: SPIKELAB_THREADS or all cores).")
    var threads: Int?

    // The manifest's neuron: keys.
    @Option(name: .customLong("time-steps"), help: "time_steps: must equal the input's leading axis; spikepack: packed bits (default 4).")
    var timeSteps: Int?

    @Option(name: .customLong("v-threshold"), help: "v_threshold (default 1; general_snn 0.5; spikepack: initial θ).")
    var vThreshold: Float?

    @Option(help: "tau (> 1, default 2): LIF τ, PLIF initial τ, PSU family leak.")
    var tau: Float?

    @Option(name: .customLong("v-reset"), help: ArgumentHelp("v_reset (default 0), or null for the soft reset.", valueName: "number|null"))
    var vReset: String?

    @Flag(name: .customLong("decay-input"), inversion: .prefixedNo, help: "decay_input (default on): divide the input by τ too.")
    var decayInput: Bool?

    @Flag(name: .customLong("detach-reset"), inversion: .prefixedNo, help: "detach_reset (default off).")
    var detachReset: Bool?

    @Option(help: "surrogate.kind: sigmoid|atan|rectangle|triangle (default: sigmoid; atan for PSN/PSU; rectangle for general_snn).")
    var surrogate: String?

    @Option(help: "surrogate.alpha (default: sigmoid 4, atan 2, rectangle/triangle 1).")
    var alpha: Float?

    @Flag(name: .customLong("learnable-alpha"), inversion: .prefixedNo, help: "surrogate.learnable_alpha (default on for psu/ipsu/rpsu).")
    var learnableAlpha: Bool?

    @Option(help: "order k of masked_psn and sliding_psn (required there).")
    var order: Int?

    @Option(help: "masked_psn mask weight λ in [0, 1] (default 0, the start of the manifest's ramp).")
    var lambda: Float?

    @Option(name: .customLong("ipsu-reset"), help: "ipsu_reset: linear|sigmoid (default linear).")
    var ipsuReset: String?

    @Option(help: "spikepack.base (>= 1, default 2).")
    var base: Float?

    @Option(help: "spikepack bits (1...24, default --time-steps).")
    var bits: Int?

    @Option(help: "spikepack.rounding: floor|nearest (default floor).")
    var rounding: String?

    @Option(name: .customLong("threshold-mode"), help: "spikepack.threshold: fixed|learnable (default learnable).")
    var thresholdMode: String?

    @Option(help: "general_snn.leak in (0, 1) (default 0.4).")
    var leak: Float?

    func run() throws {
        do {
            try probe()
        } catch let error as NeuronProbeError {
            throw fail(error)
        }
    }

    private func probe() throws {
        if let threads {
            guard threads >= 1 else { throw NeuronProbeError.invalidOptions("--threads must be at least 1, got \(threads)") }
            Threads.configure(threads)
        }
        if traceNeurons < 1 { throw NeuronProbeError.invalidOptions("--trace-neurons must be at least 1, got \(traceNeurons)") }
        var options = try NeuronOptions(variantName: variant)
        options.timeSteps = timeSteps
        options.vThreshold = vThreshold
        options.tau = tau
        if let vReset {
            if ["null", "none", "soft"].contains(vReset.lowercased()) {
                options.reset = .soft
            } else if let value = Float(vReset) {
                options.reset = .hard(value)
            } else {
                throw NeuronProbeError.invalidOptions("--v-reset '\(vReset)' is neither a number nor null (the soft reset)")
            }
        }
        options.decayInput = decayInput
        options.detachReset = detachReset
        if let surrogate { try options.setChoice("--surrogate", surrogate) }
        options.alpha = alpha
        options.learnableAlpha = learnableAlpha
        options.order = order
        options.lambda = lambda
        if let ipsuReset { try options.setChoice("--ipsu-reset", ipsuReset) }
        options.base = base
        options.bits = bits
        if let rounding { try options.setChoice("--rounding", rounding) }
        if let thresholdMode { try options.setChoice("--threshold-mode", thresholdMode) }
        options.leak = leak
        let files = NeuronProbe.Files(input: input, dataset: dataset, output: output, gradient: gradOutput,
                                      gradientDataset: gradDataset, png: png, traceNeurons: traceNeurons)
        let result = try NeuronProbe(options: options, seed: seed).run(files: files)
        let spikes = result.spikes.array
        let rate = spikes.reduce(0, +) / Float(max(1, spikes.count))
        var written = ["spikes"]
        if result.membrane != nil { written.append("membrane") }
        if result.output != nil { written.append("output") }
        if result.gradInput != nil { written.append("grad_input") }
        written += result.parameterGradients.map { "grad_\($0.name)" }
        print("\(variant): spikes \(result.spikes.shape.map(String.init).joined(separator: "×")), "
              + String(format: "firing rate %.4f", rate) + "; wrote \(written.joined(separator: ", ")) to \(output)"
              + (png.map { " and traces to \($0)" } ?? ""))
    }

    /// Prints the error and returns the exit code it maps to.
    private func fail(_ error: NeuronProbeError) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        return ExitCode(error.exitCode)
    }
}
