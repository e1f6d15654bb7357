import CDNNL
import Foundation
import Testing
@testable import SpikeTensor

/// Timing harnesses run by hand, not tests: they compare the convolution layout strategies on
/// CIFAR-sized layers (GFLOP/s), and batch norm's own loops with oneDNN's primitive. Enable
/// with SPIKELAB_CONV_BENCH=1 or SPIKELAB_NORM_BENCH=1, e.g.
/// `SPIKELAB_CONV_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter DNNLBenchmarks`.
@Suite("Convolution layout benchmark (manual)")
struct DNNLBenchmarks {
    static let enabled = ProcessInfo.processInfo.environment["SPIKELAB_CONV_BENCH"] != nil

    @Test("prints GFLOP/s of forward, backward-data and backward-weights per layout",
          .enabled(if: enabled))
    func measure() {
        let environment = ProcessInfo.processInfo.environment
        let repeats = Int(environment["SPIKELAB_CONV_BENCH_REPEATS"] ?? "") ?? 5
        // Channels×size pairs, e.g. SPIKELAB_CONV_BENCH_LAYERS=64x32,128x16 (3×3, padding 1, batch 128).
        let layers: [(String, ConvolutionGeometry)] = (environment["SPIKELAB_CONV_BENCH_LAYERS"] ?? "64x32,256x8")
            .split(separator: ",").map { spec in
                let parts = spec.split(separator: "x").map { Int($0)! }
                return ("\(parts[0])→\(parts[0]) \(parts[1])×\(parts[1])",
                        geometry(batch: 128, channels: parts[0], size: parts[1]))
            }
        // Plain NCHW is far slower (its backward-weights takes over a second), so opt in.
        var layouts: [(String, ConvolutionLayout)] = [("blocked", .libraryChosen), ("nhwc", .channelsLast)]
        if environment["SPIKELAB_CONV_BENCH_PLAIN"] != nil { layouts.insert(("plain", .plain), at: 0) }
        print("threads \(Threads.count), cores \(ProcessInfo.processInfo.activeProcessorCount); best and median of \(repeats), candidates interleaved")
        for (label, g) in layers {
            var rng = PhiloxGenerator(seed: 1)
            let x = Tensor.uniform([g.batch, g.inChannels, g.height, g.width], low: -1, high: 1, rng: &rng)
            let w = Tensor.uniform([g.outChannels, g.inChannels, 3, 3], low: -1, high: 1, rng: &rng)
            let b = Tensor.uniform([g.outChannels], low: -1, high: 1, rng: &rng)
            let y = Tensor(shape: [g.batch, g.outChannels, g.outHeight, g.outWidth])
            let gy = Tensor.uniform(y.shape, low: -1, high: 1, rng: &rng)
            let gx = Tensor(shape: x.shape), gw = Tensor(shape: w.shape), gb = Tensor(shape: b.shape)
            // The public API as a user calls it: fresh output and gradient tensors each time.
            let xForData = x.detached(), wForWeights = w.detached(), bForWeights = b.detached()
            xForData.requiresGrad = true
            wForWeights.requiresGrad = true
            bForWeights.requiresGrad = true
            let yForData = conv2d(xForData, weight: w, bias: b, padding: (1, 1))
            let yForWeights = conv2d(x, weight: wForWeights, bias: bForWeights, padding: (1, 1))
            var passes: [(String, [(String, () -> Void)])] = [
                ("forward", [("API", { _ = noGrad { conv2d(x, weight: w, bias: b, padding: (1, 1)) } })]),
                ("backward-data", [("API", { _ = yForData.gradFn!.backwardFunction!([gy]) })]),
                ("backward-weights+bias", [("API", { _ = yForWeights.gradFn!.backwardFunction!([gy]) })]),
            ]
            for (name, layout) in layouts {
                passes[0].1.append((name, {
                    ConvolutionKernels.forward(g, x: x.rawPointer, weight: w.rawPointer, bias: b.rawPointer,
                                               output: y.rawPointer, layout: layout)
                }))
                passes[1].1.append((name, {
                    ConvolutionKernels.backwardData(g, gradOutput: gy.rawPointer, weight: w.rawPointer,
                                                    gradX: gx.rawPointer, layout: layout)
                }))
                passes[2].1.append((name, {
                    ConvolutionKernels.backwardWeights(g, x: x.rawPointer, gradOutput: gy.rawPointer,
                                                       gradWeight: gw.rawPointer, gradBias: gb.rawPointer, layout: layout)
                }))
            }
            if environment["SPIKELAB_CONV_BENCH_AUTO"] != nil {
                // dnnl_convolution_auto may pick Winograd (different rounding than PyTorch's direct).
                passes[0].1.append(("blocked auto", {
                    ConvolutionKernels.forward(g, x: x.rawPointer, weight: w.rawPointer, bias: b.rawPointer,
                                               output: y.rawPointer, algorithm: dnnl_convolution_auto)
                }))
                passes[1].1.append(("blocked auto", {
                    ConvolutionKernels.backwardData(g, gradOutput: gy.rawPointer, weight: w.rawPointer,
                                                    gradX: gx.rawPointer, algorithm: dnnl_convolution_auto)
                }))
                passes[2].1.append(("blocked auto", {
                    ConvolutionKernels.backwardWeights(g, x: x.rawPointer, gradOutput: gy.rawPointer, gradWeight: gw.rawPointer,
                                                       gradBias: gb.rawPointer, algorithm: dnnl_convolution_auto)
                }))
            }
            for (pass, candidates) in passes {
                for (_, run) in candidates { run() }  // creates and caches the primitives
                var times = [[Double]](repeating: [], count: candidates.count)
                for _ in 0..<repeats {
                    for (k, candidate) in candidates.enumerated() {
                        let start = DispatchTime.now().uptimeNanoseconds
                        candidate.1()
                        times[k].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                    }
                }
                for (k, candidate) in candidates.enumerated() {
                    let sorted = times[k].sorted()
                    print(String(format: "%@ %@ %@: %.1f ms best, %.1f GFLOP/s best, %.1f median", label, pass,
                                 candidate.0, sorted[0] * 1e3, g.flops / sorted[0] / 1e9,
                                 g.flops / sorted[sorted.count / 2] / 1e9))
                }
            }
        }
    }

