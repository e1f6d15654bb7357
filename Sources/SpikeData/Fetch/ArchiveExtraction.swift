import Foundation

/// Unpacks a downloaded file into a root by its `ExtractKind`, refusing unsafe entries.
public enum ArchiveExtraction {
    /// Extracts `archive` into `root`; returns the number of entries written. `.gzip` writes
    /// the decompressed file next to the archive, without the `.gz`.
    @discardableResult
    public static func extract(_ archive: String, kind: ExtractKind, into root: String) throws(FetchError) -> Int {
        switch kind {
        case .none:
            return 0
        case .zip:
            return try ZipExtractor.extract(archive, into: ExtractionTarget(root: root, archive: archive))
        case .tar, .tarGzip:
            let stream: any ByteStream
            do {
                stream = kind == .tar ? try FileByteStream(path: archive) : try GzipReader(path: archive)
            } catch {
                throw .io(path: archive, reason: "\(error)")
            }
            return try TarExtractor.extract(stream, into: ExtractionTarget(root: root, archive: archive))
        case .gzip:
            guard archive.hasSuffix(".gz") else {
                throw .badArchive(archive: archive, offset: 0, reason: "a gzip file to decompress must be named *.gz")
            }
            let reader: GzipReader
            do { reader = try GzipReader(path: archive) } catch { throw .io(path: archive, reason: "\(error)") }
            let directory = (archive as NSString).deletingLastPathComponent
            let target = try ExtractionTarget(root: directory.isEmpty ? "." : directory, archive: archive)
            let name = String((archive as NSString).lastPathComponent.dropLast(3))
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
            defer { chunk.deallocate() }
            try target.writeFile(name, mode: 0o644) { (write: (UnsafeRawBufferPointer) throws(FetchError) -> Void) throws(FetchError) in
                while true {
                    let n: Int
                    do { n = try reader.read(into: chunk) } catch {
                        throw .badArchive(archive: archive, offset: reader.compressedOffset, reason: "\(error)")
                    }
                    if n == 0 { break }
                    try write(UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
                }
            }
            return 1
        }
    }
}
