import Foundation
import Testing
import SpikeNN
@testable import SpikeTensor

/// End-to-end checks that the engine learns: ops, autograd and SGD together drive seeded
/// classification problems to high training accuracy in a bounded number of steps.
@Suite("Engine training end to end")
struct TrainingTests {
    /// Three interleaved 2-D spirals (a problem a linear model cannot solve), 100 points each.
    static func spirals(seed: UInt64) -> (x: Tensor, y: Tensor) {
        var rng = PhiloxGenerator(seed: seed)
        let perClass = 100, classes = 3
        var xs: [Float] = [], ys: [Int32] = []
        for c in 0..<classes {
            for i in 0..<perClass {
                let r = Float(i) / Float(perClass)
                let angle = Float(c) * 4 + 4 * r + 0.2 * rng.nextNormal()
                xs += [r * sin(angle), r * cos(angle)]
                ys.append(Int32(c))
            }
        }
        return (Tensor(xs, shape: [perClass * classes, 2]), Tensor(int32: ys))
    }

    static func accuracy(_ logits: Tensor, _ labels: Tensor) -> Double {
        let predicted = logits.argmax(axis: 1)
        var correct = 0
        for i in 0..<labels.count where predicted.int32s[i] == labels.int32s[i] { correct += 1 }
        return Double(correct) / Double(labels.count)
    }

    @Test("an MLP fits three spirals to over 97 % training accuracy within 2000 steps")
    func mlpLearnsSpirals() {
        let (x, y) = Self.spirals(seed: 11)
        var rng = PhiloxGenerator(seed: 12)
        let w1 = Tensor.kaimingUniform([64, 2], a: Float(5).squareRoot(), rng: &rng, requiresGrad: true)
        let b1 = Tensor.zeros([64], requiresGrad: true)
        let w2 = Tensor.kaimingUniform([64, 64], a: Float(5).squareRoot(), rng: &rng, requiresGrad: true)
        let b2 = Tensor.zeros([64], requiresGrad: true)
        let w3 = Tensor.kaimingUniform([3, 64], a: Float(5).squareRoot(), rng: &rng, requiresGrad: true)
        let b3 = Tensor.zeros([3], requiresGrad: true)
        let params = [("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2), ("w3", w3), ("b3", b3)]
        let optimizer = Adam(parameters: params.map { (name: $0.0, tensor: $0.1) }, lr: 0.01)
        func forward() -> Tensor {
            let h1 = linear(x, weight: w1, bias: b1).relu()
            let h2 = linear(h1, weight: w2, bias: b2).relu()
            return linear(h2, weight: w3, bias: b3)
        }
        var accuracy = 0.0
        for step in 0..<2000 {
            optimizer.zeroGrad()
            let logits = forward()
            let loss = crossEntropy(logits, y)
            #expect(loss.item.isFinite, "loss diverged at step \(step)")
            loss.backward()
            optimizer.step()
            if step % 100 == 99 {
                accuracy = noGrad { Self.accuracy(forward(), y) }
                if accuracy > 0.97 { break }
            }
        }
        #expect(accuracy > 0.97, "training accuracy \(accuracy)")
    }

    /// 12×12 images of four noisy oriented bars (horizontal, vertical, two diagonals).
    static func bars(count: Int, seed: UInt64) -> (x: Tensor, y: Tensor) {
        var rng = PhiloxGenerator(seed: seed)
        let size = 12
        let x = Tensor(shape: [count, 1, size, size])
        var labels: [Int32] = []
        let p = x.floats
        for n in 0..<count {
            let c = n % 4
            labels.append(Int32(c))
            let offset = Int(rng.next32() % 6) + 3
            for i in 0..<size {
                for j in 0..<size {
                    let on: Bool
                    switch c {
                    case 0: on = i == offset
                    case 1: on = j == offset
                    case 2: on = i - j == offset - 6
                    default: on = i + j == offset + 5
                    }
                    p[((n * size) + i) * size + j] = (on ? 1 : 0) + 0.3 * rng.nextNormal()
                }
            }
        }
        return (x, Tensor(int32: labels))
    }

    @Test("a small CNN with batch norm classifies noisy oriented bars to over 97 % within 300 steps")
    func cnnLearnsBars() {
        let (x, y) = Self.bars(count: 256, seed: 21)
        var rng = PhiloxGenerator(seed: 22)
        let c1 = Tensor.kaimingNormal([8, 1, 3, 3], rng: &rng, requiresGrad: true)
        let g1 = Tensor.ones([8], requiresGrad: true), be1 = Tensor.zeros([8], requiresGrad: true)
        let m1 = Tensor.zeros([8]), v1 = Tensor.ones([8])
        let c2 = Tensor.kaimingNormal([16, 8, 3, 3], rng: &rng, requiresGrad: true)
        let fc = Tensor.kaimingUniform([4, 16], a: Float(5).squareRoot(), rng: &rng, requiresGrad: true)
        let fb = Tensor.zeros([4], requiresGrad: true)
        let params: [(name: String, tensor: Tensor)] = [("c1", c1), ("g1", g1), ("be1", be1), ("c2", c2), ("fc", fc), ("fb", fb)]
        let optimizer = SGD(parameters: params, lr: 0.05, momentum: 0.9)
        func forward(training: Bool) -> Tensor {
            var h = conv2d(x, weight: c1, padding: (1, 1))
            h = batchNorm(h, weight: g1, bias: be1, runningMean: m1, runningVar: v1, training: training).relu()
            h = maxPool2d(h, kernel: (2, 2))
            h = conv2d(h, weight: c2, padding: (1, 1)).relu()
            h = adaptiveAvgPool2d(h, outputSize: (1, 1)).reshaped([x.shape[0], 16])
            return linear(h, weight: fc, bias: fb)
        }
        var accuracy = 0.0
        for step in 0..<300 {
            optimizer.zeroGrad()
            let loss = crossEntropy(forward(training: true), y)
            #expect(loss.item.isFinite, "loss diverged at step \(step)")
            loss.backward()
            optimizer.step()
            if step % 20 == 19 {
                accuracy = noGrad { Self.accuracy(forward(training: false), y) }
                if accuracy > 0.97 { break }
            }
        }
        #expect(accuracy > 0.97, "training accuracy (eval-mode batch norm) \(accuracy)")
    }

    @Test("the same seed and thread count give bit-identical weights after training")
    func trainingIsDeterministic() {
        func train() -> [Float] {
            let (x, y) = Self.bars(count: 64, seed: 31)
            var rng = PhiloxGenerator(seed: 32)
            let c1 = Tensor.kaimingNormal([4, 1, 3, 3], rng: &rng, requiresGrad: true)
            let fc = Tensor.kaimingUniform([4, 4 * 36], rng: &rng, requiresGrad: true)
            let optimizer = SGD(parameters: [("c1", c1), ("fc", fc)], lr: 0.05, momentum: 0.9)
            for _ in 0..<10 {
                optimizer.zeroGrad()
                let h = maxPool2d(conv2d(x, weight: c1, padding: (1, 1)).relu(), kernel: (2, 2))
                crossEntropy(linear(h.reshaped([64, -1]), weight: fc), y).backward()
                optimizer.step()
            }
            return c1.array + fc.array
        }
        let a = train(), b = train()
        #expect(a.map(\.bitPattern) == b.map(\.bitPattern))
    }
}
