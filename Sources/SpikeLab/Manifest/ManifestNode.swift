import Yams

/// A YAML value as written, before validation, with the place each part came from.
///
/// Scalars stay text until the schema says what they should be, so `"0.1"` (quoted) and
/// `0.1` (plain) can be told apart and every error can quote the value as the user wrote it.
struct ManifestNode: Sendable {
    enum Content: Sendable {
        /// A scalar; `plain` is false when it was quoted or a block scalar (then it is always text).
        case scalar(String, plain: Bool)
        case list([ManifestNode])
        case map([Entry])
    }

    /// One `key: value` pair of a map, with the key's own position.
    struct Entry: Sendable {
        var key: String
        var keyLocation: ManifestLocation
        var value: ManifestNode
    }

    var content: Content
    var location: ManifestLocation

    /// An unquoted `null`, `~` or empty scalar (YAML 1.2 core schema).
    var isNull: Bool {
        if case let .scalar(text, plain) = content, plain {
            return ["", "~", "null", "Null", "NULL"].contains(text)
        }
        return false
    }

    /// The entries of a map node.
    var entries: [Entry]? {
        if case let .map(entries) = content { return entries }
        return nil
    }

    /// The value under `key` of a map node.
    subscript(key: String) -> ManifestNode? {
        entries?.first { $0.key == key }?.value
    }

    /// The entry under `key` of a map node.
    func entry(_ key: String) -> Entry? {
        entries?.first { $0.key == key }
    }

    /// A copy of this map without `key`.
    func removing(_ key: String) -> ManifestNode {
        guard let entries else { return self }
        return ManifestNode(content: .map(entries.filter { $0.key != key }), location: location)
    }

    /// A short phrase naming what this node is, for "found …" in errors.
    var kindDescription: String {
        switch content {
        case let .scalar(text, plain):
            if isNull { return "null" }
            return plain ? "'\(text)'" : "the quoted text '\(text)'"
        case .list: return "a list"
        case .map: return "a map"
        }
    }

    /// The value as written, for error messages (`lr: -0.1` → `-0.1`).
    var written: String {
        switch content {
        case let .scalar(text, plain):
            return isNull ? "null" : (plain ? text : "'\(text)'")
        case let .list(items):
            return "[" + items.map(\.written).joined(separator: ", ") + "]"
        case let .map(entries):
            return "{" + entries.map { "\($0.key): \($0.value.written)" }.joined(separator: ", ") + "}"
        }
    }

    /// Deep merge: maps merge key by key (keys of `overlay` win, new keys are appended);
    /// lists and scalars in `overlay` replace what `self` had.
    func merged(with overlay: ManifestNode) -> ManifestNode {
        guard let baseEntries = entries, let overlayEntries = overlay.entries else { return overlay }
        var result = baseEntries
        for entry in overlayEntries {
            if let index = result.firstIndex(where: { $0.key == entry.key }) {
                let mergedValue = result[index].value.merged(with: entry.value)
                result[index] = Entry(key: entry.key, keyLocation: entry.keyLocation, value: mergedValue)
            } else {
                result.append(entry)
            }
        }
        return ManifestNode(content: .map(result), location: overlay.location)
    }
}

/// Converts Yams' composed node tree into `ManifestNode`s.
enum ManifestNodeReader {
    /// Parses `text` (the contents of `file`) into a node tree; nil for an empty document.
    static func parse(_ text: String, file: String) throws(ManifestError) -> ManifestNode? {
        try parse(text) { mark in
            mark.map { .file(file, line: $0.line, column: $0.column) } ?? .file(file, line: 0, column: 0)
        }
    }

    /// Parses `text` with every part located at `location` (for `--set` values, where positions
    /// inside a one-line argument would not help).
    static func parse(_ text: String, at location: ManifestLocation) throws(ManifestError) -> ManifestNode? {
        try parse(text) { _ in location }
    }

    private static func parse(_ text: String, locate: (Mark?) -> ManifestLocation) throws(ManifestError) -> ManifestNode? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw translate(error, locate: locate)
        } catch {
            throw ManifestError(locate(nil), .syntax("\(error)"))
        }
        guard let root else { return nil }
        return try convert(root, locate: locate)
    }

    private static func convert(_ node: Node, locate: (Mark?) -> ManifestLocation) throws(ManifestError) -> ManifestNode {
        switch node {
        case let .scalar(scalar):
            let plain = scalar.style == .plain || scalar.style == .any
            return ManifestNode(content: .scalar(scalar.string, plain: plain), location: locate(scalar.mark))
        case let .sequence(sequence):
            var items: [ManifestNode] = []
            for item in sequence { items.append(try convert(item, locate: locate)) }
            return ManifestNode(content: .list(items), location: locate(sequence.mark))
        case let .mapping(mapping):
            var entries: [ManifestNode.Entry] = []
            for (key, value) in mapping {
                guard case let .scalar(keyScalar) = key else {
                    throw ManifestError(locate(key.mark), .syntax("a key must be a plain name, found \(key)"))
                }
                entries.append(.init(key: keyScalar.string, keyLocation: locate(keyScalar.mark),
                                     value: try convert(value, locate: locate)))
            }
            return ManifestNode(content: .map(entries), location: locate(mapping.mark))
        case let .alias(alias):
            throw ManifestError(locate(alias.mark), .syntax("unresolved YAML alias"))
        }
    }

    /// Turns a Yams parse error into a located manifest error.
    private static func translate(_ error: YamlError, locate: (Mark?) -> ManifestLocation) -> ManifestError {
        func reason(_ context: YamlError.Context?, _ problem: String) -> String {
            guard let context else { return problem }
            return "\(problem) (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            return ManifestError(locate(mark), .syntax(reason(context, problem)))
        case let .duplicatedKeysInMapping(duplicates, context):
            return ManifestError(locate(context.mark), .duplicateKey(duplicates.sorted()))
        case let .reader(problem, _, _, _):
            return ManifestError(locate(nil), .syntax(problem))
        default:
            return ManifestError(locate(nil), .syntax("\(error)"))
        }
    }
}
