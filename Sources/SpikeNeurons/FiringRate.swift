import SpikeTensor

/// Accumulates how many spikes a layer emitted over how many neuron-steps, across forwards.
///
/// A neuron takes an optional recorder: when it is nil nothing is counted (zero cost); when
/// set, every forward adds its spike count and element count. Not thread-safe: give each layer
/// its own recorder and read it from the thread that runs the layer.
public final class FiringRateRecorder {
    /// Spikes (non-zero elements) seen since the last `reset()`.
    public private(set) var spikeCount: Int = 0
    /// Neuron-steps (elements) seen since the last `reset()`.
    public private(set) var elementCount: Int = 0

    /// An empty recorder.
    public init() {}

    /// Mean spikes per neuron-step (0 before anything was recorded).
    public var rate: Double {
        elementCount == 0 ? 0 : Double(spikeCount) / Double(elementCount)
    }

    /// Adds the non-zero elements of `spikes` (float32 or uint8) to the count.
    public func record(spikes: Tensor) {
        precondition(spikes.dtype == .float32 || spikes.dtype == .uint8,
                     "FiringRateRecorder.record: spikes must be float32 or uint8, got \(spikes.dtype)")
        spikeCount += FiringRateRecorder.countNonZero(spikes)
        elementCount += spikes.count
    }

    /// Forgets everything recorded so far.
    public func reset() {
        spikeCount = 0
        elementCount = 0
    }

    /// Non-zero elements, counted in fixed chunks (the sum of integers is exact in any order).
    static func countNonZero(_ t: Tensor) -> Int {
        let n = t.count
        let chunks = chunkCount(n, minChunk: 1 << 16)
        var partials = [Int](repeating: 0, count: chunks)
        partials.withUnsafeMutableBufferPointer { out in
            let partial = out.baseAddress!
            if t.dtype == .float32 {
                let p = UnsafePointer(t.floats.baseAddress!)
                parallelChunks(chunks, minChunk: 1) { cs in
                    for c in cs {
                        var k = 0
                        for i in chunkRange(c, of: chunks, count: n) where p[i] != 0 { k += 1 }
                        partial[c] = k
                    }
                }
            } else {
                let p = UnsafePointer(t.uint8s.baseAddress!)
                parallelChunks(chunks, minChunk: 1) { cs in
                    for c in cs {
                        var k = 0
                        for i in chunkRange(c, of: chunks, count: n) where p[i] != 0 { k += 1 }
                        partial[c] = k
                    }
                }
            }
        }
        return partials.reduce(0, +)
    }
}
