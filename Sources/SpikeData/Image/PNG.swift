import CPNG
import SpikeTensor

/// An 8-bit image as stored in a PNG file: gray, gray + alpha, RGB or RGBA samples,
/// row-major with the channels of each pixel next to each other.
///
/// Any PNG decodes to this form: palette images expand to RGB (RGBA when the palette has
/// transparency), 1/2/4-bit samples widen to 8 bits and 16-bit samples are scaled down.
/// To keep the indices of a palette image (segmentation masks), use `PalettedPNGImage`.
public struct PNGImage: InterleavedImage, Sendable, Equatable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Samples per pixel: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA.
    public let channels: Int
    /// `height × width × channels` samples, row by row.
    public var pixels: [UInt8]

    /// An image over existing samples (`height × width × channels` of them, row by row).
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width >= 1 && height >= 1, "a PNG image needs at least one pixel, got \(width)×\(height)")
        precondition((1...4).contains(channels), "a PNG image has 1 to 4 channels, got \(channels)")
        precondition(pixels.count == width * height * channels,
                     "\(pixels.count) samples do not fill \(width)×\(height)×\(channels)")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// An image from a UInt8 tensor `[H, W]` (gray) or `[C, H, W]` with C = 1…4.
    public init(_ tensor: Tensor) {
        precondition(tensor.dtype == .uint8, "a PNG image needs a uint8 tensor, got \(tensor.dtype)")
        precondition(tensor.rank == 2 || (tensor.rank == 3 && (1...4).contains(tensor.shape[0])),
                     "a PNG image needs a tensor of shape [H, W] or [C, H, W] with C in 1...4, got \(tensor.shape)")
        let channels = tensor.rank == 2 ? 1 : tensor.shape[0]
        let height = tensor.shape[tensor.rank - 2], width = tensor.shape[tensor.rank - 1]
        let plane = height * width
        let pixels = withExtendedLifetime(tensor) {
            let source = tensor.uint8s
            return [UInt8](unsafeUninitializedCapacity: plane * channels) { target, initialized in
                for channel in 0..<channels {
                    for index in 0..<plane { target[index * channels + channel] = source[channel * plane + index] }
                }
                initialized = plane * channels
            }
        }
        self.init(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// Decodes the PNG file at `path`.
    public init(contentsOf path: String) throws(PNGError) {
        try self.init(decoding: LibPNG.readFile(path), name: path)
    }

    /// Decodes PNG data held in memory; `name` stands for the file in errors.
    public init(decoding bytes: [UInt8], name: String) throws(PNGError) {
        self = try LibPNG.withHeader(of: bytes, name: name) { (image: inout png_image) throws(PNGError) -> PNGImage in
            let hasColor = image.format & spk_png_format_flag_color() != 0
            let hasAlpha = image.format & spk_png_format_flag_alpha() != 0
            let channels = (hasColor ? 3 : 1) + (hasAlpha ? 1 : 0)
            image.format = hasColor ? (hasAlpha ? spk_png_format_rgba() : spk_png_format_rgb())
                                    : (hasAlpha ? spk_png_format_gray_alpha() : spk_png_format_gray())
            // 16-bit files without gamma information would otherwise be taken as linear light
            // and re-encoded; scaling them to 8 bits is what every other reader does.
            image.flags |= spk_png_image_flag_16bit_srgb()
            let width = Int(image.width), height = Int(image.height)
            let rowBytes = width * channels
            let total = try LibPNG.decodedSize(rowBytes: rowBytes, height: height, name: name)
            var succeeded = false
            let pixels = [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
                succeeded = png_image_finish_read(&image, nil, buffer.baseAddress, png_int_32(rowBytes), nil) != 0
                // On failure the buffer's content is meaningless but must count as initialised.
                if !succeeded { buffer.initialize(repeating: 0) }
                initialized = total
            }
            guard succeeded else { throw LibPNG.failure(of: image, file: name, operation: "reading") }
            return PNGImage(width: width, height: height, channels: channels, pixels: pixels)
        }
    }

    /// Decodes the PNG file at `path` into a UInt8 tensor `[C, H, W]`.
    public static func readTensor(_ path: String) throws(PNGError) -> Tensor {
        try PNGImage(contentsOf: path).tensor()
    }

    /// Encodes the image to `path` (8-bit gray, gray + alpha, RGB or RGBA), replacing any file there.
    public func write(to path: String) throws(PNGError) {
        // `pixels` is mutable: libpng would read past a shortened buffer.
        precondition(pixels.count == width * height * channels,
                     "\(pixels.count) samples do not fill \(width)×\(height)×\(channels)")
        try LibPNG.validateSize(width: width, height: height, bytesPerPixel: channels, path: path)
        let format: png_uint_32
        switch channels {
        case 1: format = spk_png_format_gray()
        case 2: format = spk_png_format_gray_alpha()
        case 3: format = spk_png_format_rgb()
        default: format = spk_png_format_rgba()
        }
        let outcome: Result<Void, PNGError> = pixels.withUnsafeBytes { raw in
            do throws(PNGError) {
                try LibPNG.write(to: path, width: width, height: height, format: format,
                                 pixels: raw.baseAddress!, rowStride: width * channels)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try outcome.get()
    }
}
