import Foundation

/// A failed PNG read or write: which file, what was being done, what went wrong, and
/// libpng's own message when libpng refused.
///
/// Its description reads like `masks/0001.png: libpng could not decode it (reading);
/// libpng says: IDAT: incorrect data check`.
public struct PNGError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, in a form tests and callers can match on.
    public enum Kind: Sendable, Equatable {
        /// The file, or the folder it should be written to, does not exist.
        case fileNotFound
        /// The file does not start with the 8-byte PNG signature.
        case notPNG
        /// A palette image was asked for, but the file stores this colour type instead.
        case notPaletted(found: String)
        /// The decoded image would not fit in memory (width × height × channels bytes).
        case tooLarge(bytes: Int)
        /// The caller passed something that cannot be written, e.g. an index outside the palette.
        case invalidArgument(String)
        /// libpng refused the data or the call; `libraryMessage` says why.
        case libraryFailure
        /// A POSIX call failed with this `errno`.
        case io(errno: Int32)
    }

    /// Path of the PNG file as the caller gave it (or the name given to in-memory data).
    public let file: String
    /// What was being done, e.g. `reading` or `writing`.
    public let operation: String
    /// What went wrong.
    public let kind: Kind
    /// libpng's message (`png_image.message`), when libpng reported one.
    public let libraryMessage: String?

    /// An error with every piece of context spelled out.
    public init(file: String, operation: String, kind: Kind, libraryMessage: String? = nil) {
        self.file = file
        self.operation = operation
        self.kind = kind
        self.libraryMessage = libraryMessage
    }

    public var description: String {
        var text = "\(file): "
        switch kind {
        case .fileNotFound: text += "no such file or folder"
        case .notPNG: text += "not a PNG file (no PNG signature)"
        case .notPaletted(let found): text += "not a palette PNG (it is \(found))"
        case .tooLarge(let bytes): text += "image too large to decode (\(bytes) bytes)"
        case .invalidArgument(let why): text += why
        case .libraryFailure: text += "libpng could not \(operation == "writing" ? "write" : "decode") it"
        case .io(let code): text += String(cString: strerror(code))
        }
        text += " (\(operation))"
        if let libraryMessage, !libraryMessage.isEmpty { text += "; libpng says: \(libraryMessage)" }
        return text
    }
}