    func geometry(batch: Int, channels: Int, size: Int) -> ConvolutionGeometry {
        ConvolutionGeometry(batch: batch, inChannels: channels, height: size, width: size, outChannels: channels,
                            kernelHeight: 3, kernelWidth: 3, strideHeight: 1, strideWidth: 1, paddingHeight: 1,
                            paddingWidth: 1, dilationHeight: 1, dilationWidth: 1, groups: 1)
    }

    @Test("prints batch norm and pooling times: own loops against oneDNN",
          .enabled(if: ProcessInfo.processInfo.environment["SPIKELAB_NORM_BENCH"] != nil))
    func measureNormalization() {
        let shape = [128, 64, 32, 32], c = 64
        var rng = PhiloxGenerator(seed: 2)
        let x = Tensor.uniform(shape, low: -1, high: 3, rng: &rng)
        let gy = Tensor.uniform(shape, low: -1, high: 1, rng: &rng)
        let w = Tensor.ones([c], requiresGrad: true), b = Tensor.zeros([c], requiresGrad: true)
        let megabytes = Double(x.count * 4) / 1e6
        print("threads \(Threads.count); tensor \(shape) = \(Int(megabytes)) MB")
        time("own batch norm forward (training)") {
            _ = noGrad { batchNorm(x, weight: w, bias: b, runningMean: nil, runningVar: nil, training: true) }
        }
        let layout = ChannelLayout(batch: 128, channels: c, spatial: 1024)
        let preallocated = Tensor(shape: shape)
        var meanValues = [Float](repeating: 0, count: c), varianceValues = meanValues
        time("   own statistics pass") {
            BatchNormKernels.statistics(UnsafePointer(x.floats.baseAddress!), layout, mean: &meanValues, variance: &varianceValues)
        }
        time("   own affine pass into touched memory") {
            BatchNormKernels.affine(UnsafePointer(x.floats.baseAddress!), layout, scale: meanValues, shift: varianceValues,
                                    output: preallocated.floats.baseAddress!)
        }
        time("   fresh 33 MB tensor, written once") {
            let t = Tensor(shape: shape, uninitialized: true)
            withExtendedLifetime(t) { t.floats.update(repeating: 1) }
        }
        time("   fresh 33 MB block with MADV_HUGEPAGE, written once") {
            var p: UnsafeMutableRawPointer?
            posix_memalign(&p, 2 << 20, x.count * 4)
            madvise(p, x.count * 4, 14)  // MADV_HUGEPAGE
            p!.initializeMemory(as: Float.self, repeating: 1, count: x.count)
            free(p)
        }
        time("   memcpy of 33 MB into touched memory") { preallocated.rawPointer.copyMemory(from: x.rawPointer, byteCount: x.count * 4) }
        x.requiresGrad = true
        let y = batchNorm(x, weight: w, bias: b, runningMean: nil, runningVar: nil, training: true)
        let node = y.gradFn!
        time("own batch norm backward (x, weight, bias)") { _ = node.backwardFunction!([gy]) }
        x.requiresGrad = false

        // oneDNN's batch normalisation on the same NCHW data.
        let data = DNNL.memoryDescriptor(shape, dnnl_nchw), channel = DNNL.memoryDescriptor([c], dnnl_x)
        let flags = dnnl_use_scale.rawValue | dnnl_use_shift.rawValue
        var forwardDesc = dnnl_batch_normalization_desc_t()
        var d = data
        DNNL.check(dnnl_batch_normalization_forward_desc_init(&forwardDesc, dnnl_forward_training, &d, 1e-5, flags), "bn")
        let forward = DNNLPrimitive(operation: forwardDesc, "bn forward")
        var backwardDesc = dnnl_batch_normalization_desc_t()
        var d2 = data
        DNNL.check(dnnl_batch_normalization_backward_desc_init(&backwardDesc, dnnl_backward, &d, &d2, 1e-5, flags), "bn")
        let backward = DNNLPrimitive(operation: backwardDesc, hint: forward, "bn backward")
        print("   oneDNN implementations: \(forward.implementation), \(backward.implementation)")
        let out = Tensor(shape: shape), gx = Tensor(shape: shape)
        let mean = Tensor(shape: [c]), variance = Tensor(shape: [c]), gw = Tensor(shape: [c]), gb = Tensor(shape: [c])
        time("oneDNN batch norm forward (training)") {
            DNNL.withStream { stream in
                forward.execute([(DNNL_ARG_SRC, data, x.rawPointer), (DNNL_ARG_DST, data, out.rawPointer),
                                 (DNNL_ARG_SCALE, channel, w.rawPointer), (DNNL_ARG_SHIFT, channel, b.rawPointer),
                                 (DNNL_ARG_MEAN, channel, mean.rawPointer), (DNNL_ARG_VARIANCE, channel, variance.rawPointer)],
                                stream: stream)
            }
        }
        time("oneDNN batch norm backward (x, weight, bias)") {
            DNNL.withStream { stream in
                backward.execute([(DNNL_ARG_SRC, data, x.rawPointer), (DNNL_ARG_DIFF_DST, data, gy.rawPointer),
                                  (DNNL_ARG_MEAN, channel, mean.rawPointer), (DNNL_ARG_VARIANCE, channel, variance.rawPointer),
                                  (DNNL_ARG_SCALE, channel, w.rawPointer), (DNNL_ARG_SHIFT, channel, b.rawPointer), (DNNL_ARG_DIFF_SRC, data, gx.rawPointer),
                                  (DNNL_ARG_DIFF_SCALE, channel, gw.rawPointer), (DNNL_ARG_DIFF_SHIFT, channel, gb.rawPointer)],
                                 stream: stream)
            }
        }
        time("max pool 2×2 forward (inference)") { _ = noGrad { maxPool2d(x, kernel: (2, 2)) } }
        x.requiresGrad = true
        time("max pool 2×2 forward (training)") { _ = maxPool2d(x, kernel: (2, 2)) }
        let pooled = maxPool2d(x, kernel: (2, 2))
        let poolNode = pooled.gradFn!, gp = Tensor.ones(pooled.shape)
        time("max pool 2×2 backward") { _ = poolNode.backwardFunction!([gp]) }
        time("avg pool 2×2 forward (training)") { _ = avgPool2d(x, kernel: (2, 2)) }
        x.requiresGrad = false
        time("avg pool 2×2 forward (inference)") { _ = noGrad { avgPool2d(x, kernel: (2, 2)) } }
        time("adaptive avg pool to 1×1") { _ = noGrad { adaptiveAvgPool2d(x, outputSize: (1, 1)) } }
    }

