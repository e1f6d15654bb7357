import Foundation
@testable import SpikeLab
import SpikeNN
import SpikeTensor

/// Layer-by-layer error of a converted rate-coded `SpikingCNN28` (docs/conversion.md,
/// "Why IF accuracy fell with T"): for the same images, each stage's mean output over the T
/// steps against two references.
///
/// - **global**: the clipped ANN — the ANN with every ReLU replaced by clip(a, 0, λ) of that
///   site's calibrated θ, which is what a rate-coded SNN should approach as T grows;
/// - **local**: the stage's ANN operation applied to the SNN's own mean input (clip for a
///   neuron, max for a pool, the layer itself for conv/BN/linear), which isolates the error
///   the stage adds from the error it inherits.
///
/// A test helper, not product code: it forwards through `features` one layer at a time.
struct ConversionProbe {
    struct Stage: CustomStringConvertible {
        var name: String
        /// mean(SNN − reference), mean |SNN − reference|, Pearson correlation; global and local.
        var bias: Double, meanAbs: Double, correlation: Double
        var localBias: Double, localMeanAbs: Double
        /// mean of the global reference (for scale).
        var referenceMean: Double

        var description: String {
            String(format: "%-14@ bias %+.4f  |err| %.4f  corr %.4f  local bias %+.4f  local |err| %.4f  (ref mean %.4f)",
                   name as NSString, bias, meanAbs, correlation, localBias, localMeanAbs, referenceMean)
        }
    }

    /// Every stage of `features`, then the logits; plus how often the SNN's class agrees with
    /// the clipped ANN's, and the clipped ANN's own top-1 on `labels`.
    struct Report {
        var timeSteps: Int
        var stages: [Stage]
        var agreement: Double
        var clippedANNTop1: Double
        var snnTop1: Double
    }

    /// Measures `snn` (converted, at `timeSteps`) against `ann` on `images` [N, 1, 28, 28].
    static func measure(ann: SpikingCNN28, snn: SpikingCNN28, timeSteps t: Int, images: Tensor, labels: [Int]) -> Report {
        ann.eval()
        snn.eval()
        return noGrad {
            var stages: [Stage] = []
            var reference = images
            var spiking = foldedInput(images, timeSteps: t, sampleRank: 3)
            for (index, layer) in snn.features.layers.enumerated() {
                let annLayer = ann.features.layers[index]
                let spikingIn = meanOverTime(spiking, timeSteps: t)
                spiking = layer(spiking)
                let spikingMean = meanOverTime(spiking, timeSteps: t)
                let local: Tensor
                if let neuron = layer as? NeuronLayer {
                    let theta = neuron.threshold!.item
                    reference = annLayer(reference).clamp(min: 0, max: theta)
                    local = spikingIn.clamp(min: 0, max: theta)
                } else if let pool = layer as? MaxPool2d {
                    reference = annLayer(reference)
                    local = maxPool2d(spikingIn, kernel: pool.kernelSize, stride: pool.stride, padding: pool.padding)
                } else {
                    reference = annLayer(reference)
                    local = annLayer(spikingIn)
                }
                stages.append(stage("features.\(index)", spikingMean, reference, local))
            }
            let logits = snn(images)
            let clippedLogits = ann.classifier(ann.flatten(reference))
            let localLogits = snn.classifier(snn.flatten(meanOverTime(spiking, timeSteps: t)))
            stages.append(stage("logits", logits, clippedLogits, localLogits))
            let snnClass = argmax(logits), annClass = argmax(clippedLogits)
            let n = Double(labels.count)
            return Report(timeSteps: t, stages: stages,
                          agreement: Double(zip(snnClass, annClass).filter { $0 == $1 }.count) / n,
                          clippedANNTop1: Double(zip(annClass, labels).filter { $0 == $1 }.count) / n,
                          snnTop1: Double(zip(snnClass, labels).filter { $0 == $1 }.count) / n)
        }
    }

    private static func stage(_ name: String, _ value: Tensor, _ reference: Tensor, _ local: Tensor) -> Stage {
        let v = Array(value.floats).map(Double.init), r = Array(reference.floats).map(Double.init)
        let l = Array(local.floats).map(Double.init)
        precondition(v.count == r.count && v.count == l.count, "ConversionProbe: \(name) shapes differ")
        let n = Double(v.count)
        let bias = zip(v, r).reduce(0) { $0 + $1.0 - $1.1 } / n
        let meanAbs = zip(v, r).reduce(0) { $0 + abs($1.0 - $1.1) } / n
        let localBias = zip(v, l).reduce(0) { $0 + $1.0 - $1.1 } / n
        let localMeanAbs = zip(v, l).reduce(0) { $0 + abs($1.0 - $1.1) } / n
        let mv = v.reduce(0, +) / n, mr = r.reduce(0, +) / n
        var cov = 0.0, vv = 0.0, rr = 0.0
        for (a, b) in zip(v, r) {
            cov += (a - mv) * (b - mr)
            vv += (a - mv) * (a - mv)
            rr += (b - mr) * (b - mr)
        }
        let correlation = vv > 0 && rr > 0 ? cov / (vv * rr).squareRoot() : .nan
        return Stage(name: name, bias: bias, meanAbs: meanAbs, correlation: correlation, localBias: localBias,
                     localMeanAbs: localMeanAbs, referenceMean: mr)
    }

    private static func argmax(_ logits: Tensor) -> [Int] {
        let classes = logits.shape[1], x = Array(logits.floats)
        return (0..<logits.shape[0]).map { row in
            let slice = x[(row * classes)..<((row + 1) * classes)]
            return slice.indices.max { x[$0] < x[$1] }! - row * classes
        }
    }
}
