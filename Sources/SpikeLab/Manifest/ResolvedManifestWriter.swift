/// Writes a resolved manifest as YAML: block maps in schema order, flow lists and transform options.
///
/// The output loads back (through the same validation) to an equal `Experiment`.
enum ResolvedManifestWriter {
    /// The YAML text of a resolved manifest, without header.
    static func body(_ root: ManifestValue) -> String {
        guard case let .map(fields) = root else { preconditionFailure("a resolved manifest is a map") }
        return block(fields, indent: 0).joined(separator: "\n") + "\n"
    }

    private static func block(_ fields: [ManifestField], indent: Int) -> [String] {
        let pad = String(repeating: " ", count: indent)
        var lines: [String] = []
        for field in fields {
            switch field.value {
            case let .map(children) where !children.isEmpty:
                lines.append("\(pad)\(field.key):")
                lines += block(children, indent: indent + 2)
            case let .list(items) where items.contains(where: { if case .map = $0 { true } else { false } }):
                lines.append("\(pad)\(field.key):")
                for item in items {
                    if case let .map(entries) = item, entries.count == 1 {
                        lines.append("\(pad)  - \(entries[0].key): \(flow(entries[0].value))")
                    } else {
                        lines.append("\(pad)  - \(flow(item))")
                    }
                }
            default:
                lines.append("\(pad)\(field.key): \(flow(field.value))")
            }
        }
        return lines
    }

    /// One value on one line.
    static func flow(_ value: ManifestValue) -> String {
        switch value {
        case .null: "null"
        case let .bool(b): b ? "true" : "false"
        case let .int(i): String(i)
        case let .number(d): number(d)
        case let .text(s): text(s)
        case let .list(items): "[" + items.map(flow).joined(separator: ", ") + "]"
        case let .map(fields): "{" + fields.map { "\($0.key): \(flow($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    /// The shortest text that reads back as the same Double, always with a '.' or exponent.
    static func number(_ d: Double) -> String {
        let text = "\(d)"
        return text.contains(".") || text.contains("e") ? text : text + ".0"
    }

    /// Plain when YAML would read it back as the same text, double-quoted otherwise.
    static func text(_ s: String) -> String {
        let reserved: Set<String> = ["true", "false", "null", "yes", "no", "on", "off", "y", "n"]
        let plainSafe = s.first.map { $0.isLetter || $0 == "_" } == true
            && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
            && !reserved.contains(s.lowercased())
        if plainSafe { return s }
        var quoted = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            case "\r": quoted += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    quoted += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
                } else {
                    quoted.unicodeScalars.append(scalar)
                }
            }
        }
        return quoted + "\""
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: Swift.max(0, width - count)) + self }
}
