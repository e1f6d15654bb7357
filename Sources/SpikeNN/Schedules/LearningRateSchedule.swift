/// How often a schedule changes the learning rate.
public enum ScheduleGranularity: String, Sendable, CaseIterable {
    /// Once per epoch: PyTorch's schedulers stepped after each epoch.
    case epoch
    /// At every iteration: the same curve sampled per batch (timm's `t_in_epochs=False`).
    case iteration
}

/// A learning rate as a pure function of training progress.
///
/// Schedules hold no mutable state, so resuming at any epoch and iteration gives exactly the
/// rate an uninterrupted run had. Positions are 0-based: epoch 0 uses the initial rate, like
/// PyTorch's `last_epoch = 0` right after the scheduler is built. The runner calls
/// `learningRate(epoch:step:stepsPerEpoch:)` before every optimizer step (or once per epoch)
/// and assigns the result to `Optimizer.learningRate`.
public protocol LearningRateSchedule: Sendable {
    /// Name stored in checkpoints: `constant`, `cosine`, `step` or `multistep`.
    var kind: String { get }
    /// Whether the rate changes per epoch or per iteration.
    var granularity: ScheduleGranularity { get }
    /// The configuration by snake_case name, as checkpoints store it (scalars are one-element arrays).
    var parameters: [String: [Double]] { get }
    /// The rate at `position` on a time axis of `unitsPerEpoch` units per epoch (1 for
    /// per-epoch schedules, iterations per epoch for per-iteration ones).
    func learningRate(at position: Int, unitsPerEpoch: Int) -> Float
}

extension LearningRateSchedule {
    /// The rate for iteration `step` (0-based) of epoch `epoch` (0-based); per-epoch schedules ignore `step`.
    public func learningRate(epoch: Int, step: Int = 0, stepsPerEpoch: Int = 1) -> Float {
        precondition(epoch >= 0 && step >= 0, "learning rate asked for a negative epoch (\(epoch)) or step (\(step))")
        precondition(stepsPerEpoch >= 1, "stepsPerEpoch must be at least 1, got \(stepsPerEpoch)")
        switch granularity {
        case .epoch: return learningRate(at: epoch, unitsPerEpoch: 1)
        case .iteration: return learningRate(at: epoch * stepsPerEpoch + step, unitsPerEpoch: stepsPerEpoch)
        }
    }

    /// The schedule's configuration and the last epoch whose rate was applied, for a checkpoint.
    public func exportState(lastEpoch: Int) -> ScheduleState {
        ScheduleState(kind: kind, parameters: parameters, lastEpoch: lastEpoch)
    }

    /// `granularity` as a checkpoint parameter.
    var granularityParameter: [Double] { [granularity == .iteration ? 1 : 0] }
}
