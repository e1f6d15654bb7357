import Foundation
import Testing
@testable import SpikeData
import SpikeTensor

@Suite("TinyImageNet reader, writer and layout check")
struct TinyImageNetTests {
    /// A layout built by hand from the format description, with Pillow-made JPEGs:
    /// two classes, train images in train/<wnid>/images, val listed in val_annotations.txt.
    func handBuilt(_ dir: TemporaryDirectory, annotations: String? = nil) throws -> String {
        let root = dir.file("tiny-imagenet-200")
        let fm = FileManager.default
        for sub in ["train/n01443537/images", "train/n09999999/images", "val/images"] {
            try fm.createDirectory(atPath: root + "/" + sub, withIntermediateDirectories: true)
        }
        try "n01443537\nn09999999\n".write(toFile: root + "/wnids.txt", atomically: true, encoding: .utf8)
        try "n01443537\tgoldfish, Carassius auratus\nn09999999\tramp\n".write(toFile: root + "/words.txt", atomically: true, encoding: .utf8)
        let quadrants = fixturePath("rgb_quadrants.jpg"), ramp = fixturePath("gray_ramp.jpg")
        try fm.copyItem(atPath: quadrants, toPath: root + "/train/n01443537/images/n01443537_0.JPEG")
        try fm.copyItem(atPath: quadrants, toPath: root + "/train/n01443537/images/n01443537_1.JPEG")
        try fm.copyItem(atPath: ramp, toPath: root + "/train/n09999999/images/n09999999_0.JPEG")
        try fm.copyItem(atPath: ramp, toPath: root + "/val/images/val_0.JPEG")
        try fm.copyItem(atPath: quadrants, toPath: root + "/val/images/val_1.JPEG")
        try (annotations ?? "val_0.JPEG\tn09999999\t0\t0\t15\t15\r\nval_1.JPEG\tn01443537\t1\t2\t10\t12\r\n")
            .write(toFile: root + "/val/val_annotations.txt", atomically: true, encoding: .utf8)
        return root
    }

    @Test("reads a hand-built layout: labels by wnids.txt order, val as the test split, gray expanded to RGB")
    func handBuiltLayout() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        _ = try handBuilt(dir)
        let train = try TinyImageNet.load(root: dir.path, split: .train)
        #expect(train.count == 3 && train.inputShape == [3, 16, 16] && train.classCount == 2)
        #expect(train.labelArray == [0, 0, 1])
        #expect(train.classNames == ["goldfish, Carassius auratus", "ramp"])
        // Sample 0 is the quadrant image: top-left red.
        let red = floatsOf(train.sample(at: 0).input)
        #expect(abs(red[3 * 16 + 3] - 1) < 0.03 && red[256 + 3 * 16 + 3] < 0.03)
        // Sample 2 is the gray ramp: three equal channels, pixel (x, y) ≈ (16x + y) / 255.
        let gray = floatsOf(train.sample(at: 2).input)
        #expect(gray[5 * 16 + 9] == gray[256 + 5 * 16 + 9] && gray[5 * 16 + 9] == gray[512 + 5 * 16 + 9])
        #expect(abs(gray[5 * 16 + 9] * 255 - Float(16 * 9 + 5)) <= 6)

