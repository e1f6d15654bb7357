import SpikeTensor

/// The general SNN's receptive fields (Yao et al., ACML 2023): a map is cut into four square-ish
/// windows that the token mixer visits in order — top-left, top-right, bottom-left,
/// bottom-right — and the windows' outputs are tiled back onto the map.
///
/// - `quadrants` (mode A): four non-overlapping windows of ⌊H/2⌋ × ⌊W/2⌋ (H and W even).
/// - `overlapping` (mode B): four corner windows of ⌊3H/4⌋ × ⌊3W/4⌋; where windows overlap,
///   the tiled map holds the mean of the windows that cover the pixel (the authors' code builds
///   the same means by concatenation, which is exact when 4 divides the side, as in every map
///   of the 32×32 and 64×64 networks).
public struct WindowPartition: Sendable, Equatable {
    /// Which windows: the quadrants (A) or the overlapping corners (B).
    public enum Mode: String, Sendable, CaseIterable {
        case quadrants, overlapping
    }

    /// Map height and width.
    public let height: Int, width: Int
    /// The mode.
    public let mode: Mode
    /// Window height and width (every window has the same size).
    public let windowHeight: Int, windowWidth: Int
    /// Top-left corner (row, column) of each window, in visiting order.
    public let origins: [[Int]]

    /// The partition of an `height` × `width` map; quadrants need even sides, overlapping
    /// windows sides of at least 2.
    public init(height: Int, width: Int, mode: Mode) {
        switch mode {
        case .quadrants:
            precondition(height >= 2 && width >= 2 && height % 2 == 0 && width % 2 == 0,
                         "WindowPartition: quadrants need even sides, got \(height)×\(width)")
            windowHeight = height / 2
            windowWidth = width / 2
        case .overlapping:
            precondition(height >= 2 && width >= 2, "WindowPartition: overlapping windows need sides ≥ 2, got \(height)×\(width)")
            windowHeight = 3 * height / 4
            windowWidth = 3 * width / 4
        }
        self.height = height
        self.width = width
        self.mode = mode
        let bottom = height - windowHeight, right = width - windowWidth
        origins = [[0, 0], [0, right], [bottom, 0], [bottom, right]]
    }

    /// The four windows of `x`, whose rows and columns are axes `rowAxis` and `rowAxis + 1`.
    public func windows(_ x: Tensor, rowAxis: Int) -> [Tensor] {
        precondition(x.rank >= rowAxis + 2 && x.shape[rowAxis] == height && x.shape[rowAxis + 1] == width,
                     "WindowPartition: axes \(rowAxis), \(rowAxis + 1) of \(x.shape) are not \(height)×\(width)")
        return origins.map { o in
            x.sliced(axis: rowAxis, range: o[0]..<(o[0] + windowHeight))
                .sliced(axis: rowAxis + 1, range: o[1]..<(o[1] + windowWidth))
        }
    }

    /// How many windows cover each pixel, row-major over the map.
    public var coverage: [Int] {
        var count = [Int](repeating: 0, count: height * width)
        for o in origins {
            for r in o[0]..<(o[0] + windowHeight) {
                for c in o[1]..<(o[1] + windowWidth) { count[r * width + c] += 1 }
            }
        }
        return count
    }

    /// The map made of four window-shaped tensors (rows and columns at `rowAxis`, `rowAxis + 1`):
    /// each pixel is the mean of the windows covering it. Differentiable in every window.
    public func tile(_ windows: [Tensor], rowAxis: Int) -> Tensor {
        precondition(windows.count == 4, "WindowPartition.tile: needs 4 windows, got \(windows.count)")
        let shape = windows[0].shape
        precondition(windows.allSatisfy { $0.shape == shape } && shape.count >= rowAxis + 2
                     && shape[rowAxis] == windowHeight && shape[rowAxis + 1] == windowWidth,
                     "WindowPartition.tile: windows must share a shape with \(windowHeight)×\(windowWidth) at axis \(rowAxis), got \(windows.map(\.shape))")
        if mode == .quadrants {
            let top = concat([windows[0], windows[1]], axis: rowAxis + 1)
            let bottom = concat([windows[2], windows[3]], axis: rowAxis + 1)
            return concat([top, bottom], axis: rowAxis)
        }
        var sum: Tensor?
        for (window, o) in zip(windows, origins) {
            var padding = [(before: Int, after: Int)](repeating: (0, 0), count: shape.count)
            padding[rowAxis] = (o[0], height - windowHeight - o[0])
            padding[rowAxis + 1] = (o[1], width - windowWidth - o[1])
            let placed = window.padded(padding)
            sum = sum.map { $0 + placed } ?? placed
        }
        // 1/coverage as [H, W, 1, …] so it broadcasts over the axes after the columns.
        let inverse = Tensor(coverage.map { 1 / Float($0) },
                             shape: [height, width] + [Int](repeating: 1, count: shape.count - rowAxis - 2))
        return sum! * inverse
    }
}
