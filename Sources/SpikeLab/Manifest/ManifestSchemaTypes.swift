/// The allowed interval of a number, with open or closed ends.
public struct NumberRange: Sendable, Equatable {
    public let lower: Double?
    public let lowerInclusive: Bool
    public let upper: Double?
    public let upperInclusive: Bool

    /// `x >= value`.
    public static func atLeast(_ value: Double) -> NumberRange { .init(lower: value, lowerInclusive: true, upper: nil, upperInclusive: false) }
    /// `x > value`.
    public static func above(_ value: Double) -> NumberRange { .init(lower: value, lowerInclusive: false, upper: nil, upperInclusive: false) }
    /// `low <= x < high` (or other end types).
    public static func between(_ low: Double, _ high: Double, lowerInclusive: Bool = true, upperInclusive: Bool = true) -> NumberRange {
        .init(lower: low, lowerInclusive: lowerInclusive, upper: high, upperInclusive: upperInclusive)
    }

    /// Whether `x` lies in the range.
    public func contains(_ x: Double) -> Bool {
        if let lower, lowerInclusive ? x < lower : x <= lower { return false }
        if let upper, upperInclusive ? x > upper : x >= upper { return false }
        return true
    }

    /// `>= 1`, `> 0`, `0 <= x < 1`.
    public var text: String {
        func format(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : "\(d)" }
        switch (lower, upper) {
        case let (low?, high?):
            return "\(format(low)) \(lowerInclusive ? "<=" : "<") x \(upperInclusive ? "<=" : "<") \(format(high))"
        case let (low?, nil):
            return "\(lowerInclusive ? ">=" : ">") \(format(low))"
        case let (nil, high?):
            return "\(upperInclusive ? "<=" : "<") \(format(high))"
        case (nil, nil):
            return "any"
        }
    }
}

/// What a manifest value may be.
public indirect enum ManifestType: Sendable {
    /// Free text.
    case text
    /// A name usable as a directory name: letters, digits, `.`, `_`, `-`, `+`.
    case identifier
    /// A file-system path (relative paths: see the key's documentation).
    case path
    /// `true` or `false`.
    case bool
    /// A whole number in a range.
    case integer(NumberRange?)
    /// A real number in a range (integers are accepted).
    case number(NumberRange?)
    /// One of a fixed set of words.
    case choice([String])
    /// A list of items of one type, with an optional allowed length.
    case list(ManifestType, count: ClosedRange<Int>?)
    /// A map with fixed keys.
    case section([ManifestKey])
    /// A list of transforms, each a bare name or a one-key map `{name: options}`.
    case transforms([TransformSpec])
    /// The first alternative whose form fits.
    case either([ManifestType])
    /// `extends`: a base manifest, handled while files are read.
    case baseManifest
    /// `profiles`: named override sets, handled while files are read.
    case profiles

    /// A phrase for "expected …" in errors and the type column of the documentation.
    public var phrase: String {
        switch self {
        case .text: "text"
        case .identifier: "a name (letters, digits, '.', '_', '-', '+')"
        case .path: "a path"
        case .bool: "true or false"
        case let .integer(range): range.map { "an integer \($0.text)" } ?? "an integer"
        case let .number(range): range.map { "a number \($0.text)" } ?? "a number"
        case let .choice(words): "one of " + words.joined(separator: ", ")
        case let .list(item, count):
            "a list" + (count.map { $0.lowerBound == $0.upperBound ? " of \($0.lowerBound)" : " of \($0.lowerBound) or more" } ?? "")
                + " (each \(item.phrase))"
        case .section: "a map"
        case .transforms: "a list of transforms"
        case let .either(types): types.map(\.phrase).joined(separator: ", or ")
        case .baseManifest: "a path to a base manifest"
        case .profiles: "a map of profile name to overrides"
        }
    }
}

/// When a key has meaning: another key (a choice) has one of some values.
public struct ManifestCondition: Sendable {
    /// The deciding key, e.g. `neuron.variant`.
    public let keyPath: String
    /// The values of that key for which the condition holds.
    public let values: [String]

