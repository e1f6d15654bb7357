import Foundation

/// Per-sample synaptic operations and energy of a measured model, by layer and in total.
public struct EnergyReport: Sendable {
    /// One synaptic layer, per sample.
    public struct Layer: Sendable {
        public var name: String
        public var type: SynapticLayerCount.LayerType
        public var operation: SynapticLayerCount.Operation
        /// Time steps the layer ran per sample (rows of its folded input per sample).
        public var steps: Double
        /// Dense multiply-accumulates per sample, summed over the steps it ran.
        public var macs: Double
        /// Multiply-accumulates charged to a MAC layer: `macs` over the distinct step inputs
        /// (once, not T times, when every step sees the same input, as under direct encoding).
        public var chargedMACs: Double
        /// Fraction of non-zero elements of the layer's input (its input firing rate).
        public var inputRate: Double
        /// Exact accumulates per sample: non-zero inputs × the synapses each reaches.
        public var nonzeroInputOps: Double
        /// The usual estimate of the same: `macs` × `inputRate`.
        public var rateEstimate: Double
        /// Synaptic operations charged: accumulates for an AC layer (the exact count), 0 for a MAC layer.
        public var sops: Double { operation == .ac ? nonzeroInputOps : 0 }
        /// Picojoules per sample: MACs × E_MAC, or exact accumulates × E_AC.
        public var energy: Double
    }

    public var layers: [Layer]
    /// Samples the counts are averaged over.
    public var samples: Int
    public var costs: EnergyCosts
    /// Spikes per neuron-step over all spiking neuron layers; nil for an ANN.
    public var neuronFiringRate: Double?
    /// Time steps the model folds into its batch (its neurons' T; 1 for an ANN, SpikePack and the
    /// single-step general SNN). A layer called more often per sample than this — the general
    /// SNN's convolutions run once per receptive-field window — is not repeating time steps.
    public var foldedSteps: Int

    /// Builds the per-sample report from raw counts over `samples` samples.
    init(layers counts: [SynapticLayerCount], samples: Int, costs: EnergyCosts, neuronFiringRate: Double?,
         foldedSteps: Int) {
        self.foldedSteps = max(1, foldedSteps)
        let n = Double(max(samples, 1))
        layers = counts.filter { $0.inputElements > 0 }.map { c in
            let macs = Double(c.macs) / n, exact = Double(c.nonzeroInputOps) / n, distinct = Double(c.distinctMACs) / n
            return Layer(name: c.name, type: c.type, operation: c.operation, steps: Double(c.rows) / n, macs: macs,
                         chargedMACs: c.operation == .mac ? distinct : 0,
                         inputRate: c.inputRate, nonzeroInputOps: exact, rateEstimate: macs * c.inputRate,
                         energy: c.operation == .mac ? distinct * costs.mac : exact * costs.ac)
        }
        self.samples = samples
        self.costs = costs
        self.neuronFiringRate = neuronFiringRate
    }

    /// Multiply-accumulates charged per sample (MAC layers, distinct step inputs).
    public var totalMACs: Double { layers.reduce(0) { $0 + $1.chargedMACs } }
    /// Dense multiply-accumulates per sample of all layers over all steps they ran.
    public var denseMACs: Double { layers.reduce(0) { $0 + $1.macs } }
    /// Accumulates charged per sample (AC layers).
    public var totalSOPs: Double { layers.reduce(0) { $0 + $1.sops } }
    /// Picojoules per sample.
    public var totalEnergy: Double { layers.reduce(0) { $0 + $1.energy } }
    /// The same network run once as an ANN (one step, every layer MAC): Σ MACs/steps × E_MAC,
    /// where a layer's steps are its calls per sample, at most the model's `foldedSteps`.
    public var annEnergy: Double {
        layers.reduce(0) { $0 + ($1.steps > 0 ? $1.macs / min($1.steps, Double(foldedSteps)) : 0) * costs.mac }
    }

    /// A fixed-width table, one layer a line, then the totals.
    public func table() -> String {
        func e(_ x: Double) -> String { String(format: "%.4g", x) }
        let width = max(5, layers.map(\.name.count).max() ?? 5)
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        func left(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
        var lines = [pad("layer", width) + "  type    op   steps    MACs/sample   charged MACs  in-rate   SOPs/sample  rate×MACs    energy pJ"]
        for l in layers {
            lines.append(pad(l.name, width) + "  " + pad(l.type.rawValue, 6) + "  " + pad(l.operation.rawValue, 3)
                         + left(e(l.steps), 6) + left(e(l.macs), 15)
                         + left(l.operation == .mac ? e(l.chargedMACs) : "-", 15) + left(String(format: "%.4f", l.inputRate), 9)
                         + left(l.operation == .ac ? e(l.sops) : "-", 14)
                         + left(l.operation == .ac ? e(l.rateEstimate) : "-", 12) + left(e(l.energy), 13))
        }
        lines.append("")
        lines.append("samples            \(samples)")
        lines.append("costs              E_MAC \(e(costs.mac)) pJ, E_AC \(e(costs.ac)) pJ")
        lines.append("neuron firing rate \(neuronFiringRate.map { String(format: "%.6f", $0) } ?? "n/a (no spiking neurons)")")
        lines.append("MACs/sample        \(e(totalMACs)) charged (MAC layers); \(e(denseMACs)) dense over all layers and steps")
        lines.append("SOPs/sample        \(e(totalSOPs))")
        lines.append("energy/sample      \(e(totalEnergy)) pJ = \(e(totalEnergy / 1e6)) µJ")
        lines.append("ANN energy/sample  \(e(annEnergy)) pJ (same layers, one step, all MAC); ratio ANN/this \(e(annEnergy / totalEnergy))")
        return lines.joined(separator: "\n")
    }

    /// The report as a JSON-ready dictionary (energies in picojoules per sample).
    public func jsonObject() -> [String: Any] {
        [
            "samples": samples,
            "e_mac_pj": costs.mac, "e_ac_pj": costs.ac,
            "neuron_firing_rate": neuronFiringRate.map { $0 as Any } ?? NSNull(),
            "macs_per_sample": totalMACs, "dense_macs_per_sample": denseMACs, "sops_per_sample": totalSOPs,
            "energy_pj_per_sample": totalEnergy, "ann_energy_pj_per_sample": annEnergy,
            "layers": layers.map { l -> [String: Any] in
                ["name": l.name, "type": l.type.rawValue, "operation": l.operation.rawValue, "steps": l.steps,
                 "macs_per_sample": l.macs, "charged_macs_per_sample": l.chargedMACs, "input_firing_rate": l.inputRate,
                 "nonzero_input_ops_per_sample": l.nonzeroInputOps, "rate_estimate_ops_per_sample": l.rateEstimate,
                 "sops_per_sample": l.sops, "energy_pj_per_sample": l.energy]
            },
        ]
    }

    /// Pretty, key-sorted JSON text.
    public func json(extra: [String: Any] = [:]) throws -> String {
        let object = jsonObject().merging(extra) { _, new in new }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
