import Foundation
import SpikeNN

/// What `spikelab inspect --model MANIFEST` shows: the module tree the manifest builds, with
/// every parameter and buffer under its dotted state-dict name, its shape and element
/// count, and parameter counts per module and in total. Builds the model only (no data, no
/// training).
public struct ModelInspection {
    /// A named tensor of a module.
    public struct Entry {
        public var name: String
        public var shape: [Int]
        public var count: Int
        /// Buffers are saved in checkpoints but not trained.
        public var isBuffer: Bool
    }

    /// A module of the tree, in pre-order.
    public struct Layer {
        /// Dotted name (`""` for the root).
        public var name: String
        /// Depth below the root (0 for the root).
        public var depth: Int
        /// The Swift type, with the neuron variant and time steps for neuron layers.
        public var type: String
        /// Parameters and buffers the module itself holds.
        public var entries: [Entry]
        /// Parameter elements of the module and everything below it.
        public var subtreeParameters: Int
    }

    public var experimentName: String
    public var architecture: String
    public var layers: [Layer]
    public var totalParameters: Int
    public var totalBufferValues: Int

    /// The tree of the model `manifest` describes, initialised from its seed.
    public static func inspect(_ manifest: Manifest) throws -> ModelInspection {
        let model = try ExperimentBuilder.model(manifest.experiment)
        return inspect(model, name: manifest.experiment.name, architecture: manifest.experiment.model.arch.rawValue)
    }

    /// The tree of any module.
    public static func inspect(_ model: Module, name: String, architecture: String) -> ModelInspection {
        let modules = model.namedModules()
        let names = modules.map(\.name)
        // Each tensor belongs to the module with the longest name that prefixes it.
        func owner(of tensorName: String) -> String {
            var best = ""
            for module in names where !module.isEmpty && tensorName.hasPrefix(module + ".") && module.count > best.count {
                best = module
            }
            return best
        }
        var entries: [String: [Entry]] = [:]
        for (tensorName, tensor) in model.namedParameters() {
            entries[owner(of: tensorName), default: []].append(Entry(name: tensorName, shape: tensor.shape, count: tensor.count, isBuffer: false))
        }
        var bufferValues = 0
        for (tensorName, tensor) in model.namedBuffers() {
            entries[owner(of: tensorName), default: []].append(Entry(name: tensorName, shape: tensor.shape, count: tensor.count, isBuffer: true))
            bufferValues += tensor.count
        }
        let layers = modules.map { moduleName, module -> Layer in
            var type = String(describing: Swift.type(of: module))
            if let neuron = module as? NeuronLayer {
                type += "(\(neuron.spec.variant.rawValue), T=\(neuron.spec.timeSteps))"
            }
            let subtree = entries.filter { key, _ in
                moduleName.isEmpty || key == moduleName || key.hasPrefix(moduleName + ".")
            }.values.joined().filter { !$0.isBuffer }.reduce(0) { $0 + $1.count }
            return Layer(name: moduleName, depth: moduleName.isEmpty ? 0 : moduleName.split(separator: ".").count,
                         type: type, entries: entries[moduleName] ?? [], subtreeParameters: subtree)
        }
        return ModelInspection(experimentName: name, architecture: architecture, layers: layers,
                               totalParameters: model.parameterCount, totalBufferValues: bufferValues)
    }

    /// A human-readable tree.
    public func table() -> String {
        var rows: [(String, String, String, String)] = []
        for layer in layers {
            let indent = String(repeating: "  ", count: layer.depth)
            rows.append((indent + (layer.name.isEmpty ? "(model)" : layer.name), layer.type, "", Self.grouped(layer.subtreeParameters)))
            for entry in layer.entries {
                let shape = "[" + entry.shape.map(String.init).joined(separator: ", ") + "]"
                rows.append((indent + "  " + entry.name, entry.isBuffer ? "buffer" : "parameter", shape,
                             entry.isBuffer ? "(\(Self.grouped(entry.count)))" : Self.grouped(entry.count)))
            }
        }
        let w0 = max(12, rows.map(\.0.count).max() ?? 0) + 2
        let w1 = max(10, rows.map(\.1.count).max() ?? 0) + 2
        let w2 = max(8, rows.map(\.2.count).max() ?? 0) + 2
        var out = ["model of \(experimentName): \(architecture)", "",
                   pad("name", w0) + pad("type", w1) + pad("shape", w2) + "parameters"]
        for row in rows { out.append(pad(row.0, w0) + pad(row.1, w1) + pad(row.2, w2) + row.3) }
        out.append("")
        out.append("total: \(Self.grouped(totalParameters)) parameters in \(layers.flatMap(\.entries).filter { !$0.isBuffer }.count) tensors; \(Self.grouped(totalBufferValues)) buffer values (in parentheses, not trained)")
        return out.joined(separator: "\n")
    }

    /// The tree as JSON.
    public func json() throws -> String {
        let object: [String: Any] = [
            "name": experimentName, "arch": architecture,
            "total_parameters": totalParameters, "total_buffer_values": totalBufferValues,
            "modules": layers.map { layer -> [String: Any] in
                ["name": layer.name, "type": layer.type, "depth": layer.depth, "parameters": layer.subtreeParameters,
                 "tensors": layer.entries.map { ["name": $0.name, "shape": $0.shape, "count": $0.count,
                                                 "kind": $0.isBuffer ? "buffer" : "parameter"] as [String: Any] }]
            },
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// 1234567 → "1,234,567".
    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return out
    }
}
