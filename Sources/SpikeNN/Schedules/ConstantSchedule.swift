/// The same learning rate at every epoch and iteration.
public struct ConstantSchedule: LearningRateSchedule {
    /// The rate.
    public let baseLR: Float

    /// A schedule that always returns `baseLR`.
    public init(baseLR: Float) {
        precondition(baseLR >= 0, "constant schedule: learning rate must be non-negative, got \(baseLR)")
        self.baseLR = baseLR
    }

    public var kind: String { "constant" }
    public var granularity: ScheduleGranularity { .epoch }
    public var parameters: [String: [Double]] { ["base_lr": [Double(baseLR)]] }

    public func learningRate(at position: Int, unitsPerEpoch: Int) -> Float { baseLR }
}
