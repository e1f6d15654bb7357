import Testing
@testable import SpikeNeurons
import SpikeTensor

@Suite("Firing-rate recorder")
struct FiringRateTests {
    @Test("counts non-zero elements of float and byte spikes across records, and resets")
    func counts() {
        let r = FiringRateRecorder()
        #expect(r.rate == 0 && r.spikeCount == 0 && r.elementCount == 0)
        r.record(spikes: Tensor([0, 1, 1, 0, 0, 1, 0, 0], shape: [2, 4]))
        #expect(r.spikeCount == 3 && r.elementCount == 8)
        r.record(spikes: Tensor(uint8: [1, 1, 0, 0]))
        #expect(r.spikeCount == 5 && r.elementCount == 12)
        #expect(abs(r.rate - 5.0 / 12.0) < 1e-15)
        r.reset()
        #expect(r.rate == 0 && r.spikeCount == 0 && r.elementCount == 0)
    }

    @Test("a large tensor counted in parallel chunks gives the exact count")
    func largeCount() {
        let n = 300_001
        let t = Tensor(shape: [n])
        var expected = 0
        for i in stride(from: 0, to: n, by: 7) { t.floats[i] = 1; expected += 1 }
        let r = FiringRateRecorder()
        r.record(spikes: t)
        #expect(r.spikeCount == expected && r.elementCount == n)
    }

    @Test("neurons add each forward's spikes when given a recorder")
    func neuronsRecord() {
        let x = Tensor([1.5, 1.5, 0.2, 3.0, 0.5, 2.5], shape: [3, 2])
        let r = FiringRateRecorder()
        let (s, _) = lifMultiStep(x, recorder: r)
        let spikes = Int(s.array.reduce(0, +))
        #expect(r.spikeCount == spikes && r.elementCount == 6)
        _ = ifMultiStep(x, recorder: r)
        var state = MembraneState(shape: [2], restingPotential: 0)
        _ = plifStep(Tensor([5, 0], shape: [2]), w: Tensor([0], shape: [1]), state: &state, recorder: r)
        #expect(r.elementCount == 14)
        _ = generalSNNNeuron(Tensor([1, 0], shape: [1, 2]), recorder: r)
        #expect(r.elementCount == 16)
    }
}
