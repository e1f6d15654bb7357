import Foundation
import SpikeNN
import SpikeTensor

/// `spikelab bench engine`: memory bandwidth, SGEMM, conv2d passes and the vgg-small
/// (ReLU) training step, each measured in one run on this machine.
public struct EngineBenchmark {
    /// Fewer repetitions and a smaller triad, for a quick look (`make run`).
    public var quick: Bool
    /// Progress lines go here (stderr by default).
    public var log: (String) -> Void

    public init(quick: Bool = false, log: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
        self.quick = quick
        self.log = log
    }

    /// Runs every engine benchmark and returns the report.
    public func run() -> BenchmarkReport {
        var report = BenchmarkReport(benchmark: "engine", threads: Threads.count)
        report.measurements.append(triad())
        for n in [1024, 2048] { report.measurements.append(sgemm(n: n)) }
        for layer in ConvLayer.cifarLayers { report.measurements += convolution(layer) }
        report.measurements.append(vggSmallStep())
        return report
    }

    // MARK: Memory bandwidth

    /// STREAM triad a = b + s·c on 2^25 floats per array (3 arrays, 384 MiB), parallel.
    func triad() -> BenchmarkMeasurement {
        let n = quick ? 1 << 23 : 1 << 25
        let a = Tensor(shape: [n], uninitialized: true), b = Tensor.full([n], 1), c = Tensor.full([n], 2)
        let pa = a.floats.baseAddress!, pb = UnsafePointer(b.floats.baseAddress!), pc = UnsafePointer(c.floats.baseAddress!)
        let s: Float = 3
        log("triad: \(n) floats per array")
        let (best, median, cpu) = measureWithCPU(repetitions: quick ? 5 : 10) {
            parallelChunks(n, minChunk: 1 << 16) { range in
                for i in range { pa[i] = pb[i] + s * pc[i] }
            }
        }
        let bytes = Double(3 * 4 * n)
        return BenchmarkMeasurement(name: "triad", description: "STREAM triad a = b + s*c, \(n) floats, 12 bytes/element counted",
                                    seconds: best, medianSeconds: median, throughput: bytes / best / 1e9,
                                    unit: "GB/s", repetitions: quick ? 5 : 10, cpuSeconds: cpu)
    }

    // MARK: GEMM

    /// C = A·B for square n×n Float32 matrices through the engine's GEMM (the path `matmul`
    /// and `linear` take: oneDNN's `dnnl_sgemm` at these sizes).
    func sgemm(n: Int) -> BenchmarkMeasurement {
        var rng = PhiloxGenerator(seed: 1)
        let a = Tensor.uniform([n, n], low: -1, high: 1, rng: &rng)
        let b = Tensor.uniform([n, n], low: -1, high: 1, rng: &rng)
        let c = Tensor(shape: [n, n])
        log("sgemm: n = \(n)")
        let reps = quick ? 3 : (n <= 1024 ? 20 : 5)
        let (best, median, cpu) = measureWithCPU(repetitions: reps) {
            SpikeTensor.sgemm(m: n, n: n, k: n, a: a.floats.baseAddress!, b: b.floats.baseAddress!,
                              c: c.floats.baseAddress!)
        }
        let flops = 2 * Double(n) * Double(n) * Double(n)
        return BenchmarkMeasurement(name: "sgemm_n\(n)", description: "engine sgemm (oneDNN) \(n)x\(n)x\(n)",
                                    seconds: best, medianSeconds: median, throughput: flops / best / 1e9,
                                    unit: "GFLOP/s", repetitions: reps, cpuSeconds: cpu)
    }

    // MARK: Convolution

    /// A convolution layer shape to benchmark.
    struct ConvLayer {
        var name: String
        var batch: Int, channels: Int, out: Int, size: Int, kernel: Int

