/// SpikeLab's own bitmap font for ASCII 32–126: glyphs 5 pixels wide and 7 tall (capitals and
/// digits), with two more rows below the baseline for the descenders of g, j, p, q, y and
/// the comma. Characters are 6 pixels apart and lines 11 pixels apart, times the scale.
public enum BitmapFont {
    /// Width of a glyph in pixels at scale 1.
    public static let glyphWidth = 5
    /// Height of capitals and digits, from the top of the glyph box to the baseline.
    public static let capHeight = 7
    /// Height of the whole glyph box, descenders included.
    public static let glyphHeight = 9
    /// Distance from one character to the next.
    public static let advance = 6
    /// Distance from one line to the next.
    public static let lineHeight = 11

    /// The glyph of `character`: nine rows of five bits, the top row in the highest bits and
    /// the leftmost column in each row's highest bit. Characters outside ASCII 32–126 show as `?`.
    static func glyph(_ character: Character) -> UInt64 {
        guard let ascii = character.asciiValue, ascii >= 32, ascii <= 126 else {
            return character == "\t" ? glyphs[0] : glyphs[Int(Character("?").asciiValue!) - 32]
        }
        return glyphs[Int(ascii) - 32]
    }

    /// Whether the pixel at `column` (0…4), `row` (0…8) of `glyph` is set.
    @inline(__always)
    static func isSet(_ glyph: UInt64, column: Int, row: Int) -> Bool {
        (glyph >> UInt64((8 - row) * 5 + (4 - column))) & 1 != 0
    }

    /// Width and height in pixels of `text` drawn at `scale`: the width of its longest line
    /// and the height from the top of the first line to the lowest descender of the last.
    public static func size(of text: String, scale: Int = 1) -> (width: Int, height: Int) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let longest = lines.map(\.count).max() ?? 0
        let width = longest == 0 ? 0 : (longest * advance - (advance - glyphWidth)) * scale
        return (width, ((lines.count - 1) * lineHeight + glyphHeight) * scale)
    }

    /// Glyphs for ASCII 32 (space) to 126 (`~`), in order.
    static let glyphs: [UInt64] = [
        0x000000000000, 0x042108401000, 0x0A5000000000, 0x0A57D5F52800,  //   ! " #
        0x047D1C5F1000, 0x18C888898C00, 0x0C9511593400, 0x042000000000,  // $ % & '
        0x022210820800, 0x082084222000, 0x00255D520000, 0x00213E420000,  // ( ) * +
        0x000000063088, 0x00003E000000, 0x000000063000, 0x010888884000,  // , - . /
        0x0E8CEB98B800, 0x046108423800, 0x0E8844447C00, 0x1F110418B800,  // 0 1 2 3
        0x0232A5F10800, 0x1F878218B800, 0x06443D18B800, 0x1F0888842000,  // 4 5 6 7
        0x0E8C5D18B800, 0x0E8C5E113000, 0x006300C60000, 0x006300C61100,  // 8 9 : ;
        0x022220820800, 0x0007C1F00000, 0x082082222000, 0x0E8844401000,  // < = > ?
        0x0E885B5AB800, 0x0E8C7F18C400, 0x1E8C7D18F800, 0x0E8C2108B800,  // @ A B C
        0x1E8C6318F800, 0x1F843D087C00, 0x1F843D084000, 0x0E8C2F18BC00,  // D E F G
        0x118C7F18C400, 0x0E2108423800, 0x071084293000, 0x119531494400,  // H I J K
        0x108421087C00, 0x11DD6B18C400, 0x118E6B38C400, 0x0E8C6318B800,  // L M N O
        0x1E8C7D084000, 0x0E8C63593400, 0x1E8C7D494400, 0x0F841C10F800,  // P Q R S
        0x1F2108421000, 0x118C6318B800, 0x118C63151000, 0x118C6B5AA800,  // T U V W
        0x118A88A8C400, 0x118A88421000, 0x1F0888887C00, 0x0E4210843800,  // X Y Z [
        0x108208208400, 0x0E1084213800, 0x045440000000, 0x0000000003E0,  // \ ] ^ _
        0x082000000000, 0x000382F8BC00, 0x1085B318F800, 0x0003A108B800,  // ` a b c
        0x010B6718BC00, 0x0003A3F83800, 0x064A38842000, 0x0003E318BC2E,  // d e f g
        0x1085B318C400, 0x040308423800, 0x020184210A4C, 0x1084A98A4800,  // h i j k
        0x0C2108423800, 0x0006AB5AD400, 0x0005B318C400, 0x0003A318B800,  // l m n o
        0x0007A318FA10, 0x0003E318BC21, 0x0005B3084000, 0x0003E0E0F800,  // p q r s
        0x084710849800, 0x00046319B400, 0x000463151000, 0x0004635AA800,  // t u v w
        0x000454454400, 0x00046318BC2E, 0x0007C4447C00, 0x032110420C00,  // x y z {
        0x042108421084, 0x182104426000, 0x00022A200000,  // | } ~
    ]
}
