/// Checks a merged manifest tree against `ManifestSchema`, fills defaults, and applies the rules.
///
/// Keys resolve lazily and once each, so a default or a condition may depend on any other key
/// (`data.frames.time_steps` defaults to `neuron.time_steps`) without a fixed order. Every error
/// is collected; a key whose value is invalid is skipped by whatever depends on it, so one
/// mistake is reported once.
final class ManifestResolver {
    private enum Outcome {
        case value(ManifestValue)
        /// The key does not apply to these settings.
        case absent
        /// The value (or one it depends on) is wrong; the error is already recorded.
        case invalid
    }

    private let root: ManifestNode
    private let mainFile: String
    private var memo: [String: Outcome] = [:]
    /// Errors found so far.
    private(set) var errors: [ManifestError] = []
    /// Where each explicitly written value came from, by key path (list items as `path[i]`).
    private(set) var locations: [String: ManifestLocation] = [:]

    /// The top-level keys the resolver fills (`extends` and `profiles` are consumed while files are read).
    static let resolvedKeys = ManifestSchema.keys.filter { key in
        switch key.type {
        case .baseManifest, .profiles: false
        default: true
        }
    }

    init(root: ManifestNode, mainFile: String) {
        self.root = root
        self.mainFile = mainFile
    }

    /// The resolved manifest, or nil when any error was found (see `errors`).
    func resolve() -> ManifestValue? {
        // `extends` and `profiles` were consumed while reading files, but are allowed keys all the same.
        checkUnknownKeys(in: root, allowed: ManifestSchema.keys, path: "")
        var fields: [ManifestField] = []
        var complete = true
        for key in Self.resolvedKeys {
            switch outcome(key.name) {
            case let .value(value): fields.append(ManifestField(key.name, value))
            case .absent: break
            case .invalid: complete = false
            }
        }
        let lookup = self.lookup
        for rule in ManifestSchema.rules {
            for violation in rule.check(lookup) {
                let path = violation.keyPaths.first { locations[$0] != nil } ?? violation.keyPaths[0]
                errors.append(ManifestError(locations[path] ?? .file(mainFile, line: 0, column: 0),
                                            keyPath: path, .incompatible(violation.message)))
            }
        }
        if errors.isEmpty {
            // A key is only invalid silently when something it depends on reported an error.
            precondition(complete, "manifest resolution failed without an error: a default or condition in ManifestSchema depends on a key that does not apply")
            return .map(fields)
        }
        return nil
    }

    /// Checks a profile's overrides for unknown keys and wrong values without requiring anything.
    func checkPartial(_ node: ManifestNode, keys: [ManifestKey], path: String) {
        guard let entries = node.entries else {
            errors.append(ManifestError(node.location, keyPath: path, .wrongType(found: node.kindDescription, expected: "a map")))
            return
        }
        checkUnknownKeys(in: node, allowed: keys, path: path)
        for entry in entries {
            guard let key = keys.first(where: { $0.name == entry.key }) else { continue }
            let childPath = join(path, key.name)
            if entry.value.isNull { continue }
            if let children = key.children {
                checkPartial(entry.value, keys: children, path: childPath)
            } else {
                _ = check(entry.value, key.type, path: childPath)
            }
        }
    }

    // MARK: Resolution of one key

    private var lookup: ManifestLookup {
        ManifestLookup { [unowned self] path in
            if case let .value(value) = self.outcome(path) { return value }
            return nil
        }
    }

    private func outcome(_ path: String) -> Outcome {
        if let known = memo[path] { return known }
        memo[path] = .invalid  // guards against a default that (wrongly) depends on itself
        let result = computeOutcome(path)
        memo[path] = result
        return result
    }

