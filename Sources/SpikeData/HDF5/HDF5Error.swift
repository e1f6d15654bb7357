import Foundation

/// A failed HDF5 operation: which file, which object inside it, what was being done, and why.
///
/// Its description reads like `checkpoints/last.h5: dataset /model/fc.weight: not found
/// (reading a tensor)`; when the HDF5 library itself refused, its own message follows.
public struct HDF5Error: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, in a form tests and callers can match on.
    public enum Kind: Sendable, Equatable {
        /// The file, or the folder it should be created in, does not exist or cannot be read.
        case fileNotFound
        /// The file exists but carries no HDF5 signature.
        case notHDF5
        /// The file has an HDF5 signature but HDF5 cannot open it: truncated, corrupt, or
        /// locked by another writer (`libraryMessage` says which).
        case unreadableFile
        /// No object (or attribute) exists at the path.
        case notFound
        /// The object exists but is of another kind, e.g. a group where a dataset was expected.
        case wrongKind(expected: String, found: String)
        /// Something is already there and will not be replaced.
        case alreadyExists(found: String)
        /// The stored element type cannot be converted to the requested one.
        case typeMismatch(String)
        /// The stored shape does not fit the request.
        case shapeMismatch(String)
        /// The caller passed a value the operation cannot use.
        case invalidArgument(String)
        /// A write was attempted on a file opened read-only.
        case readOnly
        /// The file has been closed.
        case closed
        /// An HDF5 call failed; `libraryMessage` says why when HDF5 told us.
        case libraryFailure
        /// A POSIX call failed with this `errno`.
        case io(errno: Int32)
    }

    /// Path of the HDF5 file as the caller gave it.
    public let file: String
    /// The object inside the file, e.g. `dataset /model/fc.weight`; nil for the file itself.
    public let object: String?
    /// What was being done, e.g. `reading a tensor`.
    public let operation: String
    /// What went wrong.
    public let kind: Kind
    /// HDF5's own error-stack message, when the library reported one.
    public let libraryMessage: String?

    /// An error with every piece of context spelled out.
    public init(file: String, object: String?, operation: String, kind: Kind,
                libraryMessage: String? = nil) {
        self.file = file
        self.object = object
        self.operation = operation
        self.kind = kind
        self.libraryMessage = libraryMessage
    }

    public var description: String {
        var text = file
        if let object { text += ": \(object)" }
        text += ": "
        switch kind {
        case .fileNotFound: text += "no such file or folder"
        case .notHDF5: text += "not an HDF5 file"
        case .unreadableFile: text += "HDF5 cannot open it (truncated, corrupt or locked)"
        case .notFound: text += "not found"
        case .wrongKind(let expected, let found): text += "is a \(found), not a \(expected)"
        case .alreadyExists(let found): text += "already exists as a \(found)"
        case .typeMismatch(let why), .shapeMismatch(let why), .invalidArgument(let why): text += why
        case .readOnly: text += "the file is open read-only"
        case .closed: text += "the file is closed"
        case .libraryFailure: text += "\(operation) failed"
        case .io(let code): text += "\(operation) failed: \(String(cString: strerror(code)))"
        }
        switch kind {
        case .libraryFailure, .io: break
        default: text += " (\(operation))"
        }
        if let libraryMessage { text += "; HDF5 says: \(libraryMessage)" }
        return text
    }
}
