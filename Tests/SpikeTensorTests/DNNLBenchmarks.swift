import CDNNL
import Foundation
import Testing
@testable import SpikeTensor

/// A timing harness run by hand, not a test: it compares the layout strategies on
/// CIFAR-sized layers and prints GFLOP/s. Enable with SPIKELAB_CONV_BENCH=1, e.g.
/// `SPIKELAB_CONV_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter ConvolutionBenchmark`.
@Suite("Convolution layout benchmark (manual)")
struct ConvolutionBenchmark {
    static let enabled = ProcessInfo.processInfo.environment["SPIKELAB_CONV_BENCH"] != nil

    @Test("prints GFLOP/s of forward, backward-data and backward-weights per layout",
          .enabled(if: enabled))
    func measure() {
        let repeats = Int(ProcessInfo.processInfo.environment["SPIKELAB_CONV_BENCH_REPEATS"] ?? "") ?? 5
        let layers: [(String, ConvolutionGeometry)] = [
            ("64→64 32×32", geometry(batch: 128, channels: 64, size: 32)),
            ("256→256 8×8", geometry(batch: 128, channels: 256, size: 8)),
        ]
        var algorithms: [(String, dnnl_alg_kind_t)] = [("direct", dnnl_convolution_direct)]
        if ProcessInfo.processInfo.environment["SPIKELAB_CONV_BENCH_AUTO"] != nil {
            algorithms.append(("auto", dnnl_convolution_auto))
        }
        print("threads \(Threads.count), cores \(ProcessInfo.processInfo.activeProcessorCount), repeats \(repeats) (best and median)")
        for (label, g) in layers {
            var rng = PhiloxGenerator(seed: 1)
            let x = Tensor.uniform([g.batch, g.inChannels, g.height, g.width], low: -1, high: 1, rng: &rng)
            let w = Tensor.uniform([g.outChannels, g.inChannels, 3, 3], low: -1, high: 1, rng: &rng)
            let b = Tensor.uniform([g.outChannels], low: -1, high: 1, rng: &rng)
            let y = Tensor(shape: [g.batch, g.outChannels, g.outHeight, g.outWidth])
            let gy = Tensor.uniform(y.shape, low: -1, high: 1, rng: &rng)
            let gx = Tensor(shape: x.shape), gw = Tensor(shape: w.shape), gb = Tensor(shape: b.shape)
            for (algorithmName, algorithm) in algorithms {
                for layout in [ConvolutionLayout.plain, .libraryChosen] {
                    let passes: [(String, () -> Void)] = [
                        ("forward", {
                            ConvolutionKernels.forward(g, x: x.rawPointer, weight: w.rawPointer, bias: b.rawPointer,
                                                       output: y.rawPointer, layout: layout, algorithm: algorithm)
                        }),
                        ("backward-data", {
                            ConvolutionKernels.backwardData(g, gradOutput: gy.rawPointer, weight: w.rawPointer,
                                                            gradX: gx.rawPointer, layout: layout, algorithm: algorithm)
                        }),
                        ("backward-weights", {
                            ConvolutionKernels.backwardWeights(g, x: x.rawPointer, gradOutput: gy.rawPointer,
                                                               gradWeight: gw.rawPointer, gradBias: gb.rawPointer,
                                                               layout: layout, algorithm: algorithm)
                        }),
                    ]
                    let plan = ConvolutionKernels.forwardPlan(g, withBias: true, layout: layout, algorithm: algorithm)
                    for (pass, run) in passes {
                        run()  // creates and caches the primitives
                        var times: [Double] = []
                        for _ in 0..<repeats {
                            let start = DispatchTime.now().uptimeNanoseconds
                            run()
                            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                        }
                        times.sort()
                        let best = g.flops / times[0] / 1e9, median = g.flops / times[times.count / 2] / 1e9
                        print(String(format: "%@ %@ %@ %@: %.1f ms best, %.1f GFLOP/s best, %.1f median",
                                     label, "\(layout)", algorithmName, pass, times[0] * 1e3, best, median))
                    }
                    print("   forward implementation: \(plan.primitive.implementation); reorders: \(plan.slots.filter { $0.reorder != nil }.count)")
                }
            }
        }
    }

    func geometry(batch: Int, channels: Int, size: Int) -> ConvolutionGeometry {
        ConvolutionGeometry(batch: batch, inChannels: channels, height: size, width: size, outChannels: channels,
                            kernelHeight: 3, kernelWidth: 3, strideHeight: 1, strideWidth: 1, paddingHeight: 1,
                            paddingWidth: 1, dilationHeight: 1, dilationWidth: 1, groups: 1)
    }
}
