import Foundation

/// An element of a small XML document: its name, attributes, text and child elements.
///
/// Enough XML for annotation files (Pascal VOC): elements, attributes, character data,
/// the five predefined entities and numeric character references, CDATA, comments,
/// processing instructions and a DOCTYPE without an internal subset. Namespaces are not
/// interpreted (a prefixed name is just a name).
public struct XMLElement: Sendable, Equatable {
    public var name: String
    public var attributes: [String: String]
    public var children: [XMLElement]
    /// The element's own character data (outside children), whitespace-trimmed at both ends.
    public var text: String
    /// 1-based line where the element's start tag begins (for messages).
    public var line: Int

    public init(name: String, attributes: [String: String] = [:], children: [XMLElement] = [],
                text: String = "", line: Int = 0) {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
        self.line = line
    }

    /// The first child called `name`.
    public func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }

    /// Every child called `name`, in document order.
    public func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }

    /// The XML text of this element, indented by `indent` levels of tabs (as VOC's files are).
    public func serialized(indent: Int = 0) -> String {
        let pad = String(repeating: "\t", count: indent)
        let attrs = attributes.keys.sorted().map { " \($0)=\"\(XMLElement.escape(attributes[$0]!))\"" }.joined()
        if children.isEmpty {
            return "\(pad)<\(name)\(attrs)>\(XMLElement.escape(text))</\(name)>\n"
        }
        var out = "\(pad)<\(name)\(attrs)>\n"
        if !text.isEmpty { out += "\(pad)\t\(XMLElement.escape(text))\n" }
        for child in children { out += child.serialized(indent: indent + 1) }
        return out + "\(pad)</\(name)>\n"
    }

    /// `text` with `&`, `<`, `>` and `"` escaped.
    public static func escape(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(ch)
            }
        }
        return out
    }
}

/// Parses XML text into its root element; errors are `DataError.inconsistent` naming the file,
/// the line and column, what was found and what was expected.
public struct XMLReader {
    private let bytes: [UInt8]
    private let file: String
    private var position = 0
    private var line = 1
    private var lineStart = 0

