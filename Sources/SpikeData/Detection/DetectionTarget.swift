import SpikeTensor

/// An axis-aligned box in continuous pixel coordinates: (0, 0) is the top-left corner of the
/// top-left pixel, so a box covering exactly pixel column 0 spans x 0…1.
///
/// Pascal VOC's 1-based inclusive pixel indices (xmin…xmax) become (xmin − 1)…xmax, as
/// Detectron2 and torchvision read them; COCO's [x, y, w, h] becomes x…x + w.
public struct BoundingBox: Sendable, Equatable {
    public var xMin: Float
    public var yMin: Float
    public var xMax: Float
    public var yMax: Float

    public init(xMin: Float, yMin: Float, xMax: Float, yMax: Float) {
        self.xMin = xMin
        self.yMin = yMin
        self.xMax = xMax
        self.yMax = yMax
    }

    public var width: Float { xMax - xMin }
    public var height: Float { yMax - yMin }
    /// Width × height (0 for an empty or inverted box).
    public var area: Float { max(0, width) * max(0, height) }

    /// Intersection over union with `other` (0 when either box is empty).
    public func iou(_ other: BoundingBox) -> Float {
        let w = min(xMax, other.xMax) - max(xMin, other.xMin)
        let h = min(yMax, other.yMax) - max(yMin, other.yMin)
        guard w > 0, h > 0 else { return 0 }
        let inter = w * h
        let union = area + other.area - inter
        return union > 0 ? inter / union : 0
    }
}

/// What a detector should find in one image: boxes with their classes and flags.
public struct DetectionTarget: Sendable, Equatable {
    /// The image's identifier in its dataset (VOC file stem, COCO image id).
    public var imageID: String
    /// Size of the image the boxes refer to.
    public var imageWidth: Int
    public var imageHeight: Int
    public var boxes: [BoundingBox]
    /// Contiguous class index of each box, in `0..<classCount`.
    public var classes: [Int32]
    /// VOC's `difficult` flag: ignored by VOC mAP (neither a hit nor a miss).
    public var difficult: [Bool]
    /// COCO's `iscrowd` flag: a region of many objects, matched but never counted as a miss.
    public var crowd: [Bool]

    public init(imageID: String, imageWidth: Int, imageHeight: Int, boxes: [BoundingBox] = [], classes: [Int32] = [],
                difficult: [Bool]? = nil, crowd: [Bool]? = nil) {
        precondition(classes.count == boxes.count, "\(classes.count) classes for \(boxes.count) boxes")
        self.imageID = imageID
        self.imageWidth = imageWidth
        self.imageHeight = imageHeight
        self.boxes = boxes
        self.classes = classes
        self.difficult = difficult ?? Array(repeating: false, count: boxes.count)
        self.crowd = crowd ?? Array(repeating: false, count: boxes.count)
        precondition(self.difficult.count == boxes.count && self.crowd.count == boxes.count,
                     "one difficult and one crowd flag per box")
    }

    /// Number of objects.
    public var count: Int { boxes.count }
}

/// What a segmenter should predict for one image: a class index per pixel.
public struct SegmentationTarget {
    /// The label of pixels that count for nothing (object boundaries, unlabelled regions).
    public static let void: Int32 = 255

    /// The image's identifier in its dataset.
    public var imageID: String
    /// Int32 `[H, W]`: class index per pixel (0 background, 1… classes), or `void`.
    public var mask: Tensor

    public init(imageID: String, mask: Tensor) {
        precondition(mask.dtype == .int32 && mask.rank == 2, "a mask is Int32 [H, W], got \(mask.dtype) \(mask.shape)")
        self.imageID = imageID
        self.mask = mask
    }
}

/// A detection dataset: images of varying size, each with its boxes.
///
/// Images are decoded when a sample is asked for (a real dataset does not fit in memory), so
/// `sample(at:)` throws if a file went bad after loading; `verifyLayout(root:)` of each
/// dataset checks every file up front. Annotations are read at load time.
public protocol DetectionDataset: Sendable {
    /// Number of images.
    var count: Int { get }
    /// Class names; box classes lie in `0..<classNames.count`.
    var classNames: [String] { get }
    /// The annotations of image `index` (no image decoding).
    func target(at index: Int) -> DetectionTarget
    /// Image `index` as Float `[3, H, W]` in [0, 1], with its annotations.
    func sample(at index: Int) throws -> Sample<DetectionTarget>
}

/// A semantic segmentation dataset: images of varying size, each with a class mask of its size.
///
/// As for `DetectionDataset`, files are decoded when a sample is asked for.
public protocol SegmentationDataset: Sendable {
    /// Number of images.
    var count: Int { get }
    /// Class names, index 0 the background; mask values lie in `0..<classNames.count` or are `SegmentationTarget.void`.
    var classNames: [String] { get }
    /// Image `index` as Float `[3, H, W]` in [0, 1], with its mask `[H, W]`.
    func sample(at index: Int) throws -> Sample<SegmentationTarget>
}
