import Foundation
import Testing
@testable import SpikeLab

// MARK: - The --seeds list

@Suite("--seeds lists are parsed in order, and bad ones are refused with the item and what is allowed")
struct SeedListTests {
    @Test("a comma-separated list of distinct integers >= 0 is kept in the order written, spaces around items ignored")
    func valid() throws {
        #expect(try SeedList.parse("0,1,2") == [0, 1, 2])
        #expect(try SeedList.parse("7") == [7])
        #expect(try SeedList.parse(" 3, 1 ,20") == [3, 1, 20])
        #expect(SeedList.argument([3, 1, 20]) == "3,1,20")
    }

    @Test("empty lists and items, negative numbers, words, huge numbers and repeated seeds are refused")
    func refused() {
        func message(_ text: String) -> String? {
            do { _ = try SeedList.parse(text); return nil } catch { return error.message }
        }
        #expect(message("") == "--seeds: the list is empty; give one or more seeds (integers >= 0) separated by commas, e.g. --seeds 0,1,2")
        #expect(message(" ") == message(""))
        #expect(message("1,,2") == "--seeds: item 2 of '1,,2' is empty; separate seeds by single commas, e.g. --seeds 0,1,2")
        #expect(message("1,2,") == "--seeds: item 3 of '1,2,' is empty; separate seeds by single commas, e.g. --seeds 0,1,2")
        #expect(message("-1") == "--seeds: item 1 of '-1' is -1, a negative number; a seed is an integer >= 0 (the manifest key seed), e.g. --seeds 0,1,2")
        #expect(message("a") == "--seeds: item 1 of 'a' is 'a', not an integer; a seed is an integer >= 0 (the manifest key seed), e.g. --seeds 0,1,2")
        #expect(message("0,1.5") == "--seeds: item 2 of '0,1.5' is '1.5', not an integer; a seed is an integer >= 0 (the manifest key seed), e.g. --seeds 0,1,2")
        #expect(message("+1") == "--seeds: item 1 of '+1' is '+1', not an integer; a seed is an integer >= 0 (the manifest key seed), e.g. --seeds 0,1,2")
        #expect(message("99999999999999999999") == "--seeds: item 1 of '99999999999999999999' is '99999999999999999999', too large for a seed; a seed is an integer >= 0 (the manifest key seed), e.g. --seeds 0,1,2")
        #expect(message("1,2,1") == "--seeds: seed 1 is listed twice in '1,2,1'; list each seed once")
    }
}

// MARK: - Mean and spread

@Suite("A row's spread over seeds: mean and sample sd of the finished runs, and which seeds lack one")
struct SeedSpreadTests {
    @Test("57.6, 55.2 and 60.0 have mean 57.6 and sample sd 2.4 (hand-derived: squares 0, 5.76, 5.76 over n − 1 = 2)")
    func handDerived() throws {
        let spread = SeedSpread(seeds: [0, 1, 2], statuses: [.done, .done, .done], values: [57.6, 55.2, 60.0])
        #expect(spread.n == 3)
        #expect(try abs(#require(spread.mean) - 57.6) < 1e-12)
        #expect(try abs(#require(spread.standardDeviation) - 2.4) < 1e-12)
        #expect(spread.statusText == "done")
    }

    @Test("the sample sd equals the pairwise-difference formula sqrt(Σ_{i<j} (x_i − x_j)² / (n (n − 1))) on random values")
    func pairwiseReference() throws {
        var generator = SystemRandomNumberGenerator()
        for n in 2...7 {
            let values = (0..<n).map { _ in Double.random(in: 0...100, using: &generator) }
            var pairs = 0.0
            for i in 0..<n { for j in (i + 1)..<n { pairs += (values[i] - values[j]) * (values[i] - values[j]) } }
            let reference = (pairs / Double(n * (n - 1))).squareRoot()
            let spread = SeedSpread(seeds: Array(0..<n), statuses: Array(repeating: .done, count: n), values: values)
            #expect(try abs(#require(spread.standardDeviation) - reference) < 1e-9 * max(1, reference))
            #expect(try abs(#require(spread.mean) - values.reduce(0, +) / Double(n)) < 1e-9)
        }
    }

