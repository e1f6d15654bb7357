import Foundation

/// What `spikelab bench efficiency` measured: the machine and its load, then each part's rows,
/// every ratio computed from measurements of the same run.
public struct EfficiencyReport: Codable, Sendable {
    /// One network at one T: its training-step time (and, for the SpikePack part, memory).
    public struct TimingRow: Codable, Sendable {
        public var variant: String
        public var manifest: String
        public var arch: String
        public var width: Double
        public var timeSteps: Int
        public var parameters: Int
        public var bestStepSeconds: Double
        public var medianStepSeconds: Double
        /// Least process CPU time (all threads, spin-waits included) of one timed step: it
        /// changes less than wall time when other programs load the machine.
        public var leastCPUSeconds: Double
        /// Training images per second at the median step time.
        public var imagesPerSecond: Double
        /// Peak tensor memory one step allocates above what was live before it (parameters,
        /// optimizer state, the input batch), when tracked.
        public var peakBytes: Int?
        /// Median step time over the baseline's (serial LIF's) at the same T, in the PSU part.
        public var ratioToBaseline: Double? = nil
        /// The same from the least CPU times.
        public var cpuRatioToBaseline: Double? = nil
        /// Median step time over the step-by-step LIF's (`lif-serial`) at the same T, in the PSU part.
        public var ratioToSerial: Double? = nil
        /// The same from the least CPU times.
        public var cpuRatioToSerial: Double? = nil
        /// Median step time over the same variant's at the first T measured.
        public var timeOverFirstT: Double? = nil
        /// The same from the least CPU times.
        public var cpuOverFirstT: Double? = nil
        /// Peak memory over the same variant's at the first T measured.
        public var memoryOverFirstT: Double? = nil
    }

    /// One network of the energy part, per test image.
    public struct EnergyRow: Codable, Sendable {
        public var role: EfficiencyEnergy.Role = .snn
        public var manifest = ""
        public var name = ""
        public var arch = ""
        public var neuron = ""
        public var timeSteps = 1
        public var width = 0.0
        /// The checkpoint measured, or "untrained (…)".
        public var source = ""
        public var epoch: Int? = nil
        public var images: Int
        /// Top-1 on the measured images (an untrained model sits near chance).
        public var top1: Double
        /// Spikes per neuron-step over the spiking layers; nil for the ANN.
        public var firingRate: Double?
        /// Multiply-accumulates charged (layers with real-valued input, distinct step inputs).
        public var chargedMACs: Double
        /// Dense multiply-accumulates of every layer over every step it ran.
        public var denseMACs: Double
        /// Accumulates charged (spike-fed layers: exact non-zero-input operations).
        public var accumulates: Double
        /// Picojoules per image: chargedMACs · E_MAC + accumulates · E_AC.
        public var energyPJ: Double
        /// This row's energy over the single-step SNN's.
        public var ratioToSNN: Double? = nil

        public init(images: Int, top1: Double, firingRate: Double?, chargedMACs: Double, denseMACs: Double,
                    accumulates: Double, energyPJ: Double) {
            self.images = images
            self.top1 = top1
            self.firingRate = firingRate
            self.chargedMACs = chargedMACs
            self.denseMACs = denseMACs
            self.accumulates = accumulates
            self.energyPJ = energyPJ
        }
    }

    /// The energy part's rows and what they were measured on.
    public struct EnergyPart: Codable, Sendable {
        public var dataRoot: String
        public var images: Int
        public var eMAC: Double
        public var eAC: Double
        public var rows: [EnergyRow]

        init(dataRoot: String, images: Int, costs: EnergyCosts, rows: [EnergyRow]) {
            self.dataRoot = dataRoot
            self.images = images
            eMAC = costs.mac
            eAC = costs.ac
            self.rows = rows
        }

        public func row(_ role: EfficiencyEnergy.Role) -> EnergyRow? { rows.first { $0.role == role } }
        /// ANN energy over the single-step SNN's (the paper: 10×).
        public var annOverSNN: Double? { row(.ann)?.ratioToSNN }
        /// T = 4 LIF SNN energy over the single-step SNN's (the paper: 3×).
        public var lifOverSNN: Double? { row(.lif)?.ratioToSNN }
    }

    public var machine: BenchmarkReport
    /// 1-, 5- and 15-minute load averages when the run started and ended.
    public var loadAverageBefore: [Double]?
    public var loadAverageAfter: [Double]? = nil
    public var batch: Int
    public var steps: Int
    public var timeSteps: [Int]
    public var psu: [TimingRow]? = nil
    public var spikePack: [TimingRow]? = nil
    public var energy: EnergyPart? = nil

