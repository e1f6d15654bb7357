import Foundation
import SpikeData

/// One thing wrong with the dataset registry file: where, which key, what is wrong.
public struct RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    public let location: ManifestLocation
    public let keyPath: String?
    public let message: String

    public var description: String {
        "\(location): " + (keyPath.map { "\($0): " } ?? "") + message
    }
}

/// Every error found in a registry file, in file order.
public struct RegistryErrors: Error, Sendable, CustomStringConvertible {
    public let errors: [RegistryError]

    public var description: String {
        let head = errors.count == 1 ? "1 error in the dataset registry:" : "\(errors.count) errors in the dataset registry:"
        return ([head] + errors.map { "  \($0)" }).joined(separator: "\n")
    }
}

/// `datasets/registry.yaml`: every paper dataset's sources, checksums, licence and layout,
/// read with a schema check that names the file, line and key of each problem.
public struct DatasetRegistry: Sendable {
    /// The registry's path relative to the repository root (and the default of `--registry`).
    public static let defaultPath = "datasets/registry.yaml"

    /// The file it was read from.
    public let file: String
    /// The datasets, in file order.
    public let datasets: [DatasetSpec]

    /// The dataset called `name`, or nil.
    public func named(_ name: String) -> DatasetSpec? { datasets.first { $0.name == name } }

    /// A "did you mean" for an unknown dataset name.
    public func suggestion(for name: String) -> String? {
        Suggestion.closest(to: name, among: datasets.map(\.name))
    }

    /// Reads and checks the registry at `path`.
    public static func load(_ path: String) throws -> DatasetRegistry {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw RegistryErrors(errors: [RegistryError(location: .file(path, line: 0, column: 0), keyPath: nil,
                                                        message: "cannot read the dataset registry: \(error.localizedDescription)")])
        }
        return try parse(text, file: path)
    }

    /// Parses and checks registry `text` (the contents of `file`).
    public static func parse(_ text: String, file: String) throws -> DatasetRegistry {
        let root: ManifestNode?
        do {
            root = try ManifestNodeReader.parse(text, file: file)
        } catch {
            throw RegistryErrors(errors: [RegistryError(location: error.location ?? .file(file, line: 0, column: 0),
                                                        keyPath: nil, message: error.message)])
        }
        var reader = RegistryReader(file: file)
        let datasets = reader.read(root)
        if !reader.errors.isEmpty { throw RegistryErrors(errors: reader.errors) }
        return DatasetRegistry(file: file, datasets: datasets)
    }
}

/// The schema check itself: walks the node tree, collecting every error rather than stopping at the first.
private struct RegistryReader {
    let file: String
    var errors: [RegistryError] = []

    static let topKeys = ["format", "version", "datasets"]
    static let datasetKeys = ["title", "homepage", "licence", "notes", "files", "layout"]
    static let fileKeys = ["name", "urls", "manual", "size", "md5", "sha256", "checksum_source", "extract", "also_accept", "notes"]
    static let alternativeKeys = ["size", "md5", "sha256", "source"]
    static let layoutKeys = ["file", "dir", "size", "count", "pattern", "recursive"]

    mutating func fail(_ node: ManifestNode?, _ keyPath: String?, _ message: String) {
        errors.append(RegistryError(location: node?.location ?? .file(file, line: 0, column: 0), keyPath: keyPath, message: message))
    }

    /// The map entries of `node`, reporting unknown keys (with a suggestion) against `allowed`.
    mutating func entries(_ node: ManifestNode, _ keyPath: String?, allowed: [String]) -> [ManifestNode.Entry]? {
        guard let entries = node.entries else {
            fail(node, keyPath, "expected a map, found \(node.kindDescription)")
            return nil
        }
        for entry in entries where !allowed.contains(entry.key) {
            let hint = Suggestion.closest(to: entry.key, among: allowed).map { "; did you mean '\($0)'?" } ?? ""
            errors.append(RegistryError(location: entry.keyLocation, keyPath: keyPath.map { "\($0).\(entry.key)" } ?? entry.key,
                                        message: "unknown key '\(entry.key)'\(hint); allowed here: \(allowed.joined(separator: ", "))"))
        }
        return entries
    }

    mutating func text(_ node: ManifestNode?, _ keyPath: String, required: Bool, parent: ManifestNode) -> String? {
        guard let node, !node.isNull else {
            if required { fail(parent, keyPath, "required key is missing") }
            return nil
        }
        guard case let .scalar(value, _) = node.content, !value.isEmpty else {
            fail(node, keyPath, "expected text, found \(node.kindDescription)")
            return nil
        }
        return value
    }

