import SpikeTensor

/// Spikformer for CIFAR (Zhou et al., "Spikformer: When Spiking Neural Network Meets
/// Transformer", ICLR 2023; the CIFAR form of its authors' code, as SpikePack names a
/// Spikeformer-8-512): spiking patch splitting, then `depth` encoder blocks of spiking
/// self-attention (no softmax) and a spiking MLP, then a linear head on the token mean.
///
///     patch_embed (SPS), D = embed width:
///         proj_conv  conv3×3(C → D/8) → proj_bn  → proj_lif
///         proj_conv1 conv3×3(D/8 → D/4) → proj_bn1 → proj_lif1
///         proj_conv2 conv3×3(D/4 → D/2) → proj_bn2 → proj_lif2 → maxpool 3, stride 2, pad 1
///         proj_conv3 conv3×3(D/2 → D)   → proj_bn3 → proj_lif3 → maxpool 3, stride 2, pad 1
///         x = x + rpe_lif(rpe_bn(rpe_conv(x)))   (relative position embedding, conv3×3 D → D)
///         (convolutions without bias; 32×32 → 8×8 = 64 tokens)
///     stem .imagenet (the authors' ImageNet code): also `maxpool` after proj_lif and
///         `maxpool1` after proj_lif1, so 224×224 → 14×14 = 196 tokens (Spikformer-8-512: depth 8, D 512, 8 heads)
///     block.i: x = x + attn(x); x = x + mlp(x)       (see `SpikingSelfAttention`, `SpikingMLP`)
///     head: mean over tokens → linear(D → classes)
///
/// Everything but the neurons runs on time-folded tensors [T·N, …]; the logits are the mean
/// over time of the per-step logits. Spikformer-4-384 (depth 4, D 384, 12 heads, MLP ratio 4)
/// is the paper's CIFAR model.
///
/// Input: an image batch [N, C, H, W] (direct encoding) or [T, N, C, H, W]; H and W divisible
/// by 4 (CIFAR stem) or 16 (ImageNet stem). Output: logits [N, classes].
public final class Spikformer: Module, UnaryLayer {
    /// Spiking patch splitting: images → tokens.
    public let patchEmbed: SpikingPatchSplitting
    /// The encoder blocks.
    public let block: [SpikformerBlock]
    /// The classifier on the mean token.
    public let head: Linear
    /// Steps the body runs (T, or 1 for ReLU and SpikePack).
    public let timeSteps: Int
    /// Embedding width D.
    public let embedDim: Int

    /// A Spikformer of `depth` blocks, embedding width `embedDim`·`width` rounded to a
    /// multiple of `heads`, whose neurons are `neuron` (the attention output neuron fires at
    /// 0.5, as in the paper), drawing every initial value from `rng` in layer order.
    public init(neuron: NeuronSpec, numClasses: Int = 10, inChannels: Int = 3, embedDim: Int = 384, depth: Int = 4,
                heads: Int = 12, mlpRatio: Int = 4, width: Float = 1, stem: SpikingPatchSplitting.Stem = .cifar,
                rng: inout PhiloxGenerator) {
        precondition(numClasses >= 1, "Spikformer: numClasses must be positive, got \(numClasses)")
        precondition(depth >= 1 && heads >= 1 && mlpRatio >= 1,
                     "Spikformer: depth, heads and mlpRatio must be positive, got \(depth), \(heads), \(mlpRatio)")
        precondition(width > 0, "Spikformer: width must be positive, got \(width)")
        timeSteps = neuron.foldedSteps
        let d = max(1, Int((Float(embedDim) * width / Float(heads)).rounded())) * heads
        self.embedDim = d
        patchEmbed = SpikingPatchSplitting(inChannels: inChannels, embedDim: d, neuron: neuron, stem: stem, rng: &rng)
        var blocks: [SpikformerBlock] = []
        for _ in 0..<depth {
            blocks.append(SpikformerBlock(dim: d, heads: heads, hidden: d * mlpRatio, neuron: neuron, rng: &rng))
        }
        block = blocks
        head = Linear(d, numClasses, rng: &rng)
    }

