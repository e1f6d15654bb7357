/// An 8-bit sRGB colour.
public struct RGBColor: Hashable, Sendable, CustomStringConvertible {
    /// Red component, 0…255.
    public var red: UInt8
    /// Green component, 0…255.
    public var green: UInt8
    /// Blue component, 0…255.
    public var blue: UInt8

    /// A colour from its three components.
    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }

    /// A colour from a 24-bit `0xRRGGBB` value.
    public init(hex: UInt32) {
        self.init(UInt8((hex >> 16) & 0xFF), UInt8((hex >> 8) & 0xFF), UInt8(hex & 0xFF))
    }

    /// A gray with all three components equal to `level`.
    public static func gray(_ level: UInt8) -> RGBColor { RGBColor(level, level, level) }

    public static let black = RGBColor(0, 0, 0)
    public static let white = RGBColor(255, 255, 255)
    public static let red = RGBColor(214, 39, 40)
    public static let blue = RGBColor(31, 119, 180)
    public static let green = RGBColor(44, 160, 44)
    public static let orange = RGBColor(255, 127, 14)

    /// Ten colours that stay distinguishable next to each other (the widely used
    /// "category10" set), for plot series; index modulo 10.
    public static let categorical: [RGBColor] = [
        0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD,
        0x8C564B, 0xE377C2, 0x7F7F7F, 0xBCBD22, 0x17BECF,
    ].map { RGBColor(hex: $0) }

    /// This colour mixed with `other`: `fraction` 0 gives `self`, 1 gives `other`.
    public func mixed(with other: RGBColor, fraction: Double) -> RGBColor {
        let t = min(max(fraction, 0), 1)
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 {
            UInt8((Double(a) + (Double(b) - Double(a)) * t).rounded())
        }
        return RGBColor(mix(red, other.red), mix(green, other.green), mix(blue, other.blue))
    }

    public var description: String { "RGB(\(red), \(green), \(blue))" }
}
