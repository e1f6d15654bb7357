import Foundation
import Testing
@testable import SpikeData

private let fixtureDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

private struct LogMelFixture: Decodable {
    let samples: [Int16]
    let frames: Int
    let mels: Int
    let filter_bank_row_10: [Double]
    let logmel: [Double]
}

@Suite("Speech features: log-mel, FFT, resampling, cochlea encoder")
struct SpeechFeatureTests {
    @Test("log-mel frames match the NumPy reference of make_logmel_fixture.py")
    func logMelAgainstNumPy() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixtureDirectory + "/logmel_fixture.json"))
        let fixture = try JSONDecoder().decode(LogMelFixture.self, from: data)
        let spectrogram = LogMelSpectrogram()
        #expect(spectrogram.frameCount(sampleCount: fixture.samples.count) == fixture.frames)
        let bins = spectrogram.fftSize / 2 + 1
        let row = Array(spectrogram.filterBank()[(10 * bins)..<(11 * bins)])
        for (a, b) in zip(row, fixture.filter_bank_row_10) { #expect(abs(a - b) < 1e-12) }
        let features = spectrogram.features(fixture.samples.map { Float($0) / 32768 })
        #expect(features.count == fixture.frames * fixture.mels)
        var worst = 0.0
        for (a, b) in zip(features, fixture.logmel) { worst = max(worst, abs(Double(a) - b)) }
        #expect(worst < 1e-4, "largest difference \(worst)")
    }

    @Test("the FFT matches the DFT sum computed term by term")
    func fftAgainstDFT() {
        let n = 16
        let x: [Double] = (0..<n).map { sin(Double($0) * 0.7) + 0.25 * Double($0 % 3) }
        var re = x, im = [Double](repeating: 0, count: n)
        FFT(size: n).transform(real: &re, imaginary: &im)
        for k in 0..<n {
            var sr = 0.0, si = 0.0
            for t in 0..<n {
                sr += x[t] * cos(-2 * Double.pi * Double(k * t) / Double(n))
                si += x[t] * sin(-2 * Double.pi * Double(k * t) / Double(n))
            }
            #expect(abs(re[k] - sr) < 1e-9 && abs(im[k] - si) < 1e-9, "bin \(k)")
        }
    }

    @Test("a 1 s clip gives 98 frames of 40 mels; a pure tone peaks in the mel band holding its frequency")
    func toneLandsInItsBand() {
        let spectrogram = LogMelSpectrogram()
        #expect(spectrogram.frameCount(sampleCount: 16_000) == 98)
        let tone = (0..<16_000).map { Float(0.5 * sin(2 * Double.pi * 1000 * Double($0) / 16_000)) }
        let f = spectrogram.features(tone)
        let frame = Array(f[(50 * 40)..<(51 * 40)])
        let peak = frame.indices.max { frame[$0] < frame[$1] }!
        let mel1000 = LogMelSpectrogram.mel(1000)
        let low = LogMelSpectrogram.mel(20), high = LogMelSpectrogram.mel(8000)
        let centres = (1...40).map { low + (high - low) * Double($0) / 41 }
        let nearest = centres.indices.min { abs(centres[$0] - mel1000) < abs(centres[$1] - mel1000) }!
        #expect(peak == nearest)
    }

    @Test("resampling 22 050 → 16 000 Hz keeps a 1 kHz tone's amplitude and phase and removes a 10 kHz tone")
    func resampler() {
        let inRate = 22_050, n = 22_050
        let low = (0..<n).map { Float(sin(2 * Double.pi * 1000 * Double($0) / Double(inRate))) }
        let out = Resampler(from: inRate, to: 16_000).resample(low)
        #expect(out.count == 16_000)
        var worst: Float = 0
        for j in 1000..<15_000 {
            let expected = Float(sin(2 * Double.pi * 1000 * Double(j) / 16_000))
            worst = max(worst, abs(out[j] - expected))
        }
        #expect(worst < 0.01, "largest error \(worst)")
        let high = (0..<n).map { Float(sin(2 * Double.pi * 10_000 * Double($0) / Double(inRate))) }
        let removed = Resampler(from: inRate, to: 16_000).resample(high)
        let rms = (removed[1000..<15_000].reduce(Float(0)) { $0 + $1 * $1 } / 14_000).squareRoot()
        #expect(rms < 0.01, "rms of the aliased remainder \(rms)")
    }

    @Test("the cochlea encoder maps a tone to channels near its frequency, time-sorted, deterministically")
    func cochlea() {
        let encoder = CochleaEncoder()
        let centres = encoder.centreFrequencies()
        #expect(centres.count == 700 && abs(centres[0] - 60) < 1e-9 && abs(centres[699] - 7000) < 1e-6)
        #expect(zip(centres, centres.dropFirst()).allSatisfy { $0 < $1 })
        let tone = (0..<8000).map { Float(0.8 * sin(2 * Double.pi * 1500 * Double($0) / 16_000)) }
        let (times, units) = encoder.encode(tone)
        #expect(!times.isEmpty && times.count == units.count)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(units.allSatisfy { $0 < 700 })
        // Channels tuned near the tone fire; channels far from it (below 500 Hz, above 4 kHz) stay nearly silent.
        var counts = [Int](repeating: 0, count: 700)
        for u in units { counts[Int(u)] += 1 }
        let near = centres.indices.min { abs(centres[$0] - 1500) < abs(centres[$1] - 1500) }!
        #expect(counts[near] > 100, "channel \(near) at \(centres[near]) Hz fired \(counts[near]) times")
        let far = centres.indices.filter { centres[$0] < 500 || centres[$0] > 4000 }
        #expect(far.allSatisfy { counts[$0] * 20 < counts[near] }, "far channels fire too much")
        // Refractory period 2 ms: no channel fires more than 500 times per second (+1 edge).
        #expect(counts.max()! <= 251)
        #expect(encoder.encode(tone).times == times)
        #expect(encoder.encode([Float](repeating: 0, count: 100)).times.isEmpty)
    }
}