    /// Pretty-printed JSON.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    private static func load(_ values: [Double]?) -> String {
        values.map { $0.map { String(format: "%.2f", $0) }.joined(separator: " ") } ?? "unknown"
    }

    private static func right(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    private static func padded(_ text: String, _ width: Int) -> String {
        text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0)
    }

    /// The report as text: a header, then each part's table and what it says about the claim.
    public func table() -> String {
        var lines = ["efficiency benchmark — \(machine.date)",
                     "cpu: \(machine.cpu); cores: \(machine.cores); threads: \(machine.threads)",
                     "load average (1/5/15 min): \(Self.load(loadAverageBefore)) before, \(Self.load(loadAverageAfter)) after"]
        if psu != nil || spikePack != nil {
            lines.append("training step: zero-grad, forward, the manifest's loss, backward, the manifest's optimizer; batch \(batch) random 3x32x32 images; median / best of \(steps) steps after 1 warm-up")
        }
        if let psu { lines += [""] + psuTable(psu) }
        if let spikePack { lines += [""] + spikePackTable(spikePack) }
        if let energy { lines += [""] + energyTable(energy) }
        return lines.joined(separator: "\n")
    }

    private func timingHeader(_ rows: [TimingRow], _ title: String) -> [String] {
        let first = rows.first
        return ["\(title): \(first?.arch ?? "-") at width \(first.map { String($0.width) } ?? "-") (cpu profile unless --width)"]
    }

    func psuTable(_ rows: [TimingRow]) -> [String] {
        var lines = timingHeader(rows, "psu — PSU paper, experiments/psu/static-cifar10-{lif,psu,ipsu,rpsu}.yaml")
        lines.append("lif: the run's fused kernel (sequential in T inside one call); lif-serial: the same network, lifStep T times per neuron layer")
        lines.append("× lif, × serial: median step time over lif's / lif-serial's at the same T; below 1 is faster; cpu ×: the same from least CPU times")
        lines.append("variant     T    parameters   step ms (median / best)   cpu ms   images/s   × lif  cpu × lif  × serial  cpu × serial")
        for r in rows {
            lines.append(Self.padded(r.variant, 10) + String(format: "%3d  %12d  %10.1f / %-10.1f %8.1f  %9.1f  %6.2f  %9.2f  %8.2f  %12.2f", r.timeSteps,
                                                              r.parameters, r.medianStepSeconds * 1e3, r.bestStepSeconds * 1e3,
                                                              r.leastCPUSeconds * 1e3, r.imagesPerSecond, r.ratioToBaseline ?? .nan,
                                                              r.cpuRatioToBaseline ?? .nan, r.ratioToSerial ?? .nan, r.cpuRatioToSerial ?? .nan))
        }
        lines.append("claim (PSU paper, our issue's goal: T ≥ 8): the PSU family trains faster than serial LIF (verdict from wall medians)")
        for (baseline, ratio, cpu) in [("lif-serial", \TimingRow.ratioToSerial, \TimingRow.cpuRatioToSerial),
                                       ("lif (fused)", \TimingRow.ratioToBaseline, \TimingRow.cpuRatioToBaseline)] {
            for variant in ["psu", "ipsu", "rpsu"] {
                let long = rows.filter { $0.variant == variant && $0.timeSteps >= 8 && $0[keyPath: ratio] != nil }
                guard !long.isEmpty else { lines.append("  \(variant) vs \(baseline): no T ≥ 8 measured"); continue }
                let faster = long.filter { $0[keyPath: ratio]! < 1 }
                let list = long.map { String(format: "T=%d %.2f× (cpu %.2f×)", $0.timeSteps, $0[keyPath: ratio]!, $0[keyPath: cpu] ?? .nan) }
                    .joined(separator: ", ")
                lines.append("  \(variant) vs \(baseline): \(faster.count == long.count ? "met" : faster.isEmpty ? "not met" : "partly met") (\(faster.count) of \(long.count) T ≥ 8 faster: \(list))")
            }
        }
        return lines
    }

    func spikePackTable(_ rows: [TimingRow]) -> [String] {
        var lines = timingHeader(rows, "spikepack — SpikePack paper, experiments/spikepack/cifar10-{lif-t4,spikepack-t4}.yaml with neuron.time_steps = T")
        let firstT = rows.map(\.timeSteps).min() ?? 1
        lines.append("peak MiB: tensor memory one step allocates above what was live before it; × T=\(firstT): over the same variant at T = \(firstT)")
        lines.append("variant    T   step ms (median / best)   cpu ms   images/s   peak MiB   time × T=\(firstT)   cpu × T=\(firstT)   memory × T=\(firstT)")
        for r in rows {
            lines.append(Self.padded(r.variant, 9) + String(format: "%3d  %10.1f / %-10.1f %8.1f  %9.1f  %9.1f  %11.2f  %10.2f  %13.2f", r.timeSteps,
                                                             r.medianStepSeconds * 1e3, r.bestStepSeconds * 1e3, r.leastCPUSeconds * 1e3,
                                                             r.imagesPerSecond, Double(r.peakBytes ?? 0) / 1_048_576, r.timeOverFirstT ?? .nan,
                                                             r.cpuOverFirstT ?? .nan, r.memoryOverFirstT ?? .nan))
        }
        if rows.contains(where: { $0.variant == "lif" && $0.timeSteps > EfficiencyBenchmark.spikePackMaxTimeSteps }) {
            lines.append("(SpikePack packs at most \(EfficiencyBenchmark.spikePackMaxTimeSteps) bits: no SpikePack row above T = \(EfficiencyBenchmark.spikePackMaxTimeSteps))")
        }
        lines.append("claim (SpikePack paper): training time and memory flat in T for SpikePack, growing with T for LIF")
        for variant in ["spikepack", "lif"] {
            guard let last = rows.last(where: { $0.variant == variant }), last.timeSteps > firstT else { continue }
            lines.append("  \(variant): from T = \(firstT) to T = \(last.timeSteps)"
                         + String(format: " time × %.2f (cpu × %.2f), memory × %.2f", last.timeOverFirstT ?? .nan,
                                  last.cpuOverFirstT ?? .nan, last.memoryOverFirstT ?? .nan))
        }
        return lines
    }

    func energyTable(_ part: EnergyPart) -> [String] {
        var lines = ["energy — general-SNN paper, experiments/general-snn/cifar10-{cnn,ann,lif-t4}.yaml; \(part.images) test images of \(part.dataRoot)",
                     "per image; E_MAC \(part.eMAC) pJ, E_AC \(part.eAC) pJ (docs/energy.md); × snn: energy over the single-step SNN's",
                     "row  network                       T   width  top-1    firing    charged MACs   accumulates   dense MACs    energy µJ   × snn"]
        func e(_ x: Double) -> String { String(format: "%.4g", x) }
        for r in part.rows {
            lines.append(Self.padded(r.role.rawValue, 4) + " " + Self.padded("\(r.arch) \(r.neuron)", 28)
                         + String(format: "%3d  %6.4g  %6.2f %%  ", r.timeSteps, r.width, r.top1 * 100)
                         + Self.padded(r.firingRate.map { String(format: "%.4f", $0) } ?? "-", 8)
                         + "  " + Self.right(e(r.chargedMACs), 12) + "  " + Self.right(e(r.accumulates), 12) + "  "
                         + Self.right(e(r.denseMACs), 11) + String(format: "  %11.4f  %6.2f", r.energyPJ / 1e6, r.ratioToSNN ?? .nan))
        }
        for r in part.rows {
            lines.append("  \(r.role.rawValue): \(r.source)\(r.epoch.map { ", epoch \($0)" } ?? "")")
        }
        if part.rows.contains(where: { $0.epoch == nil }) {
            lines.append("untrained rows: their firing rates are initialisation's, not a trained network's")
        }
        lines.append("claim (general-SNN paper): energy 10× lower than a standard ANN and 3× lower than a standard SNN")
        if let ann = part.annOverSNN {
            lines.append(String(format: "  ANN / SNN %.2f× (claim %.0f×): ", ann, EfficiencyEnergy.claimedANNRatio)
                         + (ann >= EfficiencyEnergy.claimedANNRatio ? "met" : "not met"))
        }
        if let lif = part.lifOverSNN {
            lines.append(String(format: "  LIF (T=4) / SNN %.2f× (claim %.0f×): ", lif, EfficiencyEnergy.claimedSNNRatio)
                         + (lif >= EfficiencyEnergy.claimedSNNRatio ? "met" : "not met"))
        }
        return lines
    }
}
