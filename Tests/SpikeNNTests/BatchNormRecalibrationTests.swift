import Foundation
import Testing
@testable import SpikeNN
import SpikeTensor

/// Per-channel mean and unbiased variance of x [N, C, S...] over N and S, in Double: the slow
/// reference the recalibrated statistics are checked against.
private func channelStatistics(_ x: Tensor) -> (mean: [Double], variance: [Double]) {
    let n = x.shape[0], c = x.shape[1], s = x.count / (n * c), values = x.array
    var means: [Double] = [], variances: [Double] = []
    for ch in 0..<c {
        var column: [Double] = []
        for i in 0..<n { for j in 0..<s { column.append(Double(values[(i * c + ch) * s + j])) } }
        let mean = column.reduce(0, +) / Double(column.count)
        means.append(mean)
        variances.append(column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(column.count - 1))
    }
    return (means, variances)
}

private struct Stop: Error {}

@Suite("Batch-norm recalibration")
struct BatchNormRecalibrationTests {
    @Test("recalibrating sets each running statistic to the equal-weight average of the batches' statistics")
    func averagesBatchStatistics() throws {
        var rng = PhiloxGenerator(seed: 81)
        let bn = BatchNorm2d(3)
        let model = Sequential([bn])
        // Stale statistics from other data, and evaluation mode, as a loaded checkpoint has them.
        for _ in 0..<5 { _ = model(Tensor.normal([8, 3, 4, 4], mean: -7, std: 0.1, rng: &rng)) }
        model.eval()
        let batches = [Tensor.normal([6, 3, 4, 4], mean: 2, std: 3, rng: &rng),
                       Tensor.normal([6, 3, 4, 4], mean: -1, std: 0.5, rng: &rng),
                       Tensor.normal([2, 3, 4, 4], mean: 0, std: 1, rng: &rng)]  // a short last batch
        var queue = batches[...]
        let seen = recalibrateBatchNorm(model) { queue.popFirst() }

        #expect(seen == 3)
        let stats = batches.map(channelStatistics)
        for ch in 0..<3 {
            let mean = stats.map { $0.mean[ch] }.reduce(0, +) / 3
            let variance = stats.map { $0.variance[ch] }.reduce(0, +) / 3
            #expect(Swift.abs(Double(bn.runningMean![ch]) - mean) < 1e-5)
            #expect(Swift.abs(Double(bn.runningVar![ch]) - variance) < 1e-4 * variance)
        }
        #expect(bn.numBatchesTracked!.int32Array == [3])
        // Mode and momentum come back as they were.
        #expect(!model.isTraining && !bn.isTraining)
        #expect(bn.momentum == 0.1)
    }

    @Test("after recalibrating on one large batch, evaluation gives what training mode gives on it")
    func evaluationMatchesBatchStatistics() {
        var rng = PhiloxGenerator(seed: 82)
        let first = BatchNorm1d(4), second = BatchNorm1d(3)
        let model = Sequential([first, Linear(4, 3, rng: &rng), second])
        let x = Tensor.normal([4096, 4], mean: 1.5, std: 2, rng: &rng)
        // Running statistics from a different network (another Linear's outputs): stale.
        for _ in 0..<20 { _ = model(Tensor.normal([64, 4], mean: -3, std: 0.2, rng: &rng)) }
        model.train()
        let batchStatistics = noGrad { model(x) }
        model.eval()
        let stale = noGrad { model(x) }
        var once = Optional(x)
        recalibrateBatchNorm(model) { defer { once = nil }; return once }
        let recalibrated = noGrad { model(x) }

        let staleError = zip(stale.array, batchStatistics.array).map { Swift.abs($0 - $1) }.max()!
        let error = zip(recalibrated.array, batchStatistics.array).map { Swift.abs($0 - $1) }.max()!
        // Evaluation divides by the unbiased variance (N/(N − 1) = 1.00024 here): a relative
        // difference of about 1.2e-4 on outputs of magnitude up to ~4.
        #expect(staleError > 1)
        #expect(error < 2e-3)
    }

    @Test("a failing batch source leaves momentum and mode restored")
    func restoresOnError() {
        let bn = BatchNorm1d(2, momentum: 0.3)
        let model = Sequential([bn])
        model.eval()
        var calls = 0
        #expect(throws: Stop.self) {
            try recalibrateBatchNorm(model) {
                calls += 1
                if calls == 2 { throw Stop() }
                return Tensor([1, 2, 3, 5], shape: [2, 2])
            }
        }
        #expect(bn.momentum == 0.3 && !model.isTraining)
        // The one batch seen before the failure is what the statistics hold.
        #expect(bn.runningMean!.array == [2, 3.5])
        #expect(bn.numBatchesTracked!.int32Array == [1])
    }
}
