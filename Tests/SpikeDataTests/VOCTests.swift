import Foundation
import Testing
@testable import SpikeData
import SpikeTensor

/// A VOC annotation written by hand from the format description (VOC2012 style, tabs,
/// a decimal coordinate, a comment, an entity and a difficult object).
let handWrittenVOCXML = """
<?xml version="1.0" encoding="utf-8"?>
<annotation>
\t<folder>VOC2012</folder>
\t<filename>2008_000008.jpg</filename>
\t<source><database>The VOC2008 Database</database></source>
\t<size>
\t\t<width>20</width>
\t\t<height>10</height>
\t\t<depth>3</depth>
\t</size>
\t<segmented>1</segmented>
\t<!-- a horse and a person -->
\t<object>
\t\t<name>horse</name>
\t\t<pose>Left</pose>
\t\t<truncated>0</truncated>
\t\t<difficult>0</difficult>
\t\t<bndbox><xmin>2</xmin><ymin>3</ymin><xmax>12.5</xmax><ymax>10</ymax></bndbox>
\t</object>
\t<object>
\t\t<name>person</name>
\t\t<pose>Unspecified &amp; &#65;</pose>
\t\t<truncated>1</truncated>
\t\t<difficult>1</difficult>
\t\t<bndbox>
\t\t\t<xmin>1</xmin>
\t\t\t<ymin>1</ymin>
\t\t\t<xmax>4</xmax>
\t\t\t<ymax>5</ymax>
\t\t</bndbox>
\t</object>
</annotation>

"""

@Suite("Pascal VOC annotations, detection and segmentation datasets")
struct VOCTests {
    @Test("parses a hand-written annotation: size, names, boxes, flags, entities")
    func handWrittenAnnotation() throws {
        let a = try VOCAnnotation.parse(handWrittenVOCXML, file: "2008_000008.xml")
        #expect(a.filename == "2008_000008.jpg" && a.width == 20 && a.height == 10 && a.depth == 3 && a.segmented)
        #expect(a.objects.count == 2)
        #expect(a.objects[0] == VOCAnnotation.Object(name: "horse", xMin: 2, yMin: 3, xMax: 12.5, yMax: 10, pose: "Left"))
        #expect(a.objects[1].difficult && a.objects[1].truncated && a.objects[1].pose == "Unspecified & A")
        // 1-based inclusive indices → continuous corners: pixel columns 0…3 span x 0…4.
        #expect(a.objects[1].box == BoundingBox(xMin: 0, yMin: 0, xMax: 4, yMax: 5))
    }

    @Test("the writer's XML parses back to the same annotation")
    func writerRoundTrip() throws {
        let a = try VOCAnnotation.parse(handWrittenVOCXML, file: "a.xml")
        let b = try VOCAnnotation.parse(a.xml(), file: "b.xml")
        #expect(a == b)
        #expect(a.xml().contains("<xmax>12.5</xmax>") && a.xml().contains("<xmin>2</xmin>"))
    }

