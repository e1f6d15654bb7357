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
            dependencies: ["SpikeTensor"]),
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
            ]),
        .testTarget(name: "SpikeTensorTests", dependencies: ["SpikeTensor"]),
        .testTarget(name: "SpikeNeuronsTests", dependencies: ["SpikeNeurons"], exclude: ["Fixtures"]),
        .testTarget(name: "SpikeNNTests", dependencies: ["SpikeNN", "SpikeNeurons"]),
        .testTarget(name: "SpikeDataTests", dependencies: ["SpikeData"], exclude: ["Fixtures"]),
        .testTarget(name: "SpikeLabTests", dependencies: ["SpikeLab", "SpikeData", "CHDF5"], exclude: ["Fixtures"]),
    ]
)
