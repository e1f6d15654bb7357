/// One thing wrong with a manifest: where it is, which key, and what is wrong with it.
///
/// The description reads `LOCATION: KEY.PATH: message`, e.g.
/// `exp.yaml:12:9: training.optimizer.lr: -0.1 is out of range; allowed: a number > 0`.
public struct ManifestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, with the values the message needs.
    public enum Problem: Sendable, Equatable {
        /// The YAML itself does not parse.
        case syntax(String)
        /// A map repeats keys.
        case duplicateKey([String])
        /// The file holds no YAML document.
        case emptyFile
        /// The file's top level is not a map (`found` names what it is).
        case topLevelNotAMap(found: String)
        /// A key the schema does not know at this level.
        case unknownKey(String, suggestion: String?, allowed: [String])
        /// A value of the wrong kind (`found` quotes it, `expected` says what is allowed).
        case wrongType(found: String, expected: String)
        /// A number outside its range.
        case outOfRange(value: String, allowed: String)
        /// A word that is not one of the allowed choices.
        case notAChoice(value: String, suggestion: String?, allowed: [String])
        /// A required key is absent; `reason` says why it is required here, if it depends on other keys.
        case missing(reason: String?)
        /// A key that has no meaning with the other settings (e.g. `neuron.tau` for `spikepack`).
        case notApplicable(value: String, condition: String)
        /// Settings that cannot go together; the message names them and their values.
        case incompatible(String)
        /// A file or directory the manifest names does not exist.
        case fileNotFound(path: String, detail: String)
        /// A path that should be a directory is a file.
        case notADirectory(path: String)
        /// The file cannot be read.
        case unreadable(path: String, reason: String)
        /// `extends` leads back to a file already in the chain.
        case extendsCycle([String])
        /// `--profile NAME` names a profile the manifest does not define.
        case unknownProfile(String, suggestion: String?, defined: [String])
        /// A `--set` argument that is not `key.path=value`, or that targets a key `--set` cannot change.
        case badOverride(String)
    }

    /// Where the bad value (or key) was written; nil when it concerns no particular place.
    public let location: ManifestLocation?
    /// The dotted key path, e.g. `training.optimizer.lr`; nil for file-level problems.
    public let keyPath: String?
    /// What is wrong.
    public let problem: Problem

    /// An error at `location` about `keyPath`.
    public init(_ location: ManifestLocation?, keyPath: String? = nil, _ problem: Problem) {
        self.location = location
        self.keyPath = keyPath
        self.problem = problem
    }

    /// Whether the error is about data on disk (exit code 3) rather than the manifest (exit code 2).
    public var isMissingData: Bool {
        switch problem {
        case .fileNotFound, .notADirectory: return keyPath?.hasPrefix("data.") == true
        default: return false
        }
    }

    public var description: String {
        var prefix = ""
        if let location { prefix += "\(location): " }
        if let keyPath { prefix += "\(keyPath): " }
        return prefix + message
    }

    /// The message without location and key path.
    public var message: String {
        switch problem {
        case let .syntax(reason):
            return "YAML syntax error: \(reason)"
        case let .duplicateKey(keys):
            let names = keys.map { "'\($0)'" }.joined(separator: ", ")
            return "duplicate key \(names) in the same map; each key may appear once"
        case .emptyFile:
            return "the manifest is empty; it must be a map with at least 'name'"
        case let .topLevelNotAMap(found):
            return "the top level of a manifest must be a map of keys (name: ..., data: ...), found \(found)"
        case let .unknownKey(key, suggestion, allowed):
            return "unknown key '\(key)'" + Self.didYouMean(suggestion) + "; allowed here: " + allowed.joined(separator: ", ")
        case let .wrongType(found, expected):
            return "expected \(expected), found \(found)"
        case let .outOfRange(value, allowed):
            return "\(value) is out of range; allowed: \(allowed)"
        case let .notAChoice(value, suggestion, allowed):
            return "'\(value)' is not allowed" + Self.didYouMean(suggestion) + "; allowed: " + allowed.joined(separator: ", ")
        case let .missing(reason):
            return "required key is missing" + (reason.map { " (\($0))" } ?? "")
        case let .notApplicable(value, condition):
            return "\(value) is set, but this key applies only \(condition); remove it (or set it to null to drop an inherited value)"
        case let .incompatible(text):
            return text
        case let .fileNotFound(path, detail):
            return "'\(path)' does not exist" + (detail.isEmpty ? "" : "; \(detail)")
        case let .notADirectory(path):
            return "'\(path)' is a file; a directory is needed"
        case let .unreadable(path, reason):
            return "cannot read '\(path)': \(reason)"
        case let .extendsCycle(chain):
            return "extends forms a cycle: " + chain.joined(separator: " -> ")
        case let .unknownProfile(name, suggestion, defined):
            let list = defined.isEmpty ? "this manifest defines no profiles" : "defined: " + defined.joined(separator: ", ")
            return "unknown profile '\(name)'" + Self.didYouMean(suggestion) + "; \(list)"
        case let .badOverride(text):
            return text
        }
    }

    private static func didYouMean(_ suggestion: String?) -> String {
        suggestion.map { "; did you mean '\($0)'?" } ?? ""
    }
}

/// Every error found in a manifest, in the order of the files and lines they point at.
public struct ManifestErrors: Error, Sendable, Equatable, CustomStringConvertible {
    /// The errors, sorted by source (files in the order read, then `--set` arguments) and position.
    public let errors: [ManifestError]

    /// Wraps `errors`, sorted for reading; `fileOrder` ranks files (base manifests first) and
    /// `argumentOrder` the command-line arguments (as `ManifestLocation.argument` spells them).
    public init(_ errors: [ManifestError], fileOrder: [String] = [], argumentOrder: [String] = []) {
        func rank(_ error: ManifestError) -> (Int, Int, Int) {
            switch error.location {
            case let .file(path, line, column)?:
                return (fileOrder.firstIndex(of: path) ?? fileOrder.count, line, column)
            case let .argument(text)?: return (fileOrder.count + 1, argumentOrder.firstIndex(of: text) ?? argumentOrder.count, 0)
            case nil: return (fileOrder.count + 2, 0, 0)
            }
        }
        // Stable: errors at the same place keep the order they were found in.
        self.errors = errors.enumerated().sorted { a, b in
            let (ra, rb) = (rank(a.element), rank(b.element))
            return ra != rb ? ra < rb : a.offset < b.offset
        }.map(\.element)
    }

    /// The process exit code the command line uses: 3 when only data is missing, else 2.
    public var exitCode: Int32 {
        errors.allSatisfy(\.isMissingData) && !errors.isEmpty ? 3 : 2
    }

    /// One line per error, after a count.
    public var description: String {
        let head = errors.count == 1 ? "1 error in the manifest:" : "\(errors.count) errors in the manifest:"
        return ([head] + errors.map { "  " + $0.description }).joined(separator: "\n")
    }
}
