import Foundation

extension TableFile {
    /// Keys allowed at the top level of a table file.
    public static let topLevelKeys = ["paper", "table", "title", "metric", "select", "rows"]
    /// Keys allowed in a row.
    public static let rowKeys = ["row", "manifest", "reported", "comment"]

    /// Reads and checks the table file at `path`; every problem is thrown together.
    public static func load(contentsOf path: String) throws(TableErrors) -> TableFile {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TableErrors(path: path, errors: [ManifestError(nil, .fileNotFound(path: path, detail: "no table file there"))])
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw TableErrors(path: path, errors: [ManifestError(nil, .unreadable(path: path, reason: error.localizedDescription))])
        }
        return try load(yaml: text, path: path)
    }

    /// The same from text in memory; `path` names it in errors and anchors the manifest paths.
    public static func load(yaml: String, path: String) throws(TableErrors) -> TableFile {
        var reader = TableFileReader(path: path)
        let table = reader.read(yaml)
        guard let table, reader.errors.isEmpty else {
            // In the order of the lines they point at, like manifest errors.
            throw TableErrors(path: path, errors: ManifestErrors(reader.errors, fileOrder: [path]).errors)
        }
        return table
    }
}

/// Checks a table file's node tree key by key, collecting every error.
struct TableFileReader {
    let path: String
    private(set) var errors: [ManifestError] = []

    init(path: String) { self.path = path }

    mutating func read(_ text: String) -> TableFile? {
        let parsed: ManifestNode?
        do {
            parsed = try ManifestNodeReader.parse(text, file: path)
        } catch {
            errors.append(error)
            return nil
        }
        guard let root = parsed, !root.isNull else {
            errors.append(ManifestError(.file(path, line: 0, column: 0), .incompatible(
                "the table file is empty; it must be a map with paper, table and rows")))
            return nil
        }
        guard root.entries != nil else {
            errors.append(ManifestError(root.location, .incompatible(
                "the top level of a table file must be a map (paper: ..., table: ..., rows: [...]), found \(root.kindDescription)")))
            return nil
        }
        checkUnknownKeys(root, allowed: TableFile.topLevelKeys, path: "")

        let paper = identifier(root, "paper")
        let table = identifier(root, "table")
        let title = optionalText(root, "title", path: "title")
        let metric = choice(root, "metric", path: "metric", default: TableMetric.testTop1)
        let selectDefault: TableSelection = (metric?.hasBest ?? true) ? .best : .final
        let select = choice(root, "select", path: "select", default: selectDefault)
        if let metric, select == .best, !metric.hasBest, let node = root["select"] {
            errors.append(ManifestError(node.location, keyPath: "select", .incompatible(
                "\(metric.rawValue) has no best epoch; use select: final")))
        }
        let rows = readRows(root, metric: metric)
        guard let paper, let table, let metric, let select, let rows, errors.isEmpty else { return nil }
        return TableFile(path: path, paper: paper, table: table, title: title, metric: metric, select: select, rows: rows)
    }

    // MARK: Rows

    private mutating func readRows(_ root: ManifestNode, metric: TableMetric?) -> [TableRow]? {
        guard let node = root["rows"], !node.isNull else {
            errors.append(ManifestError(root.location, keyPath: "rows", .missing(reason: nil)))
            return nil
        }
        guard case let .list(items) = node.content else {
            errors.append(ManifestError(node.location, keyPath: "rows", .wrongType(
                found: node.kindDescription, expected: "a list of rows, each {row: ..., manifest: ..., reported: ...}")))
            return nil
        }
        guard !items.isEmpty else {
            errors.append(ManifestError(node.location, keyPath: "rows", .wrongType(
                found: "an empty list", expected: "a list of 1 or more rows")))
            return nil
        }
        var rows: [TableRow] = []
        var complete = true
        for (index, item) in items.enumerated() {
            if let row = readRow(item, path: "rows[\(index)]", metric: metric) {
                if let earlier = rows.firstIndex(where: { $0.label == row.label }) {
                    errors.append(ManifestError(item["row"]?.location ?? item.location, keyPath: "rows[\(index)].row", .incompatible(
                        "'\(row.label)' is already the label of rows[\(earlier)]; each row label appears once")))
                }
                if let earlier = rows.firstIndex(where: { ManifestPaths.absolute($0.manifest) == ManifestPaths.absolute(row.manifest) }) {
                    errors.append(ManifestError(item["manifest"]?.location ?? item.location, keyPath: "rows[\(index)].manifest", .incompatible(
                        "'\(row.manifestAsWritten)' is already the manifest of rows[\(earlier)]; two rows would share one run")))
                }
                rows.append(row)
            } else {
                complete = false
            }
        }
        return complete ? rows : nil
    }

