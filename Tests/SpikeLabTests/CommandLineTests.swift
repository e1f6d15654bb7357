import Foundation
import Testing
@testable import SpikeLab
import SpikeData

/// The built `spikelab` executable, next to this test bundle (or in the package's .build).
enum Executable {
    static let path: String? = {
        var candidates: [URL] = []
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        candidates.append(bundleDirectory.appendingPathComponent("spikelab"))
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("spikelab"))
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for configuration in ["release", "debug"] {
            candidates.append(root.appendingPathComponent(".build/\(configuration)/spikelab"))
        }
        return candidates.map(\.path).first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// A started `spikelab` process whose standard output and error go to files.
    final class Running {
        let process = Process()
        let stdoutPath: String
        let stderrPath: String

        init(_ arguments: [String], environment: [String: String] = [:], logs: String) throws {
            stdoutPath = logs + ".stdout"
            stderrPath = logs + ".stderr"
            _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
            _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
            process.executableURL = URL(fileURLWithPath: Executable.path!)
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
            process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
            process.standardError = FileHandle(forWritingAtPath: stderrPath)
            try process.run()
        }

        var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

        /// Polls `condition` every 10 ms for at most `seconds`; false on timeout.
        func waitFor(seconds: Double, _ condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if condition() { return true }
                if !process.isRunning { return condition() }
                usleep(10_000)
            }
            return false
        }

        /// Waits for the process to end (killing it after `seconds`) and returns its exit status.
        func finish(seconds: Double = 120) -> Int32 {
            if !waitFor(seconds: seconds, { !process.isRunning }) {
                process.terminate()
                kill(process.processIdentifier, SIGKILL)
            }
            process.waitUntilExit()
            return process.terminationStatus
        }
    }

    /// Runs `spikelab arguments` to the end: exit status, standard output, standard error.
    static func run(_ arguments: [String], logs: String) throws -> (status: Int32, stdout: String, stderr: String) {
        let running = try Running(arguments, logs: logs)
        let status = running.finish()
        return (status, running.stdout, running.stderr)
    }
}

/// The command line as a user meets it: real processes, real signals, real exit codes.
@Suite("spikelab executable: signals, killed writers, eval and inspect", .serialized,
       .enabled(if: Executable.path != nil, "needs the built spikelab executable next to the tests (swift build --build-tests)"),
       .enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"),
                "needs the Debian package dataset-fashion-mnist"))
struct CommandLineTests {
    /// 10 batches per epoch, 2 epochs, a checkpoint every 2 steps inside an epoch.
    static let manifestText = """
        name: cli-test
        seed: 5
        data:
          loader: fashion_mnist
          batch_size: 32
          subset: 320
          test_subset: 64
          prefetch: 1
          augment: [{random_crop: {size: 28, padding: 2}}, {normalize: fashion_mnist}]
        model: {arch: spiking_cnn_28, width: 0.25}
        neuron: {variant: lif, time_steps: 2}
        training:
          epochs: 2
          optimizer: {kind: sgd, lr: 0.05, momentum: 0.9}
          schedule: {kind: cosine}
        checkpoint: {every_epochs: 1, every_steps: 2}
        """

    static let workspace: String = {
        let path = NSTemporaryDirectory() + "spikelab-cli-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try? manifestText.write(toFile: path + "/cli-test.yaml", atomically: true, encoding: .utf8)
        return path
    }()
    static var manifestPath: String { workspace + "/cli-test.yaml" }

    /// One uninterrupted run, shared by the tests that compare against it.
    static let straight: Result<String, any Error> = Result(catching: {
        let directory = workspace + "/straight"
        let result = try Executable.run(["run", manifestPath, "--out", directory, "--threads", "1"], logs: directory + "-log")
        guard result.status == 0 else {
            throw RunError.io(path: directory, reason: "the uninterrupted run exited \(result.status): \(result.stderr)")
        }
        return directory
    })

    static func modelBytes(_ path: String) throws -> [String: [UInt32]] {
        try RunnerTests.modelBytes(path)
    }

