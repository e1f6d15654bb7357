import ArgumentParser
import Foundation
import SpikeLab

extension DataCommand {
    /// `spikelab data show`: one decoded sample of an event dataset as HDF5 (and PNG).
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Write one decoded sample of an event dataset (events, frames, label) to HDF5, optionally a PNG.",
            discussion: "The HDF5 file holds /events/{x,y,t,p} (t in microseconds), /frames [T, 2, H, W] "
                + "(OFF, ON event counts, integrated as SpikingJelly does), /label, and attributes naming the file "
                + "and the settings. Datasets: \(EventSampleExport.datasets.joined(separator: ", ")).")

        @Argument(help: "The dataset: \(EventSampleExport.datasets.joined(separator: ", ")).")
        var name: String

        @Option(help: "Folder of the dataset's files (N-MNIST: holds Train/ and Test/).")
        var root: String

        @Option(help: "Sample index within the split (in the loader's order).")
        var index: Int

        @Option(help: "train or test.")
        var split: String = "train"

        @Option(help: "Frames T to integrate the events into.")
        var frames: Int = 10

        @Option(name: .customLong("split-by"), help: "number (equal event counts), time (equal durations) or duration (fixed --duration-us).")
        var splitBy: String = "number"

        @Option(name: .customLong("duration-us"), help: "Frame length in microseconds for --split-by duration.")
        var durationUs: Int?

        @Option(help: "Resize frames to this side length (bilinear).")
        var resize: Int?

        @Option(name: .customLong("cifar-split"), help: "CIFAR10-DVS split: per_class_first_90, random_90 or tebn.")
        var cifarSplit: String = "per_class_first_90"

        @Option(help: "Seed of the random_90 split.")
        var seed: UInt64 = 0

        @Option(help: "Output HDF5 file.")
        var out: String

        @Option(help: "Also write the frames as a PNG strip (OFF red, ON green).")
        var png: String?

        func validate() throws {
            guard EventSampleExport.datasets.contains(name) else {
                throw ValidationError("'\(name)' is not an event dataset; use one of \(EventSampleExport.datasets.joined(separator: ", "))")
            }
            guard ["train", "test"].contains(split) else { throw ValidationError("--split must be train or test, not '\(split)'") }
            guard frames >= 1 else { throw ValidationError("--frames must be at least 1, got \(frames)") }
            guard index >= 0 else { throw ValidationError("--index must not be negative, got \(index)") }
            guard ["number", "time", "duration"].contains(splitBy) else {
                throw ValidationError("--split-by must be number, time or duration, not '\(splitBy)'")
            }
            if splitBy == "duration" {
                guard let durationUs, durationUs >= 1 else { throw ValidationError("--split-by duration needs --duration-us D with D ≥ 1") }
            } else if durationUs != nil {
                throw ValidationError("--duration-us applies only to --split-by duration")
            }
            if let resize, resize < 1 { throw ValidationError("--resize must be at least 1, got \(resize)") }
            guard ["per_class_first_90", "random_90", "tebn"].contains(cifarSplit) else {
                throw ValidationError("--cifar-split must be per_class_first_90, random_90 or tebn, not '\(cifarSplit)'")
            }
        }

        func run() throws {
            let request = EventSampleExport.Request(
                dataset: name, root: root, index: index, split: split, frames: frames, splitBy: splitBy,
                durationMicroseconds: durationUs, resize: resize, cifarSplit: cifarSplit, seed: seed, output: out, png: png)
            do {
                print(try EventSampleExport.run(request))
            } catch let error as EventSampleExport.RequestError {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(ExitStatus.badInput)
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(ExitStatus.badData)
            }
        }
    }
}