    private func computeOutcome(_ path: String) -> Outcome {
        guard let key = ManifestSchema.key(at: path) else { preconditionFailure("schema has no key \(path)") }
        let written = node(at: path)
        // `null` means "not set" unless the key gives null a meaning of its own.
        let given = written.flatMap { $0.isNull && key.nullMeaning == nil ? nil : $0 }

        switch applies(path) {
        case nil:
            return .invalid
        case false?:
            if let given, parentApplies(path) {
                let condition = key.condition!
                let actual = lookup.text(condition.keyPath) ?? "unset"
                errors.append(ManifestError(given.location, keyPath: path,
                                            .notApplicable(value: given.written, condition: "\(condition.phrase) (it is \(actual))")))
            }
            return .absent
        case true?:
            break
        }

        if let children = key.children {
            var fields: [ManifestField] = []
            var valid = true
            if let given {
                locations[path] = given.location
                guard given.entries != nil else {
                    errors.append(ManifestError(given.location, keyPath: path, .wrongType(found: given.kindDescription, expected: "a map")))
                    // Its keys are unknowable now; nothing may report them missing or use them.
                    for descendant in ManifestSchema.allKeyPaths where descendant.hasPrefix(path + ".") { memo[descendant] = .invalid }
                    return .invalid
                }
                checkUnknownKeys(in: given, allowed: children, path: path)
            }
            for child in children {
                switch outcome(join(path, child.name)) {
                case let .value(value): fields.append(ManifestField(child.name, value))
                case .absent: break
                case .invalid: valid = false
                }
            }
            return valid ? .value(.map(fields)) : .invalid
        }

        if let given {
            locations[path] = given.location
            if given.isNull { return .value(.null) }
            return check(given, key.type, path: path).map(Outcome.value) ?? .invalid
        }
        switch key.defaultValue {
        case .required:
            errors.append(ManifestError(missingLocation(path), keyPath: path, .missing(reason: nil)))
            return .invalid
        case let .value(value):
            return .value(value)
        case let .computed(computed):
            switch computed.compute(lookup) {
            case nil:
                return .invalid
            case let .value(value)?:
                return .value(value)
            case let .required(reason)?:
                errors.append(ManifestError(missingLocation(path), keyPath: path, .missing(reason: reason)))
                return .invalid
            }
        }
    }

    /// Whether the key has meaning here: its section applies and its condition holds; nil when unknown.
    private func applies(_ path: String) -> Bool? {
        if let parent = parentPath(path) {
            guard let parentApplies = applies(parent) else { return nil }
            if !parentApplies { return false }
        }
        guard let condition = ManifestSchema.key(at: path)?.condition else { return true }
        switch outcome(condition.keyPath) {
        case let .value(value): return value.text.map(condition.values.contains) ?? false
        case .absent: return false
        case .invalid: return nil
        }
    }

    private func parentApplies(_ path: String) -> Bool {
        guard let parent = parentPath(path) else { return true }
        return applies(parent) == true
    }

    // MARK: Values

