import Foundation
import Testing
@testable import SpikeData
import SpikeTensor

@Suite("Gzip through zlib")
struct GzipTests {
    @Test("decompresses a hand-built gzip of stored blocks, from a file and from memory")
    func handBuiltStoredBlocks() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let payload = fixtureBytes(150_000, seed: 1)  // three stored blocks
        let gz = handBuiltGzip(payload)
        let path = dir.write(gz, to: "payload.gz")
        #expect(Array(try Gzip.decompress(contentsOf: path)) == payload)
        #expect(Array(try Gzip.decompress(Data(gz))) == payload)
    }

    @Test("zlib-compressed data round-trips, including concatenated members")
    func roundTrip() throws {
        let a = fixtureBytes(700_000, seed: 2) + [UInt8](repeating: 7, count: 300_000)
        let b = fixtureBytes(1000, seed: 3)
        let one = Gzip.compress(Data(a))
        #expect(one.count < a.count)
        #expect(Array(try Gzip.decompress(one)) == a)
        let two = one + Gzip.compress(Data(b), level: 1)
        #expect(Array(try Gzip.decompress(two)) == a + b)
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let path = dir.write(Array(two), to: "two.gz")
        #expect(Array(try Gzip.decompress(contentsOf: path)) == a + b)
    }

    @Test("non-gzip, truncated and corrupt input give errors naming the file")
    func errors() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let payload = fixtureBytes(5000, seed: 4)
        let gz = handBuiltGzip(payload)

        let plain = dir.write([0x00, 0x00, 0x08, 0x01], to: "plain.gz")
        #expect(dataError { _ = try Gzip.decompress(contentsOf: plain) } == .notGzip(file: plain, found: [0, 0]))

        let truncated = dir.write(Array(gz.prefix(gz.count - 3000)), to: "truncated.gz")
        let error = dataError { _ = try Gzip.decompress(contentsOf: truncated) }
        guard case let .truncatedGzip(file, compressed, decompressed)? = error else {
            Issue.record("expected truncatedGzip, got \(String(describing: error))")
            return
        }
        #expect(file == truncated && compressed == gz.count - 3000 && decompressed < payload.count)
        #expect(error!.description.contains("truncated.gz"))

        var badCRC = gz
        badCRC[gz.count - 8] ^= 0xFF  // first byte of the CRC-32 trailer
        let crcPath = dir.write(badCRC, to: "crc.gz")
        #expect(dataError { _ = try Gzip.decompress(contentsOf: crcPath) }
            == .gzipChecksum(file: crcPath, check: "CRC-32", decompressedBytes: payload.count))

        var badLength = gz
        badLength[gz.count - 4] ^= 0x01
        let lengthPath = dir.write(badLength, to: "length.gz")
        #expect(dataError { _ = try Gzip.decompress(contentsOf: lengthPath) }
            == .gzipChecksum(file: lengthPath, check: "length", decompressedBytes: payload.count))

        var badBlock = gz
        badBlock[10] = 0x07  // BTYPE 11: reserved, invalid
        let blockPath = dir.write(badBlock, to: "block.gz")
        guard case .corruptGzip(blockPath, _, _)? = dataError({ _ = try Gzip.decompress(contentsOf: blockPath) })
        else {
            Issue.record("expected corruptGzip for an invalid block type")
            return
        }
    }
}

