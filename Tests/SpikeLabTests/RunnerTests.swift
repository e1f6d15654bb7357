import Foundation
import Testing
@testable import SpikeLab
import SpikeData
import SpikeTensor

/// End-to-end runs on the real Fashion-MNIST (Debian package dataset-fashion-mnist), kept tiny.
@Suite("Runner: runs, checkpoints and bit-exact resume", .serialized,
       .enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"),
                "needs the Debian package dataset-fashion-mnist (make deps installs it)"))
struct RunnerTests {
    static let manifestText = """
        name: runner-test
        seed: 3
        data:
          loader: fashion_mnist
          batch_size: 32
          subset: 160
          test_subset: 64
          prefetch: 1
          augment: [{random_crop: {size: 28, padding: 2}}, {normalize: fashion_mnist}]
        model: {arch: spiking_cnn_28, width: 0.25}
        neuron: {variant: lif, time_steps: 2}
        training:
          epochs: 3
          optimizer: {kind: sgd, lr: 0.05, momentum: 0.9}
          schedule: {kind: cosine}
        checkpoint: {every_epochs: 1, keep_best: top1}
        """

    static func manifest(_ overrides: [String] = [], text: String = manifestText) throws -> Manifest {
        try Manifest.load(yaml: text, path: "runner-test.yaml", overrides: overrides)
    }

    static func temporaryDirectory(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "spikelab-runner-\(name)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static var quiet: RunOptions {
        RunOptions(progress: ProgressReporter(output: FileHandle(forWritingAtPath: "/dev/null")!, interactive: false),
                   handleSignals: false)
    }

    /// The model tensors of a checkpoint as raw bytes, by name.
    static func modelBytes(_ path: String) throws -> [String: [UInt32]] {
        let checkpoint = try Checkpoint.read(from: path)
        var out: [String: [UInt32]] = [:]
        for (name, tensor) in checkpoint.model {
            out[name] = tensor.dtype == .float32 ? tensor.floats.map(\.bitPattern) : tensor.array.map(\.bitPattern)
        }
        return out
    }

    /// metrics.csv without the timing columns, which legitimately differ between runs.
    static func reproducibleRows(_ directory: String) throws -> [[Double]] {
        let keep = EpochMetrics.columns.indices.filter { !EpochMetrics.timingColumns.contains(EpochMetrics.columns[$0]) }
        return try MetricsLog.read(directory + "/metrics.csv").map { row in keep.map { row.values[$0] } }
    }

    @Test("a run stopped mid-epoch and resumed ends with the same bytes and rows as an uninterrupted run")
    func resumeIsBitExact() throws {
        let straight = Self.temporaryDirectory("straight")
        #expect(try Runner.start(try Self.manifest(), directory: straight, options: Self.quiet).run() == .finished)

        let stopped = Self.temporaryDirectory("stopped")
        var options = Self.quiet
        options.stopAfterSteps = 7  // 5 batches per epoch: stops in epoch 2, batch 2
        #expect(try Runner.start(try Self.manifest(), directory: stopped, options: options).run() == .interrupted)
        let midway = try Checkpoint.read(from: stopped + "/checkpoints/last.h5")
        #expect(midway.dataPosition == BatcherPosition(epoch: 1, cursor: 2))
        #expect(midway.globalStep == 7)
        #expect(try MetricsLog.read(stopped + "/metrics.csv").count == 1)

        options.stopAfterSteps = 4  // stop again, this time in epoch 3
        #expect(try Runner.resume(directory: stopped, options: options).run() == .interrupted)
        #expect(try Runner.resume(directory: stopped, options: Self.quiet).run() == .finished)

        #expect(try Self.modelBytes(straight + "/checkpoints/last.h5") == Self.modelBytes(stopped + "/checkpoints/last.h5"))
        let a = try Self.reproducibleRows(straight), b = try Self.reproducibleRows(stopped)
        #expect(a.count == 3)
        #expect(a.map { $0.map(\.bitPattern) } == b.map { $0.map(\.bitPattern) })
        let optimizerA = try Checkpoint.read(from: straight + "/checkpoints/last.h5").optimizer
        let optimizerB = try Checkpoint.read(from: stopped + "/checkpoints/last.h5").optimizer
        #expect(optimizerA == optimizerB)
    }