    /// Checks one written value against a type; records errors and returns nil when it is wrong.
    private func check(_ node: ManifestNode, _ type: ManifestType, path: String) -> ManifestValue? {
        locations[path] = locations[path] ?? node.location
        func fail(_ problem: ManifestError.Problem) -> ManifestValue? {
            errors.append(ManifestError(node.location, keyPath: path, problem))
            return nil
        }
        func wrongType() -> ManifestValue? { fail(.wrongType(found: node.kindDescription, expected: type.phrase)) }

        switch type {
        case .text, .path:
            guard case let .scalar(text, _) = node.content, !node.isNull, !text.isEmpty else { return wrongType() }
            return .text(text)
        case .identifier:
            guard case let .scalar(text, _) = node.content, !node.isNull, Self.isIdentifier(text) else { return wrongType() }
            return .text(text)
        case .bool:
            guard case let .scalar(text, plain) = node.content, plain else { return wrongType() }
            switch text {
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            default: return wrongType()
            }
        case let .integer(range):
            guard case let .scalar(text, plain) = node.content, plain, let value = Int(text) else { return wrongType() }
            if let range, !range.contains(Double(value)) { return fail(.outOfRange(value: text, allowed: type.phrase)) }
            return .int(value)
        case let .number(range):
            guard case let .scalar(text, plain) = node.content, plain, let value = Self.number(text) else { return wrongType() }
            if let range, !range.contains(value) { return fail(.outOfRange(value: text, allowed: type.phrase)) }
            return .number(value)
        case let .choice(words):
            guard case let .scalar(text, _) = node.content, !node.isNull else { return wrongType() }
            guard words.contains(text) else {
                return fail(.notAChoice(value: text, suggestion: Suggestion.closest(to: text, among: words), allowed: words))
            }
            return .text(text)
        case let .list(itemType, count):
            guard case let .list(items) = node.content else { return wrongType() }
            if let count, !count.contains(items.count) {
                return fail(.wrongType(found: "a list of \(items.count)", expected: type.phrase))
            }
            let values = items.enumerated().map { check($1, itemType, path: "\(path)[\($0)]") }
            return values.contains { $0 == nil } ? nil : .list(values.map { $0! })
        case let .section(keys):
            return checkSection(node, keys: keys, path: path)
        case let .transforms(specs):
            guard case let .list(items) = node.content else { return wrongType() }
            let values = items.enumerated().map { checkTransform($1, specs: specs, path: "\(path)[\($0)]") }
            return values.contains { $0 == nil } ? nil : .list(values.map { $0! })
        case let .either(alternatives):
            return checkEither(node, alternatives, type: type, path: path)
        case .baseManifest, .profiles:
            return fail(.unknownKey(path, suggestion: nil, allowed: []))
        }
    }

    /// A map with fixed keys and literal defaults (used inside lists, where keys have no conditions).
    private func checkSection(_ node: ManifestNode, keys: [ManifestKey], path: String) -> ManifestValue? {
        guard node.entries != nil else {
            errors.append(ManifestError(node.location, keyPath: path, .wrongType(found: node.kindDescription, expected: "a map")))
            return nil
        }
        let before = errors.count
        checkUnknownKeys(in: node, allowed: keys, path: path)
        var fields: [ManifestField] = []
        for key in keys {
            let childPath = join(path, key.name)
            if let given = node[key.name], !(given.isNull && key.nullMeaning == nil) {
                if given.isNull { fields.append(ManifestField(key.name, .null)); continue }
                if let value = check(given, key.type, path: childPath) { fields.append(ManifestField(key.name, value)) }
            } else {
                switch key.defaultValue {
                case let .value(value): fields.append(ManifestField(key.name, value))
                case .required, .computed:
                    errors.append(ManifestError(node.location, keyPath: childPath, .missing(reason: nil)))
                }
            }
        }
        return errors.count == before ? .map(fields) : nil
    }

    /// One `data.augment` item: `name` or `{name: options}`; resolved to `{name: options-with-defaults}`.
    private func checkTransform(_ node: ManifestNode, specs: [TransformSpec], path: String) -> ManifestValue? {
        let names = specs.map(\.name)
        func unknown(_ name: String, at location: ManifestLocation) -> ManifestValue? {
            errors.append(ManifestError(location, keyPath: path,
                                        .notAChoice(value: name, suggestion: Suggestion.closest(to: name, among: names), allowed: names)))
            return nil
        }
        locations[path] = node.location
        switch node.content {
        case let .scalar(name, _) where !node.isNull:
            guard let spec = specs.first(where: { $0.name == name }) else { return unknown(name, at: node.location) }
            guard spec.allowsBareName else {
                errors.append(ManifestError(node.location, keyPath: path,
                                            .wrongType(found: "'\(name)' without options", expected: "\(name): \(spec.argument!.phrase)")))
                return nil
            }
            let empty = ManifestNode(content: .map([]), location: node.location)
            let options = spec.argument.flatMap { check(empty, $0, path: join(path, name)) } ?? .map([])
            return .map([ManifestField(name, options)])
        case let .map(entries) where entries.count == 1:
            let entry = entries[0]
            guard let spec = specs.first(where: { $0.name == entry.key }) else { return unknown(entry.key, at: entry.keyLocation) }
            guard let argument = spec.argument else {
                errors.append(ManifestError(entry.value.location, keyPath: join(path, entry.key),
                                            .wrongType(found: entry.value.kindDescription, expected: "no options (write just '\(entry.key)')")))
                return nil
            }
            let value = entry.value.isNull ? ManifestNode(content: .map([]), location: entry.value.location) : entry.value
            return check(value, argument, path: join(path, entry.key)).map { .map([ManifestField(entry.key, $0)]) }
        default:
            errors.append(ManifestError(node.location, keyPath: path,
                                        .wrongType(found: node.kindDescription, expected: "a transform name or a one-key map like {random_crop: {size: 32, padding: 4}}")))
            return nil
        }
    }

