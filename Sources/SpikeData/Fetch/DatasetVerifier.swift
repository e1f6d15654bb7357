import Foundation

/// What `spikelab data verify` found for one dataset under one root.
public struct VerificationReport: Sendable, CustomStringConvertible {
    /// The state of one registry file.
    public enum FileState: Sendable, Equatable {
        /// Present, and its size and published checksums match; `note` says which copy it matched.
        case ok(note: String)
        /// Present with the right size, but no checksum is published to check it against.
        case unchecked(size: Int)
        /// Absent, but it is an archive whose extracted layout is complete, so it is not needed.
        case notNeeded
        /// Absent (`partialBytes` when an interrupted download's `.part` file is there).
        case missing(partialBytes: Int?)
        /// Present with another size than the registry's.
        case wrongSize(expected: Int, actual: Int)
        /// Present with the right size but another checksum than the published one.
        case checksumMismatch(kind: ChecksumKind, expected: String, actual: String)

        /// What follows the file name in a report line (` (…)` or `: …`).
        public func detail(_ name: String) -> String {
            switch self {
            case let .ok(note): return " (\(note))"
            case let .unchecked(size): return " (\(size) bytes): no published checksum, only the size could be checked"
            case .notNeeded: return ": not needed, its extracted files are all in place"
            case let .missing(partial):
                return partial.map { ": only an interrupted download (\($0) bytes in \(name).part); `spikelab data fetch` resumes it" } ?? ""
            case let .wrongSize(expected, actual): return ": wrong size: \(actual) bytes, expected \(expected)"
            case let .checksumMismatch(kind, expected, actual): return ": \(kind.rawValue) checksum mismatch: \(actual), published \(expected)"
            }
        }

        /// True for the states that make the dataset unusable.
        public var isProblem: Bool {
            switch self {
            case .ok, .unchecked, .notNeeded: return false
            case .missing, .wrongSize, .checksumMismatch: return true
            }
        }
    }

    /// A layout entry that is not as the registry says.
    public enum LayoutProblem: Sendable, Equatable {
        case missing
        case notAFile
        case notADirectory
        case wrongSize(expected: Int, actual: Int)
        case wrongCount(expected: Int, actual: Int, pattern: String?)
    }

    public let dataset: String
    public let root: String
    public let files: [(name: String, state: FileState)]
    public let layout: [(entry: LayoutEntry, problem: LayoutProblem?)]

    /// True when every file and layout entry is fine.
    public var isComplete: Bool {
        files.allSatisfy { !$0.state.isProblem } && layout.allSatisfy { $0.problem == nil }
    }

    /// True when the layout alone is complete (archives may still be missing).
    public var layoutComplete: Bool { layout.allSatisfy { $0.problem == nil } }

    /// One line per file and per layout problem, then a summary line.
    public var lines: [String] {
        var out: [String] = []
        for (name, state) in files {
            let label: String
            switch state {
            case .ok: label = "ok        "
            case .unchecked: label = "unchecked "
            case .notNeeded: label = "absent    "
            case .missing: label = "MISSING   "
            case .wrongSize, .checksumMismatch: label = "CORRUPT   "
            }
            out.append("\(label) \(name)\(state.detail(name))")
        }
        for (entry, problem) in layout {
            guard let problem else { continue }
            let what = "layout entry \(entry.path)"
            switch problem {
            case .missing: out.append("MISSING    \(what) (a \(entry.kind == .file ? "file" : "directory"))")
            case .notAFile: out.append("WRONG      \(what): a directory, expected a file")
            case .notADirectory: out.append("WRONG      \(what): a file, expected a directory")
            case let .wrongSize(expected, actual): out.append("CORRUPT    \(what): \(actual) bytes, expected \(expected)")
            case let .wrongCount(expected, actual, pattern):
                let scope = entry.recursive ? " in its subdirectories" : ""
                out.append("INCOMPLETE \(what): \(actual) entries\(pattern.map { " matching \($0)" } ?? "")\(scope), expected \(expected)")
            }
        }
        let layoutOK = layout.filter { $0.problem == nil }.count
        out.append(isComplete
            ? "\(dataset): complete under \(root) (\(files.count) files, \(layoutOK) layout entries)"
            : "\(dataset): NOT complete under \(root): \(files.filter { $0.state.isProblem }.count) file problems, \(layout.count - layoutOK) layout problems")
        return out
    }

    public var description: String { lines.joined(separator: "\n") }
}

