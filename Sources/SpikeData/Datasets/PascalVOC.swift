import Foundation
import SpikeTensor

/// Pascal VOC (`VOCdevkit/VOC2012` or `VOC2007`): detection and semantic segmentation.
///
/// Layout: `Annotations/<id>.xml`, `JPEGImages/<id>.jpg`, `ImageSets/Main/{train,val,trainval}.txt`
/// (detection), `ImageSets/Segmentation/{train,val}.txt` with `SegmentationClass/<id>.png`
/// (8-bit palette PNGs: 0 background, 1…20 classes, 255 void). `root` may be the year folder,
/// `VOCdevkit`, or the folder holding `VOCdevkit`. VOC2012's test set is not public, so
/// `DataSplit.test` reads the `val` lists.
public enum PascalVOC {
    /// The 20 VOC classes in their official order (detection index i = segmentation label i + 1).
    public static let classNames = [
        "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    ]

    /// The year folder under `root` (the first of `root`, `root/VOC2012`, `root/VOCdevkit/VOC2012`,
    /// the same for VOC2007, that holds `ImageSets`), or `root` itself.
    public static func directory(root: String) -> String {
        let candidates = [root] + ["VOC2012", "VOC2007"].flatMap { [root + "/" + $0, root + "/VOCdevkit/" + $0] }
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/ImageSets") } ?? root
    }

    /// The object classes of the VOC-layout data under `root`: `FashionScenes.classNames` for
    /// SpikeLab's fashion-scenes demo set (its `spikelab-demo.txt` marker, next to `VOCdevkit`,
    /// says so), VOC's 20 otherwise.
    public static func classNames(forRoot root: String) -> [String] {
        let year = URL(fileURLWithPath: directory(root: root))
        let folders = [URL(fileURLWithPath: root), year.deletingLastPathComponent().deletingLastPathComponent(),
                       year.deletingLastPathComponent()]
        for folder in folders {
            let marker = folder.appendingPathComponent("spikelab-demo.txt").path
            if let text = try? String(contentsOfFile: marker, encoding: .utf8), text.hasPrefix("fashion-scenes") {
                return FashionScenes.classNames
            }
        }
        return classNames
    }

    /// The image-set list name of `split`: `train` or `val`.
    public static func imageSet(_ split: DataSplit) -> String { split == .train ? "train" : "val" }

    /// The image ids listed in an `ImageSets/*/<set>.txt` file (first field of each line).
    public static func readImageSet(_ path: String) throws -> [String] {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError.missingFiles(root: (path as NSString).deletingLastPathComponent,
                                         expected: [(path as NSString).lastPathComponent], missing: [(path as NSString).lastPathComponent])
        }
        var ids: [String] = []
        for (number, line) in try readTextLines(path) {
            let fields = line.split(whereSeparator: \.isWhitespace)
            if fields.isEmpty { continue }
            let id = String(fields[0])
            guard !id.contains("/"), !id.hasPrefix(".") else {
                throw DataError.inconsistent(file: path, reason: "line \(number): found '\(line)', expected an image id like 2008_000008")
            }
            ids.append(id)
        }
        return ids
    }

    /// Writes an image-set list (one id per line).
    public static func writeImageSet(_ ids: [String], to path: String) throws {
        do {
            try (ids.map { $0 + "\n" }.joined()).write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw DataError.unwritable(file: path, reason: error.localizedDescription)
        }
    }

    /// Image `id` of the year folder as a Float `[3, H, W]` tensor in [0, 1].
    static func loadImage(directory: String, id: String) throws -> Tensor {
        let path = directory + "/JPEGImages/\(id).jpg"
        do {
            let bytes = try JPEGImage.readTensor(path)
            return floatImage(bytes)
        } catch {
            throw DataError.unreadable(file: path, reason: error.description)
        }
    }

