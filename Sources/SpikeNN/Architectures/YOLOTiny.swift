import SpikeTensor

/// A YOLOv3-tiny-style single-stage spiking detector (`yolo_tiny`): a ResNet-18 backbone,
/// YOLOv3-tiny's two-scale neck and 1×1 prediction heads, anchors as in `YOLOGrid`.
///
///     backbone (torchvision ResNet-18, ImageNet stem, channels × width):
///       conv1: conv7×7/2(in → 64) → bn1 → sn1 → maxpool 3×3/2      (stride 4)
///       layer1 … layer4: 2 basic blocks each at 64/128/256/512     (strides 4, 8, 16, 32)
///     neck and heads (YOLOv3-tiny's, channels × width; each conv → BN → neuron):
///       lateral: conv1×1(512 → 256) on layer4
///       head32:  conv3×3(256 → 512) → out32: conv1×1(512 → 3·(5+K), bias)      (stride 32)
///       reduce:  conv1×1(256 → 128) on lateral → nearest up-sampling ×2
///       head16:  conv3×3(128 + 256 → 256) on [reduce, layer3] → out16: conv1×1(256 → 3·(5+K), bias)
///
/// Time is folded into the batch as everywhere ([T·N, C, H, W]); the input image is repeated
/// at every step (direct encoding). The prediction convolutions have no neuron after them:
/// their per-step outputs are averaged over T (the readout), so box offsets and logits are
/// real numbers. The objectness biases start at −log(99) (a prior of 1 % objects per slot, as
/// RetinaNet initialises its classifier) so the many empty slots do not swamp the first steps.
///
/// Input: `[N, C, S, S]` with S = `grid.imageSize`. Output: `[N, slots, 5 + K]` in
/// `YOLOGrid`'s slot order (stride 16 first), channels (tx, ty, tw, th, objectness, classes…).
public final class YOLOTiny: Module, UnaryLayer {
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let sn1: NeuronLayer
    public let maxpool: MaxPool2d
    public let layer1: Sequential
    public let layer2: Sequential
    public let layer3: Sequential
    public let layer4: Sequential
    public let lateral: Sequential
    public let head32: Sequential
    public let out32: Conv2d
    public let reduce: Sequential
    public let head16: Sequential
    public let out16: Conv2d
    /// Slots, anchors and input size.
    public let grid: YOLOGrid
    public let numClasses: Int
    public let inChannels: Int
    /// Steps the body runs (T, or 1 for ReLU and SpikePack).
    public let timeSteps: Int

    /// A detector for `imageSize`-pixel square inputs whose neurons are `neuron`, every channel
    /// count scaled by `width`, drawing every initial value from `rng` in layer order.
    public init(neuron: NeuronSpec, numClasses: Int, imageSize: Int, width: Float = 1, inChannels: Int = 3,
                rng: inout PhiloxGenerator) {
        precondition(numClasses >= 1, "YOLOTiny: numClasses must be positive, got \(numClasses)")
        grid = YOLOGrid(imageSize: imageSize)
        self.numClasses = numClasses
        self.inChannels = inChannels
        timeSteps = neuron.foldedSteps
        func c(_ channels: Int) -> Int { scaledChannels(channels, width: width) }
        func unit(_ input: Int, _ output: Int, kernel: Int) -> Sequential {
            Sequential([Conv2d(input, output, kernelSize: kernel, padding: kernel / 2, bias: false, rng: &rng),
                        BatchNorm2d(output), NeuronLayer(spec: neuron, rng: &rng)])
        }
        conv1 = Conv2d(inChannels, c(64), kernelSize: 7, stride: 2, padding: 3, bias: false, rng: &rng)
        bn1 = BatchNorm2d(c(64))
        sn1 = NeuronLayer(spec: neuron, rng: &rng)
        maxpool = MaxPool2d(3, stride: 2, padding: 1)
        var channels = c(64)
        var stages: [Sequential] = []
        for stage in ResNetLayout.resnet18.stages {
            let out = c(stage.channels)
            var blocks: [any UnaryLayer] = []
            for index in 0..<stage.blocks {
                blocks.append(BasicBlock(channels, out, stride: index == 0 ? stage.stride : 1,
                                         neuron: neuron, rng: &rng))
                channels = out
            }
            stages.append(Sequential(blocks))
        }
        (layer1, layer2, layer3, layer4) = (stages[0], stages[1], stages[2], stages[3])
        let outputs = YOLOGrid.anchorsPerScale * (5 + numClasses)
        lateral = unit(c(512), c(256), kernel: 1)
        head32 = unit(c(256), c(512), kernel: 3)
        out32 = Conv2d(c(512), outputs, kernelSize: 1, rng: &rng)
        reduce = unit(c(256), c(128), kernel: 1)
        head16 = unit(c(128) + c(256), c(256), kernel: 3)
        out16 = Conv2d(c(256), outputs, kernelSize: 1, rng: &rng)
        for out in [out32, out16] {
            let b = out.bias!.floats
            for a in 0..<YOLOGrid.anchorsPerScale { b[a * (5 + numClasses) + 4] = -4.59512 }   // −log(99)
        }
    }

    /// The per-step outputs `[T·N, slots, 5 + K]` (folded).
    public func foldedPredictions(_ images: Tensor) -> Tensor {
        let x = foldedInput(images, timeSteps: timeSteps, sampleRank: 3)
        precondition(x.shape[1] == inChannels && x.shape[2] == grid.imageSize && x.shape[3] == grid.imageSize,
                     "YOLOTiny: expects \(inChannels)×\(grid.imageSize)×\(grid.imageSize) images, got input shape \(images.shape)")
        let c3 = layer3(layer2(layer1(maxpool(sn1(bn1(conv1(x)))))))
        let c4 = layer4(c3)
        let top = lateral(c4)
        let p32 = out32(head32(top))
        let up = upsampleNearest2d(reduce(top), size: (c3.shape[2], c3.shape[3]))
        let p16 = out16(head16(concat([up, c3], axis: 1)))
        return concat([slots(p16), slots(p32)], axis: 1)
    }

    /// `[B, 3·(5+K), h, w]` → `[B, h·w·3, 5+K]` (row, column, anchor order).
    private func slots(_ map: Tensor) -> Tensor {
        let (b, h, w) = (map.shape[0], map.shape[2], map.shape[3]), k = 5 + numClasses
        return map.reshaped([b, YOLOGrid.anchorsPerScale, k, h, w]).permuted([0, 3, 4, 1, 2])
            .reshaped([b, h * w * YOLOGrid.anchorsPerScale, k])
    }

    /// Predictions `[N, slots, 5 + K]`: the per-step outputs averaged over time.
    public func callAsFunction(_ images: Tensor) -> Tensor {
        meanOverTime(foldedPredictions(images), timeSteps: timeSteps)
    }
}
