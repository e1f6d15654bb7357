import Foundation

/// How one sample's spike train (times in seconds, channel of each spike) becomes `T` frames
/// of spike counts `[T, channels]`, with SpikingJelly's event-to-frame semantics.
///
/// - `number`: frame i holds spikes [i·⌊N/T⌋, (i+1)·⌊N/T⌋) in file order; the last runs to N.
/// - `time`: equal-duration frames spanning the sample (the PSU paper's "15 equal-duration
///   bins"): with times in whole microseconds, dt = ⌊(t_last − t_first)/T⌋ and frame i holds
///   t_first + i·dt ≤ t < t_first + (i+1)·dt; the last frame runs to the end.
/// - `duration`: a fixed window: frame = ⌊(t − t_first)/D⌋ for D microseconds; spikes past
///   frame T − 1 are dropped, frames after the last spike stay zero.
///
/// Times are rounded to the nearest microsecond first (the event datasets' unit; tonic and
/// SpikingJelly convert SHD's seconds the same way), so binning never depends on float
/// rounding of a bin edge.
public enum SpikeTrainBinning: Equatable, Sendable {
    case number
    case time
    case duration(microseconds: Int)

    /// Adds the spike counts of one sample to `frames` (`timeSteps × channels` floats,
    /// row-major, zeroed by the caller). Units must lie in `0..<channels`.
    public func accumulate(times: [Float], units: [UInt16], timeSteps: Int, channels: Int,
                           into frames: UnsafeMutablePointer<Float>) {
        precondition(timeSteps >= 1, "SpikeTrainBinning: timeSteps must be at least 1, got \(timeSteps)")
        precondition(times.count == units.count, "SpikeTrainBinning: \(times.count) times for \(units.count) units")
        let n = times.count
        guard n > 0 else { return }
        switch self {
        case .number:
            let per = n / timeSteps
            for k in 0..<n {
                let frame = per == 0 ? timeSteps - 1 : min(k / per, timeSteps - 1)
                frames[frame * channels + Int(units[k])] += 1
            }
        case .time:
            let us = times.map(Self.microseconds)
            let first = us.min()!, last = us.max()!
            let dt = (last - first) / Int64(timeSteps)
            for k in 0..<n {
                let frame = dt == 0 ? timeSteps - 1 : Int(min((us[k] - first) / dt, Int64(timeSteps - 1)))
                frames[frame * channels + Int(units[k])] += 1
            }
        case .duration(let d):
            precondition(d >= 1, "SpikeTrainBinning: duration must be at least 1 µs, got \(d)")
            let us = times.map(Self.microseconds)
            let first = us.min()!
            for k in 0..<n {
                let frame = (us[k] - first) / Int64(d)
                if frame < Int64(timeSteps) { frames[Int(frame) * channels + Int(units[k])] += 1 }
            }
        }
    }

    /// The frames of one sample as a row-major `[timeSteps × channels]` array.
    public func frames(times: [Float], units: [UInt16], timeSteps: Int, channels: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: timeSteps * channels) { buffer, initialised in
            buffer.initialize(repeating: 0)
            accumulate(times: times, units: units, timeSteps: timeSteps, channels: channels, into: buffer.baseAddress!)
            initialised = timeSteps * channels
        }
    }

    /// Seconds → whole microseconds, rounded to nearest.
    @inline(__always) static func microseconds(_ seconds: Float) -> Int64 {
        Int64((Double(seconds) * 1e6).rounded())
    }
}