    /// Everything missing or corrupt for detection and segmentation under `root`: both image-set
    /// folders, every listed annotation (parsed, names among `classNames`), image (JPEG header,
    /// size as annotated) and mask (palette PNG of the image's size).
    public static func verifyLayout(root: String, classNames: [String] = classNames) -> [LayoutProblem] {
        let directory = directory(root: root)
        var problems: [LayoutProblem] = []
        let fm = FileManager.default
        var sizes: [String: (Int, Int)] = [:]
        for set in ["train", "val"] {
            let list = "ImageSets/Main/\(set).txt"
            guard fm.fileExists(atPath: directory + "/" + list) else {
                problems.append(LayoutProblem(path: list, kind: .missing, reason: "detection image ids of the \(set) set"))
                continue
            }
            do {
                for id in try readImageSet(directory + "/" + list) where sizes[id] == nil {
                    let xml = "Annotations/\(id).xml", jpg = "JPEGImages/\(id).jpg"
                    guard fm.fileExists(atPath: directory + "/" + xml) else {
                        problems.append(LayoutProblem(path: xml, kind: .missing, reason: "annotation of \(id), listed in \(list)"))
                        continue
                    }
                    do {
                        let annotation = try VOCAnnotation.read(contentsOf: directory + "/" + xml)
                        for object in annotation.objects where !classNames.contains(object.name) {
                            problems.append(LayoutProblem(path: xml, kind: .corrupt, reason:
                                "object class '\(object.name)' is not one of \(classNames.joined(separator: ", "))"))
                        }
                        sizes[id] = (annotation.width, annotation.height)
                        problems += checkImage(directory: directory, path: jpg, width: annotation.width, height: annotation.height)
                    } catch {
                        problems.append(LayoutProblem(path: xml, kind: .corrupt, reason: "\(error)"))
                    }
                }
            } catch {
                problems.append(LayoutProblem(path: list, kind: .corrupt, reason: "\(error)"))
            }
        }
        for set in ["train", "val"] {
            let list = "ImageSets/Segmentation/\(set).txt"
            guard fm.fileExists(atPath: directory + "/" + list) else {
                problems.append(LayoutProblem(path: list, kind: .missing, reason: "segmentation image ids of the \(set) set"))
                continue
            }
            do {
                for id in try readImageSet(directory + "/" + list) {
                    let png = "SegmentationClass/\(id).png"
                    if sizes[id] == nil {
                        problems += checkImage(directory: directory, path: "JPEGImages/\(id).jpg", width: nil, height: nil)
                    }
                    do {
                        let mask = try PalettedPNGImage(contentsOf: directory + "/" + png)
                        if let (w, h) = sizes[id], mask.width != w || mask.height != h {
                            problems.append(LayoutProblem(path: png, kind: .corrupt,
                                                          reason: "mask is \(mask.width)×\(mask.height), the image \(w)×\(h)"))
                        }
                    } catch {
                        problems.append(LayoutProblem(path: png, kind: error.kind == .fileNotFound ? .missing : .corrupt,
                                                      reason: error.kind == .fileNotFound ? "class mask of \(id), listed in \(list)" : error.description))
                    }
                }
            } catch {
                problems.append(LayoutProblem(path: list, kind: .corrupt, reason: "\(error)"))
            }
        }
        return problems
    }

    private static func checkImage(directory: String, path: String, width: Int?, height: Int?) -> [LayoutProblem] {
        do {
            let size = try JPEGImage.dimensions(contentsOf: directory + "/" + path)
            if let width, let height, size.width != width || size.height != height {
                return [LayoutProblem(path: path, kind: .corrupt,
                                      reason: "is \(size.width)×\(size.height), its annotation says \(width)×\(height)")]
            }
            return []
        } catch {
            return [LayoutProblem(path: path, kind: error.kind == .fileNotFound ? .missing : .corrupt,
                                  reason: error.kind == .fileNotFound ? "the image" : error.description)]
        }
    }
}

/// Pascal VOC detection: the images of one `ImageSets/Main` list with their boxes.
public final class VOCDetectionDataset: DetectionDataset {
    /// The year folder (e.g. `…/VOCdevkit/VOC2012`).
    public let directory: String
    /// Image ids in list order.
    public let ids: [String]
    public let classNames: [String]
    private let targets: [DetectionTarget]

    /// The images of `ImageSets/Main/<imageSet>.txt` under `root`, every annotation read and
    /// checked now. Object names must be in `classNames` (VOC's 20 by default); with
    /// `keepDifficult` false, difficult objects are dropped instead of flagged.
    public init(root: String, imageSet: String, classNames: [String] = PascalVOC.classNames,
                keepDifficult: Bool = true) throws {
        directory = PascalVOC.directory(root: root)
        self.classNames = classNames
        let list = directory + "/ImageSets/Main/\(imageSet).txt"
        ids = try PascalVOC.readImageSet(list)
        let classIndex = Dictionary(uniqueKeysWithValues: classNames.enumerated().map { ($1, Int32($0)) })
        var targets: [DetectionTarget] = []
        targets.reserveCapacity(ids.count)
        for id in ids {
            let path = directory + "/Annotations/\(id).xml"
            let annotation = try VOCAnnotation.read(contentsOf: path)
            var target = DetectionTarget(imageID: id, imageWidth: annotation.width, imageHeight: annotation.height)
            for object in annotation.objects where keepDifficult || !object.difficult {
                guard let label = classIndex[object.name] else {
                    throw DataError.inconsistent(file: path, reason:
                        "object class '\(object.name)' is not one of \(classNames.joined(separator: ", "))")
                }
                target.boxes.append(object.box)
                target.classes.append(label)
                target.difficult.append(object.difficult)
                target.crowd.append(false)
            }
            targets.append(target)
        }
        self.targets = targets
    }

