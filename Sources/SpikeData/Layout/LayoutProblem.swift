import Foundation

/// One thing wrong with a dataset's files on disk, as `verifyLayout(root:)` reports it:
/// which file (relative to the root), whether it is missing or corrupt, and why.
public struct LayoutProblem: Sendable, Equatable, CustomStringConvertible {
    /// Missing entirely, or present but unreadable or not what the format requires.
    public enum Kind: String, Sendable { case missing, corrupt }

    /// Path relative to the dataset root as its publisher lays it out.
    public let path: String
    public let kind: Kind
    /// What is expected there, or what is wrong with it.
    public let reason: String

    public init(path: String, kind: Kind, reason: String) {
        self.path = path
        self.kind = kind
        self.reason = reason
    }

    public var description: String { "\(path): \(kind.rawValue): \(reason)" }

    /// One `corrupt` problem per file of `files` (relative to `directory`) whose JPEG header
    /// cannot be read — the image check of every JPEG-folder layout.
    static func unreadableJPEGs(_ files: [String], in directory: String) -> [LayoutProblem] {
        files.compactMap { file -> LayoutProblem? in
            do {
                _ = try JPEGImage.dimensions(contentsOf: directory + "/" + file)
                return nil
            } catch {
                return LayoutProblem(path: file, kind: .corrupt, reason: "\(error)")
            }
        }
    }
}

/// The lines of a text file with their 1-based numbers, or a `DataError` naming the file.
///
/// Accepts `\n` and `\r\n` endings; a file that is not UTF-8 is refused at the first bad byte.
func readTextLines(_ path: String) throws -> [(number: Int, text: String)] {
    let data: Data
    do {
        data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
        throw DataError.unreadable(file: path, reason: FileManager.default.fileExists(atPath: path)
                                   ? error.localizedDescription : "no such file")
    }
    guard let text = String(data: data, encoding: .utf8) else {
        // Find the first byte where decoding fails, for the message.
        var iterator = [UInt8](data).makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        decoding: while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput, .error: break decoding
            }
        }
        throw DataError.badMagic(file: path, offset: offset, found: "bytes that are not UTF-8",
                                 expected: "UTF-8 text")
    }
    // Split on the byte 0x0A: a Swift Character would take "\r\n" as one newline grapheme.
    var lines: [(Int, String)] = []
    var number = 0
    for line in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false) {
        number += 1
        var bytes = Array(line)
        if bytes.last == 0x0D { bytes.removeLast() }
        lines.append((number, String(decoding: bytes, as: UTF8.self)))
    }
    if let last = lines.last, last.1.isEmpty { lines.removeLast() }
    return lines
}

/// Names of the regular files in `directory`, sorted byte-wise (locale-independent, so every
/// machine numbers samples alike); nil when the folder does not exist.
func sortedFileNames(in directory: String) -> [String]? {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
    return names.filter { !$0.hasPrefix(".") }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
}