        let test = try TinyImageNet.load(root: dir.file("tiny-imagenet-200"), split: .test)
        #expect(test.count == 2 && test.labelArray == [1, 0])
        #expect(TinyImageNet.verifyLayout(root: dir.path).isEmpty)
    }

    @Test("the writer's layout reads back: wnids, per-class folders, val annotations, pixels within JPEG tolerance")
    func writerRoundTrip() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        var bytes: [UInt8] = []
        for n in 0..<5 { for c in 0..<3 { for y in 0..<16 { for x in 0..<16 { bytes.append(UInt8(n * 20 + c * 30 + x * 4 + y * 3)) } } } }
        let images = Tensor(uint8: bytes, shape: [5, 3, 16, 16])
        let labels = Tensor(int32: [2, 0, 1, 2, 0])
        try TinyImageNet.write(root: dir.path, wnids: ["n1", "n2", "n3"], words: ["one", "two", "three"],
                               train: (images, labels), test: (images, Tensor(int32: [1, 1, 0, 2, 2])), quality: 98)
        let root = dir.file("tiny-imagenet-200")
        #expect(try String(contentsOfFile: root + "/wnids.txt", encoding: .utf8) == "n1\nn2\nn3\n")
        #expect(FileManager.default.fileExists(atPath: root + "/train/n3/images/n3_1.JPEG"))
        let annotations = try String(contentsOfFile: root + "/val/val_annotations.txt", encoding: .utf8)
        #expect(annotations.hasPrefix("val_0.JPEG\tn2\t0\t0\t15\t15\n"))
        let train = try TinyImageNet.load(root: dir.path, split: .train)
        // Sorted by class, then by file name: n1 (images 1, 4), n2 (2), n3 (0, 3).
        #expect(train.labelArray == [0, 0, 1, 2, 2])
        let order = [1, 4, 2, 0, 3]
        let decoded = train.images.uint8s
        var worst = 0, total = 0
        for (k, n) in order.enumerated() {
            for i in 0..<768 {
                let e = abs(Int(decoded[k * 768 + i]) - Int(bytes[n * 768 + i]))
                worst = max(worst, e)
                total += e
            }
        }
        // The writer subsamples chroma (4:2:0) as real TinyImageNet files do.
        #expect(worst <= 16 && Double(total) / Double(5 * 768) < 3, "worst \(worst), mean \(Double(total) / 3840)")
        let test = try TinyImageNet.load(root: dir.path, split: .test)
        #expect(test.labelArray == [1, 1, 0, 2, 2])
        #expect(TinyImageNet.verifyLayout(root: dir.path).isEmpty)
    }

    @Test("bad val annotations name the file, the line and what is expected")
    func badAnnotations() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        _ = try handBuilt(dir, annotations: "val_0.JPEG\tn09999999\t0\t0\t15\t15\nval_1.JPEG\tn00000000\t0\t0\t1\t1\n")
        let unknown = dataError { _ = try TinyImageNet.load(root: dir.path, split: .test) }
        #expect(unknown?.description.contains("val_annotations.txt: line 2: wnid n00000000 is not in wnids.txt") == true, "\(String(describing: unknown))")

        let dir2 = TemporaryDirectory()
        defer { dir2.cleanup() }
        _ = try handBuilt(dir2, annotations: "val_0.JPEG n09999999 0 0 15 15\n")
        let fields = dataError { _ = try TinyImageNet.load(root: dir2.path, split: .test) }
        #expect(fields?.description.contains("line 1") == true && fields?.description.contains("6 tab-separated fields") == true)
    }

    @Test("a missing layout, a corrupt image and a size mismatch are errors naming the file")
    func badFiles() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let missing = dataError { _ = try TinyImageNet.load(root: dir.path, split: .train) }
        guard case .missingFiles(_, _, let names, _)? = missing else { Issue.record("expected missingFiles, got \(String(describing: missing))"); return }
        #expect(names == ["tiny-imagenet-200/wnids.txt"])
        #expect(TinyImageNet.verifyLayout(root: dir.path).first?.path == "wnids.txt")

        let root = try handBuilt(dir)
        let bad = root + "/train/n09999999/images/n09999999_0.JPEG"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: bad))
        try bytes.prefix(bytes.count - 20).write(to: URL(fileURLWithPath: bad))
        let corrupt = dataError { _ = try TinyImageNet.load(root: dir.path, split: .train) }
        #expect(corrupt?.description.contains(bad) == true && corrupt?.description.contains("ff d9") == true, "\(String(describing: corrupt))")
        try FileManager.default.removeItem(atPath: root + "/val/images/val_1.JPEG")
        let problems = TinyImageNet.verifyLayout(root: dir.path)
        #expect(problems.contains { $0.path == "val/images/val_1.JPEG" && $0.kind == .missing })
        // The cut file's header still reads; verifyLayout checks headers, load decodes pixels.
        #expect(problems.count == 1)

        // A 8×8 image among 16×16 ones.
        let small = JPEGImage(width: 8, height: 8, channels: 3, pixels: [UInt8](repeating: 9, count: 192))
        try small.write(to: bad)
        let size = dataError { _ = try TinyImageNet.load(root: dir.path, split: .train) }
        #expect(size?.description.contains("is 8×8, expected 16×16") == true, "\(String(describing: size))")
    }

    @Test("wnids.txt with a repeated id is refused with both line numbers")
    func repeatedWnid() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let path = dir.file("wnids.txt")
        try "n1\nn2\nn1\n".write(toFile: path, atomically: true, encoding: .utf8)
        let error = dataError { _ = try TinyImageNet.readWordNetIDs(path) }
        #expect(error?.description == "\(path): line 3: id n1 repeats line 1")
    }
}
