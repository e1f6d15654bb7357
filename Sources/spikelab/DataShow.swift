import ArgumentParser
import Foundation
import SpikeLab

extension DataCommand {
    /// `spikelab data show`: one decoded sample of any dataset as HDF5 (and PNG).
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Write one decoded sample of a dataset (what the loader serves, the raw record, the label) to HDF5, optionally a PNG.",
            discussion: """
                Event datasets (\(EventSampleExport.datasets.joined(separator: ", "))): /events/{x,y,t,p} (t in \
                microseconds), /frames [T, 2, H, W] (OFF, ON counts, integrated as SpikingJelly does), /label.
                Images (\(DatasetSampleExport.imageDatasets.joined(separator: ", "))): /image [C, H, W] in [0, 1] as \
                served before normalisation, /label; sequential CIFAR also /sequence [32, 96].
                shd: /spikes/{times,units}, /frames [T, 700] (--frames, --split-by as data.frames), /label.
                speech_commands: /waveform (16 kHz), /features [98, 40] log-mel, /label.
                voc_detection, coco_detection: /image, /boxes [K, 4] (x_min, y_min, x_max, y_max in pixels), \
                /classes, /difficult, /crowd. voc_segmentation: /image, /mask [H, W] (255 = void).
                Attributes name the dataset, split, index, source file and class names. --png draws it: \
                frames as a strip, images scaled up, a spike raster, a log-mel spectrogram, boxes with class \
                names, or the image beside its mask in VOC's palette.
                """)

        @Argument(help: "The dataset (a data.loader name): \(DatasetSampleExport.allDatasets.joined(separator: ", ")).")
        var name: String

        @Option(help: "Folder of the dataset's files, as the manifest's data.root (e.g. N-MNIST: holds Train/ and Test/).")
        var root: String

        @Option(help: "Sample index within the split (in the loader's order).")
        var index: Int

        @Option(help: "train or test.")
        var split: String = "train"

        @Option(help: "Event datasets and shd: frames T to integrate the events into (default 10 for events, 15 for shd).")
        var frames: Int?

        @Option(name: .customLong("split-by"), help: "Event datasets and shd: number (equal event counts), time (equal durations) or duration (fixed --duration-us); default number for events, time for shd.")
        var splitBy: String?

        @Option(name: .customLong("duration-us"), help: "Frame length in microseconds for --split-by duration.")
        var durationUs: Int?

        @Option(help: "Event datasets: resize frames to this side length (bilinear).")
        var resize: Int?

        @Option(name: .customLong("cifar-split"), help: "cifar10_dvs: per_class_first_90, random_90 or tebn (default per_class_first_90).")
        var cifarSplit: String?

        @Option(help: "cifar10_dvs: seed of the random_90 split (default 0).")
        var seed: UInt64?

        @Option(help: "Output HDF5 file.")
        var out: String

        @Option(help: "Also write a PNG a person can look at.")
        var png: String?

        var isEvent: Bool { EventSampleExport.datasets.contains(name) }

        func validate() throws {
            guard DatasetSampleExport.allDatasets.contains(name) else {
                throw ValidationError("'\(name)' is not a dataset data show knows; use one of \(DatasetSampleExport.allDatasets.joined(separator: ", "))")
            }
            guard ["train", "test"].contains(split) else { throw ValidationError("--split must be train or test, not '\(split)'") }
            guard index >= 0 else { throw ValidationError("--index must not be negative, got \(index)") }
            let framed = isEvent || name == "shd"
            if !framed {
                for (option, given) in [("--frames", frames != nil), ("--split-by", splitBy != nil), ("--duration-us", durationUs != nil)] where given {
                    throw ValidationError("\(option) applies only to event datasets and shd, not to \(name)")
                }
            }
            if !isEvent {
                for (option, given) in [("--resize", resize != nil), ("--cifar-split", cifarSplit != nil), ("--seed", seed != nil)] where given {
                    throw ValidationError("\(option) applies only to event datasets (\(EventSampleExport.datasets.joined(separator: ", "))), not to \(name)")
                }
            }
            if let frames, frames < 1 { throw ValidationError("--frames must be at least 1, got \(frames)") }
            if let splitBy, !["number", "time", "duration"].contains(splitBy) {
                throw ValidationError("--split-by must be number, time or duration, not '\(splitBy)'")
            }
            if splitBy == "duration" {
                guard let durationUs, durationUs >= 1 else { throw ValidationError("--split-by duration needs --duration-us D with D ≥ 1") }
            } else if durationUs != nil {
                throw ValidationError("--duration-us applies only to --split-by duration")
            }
            if let resize, resize < 1 { throw ValidationError("--resize must be at least 1, got \(resize)") }
            if let cifarSplit, !["per_class_first_90", "random_90", "tebn"].contains(cifarSplit) {
                throw ValidationError("--cifar-split must be per_class_first_90, random_90 or tebn, not '\(cifarSplit)'")
            }
        }

        func run() throws {
            do {
                if isEvent {
                    let request = EventSampleExport.Request(
                        dataset: name, root: root, index: index, split: split, frames: frames ?? 10, splitBy: splitBy ?? "number",
                        durationMicroseconds: durationUs, resize: resize, cifarSplit: cifarSplit ?? "per_class_first_90",
                        seed: seed ?? 0, output: out, png: png)
                    print(try EventSampleExport.run(request))
                } else {
                    let request = DatasetSampleExport.Request(
                        dataset: name, root: root, index: index, split: split, frames: frames, splitBy: splitBy,
                        durationMicroseconds: durationUs, output: out, png: png)
                    print(try DatasetSampleExport.run(request))
                }
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