    public init(_ keyPath: String, in values: [String]) {
        self.keyPath = keyPath
        self.values = values
    }

    /// `when neuron.variant is lif, plif or psu`.
    public var phrase: String {
        let list = values.count == 1 ? values[0] : values.dropLast().joined(separator: ", ") + " or " + values.last!
        return "when \(keyPath) is \(list)"
    }
}

/// A default computed from other settings.
public struct ComputedDefault: Sendable {
    /// What the documentation says the default is.
    public let doc: String
    /// Computes it; returns nil when a setting it depends on is itself invalid.
    let compute: @Sendable (ManifestLookup) -> ComputedDefaultOutcome?

    public init(_ doc: String, _ compute: @escaping @Sendable (ManifestLookup) -> ComputedDefaultOutcome?) {
        self.doc = doc
        self.compute = compute
    }
}

/// What a computed default yields.
public enum ComputedDefaultOutcome: Sendable {
    /// This value.
    case value(ManifestValue)
    /// No default here: the user must set the key, for the reason given.
    case required(String)
}

/// The value a key takes when the manifest does not set it.
public enum ManifestDefault: Sendable {
    /// No default: the key must be set.
    case required
    /// This value (`.null` for optional keys).
    case value(ManifestValue)
    /// Depends on other settings.
    case computed(ComputedDefault)
}

/// Read access to other resolved settings, for computed defaults and compatibility rules.
public struct ManifestLookup {
    let read: (String) -> ManifestValue?

    /// The resolved value at `keyPath`, or nil when it is invalid or does not apply.
    public func value(_ keyPath: String) -> ManifestValue? { read(keyPath) }
    /// The text (or choice) at `keyPath`.
    public func text(_ keyPath: String) -> String? { read(keyPath)?.text }
    /// The integer at `keyPath`.
    public func int(_ keyPath: String) -> Int? { read(keyPath)?.int }
    /// The number at `keyPath`.
    public func number(_ keyPath: String) -> Double? { read(keyPath)?.number }
    /// The flag at `keyPath`.
    public func bool(_ keyPath: String) -> Bool? { read(keyPath)?.bool }
}

/// One key of the schema: its name, type, default, when it applies, and what it means.
public struct ManifestKey: Sendable {
    public let name: String
    public let type: ManifestType
    public let defaultValue: ManifestDefault
    /// When non-nil, `null` is a meaningful value (this text says what it means); otherwise
    /// `null` means "not set" and the default applies.
    public let nullMeaning: String?
    /// When the key has meaning; setting it otherwise is an error.
    public let condition: ManifestCondition?
    /// One line: what the key does.
    public let doc: String

    public init(_ name: String, _ type: ManifestType, default defaultValue: ManifestDefault,
                null nullMeaning: String? = nil, when condition: ManifestCondition? = nil, _ doc: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.nullMeaning = nullMeaning
        self.condition = condition
        self.doc = doc
    }

    /// The child keys when this key is a section.
    public var children: [ManifestKey]? {
        if case let .section(keys) = type { return keys }
        return nil
    }
}

/// One augmentation a `data.augment` list may name.
public struct TransformSpec: Sendable {
    public let name: String
    /// Its options: a section (bare name allowed when every option has a default) or another type.
    public let argument: ManifestType?
    /// Loaders it works with; nil for every loader.
    public let loaders: [String]?
    public let doc: String

    public init(_ name: String, _ argument: ManifestType?, loaders: [String]? = nil, _ doc: String) {
        self.name = name
        self.argument = argument
        self.loaders = loaders
        self.doc = doc
    }

    /// Whether the bare name (no options) is accepted.
    public var allowsBareName: Bool {
        switch argument {
        case nil: return true
        case let .section(keys)?:
            return keys.allSatisfy { if case .required = $0.defaultValue { false } else { true } }
        default: return false
        }
    }
}