    /// Per-step logits, folded: [T·N, classes].
    public func foldedLogits(_ images: Tensor) -> Tensor {
        let x = foldedInput(images, timeSteps: timeSteps, sampleRank: 3)
        var tokens = patchEmbed(x)
        for b in block { tokens = b(tokens) }
        return head(tokens.mean(axis: 1))
    }

    /// Logits [N, classes]: the per-step logits averaged over time.
    public func callAsFunction(_ images: Tensor) -> Tensor {
        meanOverTime(foldedLogits(images), timeSteps: timeSteps)
    }
}

/// Spikformer's spiking patch splitting (SPS) for CIFAR: four conv-BN-neuron stages widening to
/// D with two 3×3/2 max-poolings, plus a conv-BN-neuron relative position embedding added to
/// the result. [T·N, C, H, W] → tokens [T·N, H/4·W/4, D].
public final class SpikingPatchSplitting: Module, UnaryLayer {
    /// `proj_conv`: convolution.
    public let projConv: Conv2d
    /// `proj_bn`: BN.
    public let projBn: BatchNorm2d
    /// `proj_lif`: neuron.
    public let projLif: NeuronLayer
    /// `proj_conv1`: convolution.
    public let projConv1: Conv2d
    /// `proj_bn1`: BN.
    public let projBn1: BatchNorm2d
    /// `proj_lif1`: neuron.
    public let projLif1: NeuronLayer
    /// `proj_conv2`: convolution.
    public let projConv2: Conv2d
    /// `proj_bn2`: BN.
    public let projBn2: BatchNorm2d
    /// `proj_lif2`: neuron.
    public let projLif2: NeuronLayer
    /// `maxpool`, `maxpool1`: max-pooling 3×3, stride 2, pad 1 after the first two stages (ImageNet stem only).
    public let maxpool: MaxPool2d?
    public let maxpool1: MaxPool2d?
    /// `maxpool2`: max-pooling 3×3, stride 2, pad 1.
    public let maxpool2: MaxPool2d
    /// `proj_conv3`: convolution.
    public let projConv3: Conv2d
    /// `proj_bn3`: BN.
    public let projBn3: BatchNorm2d
    /// `proj_lif3`: neuron.
    public let projLif3: NeuronLayer
    /// `maxpool3`: max-pooling 3×3, stride 2, pad 1.
    public let maxpool3: MaxPool2d
    /// `rpe_conv`: convolution.
    public let rpeConv: Conv2d
    /// `rpe_bn`: BN.
    public let rpeBn: BatchNorm2d
    /// `rpe_lif`: neuron.
    public let rpeLif: NeuronLayer

    /// The authors' two patch-splitting stems.
    public enum Stem: String, Sendable, CaseIterable {
        /// Pools after the last two stages: 32×32 → 8×8 tokens (patch 4, their CIFAR code).
        case cifar
        /// Pools after all four stages: 224×224 → 14×14 tokens (patch 16, their ImageNet code).
        case imagenet

        /// How many times the stem halves the image side.
        public var downsamplings: Int { self == .cifar ? 2 : 4 }
    }

