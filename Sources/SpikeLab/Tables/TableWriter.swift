import Foundation

/// Renders a `TableReport` as CSV (for programs) and Markdown (for people), and writes both
/// as `<dir>/<paper>-<table>.csv` and `.md`.
///
/// Neither holds a date or a machine name, so regenerating a table from the same results gives
/// the same bytes.
public enum TableWriter {
    /// The CSV header.
    public static let csvColumns = ["row", "reported", "reproduced", "difference", "metric", "select", "profile",
                                    "status", "epochs", "data", "substitutes", "run_directory", "comment", "note",
                                    "energy_uj_per_sample", "ann_energy_ratio"]

    /// The columns a table made over several seeds (`--seeds`) adds after `csvColumns`: the seeds
    /// asked for, each finished seed's value (`seed:value`, space-separated), the mean and sample
    /// sd over them, how many there are, and which seeds are missing or partial.
    public static let seedColumns = ["seeds", "seed_values", "mean", "sd", "n", "seed_status"]

    /// RFC 4180 CSV: one line per row; empty fields for unknown numbers.
    public static func csv(_ report: TableReport) -> String {
        let metric = report.table.metric
        var lines = [(csvColumns + (report.seeds == nil ? [] : seedColumns)).joined(separator: ",")]
        for line in report.lines {
            var fields = [line.label, line.reportedText ?? "", format(line.reproduced, metric), signed(line.difference, metric),
                          metric.rawValue, report.table.select.rawValue, line.profile, line.status.rawValue,
                          epochs(line), line.data, line.substitutes ?? "", line.directory, line.comment ?? "",
                          line.notes.joined(separator: "; "),
                          line.energy.map { String(format: "%.4f", $0.picojoules / 1e6) } ?? "",
                          line.energy.map { String(format: "%.3f", $0.annPicojoules / $0.picojoules) } ?? ""]
            if let spread = line.spread {
                let values: [String] = zip(spread.seeds, spread.values).compactMap { seed, value in
                    value.map { "\(seed):" + format($0, metric) }
                }
                fields += [spread.seeds.map(String.init).joined(separator: " "), values.joined(separator: " "),
                           format(spread.mean, metric), format(spread.standardDeviation, metric), String(spread.n), spread.statusText]
            }
            lines.append(fields.map(csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A Markdown page: heading, what the numbers are, the table, then comments and notes.
    public static func markdown(_ report: TableReport) -> String {
        let table = report.table, metric = table.metric
        var out = "# \(table.paper) / \(table.table)" + (table.title.map { ": \($0)" } ?? "") + "\n\n"
        let which = table.select == .best ? "Best-epoch" : "Final-epoch"
        out += "\(which) \(metric.phrase); profile `\(report.profile)`. Reported numbers from `\(table.path)`"
        out += " (— where unknown). Difference = reproduced − reported."
        if report.lines.contains(where: { $0.substitutes != nil }) {
            out += " Data: what each row's run reads under this profile; \"instead of\" names the paper's data (the manifest as written) where the profile substitutes other data."
        }
        if let seeds = report.seeds {
            let list = seeds.map(String.init).joined(separator: ", ")
            out += " Seeds \(list): reproduced, difference, status, epochs and energy are the run at each manifest's own seed;"
                + " mean ± sd (sample sd, n − 1) over the n seeds whose run finished, each in the per-seed column (seeds \(list), — without a finished run);"
                + " seeds: which are missing or partial."
        }
        out += "\n"
        var regenerate = "spikelab tables \(table.path)"
        if report.profile != "full" { regenerate += " --profile \(report.profile)" }
        if report.resultsRoot != "runs" { regenerate += " --results \(report.resultsRoot)" }
        if let seeds = report.seeds { regenerate += " --seeds \(SeedList.argument(seeds))" }
        out += "Regenerate: `\(regenerate)`.\n\n"
        let energy = report.lines.contains { $0.energy != nil }
        if energy {
            out += "Energy: per test sample of the final model (a converted run: its SNN), E_MAC 4.6 / E_AC 0.9 pJ, "
                + "and how many times more its ANN twin (the same layers, one step, all MAC) would take (docs/energy.md).\n\n"
        }
        let seeded = report.seeds != nil
        out += "| row | reported | reproduced | difference |" + (seeded ? " mean ± sd | n | per seed | seeds |" : "")
            + " profile | status | epochs |" + (energy ? " energy µJ | ANN / this |" : "") + " data | run directory |\n"
        out += "|---|---:|---:|---:|" + (seeded ? "---:|---:|---:|---|" : "") + "---|---|---:|" + (energy ? "---:|---:|" : "") + "---|---|\n"
        for line in report.lines {
            var cells = [cell(line.label), line.reportedText ?? "—", format(line.reproduced, metric).nonEmpty ?? "—",
                         signed(line.difference, metric).nonEmpty ?? "—"]
            if seeded, let spread = line.spread {
                let sd: String = format(spread.standardDeviation, metric).nonEmpty ?? "—"
                let mean: String = format(spread.mean, metric).nonEmpty.map { $0 + " ± " + sd } ?? "—"
                let perSeed: [String] = spread.values.map { format($0, metric).nonEmpty ?? "—" }
                cells += [mean, String(spread.n), perSeed.joined(separator: " / "), spread.statusText]
            } else if seeded {
                cells += ["—", "0", "—", "—"]
            }
            cells += [line.profile, line.status.rawValue, epochs(line).nonEmpty ?? "—"]
            if energy {
                cells += [line.energy.map { String(format: "%.2f", $0.picojoules / 1e6) } ?? "—",
                          line.energy.map { String(format: "%.2f×", $0.annPicojoules / $0.picojoules) } ?? "—"]
            }
            cells += [cell(line.data + (line.substitutes.map { " instead of \($0)" } ?? "")), "`\(cell(line.directory))`"]
            out += "| " + cells.joined(separator: " | ") + " |\n"
        }
        let remarks = report.lines.filter { $0.comment != nil || !$0.notes.isEmpty }
        if !remarks.isEmpty {
            out += "\n"
            for line in remarks {
                let text = ([line.comment].compactMap { $0 } + line.notes).joined(separator: "; ")
                out += "- **\(cell(line.label))**: \(text)\n"
            }
        }
        let counts = [RunRecord.Status.done, .partial, .missing].map { "\(report.count($0)) \($0.rawValue)" }
        out += "\nRows: " + counts.joined(separator: ", ") + ".\n"
        if let seeds = report.seeds {
            let statuses = report.lines.flatMap { $0.spread?.statuses ?? [] }
            let seedCounts = [RunRecord.Status.done, .partial, .missing].map { status in "\(statuses.filter { $0 == status }.count) \(status.rawValue)" }
            out += "Seed runs (\(report.lines.count) rows × \(seeds.count) seeds): " + seedCounts.joined(separator: ", ") + ".\n"
        }
        return out
    }

    /// Writes `<directory>/<paper>-<table>.csv` and `.md` (directories created); returns both paths.
    @discardableResult
    public static func write(_ report: TableReport, to directory: String) throws -> (csv: String, markdown: String) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let base = directory + "/" + report.table.outputName
        let paths = (csv: base + ".csv", markdown: base + ".md")
        do {
            try csv(report).write(toFile: paths.csv, atomically: true, encoding: .utf8)
            try markdown(report).write(toFile: paths.markdown, atomically: true, encoding: .utf8)
        } catch {
            throw RunError.io(path: base, reason: error.localizedDescription)
        }
        return paths
    }

    // MARK: Fields

    static func format(_ value: Double?, _ metric: TableMetric) -> String {
        value.map { String(format: "%.\(metric.decimals)f", $0) } ?? ""
    }

    static func signed(_ value: Double?, _ metric: TableMetric) -> String {
        value.map { String(format: "%+.\(metric.decimals)f", $0) } ?? ""
    }

    static func epochs(_ line: TableLine) -> String {
        guard let done = line.epochsCompleted else { return "" }
        return "\(done)/" + (line.epochsTotal.map(String.init) ?? "?")
    }

    /// A CSV field, quoted when it holds a comma, quote or line break.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Markdown cell text: pipes escaped, line breaks as spaces.
    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}

private extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