    func time(_ label: String, repeats: Int = 7, _ body: () -> Void) {
        body()
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        times.sort()
        print(String(format: "%@: %.2f ms best, %.2f ms median", label, times[0], times[times.count / 2]))
    }
}

/// The measurement behind `GEMMBackend.choose`: CPU time of `dnnl_sgemm` against
/// `cblas_sgemm` on one thread, over transposes, output shapes and inner dimensions.
/// Thread CPU time rather than wall time, so other programs on the machine barely change
/// it. `SPIKELAB_GEMM_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter GEMMBackendBenchmark`.
@Suite("GEMM backend benchmark (manual)")
struct GEMMBackendBenchmark {
    @Test("prints oneDNN/OpenBLAS CPU-time ratios per shape on one thread",
          .enabled(if: ProcessInfo.processInfo.environment["SPIKELAB_GEMM_BENCH"] != nil))
    func measure() {
        let saved = Threads.count
        Threads.configure(1)
        defer { Threads.configure(saved) }
        var rng = PhiloxGenerator(seed: 3)
        let a = Tensor.uniform([2048 * 2048], low: -1, high: 1, rng: &rng)
        let b = Tensor.uniform([2048 * 2048], low: -1, high: 1, rng: &rng)
        let c = Tensor(shape: [2048 * 2048])
        let pa = UnsafePointer(a.floats.baseAddress!), pb = UnsafePointer(b.floats.baseAddress!)
        let pc = c.floats.baseAddress!
        print("one thread; CPU time per call, least of the repetitions; ratio < 1: oneDNN cheaper")
        let outputs = [(1024, 1024), (128, 8192), (8192, 128), (32, 64), (4096, 16), (2048, 2048)]
        for (m, n) in outputs {
            for k in [1, 4, 8, 12, 16, 24, 32, 64, 512] where m * n * k <= 1 << 31 && m * k <= 2048 * 2048 && k * n <= 2048 * 2048 {
                for (transA, transB) in [(false, false), (false, true), (true, false), (true, true)] {
                    var best: [Double] = []
                    for backend in [GEMMBackend.openBLAS, .oneDNN] {
                        let flops = 2.0 * Double(m * n * k)
                        let repeats = max(3, min(2000, Int(2e8 / flops)))
                        let run = {
                            rowMajorSgemm(transA: transA, transB: transB, m: m, n: n, k: k, a: pa, b: pb, c: pc,
                                          backend: backend)
                        }
                        run()
                        var least = Double.infinity
                        for _ in 0..<3 {
                            let start = threadCPUSeconds()
                            for _ in 0..<repeats { run() }
                            least = min(least, (threadCPUSeconds() - start) / Double(repeats))
                        }
                        best.append(least)
                    }
                    print(String(format: "m %5d n %5d k %4d transA %d transB %d: OpenBLAS %9.1f µs, oneDNN %9.1f µs, ratio %.2f",
                                 m, n, k, transA ? 1 : 0, transB ? 1 : 0, best[0] * 1e6, best[1] * 1e6, best[1] / best[0]))
                }
            }
        }
    }

    func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
