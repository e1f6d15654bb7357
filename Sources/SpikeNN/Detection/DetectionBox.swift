/// An axis-aligned box in continuous pixel coordinates of the network's input image
/// (x to the right, y down), as the detector's loss and decoding see it.
public struct DetectionBox: Sendable, Equatable {
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

    /// The box of centre (`cx`, `cy`) and size `w × h`.
    public init(centerX cx: Float, centerY cy: Float, width w: Float, height h: Float) {
        self.init(xMin: cx - w / 2, yMin: cy - h / 2, xMax: cx + w / 2, yMax: cy + h / 2)
    }

    public var width: Float { xMax - xMin }
    public var height: Float { yMax - yMin }
    public var centerX: Float { (xMin + xMax) / 2 }
    public var centerY: Float { (yMin + yMax) / 2 }
    /// Width × height (0 for an empty or inverted box).
    public var area: Float { max(0, width) * max(0, height) }

    /// Intersection over union with `other` (0 when they do not overlap or both are empty).
    public func iou(_ other: DetectionBox) -> Float {
        let w = min(xMax, other.xMax) - max(xMin, other.xMin)
        let h = min(yMax, other.yMax) - max(yMin, other.yMin)
        guard w > 0, h > 0 else { return 0 }
        let intersection = w * h
        let union = area + other.area - intersection
        return union > 0 ? intersection / union : 0
    }
}

/// A ground-truth object in input-image pixels.
public struct DetectionObject: Sendable, Equatable {
    public var box: DetectionBox
    /// Class index in `0..<classCount`.
    public var classIndex: Int

    public init(box: DetectionBox, classIndex: Int) {
        self.box = box
        self.classIndex = classIndex
    }
}

/// One predicted object: box in input-image pixels, class and score in [0, 1].
public struct Detection: Sendable, Equatable {
    public var box: DetectionBox
    public var classIndex: Int
    public var score: Float

    public init(box: DetectionBox, classIndex: Int, score: Float) {
        self.box = box
        self.classIndex = classIndex
        self.score = score
    }
}
