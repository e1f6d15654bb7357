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
/// memory is freed when the last tensor viewing it goes away.
public final class TensorStorage: @unchecked Sendable {
    /// Size of the block in bytes.
    public let byteCount: Int
    /// Start of the block; valid for `byteCount` bytes while `self` is alive.
    public let base: UnsafeMutableRawPointer

    /// Allocates `byteCount` bytes, zero-filled when `zeroed` is true.
    public init(byteCount: Int, zeroed: Bool = true) {
        precondition(byteCount >= 0, "negative storage size \(byteCount)")
        // At least one cache line so `base` is never null, even for empty tensors.
        guard let pointer = allocateTensorMemory(max(byteCount, 64)) else {
            fatalError("SpikeTensor: out of memory allocating \(byteCount) bytes")
        }
        if zeroed { memset(pointer, 0, max(byteCount, 64)) }
        self.byteCount = byteCount
        self.base = pointer
    }

    deinit { free(base) }
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
