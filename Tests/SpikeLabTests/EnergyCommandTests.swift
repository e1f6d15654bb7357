import Foundation
import Testing
@testable import SpikeLab

/// `spikelab energy` on a tiny Fashion-MNIST run made here.
@Suite("spikelab energy: per-layer table, JSON, --write and errors", .serialized,
       .enabled(if: Executable.path != nil, "needs the built spikelab executable next to the tests (swift build --build-tests)"),
       .enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"),
                "needs the Debian package dataset-fashion-mnist"))
struct EnergyCommandTests {
    static let manifestText = """
        name: energy-test
        seed: 7
        data:
          loader: fashion_mnist
          batch_size: 32
          subset: 64
          test_subset: 64
          prefetch: 1
          augment: [{normalize: fashion_mnist}]
        model: {arch: spiking_cnn_28, width: 0.25}
        neuron: {variant: lif, time_steps: 2, v_threshold: 0.25}
        training:
          epochs: 1
          optimizer: {kind: sgd, lr: 0.05, momentum: 0.9}
        checkpoint: {every_epochs: 1}
        """

    /// A trained tiny run (one epoch, 2 batches), made once.
    static let run: Result<String, Error> = Result {
        let directory = NSTemporaryDirectory() + "spikelab-energy-\(UUID().uuidString)"
        let manifest = try Manifest.load(yaml: manifestText, path: "energy-test.yaml")
        let options = RunOptions(progress: ProgressReporter(output: FileHandle(forWritingAtPath: "/dev/null")!,
                                                            interactive: false), handleSignals: false)
        _ = try Runner.start(manifest, directory: directory, options: options).run()
        return directory
    }

    static func energy(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try Executable.run(["energy"] + arguments, logs: NSTemporaryDirectory() + "spikelab-energy-log-\(UUID().uuidString)")
    }

    @Test("the JSON adds up, charges the first conv as MAC and the rest as AC, and its firing rate is the run's")
    func jsonReport() throws {
        let directory = try Self.run.get()
        let before = try FileManager.default.subpathsOfDirectory(atPath: directory).sorted()
        let r = try Self.energy([directory, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
        let layers = json["layers"] as? [[String: Any]] ?? []
        #expect(layers.map { $0["name"] as? String } == ["features.0", "features.4", "classifier"])
        #expect(layers.map { $0["operation"] as? String } == ["mac", "ac", "ac"])
        #expect(json["samples"] as? Int == 64)
        // Shapes at width 0.25 (8 and 16 channels), T = 2: conv1 2·8·28·28·1·9, conv2 2·16·14·14·8·9,
        // classifier 2·(16·49)·10.
        #expect(layers.map { $0["macs_per_sample"] as? Double } == [112_896, 451_584, 15_680])
        // The direct-encoded image is the same at both steps: the first conv is charged once.
        #expect(layers.map { $0["charged_macs_per_sample"] as? Double } == [56_448, 0, 0])
        var energy = 0.0
        for layer in layers {
            let macs = layer["charged_macs_per_sample"] as? Double ?? .nan
            let sops = layer["sops_per_sample"] as? Double ?? .nan
            let rate = layer["input_firing_rate"] as? Double ?? .nan
            #expect(rate > 0 && rate <= 1, "\(layer)")
            energy += layer["operation"] as? String == "mac" ? macs * 4.6 : sops * 0.9
            #expect(abs((layer["energy_pj_per_sample"] as? Double ?? .nan) - (layer["operation"] as? String == "mac" ? macs * 4.6 : sops * 0.9)) < 1e-6)
        }
        #expect(abs((json["energy_pj_per_sample"] as? Double ?? .nan) - energy) < 1e-6)
        // A Linear's exact count is the rate estimate; a padded conv's border makes them differ.
        let classifier = layers[2]
        #expect(abs((classifier["sops_per_sample"] as? Double ?? .nan)
                    - (classifier["rate_estimate_ops_per_sample"] as? Double ?? .nan)) < 1e-6)
        // Over the whole test split the spiking layers' firing rate is the one metrics.csv logged.
        let logged = try MetricsLog.read(directory + "/metrics.csv").last!.firingRate
        #expect(abs((json["neuron_firing_rate"] as? Double ?? .nan) - logged) < 1e-12)
        #expect(try FileManager.default.subpathsOfDirectory(atPath: directory).sorted() == before)
        // The finished run's summary.json holds the same report, measured at the end of training.
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/summary.json")))
            as? [String: Any] ?? [:]
        let inSummary = summary["energy"] as? [String: Any] ?? [:]
        #expect(inSummary["energy_pj_per_sample"] as? Double == json["energy_pj_per_sample"] as? Double)
        #expect(inSummary["samples"] as? Int == 64)
    }

    @Test("the table names every layer; --write saves energy.json with the printed numbers; custom costs scale it")
    func tableAndWrite() throws {
        let directory = try Self.run.get()
        let table = try Self.energy([directory, "--batches", "1"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("features.0") && table.stdout.contains("classifier"))
        #expect(table.stdout.contains("samples            32"))
        let written = try Self.energy([directory, "--batches", "1", "--e-mac", "1", "--e-ac", "0", "--write", "--json"])
        #expect(written.status == 0, "\(written.stderr)")
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/energy.json")))
            as? [String: Any] ?? [:]
        let printed = try JSONSerialization.jsonObject(with: Data(written.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(saved["energy_pj_per_sample"] as? Double == printed["energy_pj_per_sample"] as? Double)
        // E_AC = 0 and E_MAC = 1: the energy is the first conv's MACs of one step.
        #expect(saved["energy_pj_per_sample"] as? Double == 56_448)
        try FileManager.default.removeItem(atPath: directory + "/energy.json")
    }

    @Test("missing runs and checkpoints and bad options exit 2, a damaged checkpoint exits 3")
    func errors() throws {
        let directory = try Self.run.get()
        var r = try Self.energy([directory + "-missing"])
        #expect(r.status == 2 && r.stderr.contains("no such file or directory"), "\(r)")
        let onlyLast = NSTemporaryDirectory() + "spikelab-energy-only-last-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: onlyLast + "/checkpoints", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: directory + "/checkpoints/last.h5", toPath: onlyLast + "/checkpoints/last.h5")
        r = try Self.energy([onlyLast, "--checkpoint", "best"])
        #expect(r.status == 2 && r.stderr.contains("no checkpoints/best.h5 (present: last.h5)"), "\(r)")
        r = try Self.energy([onlyLast, "--checkpoint", "worst"])
        #expect(r.status == 2 && r.stderr.contains("--checkpoint must be last or best"), "\(r)")
        r = try Self.energy([directory, "--batches", "0"])
        #expect(r.status == 2 && r.stderr.contains("--batches must be at least 1"), "\(r)")
        r = try Self.energy([directory, "--e-ac=-1"])
        #expect(r.status == 2 && r.stderr.contains("--e-ac must be"), "\(r)")
        r = try Self.energy([directory + "/checkpoints/last.h5"])
        #expect(r.status == 2 && r.stderr.contains("is a file"), "\(r)")
        let damaged = NSTemporaryDirectory() + "spikelab-energy-damaged-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: damaged + "/checkpoints", withIntermediateDirectories: true)
        let original = try Data(contentsOf: URL(fileURLWithPath: directory + "/checkpoints/last.h5"))
        try original.prefix(original.count / 3).write(to: URL(fileURLWithPath: damaged + "/checkpoints/last.h5"))
        r = try Self.energy([damaged])
        #expect(r.status == 3 && r.stderr.contains("truncated or corrupt"), "\(r)")
    }
}
