import Foundation
import Testing
@testable import SpikeData
import SpikeTensor

/// A COCO instances file written by hand from the format description: category ids with
/// gaps, a crowd annotation, an image without annotations, extra fields to be skipped.
let handWrittenCOCOJSON = """
{"info": {"year": 2017}, "licenses": [],
 "images": [{"id": 139, "file_name": "000000000139.jpg", "width": 12, "height": 8, "license": 2},
            {"id": 5, "file_name": "000000000005.jpg", "width": 4, "height": 4}],
 "annotations": [
   {"id": 1, "image_id": 139, "category_id": 90, "bbox": [1.5, 2, 4, 3.25], "area": 13, "iscrowd": 0,
    "segmentation": [[1.5, 2, 5.5, 2, 5.5, 5.25]]},
   {"id": 2, "image_id": 139, "category_id": 1, "bbox": [0, 0, 12, 8], "area": 96, "iscrowd": 1,
    "segmentation": {"counts": [0, 96], "size": [8, 12]}},
   {"id": 3, "image_id": 139, "category_id": 3, "bbox": [6, 1, 2, 2], "area": 4, "iscrowd": 0}],
 "categories": [{"id": 90, "name": "toothbrush", "supercategory": "indoor"},
                {"id": 1, "name": "person", "supercategory": "person"},
                {"id": 3, "name": "car", "supercategory": "vehicle"}]}
"""

@Suite("COCO instances JSON and the COCO detection dataset")
struct COCOTests {
    @Test("parses hand-written JSON: categories sorted by id and mapped to contiguous indices")
    func handWritten() throws {
        let coco = try COCOInstances.decode(Data(handWrittenCOCOJSON.utf8), file: "instances.json")
        #expect(coco.images.map(\.id) == [139, 5] && coco.images[0].width == 12)
        #expect(coco.categories.map(\.name) == ["person", "car", "toothbrush"])
        #expect(coco.classIndex == [1: 0, 3: 1, 90: 2])
        #expect(coco.annotations.map(\.isCrowd) == [false, true, false])
        #expect(coco.annotations[0].box == BoundingBox(xMin: 1.5, yMin: 2, xMax: 5.5, yMax: 5.25))
    }

    @Test("the writer's JSON parses back to the same content")
    func writerRoundTrip() throws {
        let coco = try COCOInstances.decode(Data(handWrittenCOCOJSON.utf8), file: "a.json")
        let back = try COCOInstances.decode(coco.encoded(), file: "b.json")
        #expect(back == coco)
    }

    @Test("bad JSON and bad values are errors naming the file, the key path and what is expected")
    func badValues() {
        func error(_ text: String) -> String {
            dataError { _ = try COCOInstances.decode(Data(text.utf8), file: "i.json") }?.description ?? "no error"
        }
        let short = handWrittenCOCOJSON.replacingOccurrences(of: "[6, 1, 2, 2]", with: "[6, 1, 2]")
        #expect(error(short).hasPrefix("i.json: annotations[2].bbox: found"))
        #expect(error(short).hasSuffix("expected 4 numbers [x, y, width, height]"))
        let category = handWrittenCOCOJSON.replacingOccurrences(of: "\"category_id\": 3,", with: "\"category_id\": 4,")
        #expect(error(category) == "i.json: annotations[2].category_id: found 4, expected the id of an entry of categories")
        let image = handWrittenCOCOJSON.replacingOccurrences(of: "\"width\": 4,", with: "\"width\": 0,")
        #expect(error(image) == "i.json: images[1].width: found 0, expected a positive integer")
        let negative = handWrittenCOCOJSON.replacingOccurrences(of: "[6, 1, 2, 2]", with: "[6, 1, -2, 2]")
        #expect(error(negative).contains("width, height ≥ 0"))
        #expect(error("{\"images\": [").hasPrefix("i.json: not valid JSON (12 bytes)"))
        #expect(error("[1, 2]").contains("the top level is not an object"))
        #expect(error("{\"images\": [], \"categories\": []}") == "i.json: annotations: found nothing, expected a list of objects")
    }

    @Test("the dataset reads a hand-built 2017 layout: images, boxes, contiguous classes, crowd flags")
    func dataset() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        try FileManager.default.createDirectory(atPath: dir.file("annotations"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.file("val2017"), withIntermediateDirectories: true)
        try handWrittenCOCOJSON.write(toFile: dir.file("annotations/instances_val2017.json"), atomically: true, encoding: .utf8)
        try JPEGImage(width: 12, height: 8, channels: 3, pixels: [UInt8](repeating: 200, count: 288)).write(to: dir.file("val2017/000000000139.jpg"))
        try JPEGImage(width: 4, height: 4, channels: 1, pixels: [UInt8](repeating: 50, count: 16)).write(to: dir.file("val2017/000000000005.jpg"))
        let coco = try COCODetectionDataset(root: dir.path, split: .test)
        #expect(coco.count == 2 && coco.classNames == ["person", "car", "toothbrush"])
        let first = try coco.sample(at: 0)
        #expect(first.input.shape == [3, 8, 12] && first.target.classes == [2, 0, 1] && first.target.crowd == [false, true, false])
        let second = try coco.sample(at: 1)
        #expect(second.input.shape == [3, 4, 4] && second.target.count == 0)
        #expect(abs(floatsOf(second.input)[16 + 5] - 50 / 255) < 0.02)
        #expect(COCODetectionDataset.verifyLayout(root: dir.path, imageSet: "val2017").isEmpty)

        try FileManager.default.removeItem(atPath: dir.file("val2017/000000000005.jpg"))
        #expect(COCODetectionDataset.verifyLayout(root: dir.path, imageSet: "val2017")
            == [LayoutProblem(path: "val2017/000000000005.jpg", kind: .missing, reason: "listed in annotations/instances_val2017.json")])
        #expect(dataError { _ = try coco.sample(at: 1) }?.description.contains("000000000005.jpg") == true)
    }
}