@Suite("IDX reader and writer")
struct IDXTests {
    @Test("reads a hand-built u8 file of shape [2, 2, 3], plain and gzip")
    func handBuiltBytes() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let payload: [UInt8] = [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]
        let bytes = handBuiltIDX(type: 0x08, dims: [2, 2, 3], payload: payload)
        for (name, content) in [("a-idx3-ubyte", bytes), ("a-idx3-ubyte.gz", handBuiltGzip(bytes))] {
            let t = try IDX.read(contentsOf: dir.write(content, to: name))
            #expect(t.dtype == .uint8 && t.shape == [2, 2, 3])
            #expect(Array(t.uint8s) == payload)
            #expect(t[1, 0, 2] == 255 - 3)
        }
    }

    @Test("reads hand-built i8, i16, i32, f32 and f64 files as big-endian values")
    func handBuiltTypes() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let i8 = try IDX.read(contentsOf: dir.write(handBuiltIDX(type: 0x09, dims: [3], payload: [0xFF, 0x80, 0x05]),
                                                    to: "i8"))
        #expect(i8.dtype == .int32 && Array(i8.int32s) == [-1, -128, 5])
        let i16 = try IDX.read(contentsOf: dir.write(handBuiltIDX(type: 0x0B, dims: [2], payload: [0x01, 0x02, 0xFF, 0xFE]),
                                                     to: "i16"))
        #expect(Array(i16.int32s) == [258, -2])
        let i32 = try IDX.read(contentsOf: dir.write(
            handBuiltIDX(type: 0x0C, dims: [1, 2], payload: [0, 1, 0, 0, 0xFF, 0xFF, 0xFF, 0xF9]), to: "i32"))
        #expect(i32.shape == [1, 2] && Array(i32.int32s) == [65536, -7])
        // 1.5 = 0x3FC00000, -2 = 0xC0000000 (IEEE 754 single).
        let f32 = try IDX.read(contentsOf: dir.write(
            handBuiltIDX(type: 0x0D, dims: [2], payload: [0x3F, 0xC0, 0, 0, 0xC0, 0, 0, 0]), to: "f32"))
        #expect(f32.dtype == .float32 && Array(f32.floats) == [1.5, -2])
        // 0.25 = 0x3FD0000000000000 (IEEE 754 double).
        let f64 = try IDX.read(contentsOf: dir.write(
            handBuiltIDX(type: 0x0E, dims: [1], payload: [0x3F, 0xD0, 0, 0, 0, 0, 0, 0]), to: "f64"))
        #expect(Array(f64.floats) == [0.25])
    }

    @Test("the writer's output reads back for every element type, plain and gzip")
    func writerRoundTrip() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let bytes = Tensor(uint8: fixtureBytes(60, seed: 5), shape: [3, 4, 5])
        let ints = Tensor(int32: [-100_000, -1, 0, 7, 300_000, 12], shape: [2, 3])
        let small = Tensor(int32: [-128, -5, 0, 127], shape: [4])
        let floats = Tensor([-1.25, 0, 3.5e-8, 1e30], shape: [2, 2])
        for suffix in ["", ".gz"] {
            try IDX.write(bytes, to: dir.file("u8" + suffix))
            #expect(bytesOf(try IDX.read(contentsOf: dir.file("u8" + suffix))) == bytesOf(bytes))
            try IDX.write(ints, to: dir.file("i32" + suffix))
            let i = try IDX.read(contentsOf: dir.file("i32" + suffix))
            #expect(i.shape == [2, 3] && Array(i.int32s) == Array(ints.int32s))
            for type in [IDX.ElementType.int8, .int16] {
                try IDX.write(small, as: type, to: dir.file("s" + suffix))
                #expect(intsOf(try IDX.read(contentsOf: dir.file("s" + suffix))) == [-128, -5, 0, 127])
            }
            for type in [IDX.ElementType.float32, .float64] {
                try IDX.write(floats, as: type, to: dir.file("f" + suffix))
                #expect(floatsOf(try IDX.read(contentsOf: dir.file("f" + suffix))) == floatsOf(floats))
            }
        }
        // The writer's bytes are the hand-built layout.
        #expect(Array(IDX.encode(Tensor(uint8: [9, 8], shape: [1, 2])))
            == handBuiltIDX(type: 0x08, dims: [1, 2], payload: [9, 8]))
        #expect(Array(try Gzip.decompress(contentsOf: dir.file("u8.gz"))) == Array(IDX.encode(bytes)))
    }

    @Test("labels read as Int32 [N]")
    func labels() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let path = dir.write(handBuiltIDX(type: 0x08, dims: [4], payload: [9, 0, 3, 9]), to: "labels-idx1-ubyte")
        let labels = try IDX.readLabels(contentsOf: path)
        #expect(labels.dtype == .int32 && Array(labels.int32s) == [9, 0, 3, 9])
        let images = dir.write(handBuiltIDX(type: 0x08, dims: [1, 2], payload: [1, 2]), to: "images")
        #expect(dataError { _ = try IDX.readLabels(contentsOf: images) } != nil)
    }

    @Test("bad magic, size mismatches and truncation name the file, the offset and what was expected")
    func errors() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let good = handBuiltIDX(type: 0x08, dims: [2, 3], payload: [1, 2, 3, 4, 5, 6])

        let magic = dir.write([0x01] + good.dropFirst(), to: "magic")
        let e1 = dataError { _ = try IDX.read(contentsOf: magic) }
        #expect(e1 == .badMagic(file: magic, offset: 0, found: "01 00 08 02",
                                expected: "an IDX magic number 00 00 TYPE RANK"))
        #expect(e1!.description.hasPrefix(magic + ": at byte 0"))

        var badType = good
        badType[2] = 0x07
        let typePath = dir.write(badType, to: "type")
        guard case .badMagic(typePath, 2, _, _)? = dataError({ _ = try IDX.read(contentsOf: typePath) }) else {
            Issue.record("expected a bad type code at offset 2")
            return
        }

        let short = dir.write(Array(good.prefix(3)), to: "short")
        #expect(dataError { _ = try IDX.read(contentsOf: short) }
            == .truncated(file: short, offset: 3, expected: "the 4-byte IDX magic number 00 00 TYPE RANK"))

        let cutDims = dir.write(Array(good.prefix(9)), to: "dims")
        guard case .truncated(cutDims, 9, _)? = dataError({ _ = try IDX.read(contentsOf: cutDims) }) else {
            Issue.record("expected truncation in the extents")
            return
        }

        // Plain files: the size is checked against the header before reading.
        let long = dir.write(good + [0], to: "long")
        let e2 = dataError { _ = try IDX.read(contentsOf: long) }
        #expect(e2 == .sizeMismatch(file: long, expectedBytes: 18, actualBytes: 19,
                                    detail: "12-byte header + 2×3 u8 elements"))
        let cut = dir.write(Array(good.dropLast(2)), to: "cut")
        guard case .sizeMismatch(cut, 18, 16, _)? = dataError({ _ = try IDX.read(contentsOf: cut) }) else {
            Issue.record("expected a size mismatch for a short plain file")
            return
        }

        // Gzip files: a valid gzip of a truncated IDX stops at the decompressed offset.
        let cutGz = dir.write(handBuiltGzip(Array(good.dropLast(2))), to: "cut.gz")
        let e3 = dataError { _ = try IDX.read(contentsOf: cutGz) }
        #expect(e3 == .truncated(file: cutGz, offset: 16,
                                 expected: "6 bytes of data (12-byte header + 2×3 u8 elements)"))
        #expect(e3!.description.contains("truncated at byte 16"))
        let longGz = dir.write(handBuiltGzip(good + [0, 0]), to: "long.gz")
        guard case .sizeMismatch(longGz, 18, 20, _)? = dataError({ _ = try IDX.read(contentsOf: longGz) }) else {
            Issue.record("expected a size mismatch for trailing bytes in a gzip file")
            return
        }
        // A broken gzip named .gz, and a header announcing more than the gzip can hold.
        let notGz = dir.write(good, to: "raw.gz")
        #expect(dataError { _ = try IDX.read(contentsOf: notGz) } == .notGzip(file: notGz, found: [0, 0]))
        let huge = dir.write(handBuiltGzip(handBuiltIDX(type: 0x08, dims: [60000, 60000, 28], payload: [])),
                             to: "huge.gz")
        guard case .inconsistent(huge, _)? = dataError({ _ = try IDX.read(contentsOf: huge) }) else {
            Issue.record("expected a refusal of an impossible header")
            return
        }
    }
}

