import ArgumentParser
import Foundation
import SpikeLab
import SpikeTensor

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure SpikeLab's speed on this machine.",
        discussion: """
            Benchmarks print what they measured, the core and thread counts, and throughput.
            Compare with PyTorch on the same machine: `make bench-peers`.
            """,
        subcommands: [Engine.self, Neurons.self, Train.self, DataLoaders.self, Arch.self, Efficiency.self])

    struct Engine: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Tensor engine: memory bandwidth (triad), SGEMM, conv2d passes, vgg-small training step.")

        @Flag(help: "Print the report as JSON on standard output instead of a table.")
        var json = false

        @Flag(help: "Fewer repetitions and a smaller triad (about a minute on 2 cores).")
        var quick = false

        @OptionGroup var threading: ThreadOption

        func run() throws {
            threading.configure()
            let report = EngineBenchmark(quick: quick).run()
            print(json ? try report.json() : report.table())
        }
    }

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Epoch time against checkpoint write time: the demo model (Fashion-MNIST) and vgg-small.",
            discussion: """
                demo: the demo manifest's cpu profile (spiking_cnn_28, LIF T=4) trains one real epoch \
                through the runner (--quick: 1280 images, scaled to the 6000-image epoch). vgg_small: \
                timed steps on synthetic CIFAR-shaped input, times the 782 steps of a CIFAR-10 epoch. \
                Each checkpoint is written several times (atomic: temp file, fsync, rename); the goal is \
                a write of at most 2 % of an epoch. Needs dataset-fashion-mnist (exit 3 without it).
                """)

        @Flag(help: "Print the report as JSON on standard output instead of a table.")
        var json = false

        @Flag(help: "A shorter demo epoch and fewer vgg-small steps and writes (a minute or two on 2 cores).")
        var quick = false

        @OptionGroup var threading: ThreadOption

        func run() throws {
            threading.configure()
            do {
                let result = try TrainBenchmark(quick: quick).run()
                print(json ? try result.json() : result.table())
            } catch {
                throw report(error)
            }
        }
    }

    struct DataLoaders: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "data",
            abstract: "Data loaders' samples/s — images, events, speech — against the training step they feed.",
            discussion: """
                images: JPEG, TinyImageNet, VOC samples, letterboxing, CIFAR-sized batches with crop/flip/normalise; \
                events: decoding, frame integration, the HDF5 frame cache, time-major batches; speech: SHD files, \
                spike binning and batches, Speech Commands WAV + log-mel and batches. The image part makes its data \
                from Fashion-MNIST, the others write synthetic files with SpikeLab's writers, all in a temporary \
                folder removed afterwards. Unless --no-training, the same run also times the spiking vgg-small \
                training step (LIF, T = 4, batch 32) and gives, for every measurement that serves training batches, \
                its samples/s over the step's images/s (× training; above 1 the loader keeps ahead).
                """)

        @Flag(help: "Print the report as JSON on standard output instead of a table.")
        var json = false

        @Flag(help: "Fewer images, files, events and repetitions.")
        var quick = false

        @OptionGroup var threading: ThreadOption

        @Option(help: "Folder of the Fashion-MNIST IDX files the demo data is made from.")
        var fashionMnist: String = DataBenchmark.defaultFashionMNISTRoot

        @Option(help: "Which loaders: images, events, speech or all.")
        var family: Family = .all

        @Flag(inversion: .prefixedNo, help: "Also time the spiking vgg-small training step and compare each loader with it.")
        var training = true

        enum Family: String, ExpressibleByArgument, CaseIterable { case images, events, speech, all }

        func run() throws {
            threading.configure()
            do {
                var reports: [(name: String, report: BenchmarkReport)] = []
                if family == .images || family == .all {
                    reports.append(("images", try DataBenchmark(quick: quick, fashionMNISTRoot: fashionMnist).run()))
                }
                if family == .events || family == .all {
                    reports.append(("events", try EventDataBenchmark(quick: quick).run()))
                }
                if family == .speech || family == .all {
                    reports.append(("speech", try SpeechDataBenchmark(quick: quick).run()))
                }
                if training {
                    let step = LoaderHeadroom.trainingStep(quick: quick) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
                    reports = reports.map { ($0.name, LoaderHeadroom.annotate($0.report, against: step)) }
                    var reference = BenchmarkReport(benchmark: "data (training reference)", threads: Threads.count)
                    reference.measurements = [step]
                    reports.append(("training", reference))
                }
                let parts = try reports.map { (name: $0.name, json: try $0.report.json(), table: $0.report.table()) }
                if !json {
                    print(parts.map(\.table).joined(separator: "\n"))
                } else if parts.count == 1 {
                    print(parts[0].json)
                } else {  // one JSON document: {"images": …, "events": …}
                    print("{\n" + parts.map { "\"\($0.name)\": \($0.json)" }.joined(separator: ",\n") + "\n}")
                }
            } catch {
                // Only reading or writing the generated data can fail.
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(ExitStatus.badData)
            }
        }
    }
}

