import Foundation
import Testing
@testable import SpikeLab

// MARK: - Fixtures

/// A temporary directory with manifests, table files and fabricated run directories.
final class TableFixture {
    let directory: String

    init() {
        directory = NSTemporaryDirectory() + "spikelab-tables-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let path = directory + "/" + name
        try! FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        try! text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A valid manifest named `name` with a cpu profile.
    @discardableResult
    func manifest(_ file: String, name: String, variant: String = "lif") -> String {
        write(file, """
        name: \(name)
        data: {loader: fashion_mnist, batch_size: 32}
        model: {arch: spiking_cnn_28}
        neuron: {variant: \(variant)}
        training: {epochs: 3, optimizer: {kind: adam, lr: 0.001}}
        profiles:
          cpu: {data: {subset: 100}}

        """)
    }

    /// The error lines of loading the table `name`, this directory shown as `DIR`.
    func errors(_ name: String = "table.yaml") -> [String] {
        do {
            _ = try TableFile.load(contentsOf: directory + "/" + name)
            return []
        } catch {
            return error.errors.map { $0.description.replacingOccurrences(of: directory, with: "DIR") }
        }
    }

    func errors(of text: String) -> [String] {
        write("table.yaml", text)
        return errors()
    }

    /// Writes a run directory as the runner leaves it: metrics.csv with `epochs` rows of
    /// (train_top1, test_top1, test_loss), summary.json, and checkpoints/last.h5 when asked.
    func fabricateRun(_ directory: String, manifest: Manifest, epochs: [(train: Double, test: Double, loss: Double)],
                      total: Int, status: String, checkpoint: Bool = true, sha: String? = nil, message: String? = nil,
                      energy: (pj: Double, annPJ: Double)? = nil) {
        let fm = FileManager.default
        try! fm.createDirectory(atPath: directory + "/checkpoints", withIntermediateDirectories: true)
        let rows = epochs.enumerated().map { i, e in
            EpochMetrics(epoch: i + 1, step: 10 * (i + 1), lr: 0.001, trainLoss: e.loss + 0.1, trainTop1: e.train,
                         testLoss: e.loss, testTop1: e.test, testTop5: 0.99, firingRate: 0.125, epochSeconds: 2,
                         imagesPerSecond: 50)
        }
        try! MetricsLog(path: directory + "/metrics.csv").rewrite(rows)
        var summary: [String: Any] = ["name": manifest.experiment.name, "status": status, "profile": manifest.profile ?? "full",
                                      "epochs_total": total, "epochs_completed": epochs.count,
                                      "manifest_sha256": sha ?? manifest.sha256]
        if let message { summary["message"] = message }
        if let energy { summary["energy"] = ["energy_pj_per_sample": energy.pj, "ann_energy_pj_per_sample": energy.annPJ] }
        try! JSONSerialization.data(withJSONObject: summary).write(to: URL(fileURLWithPath: directory + "/summary.json"))
        if checkpoint { _ = fm.createFile(atPath: directory + "/checkpoints/last.h5", contents: Data([0])) }
    }
}

// MARK: - Table files that are refused

@Suite("Table files that are refused, with errors a user can act on")
struct TableFileErrorTests {
    @Test("unknown keys, a bad metric, a quoted number, a missing reported and an out-of-range number are all reported at once")
    func manyErrors() {
        let fixture = TableFixture()
        fixture.manifest("a.yaml", name: "a")
        let errors = fixture.errors(of: """
        paper: demo
        tabel: neurons
        metric: test_top2
        rows:
          - row: A
            manifest: a.yaml
            reported: "91.2"
          - row: B
            manifest: a.yaml
          - row: C
            manifest: missing.yaml
            reported: 120
            note: x

        """)
        #expect(errors == [
            "DIR/table.yaml:1:1: table: required key is missing",
            "DIR/table.yaml:2:1: tabel: unknown key 'tabel'; did you mean 'table'?; allowed here: paper, table, title, metric, select, rows",
            "DIR/table.yaml:3:9: metric: 'test_top2' is not allowed; did you mean 'test_top1'?; allowed: test_top1, test_top5, test_loss, train_top1, train_loss, firing_rate, test_map50, test_map, test_miou, test_pixel_acc, train_pixel_acc",
            "DIR/table.yaml:7:15: rows[0].reported: expected a number, or null when the paper's number is unknown, found the quoted text '91.2'",
            "DIR/table.yaml:8:5: rows[1].reported: required key is missing (write reported: null when the paper's number is unknown)",
            "DIR/table.yaml:11:15: rows[2].manifest: 'missing.yaml' does not exist; manifest paths are relative to the table file's directory (looked for DIR/missing.yaml)",
            "DIR/table.yaml:13:5: rows[2].note: unknown key 'note'; allowed here: row, manifest, reported, comment",
        ])
    }

    @Test("a percent metric allows reported numbers from 0 to 100 and says so")
    func percentRange() {
        let fixture = TableFixture()
        fixture.manifest("a.yaml", name: "a")
        #expect(fixture.errors(of: """
        paper: demo
        table: t
        rows:
          - {row: A, manifest: a.yaml, reported: 101.5}

        """) == [
            "DIR/table.yaml:4:42: rows[0].reported: 101.5 is out of range; allowed: a number 0 <= x <= 100 (percent), or null when the paper's number is unknown",
        ])
    }

    @Test("repeated row labels and manifests are refused, naming the earlier row")
    func duplicates() {
        let fixture = TableFixture()
        fixture.manifest("a.yaml", name: "a")
        fixture.manifest("b.yaml", name: "b")
        #expect(fixture.errors(of: """
        paper: demo
        table: t
        rows:
          - {row: A, manifest: a.yaml, reported: null}
          - {row: A, manifest: b.yaml, reported: null}
          - {row: C, manifest: ./a.yaml, reported: null}

        """) == [
            "DIR/table.yaml:5:11: rows[1].row: 'A' is already the label of rows[0]; each row label appears once",
            "DIR/table.yaml:6:24: rows[2].manifest: './a.yaml' is already the manifest of rows[0]; two rows would share one run",
        ])
    }

    @Test("an empty file, a list at the top, YAML syntax and an empty rows list are refused")
    func shapes() {
        let fixture = TableFixture()
        #expect(fixture.errors(of: "") == ["DIR/table.yaml: the table file is empty; it must be a map with paper, table and rows"])
        #expect(fixture.errors(of: "- a\n- b\n") == [
            "DIR/table.yaml:1:1: the top level of a table file must be a map (paper: ..., table: ..., rows: [...]), found a list",
        ])
        #expect(fixture.errors(of: "paper: demo\ntable: [t\n")[0].hasPrefix("DIR/table.yaml:3:1: YAML syntax error: "))
        #expect(fixture.errors(of: "paper: demo\ntable: t\nrows: []\n") == [
            "DIR/table.yaml:3:7: rows: expected a list of 1 or more rows, found an empty list",
        ])
        #expect(fixture.errors(of: "paper: demo\ntable: t\nrows: {row: A}\n") == [
            "DIR/table.yaml:3:7: rows: expected a list of rows, each {row: ..., manifest: ..., reported: ...}, found a map",
        ])
        #expect(fixture.errors(of: "paper: my paper\ntable: t\nrows:\n  - 3\n") == [
            "DIR/table.yaml:1:8: paper: expected a name (letters, digits, '.', '_', '-', '+'), found 'my paper'",
            "DIR/table.yaml:4:5: rows[0]: expected a map {row: ..., manifest: ..., reported: ...}, found '3'",
        ])
        #expect(fixture.errors("nowhere.yaml") == ["'DIR/nowhere.yaml' does not exist; no table file there"])
    }

    @Test("firing_rate has no best epoch, so select best is refused")
    func firingRateSelect() throws {
        let fixture = TableFixture()
        fixture.manifest("a.yaml", name: "a")
        #expect(fixture.errors(of: "paper: p\ntable: t\nmetric: firing_rate\nselect: best\nrows:\n  - {row: A, manifest: a.yaml, reported: 0.2}\n") == [
            "DIR/table.yaml:4:9: select: firing_rate has no best epoch; use select: final",
        ])
        fixture.write("table.yaml", "paper: p\ntable: t\nmetric: firing_rate\nrows:\n  - {row: A, manifest: a.yaml, reported: 0.2}\n")
        let table = try TableFile.load(contentsOf: fixture.directory + "/table.yaml")
        #expect(table.select == .final && table.metric == .firingRate)
    }

    @Test("a row whose manifest does not load is named, followed by the manifest's own errors")
    func badRowManifest() throws {
        let fixture = TableFixture()
        fixture.manifest("a.yaml", name: "a")
        fixture.write("b.yaml", "name: b\ndata: {loader: fashion_mnist, batch_size: 0}\nmodel: {arch: spiking_cnn_28}\ntraining: {epochs: 1, optimizer: {lr: 0.1}}\n")
        fixture.write("table.yaml", "paper: p\ntable: t\nrows:\n  - {row: A, manifest: a.yaml, reported: null}\n  - {row: B, manifest: b.yaml, reported: null}\n")
        let table = try TableFile.load(contentsOf: fixture.directory + "/table.yaml")
        do {
            _ = try table.runs(profile: "cpu")
            Issue.record("the bad manifest must be reported")
        } catch {
            #expect(error.exitCode == 2)
            #expect(error.errors.map { $0.description.replacingOccurrences(of: fixture.directory, with: "DIR") } == [
                "DIR/table.yaml:5:5: rows[1].manifest: 'b.yaml' does not load with --profile cpu (error below)",
                "--profile cpu: unknown profile 'cpu'; this manifest defines no profiles",
            ])
        }
        do {
            _ = try table.runs(profile: nil)
            Issue.record("the bad manifest must be reported")
        } catch {
            #expect(error.errors.map { $0.description.replacingOccurrences(of: fixture.directory, with: "DIR") } == [
                "DIR/table.yaml:5:5: rows[1].manifest: 'b.yaml' does not load (error below)",
                "DIR/b.yaml:2:43: data.batch_size: 0 is out of range; allowed: an integer >= 1",
            ])
        }
    }

    @Test("two manifests with the same name would share a run directory and are refused")
    func sharedRunDirectory() throws {
        let fixture = TableFixture()
        fixture.manifest("a.yaml", name: "same")
        fixture.manifest("b.yaml", name: "same", variant: "if")
        fixture.write("table.yaml", "paper: p\ntable: t\nrows:\n  - {row: A, manifest: a.yaml, reported: null}\n  - {row: B, manifest: b.yaml, reported: null}\n")
        let table = try TableFile.load(contentsOf: fixture.directory + "/table.yaml")
        #expect(throws: TableErrors.self) { try table.runs(profile: "cpu", resultsRoot: "R") }
        do { _ = try table.runs(profile: "cpu", resultsRoot: "R") } catch {
            #expect(error.errors.map(\.description).map { $0.replacingOccurrences(of: fixture.directory, with: "DIR") } == [
                "DIR/table.yaml:5:5: rows[1].manifest: 'b.yaml' has the name 'same', like rows[0]'s manifest; both would run in R/same/cpu, so give each manifest its own name",
            ])
        }
    }
}

// MARK: - Joining results with reported numbers

@Suite("Tables join reported numbers with the runs on disk")
struct TableJoinTests {
    /// Rows A (done), B (interrupted, resumable), C (missing) with fabricated runs under R.
    private func threeRows(select: String = "best") throws -> (TableFixture, TableFile, [TableRowRun]) {
        let fixture = TableFixture()
        fixture.manifest("a.yaml", name: "row-a")
        fixture.manifest("b.yaml", name: "row-b", variant: "if")
        fixture.manifest("c.yaml", name: "row-c", variant: "plif")
        fixture.write("table.yaml", """
        paper: demo
        table: neurons
        title: Three rows
        select: \(select)
        rows:
          - row: A, done
            manifest: a.yaml
            reported: 91.0
            comment: from the paper's Table 2
          - row: B
            manifest: b.yaml
            reported: null
          - row: C
            manifest: c.yaml
            reported: 88.25

        """)
        let table = try TableFile.load(contentsOf: fixture.directory + "/table.yaml")
        let runs = try table.runs(profile: "cpu", resultsRoot: fixture.directory + "/R")
        fixture.fabricateRun(runs[0].directory, manifest: runs[0].manifest,
                             epochs: [(0.80, 0.85, 0.5), (0.90, 0.90, 0.3), (0.95, 0.88, 0.35)], total: 3, status: "finished")
        fixture.fabricateRun(runs[1].directory, manifest: runs[1].manifest, epochs: [(0.70, 0.75, 0.7)], total: 3,
                             status: "interrupted")
        return (fixture, table, runs)
    }

    @Test("run directories are RESULTS/<name>/<profile>, as spikelab run names them")
    func directories() throws {
        let (fixture, _, runs) = try threeRows()
        defer { withExtendedLifetime(fixture) {} }
        #expect(runs.map(\.directory) == ["row-a", "row-b", "row-c"].map { fixture.directory + "/R/\($0)/cpu" })
        let table = try TableFile.load(contentsOf: fixture.directory + "/table.yaml")
        #expect(try table.runs(profile: nil).map(\.directory) == ["runs/row-a/full", "runs/row-b/full", "runs/row-c/full"])
    }

    @Test("status is done, partial or missing; reproduced is the best epoch and difference is reproduced minus reported")
    func join() throws {
        let (fixture, table, runs) = try threeRows()
        defer { withExtendedLifetime(fixture) {} }
        let report = try TableReport(table: table, runs: runs, profile: "cpu")
        #expect(report.lines.map(\.status) == [.done, .partial, .missing])
        #expect(report.lines.map(\.reproduced) == [90.0, 75.0, nil])
        #expect(report.lines[0].difference.map { abs($0 - -1.0) < 1e-9 } == true)
        #expect(report.lines[1].difference == nil && report.lines[2].difference == nil)
        #expect(report.lines.map(\.epochsCompleted) == [3, 1, nil])
        #expect(report.lines.map(\.epochsTotal) == [3, 3, 3])
        #expect(report.lines.map(\.notes) == [[], ["interrupted after epoch 1 of 3"], []])
        #expect(report.count(.done) == 1 && report.count(.partial) == 1 && report.count(.missing) == 1)
    }

    @Test("select final takes the last epoch")
    func finalEpoch() throws {
        let (fixture, table, runs) = try threeRows(select: "final")
        defer { withExtendedLifetime(fixture) {} }
        let report = try TableReport(table: table, runs: runs, profile: "cpu")
        #expect(report.lines[0].reproduced.map { abs($0 - 88.0) < 1e-9 } == true)
        #expect(report.lines[0].difference.map { abs($0 - -3.0) < 1e-9 } == true)
    }

    @Test("a run whose settings differ from the manifest now is flagged, and a failed run is partial with its message")
    func staleAndFailed() throws {
        let (fixture, table, runs) = try threeRows()
        defer { withExtendedLifetime(fixture) {} }
        try FileManager.default.removeItem(atPath: runs[0].directory)
        fixture.fabricateRun(runs[0].directory, manifest: runs[0].manifest, epochs: [(0.8, 0.85, 0.5)], total: 3,
                             status: "finished", sha: String(repeating: "ab", count: 32))
        fixture.fabricateRun(runs[2].directory, manifest: runs[2].manifest, epochs: [(0.1, 0.1, 2.3)], total: 3,
                             status: "failed", message: "the training loss became nan")
        let report = try TableReport(table: table, runs: runs, profile: "cpu")
        #expect(report.lines[0].status == .partial)
        #expect(report.lines[0].notes == [
            "finished, epoch 1 of 3",
            "summary.json says finished, but metrics.csv holds 1 of 3 epochs",
            "the run's settings differ from the manifest's now (sha256 abababababab… vs \(runs[0].manifest.sha256.prefix(12))…): rerun it to reproduce the current manifest",
        ])
        #expect(report.lines[2].status == .partial)
        #expect(report.lines[2].notes == ["failed after epoch 1 of 3: the training loss became nan"])
    }

    @Test("the CSV has one quoted-where-needed line per row with empty fields for unknown numbers")
    func csv() throws {
        let (fixture, table, runs) = try threeRows()
        defer { withExtendedLifetime(fixture) {} }
        let text = try TableWriter.csv(TableReport(table: table, runs: runs, profile: "cpu"))
        let r = fixture.directory + "/R", f = "fashion_mnist at /usr/share/datasets/fashion-mnist"
        #expect(text == """
        row,reported,reproduced,difference,metric,select,profile,status,epochs,data,substitutes,run_directory,comment,note,energy_uj_per_sample,ann_energy_ratio
        "A, done",91.0,90.00,-1.00,test_top1,best,cpu,done,3/3,"\(f), train subset 100",,\(r)/row-a/cpu,from the paper's Table 2,,,
        B,,75.00,,test_top1,best,cpu,partial,1/3,"\(f), train subset 100",,\(r)/row-b/cpu,,interrupted after epoch 1 of 3,,
        C,88.25,,,test_top1,best,cpu,missing,,"\(f), train subset 100",,\(r)/row-c/cpu,,,,

        """)
    }

    @Test("the Markdown table shows dashes for unknowns, then comments and notes, then the row counts")
    func markdown() throws {
        let (fixture, table, runs) = try threeRows()
        defer { withExtendedLifetime(fixture) {} }
        let text = try TableWriter.markdown(TableReport(table: table, runs: runs, profile: "cpu"))
        let r = fixture.directory + "/R", t = fixture.directory + "/table.yaml"
        let f = "fashion_mnist at /usr/share/datasets/fashion-mnist"
        #expect(text == """
        # demo / neurons: Three rows

        Best-epoch test top-1 accuracy (%); profile `cpu`. Reported numbers from `\(t)` (— where unknown). Difference = reproduced − reported.
        Regenerate: `spikelab tables \(t) --profile cpu`.

        | row | reported | reproduced | difference | profile | status | epochs | data | run directory |
        |---|---:|---:|---:|---|---|---:|---|---|
        | A, done | 91.0 | 90.00 | -1.00 | cpu | done | 3/3 | \(f), train subset 100 | `\(r)/row-a/cpu` |
        | B | — | 75.00 | — | cpu | partial | 1/3 | \(f), train subset 100 | `\(r)/row-b/cpu` |
        | C | 88.25 | — | — | cpu | missing | — | \(f), train subset 100 | `\(r)/row-c/cpu` |

        - **A, done**: from the paper's Table 2
        - **B**: interrupted after epoch 1 of 3

        Rows: 1 done, 1 partial, 1 missing.

        """)
        let elsewhere = try TableWriter.markdown(TableReport(table: table, runs: runs, profile: "cpu", resultsRoot: "elsewhere"))
        #expect(elsewhere.contains("Regenerate: `spikelab tables \(t) --profile cpu --results elsewhere`.\n"))
    }

    @Test("a profile that reads other data than the manifest as written is shown as a substitute, in the CSV and the Markdown")
    func substitutes() throws {
        let fixture = TableFixture()
        fixture.write("events.yaml", """
        name: events
        data: {loader: cifar10_dvs, root: datasets/cifar10_dvs, split: per_class_first_90, batch_size: 8, resize: 32}
        model: {arch: dvs_vgg}
        neuron: {variant: lif, time_steps: 4}
        training: {epochs: 3, optimizer: {kind: adam, lr: 0.001}}
        profiles:
          cpu: {data: {loader: nmnist, root: datasets/demo/nmnist, split: null, test_subset: 50}}
          small: {data: {subset: 10}}

        """)
        fixture.manifest("same.yaml", name: "same")
        fixture.write("table.yaml", "paper: p\ntable: t\nrows:\n  - {row: E, manifest: events.yaml, reported: 80}\n  - {row: S, manifest: same.yaml, reported: null}\n")
        let table = try TableFile.load(contentsOf: fixture.directory + "/table.yaml")
        let report = try TableReport(table: table, runs: try table.runs(profile: "cpu", resultsRoot: "R"), profile: "cpu")
        #expect(report.lines.map(\.data) == ["nmnist at datasets/demo/nmnist, test subset 50",
                                             "fashion_mnist at /usr/share/datasets/fashion-mnist, train subset 100"])
        #expect(report.lines.map(\.substitutes) == ["cifar10_dvs at datasets/cifar10_dvs", nil])
        let csv = TableWriter.csv(report).split(separator: "\n").map(String.init)
        #expect(csv[1] == "E,80,,,test_top1,best,cpu,missing,,\"nmnist at datasets/demo/nmnist, test subset 50\",cifar10_dvs at datasets/cifar10_dvs,R/events/cpu,,,,")
        let markdown = TableWriter.markdown(report)
        #expect(markdown.contains("| E | 80 | — | — | cpu | missing | — | nmnist at datasets/demo/nmnist, test subset 50 instead of cifar10_dvs at datasets/cifar10_dvs | `R/events/cpu` |\n"))
        #expect(markdown.contains("\"instead of\" names the paper's data"))

        // Only a subset (same loader and root) is no substitute; the full setting reads the paper's data.
        let oneRow = try TableFile.load(yaml: "paper: p\ntable: t\nrows:\n  - {row: E, manifest: events.yaml, reported: 80}\n",
                                        path: fixture.directory + "/t2.yaml")
        let subsetOnly = try TableReport(table: oneRow, runs: try oneRow.runs(profile: "small", resultsRoot: "R"), profile: "small")
        #expect(subsetOnly.lines.map(\.substitutes) == [nil])
        #expect(subsetOnly.lines.map(\.data) == ["cifar10_dvs at datasets/cifar10_dvs, train subset 10"])
        let full = try TableReport(table: oneRow, runs: try oneRow.runs(profile: nil, resultsRoot: "R"), profile: nil)
        #expect(full.lines.map(\.substitutes) == [nil])
        #expect(!TableWriter.markdown(full).contains("instead of"))
    }

    @Test("a full setting that does not load is reported even when the profile loads")
    func brokenFullSetting() throws {
        let fixture = TableFixture()
        // The cpu profile repairs the batch size the manifest as written gets wrong.
        fixture.write("a.yaml", "name: a\ndata: {loader: fashion_mnist, batch_size: 0}\nmodel: {arch: spiking_cnn_28}\ntraining: {epochs: 1, optimizer: {lr: 0.1}}\nprofiles:\n  cpu: {data: {batch_size: 4}}\n")
        fixture.write("table.yaml", "paper: p\ntable: t\nrows:\n  - {row: A, manifest: a.yaml, reported: null}\n")
        let table = try TableFile.load(contentsOf: fixture.directory + "/table.yaml")
        do {
            _ = try table.runs(profile: "cpu")
            Issue.record("the broken full setting must be reported")
        } catch {
            #expect(error.errors.map { $0.description.replacingOccurrences(of: fixture.directory, with: "DIR") } == [
                "DIR/table.yaml:4:5: rows[0].manifest: 'a.yaml' does not load as written (the paper's setting, which the table compares the profile's data with) (error below)",
                "DIR/a.yaml:2:43: data.batch_size: 0 is out of range; allowed: an integer >= 1",
            ])
        }
    }

    @Test("write puts <paper>-<table>.csv and .md in the output folder")
    func writeFiles() throws {
        let (fixture, table, runs) = try threeRows()
        defer { withExtendedLifetime(fixture) {} }
        let report = try TableReport(table: table, runs: runs, profile: "cpu")
        let paths = try TableWriter.write(report, to: fixture.directory + "/out/tables")
        #expect(paths.csv == fixture.directory + "/out/tables/demo-neurons.csv")
        #expect(paths.markdown == fixture.directory + "/out/tables/demo-neurons.md")
        #expect(try String(contentsOfFile: paths.csv, encoding: .utf8) == TableWriter.csv(report))
        #expect(try String(contentsOfFile: paths.markdown, encoding: .utf8) == TableWriter.markdown(report))
    }

    @Test("export copies the small files of each run, never checkpoints, and the table then points at the copies")
    func export() throws {
        let (fixture, table, runs) = try threeRows()
        defer { withExtendedLifetime(fixture) {} }
        let exported = try RunExport.copy(runs, to: fixture.directory + "/results", profile: "cpu")
        #expect(exported.map(\.directory) == [fixture.directory + "/results/row-a/cpu", fixture.directory + "/results/row-b/cpu",
                                              runs[2].directory])
        let files = try FileManager.default.contentsOfDirectory(atPath: exported[0].directory).sorted()
        #expect(files == ["metrics.csv", "summary.json"])
        #expect(try TableReport(table: table, runs: exported, profile: "cpu").lines.map(\.reproduced)
                == TableReport(table: table, runs: runs, profile: "cpu").lines.map(\.reproduced))
    }
}

// MARK: - Running what is missing

@Suite("Rows without a finished run are planned, run or written as a Slurm array")
struct TableRunPlanTests {
    @Test("missing rows start, resumable partial rows resume, failed and checkpoint-less ones are skipped with the reason")
    func plan() throws {
        let fixture = TableFixture()
        for (i, name) in ["a", "b", "c", "d", "e"].enumerated() { fixture.manifest("\(name).yaml", name: "row-\(name)", variant: ["lif", "if", "plif", "lif", "if"][i]) }
        fixture.write("table.yaml", "paper: p\ntable: t\nrows:\n" + ["a", "b", "c", "d", "e"].map {
            "  - {row: \($0.uppercased()), manifest: \($0).yaml, reported: null}\n"
        }.joined())
        let table = try TableFile.load(contentsOf: fixture.directory + "/table.yaml")
        let runs = try table.runs(profile: "cpu", resultsRoot: "R-" + UUID().uuidString)
        let root = fixture.directory + "/R"
        let located = runs.map { TableRowRun(row: $0.row, manifest: $0.manifest, directory: root + "/" + $0.manifest.experiment.name + "/cpu") }
        fixture.fabricateRun(located[0].directory, manifest: located[0].manifest, epochs: [(0.9, 0.9, 0.3)], total: 1, status: "finished")
        fixture.fabricateRun(located[1].directory, manifest: located[1].manifest, epochs: [(0.9, 0.9, 0.3)], total: 3, status: "interrupted")
        fixture.fabricateRun(located[3].directory, manifest: located[3].manifest, epochs: [], total: 3, status: "running", checkpoint: false)
        fixture.fabricateRun(located[4].directory, manifest: located[4].manifest, epochs: [(0.1, 0.1, 2)], total: 3, status: "failed",
                             message: "loss nan")
        let plan = RunPlan(runs: located, profile: "cpu")
        #expect(plan.pending.map(\.label) == ["B", "C"])
        #expect(plan.pending.map(\.run) == [
            .resume(directory: root + "/row-b/cpu"),
            .start(manifest: fixture.directory + "/c.yaml", profile: "cpu", directory: root + "/row-c/cpu"),
        ])
        #expect(plan.skipped.map(\.label) == ["D", "E"])
        #expect(plan.skipped.map(\.reason) == [
            "running or killed after epoch 0 of 3 and has no checkpoints/last.h5 to resume from; remove \(root)/row-d/cpu to start it again",
            "failed after epoch 1 of 3: loss nan; remove \(root)/row-e/cpu to start it again",
        ])
    }

    @Test("the Slurm script is valid bash with one array task per pending row, each running the planned command")
    func slurm() throws {
        let fixture = TableFixture()
        fixture.manifest("it's a.yaml", name: "row-a")
        fixture.manifest("b.yaml", name: "row-b", variant: "if")
        fixture.write("table.yaml", "paper: demo\ntable: t\nrows:\n  - {row: A, manifest: \"it's a.yaml\", reported: null}\n  - {row: B, manifest: b.yaml, reported: 80}\n")
        let table = try TableFile.load(contentsOf: fixture.directory + "/table.yaml")
        let runs = try table.runs(profile: "cpu", resultsRoot: fixture.directory + "/R")
        fixture.fabricateRun(runs[1].directory, manifest: runs[1].manifest, epochs: [(0.5, 0.5, 1)], total: 3, status: "interrupted")
        let plan = RunPlan(runs: runs, profile: "cpu")
        let script = SlurmScript.text(plan: plan, table: table, profile: "cpu", executable: "/opt/spikelab",
                                      workingDirectory: fixture.directory, sbatchOptions: ["--time=02:00:00"])
        let lines = script.split(separator: "\n").map(String.init)
        #expect(lines.first == "#!/bin/bash")
        #expect(lines.contains("#SBATCH --job-name=demo-t-cpu"))
        #expect(lines.contains("#SBATCH --array=0-1"))
        #expect(lines.contains("#SBATCH --time=02:00:00"))
        #expect(lines.contains("SPIKELAB=\"${SPIKELAB:-/opt/spikelab}\""))
        let path = fixture.write("job.sbatch", script)

        // Each task runs its row's command: with SPIKELAB=echo the script prints it.
        func task(_ id: String, cpus: String? = nil) throws -> (status: Int32, output: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [path]
            var environment = ["PATH": "/usr/bin:/bin", "SPIKELAB": "/bin/echo", "SLURM_ARRAY_TASK_ID": id]
            if let cpus { environment["SLURM_CPUS_PER_TASK"] = cpus }
            process.environment = environment
            let pipe = Pipe(), errors = Pipe()
            process.standardOutput = pipe
            process.standardError = errors
            try process.run()
            process.waitUntilExit()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                + String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            return (process.terminationStatus, out)
        }
        let d = fixture.directory
        #expect(try task("0") == (0, "run \(d)/it's a.yaml --profile cpu --out \(d)/R/row-a/cpu\n"))
        #expect(try task("0", cpus: "8") == (0, "run \(d)/it's a.yaml --profile cpu --out \(d)/R/row-a/cpu --threads 8\n"))
        #expect(try task("1") == (0, "resume \(d)/R/row-b/cpu\n"))
        #expect(try task("2") == (2, "no row for array task 2 (0-1)\n"))
    }
}

// MARK: - The demo table and real runs

/// The repository root (this file is Tests/SpikeLabTests/TableTests.swift).
private let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

private let fashionMNISTInstalled = FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")

@Suite("The demo table, and tables over real runs")
struct DemoTableTests {
    @Test("the demo table loads; its ANN, IF, LIF and PLIF rows resolve under the cpu profile to their own run directories")
    func demoTable() throws {
        let table = try TableFile.load(contentsOf: repositoryRoot + "/experiments/demo/table.yaml")
        #expect(table.outputName == "demo-neurons" && table.metric == .testTop1 && table.select == .best)
        let runs = try table.runs(profile: "cpu")
        #expect(runs.map(\.row.label) == ["ANN (ReLU)", "IF", "LIF", "PLIF"])
        #expect(runs.map(\.directory) == ["ann", "if", "lif", "plif"].map { "runs/demo-fashion-mnist-\($0)/cpu" })
        let experiments = runs.map(\.manifest.experiment)
        #expect(experiments.map(\.neuron.variant) == [.relu, .if, .lif, .plif])
        #expect(experiments.map(\.training.mode) == [.ann, .direct, .direct, .direct])
        #expect(experiments.map(\.neuron.timeSteps) == [1, 4, 4, 4])
        // One base: every row trains the same network on the same data the same way.
        #expect(experiments.allSatisfy { $0.data == experiments[0].data && $0.model == experiments[0].model })
        #expect(experiments.allSatisfy { $0.training.epochs == 2 && $0.training.optimizer == experiments[0].training.optimizer })
        #expect(experiments.allSatisfy { $0.model.arch == .spikingCNN28 && $0.data.loader == .fashionMNIST })
    }

    @Test("--run-missing on real Fashion-MNIST: a stopped row resumes, a missing one runs, and the table shows both done",
          .enabled(if: fashionMNISTInstalled))
    func runMissing() throws {
        let fixture = TableFixture()
        for name in ["a", "b"] {
            fixture.write("\(name).yaml", """
            name: tiny-\(name)
            data: {loader: fashion_mnist, batch_size: 16, subset: 64, test_subset: 32, prefetch: 0}
            model: {arch: spiking_cnn_28, width: 0.25}
            neuron: {variant: \(name == "a" ? "lif" : "if"), time_steps: 2}
            training: {epochs: 2, optimizer: {kind: adam, lr: 0.001}}
            profiles:
              cpu: {}

            """)
        }
        fixture.write("table.yaml", "paper: p\ntable: t\nrows:\n  - {row: A, manifest: a.yaml, reported: 50}\n  - {row: B, manifest: b.yaml, reported: null}\n")
        let table = try TableFile.load(contentsOf: fixture.directory + "/table.yaml")
        let runs = try table.runs(profile: "cpu", resultsRoot: fixture.directory + "/runs")
        let quiet = ProgressReporter(output: FileHandle(forWritingAtPath: "/dev/null")!, interactive: false)

        // Row A stops after 5 of its 8 steps, as if interrupted: partial, with a checkpoint.
        let stopped = try Runner.start(runs[0].manifest, directory: runs[0].directory,
                                       options: RunOptions(progress: quiet, stopAfterSteps: 5, handleSignals: false))
        #expect(try stopped.run() == .interrupted)
        var report = try TableReport(table: table, runs: runs, profile: "cpu")
        #expect(report.lines.map(\.status) == [.partial, .missing])
        #expect(report.lines[0].epochsCompleted == 1)

        let plan = RunPlan(runs: runs, profile: "cpu")
        #expect(plan.pending.map(\.run) == [.resume(directory: runs[0].directory),
                                            .start(manifest: runs[1].row.manifest, profile: "cpu", directory: runs[1].directory)])
        try plan.checkData(runs: runs, table: table)
        var logged: [String] = []
        let outcome = plan.execute(runs: runs, options: RunOptions(progress: quiet, handleSignals: false)) { logged.append($0) }
        #expect(outcome.finished == ["A", "B"] && outcome.failed.isEmpty && !outcome.interrupted)
        #expect(logged.count == 2 && logged[0].hasPrefix("[1/2] A: spikelab resume "))

        report = try TableReport(table: table, runs: runs, profile: "cpu")
        #expect(report.lines.map(\.status) == [.done, .done])
        #expect(report.lines.map(\.epochsCompleted) == [2, 2])
        let history = try MetricsLog.read(runs[0].directory + "/metrics.csv")
        let best = history.map { 100 * $0.testTop1 }.max()!
        #expect(report.lines[0].reproduced == best)
        #expect(report.lines[0].difference == best - 50)
        #expect(RunPlan(runs: runs, profile: "cpu").pending.isEmpty)
        let png = try LearningCurves.write(runDirectory: runs[1].directory)
        #expect(FileManager.default.fileExists(atPath: png))
    }
}

@Suite("Energy in tables")
struct TableEnergyTests {
    @Test("a finished run's energy per sample and its ANN twin's ratio appear in the CSV and the Markdown; a partial run shows none")
    func energyColumns() throws {
        let fixture = TableFixture()
        fixture.manifest("a.yaml", name: "row-a")
        fixture.manifest("b.yaml", name: "row-b", variant: "if")
        fixture.write("table.yaml", "paper: p\ntable: t\nrows:\n  - {row: A, manifest: a.yaml, reported: null}\n  - {row: B, manifest: b.yaml, reported: null}\n")
        let table = try TableFile.load(contentsOf: fixture.directory + "/table.yaml")
        let runs = try table.runs(profile: "cpu", resultsRoot: fixture.directory + "/R")
        fixture.fabricateRun(runs[0].directory, manifest: runs[0].manifest, epochs: [(0.5, 0.5, 1.0)], total: 1,
                             status: "finished", energy: (pj: 2_500_000, annPJ: 10_000_000))
        fixture.fabricateRun(runs[1].directory, manifest: runs[1].manifest, epochs: [(0.5, 0.5, 1.0)], total: 2,
                             status: "interrupted", energy: (pj: 1, annPJ: 2))
        let report = try TableReport(table: table, runs: runs, profile: "cpu")
        #expect(report.lines.map { $0.energy?.picojoules } == [2_500_000, nil])
        let csv = TableWriter.csv(report).split(separator: "\n").map(String.init)
        #expect(csv[1].hasSuffix(",2.5000,4.000") && csv[2].hasSuffix(",,"))
        let markdown = TableWriter.markdown(report)
        #expect(markdown.contains("| energy µJ | ANN / this |"))
        #expect(markdown.contains("| 2.50 | 4.00× |") && markdown.contains("| — | — |"))
    }
}
