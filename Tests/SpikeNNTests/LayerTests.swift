import Foundation
import Testing
@testable import SpikeNN
import SpikeTensor

private func maxAbsDifference(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.shape == b.shape, "shapes \(a.shape) and \(b.shape) differ")
    return zip(a.array, b.array).map { Swift.abs($0 - $1) }.max() ?? 0
}

/// Checks the PyTorch default init of a weight and bias with fan-in `fanIn`: every value within
/// ±1/√fanIn, and the weights filling the range (max |w| near the bound, mean near 0).
private func expectPyTorchInit(weight: Tensor, bias: Tensor?, fanIn: Int,
                               sourceLocation: SourceLocation = #_sourceLocation) {
    let bound = 1 / Float(fanIn).squareRoot()
    let w = weight.array
    #expect(w.allSatisfy { Swift.abs($0) <= bound }, "weight exceeds ±\(bound)", sourceLocation: sourceLocation)
    // With thousands of uniform draws the largest magnitude is within 2 % of the bound.
    #expect(w.map(Swift.abs).max()! > 0.98 * bound, sourceLocation: sourceLocation)
    let mean = w.reduce(0, +) / Float(w.count)
    #expect(Swift.abs(mean) < 0.1 * bound, sourceLocation: sourceLocation)
    if let bias {
        #expect(bias.array.allSatisfy { Swift.abs($0) <= bound }, "bias exceeds ±\(bound)",
                sourceLocation: sourceLocation)
        #expect(bias.array.map(Swift.abs).max()! > 0.5 * bound, sourceLocation: sourceLocation)
    }
    #expect(weight.requiresGrad && (bias?.requiresGrad ?? true), sourceLocation: sourceLocation)
}

@Suite("Layers")
struct LayerTests {
    @Test("Conv2d starts from PyTorch's default init: weight and bias within ±1/√fan_in")
    func conv2dInit() {
        var rng = PhiloxGenerator(seed: 11)
        let conv = Conv2d(16, 64, kernelSize: 3, rng: &rng)  // fan_in = 16·9 = 144, 9216 weights
        #expect(conv.weight.shape == [64, 16, 3, 3] && conv.bias!.shape == [64])
        expectPyTorchInit(weight: conv.weight, bias: conv.bias, fanIn: 144)
        let grouped = Conv2d(16, 64, kernelSize: (3, 1), groups: 4, rng: &rng)  // fan_in = 4·3·1 = 12
        #expect(grouped.weight.shape == [64, 4, 3, 1])
        expectPyTorchInit(weight: grouped.weight, bias: grouped.bias, fanIn: 12)
        #expect(Conv2d(2, 3, kernelSize: 3, bias: false, rng: &rng).bias == nil)
    }

    @Test("Conv1d and Linear start from PyTorch's default init")
    func conv1dLinearInit() {
        var rng = PhiloxGenerator(seed: 12)
        let conv = Conv1d(8, 128, kernelSize: 5, rng: &rng)  // fan_in = 40
        expectPyTorchInit(weight: conv.weight, bias: conv.bias, fanIn: 40)
        let fc = Linear(100, 64, rng: &rng)  // fan_in = 100
        #expect(fc.weight.shape == [64, 100] && fc.bias!.shape == [64])
        expectPyTorchInit(weight: fc.weight, bias: fc.bias, fanIn: 100)
    }

    @Test("the same seed builds the same weights, another seed different ones")
    func seededInit() {
        var a = PhiloxGenerator(seed: 1), b = PhiloxGenerator(seed: 1), c = PhiloxGenerator(seed: 2)
        let x = Linear(5, 4, rng: &a), y = Linear(5, 4, rng: &b), z = Linear(5, 4, rng: &c)
        #expect(x.weight.array == y.weight.array && x.bias!.array == y.bias!.array)
        #expect(x.weight.array != z.weight.array)
    }

    @Test("Conv2d, Conv1d and Linear compute their functional ops")
    func forwardMatchesOps() {
        var rng = PhiloxGenerator(seed: 13)
        let conv = Conv2d(3, 4, kernelSize: 3, stride: 2, padding: 1, rng: &rng)
        let x = Tensor.normal([2, 3, 7, 7], rng: &rng)
        #expect(conv(x).array == conv2d(x, weight: conv.weight, bias: conv.bias, stride: (2, 2), padding: (1, 1)).array)
        let conv1 = Conv1d(3, 2, kernelSize: 3, padding: 1, rng: &rng)
        let s = Tensor.normal([2, 3, 9], rng: &rng)
        #expect(conv1(s).shape == [2, 2, 9])
        #expect(conv1(s).array == conv1d(s, weight: conv1.weight, bias: conv1.bias, padding: 1).array)
        let fc = Linear(6, 3, rng: &rng)
        let v = Tensor.normal([4, 6], rng: &rng)
        // Against an obvious loop.
        let out = fc(v)
        for n in 0..<4 {
            for o in 0..<3 {
                var sum = fc.bias![o]
                for i in 0..<6 { sum += v[n, i] * fc.weight[o, i] }
                #expect(Swift.abs(out[n, o] - sum) < 1e-5)
            }
        }
    }