    /// metrics.csv lines without the two timing columns.
    static func csvRows(_ directory: String) throws -> [String] {
        let lines = try String(contentsOfFile: directory + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        return lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).dropLast(2).joined(separator: ",") }
    }

    @Test("SIGTERM in the middle of an epoch writes a checkpoint and exits 130; resume ends bit-identical to an uninterrupted run")
    func sigtermThenResume() throws {
        let straight = try Self.straight.get()
        let directory = Self.workspace + "/sigterm"
        let running = try Executable.Running(["run", Self.manifestPath, "--out", directory, "--threads", "1"],
                                             logs: directory + "-log")
        // The first mid-epoch checkpoint (step 2) proves training is under way.
        let started = running.waitFor(seconds: 120) { FileManager.default.fileExists(atPath: directory + "/checkpoints/last.h5") }
        #expect(started, "no checkpoint appeared: \(running.stderr)")
        let signalState = ((try? String(contentsOfFile: "/proc/\(running.process.processIdentifier)/status", encoding: .utf8)) ?? "")
            .split(separator: "\n").filter { $0.hasPrefix("Sig") }.joined(separator: "; ")
        kill(running.process.processIdentifier, SIGTERM)
        let status = running.finish()
        #expect(status == 130, "exit status \(status) (\(signalState)); stderr: \(running.stderr)")
        #expect(running.stderr.contains("interrupted at epoch"))

        let stopped = try Checkpoint.read(from: directory + "/checkpoints/last.h5")
        #expect(stopped.dataPosition.epoch == 0)
        #expect(stopped.dataPosition.cursor > 0 && stopped.dataPosition.cursor < 10, "stopped at \(stopped.dataPosition), not mid-epoch")
        #expect(stopped.globalStep == stopped.dataPosition.cursor)
        #expect(try String(contentsOfFile: directory + "/summary.json", encoding: .utf8).contains("\"status\" : \"interrupted\""))

        let resumed = try Executable.run(["resume", directory], logs: directory + "-resume")
        #expect(resumed.status == 0, "resume exited \(resumed.status): \(resumed.stderr)")
        #expect(try Self.modelBytes(directory + "/checkpoints/last.h5") == Self.modelBytes(straight + "/checkpoints/last.h5"))
        #expect(try Checkpoint.read(from: directory + "/checkpoints/last.h5").optimizer
                == Checkpoint.read(from: straight + "/checkpoints/last.h5").optimizer)
        let rows = try Self.csvRows(directory)
        #expect(rows.count == 3)
        #expect(rows == (try Self.csvRows(straight)))
    }

    @Test("a process killed with SIGKILL in the middle of a checkpoint write leaves the previous checkpoint valid and the run resumable")
    func killedWriter() throws {
        let straight = try Self.straight.get()
        let directory = Self.workspace + "/killed"
        // The second write (step 4) stops after its model group with last.h5.tmp half written.
        let running = try Executable.Running(["run", Self.manifestPath, "--out", directory, "--threads", "1"],
                                             environment: ["SPIKELAB_TEST_PAUSE_CHECKPOINT_WRITE": "2:120"],
                                             logs: directory + "-log")
        let paused = running.waitFor(seconds: 120) { running.stderr.contains("checkpoint write 2 paused") }
        #expect(paused, "the writer never paused: \(running.stderr)")
        let temporary = directory + "/checkpoints/last.h5.tmp"
        let partialBytes = (try? FileManager.default.attributesOfItem(atPath: temporary)[.size] as? Int) ?? 0
        #expect(partialBytes > 0, "no partial temporary file")
        kill(running.process.processIdentifier, SIGKILL)
        #expect(running.finish() == SIGKILL)  // Foundation reports the signal number for a signalled exit
        #expect(running.process.terminationReason == .uncaughtSignal)

        // last.h5 is still the step-2 checkpoint, complete; the half-written file is not a checkpoint.
        let previous = try Checkpoint.read(from: directory + "/checkpoints/last.h5")
        #expect(previous.globalStep == 2)
        #expect(previous.dataPosition == BatcherPosition(epoch: 0, cursor: 2))
        #expect(throws: (any Error).self) { _ = try Checkpoint.read(from: temporary) }

        let resumed = try Executable.run(["resume", directory], logs: directory + "-resume")
        #expect(resumed.status == 0, "resume exited \(resumed.status): \(resumed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: temporary))
        #expect(try Self.modelBytes(directory + "/checkpoints/last.h5") == Self.modelBytes(straight + "/checkpoints/last.h5"))
        #expect(try Self.csvRows(directory) == Self.csvRows(straight))
    }

    @Test("metrics.csv has the documented columns, one row per epoch, and the checkpoint's /metrics holds the same values")
    func csvColumns() throws {
        let straight = try Self.straight.get()
        let text = try String(contentsOfFile: straight + "/metrics.csv", encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "epoch,step,lr,train_loss,train_top1,test_loss,test_top1,test_top5,firing_rate,epoch_seconds,images_per_s")
        #expect(lines.count == 3)
        let rows = try MetricsLog.read(straight + "/metrics.csv")
        #expect(rows.map(\.epoch) == [1, 2])
        #expect(rows.map(\.step) == [10, 20])
        #expect(rows.map(\.lr) == [0.05, 0.025])  // cosine over 2 epochs, logged at each epoch's start
        for row in rows {
            #expect(lines[row.epoch].split(separator: ",").count == 11)
            #expect((0...1).contains(row.trainTop1) && (0...1).contains(row.testTop1) && row.testTop1 <= row.testTop5)
            #expect(row.firingRate > 0 && row.firingRate < 1)
            #expect(row.epochSeconds > 0 && row.imagesPerSecond > 0)
        }
        let checkpoint = try Checkpoint.read(from: straight + "/checkpoints/last.h5")
        #expect(checkpoint.metrics.map(\.column) == EpochMetrics.columns)
        for (i, column) in checkpoint.metrics.enumerated() {
            #expect(column.values.map(\.bitPattern) == rows.map { $0.values[i].bitPattern }, "column \(column.column)")
        }
    }

    @Test("eval prints the run's own test metrics, evaluates the train split, and writes nothing into the run directory")
    func evalRun() throws {
        let straight = try Self.straight.get()
        func listing() throws -> [String] {
            let fm = FileManager.default
            return try fm.subpathsOfDirectory(atPath: straight).sorted().map { name in
                let attributes = try fm.attributesOfItem(atPath: straight + "/" + name)
                return "\(name) \(attributes[.size] ?? 0) \(attributes[.modificationDate] ?? "")"
            }
        }
        let before = try listing()
        let test = try Executable.run(["eval", straight, "--json"], logs: Self.workspace + "/eval-test")
        #expect(test.status == 0, "\(test.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(test.stdout.utf8)) as? [String: Any] ?? [:]
        let last = try MetricsLog.read(straight + "/metrics.csv").last!
        #expect(json["split"] as? String == "test")
        #expect(json["samples"] as? Int == 64)
        #expect(json["epoch"] as? Int == 2)
        #expect(abs((json["loss"] as? Double ?? -1) - last.testLoss) < 1e-12)
        #expect(abs((json["top1"] as? Double ?? -1) - last.testTop1) < 1e-12)
        #expect(abs((json["top5"] as? Double ?? -1) - last.testTop5) < 1e-12)
        #expect(abs((json["firing_rate"] as? Double ?? -1) - last.firingRate) < 1e-12)

        let out = Self.workspace + "/eval-train.json"
        let train = try Executable.run(["eval", straight + "/checkpoints/last.h5", "--split", "train", "--out", out],
                                       logs: Self.workspace + "/eval-train")
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("split        train (320 samples"))
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any] ?? [:]
        #expect(saved["samples"] as? Int == 320)
        #expect((saved["top1"] as? Double).map { (0...1).contains($0) } == true)
        #expect(try listing() == before)
    }

    @Test("eval refuses bad paths and options with exit code 2, and a damaged checkpoint with exit code 3 and the reason")
    func evalErrors() throws {
        let straight = try Self.straight.get()
        let w = Self.workspace
        func eval(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            try Executable.run(["eval"] + arguments, logs: w + "/eval-error-\(UUID().uuidString)")
        }
        var r = try eval([w + "/no-such-run"])
        #expect(r.status == 2 && r.stderr.contains("no such file or directory"), "\(r)")
        try FileManager.default.createDirectory(atPath: w + "/empty-run", withIntermediateDirectories: true)
        r = try eval([w + "/empty-run"])
        #expect(r.status == 2 && r.stderr.contains("has no checkpoints/last.h5"), "\(r)")
        try FileManager.default.createDirectory(atPath: w + "/only-last/checkpoints", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: straight + "/checkpoints/last.h5", toPath: w + "/only-last/checkpoints/last.h5")
        r = try eval([w + "/only-last", "--checkpoint", "best"])
        #expect(r.status == 2 && r.stderr.contains("no checkpoints/best.h5 (present: last.h5)"), "\(r)")
        r = try eval([straight + "/checkpoints/last.h5", "--checkpoint", "last"])
        #expect(r.status == 2 && r.stderr.contains("already a file"), "\(r)")
        r = try eval([straight, "--split", "validation"])
        #expect(r.status == 2 && r.stderr.contains("--split must be test or train"), "\(r)")

        let original = try Data(contentsOf: URL(fileURLWithPath: straight + "/checkpoints/last.h5"))
        let truncated = w + "/truncated.h5"
        try original.prefix(original.count / 3).write(to: URL(fileURLWithPath: truncated))
        r = try eval([truncated])
        #expect(r.status == 3 && r.stderr.contains("truncated or corrupt"), "\(r)")
        let foreign = w + "/foreign.h5"
        try HDF5File.writeAtomically(to: foreign) { file in try file.writeArray([1.0, 2.0], at: "/x") }
        r = try eval([foreign])
        #expect(r.status == 3 && r.stderr.contains("not a SpikeLab checkpoint"), "\(r)")
        let text = w + "/text.h5"
        try "not hdf5".write(toFile: text, atomically: true, encoding: .utf8)
        r = try eval([text])
        #expect(r.status == 3, "\(r)")
    }

    @Test("inspect shows a checkpoint's datasets, shapes and run state, and a manifest's module tree with counts")
    func inspect() throws {
        let straight = try Self.straight.get()
        let checkpoint = try Executable.run(["inspect", straight + "/checkpoints/last.h5", "--json"], logs: Self.workspace + "/inspect-ckpt")
        #expect(checkpoint.status == 0, "\(checkpoint.stderr)")
        let c = try JSONSerialization.jsonObject(with: Data(checkpoint.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(c["epoch"] as? Int == 2)
        #expect(c["global_step"] as? Int == 20)
        #expect(c["format_version"] as? Int == 1)
        #expect(c["manifest_name"] as? String == "cli-test")
        #expect((c["metrics"] as? [String: Any])?["rows"] as? Int == 2)
        let objects = c["objects"] as? [[String: Any]] ?? []
        let conv = objects.first { $0["path"] as? String == "/model/features.0.weight" }
        #expect(conv?["shape"] as? [Int] == [8, 1, 3, 3])
        #expect(conv?["dtype"] as? String == "float32")
        #expect(objects.contains { $0["path"] as? String == "/optimizer/features.0.weight/momentum_buffer" })
        let table = try Executable.run(["inspect", straight + "/checkpoints/last.h5"], logs: Self.workspace + "/inspect-table")
        #expect(table.status == 0 && table.stdout.contains("global step     20"), "\(table.stdout)")

        // 8 and 16 channels at width 0.25: conv 8·1·9 + BN 2·8 + conv 16·8·9 + BN 2·16 + linear 784·10 + 10.
        let expected = 72 + 16 + 1152 + 32 + 7840 + 10
        let model = try Executable.run(["inspect", "--model", Self.manifestPath, "--json"], logs: Self.workspace + "/inspect-model")
        #expect(model.status == 0, "\(model.stderr)")
        let m = try JSONSerialization.jsonObject(with: Data(model.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(m["total_parameters"] as? Int == expected)
        let modules = m["modules"] as? [[String: Any]] ?? []
        #expect(modules.first { $0["name"] as? String == "classifier" }?["parameters"] as? Int == 7850)
        #expect(modules.first { $0["name"] as? String == "features" }?["parameters"] as? Int == expected - 7850)
        let wider = try Executable.run(["inspect", "--model", Self.manifestPath, "--set", "model.width=0.5"], logs: Self.workspace + "/inspect-wide")
        #expect(wider.status == 0 && wider.stdout.contains("features.0.weight") && wider.stdout.contains("[16, 1, 3, 3]"), "\(wider.stdout)")
        let missing = try Executable.run(["inspect", Self.workspace + "/nothing.h5"], logs: Self.workspace + "/inspect-missing")
        #expect(missing.status == 2 && missing.stderr.contains("no checkpoint there"), "\(missing)")
    }
}