    @Test("a directory that holds a run is refused, and nothing in it changes")
    func refusesUsedDirectory() throws {
        let directory = Self.temporaryDirectory("used")
        var options = Self.quiet
        options.stopAfterSteps = 2
        _ = try Runner.start(try Self.manifest(), directory: directory, options: options).run()
        let before = try Data(contentsOf: URL(fileURLWithPath: directory + "/checkpoints/last.h5"))
        #expect(throws: RunError.directoryInUse(path: directory)) {
            _ = try Runner.start(try Self.manifest(), directory: directory, options: Self.quiet)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/checkpoints/last.h5")) == before)
    }

    @Test("resume refuses a checkpoint from another manifest, a truncated file and a missing one")
    func resumeRefusesBadCheckpoints() throws {
        let directory = Self.temporaryDirectory("bad")
        var options = Self.quiet
        options.stopAfterSteps = 2
        _ = try Runner.start(try Self.manifest(), directory: directory, options: options).run()
        let checkpoint = directory + "/checkpoints/last.h5"
        let original = try Data(contentsOf: URL(fileURLWithPath: checkpoint))

        // Another manifest in the run directory than the one the checkpoint carries.
        let other = try Self.manifest(["training.epochs=4"])
        try other.resolvedYAML().write(toFile: directory + "/manifest.resolved.yaml", atomically: true, encoding: .utf8)
        #expect {
            _ = try Runner.resume(directory: directory, options: Self.quiet)
        } throws: { error in
            guard case CheckpointError.manifestMismatch = error else { return false }
            return "\(error)".contains("written by another manifest")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: checkpoint)) == original)

        // A truncated checkpoint.
        try original.prefix(original.count / 2).write(to: URL(fileURLWithPath: checkpoint))
        #expect {
            _ = try Runner.resume(directory: directory, options: Self.quiet)
        } throws: { error in
            guard case CheckpointError.unreadable = error else { return false }
            return "\(error)".contains("truncated or corrupt")
        }

        // No checkpoint at all.
        let empty = Self.temporaryDirectory("empty")
        #expect {
            _ = try Runner.resume(directory: empty, options: Self.quiet)
        } throws: { error in
            "\(error)".contains("no checkpoints/last.h5")
        }
    }

    @Test("a file that is not a checkpoint, or of another format version, is refused with the reason")
    func checkpointFormatChecks() throws {
        let directory = Self.temporaryDirectory("format")
        let path = directory + "/other.h5"
        try HDF5File.writeAtomically(to: path) { file in try file.setAttribute("format", .string("something-else")) }
        #expect(throws: CheckpointError.notACheckpoint(path: path)) { _ = try Checkpoint.read(from: path) }
        try HDF5File.writeAtomically(to: path) { file in
            try file.setAttribute("format", .string(Checkpoint.format))
            try file.setAttribute("format_version", .int64(99))
        }
        #expect(throws: CheckpointError.wrongVersion(path: path, found: 99, supported: 1)) { _ = try Checkpoint.read(from: path) }
    }

    @Test("a step that makes any value non-finite stops the run naming epoch and step, and keeps the last good checkpoint")
    func nonFiniteStateStops() throws {
        let directory = Self.temporaryDirectory("nan")
        // Epoch 1 trains normally (lr 0.05); the step schedule then multiplies lr by 1e30.
        // After the first huge update the next forward pass overflows batch norm's running
        // variance to inf, while the normalised activations and so the loss stay finite: a
        // loss-only check let the epoch-end checkpoint save the inf. The run must notice the
        // model state itself.
        let manifest = try Self.manifest(["training.schedule={kind: step, step_size: 1, gamma: 1.0e30}"])
        let runner = try Runner.start(manifest, directory: directory, options: Self.quiet)
        let failure = #expect(throws: RunError.self) { _ = try runner.run() }
        guard case .nonFinite(let epoch, let batch, let step, let what)? = failure else {
            Issue.record("expected RunError.nonFinite, got \(String(describing: failure))")
            return
        }
        #expect(epoch == 1)                  // the second epoch, the first with the huge rate
        #expect(step == 5 + batch + 1)       // 5 batches per epoch: the global number of that step
        #expect(what.hasPrefix("the model's "), "stopped on \(what), not on the model state")
        #expect(what.contains("running_var"))
        let message = failure!.description
        #expect(message.contains("at epoch 2, batch \(batch + 1) (global step \(step))"))

        // last.h5 is the epoch-1 checkpoint, untouched: finite everywhere, one metrics row.
        let checkpoint = try Checkpoint.read(from: directory + "/checkpoints/last.h5")
        #expect(checkpoint.epoch == 1)
        #expect(checkpoint.globalStep == 5)
        #expect(checkpoint.dataPosition == BatcherPosition(epoch: 1, cursor: 0))
        #expect(checkpoint.firstNonFiniteState() == nil)
        #expect(checkpoint.model.allSatisfy { $0.tensor.array.allSatisfy(\.isFinite) })
        #expect(checkpoint.metrics.first { $0.column == "epoch" }?.values == [1])
        let best = try Checkpoint.read(from: directory + "/checkpoints/best.h5")
        #expect(best.firstNonFiniteState() == nil)
        #expect(try MetricsLog.read(directory + "/metrics.csv").count == 1)
        let summary = try String(contentsOfFile: directory + "/summary.json", encoding: .utf8)
        #expect(summary.contains("\"status\" : \"failed\""))
        #expect(summary.contains("global step \(step)"))
        // The run can still be resumed from the good checkpoint (it will fail again the same way).
        #expect(throws: RunError.self) { _ = try Runner.resume(directory: directory, options: Self.quiet).run() }
    }

    @Test("a checkpoint holding a NaN or infinity is refused and the file it would replace is untouched")
    func nonFiniteCheckpointIsRefused() throws {
        let directory = Self.temporaryDirectory("refuse")
        var options = Self.quiet
        options.stopAfterSteps = 2
        _ = try Runner.start(try Self.manifest(), directory: directory, options: options).run()
        let path = directory + "/checkpoints/last.h5"
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        var checkpoint = try Checkpoint.read(from: path)

        let name = checkpoint.model[1].name
        let poisoned = checkpoint.model[1].tensor.copy()
        poisoned.floats[3] = .infinity
        checkpoint.model[1].tensor = poisoned
        #expect(throws: CheckpointError.nonFiniteValue(path: path, value: NonFiniteValue(name: "/model/\(name)", index: 3, value: .infinity))) {
            try checkpoint.write(to: path)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))

        // The same for optimizer state (momentum of some parameter).
        var good = try Checkpoint.read(from: path)
        var state = good.optimizer!
        let parameter = state.buffers.keys.sorted()[0]
        let slot = state.buffers[parameter]!.keys.sorted()[0]
        let buffer = state.buffers[parameter]![slot]!.copy()
        buffer.floats[0] = .nan
        state.buffers[parameter]![slot] = buffer
        good.optimizer = state
        #expect(throws: CheckpointError.self) { try good.write(to: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test("the finite check finds the first NaN or infinity anywhere in a tensor, and nothing in finite ones")
    func finiteCheck() throws {
        for count in [1, 15, 16, 17, 100] {
            for position in [0, count / 2, count - 1] {
                for bad: Float in [.nan, .infinity, -.infinity] {
                    let t = Tensor.full([count], 1.5)
                    #expect(NonFiniteValue.first(in: [("x", t)]) == nil)
                    t.floats[position] = bad
                    let found = NonFiniteValue.first(in: [("ok", Tensor.full([3], -2e38)), ("x", t)])
                    #expect(found?.name == "x" && found?.index == position)
                    #expect(found.map { $0.value.isNaN == bad.isNaN && ($0.value.isNaN || $0.value == bad) } == true)
                }
            }
        }
        #expect(NonFiniteValue.first(in: [("big", Tensor.full([40], Float.greatestFiniteMagnitude))]) == nil)
    }
}