@Suite("MNIST-layout datasets")
struct MNISTTests {
    @Test("loads a written MNIST layout as Float [1, 28, 28] in [0, 1] with its labels")
    func loadsWrittenLayout() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let pixels = fixtureBytes(5 * 784, seed: 6)
        try IDX.write(Tensor(uint8: pixels, shape: [5, 28, 28]), to: dir.file("t10k-images-idx3-ubyte.gz"))
        // Labels decompressed: the loader accepts both.
        try IDX.write(Tensor(uint8: [3, 1, 4, 1, 5], shape: [5]), to: dir.file("t10k-labels-idx1-ubyte"))
        let test = try MNIST.load(root: dir.path, split: .test)
        #expect(test.count == 5 && test.inputShape == [1, 28, 28] && test.classCount == 10)
        let s = test.sample(at: 2)
        #expect(s.label == 4 && s.input.shape == [1, 28, 28])
        #expect(s.input.floats[5] == Float(pixels[2 * 784 + 5]) / 255)

        let error = dataError { _ = try MNIST.load(root: dir.path, split: .train) }
        guard case let .missingFiles(root, expected, missing, _)? = error else {
            Issue.record("expected missing files, got \(String(describing: error))")
            return
        }
        #expect(root == dir.path && expected.count == 4)
        #expect(missing == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"])
    }

    @Test("a label count that differs from the image count is refused")
    func countMismatch() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        try IDX.write(Tensor(uint8: fixtureBytes(2 * 784, seed: 7), shape: [2, 28, 28]),
                      to: dir.file("train-images-idx3-ubyte.gz"))
        try IDX.write(Tensor(uint8: [1, 2, 3], shape: [3]), to: dir.file("train-labels-idx1-ubyte.gz"))
        guard case .inconsistent? = dataError({ _ = try FashionMNIST.load(root: dir.path, split: .train) }) else {
            Issue.record("expected a count mismatch")
            return
        }
    }

    static let realRoot = FashionMNIST.defaultRoot
    static let realPresent = FileManager.default.fileExists(atPath: realRoot + "/train-images-idx3-ubyte.gz")

    @Test("the real Fashion-MNIST: 60000/10000 samples, balanced classes, first label 9 (Ankle boot)",
          .enabled(if: realPresent,
                   "Fashion-MNIST not installed at /usr/share/datasets/fashion-mnist (Debian package dataset-fashion-mnist); skipped"))
    func realFashionMNIST() throws {
        let train = try FashionMNIST.load(split: .train)
        let test = try FashionMNIST.load(split: .test)
        #expect(train.count == 60000 && test.count == 10000)
        #expect(train.images.shape == [60000, 1, 28, 28])
        var trainHistogram = [Int](repeating: 0, count: 10), testHistogram = trainHistogram
        for l in train.labelArray { trainHistogram[Int(l)] += 1 }
        for l in test.labelArray { testHistogram[Int(l)] += 1 }
        #expect(trainHistogram == [Int](repeating: 6000, count: 10))
        #expect(testHistogram == [Int](repeating: 1000, count: 10))
        #expect(train.label(at: 0) == 9 && FashionMNIST.classNames[9] == "Ankle boot")
        #expect(test.label(at: 0) == 9)

        // The normalisation constants are the training pixels' mean and std (to 4 decimals).
        var sum = 0.0, sumSquares = 0.0
        for b in train.images.uint8s {
            let x = Double(b) / 255
            sum += x
            sumSquares += x * x
        }
        let n = Double(train.images.count)
        let mean = sum / n, std = (sumSquares / n - mean * mean).squareRoot()
        #expect(abs(mean - Double(Normalize.fashionMNIST.mean[0])) < 5e-5)
        #expect(abs(std - Double(Normalize.fashionMNIST.std[0])) < 5e-5)
    }
}
