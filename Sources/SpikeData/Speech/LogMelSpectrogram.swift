import Foundation

/// Log-mel spectrogram frames of a waveform: the features a speech sample becomes, one
/// `melCount`-vector per time step (input current of the first layer).
///
/// Per frame (no centre padding: frame f covers samples f·hop ..< f·hop + windowLength):
///   1. multiply by a periodic Hann window w[n] = 0.5 − 0.5·cos(2πn / windowLength);
///   2. zero-pad to `fftSize` and take the power spectrum |X[k]|², k = 0…fftSize/2;
///   3. weight by `melCount` triangular filters whose corners are equally spaced on the HTK
///      mel scale m = 2595·log10(1 + f/700) between `minFrequency` and `maxFrequency`,
///      evaluated at the bin frequencies k·sampleRate/fftSize (torchaudio's
///      `melscale_fbanks(norm=None, mel_scale="htk")`);
///   4. take log(energy + `logOffset`).
/// The defaults (25 ms window, 10 ms hop at 16 kHz, 40 mels) are the usual SNN setting for
/// Google Speech Commands; a 1 s clip gives 98 frames.
public struct LogMelSpectrogram: Sendable, Equatable {
    public var sampleRate = 16_000
    /// Window length in samples (25 ms at 16 kHz).
    public var windowLength = 400
    /// Hop between frames in samples (10 ms at 16 kHz).
    public var hopLength = 160
    /// FFT size (a power of two at least `windowLength`).
    public var fftSize = 512
    /// Mel bands.
    public var melCount = 40
    public var minFrequency = 20.0
    public var maxFrequency = 8_000.0
    /// Added before the logarithm so silence stays finite.
    public var logOffset = 1e-6

    /// The documented defaults above.
    public init() {}

    /// Frames a signal of `sampleCount` samples gives (0 when shorter than one window).
    public func frameCount(sampleCount: Int) -> Int {
        sampleCount < windowLength ? 0 : 1 + (sampleCount - windowLength) / hopLength
    }

    /// The HTK mel value of `hertz`.
    public static func mel(_ hertz: Double) -> Double { 2595 * log10(1 + hertz / 700) }
    /// The frequency of HTK mel value `mel`.
    public static func hertz(_ mel: Double) -> Double { 700 * (pow(10, mel / 2595) - 1) }

    /// The filter bank, row-major `[melCount, fftSize/2 + 1]`.
    public func filterBank() -> [Double] {
        let bins = fftSize / 2 + 1
        let low = Self.mel(minFrequency), high = Self.mel(maxFrequency)
        let corners = (0..<(melCount + 2)).map { Self.hertz(low + (high - low) * Double($0) / Double(melCount + 1)) }
        var bank = [Double](repeating: 0, count: melCount * bins)
        for m in 0..<melCount {
            let left = corners[m], centre = corners[m + 1], right = corners[m + 2]
            for k in 0..<bins {
                let f = Double(k) * Double(sampleRate) / Double(fftSize)
                let up = (f - left) / (centre - left), down = (right - f) / (right - centre)
                bank[m * bins + k] = max(0, min(up, down))
            }
        }
        return bank
    }

    /// The periodic Hann window of `windowLength` samples.
    public func window() -> [Double] {
        (0..<windowLength).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(windowLength)) }
    }

    /// Log-mel features of `signal`, row-major `[frameCount, melCount]`.
    public func features(_ signal: [Float]) -> [Float] {
        precondition(fftSize >= windowLength && fftSize & (fftSize - 1) == 0,
                     "LogMelSpectrogram: fftSize \(fftSize) must be a power of two ≥ windowLength \(windowLength)")
        let frames = frameCount(sampleCount: signal.count)
        let bins = fftSize / 2 + 1
        let bank = filterBank(), hann = window()
        let fft = FFT(size: fftSize)
        var re = [Double](repeating: 0, count: fftSize), im = [Double](repeating: 0, count: fftSize)
        var power = [Double](repeating: 0, count: bins)
        var out = [Float](repeating: 0, count: frames * melCount)
        for f in 0..<frames {
            let start = f * hopLength
            for n in 0..<fftSize {
                re[n] = n < windowLength ? Double(signal[start + n]) * hann[n] : 0
                im[n] = 0
            }
            fft.transform(real: &re, imaginary: &im)
            for k in 0..<bins { power[k] = re[k] * re[k] + im[k] * im[k] }
            for m in 0..<melCount {
                var energy = 0.0
                let row = m * bins
                for k in 0..<bins { energy += bank[row + k] * power[k] }
                out[f * melCount + m] = Float(log(energy + logOffset))
            }
        }
        return out
    }
}

/// An in-place iterative radix-2 complex FFT of one power-of-two size (forward, unscaled:
/// X[k] = Σ x[n]·e^(−2πi·kn/N), as NumPy's `fft`).
struct FFT {
    let size: Int
    private let cosTable: [Double]
    private let sinTable: [Double]
    private let bitReversed: [Int]

    init(size: Int) {
        precondition(size >= 1 && size & (size - 1) == 0, "FFT size \(size) is not a power of two")
        self.size = size
        cosTable = (0..<(size / 2)).map { cos(-2 * Double.pi * Double($0) / Double(size)) }
        sinTable = (0..<(size / 2)).map { sin(-2 * Double.pi * Double($0) / Double(size)) }
        let bits = size.trailingZeroBitCount
        bitReversed = (0..<size).map { i in
            var r = 0
            for b in 0..<bits where i & (1 << b) != 0 { r |= 1 << (bits - 1 - b) }
            return r
        }
    }

    func transform(real: inout [Double], imaginary: inout [Double]) {
        precondition(real.count == size && imaginary.count == size, "FFT: arrays must hold \(size) values")
        for i in 0..<size {
            let j = bitReversed[i]
            if j > i { real.swapAt(i, j); imaginary.swapAt(i, j) }
        }
        var length = 2
        while length <= size {
            let half = length / 2, stride = size / length
            var start = 0
            while start < size {
                for k in 0..<half {
                    let wr = cosTable[k * stride], wi = sinTable[k * stride]
                    let a = start + k, b = a + half
                    let tr = real[b] * wr - imaginary[b] * wi
                    let ti = real[b] * wi + imaginary[b] * wr
                    real[b] = real[a] - tr
                    imaginary[b] = imaginary[a] - ti
                    real[a] += tr
                    imaginary[a] += ti
                }
                start += length
            }
            length *= 2
        }
    }
}
