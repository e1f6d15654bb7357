import Foundation

/// What one table row still needs: a new run, or the continuation of a stopped one.
public enum PendingRun: Sendable, Equatable {
    /// `spikelab run MANIFEST [--profile P] [--set seed=K] --out DIR`; `seed` when the run
    /// replaces the manifest's seed (`spikelab tables --seeds`).
    case start(manifest: String, profile: String?, directory: String, seed: Int? = nil)
    /// `spikelab resume DIR`.
    case resume(directory: String)

    /// The spikelab arguments that do it.
    public var arguments: [String] {
        switch self {
        case let .start(manifest, profile, directory, seed):
            return ["run", manifest] + (profile.map { ["--profile", $0] } ?? []) + (seed.map { ["--set", "seed=\($0)"] } ?? [])
                + ["--out", directory]
        case let .resume(directory):
            return ["resume", directory]
        }
    }
}

/// A row that needs a run, and why some rows cannot be run automatically.
public struct RunPlan: Sendable, Equatable {
    /// Rows to run or resume: (row label, what to do).
    public let pending: [(label: String, run: PendingRun)]
    /// Rows left alone, with the reason (e.g. a failed run, or one stopped without a checkpoint).
    public let skipped: [(label: String, reason: String)]

    /// What `--run-missing` does for each run of `runs` under `profile` (one per row, or one per
    /// row and seed with `--seeds`, labelled with the seed): missing runs start,
    /// partial rows with checkpoints/last.h5 resume; a failed run (it would fail again) and a
    /// partial run without a checkpoint (nothing to continue, and `run` refuses to overwrite it)
    /// are skipped with the reason.
    public init(runs: [TableRowRun], profile: String?) {
        var pending: [(String, PendingRun)] = [], skipped: [(String, String)] = []
        for run in runs {
            let record = RunRecord.read(run.directory)
            switch record.status {
            case .done:
                continue
            case .missing:
                pending.append((run.label, .start(manifest: run.row.manifest, profile: profile, directory: run.directory,
                                                  seed: run.overridesSeed ? run.seed : nil)))
            case .partial:
                if record.runStatus == "failed" {
                    skipped.append((run.label, "\(record.progressPhrase); remove \(run.directory) to start it again"))
                } else if record.canResume {
                    pending.append((run.label, .resume(directory: run.directory)))
                } else {
                    skipped.append((run.label, "\(record.progressPhrase) and has no checkpoints/last.h5 to resume from; remove \(run.directory) to start it again"))
                }
            }
        }
        self.pending = pending.map { (label: $0.0, run: $0.1) }
        self.skipped = skipped.map { (label: $0.0, reason: $0.1) }
    }

    public static func == (a: RunPlan, b: RunPlan) -> Bool {
        a.pending.map(\.label) == b.pending.map(\.label) && a.pending.map(\.run) == b.pending.map(\.run)
            && a.skipped.map(\.label) == b.skipped.map(\.label) && a.skipped.map(\.reason) == b.skipped.map(\.reason)
    }
}

/// A Slurm array job with one task per pending row: `sbatch FILE` runs them on a cluster, then
/// `spikelab tables TABLE --profile P` regenerates the table.
public enum SlurmScript {
    /// The script's text.
    ///
    /// - Parameters:
    ///   - plan: the rows to run (must not be empty).
    ///   - table: the table file (named in comments and the job name).
    ///   - profile: the profile of the runs.
    ///   - executable: the spikelab binary the tasks call (`$SPIKELAB` overrides it at run time).
    ///   - workingDirectory: where the tasks run (relative paths are relative to it).
    ///   - sbatchOptions: extra `#SBATCH` options such as `--partition=cpu` or `--time=04:00:00`.
    ///   - seeds: the seeds of `--seeds` (one task per row and seed), named in the comments.
    public static func text(plan: RunPlan, table: TableFile, profile: String?, executable: String,
                            workingDirectory: String, sbatchOptions: [String] = [], seeds: [Int]? = nil) -> String {
        precondition(!plan.pending.isEmpty, "a Slurm array needs at least one row to run")
        let name = table.outputName + (profile.map { "-\($0)" } ?? "")
        var regenerate = "spikelab tables \(table.path)"
        var what = "the \(plan.pending.count) " + (seeds == nil ? "row(s)" : "run(s) (rows × seeds)") + " of \(table.path) that have no finished run"
        if let profile {
            regenerate += " --profile \(profile)"
            what += " (profile \(profile))"
        }
        if let seeds {
            regenerate += " --seeds \(SeedList.argument(seeds))"
            what += ", seeds \(SeedList.argument(seeds))"
        }
        var lines = [
            "#!/bin/bash",
            "# Slurm array job: \(what).",
            "# Generated by `spikelab tables --slurm`. Submit it with sbatch; when every task has finished,",
            "# regenerate the table with `\(regenerate)`.",
            "#SBATCH --job-name=\(name)",
            "#SBATCH --array=0-\(plan.pending.count - 1)",
            "#SBATCH --output=slurm-\(name)-%A_%a.out",
        ]
        lines += sbatchOptions.map { "#SBATCH \($0)" }
        lines += [
            "set -euo pipefail",
            "cd \(shellWord(workingDirectory))",
            "SPIKELAB=\"${SPIKELAB:-\(executable)}\"",
            "# Threads: the CPUs Slurm gave the task (a resumed run keeps its own count for bit-exactness).",
            "THREADS=()",
            "if [ -n \"${SLURM_CPUS_PER_TASK:-}\" ]; then THREADS=(--threads \"$SLURM_CPUS_PER_TASK\"); fi",
            "case \"${SLURM_ARRAY_TASK_ID:?run this script with sbatch (it is an array job)}\" in",
        ]
        for (index, item) in plan.pending.enumerated() {
            let arguments = item.run.arguments.map(shellWord).joined(separator: " ")
            let threads: String
            if case .start = item.run { threads = " ${THREADS[@]+\"${THREADS[@]}\"}" } else { threads = "" }
            lines.append("  \(index)) # \(item.label.replacingOccurrences(of: "\n", with: " "))")
            lines.append("     exec \"$SPIKELAB\" \(arguments)\(threads) ;;")
        }
        lines += [
            "  *) echo \"no row for array task $SLURM_ARRAY_TASK_ID (0-\(plan.pending.count - 1))\" >&2; exit 2 ;;",
            "esac",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// `text` quoted for bash when it holds anything but safe characters.
    static func shellWord(_ text: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:+@%,")
        if !text.isEmpty && text.allSatisfy(safe.contains) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
