import Foundation

/// What `spikelab tables --run-missing` did.
public struct TableRunsOutcome: Sendable {
    /// Rows whose run finished in this process.
    public var finished: [String] = []
    /// Rows whose run stopped with an error, and the error.
    public var failed: [(label: String, error: String)] = []
    /// Whether a signal stopped a run (after its checkpoint); later rows were not started.
    public var interrupted = false

    public init() {}
}

extension RunPlan {
    /// Checks, before any work, that the data every row to start needs is on disk.
    public func checkData(runs: [TableRowRun], table: TableFile) throws(TableErrors) {
        var errors: [ManifestError] = []
        for item in pending {
            guard case let .start(_, _, directory, _) = item.run,
                  let run = runs.first(where: { $0.directory == directory }) else { continue }
            do { try run.manifest.validateFiles() } catch { errors += error.errors }
        }
        if !errors.isEmpty { throw TableErrors(path: table.path, errors: errors) }
    }

    /// Runs (or resumes) every pending row in this process, one after another. A row that fails
    /// is recorded and the next one runs; a signal stops the loop after the current run's
    /// checkpoint.
    public func execute(runs: [TableRowRun], options: RunOptions, log: (String) -> Void) -> TableRunsOutcome {
        var outcome = TableRunsOutcome()
        for (index, item) in pending.enumerated() {
            log("[\(index + 1)/\(pending.count)] \(item.label): spikelab " + item.run.arguments.joined(separator: " "))
            do {
                let runner: Runner
                switch item.run {
                case let .start(_, _, directory, _):
                    // The run of that directory: with --seeds a manifest has one run per seed.
                    guard let run = runs.first(where: { $0.directory == directory }) else { continue }
                    runner = try Runner.start(run.manifest, directory: directory, options: options)
                case let .resume(directory):
                    runner = try Runner.resume(directory: directory, options: options)
                }
                switch try runner.run() {
                case .finished:
                    outcome.finished.append(item.label)
                case .interrupted:
                    outcome.interrupted = true
                    return outcome
                }
            } catch {
                log("\(item.label): failed: \(error)")
                outcome.failed.append((item.label, "\(error)"))
            }
        }
        return outcome
    }
}

/// Copies the small files of run directories (not checkpoints) elsewhere, e.g. into `results/`
/// where they are committed next to the table made from them.
public enum RunExport {
    /// The files copied from a run directory, when present.
    public static let files = ["manifest.resolved.yaml", "metrics.csv", "summary.json", "curves.png"]

    /// Copies each existing run of `runs` to `root/<name>/<profile>/` (`<profile>-seed<K>/` for a
    /// run whose seed replaces the manifest's) replacing the files there, and returns the runs
    /// with their directories pointing at the copies; rows without a run keep their directory.
    public static func copy(_ runs: [TableRowRun], to root: String, profile: String?) throws -> [TableRowRun] {
        let fm = FileManager.default
        return try runs.map { run in
            guard RunRecord.read(run.directory).status != .missing else { return run }
            let folder = TableRowRun.folder(profile: profile, seed: run.overridesSeed ? run.seed : nil)
            let target = root + "/" + run.manifest.experiment.name + "/" + folder
            guard ManifestPaths.absolute(target) != ManifestPaths.absolute(run.directory) else { return run }
            do {
                try fm.createDirectory(atPath: target, withIntermediateDirectories: true)
                for file in files {
                    let source = run.directory + "/" + file, destination = target + "/" + file
                    if fm.fileExists(atPath: destination) { try fm.removeItem(atPath: destination) }
                    if fm.fileExists(atPath: source) { try fm.copyItem(atPath: source, toPath: destination) }
                }
            } catch {
                throw RunError.io(path: target, reason: error.localizedDescription)
            }
            return TableRowRun(row: run.row, manifest: run.manifest, directory: target, paperData: run.paperData,
                               seed: run.seed, overridesSeed: run.overridesSeed)
        }
    }
}