    mutating func integer(_ node: ManifestNode?, _ keyPath: String) -> Int? {
        guard let node, !node.isNull else { return nil }
        guard case let .scalar(value, true) = node.content, let number = Int(value.replacingOccurrences(of: "_", with: "")), number >= 0 else {
            fail(node, keyPath, "expected an integer >= 0 (or null when unknown), found \(node.kindDescription)")
            return nil
        }
        return number
    }

    mutating func checksum(_ node: ManifestNode?, _ kind: ChecksumKind, _ keyPath: String) -> Checksum? {
        guard let node, !node.isNull else { return nil }
        guard case let .scalar(value, _) = node.content,
              value.count == kind.hexLength, value.allSatisfy({ $0.isHexDigit }) else {
            fail(node, keyPath, "expected \(kind.hexLength) hex digits (an \(kind.rawValue) digest) or null when none is published, found \(node.kindDescription)")
            return nil
        }
        return Checksum(kind, value)
    }

    /// A relative path that stays under the root.
    mutating func relativePath(_ node: ManifestNode?, _ keyPath: String, parent: ManifestNode) -> String? {
        guard let path = text(node, keyPath, required: true, parent: parent) else { return nil }
        let parts = path.split(separator: "/")
        if path.hasPrefix("/") || parts.contains("..") || parts.isEmpty {
            fail(node, keyPath, "'\(path)' must be a relative path under the dataset root without '..'")
            return nil
        }
        return path
    }

    mutating func read(_ root: ManifestNode?) -> [DatasetSpec] {
        guard let root else {
            fail(nil, nil, "the registry is empty; expected a map with 'format', 'version' and 'datasets'")
            return []
        }
        guard let top = entries(root, nil, allowed: Self.topKeys) else { return [] }
        _ = top
        if text(root["format"], "format", required: true, parent: root).map({ $0 != "spikelab-dataset-registry" }) == true {
            fail(root["format"], "format", "expected 'spikelab-dataset-registry'")
        }
        if let version = root["version"], integer(version, "version") != 1 {
            fail(version, "version", "only version 1 is known")
        }
        guard let datasetsNode = root["datasets"] else {
            fail(root, "datasets", "required key is missing")
            return []
        }
        guard let list = entries(datasetsNode, "datasets", allowed: datasetsNode.entries?.map(\.key) ?? []) else { return [] }
        var result: [DatasetSpec] = []
        for entry in list {
            if let spec = dataset(entry.key, entry.value, "datasets.\(entry.key)") { result.append(spec) }
        }
        return result
    }

    mutating func dataset(_ name: String, _ node: ManifestNode, _ path: String) -> DatasetSpec? {
        guard entries(node, path, allowed: Self.datasetKeys) != nil else { return nil }
        let title = text(node["title"], "\(path).title", required: true, parent: node)
        let homepage = text(node["homepage"], "\(path).homepage", required: true, parent: node)
        let licence = text(node["licence"], "\(path).licence", required: true, parent: node)
        var files: [DatasetFile] = []
        if let filesNode = node["files"] {
            if case let .list(items) = filesNode.content, !items.isEmpty {
                for (i, item) in items.enumerated() {
                    if let file = self.file(item, "\(path).files[\(i)]") { files.append(file) }
                }
            } else {
                fail(filesNode, "\(path).files", "expected a non-empty list of files, found \(filesNode.kindDescription)")
            }
        } else {
            fail(node, "\(path).files", "required key is missing")
        }
        var layout: [LayoutEntry] = []
        if let layoutNode = node["layout"] {
            if case let .list(items) = layoutNode.content {
                for (i, item) in items.enumerated() {
                    if let entry = self.layout(item, "\(path).layout[\(i)]") { layout.append(entry) }
                }
            } else {
                fail(layoutNode, "\(path).layout", "expected a list of {file: PATH} or {dir: PATH} entries, found \(layoutNode.kindDescription)")
            }
        } else {
            fail(node, "\(path).layout", "required key is missing")
        }
        guard let title, let homepage, let licence else { return nil }
        return DatasetSpec(name: name, title: title, homepage: homepage, licence: licence, files: files, layout: layout)
    }