    /// SPS from `inChannels` to `embedDim` channels (D/8, D/4, D/2, D).
    public init(inChannels: Int, embedDim d: Int, neuron: NeuronSpec, stem: Stem = .cifar, rng: inout PhiloxGenerator) {
        let c1 = max(1, d / 8), c2 = max(1, d / 4), c3 = max(1, d / 2)
        projConv = Conv2d(inChannels, c1, kernelSize: 3, padding: 1, bias: false, rng: &rng)
        projBn = BatchNorm2d(c1)
        projLif = NeuronLayer(spec: neuron, rng: &rng)
        projConv1 = Conv2d(c1, c2, kernelSize: 3, padding: 1, bias: false, rng: &rng)
        projBn1 = BatchNorm2d(c2)
        projLif1 = NeuronLayer(spec: neuron, rng: &rng)
        maxpool = stem == .imagenet ? MaxPool2d(3, stride: 2, padding: 1) : nil
        maxpool1 = stem == .imagenet ? MaxPool2d(3, stride: 2, padding: 1) : nil
        projConv2 = Conv2d(c2, c3, kernelSize: 3, padding: 1, bias: false, rng: &rng)
        projBn2 = BatchNorm2d(c3)
        projLif2 = NeuronLayer(spec: neuron, rng: &rng)
        maxpool2 = MaxPool2d(3, stride: 2, padding: 1)
        projConv3 = Conv2d(c3, d, kernelSize: 3, padding: 1, bias: false, rng: &rng)
        projBn3 = BatchNorm2d(d)
        projLif3 = NeuronLayer(spec: neuron, rng: &rng)
        maxpool3 = MaxPool2d(3, stride: 2, padding: 1)
        rpeConv = Conv2d(d, d, kernelSize: 3, padding: 1, bias: false, rng: &rng)
        rpeBn = BatchNorm2d(d)
        rpeLif = NeuronLayer(spec: neuron, rng: &rng)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        var y = projLif(projBn(projConv(x)))
        if let maxpool { y = maxpool(y) }
        y = projLif1(projBn1(projConv1(y)))
        if let maxpool1 { y = maxpool1(y) }
        y = maxpool2(projLif2(projBn2(projConv2(y))))
        y = maxpool3(projLif3(projBn3(projConv3(y))))
        let features = residualAdd(y, rpeLif(rpeBn(rpeConv(y))))
        let b = features.shape[0], d = features.shape[1], l = features.shape[2] * features.shape[3]
        return features.reshaped([b, d, l]).permuted([0, 2, 1])
    }
}

/// One Spikformer encoder block on tokens [T·N, L, D]: x + SSA(x), then + MLP(·).
public final class SpikformerBlock: Module, UnaryLayer {
    /// Spiking self-attention.
    public let attn: SpikingSelfAttention
    /// Spiking MLP.
    public let mlp: SpikingMLP

    /// A block of width `dim` with `heads` attention heads and an MLP of `hidden` units.
    public init(dim: Int, heads: Int, hidden: Int, neuron: NeuronSpec, rng: inout PhiloxGenerator) {
        attn = SpikingSelfAttention(dim: dim, heads: heads, neuron: neuron, rng: &rng)
        mlp = SpikingMLP(dim: dim, hidden: hidden, neuron: neuron, rng: &rng)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = residualAdd(x, attn(x))
        return residualAdd(y, mlp(y))
    }
}

/// BN over the feature axis of tokens [B, L, D]: BN1d sees the [B, D, L] transpose, as in the
/// authors' code.
func tokenBatchNorm(_ x: Tensor, _ norm: BatchNorm1d) -> Tensor {
    norm(x.permuted([0, 2, 1])).permuted([0, 2, 1])
}

/// Spiking self-attention (SSA) on tokens [B, L, D]: Q, K, V = neuron(BN(linear(x))), spikes;
/// per head, attention = Q·Kᵀ·s (s = 0.125, no softmax: the products of non-negative spike
/// matrices need no normalisation); x = attn_lif(attention·V) with threshold 0.5; output
/// proj_lif(proj_bn(proj_linear(x))).
public final class SpikingSelfAttention: Module, UnaryLayer {
    /// `q_linear`: linear layer over token features.
    public let qLinear: Linear
    /// `q_bn`: BN over token features.
    public let qBn: BatchNorm1d
    /// `q_lif`: neuron.
    public let qLif: NeuronLayer
    /// `k_linear`: linear layer over token features.
    public let kLinear: Linear
    /// `k_bn`: BN over token features.
    public let kBn: BatchNorm1d
    /// `k_lif`: neuron.
    public let kLif: NeuronLayer
    /// `v_linear`: linear layer over token features.
    public let vLinear: Linear
    /// `v_bn`: BN over token features.
    public let vBn: BatchNorm1d
    /// `v_lif`: neuron.
    public let vLif: NeuronLayer
    /// `attn_lif`: neuron.
    public let attnLif: NeuronLayer
    /// `proj_linear`: linear layer over token features.
    public let projLinear: Linear
    /// `proj_bn`: BN over token features.
    public let projBn: BatchNorm1d
    /// `proj_lif`: neuron.
    public let projLif: NeuronLayer
    /// Attention heads.
    public let heads: Int
    /// The fixed attention scale s.
    public let scale: Float

