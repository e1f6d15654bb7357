import ArgumentParser
import Foundation
import SpikeLab

/// `spikelab plot RUN_DIR`: learning curves as a PNG.
struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw a run's learning curves (loss and the task's accuracy, mIoU or mAP per epoch, training and test) as a PNG.",
        discussion: "Reads RUN_DIR/metrics.csv (and the name and profile from summary.json). Works on a run in progress. Exit codes: 0 done, 1 writing failed, 2 not a run directory, 3 unreadable or empty metrics.")

    @Argument(help: "The run directory (the --out of `spikelab run`).")
    var runDirectory: String

    @Option(help: "The PNG to write (default: RUN_DIR/curves.png).")
    var out: String?

    func run() throws {
        do {
            let path = try LearningCurves.write(runDirectory: runDirectory, to: out)
            print("wrote \(path)")
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(error.exitCode)
        }
    }
}
