/// Where a manifest value was written: a place in a YAML file, or a command-line argument.
public enum ManifestLocation: Sendable, Hashable, CustomStringConvertible {
    /// A position in a manifest file; `line` 0 stands for the file as a whole.
    case file(String, line: Int, column: Int)
    /// A command-line argument such as `--set training.epochs=5` or `--profile gpu`.
    case argument(String)

    /// `file:line:column`, `file`, or the argument as typed.
    public var description: String {
        switch self {
        case let .file(path, line, column):
            line > 0 ? "\(path):\(line):\(column)" : path
        case let .argument(text):
            text
        }
    }

    /// The file this location is in, if any.
    public var file: String? {
        if case let .file(path, _, _) = self { return path }
        return nil
    }
}