/// Checks a dataset under a root against its registry entry: files (size, checksums) and layout.
public enum DatasetVerifier {
    /// The state of one file at `path` against its registry entry (hashes it when it is present).
    public static func check(_ file: DatasetFile, at path: String) throws -> VerificationReport.FileState {
        guard let size = HTTPDownloader.fileSize(path) else {
            return .missing(partialBytes: HTTPDownloader.fileSize(path + ".part"))
        }
        let copies = [AlternativeCopy(size: file.size, checksums: file.checksums, source: file.checksumSource ?? "registry")]
            + file.alternatives
        let sized = copies.filter { $0.size == nil || $0.size == size }
        if sized.isEmpty, let expected = file.size { return .wrongSize(expected: expected, actual: size) }
        let kinds = Set(sized.flatMap { $0.checksums.map(\.kind) })
        if kinds.isEmpty { return .unchecked(size: size) }
        let digests = try FileChecksum.digests(of: path, kinds: kinds)
        for copy in sized where !copy.checksums.isEmpty {
            if copy.checksums.allSatisfy({ digests[$0.kind] == $0.hex }) {
                let kindsText = copy.checksums.map(\.kind.rawValue).joined(separator: " and ")
                return .ok(note: "\(size) bytes, \(kindsText) match \(copy.source)")
            }
        }
        // Report against the publisher's own checksum when it applies, else the first sized copy.
        let reference = sized.first { !$0.checksums.isEmpty }!
        let mismatch = reference.checksums.first { digests[$0.kind] != $0.hex }!
        return .checksumMismatch(kind: mismatch.kind, expected: mismatch.hex, actual: digests[mismatch.kind] ?? "?")
    }

    /// The problem with one layout entry under `root`, or nil when it is as described.
    public static func check(_ entry: LayoutEntry, root: String) -> VerificationReport.LayoutProblem? {
        let path = root + "/" + entry.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .missing }
        switch entry.kind {
        case .file:
            if isDirectory.boolValue { return .notAFile }
            if let expected = entry.size, let actual = HTTPDownloader.fileSize(path), actual != expected {
                return .wrongSize(expected: expected, actual: actual)
            }
        case .directory:
            if !isDirectory.boolValue { return .notADirectory }
            if let expected = entry.count {
                let actual = count(in: path, pattern: entry.pattern, recursive: entry.recursive)
                if actual != expected { return .wrongCount(expected: expected, actual: actual, pattern: entry.pattern) }
            }
        }
        return nil
    }

    /// Verifies every file and layout entry of `spec` under `root`.
    public static func verify(_ spec: DatasetSpec, root: String) throws -> VerificationReport {
        let layout = spec.layout.map { ($0, check($0, root: root)) }
        let layoutComplete = layout.allSatisfy { $0.1 == nil } && !layout.isEmpty
        var files: [(String, VerificationReport.FileState)] = []
        for file in spec.files {
            var state = try check(file, at: root + "/" + file.name)
            if case .missing(nil) = state, file.extract != .none, layoutComplete { state = .notNeeded }
            files.append((file.name, state))
        }
        return VerificationReport(dataset: spec.name, root: root, files: files, layout: layout)
    }

    /// Non-hidden entries of `directory` matching `pattern` (`*` wildcards); with `recursive`,
    /// the matching entries of each subdirectory are summed instead.
    static func count(in directory: String, pattern: String?, recursive: Bool) -> Int {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { !$0.hasPrefix(".") }
        if recursive {
            return names.reduce(0) { total, name in
                var isDirectory: ObjCBool = false
                let sub = directory + "/" + name
                guard FileManager.default.fileExists(atPath: sub, isDirectory: &isDirectory), isDirectory.boolValue else { return total }
                return total + count(in: sub, pattern: pattern, recursive: false)
            }
        }
        guard let pattern else { return names.count }
        return names.filter { matches($0, pattern) }.count
    }

    /// Glob match with `*` as the only wildcard.
    static func matches(_ name: String, _ pattern: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        if parts.count == 1 { return name == pattern }
        guard name.hasPrefix(parts.first!), name.hasSuffix(parts.last!),
              name.count >= parts.first!.count + parts.last!.count else { return false }
        var rest = Substring(name.dropFirst(parts.first!.count).dropLast(parts.last!.count))
        for middle in parts.dropFirst().dropLast() where !middle.isEmpty {
            guard let range = rest.range(of: middle) else { return false }
            rest = rest[range.upperBound...]
        }
        return true
    }
}
