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

    /// Measures `snn` (converted, at `timeSteps`) against `ann` on `images` [N, 1, 28, 28],
    /// `batchSize` images at a time (the SNN's activations are T times an ANN's).
    static func measure(ann: SpikingCNN28, snn: SpikingCNN28, timeSteps t: Int, images: Tensor, labels: [Int],
                        batchSize: Int = 250) -> Report {
        ann.eval()
        snn.eval()
        var sums: [String: Sums] = [:], names: [String] = []
        var agree = 0, annRight = 0, snnRight = 0
        let per = images.count / images.shape[0], all = images.array
        for start in stride(from: 0, to: labels.count, by: batchSize) {
            let end = min(start + batchSize, labels.count)
            let batch = Tensor(Array(all[(start * per)..<(end * per)]), shape: [end - start] + Array(images.shape.dropFirst()))
            noGrad {
                var reference = batch
                var spiking = foldedInput(batch, timeSteps: t, sampleRank: 3)
                func add(_ name: String, _ value: Tensor, _ reference: Tensor, _ local: Tensor) {
                    if sums[name] == nil { names.append(name) }
                    sums[name, default: Sums()].add(value.array, reference.array, local.array)
                }
                for (index, layer) in snn.features.layers.enumerated() {
                    let annLayer = ann.features.layers[index]
                    let spikingIn = meanOverTime(spiking, timeSteps: t)
                    spiking = layer(spiking)
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
                    add("features.\(index)", meanOverTime(spiking, timeSteps: t), reference, local)
                }
                let logits = snn(batch)
                let clippedLogits = ann.classifier(ann.flatten(reference))
                let localLogits = snn.classifier(snn.flatten(meanOverTime(spiking, timeSteps: t)))
                add("logits", logits, clippedLogits, localLogits)
                let snnClass = argmax(logits), annClass = argmax(clippedLogits), truth = labels[start..<end]
                agree += zip(snnClass, annClass).filter { $0 == $1 }.count
                annRight += zip(annClass, truth).filter { $0 == $1 }.count
                snnRight += zip(snnClass, truth).filter { $0 == $1 }.count
            }
        }
        let n = Double(labels.count)
        return Report(timeSteps: t, stages: names.map { sums[$0]!.stage($0) }, agreement: Double(agree) / n,
                      clippedANNTop1: Double(annRight) / n, snnTop1: Double(snnRight) / n)
    }

    /// Running sums of one stage over batches.
    private struct Sums {
        var n = 0.0, v = 0.0, r = 0.0, vv = 0.0, rr = 0.0, vr = 0.0, absError = 0.0, localError = 0.0, localAbs = 0.0

        mutating func add(_ value: [Float], _ reference: [Float], _ local: [Float]) {
            precondition(value.count == reference.count && value.count == local.count, "ConversionProbe: shapes differ")
            for i in value.indices {
                let a = Double(value[i]), b = Double(reference[i]), c = Double(local[i])
                n += 1; v += a; r += b; vv += a * a; rr += b * b; vr += a * b
                absError += abs(a - b); localError += a - c; localAbs += abs(a - c)
            }
        }

        func stage(_ name: String) -> Stage {
            let cov = vr / n - (v / n) * (r / n), varV = vv / n - (v / n) * (v / n), varR = rr / n - (r / n) * (r / n)
            return Stage(name: name, bias: (v - r) / n, meanAbs: absError / n,
                         correlation: varV > 0 && varR > 0 ? cov / (varV * varR).squareRoot() : .nan,
                         localBias: localError / n, localMeanAbs: localAbs / n, referenceMean: r / n)
        }
    }

    private static func argmax(_ logits: Tensor) -> [Int] {
        let classes = logits.shape[1], x = logits.array
        return (0..<logits.shape[0]).map { row in
            let slice = x[(row * classes)..<((row + 1) * classes)]
            return slice.indices.max { x[$0] < x[$1] }! - row * classes
        }
    }
}
