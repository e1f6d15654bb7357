import Foundation

/// Reads a manifest and its `extends` chain, applies the selected profile and `--set` overrides,
/// and yields one merged node tree (values keep the file and line they came from).
struct ManifestComposer {
    /// Errors found while reading; when any, there is no tree to validate.
    private(set) var errors: [ManifestError] = []
    /// Files read, base manifests first, as displayed in errors.
    private(set) var sources: [String] = []

    /// The merged tree, and the profiles that were defined but not selected (to check them too).
    struct Composition {
        let root: ManifestNode
        let otherProfiles: [(name: String, overrides: ManifestNode)]
    }

    /// Reads `path` (or takes `text` as its contents), then merges bases, profile and overrides.
    ///
    /// Returns nil when there is no tree to validate (YAML syntax, missing or cyclic `extends`,
    /// unknown profile); a malformed `--set` is recorded and skipped, so validation still runs.
    mutating func compose(path: String, text: String?, profile: String?, overrides: [String]) -> Composition? {
        guard var root = loadChain(path, text: text, chain: [], referencedAt: nil) else { return nil }

        var otherProfiles: [(name: String, overrides: ManifestNode)] = []
        var selected: ManifestNode?
        if let profilesEntry = root.entry("profiles") {
            root = root.removing("profiles")
            let profiles = profilesEntry.value
            if !profiles.isNull {
                guard let entries = profiles.entries else {
                    errors.append(ManifestError(profiles.location, keyPath: "profiles",
                                                .wrongType(found: profiles.kindDescription, expected: ManifestType.profiles.phrase)))
                    return nil
                }
                for entry in entries {
                    if entry.key == profile { selected = entry.value } else { otherProfiles.append((entry.key, entry.value)) }
                }
            }
        }
        if let profile {
            if let selected {
                if !selected.isNull {
                    guard selected.entries != nil else {
                        errors.append(ManifestError(selected.location, keyPath: "profiles.\(profile)",
                                                    .wrongType(found: selected.kindDescription, expected: "a map of overrides")))
                        return nil
                    }
                    if let nested = selected.entries?.first(where: { ["extends", "profiles", "name"].contains($0.key) }) {
                        errors.append(ManifestError(nested.keyLocation, keyPath: "profiles.\(profile).\(nested.key)",
                                                    .badOverride("a profile cannot set '\(nested.key)'")))
                    }
                    root = root.merged(with: selected)
                }
            } else if profile != "full" {
                // `full` is the paper's setting, which every manifest is without a profile.
                let defined = otherProfiles.map(\.name)
                errors.append(ManifestError(.argument("--profile \(profile)"), .unknownProfile(
                    profile, suggestion: Suggestion.closest(to: profile, among: defined), defined: defined)))
            }
        }

        if !errors.isEmpty { return nil }
        for override in overrides {
            if let node = parseOverride(override) { root = root.merged(with: node) }
        }
        return Composition(root: root, otherProfiles: otherProfiles)
    }

    // MARK: Files and extends

    private mutating func loadChain(_ path: String, text: String?, chain: [String], referencedAt: ManifestLocation?) -> ManifestNode? {
        let contents: String
        if let text {
            contents = text
        } else {
            guard FileManager.default.fileExists(atPath: path) else {
                errors.append(ManifestError(referencedAt, keyPath: referencedAt == nil ? nil : "extends",
                                            .fileNotFound(path: path, detail: referencedAt == nil
                                                ? "no manifest there" : "extends paths are relative to the extending file's directory")))
                return nil
            }
            do {
                contents = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                errors.append(ManifestError(referencedAt, .unreadable(path: path, reason: error.localizedDescription)))
                return nil
            }
        }
        let parsed: ManifestNode?
        do {
            parsed = try ManifestNodeReader.parse(contents, file: path)
        } catch {
            errors.append(error)
            return nil
        }
        guard let node = parsed, !node.isNull else {
            errors.append(ManifestError(.file(path, line: 0, column: 0), .emptyFile))
            return nil
        }
        guard node.entries != nil else {
            errors.append(ManifestError(node.location, .topLevelNotAMap(found: node.kindDescription)))
            return nil
        }
        guard let extends = node.entry("extends"), !extends.value.isNull else {
            sources.append(path)
            return node
        }
        guard case let .scalar(basePath, _) = extends.value.content, !basePath.isEmpty else {
            errors.append(ManifestError(extends.value.location, keyPath: "extends",
                                        .wrongType(found: extends.value.kindDescription, expected: ManifestType.baseManifest.phrase)))
            return nil
        }
        let resolved = ManifestPaths.resolve(basePath, relativeTo: path)
        let links = chain + [path]
        if links.map(ManifestPaths.absolute).contains(ManifestPaths.absolute(resolved)) {
            errors.append(ManifestError(extends.value.location, keyPath: "extends", .extendsCycle(links + [resolved])))
            return nil
        }
        guard let base = loadChain(resolved, text: nil, chain: links, referencedAt: extends.value.location) else { return nil }
        sources.append(path)
        return base.merged(with: node.removing("extends"))
    }

    // MARK: Overrides

    /// `key.path=value` as a one-branch tree located at the argument.
    private mutating func parseOverride(_ argument: String) -> ManifestNode? {
        let location = ManifestLocation.argument("--set \(argument)")
        guard let equals = argument.firstIndex(of: "=") else {
            errors.append(ManifestError(location, .badOverride("expected --set key.path=value (e.g. --set training.epochs=5), found no '='")))
            return nil
        }
        let keyPath = String(argument[..<equals]).trimmingCharacters(in: .whitespaces)
        let components = keyPath.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !keyPath.isEmpty, !components.contains(where: \.isEmpty) else {
            errors.append(ManifestError(location, .badOverride("'\(keyPath)' is not a key path like training.optimizer.lr")))
            return nil
        }
        if ["extends", "profiles"].contains(components[0]) {
            errors.append(ManifestError(location, keyPath: keyPath,
                                        .badOverride("--set cannot change \(components[0]); edit the manifest, or choose a profile with --profile")))
            return nil
        }
        var node: ManifestNode
        do {
            node = try ManifestNodeReader.parse(String(argument[argument.index(after: equals)...]), at: location)
                ?? ManifestNode(content: .scalar("", plain: true), location: location)
        } catch {
            errors.append(ManifestError(location, keyPath: keyPath, error.problem))
            return nil
        }
        for key in components.reversed() {
            node = ManifestNode(content: .map([.init(key: key, keyLocation: location, value: node)]), location: location)
        }
        return node
    }
}

/// Lexical path handling for `extends` (no file-system access, so errors show the paths as written).
enum ManifestPaths {
    /// `base` relative to the directory of `file` (unchanged when absolute), normalised.
    static func resolve(_ base: String, relativeTo file: String) -> String {
        if base.hasPrefix("/") { return normalize(base) }
        let directory = file.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        if directory.isEmpty { return normalize(base) }
        return normalize(directory + "/" + base)
    }

    /// Removes `.` components and folds `dir/..`.
    static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else if part == "..", absolute {
                continue
            } else {
                parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        return absolute ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    /// The absolute form of `path`, for comparing files.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? normalize(path) : normalize(FileManager.default.currentDirectoryPath + "/" + path)
    }
}
