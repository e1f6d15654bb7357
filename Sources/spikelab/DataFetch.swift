import ArgumentParser
import Foundation
import SpikeData
import SpikeLab

/// Options both `data fetch` and `data verify` take: which dataset, where, from which registry.
struct DatasetSelection: ParsableArguments {
    @Argument(help: "Dataset name from the registry (e.g. cifar10, nmnist, shd).")
    var name: String

    @Option(help: "Folder the dataset's files live in (created by fetch).")
    var root: String

    @Option(help: "The dataset registry (YAML).")
    var registry: String = DatasetRegistry.defaultPath

    /// The registry entry, or an exit with code 2 naming what is wrong.
    func spec() throws -> DatasetSpec {
        let loaded: DatasetRegistry
        do {
            loaded = try DatasetRegistry.load(registry)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(ExitStatus.badInput)
        }
        guard let spec = loaded.named(name) else {
            let hint = loaded.suggestion(for: name).map { "; did you mean '\($0)'?" } ?? ""
            FileHandle.standardError.write(Data(
                "error: no dataset '\(name)' in \(registry)\(hint); known: \(loaded.datasets.map(\.name).joined(separator: ", "))\n".utf8))
            throw ExitCode(ExitStatus.badInput)
        }
        return spec
    }
}

extension DataCommand {
    /// `spikelab data fetch NAME --root DIR`: download, check and unpack a dataset.
    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a dataset from its publisher, verify its checksums and unpack it safely.",
            discussion: """
                Resumes interrupted downloads (HTTP Range onto FILE.part), skips files that already verify \
                and archives already unpacked, refuses archive entries that would land outside --root. \
                Files that cannot be downloaded automatically (DVS128 Gesture) are named with where to get them. \
                Exit codes: 0 done, 1 download failed, 2 bad arguments or registry, 3 bad or missing data.
                """)

        @OptionGroup var selection: DatasetSelection

        @Option(help: "Tries per URL; a broken transfer is resumed on the next try.")
        var attempts: Int = 3

        @Option(help: "Seconds without data before a try gives up.")
        var timeout: Double = 60

        func validate() throws {
            if attempts < 1 { throw ValidationError("--attempts \(attempts): must be at least 1") }
            if timeout <= 0 { throw ValidationError("--timeout \(timeout): must be a positive number of seconds") }
        }

        func run() throws {
            let spec = try selection.spec()
            let line = ProgressLine()
            let fetcher = DatasetFetcher(
                spec: spec, root: selection.root, downloader: HTTPDownloader(idleTimeout: timeout), attempts: attempts,
                log: { line.finish(); print($0) },
                progress: { file, have, total in line.update(file: file, have: have, total: total) })
            print("\(spec.name): \(spec.title) into \(selection.root) (licence: \(spec.licence))")
            do {
                try fetcher.fetchAll()
            } catch {
                line.finish()
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                switch error {
                case .allSourcesFailed, .badURL, .httpStatus, .transfer, .badContentRange: throw ExitCode(ExitStatus.failed)
                default: throw ExitCode(ExitStatus.badData)
                }
            }
            line.finish()
            let report = try DatasetVerifier.verify(spec, root: selection.root)
            print(report)
            if !report.isComplete { throw ExitCode(ExitStatus.badData) }
        }
    }
}

/// A download progress line: redrawn in place on a terminal, a plain line every 10 s otherwise.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let terminal = isatty(STDOUT_FILENO) != 0
    private var last = Date.distantPast
    private var drawn = false
    private var start = Date()
    private var file = ""

    func update(file: String, have: Int, total: Int?) {
        lock.lock()
        defer { lock.unlock() }
        if file != self.file { self.file = file; start = Date() }
        let now = Date()
        guard now.timeIntervalSince(last) >= (terminal ? 0.2 : 10) else { return }
        last = now
        let rate = Double(have) / max(now.timeIntervalSince(start), 0.001)
        var text = "\(file): \(Self.megabytes(have))"
        if let total, total > 0 {
            text += String(format: " of %@ (%.1f %%)", Self.megabytes(total), 100 * Double(have) / Double(total))
        }
        text += String(format: ", %.1f MB/s", rate / 1e6)
        if terminal {
            FileHandle.standardOutput.write(Data(("\r" + text + "\u{1B}[K").utf8))
            drawn = true
        } else {
            print(text)
        }
    }

    /// Ends an in-place line so the next output starts on a fresh one.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardOutput.write(Data("\n".utf8)); drawn = false }
    }

    private static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }
}
