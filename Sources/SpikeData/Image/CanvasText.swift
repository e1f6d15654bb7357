/// Which point of a text's box is placed at the given position.
///
/// Vertically the box spans the capitals of its lines (top of the first line to the
/// baseline of the last); descenders hang below it. For rotated text the anchor applies to
/// the turned box.
public struct TextAnchor: Sendable, Equatable {
    public enum Horizontal: Sendable, Equatable { case left, center, right }
    public enum Vertical: Sendable, Equatable { case top, middle, bottom }

    public var horizontal: Horizontal
    public var vertical: Vertical

    /// An anchor from its horizontal and vertical parts.
    public init(_ horizontal: Horizontal, _ vertical: Vertical) {
        self.horizontal = horizontal
        self.vertical = vertical
    }

    public static let topLeft = TextAnchor(.left, .top)
    public static let topCenter = TextAnchor(.center, .top)
    public static let topRight = TextAnchor(.right, .top)
    public static let middleLeft = TextAnchor(.left, .middle)
    public static let center = TextAnchor(.center, .middle)
    public static let middleRight = TextAnchor(.right, .middle)
    public static let bottomLeft = TextAnchor(.left, .bottom)
    public static let bottomCenter = TextAnchor(.center, .bottom)
    public static let bottomRight = TextAnchor(.right, .bottom)
}

extension Canvas {
    /// Draws `text` in `BitmapFont`, each font pixel a `scale × scale` square, with the
    /// `anchor` point of its box at `(x, y)`; `\n` starts a new line. `rotated` turns it a
    /// quarter turn counter-clockwise (reading upwards, for vertical axis titles). `bold`
    /// widens every stroke by one pixel (best from scale 2 on; the box grows by one pixel).
    /// Returns the pixels the text may cover, descenders included.
    @discardableResult
    public mutating func drawText(_ text: String, x: Int, y: Int, color: RGBColor, scale: Int = 1,
                                  anchor: TextAnchor = .topLeft, rotated: Bool = false, bold: Bool = false) -> PixelRect {
        let layout = Canvas.layoutText(text, x: x, y: y, scale: scale, anchor: anchor, rotated: rotated, bold: bold)
        let thicken = bold ? 1 : 0
        let textWidth = BitmapFont.size(of: text, scale: scale).width
        for (lineNumber, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            for (position, character) in line.enumerated() {
                let glyph = BitmapFont.glyph(character)
                guard glyph != 0 else { continue }
                for row in 0..<BitmapFont.glyphHeight {
                    for column in 0..<BitmapFont.glyphWidth where BitmapFont.isSet(glyph, column: column, row: row) {
                        // (u, v): the font pixel's place in the unturned text, in canvas pixels.
                        let u = (position * BitmapFont.advance + column) * scale
                        let v = (lineNumber * BitmapFont.lineHeight + row) * scale
                        if rotated {
                            fillRect(x: layout.origin.x + v, y: layout.origin.y + textWidth - scale - u,
                                     width: scale, height: scale + thicken, color: color)
                        } else {
                            fillRect(x: layout.origin.x + u, y: layout.origin.y + v, width: scale + thicken, height: scale,
                                     color: color)
                        }
                    }
                }
            }
        }
        return layout.bounds
    }

    /// The pixels `drawText` with the same arguments may cover, without drawing.
    public static func textBounds(_ text: String, x: Int, y: Int, scale: Int = 1,
                                  anchor: TextAnchor = .topLeft, rotated: Bool = false, bold: Bool = false) -> PixelRect {
        layoutText(text, x: x, y: y, scale: scale, anchor: anchor, rotated: rotated, bold: bold).bounds
    }

    /// Where the unturned text's top-left corner goes (for rotated text, the top-left corner
    /// of the turned box), and the whole box including descenders.
    private static func layoutText(_ text: String, x: Int, y: Int, scale: Int, anchor: TextAnchor,
                                   rotated: Bool, bold: Bool) -> (origin: (x: Int, y: Int), bounds: PixelRect) {
        precondition(scale >= 1, "text scale must be at least 1, got \(scale)")
        var size = BitmapFont.size(of: text, scale: scale)
        if bold && size.width > 0 { size.width += 1 }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
        // The anchored box: text width × capitals block; descenders lie outside it.
        let capBlock = ((lines - 1) * BitmapFont.lineHeight + BitmapFont.capHeight) * scale
        let boxWidth = rotated ? capBlock : size.width
        let boxHeight = rotated ? size.width : capBlock
        var left = x, top = y
        switch anchor.horizontal {
        case .left: break
        case .center: left -= boxWidth / 2
        case .right: left -= boxWidth
        }
        switch anchor.vertical {
        case .top: break
        case .middle: top -= boxHeight / 2
        case .bottom: top -= boxHeight
        }
        let bounds = rotated ? PixelRect(x: left, y: top, width: size.height, height: size.width)
                             : PixelRect(x: left, y: top, width: size.width, height: size.height)
        return ((left, top), bounds)
    }
}
