import Foundation

/// A COCO instances file (`annotations/instances_<set>.json`): images, object annotations and
/// categories, as the COCO API reads them.
///
/// Fields used: `images[{id, file_name, width, height}]`, `annotations[{id, image_id,
/// category_id, bbox: [x, y, w, h], area, iscrowd}]`, `categories[{id, name, supercategory}]`.
/// Category ids have gaps (1…90 for 80 classes); `classIndex` maps them to `0..<categories.count`
/// in increasing id order. Other fields (`info`, `licenses`, `segmentation`) are skipped.
public struct COCOInstances: Sendable, Equatable {
    public struct Image: Sendable, Equatable {
        public var id: Int
        public var fileName: String
        public var width: Int
        public var height: Int
        public init(id: Int, fileName: String, width: Int, height: Int) {
            self.id = id
            self.fileName = fileName
            self.width = width
            self.height = height
        }
    }

    public struct Annotation: Sendable, Equatable {
        public var id: Int
        public var imageID: Int
        public var categoryID: Int
        /// [x, y, width, height] in continuous pixel coordinates.
        public var bbox: [Double]
        public var area: Double
        public var isCrowd: Bool
        public init(id: Int, imageID: Int, categoryID: Int, bbox: [Double], area: Double? = nil, isCrowd: Bool = false) {
            precondition(bbox.count == 4, "a COCO bbox is [x, y, w, h]")
            self.id = id
            self.imageID = imageID
            self.categoryID = categoryID
            self.bbox = bbox
            self.area = area ?? bbox[2] * bbox[3]
            self.isCrowd = isCrowd
        }

        /// The box as corners.
        public var box: BoundingBox {
            BoundingBox(xMin: Float(bbox[0]), yMin: Float(bbox[1]), xMax: Float(bbox[0] + bbox[2]), yMax: Float(bbox[1] + bbox[3]))
        }
    }

    public struct Category: Sendable, Equatable {
        public var id: Int
        public var name: String
        public var supercategory: String
        public init(id: Int, name: String, supercategory: String = "") {
            self.id = id
            self.name = name
            self.supercategory = supercategory
        }
    }

    public var images: [Image]
    public var annotations: [Annotation]
    /// In increasing id order.
    public var categories: [Category]

    public init(images: [Image], annotations: [Annotation], categories: [Category]) {
        self.images = images
        self.annotations = annotations
        self.categories = categories.sorted { $0.id < $1.id }
    }

