import SpikeTensor

/// One thing a module holds, under its full dotted name.
enum ModuleEntry {
    case parameter(String, Tensor)
    case buffer(String, Tensor)
    case child(String, Module)
    case randomStream(String, RandomStream)
}

/// Reads a module's entries from its stored properties (see `Module` for the rules).
enum ModuleReflection {
    /// The entries of `module`, named under `prefix` (`""` for the root).
    static func entries(of module: Module, prefix: String = "") -> [ModuleEntry] {
        // A subclass's Mirror lists only its own stored properties; walk up to the root class
        // and read the superclasses first, as their initialisers register first in PyTorch.
        var mirrors: [Mirror] = []
        var next: Mirror? = Mirror(reflecting: module)
        while let mirror = next {
            mirrors.append(mirror)
            next = mirror.superclassMirror
        }
        let overrides = module.stateKeyOverrides
        var result: [ModuleEntry] = []
        for mirror in mirrors.reversed() {
            for child in mirror.children {
                // `$` marks compiler-made storage (lazy properties); `_` a property wrapper's.
                guard let label = child.label, !label.utf8.contains(UInt8(ascii: "$")) else { continue }
                let name = label.hasPrefix("_") ? String(label.dropFirst()) : label
                let key = overrides[name] ?? snakeCase(name)
                collect(child.value, key: join(prefix, key), into: &result)
            }
        }
        return result
    }

    /// Adds what `value` holds under `key`: recognised types directly, arrays and optionals by
    /// looking inside, everything else not at all.
    static func collect(_ value: Any, key: String, into result: inout [ModuleEntry]) {
        // Dispatch on the kind of value first, so only class instances are cast to class types
        // (casting an array to a class type takes the runtime's slow bridging path) and only
        // structs to the buffer protocol.
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .class:
            switch value {
            case let tensor as Tensor: result.append(.parameter(key, tensor))
            case let module as Module: result.append(.child(key, module))
            case let stream as RandomStream: result.append(.randomStream(key, stream))
            default: break
            }
        case .struct:
            if let buffer = value as? any BufferProperty, let tensor = buffer.bufferTensor {
                result.append(.buffer(key, tensor))
            }
        case .optional:
            if let wrapped = mirror.children.first { collect(wrapped.value, key: key, into: &result) }
        case .collection:
            for (index, element) in mirror.children.enumerated() {
                collect(element.value, key: join(key, String(index)), into: &result)
            }
        default:
            break
        }
    }

    /// `prefix.name`, or whichever of the two is not empty.
    static func join(_ prefix: String, _ name: String) -> String {
        if prefix.isEmpty { return name }
        if name.isEmpty { return prefix }
        return prefix + "." + name
    }

    /// A Swift property name in PyTorch's snake case: a capital starts a new word unless it
    /// continues a run of capitals (`runningMean` → `running_mean`, `weightIH` → `weight_ih`,
    /// `convHTTPLayer` → `conv_http_layer`); digits stay attached (`conv1` → `conv1`).
    static func snakeCase(_ name: String) -> String {
        let bytes = Array(name.utf8)
        // Non-ASCII names (rare) take the slower Character path.
        guard bytes.allSatisfy({ $0 < 128 }) else { return snakeCaseCharacters(name) }
        func isUpper(_ b: UInt8) -> Bool { b >= 65 && b <= 90 }
        func isLower(_ b: UInt8) -> Bool { b >= 97 && b <= 122 }
        func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        guard bytes.contains(where: isUpper) else { return name }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 4)
        for (i, b) in bytes.enumerated() {
            if isUpper(b), i > 0 {
                let previous = bytes[i - 1]
                let nextIsLower = i + 1 < bytes.count && isLower(bytes[i + 1])
                if isLower(previous) || isDigit(previous) || (isUpper(previous) && nextIsLower) {
                    out.append(UInt8(ascii: "_"))
                }
            }
            out.append(isUpper(b) ? b + 32 : b)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `snakeCase` by Unicode character properties.
    private static func snakeCaseCharacters(_ name: String) -> String {
        let characters = Array(name)
        var out = ""
        for (i, c) in characters.enumerated() {
            if c.isUppercase, i > 0 {
                let previous = characters[i - 1]
                let nextIsLower = i + 1 < characters.count && characters[i + 1].isLowercase
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && nextIsLower) {
                    out.append("_")
                }
            }
            out.append(contentsOf: c.lowercased())
        }
        return out
    }
}
