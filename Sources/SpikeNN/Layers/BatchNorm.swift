import SpikeTensor

/// Batch normalisation over the channel axis (axis 1), shared by `BatchNorm1d` and `BatchNorm2d`:
/// PyTorch's `_BatchNorm` with the same state dict (`weight`, `bias`, `running_mean`,
/// `running_var`, `num_batches_tracked`).
///
/// Training normalises with the batch statistics and updates the running ones; evaluation
/// uses the running statistics (or the batch's when `trackRunningStats` is off).
public class BatchNorm: Module {
    /// Scale γ [C] (starts at 1), or nil when not affine.
    public let weight: Tensor?
    /// Shift β [C] (starts at 0), or nil when not affine.
    public let bias: Tensor?
    /// Running mean [C] (starts at 0), or nil when statistics are not tracked.
    @Buffer public private(set) var runningMean: Tensor?
    /// Running (unbiased) variance [C] (starts at 1), or nil when statistics are not tracked.
    @Buffer public private(set) var runningVar: Tensor?
    /// Training forwards so far (int32, shape []), or nil when statistics are not tracked.
    @Buffer public private(set) var numBatchesTracked: Tensor?
    /// Number of channels C.
    public let featureCount: Int
    /// Added to the variance before the square root.
    public let eps: Float
    /// Weight of the newest batch in the running statistics; nil averages all batches equally.
    /// Set only by `recalibrateBatchNorm`, which averages equally while it runs.
    public internal(set) var momentum: Float?

    init(featureCount: Int, eps: Float, momentum: Float?, affine: Bool, trackRunningStats: Bool) {
        precondition(featureCount >= 1, "BatchNorm: feature count must be positive, got \(featureCount)")
        precondition(eps > 0, "BatchNorm: eps must be positive, got \(eps)")
        if let momentum {
            precondition(momentum >= 0 && momentum <= 1, "BatchNorm: momentum must be in [0, 1], got \(momentum)")
        }
        self.featureCount = featureCount
        self.eps = eps
        self.momentum = momentum
        weight = affine ? Tensor.ones([featureCount], requiresGrad: true) : nil
        bias = affine ? Tensor.zeros([featureCount], requiresGrad: true) : nil
        runningMean = trackRunningStats ? Tensor.zeros([featureCount]) : nil
        runningVar = trackRunningStats ? Tensor.ones([featureCount]) : nil
        numBatchesTracked = trackRunningStats ? Tensor(int32: [0], shape: []) : nil
    }

    /// Running mean 0, variance 1 and no batches tracked, as at construction (PyTorch's
    /// `reset_running_stats`); γ and β are kept.
    public func resetRunningStatistics() {
        guard let mean = runningMean, let variance = runningVar, let counter = numBatchesTracked else { return }
        mean.floats.update(repeating: 0)
        variance.floats.update(repeating: 1)
        counter.int32s[0] = 0
    }

    /// Normalises `x` ([N, C, …]) by the mode's statistics.
    func normalize(_ x: Tensor) -> Tensor {
        precondition(x.rank >= 2 && x.shape[1] == featureCount,
                     "\(type(of: self)): input \(x.shape) does not have \(featureCount) channels on axis 1")
        // Batch statistics in training, and whenever there are no running ones to use.
        let useBatch = isTraining || runningMean == nil
        var factor = momentum ?? 0
        if isTraining, let counter = numBatchesTracked {
            counter.int32s[0] &+= 1
            // PyTorch's cumulative moving average when momentum is nil.
            if momentum == nil { factor = 1 / Float(counter.int32s[0]) }
        }
        // The running statistics are updated in training and read in evaluation.
        return batchNorm(x, weight: weight, bias: bias, runningMean: runningMean, runningVar: runningVar,
                         training: useBatch, momentum: factor, eps: eps)
    }
}

/// Batch normalisation of [N, C] or [N, C, L] (PyTorch's `nn.BatchNorm1d`).
public final class BatchNorm1d: BatchNorm, UnaryLayer {
    /// C channels with PyTorch's defaults: γ = 1, β = 0, running mean 0 and variance 1,
    /// momentum 0.1, eps 1e-5.
    public init(_ featureCount: Int, eps: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true) {
        super.init(featureCount: featureCount, eps: eps, momentum: momentum, affine: affine,
                   trackRunningStats: trackRunningStats)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 2 || x.rank == 3, "BatchNorm1d: input must be [N, C] or [N, C, L], got shape \(x.shape)")
        return normalize(x)
    }
}

/// Batch normalisation of [N, C, H, W] (PyTorch's `nn.BatchNorm2d`).
public final class BatchNorm2d: BatchNorm, UnaryLayer {
    /// C channels with PyTorch's defaults: γ = 1, β = 0, running mean 0 and variance 1,
    /// momentum 0.1, eps 1e-5.
    public init(_ featureCount: Int, eps: Float = 1e-5, momentum: Float? = 0.1, affine: Bool = true,
                trackRunningStats: Bool = true) {
        super.init(featureCount: featureCount, eps: eps, momentum: momentum, affine: affine,
                   trackRunningStats: trackRunningStats)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "BatchNorm2d: input must be [N, C, H, W], got shape \(x.shape)")
        return normalize(x)
    }
}
