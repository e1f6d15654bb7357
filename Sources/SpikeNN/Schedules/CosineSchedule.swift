import Foundation

/// Linear warm-up followed by cosine annealing.
///
/// With W = warmupEpochs and T = totalEpochs − W (in units of the granularity), the rate at
/// position t is
/// ```
/// t < W:  warmupStartLR + (baseLR − warmupStartLR) · t / W
/// t ≥ W:  minLR + (baseLR − minLR) · (1 + cos(π · (t − W) / T)) / 2
/// ```
/// so after the warm-up it equals PyTorch's `CosineAnnealingLR(T_max: T, eta_min: minLR)`
/// started at epoch W (timm's warm-up with `warmup_prefix=True`). Past the end it stays at
/// `minLR` (PyTorch would climb back along the cosine).
public struct CosineSchedule: LearningRateSchedule {
    /// Rate at the end of warm-up and the top of the cosine.
    public let baseLR: Float
    /// Epochs of warm-up plus cosine.
    public let totalEpochs: Int
    /// Epochs of linear warm-up before the cosine starts.
    public let warmupEpochs: Int
    /// Rate at the first warm-up position.
    public let warmupStartLR: Float
    /// Rate the cosine ends at.
    public let minLR: Float
    public let granularity: ScheduleGranularity

    /// Warm-up over `warmupEpochs`, then cosine from `baseLR` to `minLR` over the remaining epochs.
    public init(baseLR: Float, totalEpochs: Int, warmupEpochs: Int = 0, warmupStartLR: Float = 0,
                minLR: Float = 0, granularity: ScheduleGranularity = .epoch) {
        if let problem = Self.problem(baseLR: baseLR, totalEpochs: totalEpochs, warmupEpochs: warmupEpochs,
                                      warmupStartLR: warmupStartLR, minLR: minLR) {
            preconditionFailure("cosine schedule: \(problem)")
        }
        self.baseLR = baseLR
        self.totalEpochs = totalEpochs
        self.warmupEpochs = warmupEpochs
        self.warmupStartLR = warmupStartLR
        self.minLR = minLR
        self.granularity = granularity
    }

    /// What is wrong with a configuration, or nil when it is valid.
    static func problem(baseLR: Float, totalEpochs: Int, warmupEpochs: Int, warmupStartLR: Float,
                        minLR: Float) -> String? {
        if !(baseLR >= 0 && minLR >= 0 && warmupStartLR >= 0) {
            return "rates must be non-negative, got base_lr \(baseLR), min_lr \(minLR), warmup_start_lr \(warmupStartLR)"
        }
        if warmupEpochs < 0 { return "warmup_epochs must be non-negative, got \(warmupEpochs)" }
        if totalEpochs <= warmupEpochs {
            return "total_epochs (\(totalEpochs)) must exceed warmup_epochs (\(warmupEpochs))"
        }
        return nil
    }

    public var kind: String { "cosine" }

    public var parameters: [String: [Double]] {
        ["base_lr": [Double(baseLR)], "total_epochs": [Double(totalEpochs)],
         "warmup_epochs": [Double(warmupEpochs)], "warmup_start_lr": [Double(warmupStartLR)],
         "min_lr": [Double(minLR)], "per_iteration": granularityParameter]
    }

    public func learningRate(at position: Int, unitsPerEpoch: Int) -> Float {
        let base = Double(baseLR)
        let warmup = warmupEpochs * unitsPerEpoch
        if position < warmup {
            let start = Double(warmupStartLR)
            return Float(start + (base - start) * Double(position) / Double(warmup))
        }
        let length = totalEpochs * unitsPerEpoch - warmup
        let t = min(position - warmup, length)
        let low = Double(minLR)
        return Float(low + (base - low) * (1 + cos(Double.pi * Double(t) / Double(length))) / 2)
    }
}
