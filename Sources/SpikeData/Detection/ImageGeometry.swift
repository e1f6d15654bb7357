import SpikeTensor

/// Bilinear resampling of Float images `[C, H, W]` with half-pixel centres: output pixel x
/// samples source position (x + 0.5) · W/W' − 0.5, clamped to the edge (PyTorch's
/// `interpolate(mode="bilinear", align_corners=False)` without antialiasing).
public func resizeBilinear(_ input: UnsafePointer<Float>, shape: [Int], height: Int, width: Int,
                           to output: UnsafeMutablePointer<Float>) {
    precondition(shape.count == 3 && height >= 1 && width >= 1, "resize needs [C, H, W] and a positive size")
    let (channels, h, w) = (shape[0], shape[1], shape[2])
    // Per output column: the two source columns and the weight of the right one.
    func taps(_ outSize: Int, _ inSize: Int) -> [(Int, Int, Float)] {
        let scale = Float(inSize) / Float(outSize)
        return (0..<outSize).map { o in
            let s = max(0, (Float(o) + 0.5) * scale - 0.5)
            let i0 = min(Int(s), inSize - 1)
            let i1 = min(i0 + 1, inSize - 1)
            return (i0, i1, s - Float(i0))
        }
    }
    let xs = taps(width, w), ys = taps(height, h)
    for c in 0..<channels {
        let plane = input + c * h * w
        let out = output + c * height * width
        for (y, (y0, y1, fy)) in ys.enumerated() {
            let row0 = plane + y0 * w, row1 = plane + y1 * w
            for (x, (x0, x1, fx)) in xs.enumerated() {
                let top = row0[x0] + (row0[x1] - row0[x0]) * fx
                let bottom = row1[x0] + (row1[x1] - row1[x0]) * fx
                out[y * width + x] = top + (bottom - top) * fy
            }
        }
    }
}

/// The bilinear resize of a Float image `[C, H, W]` to `height × width` (see the pointer form).
public func resizeBilinear(_ image: Tensor, height: Int, width: Int) -> Tensor {
    precondition(image.dtype == .float32 && image.rank == 3, "resizeBilinear takes Float [C, H, W], got \(image.dtype) \(image.shape)")
    let result = Tensor(shape: [image.shape[0], height, width], uninitialized: true)
    withExtendedLifetime(image) {
        resizeBilinear(UnsafePointer(image.floats.baseAddress!), shape: image.shape, height: height, width: width,
                       to: result.floats.baseAddress!)
    }
    return result
}

/// Nearest-neighbour resize of an Int32 mask `[H, W]`: output pixel x takes source pixel
/// ⌊(x + 0.5) · W/W'⌋ (PyTorch's `nearest-exact`), so labels are never blended.
public func resizeNearest(_ mask: Tensor, height: Int, width: Int) -> Tensor {
    precondition(mask.dtype == .int32 && mask.rank == 2, "resizeNearest takes Int32 [H, W], got \(mask.dtype) \(mask.shape)")
    let (h, w) = (mask.shape[0], mask.shape[1])
    let xs = (0..<width).map { min(w - 1, Int((Double($0) + 0.5) * Double(w) / Double(width))) }
    let result = Tensor(shape: [height, width], dtype: .int32, uninitialized: true)
    withExtendedLifetime(mask) {
        let source = mask.int32s, target = result.int32s
        for y in 0..<height {
            let sy = min(h - 1, Int((Double(y) + 0.5) * Double(h) / Double(height)))
            for x in 0..<width { target[y * width + x] = source[sy * w + xs[x]] }
        }
    }
    return result
}

/// Where an image went: scaled by (`scaleX`, `scaleY`), then shifted by (`offsetX`, `offsetY`)
/// pixels onto an `outputWidth × outputHeight` canvas. Maps boxes forward and predictions back.
public struct ImageGeometry: Sendable, Equatable {
    public var scaleX: Float
    public var scaleY: Float
    public var offsetX: Int
    public var offsetY: Int
    public var outputWidth: Int
    public var outputHeight: Int
    /// The size of the image content inside the canvas.
    public var contentWidth: Int
    public var contentHeight: Int

    /// Stretching a `width × height` image to `outputWidth × outputHeight`.
    public static func resize(width: Int, height: Int, toWidth outputWidth: Int, height outputHeight: Int) -> ImageGeometry {
        ImageGeometry(scaleX: Float(outputWidth) / Float(width), scaleY: Float(outputHeight) / Float(height),
                      offsetX: 0, offsetY: 0, outputWidth: outputWidth, outputHeight: outputHeight,
                      contentWidth: outputWidth, contentHeight: outputHeight)
    }

    /// Letterboxing a `width × height` image into a `size × size` square: scaled by
    /// min(size/width, size/height) keeping its aspect ratio, centred, the rest padding.
    public static func letterbox(width: Int, height: Int, size: Int) -> ImageGeometry {
        let scale = min(Double(size) / Double(width), Double(size) / Double(height))
        let w = max(1, min(size, Int((Double(width) * scale).rounded())))
        let h = max(1, min(size, Int((Double(height) * scale).rounded())))
        return ImageGeometry(scaleX: Float(w) / Float(width), scaleY: Float(h) / Float(height),
                             offsetX: (size - w) / 2, offsetY: (size - h) / 2, outputWidth: size, outputHeight: size,
                             contentWidth: w, contentHeight: h)
    }

