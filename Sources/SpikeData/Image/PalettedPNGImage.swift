import CPNG
import SpikeTensor

/// A palette (colour-mapped) PNG kept as its raw indices: one byte per pixel naming an entry
/// of `palette`. Segmentation masks (PASCAL VOC's `SegmentationClass/*.png`) store class
/// labels this way, with 255 marking "void" pixels.
public struct PalettedPNGImage: Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `height × width` palette indices, row by row.
    public var indices: [UInt8]
    /// The colour of each index: 1 to 256 entries.
    public var palette: [RGBColor]

    /// An image over existing indices (`height × width` of them) and their palette.
    public init(width: Int, height: Int, indices: [UInt8], palette: [RGBColor]) {
        precondition(width >= 1 && height >= 1, "a PNG image needs at least one pixel, got \(width)×\(height)")
        precondition(indices.count == width * height, "\(indices.count) indices do not fill \(width)×\(height)")
        precondition((1...256).contains(palette.count), "a PNG palette has 1 to 256 entries, got \(palette.count)")
        self.width = width
        self.height = height
        self.indices = indices
        self.palette = palette
    }

    /// An image from a UInt8 index tensor `[H, W]` and its palette.
    public init(indices tensor: Tensor, palette: [RGBColor]) {
        precondition(tensor.dtype == .uint8 && tensor.rank == 2,
                     "palette indices need a uint8 tensor [H, W], got \(tensor.dtype) \(tensor.shape)")
        let indices = withExtendedLifetime(tensor) { Array(tensor.uint8s) }
        self.init(width: tensor.shape[1], height: tensor.shape[0], indices: indices, palette: palette)
    }

    /// Decodes the palette PNG at `path`, keeping its indices; a PNG of another colour type
    /// is refused with `PNGError.Kind.notPaletted`.
    ///
    /// Palette transparency (a `tRNS` chunk) is not kept: such entries read as their colour
    /// composited on black.
    public init(contentsOf path: String) throws(PNGError) {
        try self.init(decoding: LibPNG.readFile(path), name: path)
    }

    /// Decodes palette PNG data held in memory; `name` stands for the file in errors.
    public init(decoding bytes: [UInt8], name: String) throws(PNGError) {
        self = try LibPNG.withHeader(of: bytes, name: name) {
            (image: inout png_image) throws(PNGError) -> PalettedPNGImage in
            guard image.format & spk_png_format_flag_colormap() != 0 else {
                let color = image.format & spk_png_format_flag_color() != 0 ? "RGB" : "gray"
                let alpha = image.format & spk_png_format_flag_alpha() != 0 ? " with alpha" : ""
                throw PNGError(file: name, operation: "reading", kind: .notPaletted(found: color + alpha))
            }
            // For a palette file libpng's colour-map read keeps the file's indices and copies
            // its palette entry for entry (8-bit sRGB, no gamma change).
            image.format = spk_png_format_rgb_colormap()
            let width = Int(image.width), height = Int(image.height)
            let total = try LibPNG.decodedSize(rowBytes: width, height: height, name: name)
            var colormap = [UInt8](repeating: 0, count: 256 * 3)
            // Only consulted for palette entries with transparency, which are composited on it.
            var background = png_color(red: 0, green: 0, blue: 0)
            var succeeded = false
            let indices = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
                succeeded = colormap.withUnsafeMutableBytes { map in
                    png_image_finish_read(&image, &background, buffer.baseAddress, png_int_32(width), map.baseAddress)
                } != 0
                if !succeeded { buffer.initialize(repeating: 0) }
                initialized = total
            }
            guard succeeded else { throw LibPNG.failure(of: image, file: name, operation: "reading") }
            let entries = min(Int(image.colormap_entries), 256)
            guard entries >= 1 else {
                throw PNGError(file: name, operation: "reading", kind: .libraryFailure,
                               libraryMessage: "the palette is empty")
            }
            let palette = (0..<entries).map { RGBColor(colormap[3 * $0], colormap[3 * $0 + 1], colormap[3 * $0 + 2]) }
            return PalettedPNGImage(width: width, height: height, indices: indices, palette: palette)
        }
    }

    /// The indices as a new UInt8 tensor `[H, W]`.
    public func indexTensor() -> Tensor { Tensor(uint8: indices, shape: [height, width]) }

    /// Each pixel's palette colour, as an RGB image.
    public func colorImage() -> PNGImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for (position, index) in indices.enumerated() {
            let color = Int(index) < palette.count ? palette[Int(index)] : .black
            pixels[3 * position] = color.red
            pixels[3 * position + 1] = color.green
            pixels[3 * position + 2] = color.blue
        }
        return PNGImage(width: width, height: height, channels: 3, pixels: pixels)
    }

    /// Encodes the image to `path` as a palette PNG with exactly this palette, replacing any
    /// file there. Every index must name a palette entry.
    public func write(to path: String) throws(PNGError) {
        // `indices` and `palette` are mutable: libpng would read past a shortened buffer.
        precondition(indices.count == width * height, "\(indices.count) indices do not fill \(width)×\(height)")
        precondition((1...256).contains(palette.count), "a PNG palette has 1 to 256 entries, got \(palette.count)")
        try LibPNG.validateSize(width: width, height: height, bytesPerPixel: 1, path: path)
        if let largest = indices.max(), Int(largest) >= palette.count {
            throw PNGError(file: path, operation: "writing",
                           kind: .invalidArgument("index \(largest) is outside the palette of \(palette.count) entries"))
        }
        let colormap = palette.flatMap { [$0.red, $0.green, $0.blue] }
        let outcome: Result<Void, PNGError> = indices.withUnsafeBytes { raw in
            colormap.withUnsafeBytes { map in
                do throws(PNGError) {
                    try LibPNG.write(to: path, width: width, height: height, format: spk_png_format_rgb_colormap(),
                                     pixels: raw.baseAddress!, rowStride: width,
                                     colormap: map.baseAddress!, colormapEntries: palette.count)
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
        }
        try outcome.get()
    }
}
