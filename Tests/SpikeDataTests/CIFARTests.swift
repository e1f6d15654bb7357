import Foundation
import Testing
@testable import SpikeData
import SpikeTensor

/// One CIFAR record built from the format description: label byte(s), then 1024 R, 1024 G,
/// 1024 B bytes. Pixel (c, y, x) of record `r` has value (r * 7 + c * 50 + y * 3 + x) % 256.
func handBuiltCIFARRecord(_ r: Int, labels: [UInt8]) -> [UInt8] {
    var bytes = labels
    for c in 0..<3 { for y in 0..<32 { for x in 0..<32 { bytes.append(UInt8((r * 7 + c * 50 + y * 3 + x) % 256)) } } }
    return bytes
}

@Suite("CIFAR binary readers and writers")
struct CIFARTests {
    @Test("reads hand-built CIFAR-10 records: label byte then channel-major pixels")
    func handBuiltCIFAR10() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let bytes = (0..<3).flatMap { handBuiltCIFARRecord($0, labels: [UInt8(9 - $0)]) }
        #expect(bytes.count == 3 * 3073)
        let records = try CIFARBinary.read(contentsOf: dir.write(bytes, to: "b.bin"), layout: .cifar10)
        #expect(records.images.shape == [3, 3, 32, 32] && records.coarseLabels == nil)
        #expect(Array(records.labels.int32s) == [9, 8, 7])
        // Record 2, channel G (1), row 5, column 31.
        #expect(records.images[2, 1, 5, 31] == Float((2 * 7 + 50 + 15 + 31) % 256))
        #expect(records.images[0, 0, 0, 0] == 0)
    }

    @Test("reads hand-built CIFAR-100 records: coarse, fine, pixels; fine labels by default")
    func handBuiltCIFAR100() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let folder = dir.file("cifar-100-binary")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let bytes = (0..<4).flatMap { handBuiltCIFARRecord($0, labels: [UInt8(19 - $0), UInt8(90 + $0)]) }
        _ = dir.write(bytes, to: "cifar-100-binary/test.bin")
        let records = try CIFARBinary.read(contentsOf: folder + "/test.bin", layout: .cifar100)
        #expect(Array(records.labels.int32s) == [90, 91, 92, 93])
        #expect(Array(records.coarseLabels!.int32s) == [19, 18, 17, 16])
        #expect(records.images[3, 2, 31, 0] == Float((21 + 100 + 93) % 256))

        let fine = try CIFAR100.load(root: dir.path, split: .test)
        #expect(fine.classCount == 100 && fine.labelArray == [90, 91, 92, 93])
        let coarse = try CIFAR100.load(root: folder, split: .test, labels: .coarse)
        #expect(coarse.classCount == 20 && coarse.labelArray == [19, 18, 17, 16])
        #expect(floatsOf(coarse.sample(at: 1).input)[0] == Float(7) / 255)
    }

    @Test("the writer's output reads back in both layouts and matches the hand-built bytes")
    func writerRoundTrip() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let images = Tensor(uint8: fixtureBytes(5 * 3072, seed: 8), shape: [5, 3, 32, 32])
        let labels = Tensor(int32: [0, 9, 3, 3, 1]), coarse = Tensor(int32: [0, 19, 2, 2, 5])
        try CIFARBinary.write(images: images, labels: labels, to: dir.file("ten.bin"))
        let ten = try CIFARBinary.read(contentsOf: dir.file("ten.bin"), layout: .cifar10)
        #expect(Array(ten.images.uint8s) == Array(images.uint8s) && Array(ten.labels.int32s) == Array(labels.int32s))
        try CIFARBinary.write(images: images, labels: labels, coarseLabels: coarse, to: dir.file("hundred.bin"))
        let hundred = try CIFARBinary.read(contentsOf: dir.file("hundred.bin"), layout: .cifar100)
        #expect(Array(hundred.images.uint8s) == Array(images.uint8s))
        #expect(Array(hundred.labels.int32s) == Array(labels.int32s))
        #expect(Array(hundred.coarseLabels!.int32s) == Array(coarse.int32s))

        let one = handBuiltCIFARRecord(0, labels: [4])
        let encoded = CIFARBinary.encode(images: Tensor(uint8: Array(one.dropFirst()), shape: [1, 3, 32, 32]),
                                         labels: Tensor(int32: [4]))
        #expect(Array(encoded) == one)
    }

    @Test("CIFAR-10 finds its files under the parent or the extracted folder, train batches in order")
    func cifar10Layouts() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let folder = dir.file(CIFAR10.folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (k, name) in CIFAR10.fileNames(.train).enumerated() {
            // Batch k holds two records labelled k and k + 5.
            let bytes = handBuiltCIFARRecord(2 * k, labels: [UInt8(k)]) + handBuiltCIFARRecord(2 * k + 1, labels: [UInt8(k + 5)])
            _ = dir.write(bytes, to: CIFAR10.folder + "/" + name)
        }
        _ = dir.write(handBuiltCIFARRecord(0, labels: [2]), to: CIFAR10.folder + "/test_batch.bin")
        for root in [dir.path, folder] {
            let train = try CIFAR10.load(root: root, split: .train)
            #expect(train.count == 10 && train.labelArray == [0, 5, 1, 6, 2, 7, 3, 8, 4, 9])
            #expect(train.inputShape == [3, 32, 32] && train.classNames[0] == "airplane")
            // Record 7 overall is the second record of batch 4 (pixel base 7 * 7).
            #expect(train.images[7, 0, 0, 1] == Float((49 + 1) % 256))
            let test = try CIFAR10.load(root: root, split: .test)
            #expect(test.count == 1 && test.label(at: 0) == 2)
        }
    }

    @Test("missing files are listed with the layout expected under the root")
    func missingFiles() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        _ = dir.write(handBuiltCIFARRecord(0, labels: [1]), to: "data_batch_1.bin")
        let error = dataError { _ = try CIFAR10.load(root: dir.path, split: .train) }
        guard case let .missingFiles(root, expected, missing, _)? = error else {
            Issue.record("expected missing files, got \(String(describing: error))")
            return
        }
        #expect(root == dir.path)
        #expect(expected.first == "cifar-10-batches-bin/data_batch_1.bin" && expected.count == 6)
        #expect(missing == (2...5).map { "cifar-10-batches-bin/data_batch_\($0).bin" })
        #expect(error!.description.hasPrefix("expected cifar-10-batches-bin/data_batch_1.bin, "))
        #expect(error!.description.contains("under \(dir.path)"))
        let none = dataError { _ = try CIFAR100.load(root: dir.path, split: .test) }
        #expect(none?.description.contains("missing: cifar-100-binary/test.bin") == true)
    }

    @Test("a file that is not a whole number of records names the file, its size and the broken record")
    func partialRecord() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let bytes = handBuiltCIFARRecord(0, labels: [1]) + handBuiltCIFARRecord(1, labels: [2]).prefix(100)
        let path = dir.write(bytes, to: "cut.bin")
        let error = dataError { _ = try CIFARBinary.read(contentsOf: path, layout: .cifar10) }
        #expect(error == .partialRecord(file: path, size: 3173, recordSize: 3073, format: "CIFAR-10"))
        #expect(error!.description.contains("record 1 is incomplete at byte 3073"))
        #expect(error!.description.hasPrefix(path))
        // The same bytes are a whole number of records for neither layout.
        #expect(dataError { _ = try CIFARBinary.read(contentsOf: path, layout: .cifar100) } != nil)
    }

    @Test("an out-of-range label names the file and the record")
    func badLabel() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let path = dir.write(handBuiltCIFARRecord(0, labels: [1]) + handBuiltCIFARRecord(1, labels: [12]), to: "l.bin")
        let error = dataError { _ = try CIFARBinary.read(contentsOf: path, layout: .cifar10) }
        #expect(error == .inconsistent(file: path, reason: "record 1 (byte 3073) has label 12, expected 0..<10"))
    }
}
