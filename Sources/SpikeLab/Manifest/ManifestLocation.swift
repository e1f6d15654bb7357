/// Where a manifest value came from: a place in a YAML file, a `--set` argument, or the schema's default.
public enum ManifestLocation: Sendable, Hashable, CustomStringConvertible {
    /// A position in a manifest file; `line` 0 stands for the file as a whole.
    case file(String, line: Int, column: Int)
    /// A command-line argument such as `--set training.epochs=5` or `--profile gpu`.
    case argument(String)
    /// Filled in from the schema's default.
    case defaulted

    /// `file:line:column`, `file`, the argument as typed, or `(default)`.
    public var description: String {
        switch self {
        case let .file(path, line, column):
            line > 0 ? "\(path):\(line):\(column)" : path
        case let .argument(text):
            text
        case .defaulted:
            "(default)"
        }
    }

    /// The file this location is in, if any.
    public var file: String? {
        if case let .file(path, _, _) = self { return path }
        return nil
    }
}
