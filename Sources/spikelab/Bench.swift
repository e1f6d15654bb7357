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
        subcommands: [Engine.self, Neurons.self])

    struct Engine: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Tensor engine: memory bandwidth (triad), SGEMM, conv2d passes, vgg-small training step.")

        @Flag(help: "Print the report as JSON on standard output instead of a table.")
        var json = false

        @Flag(help: "Fewer repetitions and a smaller triad (about a minute on 2 cores).")
        var quick = false

        @Option(help: "Threads for OpenBLAS, oneDNN and SpikeLab's loops (default: SPIKELAB_THREADS or all cores).")
        var threads: Int?

        func validate() throws {
            if let threads, threads < 1 {
                throw ValidationError("--threads must be at least 1, got \(threads)")
            }
        }

        func run() throws {
            if let threads { Threads.configure(threads) }
            let report = EngineBenchmark(quick: quick).run()
            print(json ? try report.json() : report.table())
        }
    }

    struct Neurons: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Neuron variants over T = 1…64 (2^20 neurons): forward, forward+backward, GB/s vs triad, peak memory; spiking vgg-small steps.",
            discussion: """
                Bytes are counted per tensor a pass must read or write (model in docs/neurons.md);                 GB/s is compared with the triad measured in the same run. Compare with SpikingJelly:                 benchmarks/peers/neurons.py (make bench-peers).
                """)

        @Flag(help: "Print the report as JSON on standard output instead of a table.")
        var json = false

        @Flag(help: "2^18 neurons, T in {1, 8, 64}, fewer repetitions, vgg-small with LIF only (about a minute on 2 cores).")
        var quick = false

        @Option(help: "Threads for OpenBLAS, oneDNN and SpikeLab's loops (default: SPIKELAB_THREADS or all cores).")
        var threads: Int?

        @Option(help: ArgumentHelp("Only these neurons, comma-separated (default: all).", valueName: "lif,psn,..."))
        var variants: String?

        @Option(name: .customLong("time-steps"), help: ArgumentHelp("Only these T, comma-separated (default: 1,2,4,8,16,32,64; --quick 1,8,64).", valueName: "T,..."))
        var timeSteps: String?

        @Flag(name: .customLong("no-vgg"), help: "Skip the vgg-small training steps.")
        var noVGG = false

        func validate() throws {
            if let threads, threads < 1 {
                throw ValidationError("--threads must be at least 1, got \(threads)")
            }
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
            if let threads { Threads.configure(threads) }
            let chosen = try variants.map { try NeuronBenchmark.parseVariants($0).get() }
            let report = NeuronBenchmark(quick: quick, onlyVariants: chosen, onlyTimeSteps: timeSteps.flatMap(parsedSteps),
                                         includeVGG: !noVGG).run()
            print(json ? try report.json() : report.table())
        }
    }
}
