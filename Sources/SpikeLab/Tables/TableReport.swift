import Foundation

/// A table row with its manifest loaded under a profile and its run directory found.
public struct TableRowRun: Sendable {
    public let row: TableRow
    /// The row's manifest with the profile applied.
    public let manifest: Manifest
    /// `RESULTS/<name>/<profile>`, as `spikelab run` names it.
    public let directory: String
    /// The data of the manifest as written (the paper's setting), when a profile was applied;
    /// the table compares it with the profile's data to show substitutes (demo data for a
    /// dataset that is not on the machine).
    public var paperData: DataSettings? = nil
}

extension TableFile {
    /// Loads every row's manifest under `profile` (nil: the full setting) and names its run
    /// directory `resultsRoot/<name>/<profile or full>`. With a profile, the manifest as written
    /// (the paper's setting) is loaded and checked too, so the table can show which data the
    /// profile substitutes. A row whose task does not log the table's metric (a segmentation run
    /// in a test_top1 table) is an error too, so no run is started for a table it cannot fill.
    /// Every manifest error is thrown together, after a line naming the row it belongs to.
    public func runs(profile: String?, resultsRoot: String = "runs") throws(TableErrors) -> [TableRowRun] {
        var errors: [ManifestError] = []
        var runs: [TableRowRun] = []
        for (index, row) in rows.enumerated() {
            func load(_ profile: String?, failing phrase: String) -> Manifest? {
                do {
                    return try Manifest.load(contentsOf: row.manifest, profile: profile)
                } catch {
                    errors.append(ManifestError(row.location, keyPath: "rows[\(index)].manifest", .incompatible(
                        "'\(row.manifestAsWritten)' does not load\(phrase) (\(error.errors.count == 1 ? "error" : "errors") below)")))
                    errors += error.errors
                    return nil
                }
            }
            guard let manifest = load(profile, failing: profile.map { " with --profile \($0)" } ?? "") else { continue }
            var paperData = manifest.experiment.data
            if profile != nil {
                guard let paper = load(nil, failing: " as written (the paper's setting, which the table compares the profile's data with)") else { continue }
                paperData = paper.experiment.data
            }
            let task = manifest.experiment.task, columns = RunTaskColumns.all(for: task)
            if !columns.contains(metric.column) {
                let which = metric.tasks.map(\.rawValue).joined(separator: " or ")
                errors.append(ManifestError(row.location, keyPath: "rows[\(index)].manifest", .incompatible(
                    "'\(row.manifestAsWritten)' (row '\(row.label)') is a \(task.rawValue) run, whose metrics.csv has no column \(metric.column), the table's metric"
                    + " (only \(which) runs log it); its columns: \(columns.joined(separator: ", ")). Give this row a table whose metric is one of those columns")))
                continue
            }
            let directory = resultsRoot + "/" + manifest.experiment.name + "/" + (profile ?? "full")
            if let earlier = runs.firstIndex(where: { $0.directory == directory }) {
                errors.append(ManifestError(row.location, keyPath: "rows[\(index)].manifest", .incompatible(
                    "'\(row.manifestAsWritten)' has the name '\(manifest.experiment.name)', like rows[\(earlier)]'s manifest; both would run in \(directory), so give each manifest its own name")))
            }
            runs.append(TableRowRun(row: row, manifest: manifest, directory: directory, paperData: paperData))
        }
        guard errors.isEmpty else { throw TableErrors(path: path, errors: errors) }
        return runs
    }
}

/// One line of a generated table: the row, the number reported, the number reproduced.
public struct TableLine: Sendable, Equatable {
    public let label: String
    public let reported: Double?
    public let reportedText: String?
    public let reproduced: Double?
    /// reproduced − reported, when both are known.
    public let difference: Double?
    /// The profile the result came from (`full` without one).
    public let profile: String
    public let directory: String
    public let status: RunRecord.Status
    public let epochsCompleted: Int?
    public let epochsTotal: Int?
    /// The data the row's run reads under this profile: "loader at root", with any subsets.
    public let data: String
    /// The paper's data (the manifest as written) when the profile reads other data (another
    /// loader or root), e.g. a demo set standing in for a dataset that is not on the machine;
    /// nil when the profile reads the paper's data.
    public let substitutes: String?
    /// The table file's comment.
    public let comment: String?
    /// What the harness found: a partial run's state, changed settings, unreadable files.
    public let notes: [String]
    /// The finished run's energy per test sample and its ANN twin's, picojoules (nil before it finishes).
    public var energy: RunRecord.Energy? = nil
}

