import Foundation
import Testing
@testable import SpikeData

/// Fixtures: Tests/SpikeDataTests/Fixtures/archives, written by make_archive_fixtures.py (zipfile/tarfile).
private func fixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/archives/\(name)").path
}

/// What make_archive_fixtures.py puts in dir/b.bin.
private let bBin: [UInt8] = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7 + ($0 >> 8)) }
private let longName = "long/" + String(repeating: "x", count: 60) + "/" + String(repeating: "y", count: 60) + "/file.txt"

private func contents(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: path).map { Array($0) }
}

@Suite("Archive extraction")
struct ArchiveTests {
    private func checkGoodTree(_ root: String, hardLink: Bool) throws {
        #expect(contents(root + "/a.txt") == Array("hello\n".utf8))
        #expect(contents(root + "/dir/b.bin") == bBin)
        #expect(contents(root + "/dir/c.txt") == Array("stored text\n".utf8))
        #expect(contents(root + "/" + longName) == Array("long name\n".utf8))
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: root + "/empty", isDirectory: &isDirectory) && isDirectory.boolValue)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/link-to-a") == "a.txt")
        #expect(contents(root + "/link-to-a") == Array("hello\n".utf8))
        if hardLink {
            var a = stat(), b = stat()
            #expect(stat(root + "/dir/c.txt", &a) == 0 && stat(root + "/dir/hard-c.txt", &b) == 0)
            #expect(a.st_ino == b.st_ino, "the hard link shares the file's inode")
        }
        let leftovers = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".spikelab-partial") } ?? []
        #expect(leftovers.isEmpty)
    }

    @Test("A zip made by Python's zipfile extracts: deflated and stored files, folders, an in-root symlink")
    func goodZip() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let count = try ArchiveExtraction.extract(fixture("good.zip"), kind: .zip, into: dir.file("root"))
        #expect(count == 6)
        try checkGoodTree(dir.file("root"), hardLink: false)
    }

    @Test("A pax tar.gz and a GNU tar made by Python's tarfile extract, long names and links included")
    func goodTars() throws {
        for (name, kind) in [("good.tar.gz", ExtractKind.tarGzip), ("good-gnu.tar", .tar)] {
            let dir = TemporaryDirectory()
            defer { dir.cleanup() }
            let count = try ArchiveExtraction.extract(fixture(name), kind: kind, into: dir.file("root"))
            #expect(count == 7, "\(name)")
            try checkGoodTree(dir.file("root"), hardLink: true)
        }
    }

    @Test("Extracting the same archive twice leaves the same tree (files are replaced, not appended)")
    func extractTwice() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        try ArchiveExtraction.extract(fixture("good.tar.gz"), kind: .tarGzip, into: dir.file("root"))
        try ArchiveExtraction.extract(fixture("good.tar.gz"), kind: .tarGzip, into: dir.file("root"))
        try checkGoodTree(dir.file("root"), hardLink: true)
    }

    @Test("Entries that try to leave the root are refused, with the entry named, and nothing lands outside")
    func evilArchives() throws {
        let cases: [(String, ExtractKind, String, String)] = [
            ("evil-absolute.tar", .tar, "/tmp/spikelab-evil-absolute.txt", "absolute paths are not allowed"),
            ("evil-dotdot.tar", .tar, "sub/../../evil-dotdot.txt", "'..' components are not allowed"),
            ("evil-symlink-absolute.tar", .tar, "etc-link", "absolute path '/etc'"),
            ("evil-symlink-out.tar", .tar, "sub/out", "leads outside the root"),
            ("evil-hardlink-out.tar", .tar, "passwd", "hard link to '../outside/secret.txt'"),
            ("evil-through-link.tar", .tar, "alias/evil.txt", "is a symbolic link"),
            ("evil-dotdot.zip", .zip, "../evil-dotdot.txt", "'..' components are not allowed"),
            ("evil-absolute.zip", .zip, "/tmp/spikelab-evil-absolute.txt", "absolute paths are not allowed"),
            ("evil-symlink-out.zip", .zip, "out", "leads outside the root"),
        ]
        for (name, kind, entry, reason) in cases {
            let dir = TemporaryDirectory()
            defer { dir.cleanup() }
            let root = dir.file("a/root")
            do {
                try ArchiveExtraction.extract(fixture(name), kind: kind, into: root)
                Issue.record("\(name): extracted without complaint")
            } catch let error {
                guard case let .unsafeEntry(archive, refused, why) = error else {
                    Issue.record("\(name): wrong error \(error)")
                    continue
                }
                #expect(archive.hasSuffix(name))
                #expect(refused == entry, "\(name)")
                #expect(why.contains(reason), "\(name): \(why)")
                #expect(error.description.contains("refusing entry '\(entry)'"))
            }
            // Nothing beside the root, nothing where the entries aimed.
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("a")) == ["root"], "\(name)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a"], "\(name)")
            #expect(!FileManager.default.fileExists(atPath: "/tmp/spikelab-evil-absolute.txt"))
            let inside = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
            #expect(!inside.contains { $0.hasSuffix("evil.txt") || $0.hasSuffix("evil-dotdot.txt") || $0 == "passwd" }, "\(name): \(inside)")
        }
    }

    @Test("A damaged zip entry fails its CRC-32 check and is not left under its name")
    func corruptZip() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        var bytes = contents(fixture("good.zip"))!
        // dir/c.txt is stored: flip one byte of its text in the local data.
        let marker = Array("stored text".utf8)
        let at = (0...(bytes.count - marker.count)).first { Array(bytes[$0..<($0 + marker.count)]) == marker }!
        bytes[at] ^= 0x20
        let path = dir.write(bytes, to: "bad.zip")
        #expect {
            try ArchiveExtraction.extract(path, kind: .zip, into: dir.file("root"))
        } throws: { error in
            guard let error = error as? FetchError, case let .badArchive(_, _, reason) = error else { return false }
            return reason.contains("dir/c.txt") && reason.contains("CRC-32")
        }
        #expect(!FileManager.default.fileExists(atPath: dir.file("root/dir/c.txt")))
    }

    @Test("Bytes that are not a tar archive give a clear header-checksum error")
    func notATar() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let path = dir.write([UInt8](repeating: 0x41, count: 1024), to: "junk.tar")
        #expect {
            try ArchiveExtraction.extract(path, kind: .tar, into: dir.file("root"))
        } throws: { error in
            "\(error)".contains("junk.tar: at byte 0: not a tar header")
        }
    }

    @Test("A .gz file decompresses next to itself")
    func gunzip() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let payload = Array("spike trains\n".utf8)
        let path = dir.write(handBuiltGzip(payload), to: "x.h5.gz")
        try ArchiveExtraction.extract(path, kind: .gzip, into: dir.path)
        #expect(contents(dir.file("x.h5")) == payload)
    }
}
