import Foundation

/// One detection in the COCO results format: `{image_id, category_id, bbox: [x, y, w, h], score}`.
public struct COCODetection: Sendable, Equatable {
    public var imageID: Int
    public var categoryID: Int
    /// [x, y, width, height] in continuous pixel coordinates.
    public var bbox: [Double]
    public var score: Double

    public init(imageID: Int, categoryID: Int, bbox: [Double], score: Double) {
        precondition(bbox.count == 4, "a COCO bbox is [x, y, w, h]")
        self.imageID = imageID
        self.categoryID = categoryID
        self.bbox = bbox
        self.score = score
    }
}

/// Reader and writer of COCO detection results files (a JSON list of `COCODetection`s), the
/// file `COCO.loadRes` takes.
public enum COCOResults {
    /// Reads and checks the results file at `path`.
    public static func read(contentsOf path: String) throws(ScoreError) -> [COCODetection] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadable(file: path, reason: FileManager.default.fileExists(atPath: path)
                              ? error.localizedDescription : "no such file")
        }
        return try decode(data, file: path)
    }

    /// Reads and checks results JSON held in memory; `file` names it in errors, which give the
    /// entry (`[3].bbox`) and what is expected there.
    public static func decode(_ data: Data, file: String) throws(ScoreError) -> [COCODetection] {
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data)
        } catch {
            let detail = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? error.localizedDescription
            throw .invalid(file: file, path: "(top level)", found: "\(data.count) bytes that are not valid JSON (\(detail))",
                           expected: "a JSON list of {image_id, category_id, bbox, score}")
        }
        guard let list = json as? [Any] else {
            throw .invalid(file: file, path: "(top level)", found: "\(type(of: json))",
                           expected: "a JSON list of {image_id, category_id, bbox, score}")
        }
        func shown(_ value: Any?) -> String { value.map { String("\($0)".prefix(40)) } ?? "nothing" }
        var detections: [COCODetection] = []
        detections.reserveCapacity(list.count)
        for (i, item) in list.enumerated() {
            guard let object = item as? [String: Any] else {
                throw .invalid(file: file, path: "[\(i)]", found: shown(item), expected: "an object {image_id, category_id, bbox, score}")
            }
            func integer(_ key: String) throws(ScoreError) -> Int {
                guard let value = number(object[key]), value == value.rounded(), abs(value) < 1e15 else {
                    throw .invalid(file: file, path: "[\(i)].\(key)", found: shown(object[key]), expected: "an integer")
                }
                return Int(value)
            }
            let imageID = try integer("image_id")
            let categoryID = try integer("category_id")
            guard let raw = object["bbox"] as? [Any], raw.count == 4 else {
                throw .invalid(file: file, path: "[\(i)].bbox", found: shown(object["bbox"]), expected: "4 numbers [x, y, width, height]")
            }
            let bbox = raw.compactMap(number)
            guard bbox.count == 4, bbox.allSatisfy(\.isFinite), bbox[2] >= 0, bbox[3] >= 0 else {
                throw .invalid(file: file, path: "[\(i)].bbox", found: shown(raw),
                               expected: "4 finite numbers [x, y, width, height] with width, height ≥ 0")
            }
            guard let score = number(object["score"]), score.isFinite else {
                throw .invalid(file: file, path: "[\(i)].score", found: shown(object["score"]), expected: "a finite number")
            }
            detections.append(COCODetection(imageID: imageID, categoryID: categoryID, bbox: bbox, score: score))
        }
        return detections
    }

    /// The JSON bytes of a results file holding `detections`.
    public static func encoded(_ detections: [COCODetection]) -> Data {
        let json = detections.map { ["image_id": $0.imageID, "category_id": $0.categoryID, "bbox": $0.bbox, "score": $0.score] as [String: Any] }
        // Only plain JSON values, so serialisation cannot fail.
        return try! JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
    }
}

/// A JSON number as Double (JSONSerialization gives Int, Double or NSNumber).
private func number(_ value: Any?) -> Double? {
    switch value {
    case let v as Int: return Double(v)
    case let v as Double: return v
    case let v as NSNumber: return v.doubleValue
    default: return nil
    }
}