    /// The first alternative that accepts the value; otherwise the most telling error.
    private func checkEither(_ node: ManifestNode, _ alternatives: [ManifestType], type: ManifestType, path: String) -> ManifestValue? {
        let saved = errors
        var attempts: [[ManifestError]] = []
        for alternative in alternatives {
            errors = []
            if let value = check(node, alternative, path: path) {
                errors = saved
                return value
            }
            attempts.append(errors)
        }
        errors = saved
        // A value of the right form that failed a range says more than "wrong type".
        let telling = attempts.first { attempt in
            attempt.contains { error in
                switch error.problem {
                case .wrongType, .notAChoice: false
                default: true
                }
            }
        }
        if let telling {
            errors += telling
        } else {
            errors.append(ManifestError(node.location, keyPath: path, .wrongType(found: node.kindDescription, expected: type.phrase)))
        }
        return nil
    }

    // MARK: Helpers

    /// Reports keys of `node` that `allowed` does not name, with a suggestion.
    private func checkUnknownKeys(in node: ManifestNode, allowed: [ManifestKey], path: String) {
        let names = allowed.map(\.name)
        for entry in node.entries ?? [] where !names.contains(entry.key) {
            var suggestion = Suggestion.closest(to: entry.key, among: names)
            if suggestion == nil {
                // The key exists elsewhere: name its full path ('lr' under training → training.optimizer.lr).
                suggestion = ManifestSchema.allKeyPaths.first { $0.split(separator: ".").last.map(String.init) == entry.key }
            }
            errors.append(ManifestError(entry.keyLocation, keyPath: join(path, entry.key),
                                        .unknownKey(entry.key, suggestion: suggestion, allowed: names)))
        }
    }

    /// The written node at a key path, if every map on the way exists.
    private func node(at path: String) -> ManifestNode? {
        var current: ManifestNode? = root
        for part in path.split(separator: ".") { current = current?[String(part)] }
        return current
    }

    /// Where to report a missing key: the map that should hold it, or the manifest file.
    private func missingLocation(_ path: String) -> ManifestLocation {
        var parent = parentPath(path)
        while let candidate = parent {
            if let map = node(at: candidate), map.entries != nil { return map.location }
            parent = parentPath(candidate)
        }
        return .file(mainFile, line: 0, column: 0)
    }

    private func parentPath(_ path: String) -> String? {
        guard let dot = path.lastIndex(of: ".") else { return nil }
        return String(path[..<dot])
    }

    private func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// A finite decimal number as YAML writes one (`0.1`, `5e-4`, `-3`, `1.0E+2`).
    static func number(_ text: String) -> Double? {
        // Only decimal notation: Double(_:) alone would also take "nan", "inf" and hex floats.
        guard !text.isEmpty, text.allSatisfy({ "0123456789+-.eE".contains($0) }),
              let value = Double(text), value.isFinite else { return nil }
        return value
    }

    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first.properties.isAlphabetic || ("0"..."9").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-+".unicodeScalars.contains($0) }
    }
}
