import SpikeTensor

/// Accumulates how many spikes a layer emitted over how many (neuron, step) elements.
///
/// Temporary copy with the API agreed for issue 4; the lead replaces it with the "lif"
/// helper's version when merging.
public final class FiringRateRecorder {
    /// Spikes counted so far (non-zero elements of the recorded tensors).
    public private(set) var spikeCount: Int = 0
    /// Elements counted so far.
    public private(set) var elementCount: Int = 0

    /// An empty recorder.
    public init() {}

    /// Adds the spikes (non-zero elements) and the element count of `spikes`.
    public func record(spikes: Tensor) {
        let p = spikes.floats
        var n = 0
        for v in p where v != 0 { n += 1 }
        spikeCount += n
        elementCount += spikes.count
    }

    /// Mean firing rate: spikes per element (0 before anything was recorded).
    public var rate: Double { elementCount == 0 ? 0 : Double(spikeCount) / Double(elementCount) }

    /// Forgets everything recorded.
    public func reset() {
        spikeCount = 0
        elementCount = 0
    }
}
