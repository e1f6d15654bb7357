import Foundation

/// Downloads, checks and unpacks the files of one dataset into a root, doing only what is
/// not done yet: a file that already verifies is not downloaded again, an archive already
/// unpacked from the same bytes is not unpacked again, and an interrupted download resumes.
public final class DatasetFetcher {
    public let spec: DatasetSpec
    public let root: String
    public let downloader: HTTPDownloader
    /// Tries per URL; after a broken transfer the next try resumes with a Range request.
    public let attempts: Int
    private let log: (String) -> Void
    private let progress: @Sendable (String, Int, Int?) -> Void

    /// `log` receives one line per step; `progress(file, have, total)` is called as bytes arrive.
    public init(spec: DatasetSpec, root: String, downloader: HTTPDownloader = HTTPDownloader(), attempts: Int = 3,
                log: @escaping (String) -> Void = { _ in },
                progress: @escaping @Sendable (String, Int, Int?) -> Void = { _, _, _ in }) {
        self.spec = spec
        self.root = root
        self.downloader = downloader
        self.attempts = max(1, attempts)
        self.log = log
        self.progress = progress
    }

    /// Brings every file into place, stopping at the first failure; files that must be fetched
    /// by hand are skipped and reported together at the end.
    public func fetchAll() throws(FetchError) {
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw .io(path: root, reason: "cannot create the root directory: \(error.localizedDescription)")
        }
        var manual: [(String, String)] = []
        for file in spec.files {
            do {
                try fetch(file)
            } catch let error {
                guard case let .manualDownload(name, instructions) = error else { throw error }
                manual.append((name, instructions))
            }
        }
        if !manual.isEmpty {
            throw .manualDownloads(dataset: spec.name, root: root, files: manual.map(\.0), instructions: manual.map(\.1))
        }
    }

    /// Brings one file into place (download if needed, verify, extract if needed).
    public func fetch(_ file: DatasetFile) throws(FetchError) {
        let path = root + "/" + file.name
        let state = try self.state(of: file, at: path)
        switch state {
        case let .ok(note):
            log("\(file.name): already present and verified (\(note)); not downloaded again")
        case let .unchecked(size):
            log("\(file.name): already present (\(size) bytes; no published checksum to check against); not downloaded again")
        case .wrongSize, .checksumMismatch:
            log("\(file.name): present but corrupt\(state.detail(file.name)); downloading it again")
            unlink(path)
            try download(file, to: path)
        case .missing, .notNeeded:
            if file.extract != .none, !spec.layout.isEmpty,
               spec.layout.allSatisfy({ DatasetVerifier.check($0, root: root) == nil }) {
                log("\(file.name): absent, but the extracted layout is complete; not downloaded")
                return
            }
            try download(file, to: path)
        }
        try extractIfNeeded(file, archive: path)
    }

    private func download(_ file: DatasetFile, to path: String) throws(FetchError) {
        if file.urls.isEmpty {
            throw .manualDownload(file: file.name, instructions: file.manualInstructions ?? "no download URL is known")
        }
        let part = path + ".part"
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var errors: [String] = []
        for url in file.urls {
            for attempt in 1...attempts {
                let have = HTTPDownloader.fileSize(part) ?? 0
                log("\(file.name): " + (have > 0 ? "resuming \(url) from byte \(have)" : "downloading \(url)")
                    + (attempt > 1 ? " (try \(attempt) of \(attempts))" : ""))
                let name = file.name
                let report = progress
                do {
                    let outcome = try downloader.download(url, into: part) { have, total in report(name, have, total) }
                    if outcome.status == 200 && have > 0 {
                        log("\(file.name): the server ignored the Range request (HTTP 200); started again from byte 0")
                    }
                    try finish(file, part: part, path: path)
                    return
                } catch let error {
                    // Most errors name the URL themselves; the rest get it in front.
                    errors.append(error.description.hasPrefix(url) ? error.description : "\(url): \(error)")
                    switch error {
                    case .transfer:
                        log("\(file.name): \(error)")
                        continue  // the part file keeps what arrived; the next try resumes
                    case .badContentRange, .wrongSize:
                        unlink(part)  // the part file cannot be trusted: start again
                        continue
                    case .checksumMismatch:
                        throw error
                    default:
                        break  // this URL cannot work (bad URL, HTTP error): try the next mirror
                    }
                }
                break
            }
        }
        throw .allSourcesFailed(file: file.name, errors: errors)
    }

    /// `DatasetVerifier.check`, with a read failure reported as the I/O error it is.
    private func state(of file: DatasetFile, at path: String) throws(FetchError) -> VerificationReport.FileState {
        do { return try DatasetVerifier.check(file, at: path) } catch {
            throw .io(path: path, reason: "\(error)")
        }
    }

    /// Checks the finished part file and moves it to its final name (removing it when it is bad).
    private func finish(_ file: DatasetFile, part: String, path: String) throws(FetchError) {
        switch try state(of: file, at: part) {
        case let .ok(note):
            log("\(file.name): verified (\(note))")
        case let .unchecked(size):
            log("\(file.name): \(size) bytes; no published checksum, so it could not be verified")
        case let .wrongSize(expected, actual):
            throw .wrongSize(file: file.name, expected: expected, actual: actual)
        case let .checksumMismatch(kind, expected, actual):
            unlink(part)
            throw .checksumMismatch(file: file.name, expected: Checksum(kind, expected), actual: actual, removed: part)
        case .missing, .notNeeded:
            throw .io(path: part, reason: "the download produced no file")
        }
        if rename(part, path) != 0 {
            throw .io(path: path, reason: "cannot move \(part) into place: \(String(cString: strerror(errno)))")
        }
        removeExtractionMarker(file)
    }

    // MARK: extraction, remembered by a marker holding the archive's size and modification time

    private var markerDirectory: String { root + "/.spikelab-extracted" }

    private func markerPath(_ file: DatasetFile) -> String {
        markerDirectory + "/" + file.name.replacingOccurrences(of: "/", with: "_") + ".done"
    }

    private func archiveStamp(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return "\(info.st_size) \(info.st_mtim.tv_sec)"
    }

    private func extractionMarkerMatches(_ file: DatasetFile) -> Bool {
        guard let marker = try? String(contentsOfFile: markerPath(file), encoding: .utf8) else { return false }
        return marker.trimmingCharacters(in: .whitespacesAndNewlines) == archiveStamp(root + "/" + file.name)
    }

    private func removeExtractionMarker(_ file: DatasetFile) {
        unlink(markerPath(file))
    }

    private func extractIfNeeded(_ file: DatasetFile, archive: String) throws(FetchError) {
        guard file.extract != .none else { return }
        if extractionMarkerMatches(file) {
            log("\(file.name): already extracted from these bytes; not extracted again")
            return
        }
        log("\(file.name): extracting (\(file.extract.rawValue)) into \(root)")
        let count = try ArchiveExtraction.extract(archive, kind: file.extract, into: file.extract == .gzip
            ? (archive as NSString).deletingLastPathComponent : root)
        log("\(file.name): \(count) entries extracted")
        try? FileManager.default.createDirectory(atPath: markerDirectory, withIntermediateDirectories: true)
        try? (archiveStamp(archive) ?? "").write(toFile: markerPath(file), atomically: true, encoding: .utf8)
    }
}