    @Test("partial and missing runs do not count; one value has a mean but no sd; none has neither")
    func incomplete() {
        let spread = SeedSpread(seeds: [0, 1, 2, 3], statuses: [.done, .partial, .missing, .missing], values: [70, 40, nil, nil])
        #expect(spread.values == [70, nil, nil, nil])
        #expect(spread.n == 1 && spread.mean == 70 && spread.standardDeviation == nil)
        #expect(spread.missingSeeds == [2, 3] && spread.partialSeeds == [1])
        #expect(spread.statusText == "partial 1; missing 2, 3")
        let none = SeedSpread(seeds: [4], statuses: [.missing], values: [nil])
        #expect(none.n == 0 && none.mean == nil && none.standardDeviation == nil)
        #expect(none.statusText == "missing 4")
        let noValue = SeedSpread(seeds: [0, 1], statuses: [.done, .done], values: [50, nil])
        #expect(noValue.statusText == "no value 1")
    }
}

// MARK: - Seed runs of a table

@Suite("Tables over seeds: run directories, the joined spread, plans, exports and Slurm arrays per seed")
struct TableSeedTests {
    /// Rows A (manifest seed 0) and B (manifest seed 5) in `DIR/table.yaml`.
    private func twoRows() throws -> (TableFixture, TableFile) {
        let fixture = TableFixture()
        fixture.manifest("a.yaml", name: "row-a")
        fixture.write("b.yaml", """
        name: row-b
        seed: 5
        data: {loader: fashion_mnist, batch_size: 32}
        model: {arch: spiking_cnn_28}
        neuron: {variant: if}
        training: {epochs: 3, optimizer: {kind: adam, lr: 0.001}}
        profiles:
          cpu: {data: {subset: 100}}

        """)
        fixture.write("table.yaml", """
        paper: demo
        table: seeds
        rows:
          - {row: A, manifest: a.yaml, reported: 58}
          - {row: B, manifest: b.yaml, reported: null}

        """)
        return (fixture, try TableFile.load(contentsOf: fixture.directory + "/table.yaml"))
    }

