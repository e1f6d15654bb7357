import Foundation
import SpikeTensor

/// A simulated event camera watching a still image that moves along N-MNIST's three saccades,
/// turning a grey image into events in N-MNIST's form (34 × 34, µs timestamps, ~0.3 s).
///
/// The image (e.g. 28 × 28 in [0, 1]) is drawn into the sensor at a sub-pixel offset that moves
/// along a triangle, one side per saccade (as the ATIS camera's pan-tilt moves did for N-MNIST),
/// with a smooth start and stop. Every pixel keeps a reference log intensity; whenever
/// log(ε + I) moves more than its contrast threshold away from it, the pixel fires an ON or OFF
/// event and the reference moves by one threshold (the ideal DVS pixel model). Crossing times
/// are interpolated within each simulation step. Thresholds vary per pixel (Gaussian, seeded),
/// and a few background-noise events are added, so a seed fixes every event.
public struct SaccadeEventCamera: Sendable {
    /// The sensor (34 × 34 like N-MNIST).
    public var sensor = SensorSize.nmnist
    /// Mean contrast threshold on log intensity.
    public var threshold: Float = 0.5
    /// Relative spread of the per-pixel thresholds (standard deviation / mean).
    public var thresholdSpread: Float = 0.1
    /// ε of log(ε + I), so black is finite.
    public var epsilon: Float = 0.1
    /// Duration of one saccade in µs (N-MNIST: about 100 ms).
    public var saccadeMicroseconds: Int = 100_000
    /// Simulation steps per saccade.
    public var stepsPerSaccade: Int = 100
    /// Background-noise events per recording.
    public var noiseEvents: Int = 20
    /// Where the image's top-left corner is at the start of each saccade (the triangle's corners),
    /// in sensor pixels; the image must stay inside the sensor.
    public var corners: [(x: Float, y: Float)] = [(0, 6), (3, 0), (6, 6)]

    /// The default camera.
    public init() {}

    /// The events of `image` (row-major `height × width` intensities in [0, 1]) for `seed`.
    public func record(_ image: [Float], width: Int, height: Int, seed: UInt64, stream: UInt64) -> Events {
        precondition(image.count == width * height, "image has \(image.count) values for \(width)×\(height)")
        var rng = PhiloxGenerator(seed: seed, stream: stream)
        let w = sensor.width, h = sensor.height, n = w * h
        // Per-pixel thresholds (ON and OFF), clamped away from zero.
        var onThreshold = [Float](repeating: 0, count: n), offThreshold = [Float](repeating: 0, count: n)
        for i in 0..<n {
            onThreshold[i] = max(threshold * (1 + thresholdSpread * gaussian(&rng)), 0.05)
            offThreshold[i] = max(threshold * (1 + thresholdSpread * gaussian(&rng)), 0.05)
        }
        var current = [Float](repeating: 0, count: n), next = [Float](repeating: 0, count: n)
        render(image, width: width, height: height, at: corners[0], into: &current)
        var reference = current
        var events = Events()
        var stepEvents: [(t: Double, pixel: Int, polarity: UInt8)] = []
        let stepMicroseconds = Double(saccadeMicroseconds) / Double(stepsPerSaccade)
        var time = 0.0
        for saccade in 0..<corners.count {
            let from = corners[saccade], to = corners[(saccade + 1) % corners.count]
            for step in 1...stepsPerSaccade {
                // Smooth start and stop: the offset follows (1 − cos πs)/2 of the way.
                let s = Float(step) / Float(stepsPerSaccade)
                let f = (1 - cos(Float.pi * s)) / 2
                render(image, width: width, height: height, at: (from.x + (to.x - from.x) * f, from.y + (to.y - from.y) * f),
                       into: &next)
                stepEvents.removeAll(keepingCapacity: true)
                for i in 0..<n {
                    let l0 = current[i], l1 = next[i]
                    guard l1 != l0 else { continue }
                    // Fire while the new value is a threshold or more away from the reference.
                    while next[i] - reference[i] >= onThreshold[i] {
                        reference[i] += onThreshold[i]
                        stepEvents.append((time + crossing(l0, l1, reference[i]) * stepMicroseconds, i, 1))
                    }
                    while reference[i] - next[i] >= offThreshold[i] {
                        reference[i] -= offThreshold[i]
                        stepEvents.append((time + crossing(l0, l1, reference[i]) * stepMicroseconds, i, 0))
                    }
                }
                stepEvents.sort { $0.t != $1.t ? $0.t < $1.t : $0.pixel < $1.pixel }
                for e in stepEvents {
                    events.append(x: UInt16(e.pixel % w), y: UInt16(e.pixel / w), t: Int64(e.t.rounded(.down)), polarity: e.polarity)
                }
                swap(&current, &next)
                time += stepMicroseconds
            }
        }
        // Background noise: uniformly placed events, merged in time order.
        let total = Int64(time)
        var noise: [(t: Int64, x: UInt16, y: UInt16, p: UInt8)] = (0..<noiseEvents).map { _ in
            (Int64(rng.nextIndex(below: Int(max(total, 1)))), UInt16(rng.nextIndex(below: w)), UInt16(rng.nextIndex(below: h)),
             UInt8(rng.nextIndex(below: 2)))
        }
        noise.sort { $0.t < $1.t }
        var merged = Events()
        merged.reserveCapacity(events.count + noise.count)
        var k = 0
        for i in 0..<events.count {
            while k < noise.count && noise[k].t < events.t[i] {
                merged.append(x: noise[k].x, y: noise[k].y, t: noise[k].t, polarity: noise[k].p)
                k += 1
            }
            merged.append(x: events.x[i], y: events.y[i], t: events.t[i], polarity: events.polarity[i])
        }
        for rest in noise[k...] { merged.append(x: rest.x, y: rest.y, t: rest.t, polarity: rest.p) }
        return merged
    }

    /// log(ε + I) of the sensor with `image` drawn (bilinearly) with its top-left corner at `offset`.
    func render(_ image: [Float], width: Int, height: Int, at offset: (x: Float, y: Float), into out: inout [Float]) {
        let w = sensor.width, h = sensor.height
        func pixel(_ x: Int, _ y: Int) -> Float {
            x >= 0 && x < width && y >= 0 && y < height ? image[y * width + x] : 0
        }
        for sy in 0..<h {
            let iy = Float(sy) - offset.y
            let y0 = Int(iy.rounded(.down)), fy = iy - Float(y0)
            for sx in 0..<w {
                let ix = Float(sx) - offset.x
                let x0 = Int(ix.rounded(.down)), fx = ix - Float(x0)
                let top = pixel(x0, y0) * (1 - fx) + pixel(x0 + 1, y0) * fx
                let bottom = pixel(x0, y0 + 1) * (1 - fx) + pixel(x0 + 1, y0 + 1) * fx
                out[sy * w + sx] = log(epsilon + top * (1 - fy) + bottom * fy)
            }
        }
    }
}

/// Where between `l0` (0) and `l1` (1) the value `level` is crossed, in [0, 1].
@inline(__always)
private func crossing(_ l0: Float, _ l1: Float, _ level: Float) -> Double {
    Double(min(max((level - l0) / (l1 - l0), 0), 1))
}

/// A standard normal draw (Box–Muller on two uniforms).
private func gaussian(_ rng: inout PhiloxGenerator) -> Float {
    let u1 = max(rng.nextUniform(), 1e-7), u2 = rng.nextUniform()
    return sqrt(-2 * log(u1)) * cos(2 * Float.pi * u2)
}
