import Foundation
import SpikeNN
import SpikeNeurons
import SpikeTensor

/// `spikelab bench neurons`: every neuron variant's forward and forward+backward over [T, M]
/// for T in 1…64, the bytes each pass must move and the bandwidth that achieves against the
/// triad measured in the same run, the peak tensor memory, and the spiking vgg-small training
/// step with each variant.
///
/// Bytes moved (the counting model): each tensor a pass must read or write counted once, at
/// its size — inputs read, outputs written, values saved for backward written once and read once
/// — with no cache reuse and no write-allocate traffic; scratch a kernel makes and re-reads is
/// not counted. So GB/s is an effective bandwidth: the triad (12 bytes per element) is counted
/// the same way. Per neuron-step (4-byte floats):
///
/// | variant | forward (no graph) | forward+backward |
/// |---|---|---|
/// | if, lif, plif | x, S: 8 | forward 8 (nothing saved), backward x, g, ∂x: 12 → 20 |
/// | general_snn | x, S, mem: 12 | 12 (mem is the saved value) + mem, g, ∂x: 24 |
/// | psn, masked_psn, sliding_psn | x, S: 8 | forward 12 (+ H saved), backward H, g, x, ∂x: 16 → 28 |
/// | psu, ipsu, rpsu (fused) | x, S: 8 | forward 8 (nothing saved), backward x, g, ∂x: 12 → 20 |
/// | spikepack (per neuron, not per step) | v, out: 8 | forward 9 (+ 1-byte mask), backward g, mask, v, ∂v: 13 → 22 |
///
/// Peak memory is the largest `StoragePool.shared.liveBytes` during one forward+backward above
/// what was live before it (the input and the upstream gradient), i.e. what the pass allocates.
public struct NeuronBenchmark {
    /// Fewer neurons, steps, repetitions and variants, for about a minute on 2 cores.
    public var quick: Bool
    /// Progress lines go here (stderr by default).
    public var log: (String) -> Void

    /// Only these variants (all when nil).
    public var onlyVariants: [NeuronSpec.Variant]?
    /// Only these time steps (the default sweep when nil).
    public var onlyTimeSteps: [Int]?
    /// Whether the vgg-small training steps run.
    public var includeVGG: Bool

    public init(quick: Bool = false, onlyVariants: [NeuronSpec.Variant]? = nil, onlyTimeSteps: [Int]? = nil,
                includeVGG: Bool = true,
                log: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        self.quick = quick
        self.onlyVariants = onlyVariants
        self.onlyTimeSteps = onlyTimeSteps
        self.includeVGG = includeVGG
        self.log = log
    }

    /// Parses a comma-separated variant list (`lif,psn`), or says which names are allowed.
    public static func parseVariants(_ text: String) -> Result<[NeuronSpec.Variant], BenchmarkArgumentError> {
        var list: [NeuronSpec.Variant] = []
        for name in text.split(separator: ",").map(String.init) {
            guard let v = NeuronSpec.Variant(rawValue: name), variants.contains(v) else {
                return .failure(BenchmarkArgumentError(message: "--variants: '\(name)' is not a benchmarked neuron; allowed: "
                                                       + variants.map(\.rawValue).joined(separator: ", ")))
            }
            list.append(v)
        }
        return list.isEmpty ? .failure(BenchmarkArgumentError(message: "--variants: no neuron named")) : .success(list)
    }

    /// The variants measured, in report order.
    public static let variants: [NeuronSpec.Variant] = [.if, .lif, .plif, .psn, .maskedPSN, .slidingPSN, .psu, .ipsu,
                                                        .rpsu, .spikePack, .generalSNN]
    /// Time steps measured.
    public var timeSteps: [Int] { onlyTimeSteps ?? (quick ? [1, 8, 64] : [1, 2, 4, 8, 16, 32, 64]) }
    /// Time steps measured for `variant`: SpikePack packs at most 24 bits (a Float32 holds
    /// 2^24 levels exactly), so it runs the steps up to 24 and 24 itself.
    func steps(of variant: NeuronSpec.Variant) -> [Int] {
        guard variant == .spikePack else { return timeSteps }
        let limit = Self.spikePackMaxBits
        return timeSteps.filter { $0 < limit } + (timeSteps.contains { $0 >= limit } ? [limit] : [])
    }

