/// A fully resolved manifest value: what the schema accepted, with defaults filled.
///
/// Maps keep their keys in schema order, so the resolved manifest is written in a stable order.
public indirect enum ManifestValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case text(String)
    case list([ManifestValue])
    case map([ManifestField])

    /// The value under `key` when this is a map.
    public subscript(key: String) -> ManifestValue? {
        guard case let .map(fields) = self else { return nil }
        return fields.first { $0.key == key }?.value
    }

    /// The value at a dotted key path such as `training.optimizer.lr`.
    public func value(at keyPath: String) -> ManifestValue? {
        var current: ManifestValue? = self
        for key in keyPath.split(separator: ".") { current = current?[String(key)] }
        return current
    }

    /// The text of a `.text` value.
    public var text: String? { if case let .text(s) = self { s } else { nil } }
    /// The integer of an `.int` value.
    public var int: Int? { if case let .int(i) = self { i } else { nil } }
    /// The number of a `.number` or `.int` value.
    public var number: Double? {
        switch self {
        case let .number(d): d
        case let .int(i): Double(i)
        default: nil
        }
    }
    /// The flag of a `.bool` value.
    public var bool: Bool? { if case let .bool(b) = self { b } else { nil } }
    /// The items of a `.list` value.
    public var list: [ManifestValue]? { if case let .list(l) = self { l } else { nil } }
    /// Whether this is `.null`.
    public var isNull: Bool { self == .null }
}

/// One key and its value in a resolved map.
public struct ManifestField: Sendable, Equatable {
    public let key: String
    public let value: ManifestValue

    public init(_ key: String, _ value: ManifestValue) {
        self.key = key
        self.value = value
    }
}
