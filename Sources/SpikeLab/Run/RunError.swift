import Foundation

/// Why a run stopped with an error. Each case says what happened and what to do.
public enum RunError: Error, CustomStringConvertible, Equatable {
    /// The loss became NaN or infinite; the last good checkpoint is kept.
    case nonFinite(epoch: Int, step: Int, loss: Double)
    /// The run directory already holds a run.
    case directoryInUse(path: String)
    /// `resume` found no run to continue.
    case nothingToResume(path: String, reason: String)
    /// A file of the run could not be read or written.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .nonFinite(let epoch, let step, let loss):
            return "the training loss became \(loss) at epoch \(epoch + 1), global step \(step); stopped. The last good checkpoint is untouched (lower the learning rate, or clip gradients with training.grad_clip)"
        case .directoryInUse(let path):
            return "\(path) already holds a run; continue it with `spikelab resume \(path)`, or choose another directory with --out"
        case .nothingToResume(let path, let reason):
            return "cannot resume \(path): \(reason)"
        case .io(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}