    /// The most bits `SpikePackConfiguration` accepts.
    static let spikePackMaxBits = 24

    /// Neurons per time step.
    public var neurons: Int { quick ? 1 << 18 : 1 << 20 }

    /// Runs the sweep and the vgg-small steps and returns the report.
    public func run() -> BenchmarkReport {
        var report = BenchmarkReport(benchmark: "neurons", threads: Threads.count)
        let engine = EngineBenchmark(quick: quick, log: log)
        let triad = engine.triad()
        report.measurements.append(triad)
        let triadRate = triad.throughput ?? 0
        let chosen = onlyVariants ?? Self.variants
        for variant in chosen {
            for t in steps(of: variant) {
                report.measurements += neuron(variant, timeSteps: t, triad: triadRate)
            }
        }
        if chosen.contains(.lif) || chosen.contains(where: { [.psu, .ipsu, .rpsu].contains($0) }) {
            for t in timeSteps where t > 1 {
                report.measurements.append(serialLIF(timeSteps: t, triad: triadRate))
            }
        }
        // The triad again after the sweep: on a shared host the bandwidth left to this process can
        // change by 2× from one minute to the next (results/bench/neurons.md, 15:14 UTC), and a
        // share of a triad measured while something else took bandwidth reads too high. Shares
        // are taken of the faster of the two.
        var closing = engine.triad()
        closing.name = "triad_end"
        report.measurements.append(closing)
        report.measurements = Self.sharesOfFasterTriad(report.measurements, log: log)
        guard includeVGG else { return report }
        let vggVariants: [NeuronSpec.Variant] = quick ? [.lif] : chosen
        for variant in vggVariants { report.measurements.append(vggSmallStep(variant)) }
        report.measurements.append(vggSmallConvolutions())
        return report
    }

    /// `measurements` with every share of the triad re-taken against the faster of "triad" and
    /// "triad_end" (the first measured them against "triad"); logs when the two differ by more
    /// than a quarter.
    static func sharesOfFasterTriad(_ measurements: [BenchmarkMeasurement], log: (String) -> Void) -> [BenchmarkMeasurement] {
        let rates = measurements.filter { $0.name == "triad" || $0.name == "triad_end" }.compactMap(\.throughput)
        guard let first = rates.first, first > 0, let best = rates.max() else { return measurements }
        if let low = rates.min(), best > 1.25 * low {
            log(String(format: "triad: %.1f and %.1f GB/s at the start and the end; shares are of the faster", rates[0],
                       rates.count > 1 ? rates[1] : rates[0]))
        }
        return measurements.map { m in
            var m = m
            m.fractionOfTriad = m.fractionOfTriad.map { $0 * first / best }
            return m
        }
    }

    // MARK: Neurons

    /// Bytes per neuron-step (per neuron for SpikePack) of the forward and forward+backward passes.
    static func bytesPerElement(_ variant: NeuronSpec.Variant) -> (forward: Double, training: Double) {
        switch variant {
        case .if, .lif, .plif: (8, 20)
        case .generalSNN: (12, 24)
        case .psn, .maskedPSN, .slidingPSN: (8, 28)
        case .psu, .ipsu, .rpsu: (8, 20)
        case .spikePack: (8, 22)
        case .relu: (8, 16)
        }
    }

    /// The spec a variant is measured with: defaults, order 2 for the masked and sliding PSN,
    /// λ = 1 (the trained band) for the masked PSN, learnable threshold for SpikePack.
    static func spec(_ variant: NeuronSpec.Variant, timeSteps t: Int) -> NeuronSpec {
        var spec = NeuronSpec(variant, timeSteps: t)
        if variant == .maskedPSN || variant == .slidingPSN { spec.order = min(2, t) }
        if variant == .maskedPSN { spec.lambda = 1 }
        return spec
    }