    @Test("each seed runs in <profile>-seed<K> with the manifest's seed replaced, except the manifest's own seed, whose run is <profile>")
    func directories() throws {
        let (fixture, table) = try twoRows()
        defer { withExtendedLifetime(fixture) {} }
        let seeded = try table.seedRuns(profile: "cpu", resultsRoot: "R", seeds: [0, 1, 5])
        #expect(seeded.map { $0.map(\.directory) } == [
            ["R/row-a/cpu", "R/row-a/cpu-seed1", "R/row-a/cpu-seed5"],
            ["R/row-b/cpu-seed0", "R/row-b/cpu-seed1", "R/row-b/cpu"],
        ])
        #expect(seeded.map { $0.map(\.manifest.experiment.seed) } == [[0, 1, 5], [0, 1, 5]])
        #expect(seeded.map { $0.map(\.overridesSeed) } == [[false, true, true], [true, true, false]])
        #expect(seeded[0].map(\.overrides) == [[], ["seed=1"], ["seed=5"]])
        #expect(seeded[1].map(\.label) == ["B (seed 0)", "B (seed 1)", "B (seed 5)"])
        // Only the seed differs from the row's own manifest: the same data, network and training.
        let own = try table.runs(profile: "cpu", resultsRoot: "R")
        #expect(seeded[0][0].manifest.sha256 == own[0].manifest.sha256 && seeded[0][1].manifest.sha256 != own[0].manifest.sha256)
        #expect(seeded[0][1].manifest.experiment.data == own[0].manifest.experiment.data)
        #expect(seeded[0][1].manifest.experiment.model == own[0].manifest.experiment.model)
        #expect(seeded[0][1].manifest.overrides == ["seed=1"])
        // Without a profile the folders are full and full-seed<K>.
        #expect(try table.seedRuns(profile: nil, seeds: [0, 2])[0].map(\.directory) == ["runs/row-a/full", "runs/row-a/full-seed2"])
        // A table of one seed (no --seeds) is unchanged.
        #expect(own.map(\.directory) == ["R/row-a/cpu", "R/row-b/cpu"] && own.allSatisfy { $0.seed == nil && !$0.overridesSeed })
        #expect(own.map(\.label) == ["A", "B"])
    }

    /// Fabricated runs for seeds 0, 1, 2 under `DIR/R`: A done at every seed (best test top-1
    /// 57.6, 55.2, 60.0); B (own seed 5, so seed 0 is a replacement) done at seed 0 (70.0),
    /// interrupted at seed 1, missing at seed 2, and its own-seed run done (66.0).
    private func fabricated() throws -> (TableFixture, TableFile, [TableRowRun], [[TableRowRun]]) {
        let (fixture, table) = try twoRows()
        let root = fixture.directory + "/R"
        let runs = try table.runs(profile: "cpu", resultsRoot: root)
        let seeded = try table.seedRuns(profile: "cpu", resultsRoot: root, seeds: [0, 1, 2])
        for (run, best) in zip(seeded[0], [0.576, 0.552, 0.60]) {
            fixture.fabricateRun(run.directory, manifest: run.manifest, epochs: [(0.5, 0.4, 1), (0.6, best, 0.8), (0.7, best - 0.01, 0.7)],
                                 total: 3, status: "finished")
        }
        fixture.fabricateRun(seeded[1][0].directory, manifest: seeded[1][0].manifest, epochs: [(0.5, 0.7, 1), (0.6, 0.65, 1), (0.6, 0.66, 1)],
                             total: 3, status: "finished")
        fixture.fabricateRun(seeded[1][1].directory, manifest: seeded[1][1].manifest, epochs: [(0.5, 0.4, 1)], total: 3, status: "interrupted")
        fixture.fabricateRun(runs[1].directory, manifest: runs[1].manifest, epochs: [(0.5, 0.66, 1), (0.6, 0.6, 1), (0.6, 0.6, 1)],
                             total: 3, status: "finished")
        return (fixture, table, runs, seeded)
    }

    @Test("the spread joins each seed's best epoch: mean ± sample sd over the finished seeds, n, and which are missing or partial")
    func join() throws {
        let (fixture, table, runs, seeded) = try fabricated()
        defer { withExtendedLifetime(fixture) {} }
        let report = try TableReport(table: table, runs: runs, profile: "cpu", seedRuns: seeded)
        #expect(report.seeds == [0, 1, 2])
        let a = try #require(report.lines[0].spread), b = try #require(report.lines[1].spread)
        #expect(a.values.map { $0.map { ($0 * 100).rounded() / 100 } } == [57.6, 55.2, 60.0])
        #expect(try abs(#require(a.mean) - 57.6) < 1e-9 && abs(#require(a.standardDeviation) - 2.4) < 1e-9)
        #expect(b.values.map { $0.map { ($0 * 100).rounded() / 100 } } == [70.0, nil, nil])
        #expect(b.n == 1 && b.standardDeviation == nil && b.statusText == "partial 1; missing 2")
        // The line's own columns stay the manifest's own seed's run: B's is seed 5 (66.0).
        #expect(report.lines.map(\.reproduced).map { $0.map { ($0 * 100).rounded() / 100 } } == [57.6, 66.0])
        #expect(report.lines.map(\.status) == [.done, .done])
        #expect(report.lines[1].notes == ["seed 1: interrupted after epoch 1 of 3"])
        // Without seed runs the lines carry no spread, and equal the lines of a table of one seed.
        let single = try TableReport(table: table, runs: runs, profile: "cpu")
        #expect(single.seeds == nil && single.lines.allSatisfy { $0.spread == nil })
        #expect(single.lines[0].reproduced == report.lines[0].reproduced && single.lines[1].notes == [])
    }

    @Test("a seed run whose settings are not the manifest's with that seed is noted with its seed")
    func staleSeedRun() throws {
        let (fixture, table, runs, seeded) = try fabricated()
        defer { withExtendedLifetime(fixture) {} }
        // Seed 2 of row A was run with seed 0's settings (the override was lost).
        try FileManager.default.removeItem(atPath: seeded[0][2].directory)
        fixture.fabricateRun(seeded[0][2].directory, manifest: runs[0].manifest, epochs: [(0.5, 0.4, 1), (0.5, 0.4, 1), (0.5, 0.4, 1)],
                             total: 3, status: "finished")
        let report = try TableReport(table: table, runs: runs, profile: "cpu", seedRuns: seeded)
        #expect(report.lines[0].notes.count == 1)
        #expect(report.lines[0].notes[0].hasPrefix("seed 2: the run's settings differ from the manifest's now (sha256 \(runs[0].manifest.sha256.prefix(12))"))
    }

    @Test("the CSV gains seeds, seed_values, mean, sd, n and seed_status after the usual columns")
    func csv() throws {
        let (fixture, table, runs, seeded) = try fabricated()
        defer { withExtendedLifetime(fixture) {} }
        let lines = TableWriter.csv(try TableReport(table: table, runs: runs, profile: "cpu", seedRuns: seeded))
            .split(separator: "\n").map(String.init)
        #expect(lines[0] == (TableWriter.csvColumns + ["seeds", "seed_values", "mean", "sd", "n", "seed_status"]).joined(separator: ","))
        #expect(lines[1].hasSuffix(",,,0 1 2,0:57.60 1:55.20 2:60.00,57.60,2.40,3,done"))
        #expect(lines[2].hasSuffix(",seed 1: interrupted after epoch 1 of 3,,,0 1 2,0:70.00,70.00,,1,partial 1; missing 2"))
        // The usual columns are those of the one-seed table, the note aside.
        let single = TableWriter.csv(try TableReport(table: table, runs: runs, profile: "cpu")).split(separator: "\n").map(String.init)
        #expect(lines[1].hasPrefix(single[1]))
    }

    @Test("the Markdown gains mean ± sd, n, per seed and seeds columns, the seeds in its regenerate line and a count of seed runs")
    func markdown() throws {
        let (fixture, table, runs, seeded) = try fabricated()
        defer { withExtendedLifetime(fixture) {} }
        let text = TableWriter.markdown(try TableReport(table: table, runs: runs, profile: "cpu", resultsRoot: "R", seedRuns: seeded))
        let t = fixture.directory + "/table.yaml", r = fixture.directory + "/R"
        let f = "fashion_mnist at /usr/share/datasets/fashion-mnist, train subset 100"
        #expect(text.contains("Regenerate: `spikelab tables \(t) --profile cpu --results R --seeds 0,1,2`.\n"))
        #expect(text.contains(" Seeds 0, 1, 2: reproduced, difference, status, epochs and energy are the run at each manifest's own seed;"))
        #expect(text.contains("| row | reported | reproduced | difference | mean ± sd | n | per seed | seeds | profile | status | epochs | data | run directory |\n"
                              + "|---|---:|---:|---:|---:|---:|---:|---|---|---|---:|---|---|\n"))
        #expect(text.contains("| A | 58 | 57.60 | -0.40 | 57.60 ± 2.40 | 3 | 57.60 / 55.20 / 60.00 | done | cpu | done | 3/3 | \(f) | `\(r)/row-a/cpu` |\n"))
        #expect(text.contains("| B | — | 66.00 | — | 70.00 ± — | 1 | 70.00 / — / — | partial 1; missing 2 | cpu | done | 3/3 | \(f) | `\(r)/row-b/cpu` |\n"))
        #expect(text.contains("- **B**: seed 1: interrupted after epoch 1 of 3\n"))
        #expect(text.hasSuffix("Rows: 2 done, 0 partial, 0 missing.\nSeed runs (2 rows × 3 seeds): 4 done, 1 partial, 1 missing.\n"))
    }

    @Test("--run-missing plans every seed: missing seeds start with --set seed=K, partial ones resume, labelled with their seed")
    func plan() throws {
        let (fixture, _, _, seeded) = try fabricated()
        defer { withExtendedLifetime(fixture) {} }
        let plan = RunPlan(runs: seeded.flatMap { $0 }, profile: "cpu")
        let d = fixture.directory
        #expect(plan.pending.map(\.label) == ["B (seed 1)", "B (seed 2)"])
        #expect(plan.pending.map(\.run) == [.resume(directory: d + "/R/row-b/cpu-seed1"),
                                            .start(manifest: d + "/b.yaml", profile: "cpu", directory: d + "/R/row-b/cpu-seed2", seed: 2)])
        #expect(plan.pending[1].run.arguments == ["run", d + "/b.yaml", "--profile", "cpu", "--set", "seed=2", "--out", d + "/R/row-b/cpu-seed2"])
        // The manifest's own seed (A's 0) starts without an override; B's own seed is 5.
        let own = RunPlan(runs: try TableFile.load(contentsOf: d + "/table.yaml").seedRuns(profile: "cpu", resultsRoot: d + "/empty", seeds: [0]).flatMap { $0 },
                          profile: "cpu")
        #expect(own.pending.map(\.run.arguments) == [["run", d + "/a.yaml", "--profile", "cpu", "--out", d + "/empty/row-a/cpu"],
                                                     ["run", d + "/b.yaml", "--profile", "cpu", "--set", "seed=0", "--out", d + "/empty/row-b/cpu-seed0"]])
    }

    @Test("export copies every seed's run to <name>/<profile>-seed<K> (the own seed's to <name>/<profile>), and the spread reads the copies")
    func export() throws {
        let (fixture, table, runs, seeded) = try fabricated()
        defer { withExtendedLifetime(fixture) {} }
        let target = fixture.directory + "/results"
        let copied = try seeded.map { try RunExport.copy($0, to: target, profile: "cpu") }
        #expect(copied[0].map(\.directory) == [target + "/row-a/cpu", target + "/row-a/cpu-seed1", target + "/row-a/cpu-seed2"])
        #expect(copied[1].map(\.directory) == [target + "/row-b/cpu-seed0", target + "/row-b/cpu-seed1", seeded[1][2].directory])
        #expect(copied.flatMap { $0 }.map(\.seed) == seeded.flatMap { $0 }.map(\.seed))
        let files = try FileManager.default.contentsOfDirectory(atPath: target + "/row-a/cpu-seed1").sorted()
        #expect(files == ["metrics.csv", "summary.json"])
        let fromCopies = try TableReport(table: table, runs: try RunExport.copy(runs, to: target, profile: "cpu"), profile: "cpu", seedRuns: copied)
        let fromRuns = try TableReport(table: table, runs: runs, profile: "cpu", seedRuns: seeded)
        #expect(fromCopies.lines.map(\.spread) == fromRuns.lines.map(\.spread))
    }

    @Test("the Slurm array has one task per row and seed that needs a run, each with its seed override")
    func slurm() throws {
        let (fixture, table) = try twoRows()
        defer { withExtendedLifetime(fixture) {} }
        let d = fixture.directory
        let seeded = try table.seedRuns(profile: "cpu", resultsRoot: d + "/R", seeds: [0, 1])
        let plan = RunPlan(runs: seeded.flatMap { $0 }, profile: "cpu")
        let script = SlurmScript.text(plan: plan, table: table, profile: "cpu", executable: "/opt/spikelab",
                                      workingDirectory: d, seeds: [0, 1])
        let lines = script.split(separator: "\n").map(String.init)
        #expect(lines.contains("#SBATCH --array=0-3"))
        #expect(lines.contains("# Slurm array job: the 4 run(s) (rows × seeds) of \(d)/table.yaml that have no finished run (profile cpu), seeds 0,1."))
        #expect(lines.contains("# regenerate the table with `spikelab tables \(d)/table.yaml --profile cpu --seeds 0,1`."))
        #expect(lines.contains("  1) # A (seed 1)"))
        #expect(lines.contains("     exec \"$SPIKELAB\" run \(d)/a.yaml --profile cpu --set seed=1 --out \(d)/R/row-a/cpu-seed1 ${THREADS[@]+\"${THREADS[@]}\"} ;;"))
        #expect(lines.contains("     exec \"$SPIKELAB\" run \(d)/b.yaml --profile cpu --set seed=0 --out \(d)/R/row-b/cpu-seed0 ${THREADS[@]+\"${THREADS[@]}\"} ;;"))
        #expect(lines.contains("     exec \"$SPIKELAB\" run \(d)/a.yaml --profile cpu --out \(d)/R/row-a/cpu ${THREADS[@]+\"${THREADS[@]}\"} ;;"))
        // Bash accepts it.
        let path = fixture.write("job.sbatch", script)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-n", path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}

// MARK: - The command line

/// The repository root (this file is Tests/SpikeLabTests/TableSeedTests.swift).
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// Runs the built spikelab in `directory`: exit status, standard output, standard error.
private func spikelab(_ arguments: [String], in directory: String) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Executable.path!)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let logs = NSTemporaryDirectory() + "spikelab-seeds-" + UUID().uuidString
    FileManager.default.createFile(atPath: logs + ".out", contents: nil)
    FileManager.default.createFile(atPath: logs + ".err", contents: nil)
    defer { try? FileManager.default.removeItem(atPath: logs + ".out"); try? FileManager.default.removeItem(atPath: logs + ".err") }
    process.standardOutput = FileHandle(forWritingAtPath: logs + ".out")
    process.standardError = FileHandle(forWritingAtPath: logs + ".err")
    try process.run()
    process.waitUntilExit()
    return (process.terminationStatus, try String(contentsOfFile: logs + ".out", encoding: .utf8),
            try String(contentsOfFile: logs + ".err", encoding: .utf8))
}