    mutating func file(_ node: ManifestNode, _ path: String) -> DatasetFile? {
        guard entries(node, path, allowed: Self.fileKeys) != nil else { return nil }
        let name = relativePath(node["name"], "\(path).name", parent: node)
        var urls: [String] = []
        var urlsWritten = false
        if let urlsNode = node["urls"], !urlsNode.isNull {
            urlsWritten = true
            if case let .list(items) = urlsNode.content {
                for (i, item) in items.enumerated() {
                    guard let url = text(item, "\(path).urls[\(i)]", required: true, parent: urlsNode) else { continue }
                    if url.hasPrefix("http://") || url.hasPrefix("https://") {
                        urls.append(url)
                    } else {
                        fail(item, "\(path).urls[\(i)]", "'\(url)' is not an http:// or https:// URL")
                    }
                }
            } else {
                fail(urlsNode, "\(path).urls", "expected a list of URLs, found \(urlsNode.kindDescription)")
            }
        }
        let manual = text(node["manual"], "\(path).manual", required: false, parent: node)
        if !urlsWritten && manual == nil {
            fail(node, path, "a file needs 'urls' or, when it cannot be downloaded automatically, 'manual' instructions")
        }
        let size = integer(node["size"], "\(path).size")
        var checksums: [Checksum] = []
        for kind in ChecksumKind.allCases {
            if let sum = checksum(node[kind.rawValue], kind, "\(path).\(kind.rawValue)") { checksums.append(sum) }
        }
        let source = text(node["checksum_source"], "\(path).checksum_source", required: !checksums.isEmpty, parent: node)
        var extract = ExtractKind.none
        if let extractNode = node["extract"], let word = text(extractNode, "\(path).extract", required: true, parent: node) {
            if let kind = ExtractKind(rawValue: word) {
                extract = kind
            } else {
                let allowed = ExtractKind.allCases.map(\.rawValue)
                let hint = Suggestion.closest(to: word, among: allowed).map { "; did you mean '\($0)'?" } ?? ""
                fail(extractNode, "\(path).extract", "'\(word)' is not allowed\(hint); allowed: \(allowed.joined(separator: ", "))")
            }
        }
        var alternatives: [AlternativeCopy] = []
        if let altNode = node["also_accept"], !altNode.isNull {
            if case let .list(items) = altNode.content {
                for (i, item) in items.enumerated() {
                    let p = "\(path).also_accept[\(i)]"
                    guard entries(item, p, allowed: Self.alternativeKeys) != nil else { continue }
                    let sums = ChecksumKind.allCases.compactMap { checksum(item[$0.rawValue], $0, "\(p).\($0.rawValue)") }
                    if sums.isEmpty { fail(item, p, "an accepted copy needs at least one of md5, sha256") }
                    if let source = text(item["source"], "\(p).source", required: true, parent: item) {
                        alternatives.append(AlternativeCopy(size: integer(item["size"], "\(p).size"), checksums: sums, source: source))
                    }
                }
            } else {
                fail(altNode, "\(path).also_accept", "expected a list of {size, md5/sha256, source}, found \(altNode.kindDescription)")
            }
        }
        guard let name else { return nil }
        return DatasetFile(name: name, urls: urls, manualInstructions: manual, size: size, checksums: checksums,
                           checksumSource: source, alternatives: alternatives, extract: extract)
    }

    mutating func layout(_ node: ManifestNode, _ path: String) -> LayoutEntry? {
        guard entries(node, path, allowed: Self.layoutKeys) != nil else { return nil }
        let isFile = node["file"] != nil, isDirectory = node["dir"] != nil
        guard isFile != isDirectory else {
            fail(node, path, "a layout entry needs exactly one of 'file: PATH' or 'dir: PATH'")
            return nil
        }
        guard let entryPath = relativePath(isFile ? node["file"] : node["dir"], "\(path).\(isFile ? "file" : "dir")", parent: node) else { return nil }
        let size = integer(node["size"], "\(path).size")
        let count = integer(node["count"], "\(path).count")
        let pattern = text(node["pattern"], "\(path).pattern", required: false, parent: node)
        var recursive = false
        if let flag = node["recursive"] {
            switch text(flag, "\(path).recursive", required: true, parent: node) {
            case "true"?: recursive = true
            case "false"?: recursive = false
            default: fail(flag, "\(path).recursive", "expected true or false")
            }
        }
        if isFile && (count != nil || pattern != nil || node["recursive"] != nil) {
            fail(node, path, "'count', 'pattern' and 'recursive' apply to 'dir' entries only")
        }
        if isDirectory && size != nil { fail(node, path, "'size' applies to 'file' entries only") }
        if !isFile && count == nil && (pattern != nil || recursive) {
            fail(node, path, "'pattern' and 'recursive' need a 'count'")
        }
        return LayoutEntry(path: entryPath, kind: isFile ? .file : .directory, size: size, count: count,
                           pattern: pattern, recursive: recursive)
    }
}
