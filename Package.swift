// swift-tools-version:6.0
// SpikeLab: a Swift harness that reproduces spiking-neural-network papers.
import PackageDescription

let package = Package(
    name: "SpikeLab",
    products: [
        .executable(name: "spikelab", targets: ["spikelab"]),
        .library(name: "SpikeTensor", targets: ["SpikeTensor"]),
        .library(name: "SpikeNeurons", targets: ["SpikeNeurons"]),
        .library(name: "SpikeNN", targets: ["SpikeNN"]),
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
        // The tensor engine: storage, autograd, kernels.
        .target(
            name: "SpikeTensor",
            dependencies: ["CBLAS", "CDNNL"]),
        // Surrogate gradients and every neuron variant as fused kernels.
        .target(
            name: "SpikeNeurons",
            dependencies: ["SpikeTensor"]),
        // Layers, architectures, losses, optimizers, schedules.
        .target(
            name: "SpikeNN",
            dependencies: ["SpikeTensor"]),
        // Manifests and their validation (later: runner, checkpoints, metrics, tables).
        .target(
            name: "SpikeLab",
            dependencies: [
                "SpikeTensor",
                .product(name: "Yams", package: "Yams"),
            ]),
        .executableTarget(
            name: "spikelab",
            dependencies: [
                "SpikeTensor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "SpikeTensorTests", dependencies: ["SpikeTensor"]),
        .testTarget(name: "SpikeNeuronsTests", dependencies: ["SpikeNeurons"]),
        .testTarget(name: "SpikeNNTests", dependencies: ["SpikeNN"]),
        .testTarget(name: "SpikeLabTests", dependencies: ["SpikeLab"]),
    ]
)
