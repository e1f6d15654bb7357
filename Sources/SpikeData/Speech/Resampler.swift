import Foundation

/// Band-limited resampling by windowed-sinc interpolation (Blackman window), e.g. espeak-ng's
/// 22 050 Hz output to Speech Commands' 16 kHz.
///
/// Output sample j sits at input time t = j·from/to; it is Σ x[n]·h(t − n) over the input
/// samples within `halfWidth` zero crossings of the (lower-rate) low-pass kernel
/// h(u) = c·sinc(c·u)·blackman(u), c = 0.95·min(1, to/from), so content above the new
/// Nyquist frequency is removed instead of aliased.
public struct Resampler: Sendable {
    public let inputRate: Int
    public let outputRate: Int
    /// Zero crossings of the kernel on each side.
    public let halfWidth: Int

    public init(from inputRate: Int, to outputRate: Int, halfWidth: Int = 16) {
        precondition(inputRate > 0 && outputRate > 0, "Resampler: rates must be positive")
        self.inputRate = inputRate
        self.outputRate = outputRate
        self.halfWidth = halfWidth
    }

    /// `signal` at the output rate; ⌈count·to/from⌉ samples.
    public func resample(_ signal: [Float]) -> [Float] {
        if inputRate == outputRate { return signal }
        let cutoff = 0.95 * min(1, Double(outputRate) / Double(inputRate))
        let reach = Double(halfWidth) / cutoff  // kernel half-length in input samples
        let taps = Int(reach.rounded(.down))
        // t = j·from/to has a whole part and a fraction p/q (q = to / gcd); the kernel weights
        // depend only on p, so they are tabulated once per phase.
        let g = gcd(inputRate, outputRate), step = inputRate / g, phases = outputRate / g
        let width = 2 * taps + 1
        var table = [Double](repeating: 0, count: phases * width)
        for p in 0..<phases {
            let fraction = Double(p) / Double(phases)
            for k in -taps...taps {
                let u = fraction - Double(k)  // t − n with n = ⌊t⌋ + k
                guard abs(u) < reach else { continue }
                let x = cutoff * u
                let sinc = abs(x) < 1e-12 ? 1.0 : sin(Double.pi * x) / (Double.pi * x)
                let w = 0.42 + 0.5 * cos(Double.pi * u / reach) + 0.08 * cos(2 * Double.pi * u / reach)
                table[p * width + k + taps] = cutoff * sinc * w
            }
        }
        let count = (signal.count * outputRate + inputRate - 1) / inputRate
        var out = [Float](repeating: 0, count: count)
        for j in 0..<count {
            let whole = j * step / phases, p = j * step % phases
            var sum = 0.0
            for k in max(-taps, -whole)...min(taps, signal.count - 1 - whole) {
                sum += Double(signal[whole + k]) * table[p * width + k + taps]
            }
            out[j] = Float(sum)
        }
        return out
    }

    private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
}
