import ArgumentParser
import Foundation
import SpikeLab
import SpikeTensor

/// `spikelab tables`: join a paper table's reported numbers with the runs on disk.
struct Tables: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Regenerate a paper table: reported numbers next to reproduced ones (CSV and Markdown).",
        discussion: """
            TABLE is experiments/<paper>/<table>.yaml (format: docs/tables.md). Each row's run directory is \
            RESULTS/<manifest name>/<profile or full>, as `spikelab run` names it. Writes OUT/<paper>-<table>.csv \
            and .md with row, reported, reproduced, difference, profile, status (missing, partial, done), epochs \
            and run directory.
            --run-missing runs the rows without a result and resumes partial ones (from checkpoints/last.h5), \
            one after another in this process, then regenerates the table. --slurm FILE writes a Slurm array \
            script (one task per such row) instead of running anything.
            --seeds 0,1,2 makes the table over several seeds: each row runs with the manifest's seed replaced \
            by each listed seed (--set seed=K) in RESULTS/<name>/<profile or full>-seed<K>, except the \
            manifest's own seed, whose run is the ordinary directory. The table adds the metric's mean ± \
            sample sd over the seeds whose run finished, n, each seed's value and which seeds are missing; \
            --run-missing, --slurm (one task per row and seed), --plot and --export work on every seed's run.
            Exit codes: 0 done, 1 a run failed, 2 bad arguments or table/manifest, 3 missing data, 130 interrupted.
            """)

    @Argument(help: "The table file (YAML), e.g. experiments/demo/table.yaml.")
    var table: String

    @Option(help: "The manifests' profile whose runs the table shows (default: the full setting).")
    var profile: String?

    @Option(help: "Folder holding the run directories (<name>/<profile> inside).")
    var results: String = "runs"

    @Option(help: "Folder the CSV and Markdown tables are written to.")
    var out: String = "results/tables"

    @Flag(help: "Run the rows that have no result and resume partial ones, then regenerate the table.")
    var runMissing = false

    @Option(help: ArgumentHelp("Write a Slurm array script for the rows that need a run to this file, instead of running them.", valueName: "file"))
    var slurm: String?

    @Option(name: .customLong("sbatch"), help: ArgumentHelp("An extra #SBATCH option for --slurm, e.g. --sbatch=--time=04:00:00 (repeatable).", valueName: "option"))
    var sbatchOptions: [String] = []

    @Flag(help: "Write curves.png (learning curves) into every run directory that has an epoch.")
    var plot = false

    @Option(help: ArgumentHelp("Copy each run's manifest.resolved.yaml, metrics.csv, summary.json and curves.png (not checkpoints) to DIR/<name>/<profile>/, and point the table at the copies.", valueName: "dir"))
    var export: String?

    @Option(parsing: .unconditional,
            help: ArgumentHelp("Make the table over these seeds (comma-separated integers >= 0, e.g. 0,1,2): mean ± sd over them, runs in <profile>-seed<K>.",
                               valueName: "list"))
    var seeds: String?

    @Option(help: "Threads for the runs (default: SPIKELAB_THREADS or all cores).")
    var threads: Int?

    func validate() throws {
        // Exit code 2 (ArgumentParser's ValidationError would exit 64).
        func refuse(_ message: String) -> ExitCode {
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            return ExitCode(ExitStatus.badInput)
        }
        if let threads, threads < 1 { throw refuse("--threads must be at least 1, got \(threads)") }
        if runMissing && slurm != nil {
            throw refuse("--run-missing runs rows here and --slurm writes a script to run them elsewhere; choose one")
        }
        if !sbatchOptions.isEmpty && slurm == nil { throw refuse("--sbatch only goes with --slurm FILE") }
        if let seeds {
            do { _ = try SeedList.parse(seeds) } catch { throw refuse(error.message) }
        }
    }

    func run() throws {
        let tableFile: TableFile
        var runs: [TableRowRun]
        // With --seeds: [row][seed]; the runs to make, plot and export are all of them.
        var seedRuns: [[TableRowRun]]?
        let seedList = try seeds.map { text in
            do { return try SeedList.parse(text) } catch { throw ExitCode(ExitStatus.badInput) }   // validate() reported it
        }
        do {
            tableFile = try TableFile.load(contentsOf: table)
            runs = try tableFile.runs(profile: profile, resultsRoot: results)
            if let seedList { seedRuns = try tableFile.seedRuns(profile: profile, resultsRoot: results, seeds: seedList) }
        } catch {
            throw reportTableError(error)
        }
        /// Every run the table reads: the rows' own, then each row's seed runs not among them.
        func allRuns() -> [TableRowRun] {
            guard let seedRuns else { return runs }
            let seeded = seedRuns.flatMap { $0 }
            return seeded + runs.filter { run in !seeded.contains { $0.directory == run.directory } }
        }
        // With --seeds only the listed seeds run; the rows' own runs are read whatever they hold.
        let runnable = seedRuns?.flatMap { $0 } ?? runs

        if let slurm {
            try writeSlurm(slurm, table: tableFile, runs: runnable, seeds: seedList)
            return
        }

        var outcome = TableRunsOutcome()
        if runMissing {
            // Runs report on standard error; so does this, keeping the lines in order in a log.
            let progress = ProgressReporter()
            let plan = RunPlan(runs: runnable, profile: profile)
            for skipped in plan.skipped { progress.line("\(skipped.label): not run: \(skipped.reason)") }
            if plan.pending.isEmpty {
                progress.line("every row of \(table) has a run (profile \(profile ?? "full")"
                              + (seedList.map { ", seeds \(SeedList.argument($0))" } ?? "") + "); nothing to run")
            } else {
                do { try plan.checkData(runs: runnable, table: tableFile) } catch { throw reportTableError(error) }
                if let threads { Threads.configure(threads) }
                let started = Date()
                outcome = plan.execute(runs: runnable, options: RunOptions(threads: threads, progress: progress)) { progress.line($0) }
                progress.line(String(format: "ran %d %@ in %.0f s", plan.pending.count, seedList == nil ? "row(s)" : "run(s)",
                                     Date().timeIntervalSince(started)))
            }
        }

        var plots: [String] = []
        if plot {
            for run in allRuns() where RunRecord.read(run.directory).metrics.epochCount > 0 {
                do { plots.append(try LearningCurves.write(runDirectory: run.directory)) } catch {
                    FileHandle.standardError.write(Data("warning: \(run.label): no plot: \(error)\n".utf8))
                }
            }
        }
        if let export {
            do {
                runs = try RunExport.copy(runs, to: export, profile: profile)
                seedRuns = try seedRuns?.map { try RunExport.copy($0, to: export, profile: profile) }
            } catch { throw report(error) }
        }

        let tableReport: TableReport
        do {
            tableReport = try TableReport(table: tableFile, runs: runs, profile: profile, resultsRoot: export ?? results,
                                          seedRuns: seedRuns)
        } catch {
            throw reportTableError(error)
        }
        let paths: (csv: String, markdown: String)
        do { paths = try TableWriter.write(tableReport, to: out) } catch { throw report(error) }
        print(TableWriter.markdown(tableReport))
        print("table: \(paths.csv), \(paths.markdown)")
        let folders = "\(profile ?? "full")/" + (seedList == nil ? "" : " and \(profile ?? "full")-seed<K>/")
        if let export {
            print("results (metrics.csv, summary.json, manifest.resolved.yaml, curves.png): \(export)/<name>/\(folders)")
        }
        if !plots.isEmpty { print("plots: " + plots.joined(separator: ", ")) }
        print("runs (with checkpoints): \(results)/<name>/\(folders)")

        if outcome.interrupted { throw ExitCode(ExitStatus.interrupted) }
        if !outcome.failed.isEmpty {
            for failure in outcome.failed { FileHandle.standardError.write(Data("error: \(failure.label): \(failure.error)\n".utf8)) }
            throw ExitCode(ExitStatus.failed)
        }
    }

    private func writeSlurm(_ path: String, table tableFile: TableFile, runs: [TableRowRun], seeds: [Int]?) throws {
        let plan = RunPlan(runs: runs, profile: profile)
        for skipped in plan.skipped { print("\(skipped.label): left out: \(skipped.reason)") }
        guard !plan.pending.isEmpty else {
            print("every row of \(table) has a run (profile \(profile ?? "full")"
                  + (seeds.map { ", seeds \(SeedList.argument($0))" } ?? "") + "); no script written")
            return
        }
        // This binary, so the tasks run the same build; `spikelab` on PATH if it cannot be found.
        let executable = Bundle.main.executablePath.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
        let script = SlurmScript.text(plan: plan, table: tableFile, profile: profile,
                                      executable: executable.flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil } ?? "spikelab",
                                      workingDirectory: FileManager.default.currentDirectoryPath,
                                      sbatchOptions: sbatchOptions, seeds: seeds)
        do {
            try script.write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o755)
        } catch {
            throw report(RunError.io(path: path, reason: error.localizedDescription))
        }
        print("wrote \(path): a Slurm array of \(plan.pending.count) task(s): " + plan.pending.map(\.label).joined(separator: ", "))
        print("submit: sbatch \(path); afterwards: spikelab tables \(table)" + (profile.map { " --profile \($0)" } ?? "")
              + (seeds.map { " --seeds \(SeedList.argument($0))" } ?? ""))
    }

    private func reportTableError(_ error: TableErrors) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        return ExitCode(error.exitCode)
    }
}
