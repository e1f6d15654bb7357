import CHDF5
import Foundation

/// An open HDF5 file: groups, datasets (tensors, arrays, scalars, strings, variable-length
/// sequences) and attributes, addressed by paths such as `model/fc.weight`.
///
/// Every failure throws an `HDF5Error` naming the file, the object and the operation.
/// Calls into HDF5 are serialised by one process-wide lock (HDF5 1.10 is not thread-safe),
/// which is also why a file may be shared between threads. Closing the file (explicitly or
/// when the object goes away) closes every HDF5 handle opened through it.
public final class HDF5File: @unchecked Sendable {
    /// How an existing file is opened.
    public enum Mode: Sendable {
        case readOnly, readWrite
    }

    /// The path the file was opened or created at.
    public let path: String
    /// Whether writes are allowed.
    public let mode: Mode
    /// The HDF5 file id, or -1 once closed. Read and written only under the library lock.
    private var fileID: hid_t

    private init(path: String, mode: Mode, fileID: hid_t) {
        self.path = path
        self.mode = mode
        self.fileID = fileID
    }

    deinit {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        if fileID >= 0 { _ = H5Fclose(fileID) }
    }

    // MARK: - Opening and closing

    /// Creates a new, empty file at `path`, replacing any file there; open for reading and writing.
    public static func create(path: String) throws(HDF5Error) -> HDF5File {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let fapl = try fileAccessList(path: path, operation: "creating the file")
        defer { H5Pclose(fapl) }
        let id = H5Fcreate(path, spk_h5f_acc_trunc(), spk_h5p_default(), fapl)
        guard id >= 0 else {
            let message = HDF5Library.errorStackMessage()
            let parent = (path as NSString).deletingLastPathComponent
            let missingFolder = !parent.isEmpty && !FileManager.default.fileExists(atPath: parent)
            throw HDF5Error(file: path, object: nil, operation: "creating the file",
                            kind: missingFolder ? .fileNotFound : .libraryFailure, libraryMessage: message)
        }
        return HDF5File(path: path, mode: .readWrite, fileID: id)
    }

    /// Opens the existing HDF5 file at `path`; a missing, non-HDF5 or truncated file is a clean error.
    public static func open(path: String, mode: Mode = .readOnly) throws(HDF5Error) -> HDF5File {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let operation = "opening the file"
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw HDF5Error(file: path, object: nil, operation: operation, kind: .fileNotFound)
        }
        if mode == .readWrite && !FileManager.default.isWritableFile(atPath: path) {
            throw HDF5Error(file: path, object: nil, operation: "opening the file for writing", kind: .io(errno: EACCES))
        }
        // Checking the signature first tells "not HDF5 at all" from "HDF5 but damaged".
        guard H5Fis_hdf5(path) > 0 else {
            throw HDF5Error(file: path, object: nil, operation: operation, kind: .notHDF5,
                            libraryMessage: HDF5Library.errorStackMessage())
        }
        let fapl = try fileAccessList(path: path, operation: operation)
        defer { H5Pclose(fapl) }
        let flags = mode == .readOnly ? spk_h5f_acc_rdonly() : spk_h5f_acc_rdwr()
        let id = H5Fopen(path, flags, fapl)
        guard id >= 0 else {
            throw HDF5Error(file: path, object: nil, operation: operation, kind: .unreadableFile,
                            libraryMessage: HDF5Library.errorStackMessage())
        }
        return HDF5File(path: path, mode: mode, fileID: id)
    }

    /// File-access properties: closing the file closes every object still open in it
    /// ("strong" close degree), so a close really releases the file before, say, a rename.
    private static func fileAccessList(path: String, operation: String) throws(HDF5Error) -> hid_t {
        let fapl = H5Pcreate(spk_h5p_file_access())
        guard fapl >= 0, H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) >= 0 else {
            let message = HDF5Library.errorStackMessage()
            if fapl >= 0 { H5Pclose(fapl) }
            throw HDF5Error(file: path, object: nil, operation: operation, kind: .libraryFailure,
                            libraryMessage: message)
        }
        return fapl
    }

    /// Whether the file is still open.
    public var isOpen: Bool {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        return fileID >= 0
    }

    /// Writes everything buffered to disk and closes the file; later calls fail with `.closed`.
    /// Closing a closed file does nothing.
    public func close() throws(HDF5Error) {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        guard fileID >= 0 else { return }
        let status = H5Fclose(fileID)
        fileID = -1
        guard status >= 0 else { throw libraryError(object: nil, operation: "closing the file") }
    }

    /// Writes everything buffered for this file to disk.
    public func flush() throws(HDF5Error) {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let id = try openID(object: nil, operation: "flushing the file")
        guard H5Fflush(id, H5F_SCOPE_GLOBAL) >= 0 else {
            throw libraryError(object: nil, operation: "flushing the file")
        }
    }

    // MARK: - Helpers shared by the other files of the wrapper (call with the lock held)

    /// The file id, or a `.closed` error.
    func openID(object: String?, operation: String) throws(HDF5Error) -> hid_t {
        guard fileID >= 0 else { throw error(.closed, object: object, operation: operation) }
        return fileID
    }

    /// The file id of a file that may be written, or `.closed` / `.readOnly`.
    func writableID(object: String?, operation: String) throws(HDF5Error) -> hid_t {
        let id = try openID(object: object, operation: operation)
        guard mode == .readWrite else { throw error(.readOnly, object: object, operation: operation) }
        return id
    }

    /// An error about this file.
    func error(_ kind: HDF5Error.Kind, object: String?, operation: String) -> HDF5Error {
        HDF5Error(file: path, object: object, operation: operation, kind: kind)
    }

    /// A `.libraryFailure` carrying HDF5's error-stack message; build it right after the
    /// failing call, before any other HDF5 call clears the stack.
    func libraryError(object: String?, operation: String) -> HDF5Error {
        HDF5Error(file: path, object: object, operation: operation, kind: .libraryFailure,
                  libraryMessage: HDF5Library.errorStackMessage())
    }

    /// `path` in canonical absolute form: `a//b/` → `/a/b`, `` → `/`.
    static func absolute(_ path: String) -> String {
        "/" + components(path).joined(separator: "/")
    }

    /// The names along `path`.
    static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }
}