    /// `box` in the output image.
    public func map(_ box: BoundingBox) -> BoundingBox {
        BoundingBox(xMin: box.xMin * scaleX + Float(offsetX), yMin: box.yMin * scaleY + Float(offsetY),
                    xMax: box.xMax * scaleX + Float(offsetX), yMax: box.yMax * scaleY + Float(offsetY))
    }

    /// A box of the output image back in the original image's coordinates.
    public func unmap(_ box: BoundingBox) -> BoundingBox {
        BoundingBox(xMin: (box.xMin - Float(offsetX)) / scaleX, yMin: (box.yMin - Float(offsetY)) / scaleY,
                    xMax: (box.xMax - Float(offsetX)) / scaleX, yMax: (box.yMax - Float(offsetY)) / scaleY)
    }

    /// Float image `[C, H, W]` placed as this geometry says, the padding filled with `fill`.
    public func apply(image: Tensor, fill: Float) -> Tensor {
        let content = resizeBilinear(image, height: contentHeight, width: contentWidth)
        if offsetX == 0 && offsetY == 0 && contentWidth == outputWidth && contentHeight == outputHeight { return content }
        let channels = image.shape[0]
        let result = Tensor(shape: [channels, outputHeight, outputWidth], uninitialized: true)
        let out = result.floats
        out.update(repeating: fill)
        withExtendedLifetime(content) {
            let source = content.floats
            for c in 0..<channels {
                for y in 0..<contentHeight {
                    let src = (c * contentHeight + y) * contentWidth
                    let dst = (c * outputHeight + y + offsetY) * outputWidth + offsetX
                    for x in 0..<contentWidth { out[dst + x] = source[src + x] }
                }
            }
        }
        return result
    }

    /// Int32 mask `[H, W]` placed as this geometry says (nearest neighbour), padding `void`.
    public func apply(mask: Tensor, fill: Int32 = SegmentationTarget.void) -> Tensor {
        let content = resizeNearest(mask, height: contentHeight, width: contentWidth)
        if offsetX == 0 && offsetY == 0 && contentWidth == outputWidth && contentHeight == outputHeight { return content }
        let result = Tensor(shape: [outputHeight, outputWidth], dtype: .int32, uninitialized: true)
        let out = result.int32s
        out.update(repeating: fill)
        withExtendedLifetime(content) {
            let source = content.int32s
            for y in 0..<contentHeight {
                for x in 0..<contentWidth { out[(y + offsetY) * outputWidth + x + offsetX] = source[y * contentWidth + x] }
            }
        }
        return result
    }
}

extension Sample where Target == DetectionTarget {
    /// The sample with its image and boxes placed by `geometry` (padding `fill`).
    public func transformed(by geometry: ImageGeometry, fill: Float = 0.5) -> Sample<DetectionTarget> {
        var target = self.target
        target.boxes = target.boxes.map(geometry.map)
        target.imageWidth = geometry.outputWidth
        target.imageHeight = geometry.outputHeight
        return Sample(input: geometry.apply(image: input, fill: fill), target: target)
    }

    /// Image and boxes stretched to `width × height`.
    public func resized(width: Int, height: Int) -> Sample<DetectionTarget> {
        transformed(by: .resize(width: input.shape[2], height: input.shape[1], toWidth: width, height: height))
    }

    /// Image and boxes letterboxed into `size × size` (aspect kept, padding `fill`), and the
    /// geometry that maps predictions back.
    public func letterboxed(size: Int, fill: Float = 0.5) -> (sample: Sample<DetectionTarget>, geometry: ImageGeometry) {
        let geometry = ImageGeometry.letterbox(width: input.shape[2], height: input.shape[1], size: size)
        return (transformed(by: geometry, fill: fill), geometry)
    }
}

extension Sample where Target == SegmentationTarget {
    /// The sample with image and mask placed by `geometry` (image padding `fill`, mask padding void).
    public func transformed(by geometry: ImageGeometry, fill: Float = 0.5) -> Sample<SegmentationTarget> {
        Sample(input: geometry.apply(image: input, fill: fill),
               target: SegmentationTarget(imageID: target.imageID, mask: geometry.apply(mask: target.mask)))
    }

    /// Image (bilinear) and mask (nearest) stretched to `width × height`.
    public func resized(width: Int, height: Int) -> Sample<SegmentationTarget> {
        transformed(by: .resize(width: input.shape[2], height: input.shape[1], toWidth: width, height: height))
    }

    /// Image and mask letterboxed into `size × size`; the mask's padding is void (255).
    public func letterboxed(size: Int, fill: Float = 0.5) -> (sample: Sample<SegmentationTarget>, geometry: ImageGeometry) {
        let geometry = ImageGeometry.letterbox(width: input.shape[2], height: input.shape[1], size: size)
        return (transformed(by: geometry, fill: fill), geometry)
    }
}