    /// SSA of width `dim` (a multiple of `heads`).
    public init(dim: Int, heads: Int, scale: Float = 0.125, neuron: NeuronSpec, rng: inout PhiloxGenerator) {
        precondition(dim % heads == 0, "SpikingSelfAttention: width \(dim) is not a multiple of \(heads) heads")
        self.heads = heads
        self.scale = scale
        qLinear = Linear(dim, dim, rng: &rng)
        qBn = BatchNorm1d(dim)
        qLif = NeuronLayer(spec: neuron, rng: &rng)
        kLinear = Linear(dim, dim, rng: &rng)
        kBn = BatchNorm1d(dim)
        kLif = NeuronLayer(spec: neuron, rng: &rng)
        vLinear = Linear(dim, dim, rng: &rng)
        vBn = BatchNorm1d(dim)
        vLif = NeuronLayer(spec: neuron, rng: &rng)
        var attnSpec = neuron
        attnSpec.vThreshold = 0.5
        attnLif = NeuronLayer(spec: attnSpec, rng: &rng)
        projLinear = Linear(dim, dim, rng: &rng)
        projBn = BatchNorm1d(dim)
        projLif = NeuronLayer(spec: neuron, rng: &rng)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let b = x.shape[0], l = x.shape[1], d = x.shape[2], h = heads
        func split(_ t: Tensor) -> Tensor { t.reshaped([b, l, h, d / h]).permuted([0, 2, 1, 3]) }  // [B, H, L, d]
        let q = split(qLif(tokenBatchNorm(qLinear(x), qBn)))
        let k = split(kLif(tokenBatchNorm(kLinear(x), kBn)))
        let v = split(vLif(tokenBatchNorm(vLinear(x), vBn)))
        let attention = matmul(q, k.permuted([0, 1, 3, 2])) * scale                                 // [B, H, L, L]
        let mixed = matmul(attention, v).permuted([0, 2, 1, 3]).reshaped([b, l, d])                  // [B, L, D]
        return projLif(tokenBatchNorm(projLinear(attnLif(mixed)), projBn))
    }
}

/// Spikformer's MLP on tokens [B, L, D]: fc1 (D → hidden) → BN → neuron → fc2 (hidden → D) → BN → neuron.
public final class SpikingMLP: Module, UnaryLayer {
    /// `fc1_linear`: linear layer over token features.
    public let fc1Linear: Linear
    /// `fc1_bn`: BN over token features.
    public let fc1Bn: BatchNorm1d
    /// `fc1_lif`: neuron.
    public let fc1Lif: NeuronLayer
    /// `fc2_linear`: linear layer over token features.
    public let fc2Linear: Linear
    /// `fc2_bn`: BN over token features.
    public let fc2Bn: BatchNorm1d
    /// `fc2_lif`: neuron.
    public let fc2Lif: NeuronLayer

    /// An MLP of width `dim` with `hidden` units.
    public init(dim: Int, hidden: Int, neuron: NeuronSpec, rng: inout PhiloxGenerator) {
        fc1Linear = Linear(dim, hidden, rng: &rng)
        fc1Bn = BatchNorm1d(hidden)
        fc1Lif = NeuronLayer(spec: neuron, rng: &rng)
        fc2Linear = Linear(hidden, dim, rng: &rng)
        fc2Bn = BatchNorm1d(dim)
        fc2Lif = NeuronLayer(spec: neuron, rng: &rng)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        let y = fc1Lif(tokenBatchNorm(fc1Linear(x), fc1Bn))
        return fc2Lif(tokenBatchNorm(fc2Linear(y), fc2Bn))
    }
}
