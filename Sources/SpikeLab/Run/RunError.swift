import Foundation

/// Why a run stopped with an error. Each case says what happened and what to do.
public enum RunError: Error, CustomStringConvertible, Equatable {
    /// A value of the training step became NaN or infinite: the loss, the learning rate, a
    /// gradient, a parameter or buffer after the step, or optimizer state. `epoch` and `batch`
    /// count from 0, `step` is the global number (from 1) of the step that produced it.
    /// No checkpoint is written, so the last good one is kept.
    case nonFinite(epoch: Int, batch: Int, step: Int, what: String)
    /// The run directory already holds a run.
    case directoryInUse(path: String)
    /// `resume` found no run to continue.
    case nothingToResume(path: String, reason: String)
    /// A file of the run could not be read or written.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .nonFinite(let epoch, let batch, let step, let what):
            return "a value became non-finite at epoch \(epoch + 1), batch \(batch + 1) (global step \(step)): \(what); stopped without writing a checkpoint, so checkpoints/ still hold the last good state (lower the learning rate, or clip gradients with training.grad_clip)"
        case .directoryInUse(let path):
            return "\(path) already holds a run; continue it with `spikelab resume \(path)`, or choose another directory with --out"
        case .nothingToResume(let path, let reason):
            return "cannot resume \(path): \(reason)"
        case .io(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}
