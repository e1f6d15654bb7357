import Foundation
import SpikeTensor

/// Why a state dict could not be loaded into a module; lists every problem found.
public struct StateDictError: Error, CustomStringConvertible, Equatable {
    /// One mismatch between a state dict and a module.
    public enum Problem: Sendable, Equatable, CustomStringConvertible {
        /// The module has `key` (of `expectedShape`) but the state dict does not.
        case missingKey(String, expectedShape: [Int])
        /// The state dict has `key` (of `shape`) but the module does not.
        case unexpectedKey(String, shape: [Int])
        /// Both have `key`, with different shapes.
        case shapeMismatch(String, modelShape: [Int], stateDictShape: [Int])

        public var description: String {
            switch self {
            case .missingKey(let key, let shape):
                return "missing key '\(key)' (the model expects shape \(shape))"
            case .unexpectedKey(let key, let shape):
                return "unexpected key '\(key)' (shape \(shape)) that the model does not have"
            case .shapeMismatch(let key, let model, let found):
                return "shape mismatch for '\(key)': the state dict has \(found), the model expects \(model)"
            }
        }
    }

    /// Every problem, in order: missing keys (model order), unexpected keys (sorted), shape
    /// mismatches (model order).
    public let problems: [Problem]

    public var description: String {
        "cannot load the state dict:\n" + problems.map { "  " + $0.description }.joined(separator: "\n")
    }
}

extension Module {
    /// Parameters and buffers under their dotted names, PyTorch's `state_dict()` order (each
    /// module's parameters, then its buffers, then its children's entries). The tensors are
    /// the live ones, not copies: `copy()` them to keep a snapshot.
    public final func stateDict() -> [NamedTensor] {
        var result: [NamedTensor] = []
        visit(prefix: "") { _, _, entries in
            for case .parameter(let name, let tensor) in entries { result.append((name, tensor)) }
            for case .buffer(let name, let tensor) in entries { result.append((name, tensor)) }
        }
        return result
    }

    /// Copies `stateDict`'s tensors into this module's parameters and buffers, in place (so
    /// optimizers holding the parameters keep working), converting the element type if it
    /// differs (a PyTorch int64 step counter read as int32 or float).
    ///
    /// Shapes must match. With `strict`, every model key must be present and no other key may
    /// be; otherwise missing and unexpected keys are skipped and returned. Throws
    /// `StateDictError` listing every problem, and then changes nothing.
    @discardableResult
    public final func loadStateDict(_ stateDict: [String: Tensor],
                                    strict: Bool = true) throws -> (missingKeys: [String], unexpectedKeys: [String]) {
        let targets = self.stateDict()
        let targetNames = Set(targets.map(\.name))
        var missing: [(String, [Int])] = [], mismatched: [StateDictError.Problem] = []
        var pairs: [(target: Tensor, source: Tensor)] = []
        for (name, target) in targets {
            guard let source = stateDict[name] else {
                missing.append((name, target.shape))
                continue
            }
            if source.shape != target.shape {
                mismatched.append(.shapeMismatch(name, modelShape: target.shape, stateDictShape: source.shape))
            } else {
                pairs.append((target, source))
            }
        }
        let unexpected = stateDict.keys.filter { !targetNames.contains($0) }.sorted()
        var problems: [StateDictError.Problem] = []
        if strict {
            problems += missing.map { .missingKey($0.0, expectedShape: $0.1) }
            problems += unexpected.map { .unexpectedKey($0, shape: stateDict[$0]!.shape) }
        }
        problems += mismatched
        guard problems.isEmpty else { throw StateDictError(problems: problems) }

        for (target, source) in pairs where !(source.storage === target.storage && source.offset == target.offset) {
            let converted = source.dtype == target.dtype ? source : source.converted(to: target.dtype)
            // Straight into storage: loading is not an operation autograd should see.
            memmove(target.rawPointer, converted.rawPointer, target.count * target.dtype.byteSize)
        }
        return (missing.map(\.0), unexpected)
    }

    /// `loadStateDict` from an ordered list (as `stateDict()` returns); a name given twice is
    /// a programming error.
    @discardableResult
    public final func loadStateDict(_ entries: [NamedTensor],
                                    strict: Bool = true) throws -> (missingKeys: [String], unexpectedKeys: [String]) {
        var table: [String: Tensor] = [:]
        for (name, tensor) in entries {
            precondition(table.updateValue(tensor, forKey: name) == nil,
                         "loadStateDict: key '\(name)' appears twice in the state dict")
        }
        return try loadStateDict(table, strict: strict)
    }
}
