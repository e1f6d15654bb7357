import Foundation

/// A dataset file that is missing, unreadable, or not what its format says it should be.
///
/// Every case names the file; cases about content also give the byte offset (in the
/// decompressed stream for gzip files) and what was expected there.
public enum DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened, read or written.
    case unreadable(file: String, reason: String)
    /// The file could not be written.
    case unwritable(file: String, reason: String)
    /// Input that should be gzip does not start with the gzip magic bytes 1f 8b.
    case notGzip(file: String, found: [UInt8])
    /// The gzip stream ends before its end-of-stream marker.
    case truncatedGzip(file: String, compressedBytes: Int, decompressedBytes: Int)
    /// The gzip trailer's CRC-32 or length disagrees with the decompressed data.
    case gzipChecksum(file: String, check: String, decompressedBytes: Int)
    /// zlib rejected the compressed data at `offset` (in the compressed file).
    case corruptGzip(file: String, offset: Int, reason: String)
    /// The bytes at `offset` are not the magic number or header field the format requires.
    case badMagic(file: String, offset: Int, found: String, expected: String)
    /// The header and the file size disagree.
    case sizeMismatch(file: String, expectedBytes: Int, actualBytes: Int, detail: String)
    /// The file ends at `offset`, before data its header announces.
    case truncated(file: String, offset: Int, expected: String)
    /// A file of fixed-size records whose size is not a whole number of records.
    case partialRecord(file: String, size: Int, recordSize: Int, format: String)
    /// Files a dataset needs are not under `root`; `note` says where else they may be.
    case missingFiles(root: String, expected: [String], missing: [String], note: String = "")
    /// Two parts of a dataset disagree (e.g. image and label counts), or a value is out of range.
    case inconsistent(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot read: \(reason)"
        case let .unwritable(file, reason):
            return "\(file): cannot write: \(reason)"
        case let .notGzip(file, found):
            let hex = found.map { String(format: "%02x", $0) }.joined(separator: " ")
            return "\(file): not a gzip file: starts with [\(hex)], expected 1f 8b"
        case let .truncatedGzip(file, compressed, decompressed):
            return "\(file): truncated gzip stream: the compressed data ends after \(compressed) bytes "
                + "(\(decompressed) bytes decompressed) without the end-of-stream marker and trailer"
        case let .gzipChecksum(file, check, decompressed):
            return "\(file): gzip \(check) check failed after \(decompressed) decompressed bytes: "
                + "the data is corrupt"
        case let .corruptGzip(file, offset, reason):
            return "\(file): corrupt gzip data near compressed byte \(offset): \(reason)"
        case let .badMagic(file, offset, found, expected):
            return "\(file): at byte \(offset): found \(found), expected \(expected)"
        case let .sizeMismatch(file, expected, actual, detail):
            return "\(file): size mismatch: the header describes \(expected) bytes (\(detail)), "
                + "the file holds \(actual)"
        case let .truncated(file, offset, expected):
            return "\(file): truncated at byte \(offset): expected \(expected)"
        case let .partialRecord(file, size, recordSize, format):
            return "\(file): size \(size) bytes is not a whole number of \(recordSize)-byte \(format) records: "
                + "record \(size / recordSize) is incomplete at byte \(size / recordSize * recordSize) "
                + "(\(size % recordSize) of \(recordSize) bytes present)"
        case let .missingFiles(root, expected, missing, note):
            return "expected \(expected.joined(separator: ", ")) under \(root)"
                + (note.isEmpty ? "" : " (\(note))")
                + "; missing: \(missing.joined(separator: ", "))"
        case let .inconsistent(file, reason):
            return "\(file): \(reason)"
        }
    }
}

extension DataError {
    /// Creates each of `paths` (with intermediate folders), or throws `.unwritable` naming the
    /// one that could not be made: the one way dataset writers make their folders.
    public static func createDirectories(_ paths: [String]) throws(DataError) {
        for path in paths {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw .unwritable(file: path, reason: error.localizedDescription)
            }
        }
    }
}