        static let cifarLayers = [
            ConvLayer(name: "conv_64x64_32x32", batch: 128, channels: 64, out: 64, size: 32, kernel: 3),
            ConvLayer(name: "conv_256x256_8x8", batch: 128, channels: 256, out: 256, size: 8, kernel: 3),
        ]

        var flops: Double {
            2 * Double(batch * out * size * size) * Double(channels * kernel * kernel)
        }
    }

    /// Forward, backward-data and backward-weights of a 3×3 stride-1 pad-1 convolution.
    func convolution(_ layer: ConvLayer) -> [BenchmarkMeasurement] {
        var rng = PhiloxGenerator(seed: 2)
        let x = Tensor.uniform([layer.batch, layer.channels, layer.size, layer.size], low: -1, high: 1, rng: &rng)
        let w = Tensor.kaimingUniform([layer.out, layer.channels, layer.kernel, layer.kernel], rng: &rng)
        let pad = layer.kernel / 2
        let reps = quick ? 2 : 8
        log("conv2d: \(layer.name)")
        var results: [BenchmarkMeasurement] = []
        let forward = measureWithCPU(repetitions: reps) {
            _ = noGrad { conv2d(x, weight: w, padding: (pad, pad)) }
        }
        results.append(BenchmarkMeasurement(
            name: "\(layer.name)_forward", description: "conv2d forward, N=\(layer.batch) \(layer.channels)->\(layer.out) \(layer.size)x\(layer.size) 3x3 pad 1",
            seconds: forward.best, medianSeconds: forward.median, throughput: layer.flops / forward.best / 1e9,
            unit: "GFLOP/s", repetitions: reps, cpuSeconds: forward.cpu))
        let gradOut = Tensor.uniform([layer.batch, layer.out, layer.size, layer.size], low: -1, high: 1, rng: &rng)
        for (pass, wantX) in [("backward_data", true), ("backward_weights", false)] {
            x.requiresGrad = wantX
            w.requiresGrad = !wantX
            // The graph is built outside the timed region; only the backward pass is timed.
            var times: [Double] = [], cpuTimes: [Double] = []
            for rep in 0..<(reps + 1) {
                x.grad = nil; w.grad = nil
                let y = conv2d(x, weight: w, padding: (pad, pad))
                let cpuStart = processCPUSeconds()
                let start = DispatchTime.now().uptimeNanoseconds
                y.backward(gradOut)
                let t = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
                let cpu = processCPUSeconds() - cpuStart
                if rep > 0 { times.append(t); cpuTimes.append(cpu) }  // first one is warm-up
            }
            times.sort()
            results.append(BenchmarkMeasurement(
                name: "\(layer.name)_\(pass)", description: "conv2d \(pass.replacingOccurrences(of: "_", with: "-")) (backward pass only, includes the gradient copy into .grad)",
                seconds: times[0], medianSeconds: times[times.count / 2], throughput: layer.flops / times[0] / 1e9,
                unit: "GFLOP/s", repetitions: reps, cpuSeconds: cpuTimes.min()))
        }
        x.requiresGrad = false; w.requiresGrad = false
        return results
    }

    // MARK: vgg-small

    /// The reference network's training step: forward, cross-entropy on the mean over T,
    /// backward, SGD (momentum 0.9) update.
    func vggSmallStep() -> BenchmarkMeasurement {
        let net = VGGSmallReference(seed: 3)
        let timeSteps = 4, batch = 32
        var rng = PhiloxGenerator(seed: 4)
        let x = Tensor.uniform([timeSteps * batch, 3, 32, 32], low: -1, high: 1, rng: &rng)
        let labels = Tensor(int32: (0..<batch).map { Int32($0 % 10) })
        let optimizer = SGD(parameters: net.namedParameters, lr: 0.01, momentum: 0.9)
        let reps = quick ? 3 : 10
        log("vgg-small training step: input [\(timeSteps)*\(batch), 3, 32, 32], ReLU")
        let (best, median, cpu) = measureWithCPU(repetitions: reps, warmup: 2) {
            optimizer.zeroGrad()
            let logits = net.forward(x).reshaped([timeSteps, batch, 10]).mean(axes: [0])
            let loss = crossEntropy(logits, labels)
            loss.backward()
            optimizer.step()
        }
        return BenchmarkMeasurement(name: "vgg_small_relu_step", description: "vgg-small (ReLU) training step, input [4*32,3,32,32], SGD momentum 0.9",
                                    seconds: best, medianSeconds: median, throughput: Double(timeSteps * batch) / best,
                                    unit: "images/s", repetitions: reps, cpuSeconds: cpu)
    }

