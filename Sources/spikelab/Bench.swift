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
        subcommands: [Engine.self, DataLoaders.self])

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

    struct DataLoaders: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "data",
            abstract: "Data loaders: samples/s of decoding, frame integration, the HDF5 frame cache and batching (event loaders).")

        @Flag(help: "Print the report as JSON on standard output instead of a table.")
        var json = false

        @Flag(help: "Fewer files, events and repetitions.")
        var quick = false

        @Option(help: "Threads (default: SPIKELAB_THREADS or all cores).")
        var threads: Int?

        func validate() throws {
            if let threads, threads < 1 {
                throw ValidationError("--threads must be at least 1, got \(threads)")
            }
        }

        func run() throws {
            if let threads { Threads.configure(threads) }
            do {
                let report = try EventDataBenchmark(quick: quick).run()
                print(json ? try report.json() : report.table())
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(ExitStatus.failed)
            }
        }
    }
}