    /// Forward (no graph) and forward+backward of one variant at T steps over `neurons` neurons.
    func neuron(_ variant: NeuronSpec.Variant, timeSteps t: Int, triad: Double) -> [BenchmarkMeasurement] {
        let m = neurons
        let spec = Self.spec(variant, timeSteps: t)
        var rng = PhiloxGenerator(seed: 11)
        let layer = NeuronLayer(spec: spec, rng: &rng)
        // SpikePack packs T into one value: its input is one potential per neuron.
        let shape = variant == .spikePack ? [m] : [t, m]
        let x = Tensor.uniform(shape, low: -0.5, high: 2.5, rng: &rng)
        let g = Tensor.uniform(shape, low: -1, high: 1, rng: &rng)
        let elements = Double(variant == .spikePack ? m : t * m)
        let (fwdBytes, trainBytes) = Self.bytesPerElement(variant)
        let reps = quick ? 2 : (t >= 32 ? 3 : 5)
        // As a network runs the layer: spikes only (IF/LIF/PLIF then never write the membrane).
        let forwardPass = { () -> Tensor in layer(x) }
        log("neuron \(variant.rawValue): T = \(t), \(m) neurons")
        let forward = measure(repetitions: reps) { _ = noGrad { forwardPass() } }

        x.requiresGrad = true
        let parameters = layer.namedParameters().map(\.tensor)
        var peak = 0
        let training = measure(repetitions: reps) {
            x.grad = nil
            for p in parameters { p.grad = nil }
            let before = StoragePool.shared.liveBytes
            StoragePool.shared.resetPeak()
            forwardPass().backward(g)
            peak = max(peak, StoragePool.shared.peakLiveBytes - before)
        }
        x.requiresGrad = false
        x.grad = nil

        let name = "neuron_\(variant.rawValue)_t\(t)"
        let perWhat = variant == .spikePack ? "per neuron (T packed)" : "per neuron-step"
        func entry(_ pass: String, _ time: (best: Double, median: Double), bytesPer: Double, peak: Int?) -> BenchmarkMeasurement {
            let bytes = bytesPer * elements
            let rate = bytes / time.best / 1e9
            var measurement = BenchmarkMeasurement(
                name: "\(name)_\(pass)",
                description: "\(variant.rawValue) \(pass.replacingOccurrences(of: "_", with: "+")), T = \(t), \(m) neurons, \(Int(bytesPer)) bytes \(perWhat) counted",
                seconds: time.best, medianSeconds: time.median, throughput: rate, unit: "GB/s", repetitions: reps)
            measurement.bytesMoved = bytes
            measurement.fractionOfTriad = triad > 0 ? rate / triad : nil
            measurement.peakBytes = peak
            return measurement
        }
        return [entry("forward", forward, bytesPer: fwdBytes, peak: nil),
                entry("forward_backward", training, bytesPer: trainBytes, peak: peak)]
    }

    /// LIF run step by step (`lifStep` T times, as an inference loop or a framework without a
    /// fused multi-step kernel does), forward+backward: the serial baseline of the PSU family.
    func serialLIF(timeSteps t: Int, triad: Double) -> BenchmarkMeasurement {
        let m = neurons
        var rng = PhiloxGenerator(seed: 12)
        let steps = (0..<t).map { _ in Tensor.uniform([m], low: -0.5, high: 2.5, rng: &rng, requiresGrad: true) }
        let g = Tensor.uniform([t, m], low: -1, high: 1, rng: &rng)
        let reps = quick ? 2 : (t >= 32 ? 3 : 5)
        log("neuron lif step by step: T = \(t), \(m) neurons")
        var peak = 0
        let time = measure(repetitions: reps) {
            for s in steps { s.grad = nil }
            let before = StoragePool.shared.liveBytes
            StoragePool.shared.resetPeak()
            var state = MembraneState(shape: [m], restingPotential: 0)
            let spikes = steps.map { lifStep($0, state: &state) }
            stack(spikes, axis: 0).backward(g)
            peak = max(peak, StoragePool.shared.peakLiveBytes - before)
        }
        let bytes = Self.bytesPerElement(.lif).training * Double(t * m)
        var measurement = BenchmarkMeasurement(
            name: "neuron_lif_serial_t\(t)_forward_backward",
            description: "LIF by lifStep T times, forward+backward (spikes stacked to [T, M]), T = \(t), \(m) neurons, \(Int(Self.bytesPerElement(.lif).training)) bytes per neuron-step counted (the fused kernel's count)",
            seconds: time.best, medianSeconds: time.median, throughput: bytes / time.best / 1e9, unit: "GB/s",
            repetitions: reps)
        measurement.bytesMoved = bytes
        measurement.fractionOfTriad = triad > 0 ? bytes / time.best / 1e9 / triad : nil
        measurement.peakBytes = peak
        return measurement
    }

