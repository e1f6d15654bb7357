import SpikeTensor

/// Re-estimates the running statistics of every batch-norm layer of `model` with its weights
/// fixed ("precise BN": fvcore's `update_bn_stats`; Wu & Johnson, "Rethinking 'Batch' in
/// BatchNorm", 2021): each tracked layer is reset (mean 0, variance 1), then `model` runs in
/// training mode without gradients on every batch `nextInputs` returns until it returns nil,
/// and each layer's running mean and (unbiased) variance become the equal-weight average of
/// its batch statistics over those batches (PyTorch's `momentum=None`). Returns the number of
/// batches seen.
///
/// Why: during training the running statistics are an exponential average (momentum 0.1) of
/// batches seen by *earlier* weights; when the weights move fast relative to that average's
/// ~10-step memory, evaluation normalises with statistics the final network never produces.
///
/// The model's mode and each layer's momentum are restored afterwards, also when `nextInputs`
/// throws (the running statistics are then those of the batches seen so far). Dropout is active
/// during the passes, as in training; nothing else in the model depends on the mode. With no
/// batch at all, every tracked layer is left reset.
@discardableResult
public func recalibrateBatchNorm(_ model: Module & UnaryLayer, nextInputs: () throws -> Tensor?) rethrows -> Int {
    let layers = model.modules(ofType: BatchNorm.self).filter { $0.runningMean != nil }
    let wasTraining = model.isTraining
    let momenta = layers.map(\.momentum)
    for layer in layers {
        layer.resetRunningStatistics()
        layer.momentum = nil
    }
    defer {
        for (layer, momentum) in zip(layers, momenta) { layer.momentum = momentum }
        model.train(wasTraining)
    }
    model.train()
    var batches = 0
    try noGrad {
        while let inputs = try nextInputs() {
            _ = model(inputs)
            batches += 1
        }
    }
    return batches
}