    private mutating func readRow(_ node: ManifestNode, path: String, metric: TableMetric?) -> TableRow? {
        guard node.entries != nil else {
            errors.append(ManifestError(node.location, keyPath: path, .wrongType(
                found: node.kindDescription, expected: "a map {row: ..., manifest: ..., reported: ...}")))
            return nil
        }
        let before = errors.count
        checkUnknownKeys(node, allowed: TableFile.rowKeys, path: path)
        let label = requiredText(node, "row", path: path + ".row")
        let manifest = manifestPath(node, path: path + ".manifest")
        let reported = reportedNumber(node, path: path + ".reported", metric: metric)
        let comment = optionalText(node, "comment", path: path + ".comment")
        guard errors.count == before, let label, let manifest, let reported else { return nil }
        return TableRow(label: label, manifestAsWritten: manifest.written, manifest: manifest.resolved,
                        reported: reported.value, reportedText: reported.text, comment: comment, location: node.location)
    }

    private mutating func manifestPath(_ node: ManifestNode, path: String) -> (written: String, resolved: String)? {
        guard let written = requiredText(node, "manifest", path: path) else { return nil }
        let resolved = ManifestPaths.resolve(written, relativeTo: self.path)
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory) || isDirectory.boolValue {
            let detail = isDirectory.boolValue ? "it is a directory; a manifest file is needed"
                : "manifest paths are relative to the table file's directory (looked for \(resolved))"
            errors.append(ManifestError(node["manifest"]!.location, keyPath: path, .fileNotFound(path: written, detail: detail)))
            return nil
        }
        return (written, resolved)
    }

    /// `reported`: a plain number in the metric's range, or null (the key must be written).
    private mutating func reportedNumber(_ node: ManifestNode, path: String, metric: TableMetric?) -> (value: Double?, text: String?)? {
        let range = metric?.reportedRange
        let unit = metric?.isPercent == true ? " (percent)" : ""
        let expected = "a number" + (range.map { " \($0.text)" } ?? "") + unit + ", or null when the paper's number is unknown"
        guard let value = node["reported"] else {
            errors.append(ManifestError(node.location, keyPath: path, .missing(reason: "write reported: null when the paper's number is unknown")))
            return nil
        }
        if value.isNull { return (nil, nil) }
        guard case let .scalar(text, plain) = value.content, plain, let number = ManifestResolver.number(text) else {
            errors.append(ManifestError(value.location, keyPath: path, .wrongType(found: value.kindDescription, expected: expected)))
            return nil
        }
        if let range, !range.contains(number) {
            errors.append(ManifestError(value.location, keyPath: path, .outOfRange(value: text, allowed: expected)))
            return nil
        }
        return (number, text)
    }

    // MARK: Scalars

    private mutating func identifier(_ node: ManifestNode, _ key: String) -> String? {
        guard let value = node[key], !value.isNull else {
            errors.append(ManifestError(node.location, keyPath: key, .missing(reason: nil)))
            return nil
        }
        guard case let .scalar(text, _) = value.content, ManifestResolver.isIdentifier(text) else {
            errors.append(ManifestError(value.location, keyPath: key, .wrongType(
                found: value.kindDescription, expected: ManifestType.identifier.phrase)))
            return nil
        }
        return text
    }

    private mutating func requiredText(_ node: ManifestNode, _ key: String, path: String) -> String? {
        guard let value = node[key], !value.isNull else {
            errors.append(ManifestError(node.location, keyPath: path, .missing(reason: nil)))
            return nil
        }
        return text(value, path: path)
    }

    private mutating func optionalText(_ node: ManifestNode, _ key: String, path: String) -> String? {
        guard let value = node[key], !value.isNull else { return nil }
        return text(value, path: path)
    }

    private mutating func text(_ value: ManifestNode, path: String) -> String? {
        guard case let .scalar(text, _) = value.content, !text.isEmpty else {
            errors.append(ManifestError(value.location, keyPath: path, .wrongType(found: value.kindDescription, expected: "text")))
            return nil
        }
        return text
    }

    private mutating func choice<Choice: RawRepresentable & CaseIterable>(
        _ node: ManifestNode, _ key: String, path: String, default defaultValue: Choice
    ) -> Choice? where Choice.RawValue == String {
        guard let value = node[key], !value.isNull else { return defaultValue }
        let words = Choice.allCases.map(\.rawValue)
        guard case let .scalar(text, _) = value.content else {
            errors.append(ManifestError(value.location, keyPath: path, .wrongType(
                found: value.kindDescription, expected: "one of " + words.joined(separator: ", "))))
            return nil
        }
        guard let choice = Choice(rawValue: text) else {
            errors.append(ManifestError(value.location, keyPath: path, .notAChoice(
                value: text, suggestion: Suggestion.closest(to: text, among: words), allowed: words)))
            return nil
        }
        return choice
    }

    private mutating func checkUnknownKeys(_ node: ManifestNode, allowed: [String], path: String) {
        for entry in node.entries ?? [] where !allowed.contains(entry.key) {
            errors.append(ManifestError(entry.keyLocation, keyPath: path.isEmpty ? entry.key : "\(path).\(entry.key)", .unknownKey(
                entry.key, suggestion: Suggestion.closest(to: entry.key, among: allowed), allowed: allowed)))
        }
    }
}
