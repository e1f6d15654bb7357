import Foundation
import Testing
@testable import SpikeNN
import SpikeTensor

// MARK: - Fixtures

/// A residual-style block: two named children and an optional one.
private final class Block: Module, UnaryLayer {
    let conv1: Conv2d
    let bn1: BatchNorm2d
    let downsample: Sequential?

    init(_ inChannels: Int, _ outChannels: Int, rng: inout PhiloxGenerator) {
        conv1 = Conv2d(inChannels, outChannels, kernelSize: 3, padding: 1, bias: false, rng: &rng)
        bn1 = BatchNorm2d(outChannels)
        downsample = inChannels == outChannels ? nil : Sequential(
            Conv2d(inChannels, outChannels, kernelSize: 1, bias: false, rng: &rng), BatchNorm2d(outChannels))
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let y = bn1(conv1(x))
        return (y + (downsample?(x) ?? x)).relu()
    }
}

/// A nested model exercising every rule: children, an array of children, camel-case names,
/// an own parameter declared after the children, a buffer, and properties that hold nothing.
private final class Net: Module, UnaryLayer {
    let stem: Conv2d
    let layer1: [Block]
    let headNorm: BatchNorm1d
    let fc: Linear
    let outputScale: Tensor
    @Buffer var stepCount: Tensor
    let note = "not state"
    let channels: Int

    init(rng: inout PhiloxGenerator) {
        channels = 4
        stem = Conv2d(1, 2, kernelSize: 3, padding: 1, rng: &rng)
        layer1 = [Block(2, 2, rng: &rng), Block(2, 4, rng: &rng)]
        headNorm = BatchNorm1d(4)
        fc = Linear(4, 3, rng: &rng)
        outputScale = Tensor([1], shape: [1], requiresGrad: true)
        stepCount = Tensor.zeros([1])
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let y = layer1.reduce(stem(x)) { $1($0) }
        let pooled = adaptiveAvgPool2d(y, outputSize: (1, 1)).flattened(from: 1)
        return fc(headNorm(pooled)) * outputScale
    }
}

/// Three parameters, one buffer set: small enough to spell out every load error.
private final class Tiny: Module {
    let fc: Linear
    let bn: BatchNorm1d

    init(seed: UInt64) {
        var rng = PhiloxGenerator(seed: seed)
        fc = Linear(3, 2, rng: &rng)
        bn = BatchNorm1d(2)
    }
}

private func makeNet(seed: UInt64 = 1) -> Net {
    var rng = PhiloxGenerator(seed: seed)
    return Net(rng: &rng)
}

private func bytesEqual(_ a: Tensor, _ b: Tensor) -> Bool {
    a.shape == b.shape && a.dtype == b.dtype
        && memcmp(a.rawPointer, b.rawPointer, a.count * a.dtype.byteSize) == 0
}

// MARK: - Tests

@Suite("Module reflection and state dicts")
struct ModuleTests {
    @Test("parameter names of a nested model follow PyTorch's state_dict naming and order")
    func parameterNames() {
        // Own parameters first, then each child's in declaration order (PyTorch's
        // named_parameters), arrays indexed, camelCase in snake_case, nil children absent.
        let expected = [
            "output_scale",
            "stem.weight", "stem.bias",
            "layer1.0.conv1.weight", "layer1.0.bn1.weight", "layer1.0.bn1.bias",
            "layer1.1.conv1.weight", "layer1.1.bn1.weight", "layer1.1.bn1.bias",
            "layer1.1.downsample.0.weight", "layer1.1.downsample.1.weight", "layer1.1.downsample.1.bias",
            "head_norm.weight", "head_norm.bias",
            "fc.weight", "fc.bias",
        ]
        #expect(makeNet().namedParameters().map(\.name) == expected)
    }

