import Foundation

/// Decays the rate by `gamma` every `stepSize` epochs — PyTorch's `StepLR`:
/// `baseLR · gamma^⌊epoch / stepSize⌋`.
public struct StepSchedule: LearningRateSchedule {
    /// Rate before the first decay.
    public let baseLR: Float
    /// Epochs between decays.
    public let stepSize: Int
    /// Factor applied at each decay.
    public let gamma: Float
    public let granularity: ScheduleGranularity

    /// A schedule that multiplies `baseLR` by `gamma` every `stepSize` epochs.
    public init(baseLR: Float, stepSize: Int, gamma: Float = 0.1, granularity: ScheduleGranularity = .epoch) {
        if let problem = Self.problem(baseLR: baseLR, stepSize: stepSize, gamma: gamma) {
            preconditionFailure("step schedule: \(problem)")
        }
        self.baseLR = baseLR
        self.stepSize = stepSize
        self.gamma = gamma
        self.granularity = granularity
    }

    /// What is wrong with a configuration, or nil when it is valid.
    static func problem(baseLR: Float, stepSize: Int, gamma: Float) -> String? {
        if !(baseLR >= 0) { return "base_lr must be non-negative, got \(baseLR)" }
        if stepSize < 1 { return "step_size must be at least 1 epoch, got \(stepSize)" }
        if !(gamma >= 0) { return "gamma must be non-negative, got \(gamma)" }
        return nil
    }

    public var kind: String { "step" }

    public var parameters: [String: [Double]] {
        ["base_lr": [Double(baseLR)], "step_size": [Double(stepSize)], "gamma": [Double(gamma)],
         "per_iteration": granularityParameter]
    }

    public func learningRate(at position: Int, unitsPerEpoch: Int) -> Float {
        let decays = position / (stepSize * unitsPerEpoch)
        return Float(Double(baseLR) * pow(Double(gamma), Double(decays)))
    }
}
