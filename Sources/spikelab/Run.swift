import ArgumentParser
import Foundation
import SpikeLab
import SpikeData
import SpikeTensor

/// Exit codes of every command (docs/design.md): 0 done, 1 run failed, 2 bad arguments or
/// manifest, 3 bad or missing data, 130 interrupted after writing a checkpoint.
enum ExitStatus {
    static let failed: Int32 = 1
    static let badInput: Int32 = 2
    static let badData: Int32 = 3
    static let interrupted: Int32 = 130
}

/// Prints `error` to standard error and returns the exit code it maps to.
func report(_ error: Error) -> ExitCode {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    switch error {
    case let errors as ManifestErrors: return ExitCode(errors.exitCode)
    case let error as BuildError: return ExitCode(error.exitCode)
    case let error as CheckpointError: return ExitCode(error.exitCode)
    case is EvaluationError: return ExitCode(ExitStatus.badInput)
    case is DataError: return ExitCode(ExitStatus.badData)   // an image that cannot be read mid-run
    case let error as RunError:
        switch error {
        case .directoryInUse, .nothingToResume: return ExitCode(ExitStatus.badInput)
        default: return ExitCode(ExitStatus.failed)
        }
    default: return ExitCode(ExitStatus.failed)
    }
}

/// Runs the training loop and maps its outcome to an exit code.
func execute(_ runner: Runner) throws {
    do {
        switch try runner.run() {
        case .finished:
            let converted = runner.experiment.training.mode == .convert
            print("done: \(runner.directory) (metrics.csv, \(converted ? "conversion.csv, " : "")summary.json, checkpoints/\(converted ? " with converted.h5" : ""))")
        case .interrupted:
            throw ExitCode(ExitStatus.interrupted)
        }
    } catch let exit as ExitCode {
        throw exit
    } catch {
        throw report(error)
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train and evaluate the experiment a manifest describes.",
        discussion: """
            Writes RUN_DIR/manifest.resolved.yaml, metrics.csv (a row per epoch), summary.json and \
            checkpoints/last.h5 (+ best.h5). Ctrl-C or SIGTERM writes a checkpoint and exits 130; \
            continue with `spikelab resume RUN_DIR`. RUN_DIR defaults to runs/<name>/<profile or full>.
            Exit codes: 0 done, 1 run failed, 2 bad arguments or manifest, 3 bad or missing data, 130 interrupted.
            """)

    @Argument(help: "The experiment manifest (YAML).")
    var manifest: String

    @Option(help: "A named override set from the manifest's `profiles:` (e.g. cpu).")
    var profile: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a key, e.g. --set training.epochs=3 (repeatable; YAML values).", valueName: "key.path=value"))
    var overrides: [String] = []

    @Option(help: "Run directory (default: runs/<name>/<profile or full>).")
    var out: String?

    @Option(help: "Threads for OpenBLAS, oneDNN and SpikeLab's loops (default: SPIKELAB_THREADS or all cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        let loaded: Manifest
        do {
            loaded = try Manifest.load(contentsOf: manifest, profile: profile, overrides: overrides)
            try loaded.validateFiles()
        } catch {
            throw report(error)
        }
        let directory = out ?? "runs/\(loaded.experiment.name)/\(profile ?? "full")"
        let runner: Runner
        do {
            runner = try Runner.start(loaded, directory: directory, options: RunOptions(threads: threads))
        } catch {
            throw report(error)
        }
        try execute(runner)
    }
}

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue a stopped run bit-exactly from RUN_DIR/checkpoints/last.h5.",
        discussion: "Uses the run's own resolved manifest and thread count (override with --threads, at the cost of bit-exactness).")

    @Argument(help: "The run directory (the --out of `spikelab run`).")
    var runDirectory: String

    @Option(help: "Threads (default: the count the run used).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        let runner: Runner
        do {
            runner = try Runner.resume(directory: runDirectory, options: RunOptions(threads: threads))
        } catch {
            throw report(error)
        }
        try execute(runner)
    }
}
