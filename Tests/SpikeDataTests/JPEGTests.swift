import Foundation
import Testing
@testable import SpikeData
import SpikeTensor

/// Path of a committed fixture (made by Fixtures/make_jpeg_fixtures.py with Pillow).
func fixturePath(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/" + name).path
}

/// The error `body` throws, as a `JPEGError`.
func jpegError(_ body: () throws -> Void) -> JPEGError? {
    do {
        try body()
        return nil
    } catch let error as JPEGError {
        return error
    } catch {
        return nil
    }
}

@Suite("JPEG decoding and encoding through TurboJPEG")
struct JPEGTests {
    @Test("decodes Pillow's RGB quadrant fixture to its colours within JPEG tolerance")
    func pillowQuadrants() throws {
        let image = try JPEGImage(contentsOf: fixturePath("rgb_quadrants.jpg"))
        #expect(image.width == 16 && image.height == 16 && image.channels == 3)
        let expected: [(Int, Int, [Int])] = [(3, 3, [255, 0, 0]), (12, 3, [0, 255, 0]), (3, 12, [0, 0, 255]), (12, 12, [128, 128, 128])]
        for (x, y, color) in expected {
            for c in 0..<3 {
                #expect(abs(Int(image[x: x, y: y, channel: c]) - color[c]) <= 6, "pixel (\(x), \(y)) channel \(c)")
            }
        }
        // The tensor is channel-major: [C, H, W].
        let tensor = image.tensor()
        #expect(tensor.shape == [3, 16, 16])
        #expect(tensor.uint8s[2 * 256 + 12 * 16 + 3] == image[x: 3, y: 12, channel: 2])
    }

    @Test("a grayscale JPEG decodes to three equal channels, or to one when asked")
    func grayscaleExpands() throws {
        let rgb = try JPEGImage(contentsOf: fixturePath("gray_ramp.jpg"))
        let gray = try JPEGImage(contentsOf: fixturePath("gray_ramp.jpg"), channels: 1)
        #expect(rgb.channels == 3 && gray.channels == 1)
        var worst = 0
        for y in 0..<16 {
            for x in 0..<16 {
                let g = gray[x: x, y: y, channel: 0]
                #expect(rgb[x: x, y: y, channel: 0] == g && rgb[x: x, y: y, channel: 1] == g && rgb[x: x, y: y, channel: 2] == g)
                worst = max(worst, abs(Int(g) - (16 * x + y)))
            }
        }
        #expect(worst <= 6)
        let size = try JPEGImage.dimensions(contentsOf: fixturePath("gray_ramp.jpg"))
        #expect(size.width == 16 && size.height == 16 && size.gray)
    }

    @Test("the writer's output decodes to a smooth pattern within JPEG tolerance, in colour and gray")
    func writerRoundTrip() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        var pixels: [UInt8] = []
        for y in 0..<24 { for x in 0..<40 { pixels += [UInt8(x * 6), UInt8(y * 10), UInt8((x + y) * 3)] } }
        let image = JPEGImage(width: 40, height: 24, channels: 3, pixels: pixels)
        try image.write(to: dir.file("a.jpg"), quality: 95, subsampling: .none)
        let back = try JPEGImage(contentsOf: dir.file("a.jpg"))
        let errors = zip(back.pixels, pixels).map { abs(Int($0) - Int($1)) }
        #expect(errors.max()! <= 8)
        #expect(Double(errors.reduce(0, +)) / Double(errors.count) < 2)
        // Quality 20 loses visibly more than 95: the quality setting reaches the encoder.
        let coarse = try JPEGImage(decoding: image.encoded(quality: 20), name: "q20")
        let coarseError = zip(coarse.pixels, pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +)
        #expect(coarseError > errors.reduce(0, +))

        let gray = JPEGImage(Tensor(uint8: (0..<64).map { UInt8($0 * 4) }, shape: [1, 8, 8]))
        try gray.write(to: dir.file("g.jpg"), quality: 95)
        #expect(try JPEGImage.dimensions(contentsOf: dir.file("g.jpg")).gray)
        let grayBack = try JPEGImage.readTensor(dir.file("g.jpg"), channels: 1)
        #expect(zip(Array(grayBack.uint8s), (0..<64).map { $0 * 4 }).allSatisfy { abs(Int($0) - $1) <= 6 })
    }

    @Test("a truncated JPEG is an error naming the file, its size and the missing end marker")
    func truncated() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixturePath("rgb_quadrants.jpg"))))
        let path = dir.write(Array(bytes.prefix(bytes.count - 120)), to: "cut.jpg")
        let error = jpegError { _ = try JPEGImage(contentsOf: path) }
        #expect(error?.kind == .libraryFailure)
        let text = error?.description ?? ""
        #expect(text.contains(path) && text.contains("\(bytes.count - 120) bytes") && text.contains("ff d9"), "\(text)")
        // Only a header: fails in the header read, still never a crash.
        let header = dir.write(Array(bytes.prefix(30)), to: "header.jpg")
        #expect(jpegError { _ = try JPEGImage(contentsOf: header) }?.kind == .libraryFailure)
    }

    @Test("a file that is not a JPEG, or missing, is refused with what was found")
    func notJPEG() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let path = dir.write([0x89, 0x50, 0x4E, 0x47, 1, 2], to: "x.jpg")
        let error = jpegError { _ = try JPEGImage(contentsOf: path) }
        #expect(error?.kind == .notJPEG(found: [0x89, 0x50, 0x4E, 0x47]))
        #expect(error?.description.contains("ff d8") == true)
        #expect(jpegError { _ = try JPEGImage(contentsOf: dir.file("none.jpg")) }?.kind == .fileNotFound)
        #expect(jpegError { _ = try JPEGImage(decoding: [], name: "empty") }?.kind == .notJPEG(found: []))
        // An end-of-image marker in the middle of the entropy-coded data: an error, not gray pixels.
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: fixturePath("rgb_quadrants.jpg"))))
        let sos = (0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xDA }!
        let scan = sos + 2 + Int(bytes[sos + 2]) << 8 + Int(bytes[sos + 3])
        bytes.replaceSubrange((scan + 4)..<(scan + 6), with: [0xFF, 0xD9])
        let garbled = jpegError { _ = try JPEGImage(decoding: bytes, name: "garbled") }
        #expect(garbled?.kind == .libraryFailure, "\(String(describing: garbled))")
        #expect(jpegError { _ = try JPEGImage(width: 2, height: 2, channels: 1, pixels: [0, 0, 0, 0]).encoded(quality: 0) }?
            .kind == .invalidArgument("JPEG quality must be in 1...100, got 0"))
    }
}
