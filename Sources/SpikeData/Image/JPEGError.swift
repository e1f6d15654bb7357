import Foundation

/// A failed JPEG read or write: which file, what was being done, what went wrong, and
/// libjpeg-turbo's own message when it refused.
///
/// Its description reads like `train/n01/images/n01_3.JPEG: libjpeg-turbo could not decode it
/// (reading); the file has 812 bytes and ends without the end-of-image marker ff d9 (truncated?);
/// libjpeg-turbo says: Premature end of JPEG file`.
public struct JPEGError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, in a form tests and callers can match on.
    public enum Kind: Sendable, Equatable {
        /// The file, or the folder it should be written to, does not exist.
        case fileNotFound
        /// The file does not start with the JPEG start-of-image marker `ff d8`; `found` is its first bytes.
        case notJPEG(found: [UInt8])
        /// The decoded image would not fit in memory (width × height × channels bytes).
        case tooLarge(bytes: Int)
        /// The caller passed something that cannot be written (e.g. a quality outside 1...100).
        case invalidArgument(String)
        /// libjpeg-turbo refused the data or the call; `libraryMessage` says why.
        case libraryFailure
        /// A POSIX call failed with this `errno`.
        case io(errno: Int32)
    }

    /// Path of the JPEG file as the caller gave it (or the name given to in-memory data).
    public let file: String
    /// What was being done, e.g. `reading` or `writing`.
    public let operation: String
    /// What went wrong.
    public let kind: Kind
    /// Extra facts about the data (size, missing end marker), when known.
    public let detail: String?
    /// libjpeg-turbo's message (`tjGetErrorStr2`), when it reported one.
    public let libraryMessage: String?

    /// An error with every piece of context spelled out.
    public init(file: String, operation: String, kind: Kind, detail: String? = nil, libraryMessage: String? = nil) {
        self.file = file
        self.operation = operation
        self.kind = kind
        self.detail = detail
        self.libraryMessage = libraryMessage
    }

    public var description: String {
        var text = "\(file): "
        switch kind {
        case .fileNotFound: text += "no such file or folder"
        case .notJPEG(let found):
            text += "not a JPEG file: at byte 0 found [\(hex(found))], expected the start-of-image marker ff d8"
        case .tooLarge(let bytes): text += "image too large to decode (\(bytes) bytes)"
        case .invalidArgument(let why): text += why
        case .libraryFailure: text += "libjpeg-turbo could not \(operation == "writing" ? "encode" : "decode") it"
        case .io(let code): text += String(cString: strerror(code))
        }
        text += " (\(operation))"
        if let detail, !detail.isEmpty { text += "; \(detail)" }
        if let libraryMessage, !libraryMessage.isEmpty { text += "; libjpeg-turbo says: \(libraryMessage)" }
        return text
    }
}
