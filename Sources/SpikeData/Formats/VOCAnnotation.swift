import Foundation

/// One Pascal VOC annotation file (`Annotations/<id>.xml`): the image's size and its objects.
///
/// Layout: `<annotation>` with `<filename>`, `<size><width/><height/><depth/></size>`,
/// `<segmented>`, and per object `<object><name/><pose/><truncated/><difficult/>
/// <bndbox><xmin/><ymin/><xmax/><ymax/></bndbox></object>`; box values are 1-based pixel
/// indices, inclusive (some files write them with decimals).
public struct VOCAnnotation: Sendable, Equatable {
    /// One annotated object.
    public struct Object: Sendable, Equatable {
        public var name: String
        public var pose: String
        public var truncated: Bool
        public var difficult: Bool
        /// 1-based inclusive pixel indices, as written in the file.
        public var xMin: Double, yMin: Double, xMax: Double, yMax: Double

        public init(name: String, xMin: Double, yMin: Double, xMax: Double, yMax: Double,
                    difficult: Bool = false, truncated: Bool = false, pose: String = "Unspecified") {
            self.name = name
            self.pose = pose
            self.truncated = truncated
            self.difficult = difficult
            self.xMin = xMin
            self.yMin = yMin
            self.xMax = xMax
            self.yMax = yMax
        }

        /// The box in continuous pixel coordinates (see `BoundingBox`): (xmin − 1, ymin − 1) … (xmax, ymax).
        public var box: BoundingBox {
            BoundingBox(xMin: Float(xMin - 1), yMin: Float(yMin - 1), xMax: Float(xMax), yMax: Float(yMax))
        }
    }

    public var folder: String
    public var filename: String
    public var width: Int
    public var height: Int
    public var depth: Int
    public var segmented: Bool
    public var objects: [Object]

    public init(folder: String = "VOC2012", filename: String, width: Int, height: Int, depth: Int = 3,
                segmented: Bool = false, objects: [Object] = []) {
        self.folder = folder
        self.filename = filename
        self.width = width
        self.height = height
        self.depth = depth
        self.segmented = segmented
        self.objects = objects
    }

    /// Reads and checks the annotation file at `path`.
    public static func read(contentsOf path: String) throws -> VOCAnnotation {
        try decode(XMLReader.parse(contentsOf: path), file: path)
    }

    /// Reads and checks annotation XML held in memory; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws -> VOCAnnotation {
        try decode(XMLReader.parse(text, file: file), file: file)
    }

    /// The annotation an `<annotation>` element describes.
    public static func decode(_ root: XMLElement, file: String) throws -> VOCAnnotation {
        func fail(_ element: XMLElement, _ reason: String) -> DataError {
            .inconsistent(file: file, reason: "line \(element.line), <\(element.name)>: \(reason)")
        }
        func required(_ parent: XMLElement, _ name: String, _ what: String) throws -> XMLElement {
            guard let child = parent.child(name) else { throw fail(parent, "missing <\(name)>, expected \(what)") }
            return child
        }
        func integer(_ parent: XMLElement, _ name: String, _ range: ClosedRange<Int>, _ what: String) throws -> Int {
            let element = try required(parent, name, what)
            // Some VOC files write sizes as "500.0".
            guard let value = Double(element.text), value == value.rounded(), range.contains(Int(value)) else {
                throw fail(element, "found '\(element.text)', expected \(what)")
            }
            return Int(value)
        }
        func flag(_ parent: XMLElement, _ name: String) throws -> Bool {
            guard let element = parent.child(name) else { return false }
            switch element.text {
            case "0", "": return false
            case "1": return true
            default: throw fail(element, "found '\(element.text)', expected 0 or 1")
            }
        }
        guard root.name == "annotation" else { throw fail(root, "expected the root element <annotation>") }
        let filename = try required(root, "filename", "the image file name").text
        let size = try required(root, "size", "<width>, <height>, <depth>")
        let width = try integer(size, "width", 1...1 << 20, "the image width in pixels (a positive integer)")
        let height = try integer(size, "height", 1...1 << 20, "the image height in pixels (a positive integer)")
        let depth = size.child("depth") == nil ? 3 : try integer(size, "depth", 0...4, "the channel count 1 or 3")
        var objects: [Object] = []
        for element in root.children("object") {
            let name = try required(element, "name", "the class name").text
            guard !name.isEmpty else { throw fail(element.child("name")!, "empty class name") }
            let box = try required(element, "bndbox", "<xmin>, <ymin>, <xmax>, <ymax>")
            var values: [Double] = []
            for key in ["xmin", "ymin", "xmax", "ymax"] {
                let v = try required(box, key, "a 1-based pixel index")
                guard let value = Double(v.text), value.isFinite else {
                    throw fail(v, "found '\(v.text)', expected a number (1-based pixel index)")
                }
                values.append(value)
            }
            guard values[0] <= values[2], values[1] <= values[3] else {
                throw fail(box, "box (\(values.map { String($0) }.joined(separator: ", "))) has xmin > xmax or ymin > ymax")
            }
            objects.append(Object(name: name, xMin: values[0], yMin: values[1], xMax: values[2], yMax: values[3],
                                  difficult: try flag(element, "difficult"), truncated: try flag(element, "truncated"),
                                  pose: element.child("pose")?.text ?? "Unspecified"))
        }
        return VOCAnnotation(folder: root.child("folder")?.text ?? "", filename: filename, width: width, height: height,
                             depth: depth, segmented: try flag(root, "segmented"), objects: objects)
    }

    /// The XML text of the annotation, laid out like VOC's own files.
    public func xml() -> String {
        func leaf(_ name: String, _ value: String) -> XMLElement { XMLElement(name: name, text: value) }
        func number(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
        var children = [leaf("folder", folder), leaf("filename", filename),
                        XMLElement(name: "size", children: [leaf("width", "\(width)"), leaf("height", "\(height)"),
                                                           leaf("depth", "\(depth)")]),
                        leaf("segmented", segmented ? "1" : "0")]
        for object in objects {
            children.append(XMLElement(name: "object", children: [
                leaf("name", object.name), leaf("pose", object.pose),
                leaf("truncated", object.truncated ? "1" : "0"), leaf("difficult", object.difficult ? "1" : "0"),
                XMLElement(name: "bndbox", children: [
                    leaf("xmin", number(object.xMin)), leaf("ymin", number(object.yMin)),
                    leaf("xmax", number(object.xMax)), leaf("ymax", number(object.yMax)),
                ]),
            ]))
        }
        return XMLElement(name: "annotation", children: children).serialized()
    }

    /// Writes the annotation as XML at `path`.
    public func write(to path: String) throws {
        do {
            try xml().write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw DataError.unwritable(file: path, reason: error.localizedDescription)
        }
    }
}
