import Testing
@testable import SpikeLab

/// `spikelab bench neurons` measures the triad before and after its sweep and takes every share
/// of the faster one (a slow triad, measured while something else took bandwidth, would inflate them).
@Suite("Neuron benchmark: shares of the triad")
struct NeuronBenchmarkTests {
    private func measurement(_ name: String, throughput: Double?, share: Double?) -> BenchmarkMeasurement {
        var m = BenchmarkMeasurement(name: name, description: name, seconds: 1, medianSeconds: 1, throughput: throughput,
                                     unit: "GB/s", repetitions: 1)
        m.fractionOfTriad = share
        return m
    }

    @Test("shares measured against the first triad are re-taken against the faster of the two")
    func sharesOfFasterTriad() {
        var logged: [String] = []
        // First triad 50 GB/s, closing one 80: a pass at 40 GB/s was 80 % of the first, is 50 % of the faster.
        let before = [measurement("triad", throughput: 50, share: nil), measurement("neuron_lif_t8", throughput: 40, share: 0.8),
                      measurement("vgg", throughput: 3, share: nil), measurement("triad_end", throughput: 80, share: nil)]
        let after = NeuronBenchmark.sharesOfFasterTriad(before, log: { logged.append($0) })
        #expect(abs(after[1].fractionOfTriad! - 0.5) < 1e-12)
        #expect(after[2].fractionOfTriad == nil && after.map(\.name) == before.map(\.name))
        #expect(logged.count == 1 && logged[0].contains("50.0") && logged[0].contains("80.0"))
        // The first triad the faster one: nothing changes, nothing is logged.
        let steady = [measurement("triad", throughput: 80, share: nil), measurement("neuron_lif_t8", throughput: 40, share: 0.5),
                      measurement("triad_end", throughput: 70, share: nil)]
        logged = []
        let same = NeuronBenchmark.sharesOfFasterTriad(steady, log: { logged.append($0) })
        #expect(same[1].fractionOfTriad == 0.5 && logged.isEmpty)
    }
}