    /// `measure`, also returning the least process CPU time of one repetition.
    func measureWithCPU(repetitions: Int, warmup: Int = 1,
                        _ body: () -> Void) -> (best: Double, median: Double, cpu: Double) {
        var cpuTimes: [Double] = []
        let (best, median) = measure(repetitions: repetitions, warmup: warmup) {
            let start = processCPUSeconds()
            body()
            cpuTimes.append(processCPUSeconds() - start)
        }
        // measure() runs the warm-up calls first; only the timed repetitions count.
        return (best, median, cpuTimes.dropFirst(warmup).min() ?? 0)
    }
}

/// CPU time this process has used so far, all threads together, in seconds.
func processCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

/// vgg-small as plain functions over named parameter tensors (the reference network of the
/// engine benchmark; the Module-based version lives with the architectures).
///
/// conv3×3 (no bias) + BN + ReLU for 64, 128, avg-pool 2, 256, 256, avg-pool 2, 512, 512,
/// avg-pool 2, flatten, linear 512·16 → 10.
struct VGGSmallReference {
    enum Layer { case conv(Int), pool }
    static let plan: [Layer] = [.conv(64), .conv(128), .pool, .conv(256), .conv(256), .pool,
                                .conv(512), .conv(512), .pool]

    var convs: [(weight: Tensor, gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor)] = []
    var fcWeight: Tensor
    var fcBias: Tensor

    init(seed: UInt64) {
        var rng = PhiloxGenerator(seed: seed)
        var channels = 3
        for case .conv(let out) in Self.plan {
            convs.append((Tensor.kaimingNormal([out, channels, 3, 3], mode: .fanOut, rng: &rng, requiresGrad: true),
                          Tensor.ones([out], requiresGrad: true), Tensor.zeros([out], requiresGrad: true),
                          Tensor.zeros([out]), Tensor.ones([out])))
            channels = out
        }
        fcWeight = Tensor.kaimingUniform([10, 512 * 16], a: Float(5).squareRoot(), rng: &rng, requiresGrad: true)
        let bound = 1 / Float(512 * 16).squareRoot()
        fcBias = Tensor.uniform([10], low: -bound, high: bound, rng: &rng, requiresGrad: true)
    }

    var namedParameters: [(name: String, tensor: Tensor)] {
        var list: [(name: String, tensor: Tensor)] = []
        for (i, c) in convs.enumerated() {
            list += [("features.\(i).conv.weight", c.weight), ("features.\(i).bn.weight", c.gamma),
                     ("features.\(i).bn.bias", c.beta)]
        }
        return list + [("classifier.weight", fcWeight), ("classifier.bias", fcBias)]
    }

    func forward(_ input: Tensor) -> Tensor {
        var x = input
        var index = 0
        for layer in Self.plan {
            switch layer {
            case .conv:
                let c = convs[index]
                index += 1
                x = conv2d(x, weight: c.weight, padding: (1, 1))
                x = batchNorm(x, weight: c.gamma, bias: c.beta, runningMean: c.mean, runningVar: c.variance,
                              training: true)
                x = x.relu()
            case .pool:
                x = avgPool2d(x, kernel: (2, 2))
            }
        }
        return linear(x.reshaped([x.shape[0], -1]), weight: fcWeight, bias: fcBias)
    }
}