    /// Category id → contiguous class index (increasing id order).
    public var classIndex: [Int: Int32] {
        Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1.id, Int32($0)) })
    }

    // MARK: Reading

    /// Reads and checks the instances file at `path`.
    public static func read(contentsOf path: String) throws -> COCOInstances {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw DataError.unreadable(file: path, reason: FileManager.default.fileExists(atPath: path)
                                       ? error.localizedDescription : "no such file")
        }
        return try decode(data, file: path)
    }

    /// Reads and checks instances JSON held in memory; `file` names it in errors, which give the
    /// key path of a bad value (`annotations[3].bbox`) and what is expected there.
    public static func decode(_ data: Data, file: String) throws -> COCOInstances {
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data)
        } catch {
            let info = (error as NSError).userInfo
            let detail = (info[NSDebugDescriptionErrorKey] as? String) ?? error.localizedDescription
            throw DataError.inconsistent(file: file, reason: "not valid JSON (\(data.count) bytes): \(detail)")
        }
        guard let top = json as? [String: Any] else {
            throw DataError.inconsistent(file: file, reason: "the top level is not an object with images, annotations, categories")
        }
        func fail(_ path: String, _ expected: String, _ found: Any?) -> DataError {
            let shown = found.map { "\($0)".prefix(40) } ?? "nothing"
            return .inconsistent(file: file, reason: "\(path): found \(shown), expected \(expected)")
        }
        func list(_ key: String) throws -> [[String: Any]] {
            guard let array = top[key] as? [Any] else { throw fail(key, "a list of objects", top[key]) }
            return try array.enumerated().map { i, item in
                guard let object = item as? [String: Any] else { throw fail("\(key)[\(i)]", "an object", item) }
                return object
            }
        }
        func int(_ object: [String: Any], _ key: String, _ path: String, min: Int = Int.min) throws -> Int {
            guard let value = number(object[key]), value == value.rounded(), value >= Double(min), abs(value) < 1e15 else {
                throw fail("\(path).\(key)", min == 0 ? "a non-negative integer" : min == 1 ? "a positive integer" : "an integer", object[key])
            }
            return Int(value)
        }
        func string(_ object: [String: Any], _ key: String, _ path: String) throws -> String {
            guard let value = object[key] as? String else { throw fail("\(path).\(key)", "a string", object[key]) }
            return value
        }

        var images: [Image] = []
        var imageIDs = Set<Int>()
        for (i, object) in try list("images").enumerated() {
            let path = "images[\(i)]"
            let image = Image(id: try int(object, "id", path), fileName: try string(object, "file_name", path),
                              width: try int(object, "width", path, min: 1), height: try int(object, "height", path, min: 1))
            guard imageIDs.insert(image.id).inserted else { throw fail("\(path).id", "an id no other image has", image.id) }
            images.append(image)
        }
        var categories: [Category] = []
        var categoryIDs = Set<Int>()
        for (i, object) in try list("categories").enumerated() {
            let path = "categories[\(i)]"
            let category = Category(id: try int(object, "id", path), name: try string(object, "name", path),
                                    supercategory: object["supercategory"] as? String ?? "")
            guard categoryIDs.insert(category.id).inserted else { throw fail("\(path).id", "an id no other category has", category.id) }
            categories.append(category)
        }
        var annotations: [Annotation] = []
        for (i, object) in try list("annotations").enumerated() {
            let path = "annotations[\(i)]"
            let imageID = try int(object, "image_id", path)
            guard imageIDs.contains(imageID) else { throw fail("\(path).image_id", "the id of an entry of images", imageID) }
            let categoryID = try int(object, "category_id", path)
            guard categoryIDs.contains(categoryID) else {
                throw fail("\(path).category_id", "the id of an entry of categories", categoryID)
            }
            guard let raw = object["bbox"] as? [Any], raw.count == 4 else {
                throw fail("\(path).bbox", "4 numbers [x, y, width, height]", object["bbox"])
            }
            let bbox = raw.compactMap(number)
            guard bbox.count == 4, bbox.allSatisfy(\.isFinite), bbox[2] >= 0, bbox[3] >= 0 else {
                throw fail("\(path).bbox", "4 finite numbers [x, y, width, height] with width, height ≥ 0", raw)
            }
            let crowd = object["iscrowd"] == nil ? 0 : try int(object, "iscrowd", path, min: 0)
            guard crowd <= 1 else { throw fail("\(path).iscrowd", "0 or 1", crowd) }
            annotations.append(Annotation(id: object["id"] == nil ? i : try int(object, "id", path), imageID: imageID,
                                          categoryID: categoryID, bbox: bbox, area: number(object["area"]),
                                          isCrowd: crowd == 1))
        }
        return COCOInstances(images: images, annotations: annotations, categories: categories)
    }

    // MARK: Writing

    /// The JSON bytes of the file (keys sorted, so equal content gives equal bytes).
    public func encoded() -> Data {
        let json: [String: Any] = [
            "info": ["description": "written by SpikeLab"],
            "licenses": [Any](),
            "images": images.map { ["id": $0.id, "file_name": $0.fileName, "width": $0.width, "height": $0.height] },
            "annotations": annotations.map { a -> [String: Any] in
                let (x, y, w, h) = (a.bbox[0], a.bbox[1], a.bbox[2], a.bbox[3])
                return ["id": a.id, "image_id": a.imageID, "category_id": a.categoryID, "bbox": a.bbox, "area": a.area,
                        "iscrowd": a.isCrowd ? 1 : 0,
                        // The box outline as a polygon, so COCO tools that expect segmentation find one.
                        "segmentation": [[x, y, x + w, y, x + w, y + h, x, y + h]]]
            },
            "categories": categories.map { ["id": $0.id, "name": $0.name, "supercategory": $0.supercategory] },
        ]
        // Only plain JSON values above, so serialisation cannot fail.
        return try! JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
    }

    /// Writes the JSON file at `path`.
    public func write(to path: String) throws {
        do {
            try encoded().write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw DataError.unwritable(file: path, reason: error.localizedDescription)
        }
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
