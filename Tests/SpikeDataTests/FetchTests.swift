import Foundation
import Testing
@testable import SpikeData

/// Downloads against a loopback server this test starts (LoopbackHTTPServer): no internet needed.
@Suite("Dataset fetch over loopback HTTP", .serialized, .timeLimit(.minutes(1)))
struct FetchTests {
    /// 300 000 deterministic bytes: large enough that a cut body is a real partial file.
    static let payload: [UInt8] = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }

    private func spec(_ urls: [String], checksums: [Checksum]? = nil, size: Int? = payload.count,
                      extract: ExtractKind = .none, name: String = "blob.bin",
                      layout: [LayoutEntry] = []) -> DatasetSpec {
        let sums = checksums ?? [Checksum(.sha256, FileChecksum.hex(SHA256Hasher.digest(Self.payload))),
                                 Checksum(.md5, FileChecksum.hex(MD5.digest(Self.payload)))]
        return DatasetSpec(name: "toy", title: "Toy", homepage: "-", licence: "-",
                           files: [DatasetFile(name: name, urls: urls, size: size, checksums: sums, checksumSource: "test")],
                           layout: layout)
    }

    private func fetcher(_ spec: DatasetSpec, root: String, lines: LogLines = LogLines()) -> DatasetFetcher {
        DatasetFetcher(spec: spec, root: root, downloader: HTTPDownloader(idleTimeout: 5), attempts: 3,
                       log: { lines.append($0) })
    }

    @Test("A good download verifies both checksums and lands under its final name")
    func goodDownload() throws {
        let server = try LoopbackHTTPServer(files: ["blob.bin": Self.payload])
        defer { server.stop() }
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let lines = LogLines()
        try fetcher(spec([server.url("blob.bin")]), root: dir.path, lines: lines).fetchAll()
        #expect(FileManager.default.contents(atPath: dir.file("blob.bin")).map(Array.init) == Self.payload)
        #expect(!FileManager.default.fileExists(atPath: dir.file("blob.bin.part")))
        #expect(server.requests.count == 1)
        #expect(server.requests[0].range == nil)
        #expect(lines.all.contains { $0.contains("verified") && $0.contains("sha256 and md5") || $0.contains("md5 and sha256") })
    }

    @Test("A checksum mismatch is an error naming both digests, and the bad bytes are not left behind")
    func checksumMismatch() throws {
        let server = try LoopbackHTTPServer(files: ["blob.bin": Self.payload])
        defer { server.stop() }
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let wrong = Checksum(.sha256, String(repeating: "ab", count: 32))
        do {
            try fetcher(spec([server.url("blob.bin")], checksums: [wrong]), root: dir.path).fetchAll()
            Issue.record("a corrupt download was accepted")
        } catch let error {
            guard case let .checksumMismatch(file, expected, actual, _) = error else {
                Issue.record("wrong error: \(error)")
                return
            }
            #expect(file == "blob.bin")
            #expect(expected == wrong)
            #expect(actual == FileChecksum.hex(SHA256Hasher.digest(Self.payload)))
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("blob.bin")))
        #expect(!FileManager.default.fileExists(atPath: dir.file("blob.bin.part")))
    }

    @Test("A body cut off mid-way is resumed with a Range request from where the part file ends")
    func resumeAfterCut() throws {
        let cut = 123_457
        let server = try LoopbackHTTPServer(files: ["blob.bin": Self.payload], behaviours: [.cutAfter(cut)])
        defer { server.stop() }
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let lines = LogLines()
        try fetcher(spec([server.url("blob.bin")]), root: dir.path, lines: lines).fetchAll()
        #expect(FileManager.default.contents(atPath: dir.file("blob.bin")).map(Array.init) == Self.payload)
        let requests = server.requests
        #expect(requests.count == 2)
        #expect(requests.first?.range == nil)
        #expect(requests.last?.range == "bytes=\(cut)-")
        #expect(lines.all.contains { $0.contains("resuming") && $0.contains("from byte \(cut)") })
    }

    @Test("A leftover part file is resumed by a later run (206), not downloaded again")
    func resumeLeftoverPart() throws {
        let server = try LoopbackHTTPServer(files: ["blob.bin": Self.payload])
        defer { server.stop() }
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        _ = dir.write(Array(Self.payload.prefix(1000)), to: "blob.bin.part")
        try fetcher(spec([server.url("blob.bin")]), root: dir.path).fetchAll()
        #expect(FileManager.default.contents(atPath: dir.file("blob.bin")).map(Array.init) == Self.payload)
        #expect(server.requests.map(\.range) == ["bytes=1000-"])
    }

    @Test("A server that goes silent times out with a plain message and keeps the bytes that arrived")
    func stallTimesOut() throws {
        let server = try LoopbackHTTPServer(files: ["blob.bin": Self.payload], behaviours: [.stallAfter(50_000, seconds: 3.5)])
        defer { server.stop() }
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let impatient = DatasetFetcher(spec: spec([server.url("blob.bin")]), root: dir.path,
                                       // 1.5 s, not less: with every suite running at once on 2 cores the
                                       // first bytes can take longer than half a second to arrive.
                                       downloader: HTTPDownloader(idleTimeout: 1.5), attempts: 1)
        do {
            try impatient.fetchAll()
            Issue.record("a stalled download succeeded")
        } catch let error {
            #expect("\(error)".contains("the transfer broke off after 50000 bytes: timed out: no data for 1.5 s"), "\(error)")
        }
        #expect(HTTPDownloader.fileSize(dir.file("blob.bin.part")) == 50_000)
        #expect(!FileManager.default.fileExists(atPath: dir.file("blob.bin")))
    }

    @Test("A server that ignores Range (200) makes the download start over cleanly from byte 0")
    func serverIgnoresRange() throws {
        let server = try LoopbackHTTPServer(files: ["blob.bin": Self.payload], behaviours: [.ignoreRange])
        defer { server.stop() }
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        // A stale part file whose bytes are wrong: appending to it would corrupt the result.
        _ = dir.write([UInt8](repeating: 0xEE, count: 5000), to: "blob.bin.part")
        let lines = LogLines()
        try fetcher(spec([server.url("blob.bin")]), root: dir.path, lines: lines).fetchAll()
        #expect(FileManager.default.contents(atPath: dir.file("blob.bin")).map(Array.init) == Self.payload)
        #expect(server.requests.map(\.range) == ["bytes=5000-"])
        #expect(lines.all.contains { $0.contains("ignored the Range request") })
    }

    @Test("A 206 whose Content-Range does not continue the part file is rejected and the download restarts")
    func wrongContentRange() throws {
        let server = try LoopbackHTTPServer(files: ["blob.bin": Self.payload], behaviours: [.wrongContentRange])
        defer { server.stop() }
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        _ = dir.write(Array(Self.payload.prefix(777)), to: "blob.bin.part")
        try fetcher(spec([server.url("blob.bin")]), root: dir.path).fetchAll()
        #expect(FileManager.default.contents(atPath: dir.file("blob.bin")).map(Array.init) == Self.payload)
        #expect(server.requests.map(\.range) == ["bytes=777-", nil])
    }

    @Test("A corrupt file already under its final name is replaced by a fresh download")
    func corruptExistingFile() throws {
        let server = try LoopbackHTTPServer(files: ["blob.bin": Self.payload])
        defer { server.stop() }
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        _ = dir.write([UInt8](repeating: 1, count: 10), to: "blob.bin")
        let lines = LogLines()
        try fetcher(spec([server.url("blob.bin")]), root: dir.path, lines: lines).fetchAll()
        #expect(FileManager.default.contents(atPath: dir.file("blob.bin")).map(Array.init) == Self.payload)
        #expect(lines.all.contains("blob.bin: present but corrupt: wrong size: 10 bytes, expected 300000; downloading it again"))
    }

    @Test("A file that already verifies is not downloaded again")
    func idempotent() throws {
        let server = try LoopbackHTTPServer(files: ["blob.bin": Self.payload])
        defer { server.stop() }
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let s = spec([server.url("blob.bin")])
        try fetcher(s, root: dir.path).fetchAll()
        let lines = LogLines()
        try fetcher(s, root: dir.path, lines: lines).fetchAll()
        #expect(server.requests.count == 1)
        #expect(lines.all.contains { $0.contains("already present and verified") })
    }

    @Test("A mirror answering 404 is reported and the next mirror is used")
    func mirrorFallback() throws {
        let server = try LoopbackHTTPServer(files: ["blob.bin": Self.payload])
        defer { server.stop() }
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        try fetcher(spec([server.url("missing.bin"), server.url("blob.bin")]), root: dir.path).fetchAll()
        #expect(FileManager.default.contents(atPath: dir.file("blob.bin")).map(Array.init) == Self.payload)
        #expect(server.requests.map(\.path) == ["missing.bin", "blob.bin"])
    }

    @Test("When every source fails, the error lists each URL with its HTTP status")
    func allSourcesFail() throws {
        let server = try LoopbackHTTPServer(files: ["blob.bin": Self.payload], behaviours: [.status(503), .status(503), .status(503)])
        defer { server.stop() }
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        do {
            try fetcher(spec([server.url("blob.bin")]), root: dir.path).fetchAll()
            Issue.record("fetch succeeded against a failing server")
        } catch let error {
            #expect("\(error)".contains("\(server.url("blob.bin")): the server answered HTTP 503"))
        }
    }

    @Test("A downloaded tar.gz is extracted once; the next run neither downloads nor extracts")
    func downloadAndExtract() throws {
        let archivePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/archives/good.tar.gz").path
        let archive = Array(FileManager.default.contents(atPath: archivePath)!)
        let server = try LoopbackHTTPServer(files: ["good.tar.gz": archive])
        defer { server.stop() }
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let s = DatasetSpec(name: "toy", title: "Toy", homepage: "-", licence: "-",
                            files: [DatasetFile(name: "good.tar.gz", urls: [server.url("good.tar.gz")], size: archive.count,
                                                checksums: [Checksum(.md5, FileChecksum.hex(MD5.digest(archive)))],
                                                checksumSource: "test", extract: .tarGzip)],
                            layout: [LayoutEntry(path: "a.txt", kind: .file, size: 6), LayoutEntry(path: "dir", kind: .directory, count: 3)])
        try fetcher(s, root: dir.path).fetchAll()
        #expect(FileManager.default.contents(atPath: dir.file("dir/b.bin"))?.count == 100_000)
        let lines = LogLines()
        try fetcher(s, root: dir.path, lines: lines).fetchAll()
        #expect(server.requests.count == 1)
        #expect(lines.all.contains { $0.contains("not extracted again") })
        #expect(try DatasetVerifier.verify(s, root: dir.path).isComplete)
    }

    @Test("A file without a URL is reported with its manual instructions")
    func manualFile() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let s = DatasetSpec(name: "gesture", title: "-", homepage: "-", licence: "-",
                            files: [DatasetFile(name: "DvsGesture.tar.gz", urls: [], manualInstructions: "get it from the Box folder")],
                            layout: [])
        do {
            try fetcher(s, root: dir.path).fetchAll()
            Issue.record("a manual file was not reported")
        } catch let error {
            let text = "\(error)"
            #expect(text == "this file cannot be downloaded automatically; place it under \(dir.path) and run "
                + "`spikelab data verify gesture --root \(dir.path)`:\n  - DvsGesture.tar.gz: get it from the Box folder")
        }
    }
}

/// Collects log lines from the fetcher.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}
