import Foundation

/// A loaded, validated manifest: the typed `Experiment`, its resolved YAML, and where it came from.
///
/// ```swift
/// let manifest = try Manifest.load(contentsOf: "experiments/demo/fashion-mnist-lif.yaml",
///                                  profile: "cpu", overrides: ["training.epochs=1"])
/// try manifest.validateFiles()          // data.root exists (after `spikelab data` made it)
/// run(manifest.experiment)
/// write(manifest.resolvedYAML(), to: "runs/…/manifest.resolved.yaml")
/// ```
/// Every error is found before any work starts and thrown together as `ManifestErrors`.
public struct Manifest: Sendable {
    /// The experiment, typed and complete.
    public let experiment: Experiment
    /// The resolved settings tree (what `resolvedYAML()` writes).
    public let resolved: ManifestValue
    /// Manifest files read, base manifests first.
    public let sources: [String]
    /// The profile applied, if any.
    public let profile: String?
    /// The `--set` arguments applied, in order (without `--set`).
    public let overrides: [String]
    /// The resolved YAML without its header comment.
    public let resolvedBody: String
    /// SHA-256 (hex) of `resolvedBody`: equal settings give equal hashes, wherever the files lie.
    public let sha256: String
    private let locations: [String: ManifestLocation]

    /// Reads the manifest at `path` (and its `extends` chain), applies `profile` and then each
    /// `key.path=value` override, validates everything, and fills every default.
    public static func load(contentsOf path: String, profile: String? = nil,
                            overrides: [String] = []) throws(ManifestErrors) -> Manifest {
        try load(path: path, text: nil, profile: profile, overrides: overrides)
    }

    /// The same from text already in memory (e.g. the manifest stored in a checkpoint); `path`
    /// names it in errors and anchors relative `extends` paths.
    public static func load(yaml: String, path: String, profile: String? = nil,
                            overrides: [String] = []) throws(ManifestErrors) -> Manifest {
        try load(path: path, text: yaml, profile: profile, overrides: overrides)
    }

    private static func load(path: String, text: String?, profile: String?, overrides: [String]) throws(ManifestErrors) -> Manifest {
        var composer = ManifestComposer()
        let composition = composer.compose(path: path, text: text, profile: profile, overrides: overrides)
        let arguments = (profile.map { ["--profile \($0)"] } ?? []) + overrides.map { "--set \($0)" }
        guard let composition else {
            throw ManifestErrors(composer.errors, fileOrder: composer.sources + [path], argumentOrder: arguments)
        }

        let resolver = ManifestResolver(root: composition.root, mainFile: path)
        for (name, overridesNode) in composition.otherProfiles where !overridesNode.isNull {
            resolver.checkPartial(overridesNode, keys: ManifestResolver.resolvedKeys, path: "profiles.\(name)")
        }
        let resolved = resolver.resolve()
        let errors = composer.errors + resolver.errors
        guard let resolved, errors.isEmpty else { throw ManifestErrors(errors, fileOrder: composer.sources, argumentOrder: arguments) }
        return Manifest(experiment: Experiment(resolved: resolved), resolved: resolved, sources: composer.sources,
                        profile: profile, overrides: overrides, locations: resolver.locations)
    }

    private init(experiment: Experiment, resolved: ManifestValue, sources: [String], profile: String?,
                 overrides: [String], locations: [String: ManifestLocation]) {
        self.experiment = experiment
        self.resolved = resolved
        self.sources = sources
        self.profile = profile
        self.overrides = overrides
        self.locations = locations
        resolvedBody = ResolvedManifestWriter.body(resolved)
        sha256 = SHA256.hex(resolvedBody)
    }

    /// The fully resolved manifest: a header comment (sources, profile, overrides, hash), then
    /// every setting in schema order with defaults filled. Loading it gives an equal `Experiment`.
    public func resolvedYAML() -> String {
        var header = ["# SpikeLab resolved manifest: every default filled; extends, profile and --set applied."]
        header.append("# sources: " + sources.joined(separator: ", "))
        header.append("# profile: " + (profile ?? "none"))
        header.append("# overrides: " + (overrides.isEmpty ? "none" : overrides.map { "--set \($0)" }.joined(separator: " ")))
        header.append("# sha256 of the settings below: \(sha256)")
        return header.joined(separator: "\n") + "\n" + resolvedBody
    }

    /// Where the value at `keyPath` was written (file:line:column or `--set`), or nil for a default.
    public func location(of keyPath: String) -> ManifestLocation? {
        locations[keyPath]
    }

    /// Checks that the files the manifest names exist (today: `data.root` is a directory).
    ///
    /// Separate from loading because `spikelab data fetch|make-demo` create roots: the runner
    /// calls this after them. Errors have exit code 3 (missing data).
    public func validateFiles() throws(ManifestErrors) {
        let data = experiment.data
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: data.expandedRoot, isDirectory: &isDirectory)
        if exists && isDirectory.boolValue { return }
        let loader = data.loader.rawValue
        let written = location(of: "data.root")
        let hint: String
        if data.loader == .fashionMNIST && data.root == ManifestSchema.defaultRoot(of: loader) {
            hint = "install the Debian package dataset-fashion-mnist (`make deps` does), or set data.root"
        } else {
            let origin = written == nil ? "the default data.root for \(loader)" : "relative paths are relative to the current directory"
            hint = "\(origin); get the data with `spikelab data fetch \(loader) --root \(data.root)` (or `spikelab data make-demo` for demo sets), or set data.root"
        }
        let problem: ManifestError.Problem = exists ? .notADirectory(path: data.root) : .fileNotFound(path: data.root, detail: hint)
        throw ManifestErrors([ManifestError(written ?? .file(sources.last ?? "", line: 0, column: 0), keyPath: "data.root", problem)],
                             fileOrder: sources)
    }
}

extension DataSettings {
    /// `root` with a leading `~/` replaced by the home directory.
    public var expandedRoot: String {
        root.hasPrefix("~/") ? NSHomeDirectory() + root.dropFirst() : root
    }
}
