import Foundation

/// Element type of a tensor.
public enum DType: String, Sendable, CaseIterable {
    case float32, int32, uint8

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float32, .int32: 4
        case .uint8: 1
        }
    }
}

/// A reference-counted, 64-byte-aligned block of memory that one or more tensors view.
///
/// Storage is shared by views (reshape, leading-axis slices) so they cost no copy; the
/// memory goes back to `StoragePool` when the last tensor viewing it goes away.
public final class TensorStorage: @unchecked Sendable {
    /// Size of the block in bytes.
    public let byteCount: Int
    /// Start of the block; valid for `byteCount` bytes while `self` is alive.
    public let base: UnsafeMutableRawPointer
    private let blockSize: Int

    /// Allocates `byteCount` bytes, zero-filled when `zeroed` is true.
    public init(byteCount: Int, zeroed: Bool = true) {
        precondition(byteCount >= 0, "negative storage size \(byteCount)")
        let (pointer, blockSize) = StoragePool.shared.allocate(byteCount)
        if zeroed { memset(pointer, 0, blockSize) }
        self.byteCount = byteCount
        self.base = pointer
        self.blockSize = blockSize
    }

    deinit { StoragePool.shared.release(base, blockSize: blockSize) }
}

/// Where tensor memory comes from: large blocks are kept for reuse instead of being returned
/// to the system, and live/peak byte counts are tracked for memory benchmarks.
///
/// Why: glibc serves blocks above 32 MiB (its largest mmap threshold) with a fresh `mmap` each
/// time, so every new activation of a training step paid first-touch page faults that cost
/// about ten times the kernel writing it. Training allocates the same sizes every step, so a
/// size-keyed cache of freed blocks removes that cost. Blocks of at least `pooledMinimum` bytes
/// are rounded up to a multiple of 1 MiB and cached up to `limit` bytes (default: an eighth
/// of physical memory, or `SPIKELAB_POOL_BYTES`); smaller blocks go straight to malloc.
public final class StoragePool: @unchecked Sendable {
    /// The process-wide pool.
    public static let shared = StoragePool()

    /// Blocks at least this large are pooled.
    public let pooledMinimum = 1 << 20
    /// Most bytes kept in freed blocks.
    public let limit: Int

    private let lock = NSLock()
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private var order: [(size: Int, pointer: UnsafeMutableRawPointer)] = []  // oldest first
    private var cached = 0
    private var live = 0
    private var peak = 0

    init() {
        if let text = ProcessInfo.processInfo.environment["SPIKELAB_POOL_BYTES"], let n = Int(text), n >= 0 {
            limit = n
        } else {
            limit = Int(ProcessInfo.processInfo.physicalMemory / 8)
        }
    }

    /// Bytes held by live tensors now.
    public var liveBytes: Int { lock.withLock { live } }
    /// Largest `liveBytes` since the last `resetPeak()`.
    public var peakLiveBytes: Int { lock.withLock { peak } }
    /// Bytes kept in freed blocks for reuse.
    public var cachedBytes: Int { lock.withLock { cached } }

    /// Starts peak tracking from the current live bytes.
    public func resetPeak() { lock.withLock { peak = live } }

    /// Returns every cached block to the system.
    public func trim() {
        let blocks = lock.withLock { () -> [UnsafeMutableRawPointer] in
            let all = order.map(\.pointer)
            free.removeAll()
            order.removeAll()
            cached = 0
            return all
        }
        for p in blocks { Foundation.free(p) }
    }

    func allocate(_ byteCount: Int) -> (UnsafeMutableRawPointer, Int) {
        // At least one cache line so the pointer is never null, even for empty tensors.
        var size = Swift.max(byteCount, 64)
        if size >= pooledMinimum {
            size = (size + pooledMinimum - 1) / pooledMinimum * pooledMinimum
            let reused: UnsafeMutableRawPointer? = lock.withLock {
                live += size
                peak = Swift.max(peak, live)
                guard var list = free[size], let p = list.popLast() else { return nil }
                free[size] = list.isEmpty ? nil : list
                cached -= size
                if let i = order.firstIndex(where: { $0.pointer == p }) { order.remove(at: i) }
                return p
            }
            if let reused { return (reused, size) }
        } else {
            lock.withLock {
                live += size
                peak = Swift.max(peak, live)
            }
        }
        guard let pointer = allocateTensorMemory(size) else {
            // One retry after giving the cache back.
            trim()
            guard let retry = allocateTensorMemory(size) else {
                fatalError("SpikeTensor: out of memory allocating \(byteCount) bytes")
            }
            return (retry, size)
        }
        return (pointer, size)
    }

    func release(_ pointer: UnsafeMutableRawPointer, blockSize size: Int) {
        guard size >= pooledMinimum, size <= limit else {
            lock.withLock { live -= size }
            Foundation.free(pointer)
            return
        }
        var evicted: [UnsafeMutableRawPointer] = []
        lock.withLock {
            live -= size
            free[size, default: []].append(pointer)
            order.append((size, pointer))
            cached += size
            while cached > limit, !order.isEmpty {
                let oldest = order.removeFirst()
                if var list = free[oldest.size], let i = list.firstIndex(of: oldest.pointer) {
                    list.remove(at: i)
                    free[oldest.size] = list.isEmpty ? nil : list
                }
                cached -= oldest.size
                evicted.append(oldest.pointer)
            }
        }
        for p in evicted { Foundation.free(p) }
    }
}

/// `bytes` of 64-byte-aligned memory (free with `free`); nil when out of memory.
///
/// Blocks of 4 MiB and more are 2 MiB-aligned and asked to use transparent huge pages: on
/// Linux with THP in `madvise` mode, first-touching a fresh 33 MB activation otherwise
/// costs ~8000 page faults (measured ~35 ms against ~2 ms with huge pages).
func allocateTensorMemory(_ bytes: Int) -> UnsafeMutableRawPointer? {
    let huge = bytes >= 4 << 20
    var pointer: UnsafeMutableRawPointer?
    guard posix_memalign(&pointer, huge ? 2 << 20 : 64, bytes) == 0, let pointer else { return nil }
    #if os(Linux)
    if huge { _ = madvise(pointer, bytes, MADV_HUGEPAGE) }
    #endif
    return pointer
}
