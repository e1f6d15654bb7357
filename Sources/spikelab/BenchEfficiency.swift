import ArgumentParser
import Foundation
import SpikeLab

extension Bench {
    /// `spikelab bench efficiency`: the papers' efficiency claims on their own networks.
    struct Efficiency: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The papers' efficiency claims on their own networks: PSU vs LIF step time, SpikePack time and memory over T, general-SNN energy.",
            discussion: """
                Every network is built from the paper manifests (cpu profile; --width overrides \
                model.width) exactly as a run builds it. psu: the PSU paper's cifar_convnet with LIF, \
                PSU, IPSU and RPSU — training-step time (zero-grad, forward, loss, backward, optimizer) \
                per T and each variant's time over LIF's at the same T. spikepack: the SpikePack \
                paper's ResNet-18 with LIF and SpikePack — step time and the peak tensor memory a step \
                allocates per T, each over its own value at the first T (SpikePack: T ≤ 24). energy: \
                the general SNN's single-step CNN, its ReLU twin and the T = 4 LIF ResNet-18 — MACs, \
                accumulates and energy per image on real test images (docs/energy.md), from --runs \
                checkpoints where given, else untrained (initialisation's firing rates). \
                Results and how they were measured: results/bench/efficiency.md.
                Exit codes: 0 done, 2 bad arguments, manifest or checkpoint path, 3 missing or bad data or checkpoint file.
                """)

        @Option(parsing: .upToNextOption, help: ArgumentHelp("Parts to run, space- or comma-separated (default: all).", valueName: "psu|spikepack|energy"))
        var part: [String] = []

        @Option(name: .customLong("time-steps"), help: ArgumentHelp("T values of the psu and spikepack parts, comma-separated.", valueName: "T,..."))
        var timeSteps: String = EfficiencyBenchmark.defaultTimeSteps.map(String.init).joined(separator: ",")

        @Option(help: "model.width of every network built (default: each manifest's cpu profile, 0.25).")
        var width: Double?

        @Option(help: "Images per training step.")
        var batch: Int = 16

        @Option(help: "Timed training steps per network and T (after one warm-up step).")
        var steps: Int = 3

        @Option(parsing: .upToNextOption, help: ArgumentHelp("Energy part: trained run directories or checkpoint files of the three rows (matched by the manifest name inside).", valueName: "RUN_DIR|CHECKPOINT"))
        var runs: [String] = []

        @Option(help: "Energy part: folder of the CIFAR-10-layout test images (default: the manifests' cpu-profile data.root, datasets/demo/cifar10).")
        var data: String?

        @Option(help: "Energy part: test images to measure (default: the whole test split).")
        var images: Int?

        @Option(help: "Folder holding the psu/, spikepack/ and general-snn/ manifests.")
        var experiments: String = "experiments"

        @Flag(help: "Print the report as JSON on standard output instead of a table.")
        var json = false

        @OptionGroup var threading: ThreadOption

        var parts: [EfficiencyBenchmark.Part] {
            part.isEmpty ? EfficiencyBenchmark.Part.allCases : ((try? EfficiencyBenchmark.parseParts(part).get()) ?? [])
        }

        func validate() throws {
            if !part.isEmpty, case .failure(let error) = EfficiencyBenchmark.parseParts(part) { throw ValidationError(error.message) }
            if case .failure(let error) = EfficiencyBenchmark.parseTimeSteps(timeSteps) { throw ValidationError(error.message) }
            if let width, !(width > 0 && width <= 4) { throw ValidationError("--width must be in (0, 4], got \(width)") }
            if batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
            if steps < 1 { throw ValidationError("--steps must be at least 1, got \(steps)") }
            if let images, images < 1 { throw ValidationError("--images must be at least 1, got \(images)") }
            let energyOnly = !runs.isEmpty || data != nil || images != nil
            if energyOnly && !parts.contains(.energy) {
                throw ValidationError("--runs, --data and --images belong to the energy part; add --part energy or drop them")
            }
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: experiments, isDirectory: &isDirectory) || !isDirectory.boolValue {
                throw ValidationError("--experiments \(experiments): no such folder; run from the repository root or give the folder holding psu/, spikepack/ and general-snn/")
            }
        }

        func run() throws {
            threading.configure()
            let benchmark = EfficiencyBenchmark(
                parts: parts, timeSteps: (try? EfficiencyBenchmark.parseTimeSteps(timeSteps).get()) ?? EfficiencyBenchmark.defaultTimeSteps,
                width: width, batch: batch, steps: steps, experimentsRoot: experiments,
                energy: EfficiencyEnergy(checkpoints: runs, dataRoot: data, images: images))
            do {
                let report = try benchmark.run()
                print(json ? try report.json() : report.table())
            } catch let error as BenchmarkArgumentError {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(ExitStatus.badInput)
            } catch {
                throw report(error)
            }
        }
    }
}
