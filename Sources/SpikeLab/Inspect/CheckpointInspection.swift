import Foundation
import SpikeData

/// What `spikelab inspect CHECKPOINT` shows: every group and dataset of the file with its
/// shape, element type and attributes, and a summary of the run state it holds.
public struct CheckpointInspection {
    /// One group or dataset of the file.
    public struct Object {
        /// Absolute path in the file (`/model/conv1.weight`).
        public var path: String
        /// `group` or `dataset`.
        public var kind: String
        /// Extents (datasets only; `[]` for a scalar).
        public var shape: [Int]?
        /// Element type (datasets only).
        public var dtype: String?
        /// Attributes in name order, as text (long strings cut to their first line).
        public var attributes: [(name: String, value: String)]
    }

    public var path: String
    public var fileBytes: Int
    public var objects: [Object]
    /// The parsed checkpoint (validated like `resume` validates it).
    public var checkpoint: Checkpoint
    /// The experiment name in the stored manifest (nil when the text has no `name:` line).
    public var manifestName: String?

    /// Opens and checks the checkpoint at `path`; a missing, truncated or foreign file is
    /// refused with a `CheckpointError` that says why.
    public static func inspect(_ path: String) throws -> CheckpointInspection {
        let checkpoint = try Checkpoint.read(from: path)
        let file: HDF5File
        do { file = try HDF5File.open(path: path) } catch {
            throw CheckpointError.unreadable(path: path, reason: error.description)
        }
        defer { try? file.close() }
        var objects: [Object] = []
        do {
            objects.append(Object(path: "/", kind: "group", shape: nil, dtype: nil, attributes: try attributes(file, "/")))
            try walk(file, "/", into: &objects)
        } catch let error as HDF5Error {
            throw CheckpointError.unreadable(path: path, reason: error.description)
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return CheckpointInspection(path: path, fileBytes: size, objects: objects, checkpoint: checkpoint,
                                    manifestName: Self.name(inManifest: checkpoint.manifest))
    }

    private static func walk(_ file: HDF5File, _ group: String, into objects: inout [Object]) throws {
        for child in try file.listChildren(of: group) {
            let path = group == "/" ? "/\(child.name)" : "\(group)/\(child.name)"
            switch child.kind {
            case .group:
                objects.append(Object(path: path, kind: "group", shape: nil, dtype: nil, attributes: try attributes(file, path)))
                try walk(file, path, into: &objects)
            case .dataset:
                objects.append(Object(path: path, kind: "dataset", shape: try file.datasetShape(path),
                                      dtype: try file.datasetType(path).description, attributes: try attributes(file, path)))
            default:
                objects.append(Object(path: path, kind: "\(child.kind)", shape: nil, dtype: nil, attributes: []))
            }
        }
    }

    private static func attributes(_ file: HDF5File, _ path: String) throws -> [(name: String, value: String)] {
        try file.attributeNames(on: path).sorted().map { name in
            var text = try file.attribute(name, on: path).description
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            if lines.count > 1 { text = "\(lines[0])… (\(lines.count) lines)" }
            if text.count > 100 { text = String(text.prefix(97)) + "…" }
            return (name, text)
        }
    }

    /// The value of the top-level `name:` key of manifest text.
    static func name(inManifest text: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix("name:") {
            let value = line.dropFirst("name:".count).trimmingCharacters(in: .whitespaces)
            return value.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        }
        return nil
    }

    // MARK: Summary

    /// One metric column's first, last, smallest and largest value (NaNs skipped for the extremes).
    public typealias ColumnSummary = (column: String, first: Double, last: Double, min: Double, max: Double)

    /// Metric history: rows, and a summary of each column.
    public var metricsSummary: (rows: Int, columns: [ColumnSummary]) {
        let rows = checkpoint.metrics.first?.values.count ?? 0
        var columns: [ColumnSummary] = []
        for (column, values) in checkpoint.metrics {
            guard let first = values.first, let last = values.last else { continue }
            let finite = values.filter { !$0.isNaN }
            columns.append((column, first, last, finite.min() ?? .nan, finite.max() ?? .nan))
        }
        return (rows, columns)
    }

    /// Parameter and buffer elements stored under /model.
    public var modelElements: Int { checkpoint.model.reduce(0) { $0 + $1.tensor.count } }

    /// A human-readable report.
    public func table() -> String {
        let c = checkpoint
        var out: [String] = []
        out.append("checkpoint \(path) (\(fileBytes) bytes)")
        out.append("  format          \(Checkpoint.format) version \(Checkpoint.formatVersion), written by SpikeLab \(c.spikelabVersion) at \(c.created)")
        out.append("  manifest        \(manifestName ?? "?") (sha256 \(c.manifestSHA256.prefix(16))…)")
        out.append("  epoch           \(c.epoch) completed; data position epoch \(c.dataPosition.epoch), batch \(c.dataPosition.cursor)")
        out.append("  global step     \(c.globalStep)")
        out.append("  threads         \(c.threads)")
        out.append("  learning rate   \(c.learningRate)\(c.schedule.map { " (\($0.kind) schedule)" } ?? "")")
        out.append("  optimizer       \(c.optimizer.map { "\($0.kind), \($0.stepCount) steps" } ?? "none")")
        out.append("  model           \(c.model.count) tensors, \(modelElements) values")
        let metrics = metricsSummary
        out.append("  metrics         \(metrics.rows) rows")
        if metrics.rows > 0 {
            out.append(pad("    column", 18) + pad("first", 14) + pad("last", 14) + pad("min", 14) + "max")
            for column in metrics.columns where !["epoch", "step"].contains(column.column) {
                out.append(pad("    " + column.column, 18) + pad(Self.number(column.first), 14) + pad(Self.number(column.last), 14)
                           + pad(Self.number(column.min), 14) + Self.number(column.max))
            }
        }
        out.append("")
        let width = max(30, objects.map(\.path.count).max() ?? 0) + 2
        out.append(pad("object", width) + pad("kind", 9) + pad("shape", 18) + "dtype")
        for object in objects {
            let shape = object.shape.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" } ?? ""
            out.append(pad(object.path, width) + pad(object.kind, 9) + pad(shape, 18) + (object.dtype ?? ""))
            for (name, value) in object.attributes {
                out.append(pad("", width) + "@\(name) = \(value)")
            }
        }
        return out.joined(separator: "\n")
    }

    /// The report as JSON (keys sorted).
    public func json() throws -> String {
        let c = checkpoint
        let metrics = metricsSummary
        var summary: [String: Any] = [
            "path": path, "file_bytes": fileBytes, "format": Checkpoint.format,
            "format_version": Checkpoint.formatVersion, "spikelab_version": c.spikelabVersion, "created": c.created,
            "manifest_name": manifestName.map { $0 as Any } ?? NSNull(), "manifest_sha256": c.manifestSHA256,
            "epoch": c.epoch, "global_step": c.globalStep, "threads": c.threads,
            "data_position": ["epoch": c.dataPosition.epoch, "cursor": c.dataPosition.cursor],
            "learning_rate": c.learningRate, "model_tensors": c.model.count, "model_values": modelElements,
            "metrics": ["rows": metrics.rows,
                        "columns": Dictionary(uniqueKeysWithValues: metrics.columns.map {
                            ($0.column, ["first": Self.jsonNumber($0.first), "last": Self.jsonNumber($0.last),
                                         "min": Self.jsonNumber($0.min), "max": Self.jsonNumber($0.max)])
                        })],
        ]
        if let optimizer = c.optimizer { summary["optimizer"] = ["kind": optimizer.kind, "step_count": optimizer.stepCount] }
        if let schedule = c.schedule { summary["schedule"] = ["kind": schedule.kind, "last_epoch": schedule.lastEpoch] }
        summary["objects"] = objects.map { object -> [String: Any] in
            var entry: [String: Any] = ["path": object.path, "kind": object.kind,
                                        "attributes": Dictionary(object.attributes.map { ($0.name, $0.value) }) { a, _ in a }]
            if let shape = object.shape { entry["shape"] = shape }
            if let dtype = object.dtype { entry["dtype"] = dtype }
            return entry
        }
        let data = try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    static func number(_ value: Double) -> String {
        value.isNaN ? "nan" : String(format: "%.6g", value)
    }

    /// JSON has no NaN: it becomes null.
    static func jsonNumber(_ value: Double) -> Any { value.isFinite ? value : NSNull() }
}

/// `text` padded with spaces to `width` characters (at least one space after it).
func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}
