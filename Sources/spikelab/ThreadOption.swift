import ArgumentParser
import SpikeTensor

/// `--threads`, for the commands that compute with the configured thread count.
struct ThreadOption: ParsableArguments {
    @Option(help: "Threads for OpenBLAS, oneDNN and SpikeLab's loops (default: SPIKELAB_THREADS or all cores).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Applies `--threads` when given; otherwise the configured count stays.
    func configure() {
        if let threads { Threads.configure(threads) }
    }
}
