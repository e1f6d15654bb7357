import CBLAS
import CDNNL
import Dispatch
import Foundation

/// The one thread count shared by OpenBLAS, oneDNN (OpenMP) and SpikeTensor's own loops.
///
/// Read once from `SPIKELAB_THREADS` (default: the number of active cores); change it with
/// `Threads.configure(_:)`. Same seed and same thread count give the same bytes.
public enum Threads {
    nonisolated(unsafe) private static var current: Int = {
        let n = defaultCount()
        applyToLibraries(n)
        return n
    }()

    /// Threads used by every parallel kernel.
    public static var count: Int { current }

    /// Sets the thread count for OpenBLAS, oneDNN and SpikeTensor's loops.
    ///
    /// Call it from the thread that runs the kernels (OpenMP keeps the setting per thread).
    public static func configure(_ n: Int) {
        precondition(n >= 1, "thread count must be at least 1, got \(n)")
        current = n
        applyToLibraries(n)
    }

    /// The count `SPIKELAB_THREADS` asks for, or the number of active cores.
    public static func defaultCount() -> Int {
        if let text = ProcessInfo.processInfo.environment["SPIKELAB_THREADS"],
           let n = Int(text.trimmingCharacters(in: .whitespaces)), n >= 1 {
            return n
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    private static func applyToLibraries(_ n: Int) {
        openblas_set_num_threads(Int32(n))
        omp_set_num_threads(Int32(n))
    }

    /// Makes sure the libraries got the configured count on the calling thread.
    ///
    /// OpenMP's thread count is per calling thread, so kernels that call oneDNN invoke this.
    @inline(__always)
    public static func ensureApplied() {
        let n = count
        if omp_get_max_threads() != Int32(n) { omp_set_num_threads(Int32(n)) }
    }
}

/// Runs `body` over `0..<count` split into contiguous chunks, in parallel.
///
/// `body` must only write to places no other chunk touches.
///
/// Chunk boundaries depend only on `count`, `minChunk` and `Threads.count`, never on timing,
/// so per-chunk partial results combined in chunk order are deterministic.
@inline(__always)
public func parallelChunks(_ count: Int, minChunk: Int = 16384, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let threads = Threads.count
    let chunks = chunkCount(count, minChunk: minChunk, threads: threads)
    if chunks <= 1 {
        body(0..<count)
        return
    }
    // Kernels hand each chunk a disjoint range of their buffers, so sharing `body` across
    // the worker threads is safe even though the closure (capturing pointers) is not Sendable.
    withoutActuallyEscaping(body) { escapable in
        let shared = unsafeBitCast(escapable, to: (@Sendable (Range<Int>) -> Void).self)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            shared(chunkRange(c, of: chunks, count: count))
        }
    }
}

/// Number of chunks `parallelChunks` splits `count` items into.
@inline(__always)
public func chunkCount(_ count: Int, minChunk: Int = 16384, threads: Int = Threads.count) -> Int {
    max(1, min(threads, count / max(1, minChunk)))
}

/// The `index`-th of `chunks` near-equal contiguous ranges covering `0..<count`.
@inline(__always)
public func chunkRange(_ index: Int, of chunks: Int, count: Int) -> Range<Int> {
    let base = count / chunks, extra = count % chunks
    let start = index * base + min(index, extra)
    return start..<(start + base + (index < extra ? 1 : 0))
}