@Suite("spikelab tables --seeds on the command line", .serialized,
       .enabled(if: Executable.path != nil, "needs the built spikelab executable (swift build --build-tests)"))
struct TableSeedCommandTests {
    @Test("the committed tables regenerate byte for byte: without --seeds (the demo table and a paper table made from results/runs) and with them (a seed table)")
    func unchangedWithoutSeeds() throws {
        let out = NSTemporaryDirectory() + "spikelab-seeds-out-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: out) }
        for (table, results, committed, name, seeds) in [
            ("experiments/demo/table.yaml", "results/demo/runs", "results/demo", "demo-neurons", nil),
            ("experiments/spikepack/conversion-cifar10.yaml", "results/runs", "results/tables", "spikepack-conversion-cifar10", nil),
            ("experiments/general-snn/cifar100.yaml", "results/runs", "results/tables", "general-snn-cifar100", "0,1,2"),
        ] as [(String, String, String, String, String?)] {
            let arguments = ["tables", table, "--profile", "cpu", "--results", results, "--out", out] + (seeds.map { ["--seeds", $0] } ?? [])
            let result = try spikelab(arguments, in: repositoryRoot)
            #expect(result.status == 0, "\(result.stderr)")
            for suffix in [".md", ".csv"] {
                let made = try String(contentsOfFile: out + "/" + name + suffix, encoding: .utf8)
                let expected = try String(contentsOfFile: repositoryRoot + "/" + committed + "/" + name + suffix, encoding: .utf8)
                #expect(made == expected, "\(name)\(suffix) differs from the committed file")
            }
        }
    }