    /// The `split` (train → `train`, test → `val`).
    public convenience init(root: String, split: DataSplit, classNames: [String] = PascalVOC.classNames) throws {
        try self.init(root: root, imageSet: PascalVOC.imageSet(split), classNames: classNames)
    }

    public var count: Int { ids.count }

    public func target(at index: Int) -> DetectionTarget {
        precondition(index >= 0 && index < count, "sample index \(index) out of range 0..<\(count)")
        return targets[index]
    }

    public func sample(at index: Int) throws -> Sample<DetectionTarget> {
        let target = target(at: index)
        let image = try PascalVOC.loadImage(directory: directory, id: target.imageID)
        guard image.shape[1] == target.imageHeight, image.shape[2] == target.imageWidth else {
            throw DataError.inconsistent(file: directory + "/JPEGImages/\(target.imageID).jpg", reason:
                "is \(image.shape[2])×\(image.shape[1]), Annotations/\(target.imageID).xml says \(target.imageWidth)×\(target.imageHeight)")
        }
        return Sample(input: image, target: target)
    }
}

/// Pascal VOC semantic segmentation: the images of one `ImageSets/Segmentation` list with
/// their `SegmentationClass` masks (0 background, 1… classes, 255 void).
public final class VOCSegmentationDataset: SegmentationDataset {
    public let directory: String
    public let ids: [String]
    /// `background` then the object classes.
    public let classNames: [String]

    /// The images of `ImageSets/Segmentation/<imageSet>.txt` under `root`; `classNames` are
    /// the object classes (VOC's 20 by default), mask label i + 1 being `classNames[i]`.
    public init(root: String, imageSet: String, classNames: [String] = PascalVOC.classNames) throws {
        directory = PascalVOC.directory(root: root)
        ids = try PascalVOC.readImageSet(directory + "/ImageSets/Segmentation/\(imageSet).txt")
        self.classNames = ["background"] + classNames
    }

    /// The `split` (train → `train`, test → `val`).
    public convenience init(root: String, split: DataSplit, classNames: [String] = PascalVOC.classNames) throws {
        try self.init(root: root, imageSet: PascalVOC.imageSet(split), classNames: classNames)
    }

    public var count: Int { ids.count }

    /// The class mask of image `index`, Int32 `[H, W]`; values beyond the classes other than 255 are errors.
    public func mask(at index: Int) throws -> Tensor {
        precondition(index >= 0 && index < count, "sample index \(index) out of range 0..<\(count)")
        let path = directory + "/SegmentationClass/\(ids[index]).png"
        let png: PalettedPNGImage
        do { png = try PalettedPNGImage(contentsOf: path) } catch { throw DataError.unreadable(file: path, reason: error.description) }
        let mask = Tensor(shape: [png.height, png.width], dtype: .int32, uninitialized: true)
        let out = mask.int32s
        for (i, v) in png.indices.enumerated() {
            if Int(v) >= classNames.count && Int32(v) != SegmentationTarget.void {
                throw DataError.inconsistent(file: path, reason:
                    "pixel (\(i % png.width), \(i / png.width)) has label \(v), expected 0..<\(classNames.count) or 255 (void)")
            }
            out[i] = Int32(v)
        }
        return mask
    }

    public func sample(at index: Int) throws -> Sample<SegmentationTarget> {
        let mask = try mask(at: index)
        let image = try PascalVOC.loadImage(directory: directory, id: ids[index])
        guard image.shape[1] == mask.shape[0], image.shape[2] == mask.shape[1] else {
            throw DataError.inconsistent(file: directory + "/SegmentationClass/\(ids[index]).png", reason:
                "mask is \(mask.shape[1])×\(mask.shape[0]), JPEGImages/\(ids[index]).jpg is \(image.shape[2])×\(image.shape[1])")
        }
        return Sample(input: image, target: SegmentationTarget(imageID: ids[index], mask: mask))
    }
}

/// A UInt8 image `[C, H, W]` as Float in [0, 1].
func floatImage(_ bytes: Tensor) -> Tensor {
    let result = Tensor(shape: bytes.shape, uninitialized: true)
    withExtendedLifetime(bytes) {
        let source = bytes.uint8s, target = result.floats
        for i in 0..<source.count { target[i] = Float(source[i]) / 255 }
    }
    return result
}
