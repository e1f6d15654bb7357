import Foundation
import SpikeTensor

/// Detection and segmentation demo scenes in Pascal VOC's layout, made from real
/// Fashion-MNIST images: 2–5 items per scene, each scaled 1.5–3.5× (42–98 px), tinted and
/// pasted at a random place on a textured background (later items occlude earlier ones).
///
/// Per scene: `JPEGImages/<id>.jpg`, `Annotations/<id>.xml` (box = the item's full silhouette
/// extent, 1-based inclusive; `difficult` when less than a quarter of it stays visible),
/// `SegmentationClass/<id>.png` (palette PNG with VOC's colour map: 0 background, label + 1
/// for an item, 255 on a 2-pixel band along every label boundary, as VOC marks outlines).
/// `ImageSets/Main` and `ImageSets/Segmentation` list the `train` scenes (items from the
/// Fashion-MNIST training set) and the `val` scenes (items from its test set).
public struct FashionScenes: Sendable {
    /// Object class names in the XML files, index = Fashion-MNIST label.
    public static let classNames = ["tshirt", "trouser", "pullover", "dress", "coat",
                                    "sandal", "shirt", "sneaker", "bag", "ankleboot"]
    /// Opacity above which an item pixel belongs to its silhouette.
    public static let silhouetteThreshold: Float = 0.25

    public var width = 192
    public var height = 144
    public var trainScenes = 300
    public var valScenes = 100
    public var itemsPerScene = 2...5
    public var scales: ClosedRange<Float> = 1.5...3.5
    public var jpegQuality = 90

    public init() {}

    /// The year folder the scenes go to under `root`.
    public static func directory(root: String) -> String { root + "/VOCdevkit/VOC2012" }

    /// Writes every scene under `root/VOCdevkit/VOC2012`, items drawn from `train` and `test`
    /// (Fashion-MNIST `[N, 1, 28, 28]` datasets), deterministic for `seed`.
    public func write(root: String, train: ByteImageDataset, test: ByteImageDataset, seed: UInt64,
                      progress: (String) -> Void = { _ in }) throws {
        let directory = Self.directory(root: root)
        try DataError.createDirectories(
            ["Annotations", "JPEGImages", "SegmentationClass", "ImageSets/Main", "ImageSets/Segmentation"].map { directory + "/" + $0 })
        let palette = vocColorMap()
        for (set, source, count, stream) in [("train", train, trainScenes, UInt64(0)), ("val", test, valScenes, 1)] {
            var ids: [String] = []
            for k in 0..<count {
                let id = "\(set)_\(String(format: "%06d", k))"
                var g = PhiloxGenerator(seed: seed, stream: (stream << 32) | UInt64(k))
                let scene = makeScene(source: source, using: &g)
                do {
                    try JPEGImage(scene.image).write(to: directory + "/JPEGImages/\(id).jpg", quality: jpegQuality)
                    try PalettedPNGImage(indices: scene.mask, palette: palette).write(to: directory + "/SegmentationClass/\(id).png")
                } catch let error as JPEGError {
                    throw DataError.unwritable(file: error.file, reason: error.description)
                } catch let error as PNGError {
                    throw DataError.unwritable(file: error.file, reason: error.description)
                }
                let annotation = VOCAnnotation(filename: "\(id).jpg", width: width, height: height, segmented: true,
                                               objects: scene.objects)
                try annotation.write(to: directory + "/Annotations/\(id).xml")
                ids.append(id)
                if (k + 1) % 100 == 0 { progress("\(set): \(k + 1)/\(count) scenes") }
            }
            try PascalVOC.writeImageSet(ids, to: directory + "/ImageSets/Main/\(set).txt")
            try PascalVOC.writeImageSet(ids, to: directory + "/ImageSets/Segmentation/\(set).txt")
        }
        try PascalVOC.writeImageSet((0..<trainScenes).map { "train_\(String(format: "%06d", $0))" }
                                    + (0..<valScenes).map { "val_\(String(format: "%06d", $0))" },
                                    to: directory + "/ImageSets/Main/trainval.txt")
    }

    /// One scene: UInt8 image `[3, H, W]`, UInt8 class mask `[H, W]`, and its VOC objects.
    func makeScene(source: ByteImageDataset, using g: inout PhiloxGenerator)
        -> (image: Tensor, mask: Tensor, objects: [VOCAnnotation.Object]) {
        var canvas = FashionCompositor.Canvas(width: width, height: height)
        FashionCompositor.paintBackground(&canvas, using: &g)
        let plane = width * height
        // Which item owns each pixel (-1: background), for occlusion and the mask.
        var owner = [Int](repeating: -1, count: plane)
        let items = itemsPerScene.lowerBound + g.nextIndex(below: itemsPerScene.count)
        var placed: [(label: Int, box: (Int, Int, Int, Int), area: Int)] = []
        for item in 0..<items {
            let index = g.nextIndex(below: source.count)
            let label = Int(source.label(at: index))
            let scale = scales.lowerBound + (scales.upperBound - scales.lowerBound) * g.nextUniform()
            let size = min(min(width, height), max(8, Int((28 * scale).rounded())))
            let left = g.nextIndex(below: width - size + 1), top = g.nextIndex(below: height - size + 1)
            let alpha = FashionCompositor.scaledItem(source.sample(at: index).input, size: size)
            FashionCompositor.paste(alpha, size: size, left: left, top: top,
                                    color: FashionCompositor.itemColor(using: &g), on: &canvas)
            var (x0, y0, x1, y1) = (Int.max, Int.max, -1, -1)
            var area = 0
            for y in 0..<size {
                for x in 0..<size where alpha[y * size + x] > Self.silhouetteThreshold {
                    owner[(top + y) * width + left + x] = item
                    (x0, y0, x1, y1) = (min(x0, left + x), min(y0, top + y), max(x1, left + x), max(y1, top + y))
                    area += 1
                }
            }
            placed.append((label, (x0, y0, x1, y1), area))
        }
        var visible = [Int](repeating: 0, count: items)
        for o in owner where o >= 0 { visible[o] += 1 }
        var objects: [VOCAnnotation.Object] = []
        for (item, p) in placed.enumerated() where p.area > 0 && visible[item] > 0 {
            objects.append(VOCAnnotation.Object(
                name: Self.classNames[p.label], xMin: Double(p.box.0 + 1), yMin: Double(p.box.1 + 1),
                xMax: Double(p.box.2 + 1), yMax: Double(p.box.3 + 1), difficult: visible[item] * 4 < p.area))
        }
        // Class labels, then void wherever a 3×3 neighbourhood holds two labels.
        var labels = [UInt8](repeating: 0, count: plane)
        for i in 0..<plane where owner[i] >= 0 { labels[i] = UInt8(placed[owner[i]].label + 1) }
        var mask = labels
        for y in 0..<height {
            for x in 0..<width {
                let own = owner[y * width + x]
                var boundary = false
                for dy in -1...1 where !boundary {
                    for dx in -1...1 {
                        let (nx, ny) = (x + dx, y + dy)
                        guard nx >= 0, ny >= 0, nx < width, ny < height else { continue }
                        if owner[ny * width + nx] != own { boundary = true; break }
                    }
                }
                if boundary { mask[y * width + x] = 255 }
            }
        }
        return (canvas.bytes(), Tensor(uint8: mask, shape: [height, width]), objects)
    }
}
