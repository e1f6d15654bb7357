import Foundation
import SpikeTensor
import Testing
@testable import SpikeData

@Suite("Events to frames and frame augmentations")
struct EventFrameTests {
    /// Seven events on a 3 × 2 sensor (W 3, H 2).
    let events = Events(x: [0, 1, 2, 0, 1, 2, 0], y: [0, 0, 1, 1, 0, 1, 0],
                        t: [0, 1, 2, 5, 9, 10, 10], polarity: [1, 0, 1, 1, 1, 0, 0])
    let sensor = SensorSize(width: 3, height: 2)

    /// Frames [T, 2, 2, 3] filled by hand: `cells` lists (frame, polarity, y, x) once per event.
    func handFrames(_ t: Int, _ cells: [(Int, Int, Int, Int)]) -> [Float] {
        var out = [Float](repeating: 0, count: t * 2 * 2 * 3)
        for (f, p, y, x) in cells { out[((f * 2 + p) * 2 + y) * 3 + x] += 1 }
        return out
    }

    @Test("split_by number: frame i holds events [i*floor(N/T), (i+1)*floor(N/T)), the last runs to N")
    func splitByNumber() {
        let integration = FrameIntegration(frames: 3, split: .number)
        #expect(integration.segments(events.t) == [0..<2, 2..<4, 4..<7])
        let frames = integration.frames(of: events, sensor: sensor)
        #expect(frames.shape == [3, 2, 2, 3])
        // Events 0,1 → frame 0; 2,3 → frame 1; 4,5,6 → frame 2.
        #expect(values(frames) == handFrames(3, [(0, 1, 0, 0), (0, 0, 0, 1), (1, 1, 1, 2), (1, 1, 1, 0),
                                                       (2, 1, 0, 1), (2, 0, 1, 2), (2, 0, 0, 0)]))
    }

    @Test("split_by time: dt = floor((t_last - t_first)/T), frame i holds [t0 + i dt, t0 + (i+1) dt), the last to the end")
    func splitByTime() {
        // dt = floor(10 / 3) = 3: [0, 3) → events 0,1,2; [3, 6) → event 3; [6, end] → 4,5,6.
        let integration = FrameIntegration(frames: 3, split: .time)
        #expect(integration.segments(events.t) == [0..<3, 3..<4, 4..<7])
        let frames = integration.frames(of: events, sensor: sensor)
        #expect(values(frames) == handFrames(3, [(0, 1, 0, 0), (0, 0, 0, 1), (0, 1, 1, 2), (1, 1, 1, 0),
                                                       (2, 1, 0, 1), (2, 0, 1, 2), (2, 0, 0, 0)]))
        // An empty middle window gives an empty frame (SpikingJelly would fail there).
        let gap = FrameIntegration(frames: 4, split: .time)  // dt = 2: [0,2) [2,4) [4,6) [6,..]
        #expect(gap.segments(events.t) == [0..<2, 2..<3, 3..<4, 4..<7])
        let sparse = Events(x: [0, 1], y: [0, 0], t: [0, 100], polarity: [1, 1])
        #expect(gap.segments(sparse.t) == [0..<1, 1..<1, 1..<1, 1..<2])
    }

    @Test("split_by duration: frame = floor((t - t_first)/D), frames past T dropped, missing ones zero")
    func splitByDuration() {
        // D = 4: t 0,1,2 → 0; t 5 → 1; t 9, 10, 10 → 2 (dropped with T = 2).
        let frames = FrameIntegration(frames: 2, split: .duration(microseconds: 4)).frames(of: events, sensor: sensor)
        #expect(values(frames) == handFrames(2, [(0, 1, 0, 0), (0, 0, 0, 1), (0, 1, 1, 2), (1, 1, 1, 0)]))
        let long = FrameIntegration(frames: 5, split: .duration(microseconds: 100)).frames(of: events, sensor: sensor)
        #expect(values(long)[0..<12].reduce(0, +) == 7 && values(long)[12...].allSatisfy { $0 == 0 })
    }

    @Test("fewer events than frames: every event lands in the last frame (floor(N/T) = 0); no events: zeros")
    func fewEvents() {
        let two = events.slice(0..<2)
        #expect(FrameIntegration(frames: 3, split: .number).segments(two.t) == [0..<0, 0..<0, 0..<2])
        let empty = FrameIntegration(frames: 3, split: .time).frames(of: Events(), sensor: sensor)
        #expect(values(empty).allSatisfy { $0 == 0 })
    }

    @Test("the real N-MNIST recording splits into frames that keep every event")
    func realRecordingFrames() throws {
        let events = try NMNISTBinary.read(contentsOf: eventFixture("nmnist_sample.bin"))
        for split in [FrameIntegration.Split.number, .time] {
            let frames = FrameIntegration(frames: 10, split: split).frames(of: events, sensor: .nmnist)
            #expect(frames.shape == [10, 2, 34, 34])
            #expect(Int(values(frames).reduce(0, +)) == 4325)
            // Channel 1 counts the ON events.
            let on = (0..<10).map { t in values(frames)[(t * 2 + 1) * 1156..<(t * 2 + 2) * 1156].reduce(0, +) }.reduce(0, +)
            #expect(Int(on) == events.polarity.reduce(0) { $0 + Int($1) })
        }
    }

    @Test("per-frame event counts of the real recording match a slow count from the definitions")
    func realRecordingFrameCounts() throws {
        let events = try NMNISTBinary.read(contentsOf: eventFixture("nmnist_sample.bin"))
        func frameSums(_ split: FrameIntegration.Split) -> [Int] {
            let frames = values(FrameIntegration(frames: 10, split: split).frames(of: events, sensor: .nmnist))
            return (0..<10).map { Int(frames[($0 * 2312)..<(($0 + 1) * 2312)].reduce(0, +)) }
        }
        // number: ⌊4325/10⌋ = 432 per frame, the last also takes the 5 left over.
        #expect(frameSums(.number) == Array(repeating: 432, count: 9) + [437])
        // time: dt = ⌊(311175 − 654)/10⌋ = 31052; count each window directly.
        let dt: Int64 = (311_175 - 654) / 10
        #expect(dt == 31_052)
        var windows = [Int](repeating: 0, count: 10)
        for i in 0..<10 {
            let start: Int64 = 654 + Int64(i) * dt
            let end: Int64 = i == 9 ? Int64.max : start + dt
            windows[i] = events.t.filter { $0 >= start && $0 < end }.count
        }
        #expect(frameSums(.time) == windows)
        #expect(windows.reduce(0, +) == 4325)
        // duration 100 ms: the three saccades, and nothing past frame 3.
        let saccades = frameSums(.duration(microseconds: 100_000))
        #expect(saccades[0] > 0 && saccades[1] > 0 && saccades[2] > 0 && saccades[4...].allSatisfy { $0 == 0 })
    }

    @Test("halving the size bilinearly (align_corners false) averages 2 × 2 blocks")
    func resizeHalves() {
        let x = Tensor((0..<16).map(Float.init), shape: [1, 1, 4, 4])
        let y = resizeFrames(x, height: 2, width: 2)
        #expect(y.shape == [1, 1, 2, 2])
        #expect(values(y) == [2.5, 4.5, 10.5, 12.5])
        #expect(resizeFrames(x, height: 4, width: 4) === x)
    }

    @Test("event crop, flip and rotation act alike on every frame, and repeat for the same generator")
    func augmentations() {
        // [T 2, C 2, H 3, W 3]: plane k holds 9k + (0..<9).
        let shape = [2, 2, 3, 3]
        let input = (0..<36).map(Float.init)
        func run(_ t: any ImageTransform, seed: UInt64) -> [Float] {
            var g = PhiloxGenerator(seed: seed)
            var out = [Float](repeating: -1, count: t.outputShape(for: shape).reduce(1, *))
            input.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { t.apply(i.baseAddress!, shape: shape, to: $0.baseAddress!, using: &g) } }
            return out
        }
        let crop = EventRandomCrop(size: 2, padding: 1)
        #expect(crop.outputShape(for: shape) == [2, 2, 2, 2])
        for seed in 0..<8 as Range<UInt64> {
            let out = run(crop, seed: seed)
            #expect(out == run(crop, seed: seed))
            // Every plane got the same window: plane k = plane 0 + 9k where plane 0 is not padding.
            for k in 1..<4 {
                for i in 0..<4 where out[i] != 0 { #expect(out[4 * k + i] == out[i] + Float(9 * k)) }
            }
        }
        let flipped = run(EventFlip(probability: 1), seed: 0)
        #expect(Array(flipped[0..<3]) == [2, 1, 0] && Array(flipped[27..<30]) == [29, 28, 27])
        #expect(run(EventFlip(probability: 0), seed: 0) == input)
        #expect(run(EventRotation(degrees: 0), seed: 3) == input)
    }

    @Test("rotating by 90 degrees turns a 3 × 3 plane counter-clockwise")
    func rotation90() {
        let plane: [Float] = [1, 2, 3,
                              4, 5, 6,
                              7, 8, 9]
        var out = [Float](repeating: 0, count: 9)
        plane.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer {
            EventRotation.rotate(p.baseAddress!, shape: [1, 3, 3], degrees: 90, to: $0.baseAddress!)
        } }
        #expect(out == [3, 6, 9,
                        2, 5, 8,
                        1, 4, 7])
    }
}