    /// The root element of the XML file at `path`.
    public static func parse(contentsOf path: String) throws -> XMLElement {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw DataError.unreadable(file: path, reason: FileManager.default.fileExists(atPath: path)
                                       ? error.localizedDescription : "no such file")
        }
        return try parse([UInt8](data), file: path)
    }

    /// The root element of the XML in `bytes` (UTF-8); `file` names it in errors.
    public static func parse(_ bytes: [UInt8], file: String) throws -> XMLElement {
        var reader = XMLReader(bytes: bytes, file: file)
        return try reader.document()
    }

    /// The root element of `text`; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws -> XMLElement {
        try parse(Array(text.utf8), file: file)
    }

    private init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
        // A UTF-8 byte-order mark is allowed before the prolog.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3; lineStart = 3 }
    }

    // MARK: Errors and low-level reading

    private func error(_ expected: String) -> DataError {
        let found: String
        if position >= bytes.count {
            found = "the end of the file"
        } else {
            let end = min(bytes.count, position + 12)
            let snippet = String(decoding: bytes[position..<end], as: UTF8.self)
                .replacingOccurrences(of: "\n", with: "\\n")
            found = "'\(snippet)'"
        }
        return DataError.inconsistent(file: file, reason:
            "line \(line), column \(position - lineStart + 1) (byte \(position)): found \(found), expected \(expected)")
    }

    private var atEnd: Bool { position >= bytes.count }
    private var current: UInt8 { bytes[position] }

    private mutating func advance() {
        if bytes[position] == UInt8(ascii: "\n") {
            line += 1
            lineStart = position + 1
        }
        position += 1
    }

    private func looking(at literal: String) -> Bool {
        let utf8 = Array(literal.utf8)
        return position + utf8.count <= bytes.count && bytes[position..<(position + utf8.count)].elementsEqual(utf8)
    }

    private mutating func expect(_ literal: String, _ what: String) throws {
        guard looking(at: literal) else { throw error(what) }
        for _ in 0..<literal.utf8.count { advance() }
    }

    private mutating func skipWhitespace() {
        while !atEnd, [0x20, 0x09, 0x0A, 0x0D].contains(current) { advance() }
    }

    /// Skips past `terminator`, or fails naming `what` was left open.
    private mutating func skip(past terminator: String, _ what: String) throws {
        while !atEnd {
            if looking(at: terminator) {
                try expect(terminator, terminator)
                return
            }
            advance()
        }
        throw error("'\(terminator)' closing \(what)")
    }

    private static func isNameByte(_ b: UInt8, first: Bool) -> Bool {
        if b >= 0x80 { return true }  // non-ASCII letters
        let c = Character(UnicodeScalar(b))
        if c.isLetter || c == "_" || c == ":" { return true }
        return !first && (c.isNumber || c == "-" || c == ".")
    }

    private mutating func name(_ what: String) throws -> String {
        let start = position
        guard !atEnd, Self.isNameByte(current, first: true) else { throw error(what) }
        while !atEnd, Self.isNameByte(current, first: false) { advance() }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    // MARK: Grammar

    private mutating func document() throws -> XMLElement {
        try misc()
        if looking(at: "<!DOCTYPE") {
            try skip(past: ">", "the DOCTYPE declaration")
            try misc()
        }
        guard looking(at: "<") else { throw error("the root element's start tag '<name'") }
        let root = try element()
        try misc()
        guard atEnd else { throw error("nothing after the root element </\(root.name)>") }
        return root
    }

    /// Whitespace, comments and processing instructions between top-level items.
    private mutating func misc() throws {
        while true {
            skipWhitespace()
            if looking(at: "<?") {
                try skip(past: "?>", "a processing instruction")
            } else if looking(at: "<!--") {
                try skip(past: "-->", "a comment")
            } else {
                return
            }
        }
    }

    private mutating func element() throws -> XMLElement {
        let startLine = line
        try expect("<", "'<'")
        let tag = try name("an element name after '<'")
        var attributes: [String: String] = [:]
        while true {
            skipWhitespace()
            if looking(at: "/>") {
                try expect("/>", "/>")
                return XMLElement(name: tag, attributes: attributes, line: startLine)
            }
            if looking(at: ">") {
                try expect(">", ">")
                break
            }
            let key = try name("an attribute name, '>' or '/>' in the start tag <\(tag)>")
            skipWhitespace()
            try expect("=", "'=' after attribute \(key)")
            skipWhitespace()
            guard !atEnd, current == UInt8(ascii: "\"") || current == UInt8(ascii: "'") else {
                throw error("a quoted value for attribute \(key)")
            }
            let quote = current
            advance()
            var raw: [UInt8] = []
            while !atEnd, current != quote {
                guard current != UInt8(ascii: "<") else { throw error("the closing quote of attribute \(key)") }
                raw.append(current)
                advance()
            }
            guard !atEnd else { throw error("the closing quote of attribute \(key)") }
            advance()
            if attributes[key] != nil { throw error("attribute \(key) only once in <\(tag)>") }
            attributes[key] = try decodeEntities(raw)
        }
        var children: [XMLElement] = []
        var text: [UInt8] = []
        while true {
            guard !atEnd else { throw error("the end tag </\(tag)> of the element opened on line \(startLine)") }
            if looking(at: "</") {
                try expect("</", "</")
                let closing = try name("the name in an end tag")
                guard closing == tag else {
                    position -= closing.utf8.count
                    throw error("the end tag </\(tag)> of the element opened on line \(startLine)")
                }
                skipWhitespace()
                try expect(">", "'>' ending </\(tag)")
                break
            } else if looking(at: "<!--") {
                try skip(past: "-->", "a comment")
            } else if looking(at: "<![CDATA[") {
                try expect("<![CDATA[", "CDATA")
                let start = position
                try skip(past: "]]>", "a CDATA section")
                text += bytes[start..<(position - 3)]
            } else if looking(at: "<?") {
                try skip(past: "?>", "a processing instruction")
            } else if looking(at: "<") {
                children.append(try element())
            } else {
                var raw: [UInt8] = []
                while !atEnd, current != UInt8(ascii: "<") {
                    raw.append(current)
                    advance()
                }
                text += Array(try decodeEntities(raw).utf8)
            }
        }
        let trimmed = String(decoding: text, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return XMLElement(name: tag, attributes: attributes, children: children, text: trimmed, line: startLine)
    }

    /// Character data with `&…;` references replaced.
    private func decodeEntities(_ raw: [UInt8]) throws -> String {
        guard raw.contains(UInt8(ascii: "&")) else { return String(decoding: raw, as: UTF8.self) }
        var out = ""
        var i = 0
        while i < raw.count {
            guard raw[i] == UInt8(ascii: "&") else {
                var j = i
                while j < raw.count, raw[j] != UInt8(ascii: "&") { j += 1 }
                out += String(decoding: raw[i..<j], as: UTF8.self)
                i = j
                continue
            }
            guard let semicolon = raw[i...].firstIndex(of: UInt8(ascii: ";")), semicolon - i <= 12 else {
                throw error("an entity reference like &amp; ending in ';' in this text")
            }
            let entity = String(decoding: raw[(i + 1)..<semicolon], as: UTF8.self)
            switch entity {
            case "lt": out += "<"
            case "gt": out += ">"
            case "amp": out += "&"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let scalar: UInt32?
                if entity.hasPrefix("#x") { scalar = UInt32(entity.dropFirst(2), radix: 16) }
                else if entity.hasPrefix("#") { scalar = UInt32(entity.dropFirst(1)) }
                else { scalar = nil }
                guard let scalar, let u = UnicodeScalar(scalar) else {
                    throw error("a known entity (&lt; &gt; &amp; &quot; &apos; &#N;) in this text, not &\(entity);")
                }
                out.unicodeScalars.append(u)
            }
            i = semicolon + 1
        }
        return out
    }
}
