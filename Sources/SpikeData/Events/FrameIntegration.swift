import SpikeTensor

/// How a sample's events become `T` frames of event counts, `[T, 2, H, W]` (channel 0: OFF
/// events, channel 1: ON events), with SpikingJelly's semantics
/// (`integrate_events_by_fixed_frames_number`, `integrate_events_by_fixed_duration`).
///
/// Events must be in time order (every reader returns them so).
public struct FrameIntegration: Hashable, Sendable, CustomStringConvertible {
    /// How events are cut into frames.
    public enum Split: Hashable, Sendable {
        /// Equal event counts: with N events, frame i holds events [i·⌊N/T⌋, (i+1)·⌊N/T⌋), the last runs to N.
        case number
        /// Equal durations: dt = ⌊(t_last − t_first)/T⌋, frame i holds t_first + i·dt ≤ t < t_first + (i+1)·dt,
        /// the last runs to the end.
        case time
        /// Fixed durations: an event at t goes to frame ⌊(t − t_first)/D⌋; frames past T are dropped,
        /// missing ones stay zero.
        case duration(microseconds: Int64)
    }

    /// Frames per sample (the network's time steps).
    public let frames: Int
    /// How events are assigned to frames.
    public let split: Split

    /// `frames` frames cut by `split`.
    public init(frames: Int, split: Split) {
        precondition(frames >= 1, "frame count must be at least 1, got \(frames)")
        if case .duration(let d) = split { precondition(d >= 1, "frame duration must be at least 1 µs, got \(d)") }
        self.frames = frames
        self.split = split
    }

    public var description: String {
        switch split {
        case .number: "T=\(frames) split_by=number"
        case .time: "T=\(frames) split_by=time"
        case .duration(let d): "T=\(frames) split_by=duration duration_us=\(d)"
        }
    }

    /// For `.number` and `.time`: the index range of the events of each frame (SpikingJelly's
    /// `cal_fixed_frames_number_segment_index`; a frame without events gets an empty range,
    /// where SpikingJelly's `time` split would fail).
    public func segments(_ t: [Int64]) -> [Range<Int>] {
        let n = t.count, m = frames
        switch split {
        case .number:
            let di = n / m
            return (0..<m).map { i in i * di..<(i == m - 1 ? n : (i + 1) * di) }
        case .time:
            guard n > 0 else { return Array(repeating: 0..<0, count: m) }
            let t0 = t[0]
            let dt = (t[n - 1] - t0) / Int64(m)
            return (0..<m).map { i in
                let lower = lowerBound(t, t0 + Int64(i) * dt)
                let upper = i == m - 1 ? n : lowerBound(t, t0 + Int64(i + 1) * dt)
                return lower..<max(lower, upper)
            }
        case .duration:
            preconditionFailure("segments(_:) is for split by number or time")
        }
    }

    /// Writes the frames of `events` (on `sensor`) to `output`: T × 2 × H × W floats, zeroed first.
    public func integrate(_ events: Events, sensor: SensorSize, into output: UnsafeMutablePointer<Float>) {
        let plane = sensor.width * sensor.height
        let frameSize = 2 * plane
        output.update(repeating: 0, count: frames * frameSize)
        let n = events.count
        guard n > 0 else { return }
        events.x.withUnsafeBufferPointer { xs in
        events.y.withUnsafeBufferPointer { ys in
        events.polarity.withUnsafeBufferPointer { ps in
            @inline(__always) func add(_ k: Int, frame: Int) {
                let x = Int(xs[k]), y = Int(ys[k])
                precondition(x < sensor.width && y < sensor.height,
                             "event \(k) at (\(x), \(y)) is outside the \(sensor) sensor")
                output[frame * frameSize + Int(ps[k]) * plane + y * sensor.width + x] += 1
            }
            switch split {
            case .number, .time:
                for (i, range) in segments(events.t).enumerated() {
                    for k in range { add(k, frame: i) }
                }
            case .duration(let d):
                let t0 = events.t[0]
                for k in 0..<n {
                    let frame = (events.t[k] - t0) / d
                    if frame < Int64(frames) { add(k, frame: Int(frame)) }
                }
            }
        }}}
    }

    /// The frames of `events` as Float `[T, 2, H, W]`.
    public func frames(of events: Events, sensor: SensorSize) -> Tensor {
        let out = Tensor(shape: [frames, 2, sensor.height, sensor.width], uninitialized: true)
        integrate(events, sensor: sensor, into: out.floats.baseAddress!)
        return out
    }
}

/// First index of sorted `t` whose value is ≥ `value` (NumPy's `searchsorted`, side left).
func lowerBound(_ t: [Int64], _ value: Int64) -> Int {
    var low = 0, high = t.count
    while low < high {
        let mid = (low + high) / 2
        if t[mid] < value { low = mid + 1 } else { high = mid }
    }
    return low
}

/// Frames `[T, C, H, W]` resized to `height × width`, bilinear (PyTorch's
/// `interpolate(mode="bilinear", align_corners=False)`, no antialiasing); the input when the
/// size already matches.
public func resizeFrames(_ frames: Tensor, height: Int, width: Int) -> Tensor {
    precondition(frames.rank == 4, "resizeFrames: expected [T, C, H, W], got \(frames.shape)")
    if frames.shape[2] == height && frames.shape[3] == width { return frames }
    return upsampleBilinear2d(frames, size: (height, width), alignCorners: false)
}