    @Test("bad --seeds lists exit 2 with a message naming the problem, before any work")
    func badLists() throws {
        let cases: [(String, String)] = [
            ("", "error: --seeds: the list is empty"),
            ("1,,2", "error: --seeds: item 2 of '1,,2' is empty"),
            ("-1", "error: --seeds: item 1 of '-1' is -1, a negative number"),
            ("a", "error: --seeds: item 1 of 'a' is 'a', not an integer"),
            ("0,1,0", "error: --seeds: seed 0 is listed twice in '0,1,0'"),
        ]
        for (list, message) in cases {
            let result = try spikelab(["tables", "experiments/demo/table.yaml", "--profile", "cpu", "--seeds", list,
                                       "--out", NSTemporaryDirectory() + "never-written"], in: repositoryRoot)
            #expect(result.status == 2, "--seeds '\(list)'")
            #expect(result.stderr.hasPrefix(message), "--seeds '\(list)': \(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: NSTemporaryDirectory() + "never-written"))
    }

    @Test("--run-missing --seeds runs each missing seed (a seed run equals spikelab run --set seed=K), plots and exports every seed",
          .enabled(if: FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")))
    func runMissingSeeds() throws {
        let fixture = TableFixture()
        let d = fixture.directory
        fixture.write("a.yaml", """
        name: tiny-a
        data: {loader: fashion_mnist, batch_size: 16, subset: 64, test_subset: 32, prefetch: 0}
        model: {arch: spiking_cnn_28, width: 0.25}
        neuron: {variant: lif, time_steps: 2}
        training: {epochs: 2, optimizer: {kind: adam, lr: 0.001}}
        profiles:
          cpu: {}

        """)
        fixture.write("table.yaml", "paper: p\ntable: t\nrows:\n  - {row: A, manifest: a.yaml, reported: 50}\n")
        let result = try spikelab(["tables", "table.yaml", "--profile", "cpu", "--seeds", "0,1", "--run-missing", "--plot",
                                   "--results", "runs", "--export", "exported", "--out", "out", "--threads", "1"], in: d)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("[1/2] A (seed 0): spikelab run ") && result.stderr.contains("a.yaml --profile cpu --out runs/tiny-a/cpu\n"))
        #expect(result.stderr.contains("[2/2] A (seed 1): spikelab run ") && result.stderr.contains("a.yaml --profile cpu --set seed=1 --out runs/tiny-a/cpu-seed1\n"))
        let resolved = try String(contentsOfFile: d + "/runs/tiny-a/cpu-seed1/manifest.resolved.yaml", encoding: .utf8)
        #expect(resolved.contains("\nseed: 1\n") && resolved.contains("# overrides: --set seed=1\n"))
        for folder in ["cpu", "cpu-seed1"] {
            #expect(FileManager.default.fileExists(atPath: d + "/runs/tiny-a/\(folder)/curves.png"))
            let files = try FileManager.default.contentsOfDirectory(atPath: d + "/exported/tiny-a/\(folder)").sorted()
            #expect(files == ["curves.png", "manifest.resolved.yaml", "metrics.csv", "summary.json"])
        }
        let csv = try String(contentsOfFile: d + "/out/p-t.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(csv[0].hasSuffix(",seeds,seed_values,mean,sd,n,seed_status"))
        #expect(csv[1].contains(",exported/tiny-a/cpu,") && csv[1].hasSuffix(",2,done"))

        // The seed run is what `spikelab run --set seed=1` makes (same bits but for the timings);
        // seed 0's run is another.
        let direct = try spikelab(["run", "a.yaml", "--profile", "cpu", "--set", "seed=1", "--out", "direct", "--threads", "1"], in: d)
        #expect(direct.status == 0, "\(direct.stderr)")
        func untimed(_ directory: String) throws -> [String] {
            // epoch,step,lr,train_loss,train_top1,test_loss,test_top1,test_top5,firing_rate: the columns before the timings.
            try String(contentsOfFile: d + "/" + directory + "/metrics.csv", encoding: .utf8).split(separator: "\n")
                .map { $0.split(separator: ",").prefix(9).joined(separator: ",") }
        }
        #expect(try untimed("runs/tiny-a/cpu-seed1") == untimed("direct"))
        #expect(try untimed("runs/tiny-a/cpu-seed1") != untimed("runs/tiny-a/cpu"))

        // A second call has nothing to run; without --seeds the table is the one-seed table.
        let again = try spikelab(["tables", "table.yaml", "--profile", "cpu", "--seeds", "0,1", "--run-missing", "--results", "runs", "--out", "out"], in: d)
        #expect(again.status == 0 && again.stderr.contains("every row of table.yaml has a run (profile cpu, seeds 0,1); nothing to run"))
        let plain = try spikelab(["tables", "table.yaml", "--profile", "cpu", "--results", "runs", "--out", "plain"], in: d)
        #expect(plain.status == 0 && !plain.stdout.contains("mean ± sd"))
    }
}
