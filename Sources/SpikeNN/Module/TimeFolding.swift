import SpikeTensor

// Time folding. A spiking activation is time-major, [T, N, C, H, W]. Because time is the
// outermost axis, merging it with the batch axis into [T·N, C, H, W] is a free view (no copy),
// with sample n of step t at row t·N + n. The network body runs on folded tensors: stateless
// layers (conv, linear, batch norm, pooling) treat the T·N rows as one large batch, so one
// library call serves all steps, and never learn what T is. Only a `NeuronLayer` looks at
// time: it views its folded input as [T, M] (M = N·C·H·W, again free) for the neuron kernel
// and views the result back. Batch norm over folded rows pools its statistics over T and N
// (SpikingJelly's multi-step `SeqToANNContainer` does the same).

/// [T, N, …] → [T·N, …] (a view).
public func foldTime(_ x: Tensor) -> Tensor {
    precondition(x.rank >= 2, "foldTime: input must be [T, N, ...], got shape \(x.shape)")
    return x.reshaped([x.shape[0] * x.shape[1]] + x.shape.dropFirst(2))
}

/// [T·N, …] → [T, N, …] (a view); the leading axis must be a multiple of `timeSteps`.
public func unfoldTime(_ x: Tensor, timeSteps: Int) -> Tensor {
    precondition(timeSteps >= 1, "unfoldTime: timeSteps must be at least 1, got \(timeSteps)")
    precondition(x.rank >= 1 && x.shape[0] % timeSteps == 0,
                 "unfoldTime: leading axis of \(x.shape) is not a multiple of timeSteps \(timeSteps)")
    return x.reshaped([timeSteps, x.shape[0] / timeSteps] + x.shape.dropFirst())
}

/// Direct encoding: the analog sample batch [N, …] repeated at every step, folded to [T·N, …]
/// (a copy unless T = 1); the gradient sums over the steps.
public func repeatOverTime(_ x: Tensor, timeSteps: Int) -> Tensor {
    precondition(timeSteps >= 1, "repeatOverTime: timeSteps must be at least 1, got \(timeSteps)")
    precondition(x.rank >= 1, "repeatOverTime: input must be [N, ...], got a 0-d tensor")
    if timeSteps == 1 { return x }
    return foldTime(x.unsqueezed(axis: 0).expanded(to: [timeSteps] + x.shape))
}

/// The readout: per-step outputs [T·N, …] (folded) averaged over the T steps → [N, …].
public func meanOverTime(_ logits: Tensor, timeSteps: Int) -> Tensor {
    if timeSteps == 1 { return logits }
    return unfoldTime(logits, timeSteps: timeSteps).mean(axis: 0)
}

/// A model's input brought to the folded layout: a static batch [N, …] (rank `sampleRank + 1`)
/// is repeated over the steps (direct encoding); a time-major batch [T, N, …] (rank
/// `sampleRank + 2`, e.g. event frames) is folded and must have T = `timeSteps`.
public func foldedInput(_ x: Tensor, timeSteps: Int, sampleRank: Int) -> Tensor {
    switch x.rank {
    case sampleRank + 1:
        return repeatOverTime(x, timeSteps: timeSteps)
    case sampleRank + 2:
        precondition(x.shape[0] == timeSteps,
                     "model input \(x.shape) has \(x.shape[0]) time steps, the model runs \(timeSteps)")
        return foldTime(x)
    default:
        preconditionFailure("model input must have rank \(sampleRank + 1) ([N, ...]) or \(sampleRank + 2) "
                            + "([T, N, ...]), got shape \(x.shape)")
    }
}
