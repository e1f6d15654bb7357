import Foundation

/// Decays the rate by `gamma` at each milestone epoch — PyTorch's `MultiStepLR`:
/// `baseLR · gamma^(number of milestones ≤ epoch)`; a repeated milestone decays twice.
public struct MultiStepSchedule: LearningRateSchedule {
    /// Rate before the first milestone.
    public let baseLR: Float
    /// Epochs at which the rate decays, ascending.
    public let milestones: [Int]
    /// Factor applied at each milestone.
    public let gamma: Float
    public let granularity: ScheduleGranularity

    /// A schedule that multiplies `baseLR` by `gamma` at each of `milestones` (any order).
    public init(baseLR: Float, milestones: [Int], gamma: Float = 0.1, granularity: ScheduleGranularity = .epoch) {
        if let problem = Self.problem(baseLR: baseLR, milestones: milestones, gamma: gamma) {
            preconditionFailure("multistep schedule: \(problem)")
        }
        self.baseLR = baseLR
        self.milestones = milestones.sorted()
        self.gamma = gamma
        self.granularity = granularity
    }

    /// What is wrong with a configuration, or nil when it is valid.
    static func problem(baseLR: Float, milestones: [Int], gamma: Float) -> String? {
        if !(baseLR >= 0) { return "base_lr must be non-negative, got \(baseLR)" }
        if let bad = milestones.first(where: { $0 < 0 }) { return "milestones must be non-negative, got \(bad)" }
        if !(gamma >= 0) { return "gamma must be non-negative, got \(gamma)" }
        return nil
    }

    public var kind: String { "multistep" }

    public var parameters: [String: [Double]] {
        ["base_lr": [Double(baseLR)], "milestones": milestones.map(Double.init), "gamma": [Double(gamma)],
         "per_iteration": granularityParameter]
    }

    public func learningRate(at position: Int, unitsPerEpoch: Int) -> Float {
        var decays = 0
        for milestone in milestones where milestone * unitsPerEpoch <= position { decays += 1 }
        return Float(Double(baseLR) * pow(Double(gamma), Double(decays)))
    }
}
