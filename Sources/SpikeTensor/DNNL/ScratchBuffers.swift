import Foundation

/// A small thread-safe pool of aligned buffers for oneDNN's temporaries (reordered
/// operands, scratchpads).
///
/// Training repeats the same shapes every step, so buffers of exactly the requested size
/// come back often. Reusing them avoids fresh pages (tens of megabytes of page faults per
/// call for a CIFAR-sized batch). The pool keeps at most `retainedLimit` bytes.
final class ScratchBuffers: @unchecked Sendable {
    static let shared = ScratchBuffers(retainedLimit: 512 << 20)

    private let lock = NSLock()
    private var free: [(bytes: Int, pointer: UnsafeMutableRawPointer)] = []
    private var retained = 0
    let retainedLimit: Int

    init(retainedLimit: Int) { self.retainedLimit = retainedLimit }

    /// A buffer of at least `bytes` bytes, 64-byte aligned, contents undefined.
    func take(_ bytes: Int) -> UnsafeMutableRawPointer {
        lock.lock()
        if let i = free.lastIndex(where: { $0.bytes == bytes }) {
            let entry = free.remove(at: i)
            retained -= entry.bytes
            lock.unlock()
            return entry.pointer
        }
        lock.unlock()
        guard let pointer = allocateTensorMemory(max(bytes, 64)) else {
            fatalError("SpikeTensor: out of memory allocating a \(bytes)-byte oneDNN buffer")
        }
        return pointer
    }

    /// Returns a buffer from `take` to the pool (or frees it when the pool is full).
    func give(_ pointer: UnsafeMutableRawPointer, bytes: Int) {
        lock.lock()
        if retained + bytes <= retainedLimit {
            free.append((bytes, pointer))
            retained += bytes
            lock.unlock()
            return
        }
        // Full: drop the oldest buffers of other sizes first, so the current working set wins.
        while retained + bytes > retainedLimit, !free.isEmpty {
            let old = free.removeFirst()
            retained -= old.bytes
            Foundation.free(old.pointer)
        }
        if retained + bytes <= retainedLimit {
            free.append((bytes, pointer))
            retained += bytes
            lock.unlock()
        } else {
            lock.unlock()
            Foundation.free(pointer)
        }
    }
}
