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
    /// With `--seeds`: the seed this run trains with; nil for a table of one seed (the manifest's).
    public var seed: Int? = nil
    /// Whether `seed` replaces the manifest's own seed (`--set seed=K`, run directory
    /// `<profile>-seed<K>`); false for the manifest's own seed, whose run is the ordinary
    /// `<profile>` directory.
    public var overridesSeed = false

    /// The row's label, with the seed when the table is made over several seeds.
    public var label: String { row.label + (seed.map { " (seed \($0))" } ?? "") }

    /// The `--set` arguments this run needs beyond its profile: `seed=K` when it overrides the seed.
    public var overrides: [String] { overridesSeed ? seed.map { ["seed=\($0)"] } ?? [] : [] }

    /// The run directory's last component: `<profile or full>`, or `<profile or full>-seed<K>`
    /// for a seed other than the manifest's own.
    public static func folder(profile: String?, seed: Int?) -> String {
        (profile ?? "full") + (seed.map { "-seed\($0)" } ?? "")
    }
}

extension TableFile {
    /// Loads every row's manifest under `profile` (nil: the full setting) and names its run
    /// directory `resultsRoot/<name>/<profile or full>`. With a profile, the manifest as written
    /// (the paper's setting) is loaded and checked too, so the table can show which data the
    /// profile substitutes. A row whose task does not log the table's metric (a segmentation run
    /// in a test_top1 table) is an error too, so no run is started for a table it cannot fill.
    /// Every manifest error is thrown together, after a line naming the row it belongs to.
    public func runs(profile: String?, resultsRoot: String = "runs") throws(TableErrors) -> [TableRowRun] {
        try runs(profile: profile, resultsRoot: resultsRoot, seeds: nil).map { $0[0] }
    }

    /// Each row's runs at each of `seeds` (`spikelab tables --seeds`), `[row][seed]` in the order
    /// given: the manifest under `profile` with its `seed` replaced (`--set seed=K`), in the run
    /// directory `resultsRoot/<name>/<profile or full>-seed<K>` — except the manifest's own seed,
    /// whose run is the ordinary `resultsRoot/<name>/<profile or full>`, so a table's existing
    /// runs count as one of the seeds. Errors as `runs(profile:resultsRoot:)`.
    public func seedRuns(profile: String?, resultsRoot: String = "runs", seeds: [Int]) throws(TableErrors) -> [[TableRowRun]] {
        precondition(!seeds.isEmpty, "seedRuns needs at least one seed")
        return try runs(profile: profile, resultsRoot: resultsRoot, seeds: seeds)
    }

    /// One run per row (seeds nil), or one per row and seed.
    private func runs(profile: String?, resultsRoot: String, seeds: [Int]?) throws(TableErrors) -> [[TableRowRun]] {
        var errors: [ManifestError] = []
        var runs: [[TableRowRun]] = []
        for (index, row) in rows.enumerated() {
            func load(_ profile: String?, overrides: [String] = [], failing phrase: String) -> Manifest? {
                do {
                    return try Manifest.load(contentsOf: row.manifest, profile: profile, overrides: overrides)
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
            if let earlier = runs.firstIndex(where: { $0[0].manifest.experiment.name == manifest.experiment.name }) {
                errors.append(ManifestError(row.location, keyPath: "rows[\(index)].manifest", .incompatible(
                    "'\(row.manifestAsWritten)' has the name '\(manifest.experiment.name)', like rows[\(earlier)]'s manifest; both would run in \(directory), so give each manifest its own name")))
            }
            let own = TableRowRun(row: row, manifest: manifest, directory: directory, paperData: paperData)
            guard let seeds else {
                runs.append([own])
                continue
            }
            var seeded: [TableRowRun] = []
            for seed in seeds {
                if seed == manifest.experiment.seed {
                    var run = own
                    run.seed = seed
                    seeded.append(run)
                    continue
                }
                // Only the seed changes, so this loads whenever the manifest does.
                guard let reseeded = load(profile, overrides: ["seed=\(seed)"], failing: " with --set seed=\(seed)") else { continue }
                let folder = TableRowRun.folder(profile: profile, seed: seed)
                seeded.append(TableRowRun(row: row, manifest: reseeded, directory: resultsRoot + "/" + manifest.experiment.name + "/" + folder,
                                          paperData: paperData, seed: seed, overridesSeed: true))
            }
            runs.append(seeded)
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
    /// With `--seeds`: the reproduced metric at each seed, its mean and sample sd (nil otherwise).
    public var spread: SeedSpread? = nil
}

/// A table file joined with the results on disk.
public struct TableReport: Sendable, Equatable {
    public let table: TableFile
    public let profile: String
    /// The folder of run directories the results were read from (named in the Markdown's
    /// regenerate line when it is not the default `runs`).
    public let resultsRoot: String
    public let lines: [TableLine]
    /// The seeds of `--seeds`, in order; nil for a table of the manifests' own seeds.
    public let seeds: [Int]?

    /// Joins `table`'s rows with their run directories' results. A run whose metrics.csv lacks
    /// the table's metric is an error naming the table file, the row, the metric and the columns
    /// metrics.csv has (every such row at once; exit code 3, the results on disk are wrong).
    ///
    /// With `seedRuns` (`TableFile.seedRuns`, `[row][seed]`), each line also gets the spread of
    /// the metric over those seeds, and notes about seed runs that are partial or stale; the
    /// line's other columns stay those of `runs`, the manifests' own seeds.
    public init(table: TableFile, runs: [TableRowRun], profile: String?, resultsRoot: String = "runs",
                seedRuns: [[TableRowRun]]? = nil) throws(TableErrors) {
        precondition(seedRuns.map { $0.count == runs.count && Set($0.map { $0.map(\.seed) }).count == 1 } ?? true,
                     "one list of seed runs per row, every row with the same seeds")
        self.table = table
        self.profile = profile ?? "full"
        self.resultsRoot = resultsRoot
        seeds = seedRuns.map { $0.first?.compactMap(\.seed) ?? [] }
        var errors: [ManifestError] = []
        /// The run's record, its notes, and an error when its metrics.csv lacks the table's metric.
        func read(_ run: TableRowRun) -> (RunRecord, [String]) {
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
            return (record, notes)
        }
        lines = runs.enumerated().map { index, run in
            let (record, ownNotes) = read(run)
            var notes = ownNotes
            var spread: SeedSpread?
            if let seeded = seedRuns?[index] {
                var statuses: [RunRecord.Status] = [], values: [Double?] = []
                for seedRun in seeded {
                    // The manifest's own seed is the line's run: its notes are there already.
                    let (seedRecord, seedNotes) = seedRun.directory == run.directory ? (record, []) : read(seedRun)
                    statuses.append(seedRecord.status)
                    values.append(seedRecord.value(of: table.metric, select: table.select))
                    notes += seedNotes.map { "seed \(seedRun.seed.map(String.init) ?? "?"): \($0)" }
                }
                spread = SeedSpread(seeds: seeded.compactMap(\.seed), statuses: statuses, values: values)
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
            line.spread = spread
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