extension Bench {
    struct Arch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Training-step time of the paper architectures at a width, against vgg_small.",
            discussion: """
                Builds each architecture from a manifest (LIF) as a run would, and times training \
                steps (forward, cross-entropy, backward, SGD) on random input of its shape: \
                images [N, 3, 32, 32], seq_cifar_conv1d sequences [N, 32, 96] with T = 32, dvs_vgg \
                frames [T, N, 2, 48, 48]. vgg_small at the same settings is the baseline.
                """)

        @Option(help: "Architectures to time, comma-separated (default: all of \(ArchitectureBenchmark.architectures.joined(separator: ", "))).")
        var arch: String?

        @Option(help: "Channel-width multiplier (model.width).")
        var width: Double = 0.25

        @Option(help: "Batch size N.")
        var batch: Int = 16

        @Option(help: "Neuron time steps T (seq_cifar_conv1d always runs 32).")
        var timeSteps: Int = 4

        @Option(help: "Timed training steps per architecture (after one warm-up step).")
        var steps: Int = 3

        @Flag(help: "Print the report as JSON on standard output instead of a table.")
        var json = false

        @OptionGroup var threading: ThreadOption

        var architectures: [String] {
            arch.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
                ?? ArchitectureBenchmark.architectures
        }

        func validate() throws {
            for name in architectures where !ArchitectureBenchmark.architectures.contains(name) {
                throw ValidationError("--arch: '\(name)' is not one of \(ArchitectureBenchmark.architectures.joined(separator: ", "))")
            }
            if !(width > 0) { throw ValidationError("--width must be positive, got \(width)") }
            if batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
            if timeSteps < 1 { throw ValidationError("--time-steps must be at least 1, got \(timeSteps)") }
            if steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps)") }
        }

        func run() throws {
            threading.configure()
            let report = try ArchitectureBenchmark(architectures: architectures, width: width, batch: batch,
                                                   timeSteps: timeSteps, steps: steps).run()
            print(json ? try report.json() : report.table())
        }
    }
}

extension Bench {
    struct Neurons: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Neuron variants over T = 1…64 (2^20 neurons): forward, forward+backward, GB/s vs triad, peak memory; spiking vgg-small steps and their convolutions alone.",
            discussion: """
                Bytes are counted per tensor a pass must read or write (model in docs/neurons.md); \
                GB/s is compared with the faster of two triads measured in the same run, before the \
                neurons (triad) and after them (triad_end). After the vgg-small steps, \
                vgg_small_convolutions times the step's six convolutions alone at its shapes: the least \
                time any step spends in them. Compare with SpikingJelly: benchmarks/peers/neurons.py \
                (make bench-peers).
                """)

        @Flag(help: "Print the report as JSON on standard output instead of a table.")
        var json = false

        @Flag(help: "2^18 neurons, T in {1, 8, 64}, fewer repetitions, vgg-small with LIF only (about a minute on 2 cores).")
        var quick = false

        @OptionGroup var threading: ThreadOption

        @Option(help: ArgumentHelp("Only these neurons, comma-separated (default: all).", valueName: "lif,psn,..."))
        var variants: String?

        @Option(name: .customLong("time-steps"), help: ArgumentHelp("Only these T, comma-separated (default: 1,2,4,8,16,32,64; --quick 1,8,64).", valueName: "T,..."))
        var timeSteps: String?

        @Flag(name: .customLong("no-vgg"), help: "Skip the vgg-small training steps and convolutions.")
        var noVGG = false

        func validate() throws {
            if let variants, case .failure(let error) = NeuronBenchmark.parseVariants(variants) {
                throw ValidationError(error.message)
            }
            if let timeSteps, parsedSteps(timeSteps) == nil {
                throw ValidationError("--time-steps '\(timeSteps)' must be comma-separated integers in 1...4096")
            }
        }

        private func parsedSteps(_ text: String) -> [Int]? {
            let values = text.split(separator: ",").map { Int($0) }
            guard !values.isEmpty, values.allSatisfy({ $0.map { (1...4096).contains($0) } ?? false }) else { return nil }
            return values.compactMap { $0 }
        }

        func run() throws {
            threading.configure()
            let chosen = try variants.map { try NeuronBenchmark.parseVariants($0).get() }
            let report = NeuronBenchmark(quick: quick, onlyVariants: chosen, onlyTimeSteps: timeSteps.flatMap(parsedSteps),
                                         includeVGG: !noVGG).run()
            print(json ? try report.json() : report.table())
        }
    }
}