    // MARK: vgg-small

    /// The spiking vgg-small (SpikeNN `VGGSmall`) training step with `variant` at T = 4, batch
    /// 32: forward, cross-entropy of the time-averaged logits, backward, SGD (momentum 0.9).
    func vggSmallStep(_ variant: NeuronSpec.Variant) -> BenchmarkMeasurement {
        let timeSteps = 4, batch = 32
        var rng = PhiloxGenerator(seed: 13)
        let net = VGGSmall(neuron: Self.spec(variant, timeSteps: timeSteps), rng: &rng)
        let images = Tensor.uniform([batch, 3, 32, 32], low: -1, high: 1, rng: &rng)
        let labels = Tensor(int32: (0..<batch).map { Int32($0 % 10) })
        let optimizer = SGD(parameters: net.namedParameters(), lr: 0.01, momentum: 0.9)
        let reps = quick ? 1 : 3
        log("vgg-small training step: \(variant.rawValue), T = \(timeSteps), batch \(batch)")
        var peak = 0
        let (best, median) = measure(repetitions: reps, warmup: 1) {
            optimizer.zeroGrad()
            let before = StoragePool.shared.liveBytes
            StoragePool.shared.resetPeak()
            let loss = crossEntropy(net(images), labels)
            loss.backward()
            optimizer.step()
            peak = max(peak, StoragePool.shared.peakLiveBytes - before)
        }
        let folded = net.timeSteps
        var measurement = BenchmarkMeasurement(
            name: "vgg_small_\(variant.rawValue)_step",
            description: "spiking vgg-small (\(variant.rawValue)) training step, T = \(timeSteps)\(folded == 1 ? " packed (body runs once)" : ""), batch \(batch), 3x32x32, SGD momentum 0.9",
            seconds: best, medianSeconds: median, throughput: Double(batch) / best, unit: "images/s",
            repetitions: reps)
        measurement.peakBytes = peak
        return measurement
    }
}

extension NeuronBenchmark {
    /// The six 3×3 convolutions of the spiking vgg-small step at its shapes (T = 4 × batch 32 =
    /// 128 images folded), each pass timed alone through the same engine call the step makes:
    /// forward and backward-weights of all six, backward-data of all but the first (the step
    /// needs no gradient of its input images). The sum of the passes' best times is what the
    /// step spends in convolutions at the least — a floor no neuron kernel can lower — and
    /// the step's time above it is everything else (batch norm, neurons, pooling, loss, update).
    func vggSmallConvolutions() -> BenchmarkMeasurement {
        let images = 4 * 32
        let layers = [(3, 64, 32), (64, 128, 32), (128, 256, 16), (256, 256, 16), (256, 512, 8), (512, 512, 8)]
            .map { EngineBenchmark.ConvLayer(name: "vgg_small_conv_\($0.0)x\($0.1)_\($0.2)x\($0.2)", batch: images,
                                             channels: $0.0, out: $0.1, size: $0.2, kernel: 3) }
        log("vgg-small convolutions alone: 6 layers, \(images) images (T = 4 × batch 32)")
        let engine = EngineBenchmark(quick: quick, log: log)
        var best = 0.0, median = 0.0, flops = 0.0
        for (index, layer) in layers.enumerated() {
            for pass in engine.convolution(layer) where index > 0 || !pass.name.hasSuffix("_backward_data") {
                best += pass.seconds
                median += pass.medianSeconds
                flops += layer.flops
            }
        }
        return BenchmarkMeasurement(
            name: "vgg_small_convolutions",
            description: "the spiking vgg-small step's 6 convolutions alone at its shapes (128 images = T 4 × batch 32): forward + backward-weights of all, backward-data of all but the first; sum of each pass's best (median) time: the least time the step spends in convolutions",
            seconds: best, medianSeconds: median, throughput: flops / best / 1e9, unit: "GFLOP/s",
            repetitions: quick ? 2 : 8)
    }
}

/// A bad `spikelab bench neurons` argument, with what is allowed.
public struct BenchmarkArgumentError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
