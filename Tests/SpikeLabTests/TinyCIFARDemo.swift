import Foundation
@testable import SpikeLab
import SpikeData

/// A tiny CIFAR-10-layout demo set — 5 × 8 training and 16 test Fashion-MNIST images, seed 0 —
/// in a fresh temporary folder, and the demo manifests run on it: what the tests that train a
/// demo manifest for an epoch or two share.
struct TinyCIFARDemo {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// The folder holding `cifar10/`.
    let root: String

    /// Makes the set under a new folder named after `label` (removed again if making fails).
    init(_ label: String) throws {
        root = NSTemporaryDirectory() + "spikelab-\(label)-" + UUID().uuidString
        var set = FashionCIFARDemo()
        set.trainPerFile = 8
        set.testCount = 16
        do { try set.make(root: root, seed: 0) { _ in } } catch {
            remove()
            throw error
        }
    }

    /// Removes the folder and everything in it (run directories included).
    func remove() { try? FileManager.default.removeItem(atPath: root) }

    /// `experiments/demo/<name>.yaml` under its cpu profile, reading this whole set, then `overrides`.
    func manifest(_ name: String, _ overrides: [String]) throws -> Manifest {
        try Manifest.load(contentsOf: Self.repositoryRoot + "/experiments/demo/\(name).yaml", profile: "cpu",
                          overrides: ["data.root=\(root)/cifar10", "data.subset=null", "data.test_subset=null"] + overrides)
    }

    /// Run options for tests: 2 threads, no progress output, no signal handlers, and a stop
    /// after `stopAfter` steps when given.
    static func options(stopAfter: Int? = nil) -> RunOptions {
        RunOptions(threads: 2, progress: ProgressReporter(output: FileHandle.nullDevice, interactive: false),
                   stopAfterSteps: stopAfter, handleSignals: false)
    }
}