    @Test("BatchNorm2d normalises with batch statistics in training and running ones in evaluation")
    func batchNormModes() {
        var rng = PhiloxGenerator(seed: 14)
        let bn = BatchNorm2d(3)
        #expect(bn.weight!.array == [1, 1, 1] && bn.bias!.array == [0, 0, 0])
        #expect(bn.runningMean!.array == [0, 0, 0] && bn.runningVar!.array == [1, 1, 1])
        #expect(bn.momentum == 0.1 && bn.eps == 1e-5)
        let x = Tensor.normal([4, 3, 5, 5], mean: 2, std: 3, rng: &rng)
        let m = 4 * 25

        // Training: per-channel output has mean 0 and (biased) variance 1; stats move by 0.1.
        let y = bn(x)
        for c in 0..<3 {
            var values: [Double] = [], inputs: [Double] = []
            for n in 0..<4 { for i in 0..<25 { values.append(Double(y.array[(n * 3 + c) * 25 + i]))
                inputs.append(Double(x.array[(n * 3 + c) * 25 + i])) } }
            let mean = values.reduce(0, +) / Double(m)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(m)
            #expect(Swift.abs(mean) < 1e-5 && Swift.abs(variance - 1) < 1e-3)
            let inMean = inputs.reduce(0, +) / Double(m)
            let inVar = inputs.map { ($0 - inMean) * ($0 - inMean) }.reduce(0, +) / Double(m - 1)
            #expect(Swift.abs(Double(bn.runningMean![c]) - 0.1 * inMean) < 1e-4)
            #expect(Swift.abs(Double(bn.runningVar![c]) - (0.9 + 0.1 * inVar)) < 1e-3)
        }
        #expect(bn.numBatchesTracked!.int32Array == [1])

        // Evaluation: (x − running mean)/√(running var + eps), statistics untouched.
        bn.eval()
        let rm = bn.runningMean!.array, rv = bn.runningVar!.array
        let z = bn(x)
        for i in 0..<x.count {
            let c = (i / 25) % 3
            #expect(Swift.abs(z.array[i] - (x.array[i] - rm[c]) / (rv[c] + 1e-5).squareRoot()) < 1e-4)
        }
        #expect(bn.runningMean!.array == rm && bn.numBatchesTracked!.int32Array == [1])
    }

    @Test("BatchNorm1d takes [N, C] and [N, C, L], and momentum nil averages batches equally")
    func batchNorm1d() {
        let bn = BatchNorm1d(2, momentum: nil)
        // Batch means: (1, 10) then (3, 20); the cumulative average is their mean.
        _ = bn(Tensor([0, 5, 2, 15], shape: [2, 2]))
        _ = bn(Tensor([2, 4, 10, 30, 3, 3, 20, 20], shape: [2, 2, 2]))
        #expect(bn.runningMean!.array == [2, 15])
        #expect(bn.numBatchesTracked!.int32Array == [2])
        let untracked = BatchNorm1d(2, affine: false, trackRunningStats: false)
        #expect(untracked.stateDict().isEmpty)
        untracked.eval()
        // Without running statistics evaluation normalises by the batch: outputs ±1.
        #expect(untracked(Tensor([0, 5, 2, 15], shape: [2, 2])).array.map { ($0 * 1000).rounded() / 1000 } == [-1, -1, 1, 1])
    }

    @Test("Dropout drops in training, is the identity in evaluation, and replays from a saved state")
    func dropoutModes() {
        var rng = PhiloxGenerator(seed: 15)
        let drop = Dropout(p: 0.25, rng: &rng)
        let x = Tensor.ones([4000])
        let saved = drop.rng.state
        let y = drop(x).array
        let kept = y.filter { $0 != 0 }
        #expect(kept.allSatisfy { Swift.abs($0 - 1 / 0.75) < 1e-6 })
        #expect(Swift.abs(Double(kept.count) / 4000 - 0.75) < 0.03)
        // The generator advanced, so the next mask differs; restoring the state replays it.
        #expect(drop(x).array != y)
        drop.rng.restore(saved)
        #expect(drop(x).array == y)
        drop.eval()
        let z = drop(x)
        #expect(z === x)
    }

    @Test("Sequential chains its layers and names them 0, 1, …")
    func sequential() {
        var rng = PhiloxGenerator(seed: 16)
        let seq = Sequential(Linear(3, 4, rng: &rng), ReLU(), Identity(), Linear(4, 2, rng: &rng))
        #expect(seq.namedParameters().map(\.name) == ["0.weight", "0.bias", "3.weight", "3.bias"])
        #expect(seq.count == 4)
        let x = Tensor.normal([5, 3], rng: &rng)
        let first = seq[0] as! Linear, last = seq[3] as! Linear
        #expect(seq(x).array == last(first(x).relu()).array)
    }

    @Test("pooling, flatten, ReLU and Identity layers compute their ops")
    func statelessLayers() {
        var rng = PhiloxGenerator(seed: 17)
        let x = Tensor.normal([2, 3, 8, 8], rng: &rng)
        #expect(MaxPool2d(2)(x).array == maxPool2d(x, kernel: (2, 2)).array)
        #expect(MaxPool2d(3, stride: 2, padding: 1)(x).shape == [2, 3, 4, 4])
        #expect(AvgPool2d(2)(x).array == avgPool2d(x, kernel: (2, 2)).array)
        #expect(AvgPool2d(3, stride: 1, padding: 1, countIncludePad: false)(x).array
                == avgPool2d(x, kernel: (3, 3), stride: (1, 1), padding: (1, 1), countIncludePad: false).array)
        #expect(maxAbsDifference(AdaptiveAvgPool2d(1)(x), x.mean(axes: [2, 3], keepDims: true)) < 1e-6)
        #expect(Flatten()(x).shape == [2, 192])
        #expect(Flatten(startAxis: 0, endAxis: 1)(x).shape == [6, 8, 8])
        #expect(ReLU()(x).array == x.relu().array)
        #expect(Identity()(x) === x)
        for layer: Module in [MaxPool2d(2), AvgPool2d(2), AdaptiveAvgPool2d(1), Flatten(), ReLU(), Identity()] {
            #expect(layer.stateDict().isEmpty)
        }
    }
}
