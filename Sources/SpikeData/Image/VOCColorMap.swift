/// The PASCAL VOC segmentation colour map: entry `i` spreads the bits of `i` over the high
/// bits of red, green and blue (bit 0 → red, bit 1 → green, bit 2 → blue, then the next
/// three bits one place lower), so 1 is (128, 0, 0), 2 is (0, 128, 0) and 255, the "void"
/// label, is (224, 224, 192).
public func vocColorMap(count: Int = 256) -> [RGBColor] {
    precondition((0...256).contains(count), "a VOC colour map has at most 256 entries, asked for \(count)")
    return (0..<count).map { label in
        var red: UInt8 = 0, green: UInt8 = 0, blue: UInt8 = 0
        var bits = label
        for shift in stride(from: 7, through: 0, by: -1) {
            red |= UInt8((bits >> 0) & 1) << shift
            green |= UInt8((bits >> 1) & 1) << shift
            blue |= UInt8((bits >> 2) & 1) << shift
            bits >>= 3
        }
        return RGBColor(red, green, blue)
    }
}
