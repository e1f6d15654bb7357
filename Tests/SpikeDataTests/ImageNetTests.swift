import CJPEG
import Foundation
import Testing
@testable import SpikeData
import SpikeTensor

@Suite("ImageNet reader, writer and layout check")
struct ImageNetTests {
    /// A `width`×`height` RGB (or gray) image of smooth ramps plus a seeded pattern.
    func pattern(width: Int, height: Int, channels: Int = 3, seed: Int = 0) -> JPEGImage {
        var pixels: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<channels { pixels.append(UInt8((x * 7 + y * 5 + c * 60 + seed * 31 + (x * y) % 13) % 256)) }
            }
        }
        return JPEGImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    func save(_ image: JPEGImage, _ path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try image.write(to: path, quality: 100, subsampling: .none)
    }

    /// torchvision's Resize(shorter) + CenterCrop(side) written out pixel by pixel from the
    /// definitions (half-pixel bilinear sampling, edge clamped), independent of the reader's code.
    func referenceCrop(_ image: JPEGImage, shorter: Int, side: Int) -> [UInt8] {
        let (w, h) = (image.width, image.height)
        let newW = w <= h ? shorter : Int(Double(shorter) * Double(w) / Double(h))
        let newH = w <= h ? Int(Double(shorter) * Double(h) / Double(w)) : shorter
        let top = Int((Double(newH - side) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(newW - side) / 2).rounded(.toNearestOrEven))
        func source(_ o: Int, _ outSize: Int, _ inSize: Int) -> (Int, Int, Double) {
            let s = max(0, (Double(o) + 0.5) * Double(inSize) / Double(outSize) - 0.5)
            let i0 = min(Int(s.rounded(.down)), inSize - 1)
            return (i0, min(i0 + 1, inSize - 1), s - Double(i0))
        }
        var out = [UInt8](repeating: 0, count: 3 * side * side)
        for c in 0..<3 {
            for y in 0..<side {
                for x in 0..<side {
                    let oy = y + top, ox = x + left
                    guard oy >= 0, oy < newH, ox >= 0, ox < newW else { continue }
                    let (y0, y1, fy) = source(oy, newH, h), (x0, x1, fx) = source(ox, newW, w)
                    func p(_ yy: Int, _ xx: Int) -> Double {
                        Double(image.pixels[(yy * w + xx) * image.channels + (image.channels == 3 ? c : 0)])
                    }
                    let v = (p(y0, x0) * (1 - fx) + p(y0, x1) * fx) * (1 - fy) + (p(y1, x0) * (1 - fx) + p(y1, x1) * fx) * fy
                    out[(c * side + y) * side + x] = UInt8(max(0, min(255, v.rounded())))
                }
            }
        }
        return out
    }

    /// Two classes whose wnids sort against creation order, portrait, landscape and gray images.
    func handBuilt(_ dir: TemporaryDirectory, flatValidation: Bool = false) throws -> [String: JPEGImage] {
        var images: [String: JPEGImage] = [:]
        images["train/n09999999/b.JPEG"] = pattern(width: 30, height: 20, seed: 1)
        images["train/n09999999/a.JPEG"] = pattern(width: 20, height: 33, seed: 2)
        images["train/n01440764/x.JPEG"] = pattern(width: 24, height: 24, channels: 1, seed: 3)
        if flatValidation {
            images["val/ILSVRC2012_val_00000002.JPEG"] = pattern(width: 40, height: 25, seed: 4)
            images["val/ILSVRC2012_val_00000001.JPEG"] = pattern(width: 25, height: 40, seed: 5)
            try "ImageId,PredictionString\nILSVRC2012_val_00000002,n01440764 1 2 3 4\r\nILSVRC2012_val_00000001,n09999999 0 0 5 5 n09999999 1 1 2 2\n"
                .write(toFile: dir.file("LOC_val_solution.csv"), atomically: true, encoding: .utf8)
        } else {
            images["val/n09999999/ILSVRC2012_val_00000001.JPEG"] = pattern(width: 25, height: 40, seed: 5)
            images["val/n01440764/ILSVRC2012_val_00000002.JPEG"] = pattern(width: 40, height: 25, seed: 4)
        }
        for (path, image) in images { try save(image, dir.file(path)) }
        // What the reader sees: the decoded files (JPEG is lossy even at quality 100).
        var decoded: [String: JPEGImage] = [:]
        for path in images.keys { decoded[path] = try JPEGImage(contentsOf: dir.file(path)) }  // gray comes back as RGB
        return decoded
    }

    @Test("class folders: index = sorted wnid position, images sorted by name, gray replicated, bytes as the resize-and-crop reference")
    func classFolderLayout() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let decoded = try handBuilt(dir)
        let train = try ImageNet.load(root: dir.path, split: .train, side: 16)
        #expect(train.count == 3 && train.inputShape == [3, 16, 16] && train.classCount == 2)
        #expect(train.classNames == ["n01440764", "n09999999"])
        #expect(train.labelArray == [0, 1, 1])
        let bytes = Array(train.images.uint8s)
        for (k, file) in ["train/n01440764/x.JPEG", "train/n09999999/a.JPEG", "train/n09999999/b.JPEG"].enumerated() {
            let reference = referenceCrop(decoded[file]!, shorter: 16, side: 16)
            let got = Array(bytes[k * 768..<(k + 1) * 768])
            let worst = zip(got, reference).map { abs(Int($0) - Int($1)) }.max()!
            #expect(worst <= 1, "\(file): worst byte difference \(worst)")
        }
        // The gray image: three equal planes.
        #expect(Array(bytes[0..<256]) == Array(bytes[256..<512]) && Array(bytes[0..<256]) == Array(bytes[512..<768]))

        // Test split: shorter side 16/0.875 = 18, centre crop 16.
        let test = try ImageNet.load(root: dir.path, split: .test, side: 16)
        #expect(ImageNet.evaluationResize(side: 224) == 256 && ImageNet.evaluationResize(side: 16) == 18)
        #expect(test.labelArray == [0, 1])
        let val = Array(test.images.uint8s)
        let reference = referenceCrop(decoded["val/n01440764/ILSVRC2012_val_00000002.JPEG"]!, shorter: 18, side: 16)
        #expect(zip(val[0..<768], reference).map { abs(Int($0) - Int($1)) }.max()! <= 1)
        #expect(ImageNet.verifyLayout(root: dir.path).isEmpty)
    }

    @Test("flat val with Kaggle's LOC_val_solution.csv gives the same test split as class folders")
    func flatValidation() throws {
        let folders = TemporaryDirectory(), flat = TemporaryDirectory()
        defer { folders.cleanup(); flat.cleanup() }
        _ = try handBuilt(folders)
        _ = try handBuilt(flat, flatValidation: true)
        let a = try ImageNet.load(root: folders.path, split: .test, side: 16)
        let b = try ImageNet.load(root: flat.path, split: .test, side: 16)
        // Class folders list n01440764's image first; the flat set is in image-id order.
        #expect(b.labelArray == [1, 0] && a.labelArray == [0, 1])
        #expect(Array(a.images.uint8s[0..<768]) == Array(b.images.uint8s[768..<1536]))
        #expect(ImageNet.hasFlatValidation(directory: flat.path) && !ImageNet.hasFlatValidation(directory: folders.path))
        #expect(ImageNet.verifyLayout(root: flat.path).isEmpty)
    }

    @Test("upscaling a small image and cropping past a narrow one match the reference (zero padding outside)")
    func resizeEdgeCases() throws {
        for (w, h, shorter, side) in [(7, 5, 12, 10), (9, 30, 8, 12), (64, 48, 56, 48)] {
            let image = pattern(width: w, height: h, seed: w)
            var got = [UInt8](repeating: 9, count: 3 * side * side)
            got.withUnsafeMutableBufferPointer { ImageNet.resizeShorterCenterCrop(image, shorter: shorter, side: side, into: $0.baseAddress!) }
            let worst = zip(got, referenceCrop(image, shorter: shorter, side: side)).map { abs(Int($0) - Int($1)) }.max()!
            #expect(worst <= 1, "\(w)×\(h) → \(shorter), crop \(side): worst \(worst)")
        }
    }

    @Test("missing folders, an unknown val class, a missing solution file and a corrupt JPEG are errors naming what and where")
    func badLayouts() throws {
        let empty = TemporaryDirectory()
        defer { empty.cleanup() }
        let missing = dataError { _ = try ImageNet.load(root: empty.path, split: .train) }
        #expect(missing?.description.contains("train/") == true, "\(String(describing: missing))")
        #expect(ImageNet.verifyLayout(root: empty.path).first?.path == "train/")

        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        _ = try handBuilt(dir)
        try save(pattern(width: 8, height: 8), dir.file("val/n02000000/v.JPEG"))
        let unknown = dataError { _ = try ImageNet.load(root: dir.path, split: .test, side: 8) }
        #expect(unknown?.description.contains("n02000000") == true && unknown?.description.contains("no train/n02000000/") == true,
                "\(String(describing: unknown))")
        #expect(ImageNet.verifyLayout(root: dir.path).contains { $0.kind == .corrupt && $0.path == "val/" })

        let flat = TemporaryDirectory()
        defer { flat.cleanup() }
        _ = try handBuilt(flat, flatValidation: true)
        try FileManager.default.removeItem(atPath: flat.file("LOC_val_solution.csv"))
        let noSolution = dataError { _ = try ImageNet.load(root: flat.path, split: .test, side: 8) }
        #expect(noSolution?.description.contains("LOC_val_solution.csv") == true, "\(String(describing: noSolution))")
        #expect(ImageNet.verifyLayout(root: flat.path).map(\.path) == ["LOC_val_solution.csv"])

        let cut = TemporaryDirectory()
        defer { cut.cleanup() }
        _ = try handBuilt(cut)
        let bad = cut.file("train/n09999999/b.JPEG")
        // Not a JPEG at all, so the header check of verifyLayout (pixels are not decoded) sees it too.
        try Data("GIF89a, not a JPEG".utf8).write(to: URL(fileURLWithPath: bad))
        let corrupt = dataError { _ = try ImageNet.load(root: cut.path, split: .train, side: 8) }
        #expect(corrupt?.description.contains(bad) == true && corrupt?.description.contains("CMYK") == true, "\(String(describing: corrupt))")
        let cutProblems = ImageNet.verifyLayout(root: cut.path)
        #expect(cutProblems.contains { $0.path == "train/n09999999/b.JPEG" && $0.kind == .corrupt }, "\(cutProblems)")
    }

    @Test("the writer's layouts (class folders and flat with the solution file) read back with their labels")
    func writerRoundTrip() throws {
        var bytes: [UInt8] = []
        for n in 0..<4 { for c in 0..<3 { for y in 0..<16 { for x in 0..<16 { bytes.append(UInt8((n * 40 + c * 30 + x * 4 + y * 3) % 256)) } } } }
        let images = Tensor(uint8: bytes, shape: [4, 3, 16, 16])
        for flat in [false, true] {
            let dir = TemporaryDirectory()
            defer { dir.cleanup() }
            try ImageNet.write(root: dir.path, wnids: ["n1", "n2"], train: (images, Tensor(int32: [1, 0, 1, 0])),
                               test: (images, Tensor(int32: [1, 1, 0, 1])), flatValidation: flat, quality: 98)
            #expect(FileManager.default.fileExists(atPath: dir.file("train/n2/n2_1.JPEG")))
            #expect(FileManager.default.fileExists(atPath: dir.file(flat ? "val/ILSVRC2012_val_00000003.JPEG" : "val/n1/ILSVRC2012_val_00000003.JPEG")))
            #expect(try ImageNet.load(root: dir.path, split: .train, side: 16).labelArray == [0, 0, 1, 1])
            let test = try ImageNet.load(root: dir.path, split: .test, side: 16, shorter: 16)
            #expect(test.labelArray == (flat ? [1, 1, 0, 1] : [0, 1, 1, 1]))
            #expect(ImageNet.verifyLayout(root: dir.path).isEmpty)
        }
    }

    @Test("a CMYK JPEG (a handful are in the real train set) is refused naming the file and saying to convert it, never decoded into wrong colours")
    func cmykIsRefused() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        _ = try handBuilt(dir)
        // An 8×8 CMYK JPEG made by libjpeg-turbo itself (TJPF_CMYK input is stored as YCCK).
        let handle = try #require(tjInitCompress())
        defer { tjDestroy(handle) }
        let pixels = [UInt8]((0..<256).map { UInt8($0) })
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = pixels.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, 8, 32, 8, Int32(TJPF_CMYK.rawValue), &output, &size, Int32(TJSAMP_444.rawValue), 95, 0)
        }
        #expect(status == 0)
        let bytes = Array(UnsafeBufferPointer(start: try #require(output), count: Int(size)))
        tjFree(output)
        let path = dir.file("train/n09999999/c.JPEG")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = dataError { _ = try ImageNet.load(root: dir.path, split: .train, side: 8) }
        #expect(error?.description.contains(path) == true && error?.description.contains("convert CMYK ones to RGB") == true,
                "\(String(describing: error))")
    }

    @Test("a split that would not fit in half the memory is refused with the sizes and the fix")
    func memoryGuard() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        _ = try handBuilt(dir)
        let error = dataError { _ = try ImageNet.load(root: dir.path, split: .train, side: 1 << 20) }
        #expect(error?.description.contains("data.resize") == true, "\(String(describing: error))")
    }
}
