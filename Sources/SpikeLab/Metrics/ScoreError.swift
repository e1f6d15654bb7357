import Foundation

/// Why predictions could not be scored: a bad results file, predictions that do not fit the
/// ground truth, or mask folders that do not pair up. Each case names the file and the place.
public enum ScoreError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A file could not be read.
    case unreadable(file: String, reason: String)
    /// A value in a file is malformed: `path` is the key path or pixel, `expected` what is allowed.
    case invalid(file: String, path: String, found: String, expected: String)
    /// Predictions and ground truth disagree (image ids, file names, sizes).
    case mismatch(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason): return "\(file): cannot read: \(reason)"
        case let .invalid(file, path, found, expected): return "\(file): \(path): found \(found), expected \(expected)"
        case let .mismatch(file, reason): return "\(file): \(reason)"
        }
    }
}
