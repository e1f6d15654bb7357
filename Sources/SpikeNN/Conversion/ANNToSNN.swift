import SpikeTensor

/// Why a trained ANN cannot become the given SNN.
public struct ConversionError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { "ANN-to-SNN conversion: \(message)" }
}

/// ANN-to-SNN conversion (docs/conversion.md): the SNN is the same architecture built with
/// spiking neurons; it takes the ANN's weights and batch-norm statistics unchanged, and each
/// neuron layer's threshold comes from the activation scale λ of the ReLU it replaces.
public enum ANNToSNN {
    /// λ used for a site where calibration saw no positive activation (its ReLU was silent on
    /// every calibration sample, so any positive threshold reproduces it there).
    public static let silentSiteScale: Float = 1

    /// The threshold a converted layer of `spec` gets for activation scale `scale` (λ):
    /// IF/LIF/PLIF fire at θ = λ (rate · θ covers [0, λ]); SpikePack θ = λ / maxCode, so its
    /// largest level θ·(2^T − 1) (base 2) is λ. Nil for a layer whose θ is not calibrated.
    public static func threshold(for spec: NeuronSpec, scale: Float) -> Float? {
        let lambda = scale > 0 && scale.isFinite ? scale : silentSiteScale
        switch spec.variant {
        case .if, .lif, .plif:
            return spec.calibrated ? lambda : nil
        case .spikePack:
            return spec.thresholdMode == .calibrated ? lambda / spec.spikePackConfiguration.maxCode : nil
        default:
            return nil
        }
    }

    /// Copies `ann`'s parameters and buffers into `snn` and sets every calibrated threshold of
    /// `snn` from `scales` (by the neuron layer's module name). Returns each set threshold.
    /// Throws when the two networks differ in anything but the thresholds, or a calibrated
    /// layer has no scale.
    @discardableResult
    public static func convert(ann: Module, into snn: Module, scales: [ActivationScale]) throws -> [(name: String, threshold: Float)] {
        let annState = ann.stateDict()
        let thresholdNames = Set(snn.namedModules().compactMap { entry -> String? in
            guard let layer = entry.module as? NeuronLayer, layer.threshold != nil else { return nil }
            return entry.name.isEmpty ? "threshold" : entry.name + ".threshold"
        })
        let result: (missingKeys: [String], unexpectedKeys: [String])
        do {
            result = try snn.loadStateDict(annState, strict: false)
        } catch {
            throw ConversionError(message: "the SNN does not take the ANN's weights: \(error)")
        }
        let missing = result.missingKeys.filter { !thresholdNames.contains($0) }
        guard missing.isEmpty, result.unexpectedKeys.isEmpty else {
            throw ConversionError(message: "the ANN and SNN differ beyond thresholds; SNN entries not in the ANN: "
                                  + "\(missing.isEmpty ? "none" : missing.joined(separator: ", ")); ANN entries not in the SNN: "
                                  + "\(result.unexpectedKeys.isEmpty ? "none" : result.unexpectedKeys.joined(separator: ", "))")
        }
        let byName = Dictionary(scales.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var set: [(name: String, threshold: Float)] = []
        for (name, module) in snn.namedModules() {
            guard let layer = module as? NeuronLayer, let tensor = layer.threshold else { continue }
            let calibrated = layer.spec.calibrated || (layer.spec.variant == .spikePack && layer.spec.thresholdMode == .calibrated)
            guard calibrated else { continue }
            guard let entry = byName[name] else {
                throw ConversionError(message: "no activation scale for the neuron layer \(name) (calibrated: \(scales.map(\.name).joined(separator: ", ")))")
            }
            let theta = threshold(for: layer.spec, scale: entry.scale ?? 0)!
            tensor.floats[0] = theta
            set.append((name, theta))
        }
        return set
    }
}
