import Foundation
import SpikeTensor

/// COCO detection (2017 layout): `annotations/instances_<set>.json` and the images in `<set>/`
/// (e.g. `val2017/000000000139.jpg`), `root` being the folder holding both.
///
/// Classes are the file's categories in increasing id order (80 for COCO 2017, ids 1…90);
/// crowd annotations are kept with `crowd` set. Images without annotations are kept.
public final class COCODetectionDataset: DetectionDataset {
    public let root: String
    /// The image folder name, e.g. `train2017`.
    public let imageSet: String
    public let instances: COCOInstances
    public let classNames: [String]
    private let targets: [DetectionTarget]

    /// The set `imageSet` (`train2017`, `val2017`, …) under `root`.
    public init(root: String, imageSet: String) throws {
        self.root = root
        self.imageSet = imageSet
        let path = root + "/annotations/instances_\(imageSet).json"
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError.missingFiles(root: root, expected: ["annotations/instances_\(imageSet).json", "\(imageSet)/*.jpg"],
                                         missing: ["annotations/instances_\(imageSet).json"])
        }
        instances = try COCOInstances.read(contentsOf: path)
        classNames = instances.categories.map(\.name)
        let classIndex = instances.classIndex
        var byImage: [Int: Int] = [:]
        var targets = instances.images.enumerated().map { i, image -> DetectionTarget in
            byImage[image.id] = i
            return DetectionTarget(imageID: String(image.id), imageWidth: image.width, imageHeight: image.height)
        }
        for annotation in instances.annotations {
            let i = byImage[annotation.imageID]!  // checked by COCOInstances
            targets[i].boxes.append(annotation.box)
            targets[i].classes.append(classIndex[annotation.categoryID]!)
            targets[i].difficult.append(false)
            targets[i].crowd.append(annotation.isCrowd)
        }
        self.targets = targets
    }

    /// The `split`: train → `train2017`, test → `val2017` (the 2017 test labels are not public).
    public convenience init(root: String, split: DataSplit) throws {
        try self.init(root: root, imageSet: split == .train ? "train2017" : "val2017")
    }

    public var count: Int { targets.count }

    public func target(at index: Int) -> DetectionTarget {
        precondition(index >= 0 && index < count, "sample index \(index) out of range 0..<\(count)")
        return targets[index]
    }

    public func sample(at index: Int) throws -> Sample<DetectionTarget> {
        let target = target(at: index)
        let image = instances.images[index]
        let path = root + "/\(imageSet)/\(image.fileName)"
        let pixels: Tensor
        do { pixels = floatImage(try JPEGImage.readTensor(path)) } catch {
            throw DataError.unreadable(file: path, reason: error.description)
        }
        guard pixels.shape[1] == image.height, pixels.shape[2] == image.width else {
            throw DataError.inconsistent(file: path, reason:
                "is \(pixels.shape[2])×\(pixels.shape[1]), instances_\(imageSet).json says \(image.width)×\(image.height)")
        }
        return Sample(input: pixels, target: target)
    }

    /// Everything missing or corrupt for `imageSet` under `root`: the instances file parses and
    /// every image it lists exists with a readable JPEG header of the listed size.
    public static func verifyLayout(root: String, imageSet: String) -> [LayoutProblem] {
        let json = "annotations/instances_\(imageSet).json"
        guard FileManager.default.fileExists(atPath: root + "/" + json) else {
            return [LayoutProblem(path: json, kind: .missing, reason: "the COCO instances file")]
        }
        let instances: COCOInstances
        do { instances = try COCOInstances.read(contentsOf: root + "/" + json) } catch {
            return [LayoutProblem(path: json, kind: .corrupt, reason: "\(error)")]
        }
        var problems: [LayoutProblem] = []
        for image in instances.images {
            let path = "\(imageSet)/\(image.fileName)"
            do {
                let size = try JPEGImage.dimensions(contentsOf: root + "/" + path)
                if size.width != image.width || size.height != image.height {
                    problems.append(LayoutProblem(path: path, kind: .corrupt,
                                                  reason: "is \(size.width)×\(size.height), \(json) says \(image.width)×\(image.height)"))
                }
            } catch {
                problems.append(LayoutProblem(path: path, kind: error.kind == .fileNotFound ? .missing : .corrupt,
                                              reason: error.kind == .fileNotFound ? "listed in \(json)" : error.description))
            }
        }
        return problems
    }
}