/// A table file joined with the results on disk.
public struct TableReport: Sendable, Equatable {
    public let table: TableFile
    public let profile: String
    /// The folder of run directories the results were read from (named in the Markdown's
    /// regenerate line when it is not the default `runs`).
    public let resultsRoot: String
    public let lines: [TableLine]

    /// Joins `table`'s rows with their run directories' results. A run whose metrics.csv lacks
    /// the table's metric is an error naming the table file, the row, the metric and the columns
    /// metrics.csv has (every such row at once; exit code 3, the results on disk are wrong).
    public init(table: TableFile, runs: [TableRowRun], profile: String?, resultsRoot: String = "runs") throws(TableErrors) {
        self.table = table
        self.profile = profile ?? "full"
        self.resultsRoot = resultsRoot
        var errors: [ManifestError] = []
        lines = runs.map { run in
            let record = RunRecord.read(run.directory)
            if !record.logs(table.metric), let index = table.rows.firstIndex(of: run.row) {
                errors.append(ManifestError(run.row.location, keyPath: "rows[\(index)]", .incompatible(
                    "row '\(run.row.label)': \(run.directory)/metrics.csv has no column \(table.metric.column), the table's metric; "
                    + "its columns: \(record.metrics.columns.joined(separator: ", ")). Is it another task's run, or from an older build? "
                    + "Remove the run directory and run the row again")))
            }
            var notes = record.notes
            if record.status == .partial { notes.insert(record.progressPhrase, at: 0) }
            if let used = record.manifestSHA256, used != run.manifest.sha256 {
                notes.append("the run's settings differ from the manifest's now (sha256 \(used.prefix(12))… vs \(run.manifest.sha256.prefix(12))…): rerun it to reproduce the current manifest")
            }
            let reproduced = record.value(of: table.metric, select: table.select)
            let difference = zip2(reproduced, run.row.reported).map { $0 - $1 }
            var line = TableLine(label: run.row.label, reported: run.row.reported, reportedText: run.row.reportedText,
                             reproduced: reproduced, difference: difference, profile: profile ?? "full",
                             directory: run.directory, status: record.status,
                             epochsCompleted: record.status == .missing ? nil : record.epochsCompleted,
                             epochsTotal: record.epochsTotal ?? run.manifest.experiment.training.epochs,
                             data: run.manifest.experiment.data.phrase(withSubsets: true),
                             substitutes: run.paperData.flatMap { paper in
                                 let used = run.manifest.experiment.data
                                 return paper.loader == used.loader && paper.root == used.root ? nil : paper.phrase(withSubsets: false)
                             },
                             comment: run.row.comment, notes: notes)
            if record.status == .done { line.energy = record.energy }
            return line
        }
        if !errors.isEmpty { throw TableErrors(path: table.path, errors: errors, concernsResults: true) }
    }

    /// How many rows have each status.
    public func count(_ status: RunRecord.Status) -> Int { lines.filter { $0.status == status }.count }
}

extension DataSettings {
    /// "cifar10 at datasets/demo/cifar10, train subset 1000, test subset 200".
    func phrase(withSubsets: Bool) -> String {
        var text = "\(loader.rawValue) at \(root)"
        if withSubsets {
            if let subset { text += ", train subset \(subset)" }
            if let testSubset { text += ", test subset \(testSubset)" }
        }
        return text
    }
}

private func zip2(_ a: Double?, _ b: Double?) -> (Double, Double)? {
    guard let a, let b else { return nil }
    return (a, b)
}
