// swift-tools-version:6.0
// SpikeLab: a Swift harness that reproduces spiking-neural-network papers.
import Foundation
import PackageDescription

/// The CPU the fused neuron kernels (SpikeNeurons) are compiled for, as `-target-cpu`.
///
/// `SPIKELAB_TARGET_CPU` chooses (an LLVM CPU name such as `haswell` or `znver4`; `generic`
/// for the plain x86-64 baseline). Unset: `haswell` (AVX2 + FMA, the x86-64-v3 level; every
/// x86-64 CPU since 2013–2017) when the building machine has both, so `SIMD8<Float>` is one
/// AVX register instead of two SSE halves; the baseline otherwise. The `spikelab` tool itself
/// is built for the baseline and refuses, with a message, to run on a CPU without AVX2/FMA
/// when the kernels need them (docs/neurons.md, "CPU target").
let neuronTargetCPU: String? = {
    #if arch(x86_64)
    if let chosen = ProcessInfo.processInfo.environment["SPIKELAB_TARGET_CPU"] {
        return chosen.isEmpty || chosen == "generic" ? nil : chosen
    }
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
    let flags = Set(line.split(separator: " ").map(String.init))
    return flags.contains("avx2") && flags.contains("fma") ? "haswell" : nil
    #else
    return nil
    #endif
}()
let neuronKernelSettings: [SwiftSetting] = neuronTargetCPU.map { [.unsafeFlags(["-target-cpu", $0])] } ?? []
/// Tells the tool that the kernels need AVX2 and FMA, so it checks the CPU before running any
/// of them (another CPU name chosen by hand is the chooser's to match to the machine).
let toolSettings: [SwiftSetting] = neuronTargetCPU == "haswell" ? [.define("SPIKELAB_NEURONS_NEED_AVX2")] : []

let package = Package(
    name: "SpikeLab",
    products: [
        .executable(name: "spikelab", targets: ["spikelab"]),
        .library(name: "SpikeTensor", targets: ["SpikeTensor"]),
        .library(name: "SpikeNeurons", targets: ["SpikeNeurons"]),
        .library(name: "SpikeNN", targets: ["SpikeNN"]),
        .library(name: "SpikeData", targets: ["SpikeData"]),
        .library(name: "SpikeLab", targets: ["SpikeLab"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // System libraries (Debian packages named in `providers`).
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CDNNL", path: "Sources/CDNNL",
            providers: [.apt(["libdnnl-dev"])]),
        .systemLibrary(
            name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libturbojpeg",
            providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        // The tensor engine: storage, autograd, kernels.
        .target(
            name: "SpikeTensor",
            dependencies: ["CBLAS", "CDNNL"]),
        // Surrogate gradients and every neuron variant as fused kernels.
        .target(
            name: "SpikeNeurons",
            dependencies: ["SpikeTensor"],
            swiftSettings: neuronKernelSettings),
        // Layers, architectures, losses, optimizers, schedules.
        .target(
            name: "SpikeNN",
            dependencies: ["SpikeTensor", "SpikeNeurons"]),
        // Dataset readers and writers in their publishers' formats; the HDF5 wrapper.
        .target(
            name: "SpikeData",
            dependencies: ["SpikeTensor", "CHDF5", "CPNG", "CJPEG", "CZlib"]),
        // Manifests, runner, checkpoints, metrics, tables, benchmarks.
        .target(
            name: "SpikeLab",
            dependencies: [
                "SpikeTensor", "SpikeNeurons", "SpikeNN", "SpikeData", "CBLAS",
                .product(name: "Yams", package: "Yams"),
            ]),
        .executableTarget(
            name: "spikelab",
            dependencies: [
                "SpikeLab",
                "SpikeTensor",
                "SpikeData",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: toolSettings),
        .testTarget(name: "SpikeTensorTests", dependencies: ["SpikeTensor"]),
        .testTarget(name: "SpikeNeuronsTests", dependencies: ["SpikeNeurons"], exclude: ["Fixtures"]),
        .testTarget(name: "SpikeNNTests", dependencies: ["SpikeNN", "SpikeNeurons"]),
        .testTarget(name: "SpikeDataTests", dependencies: ["SpikeData"], exclude: ["Fixtures"]),
        .testTarget(name: "SpikeLabTests", dependencies: ["SpikeLab", "SpikeData", "CHDF5"], exclude: ["Fixtures"]),
    ]
)
