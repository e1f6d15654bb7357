import ArgumentParser
import Foundation
import SpikeData
import SpikeLab

extension DataCommand {
    /// `spikelab data verify NAME --root DIR`: say exactly what is missing or corrupt.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a dataset's files (size, published checksums) and unpacked layout under --root.",
            discussion: """
                Prints one line per file (ok / unchecked: no published checksum / MISSING / CORRUPT) and per \
                layout problem. An archive that is gone is fine when everything it unpacks to is in place. \
                Exit codes: 0 complete, 2 bad arguments or registry, 3 something missing or corrupt.
                """)

        @OptionGroup var selection: DatasetSelection

        func run() throws {
            let spec = try selection.spec()
            let report: VerificationReport
            do {
                report = try DatasetVerifier.verify(spec, root: selection.root)
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(ExitStatus.badData)
            }
            print(report)
            if !report.isComplete { throw ExitCode(ExitStatus.badData) }
        }
    }
}