    @Test("the state dict lists each module's parameters, then its buffers, then its children")
    func stateDictNames() {
        let bn = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
        let expected = ["output_scale", "step_count", "stem.weight", "stem.bias"]
            + ["layer1.0.conv1.weight"] + bn.map { "layer1.0.bn1." + $0 }
            + ["layer1.1.conv1.weight"] + bn.map { "layer1.1.bn1." + $0 }
            + ["layer1.1.downsample.0.weight"] + bn.map { "layer1.1.downsample.1." + $0 }
            + bn.map { "head_norm." + $0 } + ["fc.weight", "fc.bias"]
        let net = makeNet()
        #expect(net.stateDict().map(\.name) == expected)
        #expect(net.namedBuffers().map(\.name) == expected.filter {
            $0 == "step_count" || $0.hasSuffix("running_mean") || $0.hasSuffix("running_var")
                || $0.hasSuffix("num_batches_tracked")
        })
        #expect(net.stateDict().first { $0.name == "head_norm.num_batches_tracked" }!.tensor.shape == [])
    }

    @Test("property names become snake case the way PyTorch spells them")
    func snakeCase() {
        let cases = [
            ("runningMean", "running_mean"), ("numBatchesTracked", "num_batches_tracked"),
            ("weightIH", "weight_ih"), ("convHTTPLayer", "conv_http_layer"), ("conv1", "conv1"),
            ("layer1", "layer1"), ("w", "w"), ("fc2Out", "fc2_out"), ("already_snake", "already_snake"),
        ]
        for (swift, pytorch) in cases { #expect(ModuleReflection.snakeCase(swift) == pytorch) }
    }

    @Test("parameter count sums every parameter's elements")
    func parameterCount() {
        // output_scale 1; stem 2·1·9 + 2 = 20; block 0: conv 2·2·9 = 36, bn 4;
        // block 1: conv 4·2·9 = 72, bn 8, downsample conv 4·2 = 8, bn 8; head_norm 8; fc 4·3 + 3 = 15.
        #expect(makeNet().parameterCount == 1 + 20 + 36 + 4 + 72 + 8 + 8 + 8 + 8 + 15)
    }

    @Test("a tensor shared by two properties is listed once by namedParameters")
    func sharedTensor() {
        final class Tied: Module {
            let a: Linear
            let b: Linear
            override init() {
                var rng = PhiloxGenerator(seed: 3)
                a = Linear(2, 2, bias: false, rng: &rng)
                b = Linear(weight: a.weight, bias: nil)
            }
        }
        let tied = Tied()
        #expect(tied.namedParameters().map(\.name) == ["a.weight"])
        #expect(tied.stateDict().map(\.name) == ["a.weight", "b.weight"])
    }

    @Test("namedModules walks the tree in pre-order and modules(ofType:) filters it")
    func namedModules() {
        let net = makeNet()
        let names = net.namedModules().map(\.name)
        #expect(names == ["", "stem", "layer1.0", "layer1.0.conv1", "layer1.0.bn1", "layer1.1", "layer1.1.conv1",
                          "layer1.1.bn1", "layer1.1.downsample", "layer1.1.downsample.0", "layer1.1.downsample.1",
                          "head_norm", "fc"])
        #expect(net.modules(ofType: BatchNorm.self).count == 4)
        #expect(net.namedChildren().map(\.name) == ["stem", "layer1.0", "layer1.1", "head_norm", "fc"])
    }

    @Test("train and eval switch every module of the tree")
    func trainEval() {
        let net = makeNet()
        #expect(net.namedModules().allSatisfy { $0.module.isTraining })
        net.eval()
        #expect(net.namedModules().allSatisfy { !$0.module.isTraining })
        net.train()
        #expect(net.namedModules().allSatisfy { $0.module.isTraining })
    }

    @Test("zeroGrad drops the gradient of every parameter after a backward pass")
    func zeroGrad() {
        let net = makeNet()
        var rng = PhiloxGenerator(seed: 9)
        let x = Tensor.normal([2, 1, 4, 4], rng: &rng)
        net(x).sum().backward()
        #expect(net.parameters().allSatisfy { $0.grad != nil })
        net.zeroGrad()
        #expect(net.parameters().allSatisfy { $0.grad == nil })
    }

    @Test("a state dict round trip copies every value into the existing tensors")
    func roundTrip() throws {
        let source = makeNet(seed: 1), target = makeNet(seed: 2)
        // Make the buffers differ too.
        source.train()
        var rng = PhiloxGenerator(seed: 5)
        _ = source(Tensor.normal([3, 1, 4, 4], rng: &rng))
        let before = target.stateDict()
        #expect(!zip(source.stateDict(), before).allSatisfy { bytesEqual($0.tensor, $1.tensor) })

        let result = try target.loadStateDict(source.stateDict())
        #expect(result.missingKeys.isEmpty && result.unexpectedKeys.isEmpty)
        for ((name, a), (_, b)) in zip(source.stateDict(), target.stateDict()) {
            #expect(bytesEqual(a, b), "entry \(name)")
            #expect(a !== b, "entry \(name) must be copied, not shared")
        }
        // The same tensor objects stay in place, so an optimizer built before still holds them.
        for ((_, old), (_, new)) in zip(before, target.stateDict()) { #expect(old === new) }
        #expect(target.stateDict().first { $0.name == "head_norm.num_batches_tracked" }!.tensor.int32Array == [1])
    }

    @Test("loading a state dict with a missing key names the key and its shape")
    func missingKey() {
        let model = Tiny(seed: 1)
        let entries = Tiny(seed: 2).stateDict().filter { $0.name != "bn.running_var" }
        #expect {
            try model.loadStateDict(entries)
        } throws: { error in
            (error as? StateDictError)?.description
                == "cannot load the state dict:\n  missing key 'bn.running_var' (the model expects shape [2])"
        }
    }

    @Test("loading a state dict with an unexpected key names the key and its shape")
    func unexpectedKey() {
        let model = Tiny(seed: 1)
        let entries = Tiny(seed: 2).stateDict() + [("fc.extra", Tensor.zeros([4]))]
        #expect {
            try model.loadStateDict(entries)
        } throws: { error in
            (error as? StateDictError)?.description
                == "cannot load the state dict:\n  unexpected key 'fc.extra' (shape [4]) that the model does not have"
        }
    }

    @Test("loading a tensor of the wrong shape names the key and both shapes")
    func shapeMismatch() {
        let model = Tiny(seed: 1)
        let entries = Tiny(seed: 2).stateDict().map { entry -> NamedTensor in
            entry.name == "fc.weight" ? (entry.name, Tensor.zeros([3, 2])) : entry
        }
        #expect {
            try model.loadStateDict(entries)
        } throws: { error in
            (error as? StateDictError)?.description
                == "cannot load the state dict:\n  shape mismatch for 'fc.weight': the state dict has [3, 2], the model expects [2, 3]"
        }
    }

    @Test("a failed load lists every problem and leaves the model unchanged")
    func failedLoadChangesNothing() throws {
        let model = Tiny(seed: 1)
        let snapshot = model.stateDict().map { ($0.name, $0.tensor.copy()) }
        var entries = Tiny(seed: 2).stateDict().filter { $0.name != "bn.bias" }
        entries = entries.map { $0.name == "bn.running_mean" ? ($0.name, Tensor.zeros([5])) : $0 }
        entries.append(("zz.unused", Tensor.zeros([1])))
        entries.append(("aa.unused", Tensor.zeros([2, 2])))
        do {
            try model.loadStateDict(entries)
            Issue.record("load should have failed")
        } catch let error as StateDictError {
            #expect(error.problems == [
                .missingKey("bn.bias", expectedShape: [2]),
                .unexpectedKey("aa.unused", shape: [2, 2]),
                .unexpectedKey("zz.unused", shape: [1]),
                .shapeMismatch("bn.running_mean", modelShape: [2], stateDictShape: [5]),
            ])
        }
        for ((name, now), (_, then)) in zip(model.stateDict(), snapshot) { #expect(bytesEqual(now, then), "entry \(name)") }
    }

    @Test("a non-strict load skips missing and unexpected keys and reports them")
    func nonStrict() throws {
        let model = Tiny(seed: 1), source = Tiny(seed: 2)
        let entries = source.stateDict().filter { $0.name != "fc.bias" } + [("extra", Tensor.zeros([1]))]
        let oldBias = model.fc.bias!.copy()
        let result = try model.loadStateDict(entries, strict: false)
        #expect(result.missingKeys == ["fc.bias"])
        #expect(result.unexpectedKeys == ["extra"])
        #expect(bytesEqual(model.fc.weight, source.fc.weight))
        #expect(bytesEqual(model.fc.bias!, oldBias))
    }

    @Test("loading converts the element type, as a PyTorch int64 step counter needs")
    func dtypeConversion() throws {
        let model = Tiny(seed: 1)
        let entries = Tiny(seed: 1).stateDict().map { entry -> NamedTensor in
            entry.name == "bn.num_batches_tracked" ? (entry.name, Tensor([7], shape: [])) : entry
        }
        try model.loadStateDict(entries)
        #expect(model.bn.numBatchesTracked!.int32Array == [7])
    }

    @Test("random streams of layers are found by name and restore their state")
    func randomStreams() {
        final class WithDropout: Module {
            let body: Sequential
            override init() {
                var rng = PhiloxGenerator(seed: 4)
                body = Sequential(Linear(2, 2, rng: &rng), Dropout(p: 0.5, rng: &rng))
            }
        }
        let model = WithDropout()
        let streams = model.namedRandomStreams()
        #expect(streams.map(\.name) == ["body.1.rng"])
        let saved = streams[0].stream.state
        let first = (0..<4).map { _ in streams[0].stream.generator.next() }
        #expect(streams[0].stream.restore(saved))
        #expect((0..<4).map { _ in streams[0].stream.generator.next() } == first)
        #expect(!streams[0].stream.restore([1, 2]))
    }
}