    @Test("malformed XML and bad values are errors naming the file, line and what is expected")
    func badXML() {
        let unclosed = dataError { _ = try VOCAnnotation.parse("<annotation>\n<size>\n<width>3</width>\n</annotation>", file: "u.xml") }
        #expect(unclosed?.description == "u.xml: line 4, column 3 (byte 39): found 'annotation>', expected the end tag </size> of the element opened on line 2",
                "\(String(describing: unclosed))")
        let truncated = dataError { _ = try VOCAnnotation.parse("<annotation><filename>a", file: "t.xml") }
        #expect(truncated?.description.contains("found the end of the file, expected the end tag </filename>") == true)
        let number = handWrittenVOCXML.replacingOccurrences(of: "<ymin>3</ymin>", with: "<ymin>three</ymin>")
        let bad = dataError { _ = try VOCAnnotation.parse(number, file: "n.xml") }
        #expect(bad?.description == "n.xml: line 18, <ymin>: found 'three', expected a number (1-based pixel index)", "\(String(describing: bad))")
        let noSize = dataError { _ = try VOCAnnotation.parse("<annotation><filename>a.jpg</filename></annotation>", file: "s.xml") }
        #expect(noSize?.description == "s.xml: line 1, <annotation>: missing <size>, expected <width>, <height>, <depth>")
        let inverted = handWrittenVOCXML.replacingOccurrences(of: "<xmax>4</xmax>", with: "<xmax>0</xmax>")
        #expect(dataError { _ = try VOCAnnotation.parse(inverted, file: "i.xml") }?.description.contains("xmin > xmax") == true)
        #expect(dataError { _ = try VOCAnnotation.parse("<a>&bogus;</a>", file: "e.xml") }?.description.contains("&bogus;") == true)
        #expect(dataError { _ = try VOCAnnotation.parse("<annotation></annotation><x/>", file: "x.xml") }?
            .description.contains("nothing after the root element") == true)
        #expect(dataError { _ = try VOCAnnotation.parse("", file: "empty.xml") } != nil)
        #expect(dataError { _ = try VOCAnnotation.read(contentsOf: "/nonexistent/a.xml") } == .unreadable(file: "/nonexistent/a.xml", reason: "no such file"))
    }

    /// A VOC year folder with one 20×10 image: the hand-written annotation, a JPEG, and a
    /// class mask (left half horse = 13, a void column, right half background).
    func handBuiltVOC(_ dir: TemporaryDirectory) throws -> String {
        let year = dir.file("VOCdevkit/VOC2012")
        for sub in ["Annotations", "JPEGImages", "SegmentationClass", "ImageSets/Main", "ImageSets/Segmentation"] {
            try FileManager.default.createDirectory(atPath: year + "/" + sub, withIntermediateDirectories: true)
        }
        try handWrittenVOCXML.write(toFile: year + "/Annotations/2008_000008.xml", atomically: true, encoding: .utf8)
        var pixels: [UInt8] = []
        for _ in 0..<10 { for x in 0..<20 { pixels += [UInt8(x * 12), 100, 200] } }
        try JPEGImage(width: 20, height: 10, channels: 3, pixels: pixels).write(to: year + "/JPEGImages/2008_000008.jpg", quality: 95, subsampling: .none)
        var mask = [UInt8](repeating: 0, count: 200)
        for y in 0..<10 { for x in 0..<10 { mask[y * 20 + x] = 13 }; mask[y * 20 + 10] = 255 }
        try PalettedPNGImage(width: 20, height: 10, indices: mask, palette: vocColorMap()).write(to: year + "/SegmentationClass/2008_000008.png")
        try "2008_000008\n".write(toFile: year + "/ImageSets/Main/train.txt", atomically: true, encoding: .utf8)
        try "2008_000008\n".write(toFile: year + "/ImageSets/Main/val.txt", atomically: true, encoding: .utf8)
        try "2008_000008\n".write(toFile: year + "/ImageSets/Segmentation/train.txt", atomically: true, encoding: .utf8)
        try "2008_000008\n".write(toFile: year + "/ImageSets/Segmentation/val.txt", atomically: true, encoding: .utf8)
        return year
    }

    @Test("detection samples: image decoded, boxes converted, VOC class indices, difficult flagged or dropped")
    func detectionDataset() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        _ = try handBuiltVOC(dir)
        let voc = try VOCDetectionDataset(root: dir.path, split: .train)
        #expect(voc.count == 1 && voc.classNames.count == 20)
        let sample = try voc.sample(at: 0)
        #expect(sample.input.shape == [3, 10, 20])
        #expect(sample.target.classes == [12, 14])  // horse, person
        #expect(sample.target.difficult == [false, true] && sample.target.crowd == [false, false])
        #expect(sample.target.boxes[0] == BoundingBox(xMin: 1, yMin: 2, xMax: 12.5, yMax: 10))
        #expect(abs(floatsOf(sample.input)[200 + 5 * 20 + 7] - 100 / 255) < 0.03)
        let easy = try VOCDetectionDataset(root: dir.path + "/VOCdevkit", imageSet: "val", keepDifficult: false)
        #expect(easy.target(at: 0).classes == [12])
        #expect(PascalVOC.verifyLayout(root: dir.path).isEmpty)
    }

    @Test("segmentation samples: palette indices become Int32 labels with 255 void kept")
    func segmentationDataset() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let year = try handBuiltVOC(dir)
        let seg = try VOCSegmentationDataset(root: dir.path, split: .test)
        #expect(seg.classNames.first == "background" && seg.classNames.count == 21)
        let sample = try seg.sample(at: 0)
        #expect(sample.target.mask.shape == [10, 20] && sample.input.shape == [3, 10, 20])
        let mask = intsOf(sample.target.mask)
        #expect(mask[3 * 20 + 4] == 13 && mask[3 * 20 + 10] == 255 && mask[3 * 20 + 15] == 0)

        // A label beyond the 21 classes (other than 255) is an error naming the pixel.
        var bad = [UInt8](repeating: 0, count: 200)
        bad[2 * 20 + 7] = 40
        try PalettedPNGImage(width: 20, height: 10, indices: bad, palette: vocColorMap()).write(to: year + "/SegmentationClass/2008_000008.png")
        let error = dataError { _ = try seg.sample(at: 0) }
        #expect(error?.description.contains("pixel (7, 2) has label 40, expected 0..<21 or 255 (void)") == true, "\(String(describing: error))")
    }

    @Test("verifyLayout lists missing and corrupt files; an unknown class is an error naming the file")
    func layoutProblems() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let year = try handBuiltVOC(dir)
        try FileManager.default.removeItem(atPath: year + "/SegmentationClass/2008_000008.png")
        try "2008_000008\n2008_000009\n".write(toFile: year + "/ImageSets/Main/val.txt", atomically: true, encoding: .utf8)
        try Data([0xFF, 0xD8, 0xFF]).write(to: URL(fileURLWithPath: year + "/JPEGImages/2008_000008.jpg"))
        let problems = PascalVOC.verifyLayout(root: dir.path)
        #expect(problems.contains { $0.path == "Annotations/2008_000009.xml" && $0.kind == .missing })
        #expect(problems.contains { $0.path == "JPEGImages/2008_000008.jpg" && $0.kind == .corrupt })
        #expect(problems.contains { $0.path == "SegmentationClass/2008_000008.png" && $0.kind == .missing })

        let wrongClass = dataError { _ = try VOCDetectionDataset(root: dir.path, imageSet: "train", classNames: ["cat"]) }
        #expect(wrongClass?.description == "\(year)/Annotations/2008_000008.xml: object class 'horse' is not one of cat")
        let broken = dataError { _ = try VOCDetectionDataset(root: dir.path, imageSet: "train").sample(at: 0) }
        #expect(broken?.description.contains("JPEGImages/2008_000008.jpg") == true)
        #expect(dataError { _ = try VOCDetectionDataset(root: dir.path, imageSet: "nope") }.map {
            if case .missingFiles = $0 { return true } else { return false } } == true)
    }
}
