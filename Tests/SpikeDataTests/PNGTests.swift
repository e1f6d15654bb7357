import Foundation
import Testing
@testable import SpikeData
import SpikeTensor

/// A fresh folder under the system temporary directory, removed when the test ends.
private final class PNGScratchFolder: Sendable {
    let path: String
    init() {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("spikedata-png-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
}

/// The `PNGError` `body` throws, or nil (recorded as a failure) when it throws nothing or another error.
private func caughtPNGError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> PNGError? {
    do {
        try body()
        Issue.record("expected a PNGError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as PNGError {
        return error
    } catch {
        Issue.record("expected a PNGError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Writes `data` to a new file at `path`.
private func writeBytes(at path: String, _ data: Data) {
    #expect(FileManager.default.createFile(atPath: path, contents: data), "could not create \(path)")
}

/// Assembles PNG files byte by byte from the PNG specification, independently of libpng:
/// chunks with their CRC-32, and image data as a zlib stream of stored (uncompressed)
/// deflate blocks with its Adler-32, so no compressor is involved.
private enum HandMadePNG {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// CRC-32 (ISO 3309, reflected polynomial 0xEDB88320), bit by bit.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return b << 16 | a
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeAndData = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + typeAndData + bigEndian(crc32(typeAndData))
    }

    /// A zlib stream holding `raw` in stored deflate blocks of at most 65535 bytes.
    static func zlibStored(_ raw: [UInt8]) -> [UInt8] {
        var stream: [UInt8] = [0x78, 0x01]  // deflate, 32 KiB window; 0x7801 is a multiple of 31
        var start = 0
        repeat {
            let length = min(65535, raw.count - start)
            let isLast = start + length == raw.count
            stream.append(isLast ? 1 : 0)  // BFINAL, BTYPE = 00 (stored)
            stream += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            stream += raw[start..<start + length]
            start += length
        } while start < raw.count
        return stream + bigEndian(adler32(raw))
    }

    /// A whole PNG file: IHDR, optional PLTE, one IDAT over the already filtered scanlines, IEND.
    static func file(width: Int, height: Int, bitDepth: UInt8, colorType: UInt8,
                     palette: [UInt8]? = nil, filteredScanlines: [UInt8]) -> [UInt8] {
        let header = bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [bitDepth, colorType, 0, 0, 0]
        var bytes = signature + chunk("IHDR", header)
        if let palette { bytes += chunk("PLTE", palette) }
        bytes += chunk("IDAT", zlibStored(filteredScanlines))
        bytes += chunk("IEND", [])
        return bytes
    }
}

@Suite("PNG files")
struct PNGTests {
    @Test("gray, gray+alpha, RGB and RGBA images survive a write and read bit for bit")
    func directColorRoundTrips() throws {
        let scratch = PNGScratchFolder()
        for channels in 1...4 {
            let width = 13, height = 7
            let pixels = (0..<width * height * channels).map { UInt8(($0 * 97 + channels * 31) % 256) }
            let image = PNGImage(width: width, height: height, channels: channels, pixels: pixels)
            let path = scratch.file("c\(channels).png")
            try image.write(to: path)
            let read = try PNGImage(contentsOf: path)
            #expect(read == image, "channels \(channels)")
            #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
        }
    }

    @Test("a [C, H, W] tensor written as a PNG reads back as the same tensor")
    func tensorRoundTrip() throws {
        let scratch = PNGScratchFolder()
        let values = (0..<3 * 4 * 5).map { UInt8($0 * 4) }
        let tensor = Tensor(uint8: values, shape: [3, 4, 5])
        let image = PNGImage(tensor)
        #expect(image.width == 5 && image.height == 4 && image.channels == 3)
        // Channel-first to interleaved: pixel (x 2, y 1) green is element [1, 1, 2].
        #expect(image[x: 2, y: 1, channel: 1] == values[1 * 20 + 1 * 5 + 2])
        try image.write(to: scratch.file("t.png"))
        let read = try PNGImage.readTensor(scratch.file("t.png"))
        #expect(read.shape == [3, 4, 5])
        #expect(withExtendedLifetime(read) { Array(read.uint8s) } == values)
    }

    @Test("palette images keep every index and every palette entry, VOC void label included")
    func palettedRoundTrips() throws {
        let scratch = PNGScratchFolder()
        let width = 11, height = 6
        // 256 VOC colours with labels 0…20 and 255; and a 3-entry palette (libpng packs it at 2 bits).
        let vocIndices = (0..<width * height).map { $0 % 9 == 0 ? UInt8(255) : UInt8($0 % 21) }
        let small = [RGBColor(10, 20, 30), RGBColor(200, 100, 0), RGBColor(1, 2, 3)]
        let cases = [
            PalettedPNGImage(width: width, height: height, indices: vocIndices, palette: vocColorMap()),
            PalettedPNGImage(width: width, height: height, indices: (0..<width * height).map { UInt8($0 % 3) },
                             palette: small),
        ]
        for (number, image) in cases.enumerated() {
            let path = scratch.file("p\(number).png")
            try image.write(to: path)
            let read = try PalettedPNGImage(contentsOf: path)
            #expect(read.indices == image.indices, "case \(number)")
            #expect(read.palette == image.palette, "case \(number)")
            #expect(read.width == width && read.height == height)
            // Read as a plain image, the same file shows the palette colours.
            let colors = try PNGImage(contentsOf: path)
            #expect(colors == image.colorImage(), "case \(number)")
        }
        let tensor = cases[0].indexTensor()
        #expect(tensor.shape == [height, width])
        #expect(PalettedPNGImage(indices: tensor, palette: vocColorMap()) == cases[0])
    }

    @Test("a gray PNG assembled by hand from the spec, with None and Sub filters, decodes to its pixels")
    func handMadeGrayFixture() throws {
        let rows: [[UInt8]] = [[0, 50, 100, 255], [10, 20, 40, 80], [255, 0, 255, 0]]
        // Row 1 uses the Sub filter: each byte stored minus its left neighbour (mod 256).
        var scanlines: [UInt8] = [0] + rows[0]
        scanlines += [1] + rows[1].indices.map { i in rows[1][i] &- (i > 0 ? rows[1][i - 1] : 0) }
        // Row 2 uses the Up filter: each byte minus the byte above it.
        scanlines += [2] + rows[2].indices.map { i in rows[2][i] &- rows[1][i] }
        let bytes = HandMadePNG.file(width: 4, height: 3, bitDepth: 8, colorType: 0, filteredScanlines: scanlines)
        let scratch = PNGScratchFolder()
        let path = scratch.file("hand-gray.png")
        writeBytes(at: path, Data(bytes))
        let image = try PNGImage(contentsOf: path)
        #expect(image.width == 4 && image.height == 3 && image.channels == 1)
        #expect(image.pixels == rows.flatMap { $0 })
    }

    @Test("a 16-bit gray PNG assembled by hand scales to 8 bits (k × 257 reads as k)")
    func handMadeSixteenBitFixture() throws {
        let levels: [UInt16] = [0, 257, 128 * 257, 65535]
        let scanlines: [UInt8] = [0] + levels.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        let bytes = HandMadePNG.file(width: 4, height: 1, bitDepth: 16, colorType: 0, filteredScanlines: scanlines)
        let image = try PNGImage(decoding: bytes, name: "hand-16bit.png")
        #expect(image.channels == 1 && image.pixels == [0, 1, 128, 255])
    }

    @Test("an RGB PNG assembled by hand decodes to its samples")
    func handMadeRGBFixture() throws {
        let samples: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 12, 34, 56]  // 2×2
        let scanlines: [UInt8] = [0] + samples[0..<6] + [0] + samples[6..<12]
        let bytes = HandMadePNG.file(width: 2, height: 2, bitDepth: 8, colorType: 2, filteredScanlines: scanlines)
        let image = try PNGImage(decoding: bytes, name: "hand-rgb.png")
        #expect(image.channels == 3 && image.pixels == samples)
    }

    @Test("a 4-bit palette PNG assembled by hand reads as its raw indices and palette")
    func handMadePaletteFixture() throws {
        let palette: [UInt8] = [0, 0, 0, 128, 0, 0, 0, 128, 0, 224, 224, 192, 9, 8, 7]
        let indices: [[UInt8]] = [[0, 1, 2], [3, 4, 0]]
        // 4 bits per index, high nibble first; the last byte of each row is padded with 0.
        let scanlines = indices.flatMap { row -> [UInt8] in
            [0, row[0] << 4 | row[1], row[2] << 4]
        }
        let bytes = HandMadePNG.file(width: 3, height: 2, bitDepth: 4, colorType: 3, palette: palette,
                                     filteredScanlines: scanlines)
        let scratch = PNGScratchFolder()
        let path = scratch.file("hand-palette.png")
        writeBytes(at: path, Data(bytes))
        let image = try PalettedPNGImage(contentsOf: path)
        #expect(image.indices == indices.flatMap { $0 })
        #expect(image.palette == stride(from: 0, to: palette.count, by: 3).map {
            RGBColor(palette[$0], palette[$0 + 1], palette[$0 + 2])
        })
        // The same file read as a colour image expands each index to its palette entry.
        #expect(try PNGImage(contentsOf: path).pixels == [0, 0, 0, 128, 0, 0, 0, 128, 0, 224, 224, 192, 9, 8, 7, 0, 0, 0])
    }

    @Test("a missing file, a non-PNG, a flipped byte and a truncated file are PNGErrors naming the file")
    func badFiles() throws {
        let scratch = PNGScratchFolder()
        let good = scratch.file("good.png")
        let pixels = (0..<40 * 30 * 3).map { UInt8(($0 * 7919) % 251) }
        try PNGImage(width: 40, height: 30, channels: 3, pixels: pixels).write(to: good)
        let bytes = [UInt8](FileManager.default.contents(atPath: good)!)

        let missing = scratch.file("missing.png")
        let missingError = caughtPNGError { _ = try PNGImage(contentsOf: missing) }
        #expect(missingError?.kind == .fileNotFound)
        #expect(missingError?.description.contains(missing) == true)

        let text = scratch.file("text.png")
        writeBytes(at: text, Data("hello, not a png".utf8))
        #expect(caughtPNGError { _ = try PNGImage(contentsOf: text) }?.kind == .notPNG)

        var flipped = bytes
        flipped[bytes.count / 2] ^= 0x5A  // inside IDAT: its CRC no longer matches
        let corrupt = scratch.file("corrupt.png")
        writeBytes(at: corrupt, Data(flipped))
        let corruptError = caughtPNGError { _ = try PNGImage(contentsOf: corrupt) }
        #expect(corruptError?.kind == .libraryFailure)
        #expect(corruptError?.file == corrupt)
        #expect(corruptError?.libraryMessage?.isEmpty == false)
        #expect(corruptError?.description.contains("corrupt.png") == true)

        for cut in [12, 40, bytes.count / 2, bytes.count - 13] {
            let truncated = scratch.file("truncated-\(cut).png")
            writeBytes(at: truncated, Data(bytes[0..<cut]))
            let error = caughtPNGError { _ = try PNGImage(contentsOf: truncated) }
            #expect(error?.file == truncated, "cut at \(cut)")
            #expect(error?.description.contains("truncated-\(cut).png") == true, "cut at \(cut): \(String(describing: error))")
        }
    }

    @Test("reading a non-palette PNG as a palette image, or writing an index outside the palette, is refused")
    func paletteMisuse() throws {
        let scratch = PNGScratchFolder()
        let rgb = scratch.file("rgb.png")
        try PNGImage(width: 2, height: 2, channels: 3, pixels: Array(repeating: 9, count: 12)).write(to: rgb)
        #expect(caughtPNGError { _ = try PalettedPNGImage(contentsOf: rgb) }?.kind == .notPaletted(found: "RGB"))

        let outOfRange = PalettedPNGImage(width: 2, height: 1, indices: [0, 3], palette: [.black, .white])
        let error = caughtPNGError { try outOfRange.write(to: scratch.file("bad.png")) }
        #expect(error?.description.contains("index 3") == true)
        #expect(!FileManager.default.fileExists(atPath: scratch.file("bad.png")))

        let noFolder = scratch.file("no/such/folder/x.png")
        let noFolderError = caughtPNGError {
            try PNGImage(width: 1, height: 1, channels: 1, pixels: [0]).write(to: noFolder)
        }
        #expect(noFolderError?.kind == .fileNotFound)
    }

    @Test("the VOC colour map starts 0,0,0 / 128,0,0 / 0,128,0 / 128,128,0 / 0,0,128 and ends with void 224,224,192")
    func vocColors() {
        let map = vocColorMap()
        #expect(map.count == 256)
        #expect(map[0] == RGBColor(0, 0, 0))
        #expect(map[1] == RGBColor(128, 0, 0))
        #expect(map[2] == RGBColor(0, 128, 0))
        #expect(map[3] == RGBColor(128, 128, 0))
        #expect(map[4] == RGBColor(0, 0, 128))
        #expect(map[15] == RGBColor(192, 128, 128))  // person
        #expect(map[255] == RGBColor(224, 224, 192))
        #expect(Set(map).count == 256)
        #expect(vocColorMap(count: 21) == Array(map[0..<21]))
    }
}
