import Foundation

/// A simple cochlea model that turns a waveform into spike trains on `channelCount` channels,
/// the way SHD's 700 channels were made from audio (there with a hydrodynamic basilar-membrane
/// model and bushy cells; here a much cheaper stand-in):
///
///   1. band-pass filter bank: centre frequencies equally spaced on the ERB-rate scale
///      (Glasberg & Moore: ERB(f) = 24.7·(4.37·f/1000 + 1) Hz) from `lowFrequency` to
///      `highFrequency`; each channel is two cascaded RBJ band-pass biquads (0 dB peak)
///      with Q = f/ERB(f), a 4th-order resonance roughly like a gammatone filter;
///   2. half-wave rectification (inner hair cells pass one direction of motion);
///   3. a leaky integrate-and-fire neuron per channel: v ← v + (dt/τ)·(gain·r − v), a spike
///      when v ≥ 1, then v = 0 and `refractorySeconds` of silence.
///
/// The waveform is first scaled to peak amplitude 1, so loudness does not change the code.
/// Spikes come out sorted by time (ties by channel), times in seconds of the sample that fired.
public struct CochleaEncoder: Sendable {
    public var sampleRate: Int
    public var channelCount: Int
    public var lowFrequency: Double
    public var highFrequency: Double
    /// Membrane time constant of the spike encoder.
    public var tauSeconds: Double
    /// Input gain of the rectified filter output.
    public var gain: Double
    /// Dead time after a spike.
    public var refractorySeconds: Double

    public init(sampleRate: Int = 16_000, channelCount: Int = 700, lowFrequency: Double = 60,
                highFrequency: Double = 7_000, tauSeconds: Double = 0.002, gain: Double = 30,
                refractorySeconds: Double = 0.002) {
        precondition(highFrequency < Double(sampleRate) / 2 && lowFrequency > 0 && lowFrequency < highFrequency,
                     "CochleaEncoder: need 0 < lowFrequency < highFrequency < sampleRate/2")
        self.sampleRate = sampleRate
        self.channelCount = channelCount
        self.lowFrequency = lowFrequency
        self.highFrequency = highFrequency
        self.tauSeconds = tauSeconds
        self.gain = gain
        self.refractorySeconds = refractorySeconds
    }

    /// ERB-rate (number of ERBs below `f` Hz).
    static func erbRate(_ f: Double) -> Double { 21.4 * log10(1 + 0.00437 * f) }
    static func erbRateInverse(_ e: Double) -> Double { (pow(10, e / 21.4) - 1) / 0.00437 }

    /// The centre frequency of every channel, ascending.
    public func centreFrequencies() -> [Double] {
        let low = Self.erbRate(lowFrequency), high = Self.erbRate(highFrequency)
        return (0..<channelCount).map { c in
            Self.erbRateInverse(low + (high - low) * Double(c) / Double(max(1, channelCount - 1)))
        }
    }

    /// The spike trains of `signal`: times in seconds and the channel of each spike.
    public func encode(_ signal: [Float]) -> (times: [Float], units: [UInt16]) {
        typealias V = SIMD8<Float>
        let groups = (channelCount + 7) / 8
        // Biquad coefficients per channel (normalised by a0): b0, b2 = −b0 (b1 = 0), a1, a2.
        var b0 = [V](repeating: .zero, count: groups), a1 = b0, a2 = b0
        for (c, f) in centreFrequencies().enumerated() {
            let erb = 24.7 * (4.37 * f / 1000 + 1)
            let q = f / erb
            let w0 = 2 * Double.pi * f / Double(sampleRate)
            let alpha = sin(w0) / (2 * q)
            let a0 = 1 + alpha
            b0[c / 8][c % 8] = Float(alpha / a0)
            a1[c / 8][c % 8] = Float(-2 * cos(w0) / a0)
            a2[c / 8][c % 8] = Float((1 - alpha) / a0)
        }
        // Filter states (transposed direct form II, two stages), membranes, refractory counters.
        var s1 = [V](repeating: .zero, count: groups), s2 = s1, t1 = s1, t2 = s1, v = s1, dead = s1
        let peak = signal.reduce(Float(0)) { max($0, abs($1)) }
        let scale: Float = peak > 0 ? 1 / peak : 0
        let leak = Float(1 / (tauSeconds * Double(sampleRate)))
        let drive = Float(gain) * leak
        let refractory = Float((refractorySeconds * Double(sampleRate)).rounded())
        let one = V(repeating: 1), zero = V.zero
        var times: [Float] = [], units: [UInt16] = []
        let dt = 1 / Float(sampleRate)
        for (n, sample) in signal.enumerated() {
            let x = V(repeating: sample * scale)
            for g in 0..<groups {
                // Stage 1 on x, stage 2 on its output.
                let y1 = b0[g] * x + s1[g]
                s1[g] = s2[g] - a1[g] * y1
                s2[g] = -b0[g] * x - a2[g] * y1
                let y2 = b0[g] * y1 + t1[g]
                t1[g] = t2[g] - a1[g] * y2
                t2[g] = -b0[g] * y1 - a2[g] * y2
                let rectified = y2.replacing(with: zero, where: y2 .< zero)
                var membrane = v[g] + drive * rectified - leak * v[g]
                let resting = dead[g] .> zero
                membrane.replace(with: zero, where: resting)
                dead[g] = (dead[g] - one).replacing(with: zero, where: dead[g] .<= one)
                let fired = membrane .>= one
                if any(fired) {
                    for lane in 0..<8 where fired[lane] {
                        let channel = g * 8 + lane
                        if channel < channelCount {
                            times.append(Float(n) * dt)
                            units.append(UInt16(channel))
                        }
                    }
                    membrane.replace(with: zero, where: fired)
                    dead[g].replace(with: V(repeating: refractory), where: fired)
                }
                v[g] = membrane
            }
        }
        return (times, units)
    }
}
