import CHDF5
import Foundation

/// Process-wide state of the HDF5 C library: the lock that serialises every call into it,
/// one-time set-up, and reading its error stack.
enum HDF5Library {
    /// HDF5 1.10 is not thread-safe in its default build, so every call into the library,
    /// from any `HDF5File`, happens under this lock (Debian's build has its own global lock,
    /// but the wrapper must not depend on that). It also guards each file's handle. It is
    /// recursive because public methods call one another (and `deinit` may run while a
    /// method holds it).
    static let lock = NSRecursiveLock()

    /// Takes the lock and turns off HDF5's automatic printing of error stacks to stderr:
    /// failures become `HDF5Error`s carrying the stack's message instead. Debian builds
    /// HDF5 thread-safe, where that setting (like the error stack) belongs to each thread,
    /// so it is set on every entry (a cheap call) rather than once. Pair with `unlock()`.
    static func lockAndInitialise() {
        lock.lock()
        _ = H5Eset_auto2(spk_h5e_default(), nil, nil)
    }

    /// Releases the lock taken by `lockAndInitialise()`.
    static func unlock() { lock.unlock() }

    /// The message on HDF5's error stack right after a failed call, or nil when it is empty.
    ///
    /// Must be called before any other HDF5 call, since each API call clears the stack.
    /// Keeps the outermost description (what the API call was doing) and the innermost
    /// (the root cause), which together say what happened without the internal chain.
    static func errorStackMessage() -> String? {
        final class Collector { var lines: [String] = [] }
        let collector = Collector()
        let context = Unmanaged.passUnretained(collector).toOpaque()
        _ = H5Ewalk2(spk_h5e_default(), H5E_WALK_DOWNWARD, { _, entry, context in
            guard let entry, let context else { return 0 }
            let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
            var line = entry.pointee.desc.map { String(cString: $0) } ?? ""
            if line.isEmpty {
                // No description: fall back to the minor error class's text.
                var buffer = [CChar](repeating: 0, count: 256)
                if H5Eget_msg(entry.pointee.min_num, nil, &buffer, buffer.count) > 0 {
                    line = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                }
            }
            if let function = entry.pointee.func_name, !line.isEmpty {
                line = "\(String(cString: function))(): \(line)"
            }
            if !line.isEmpty { collector.lines.append(line) }
            return 0
        }, context)
        withExtendedLifetime(collector) {}
        guard let first = collector.lines.first else { return nil }
        guard let last = collector.lines.last, collector.lines.count > 1, last != first else { return first }
        return "\(first) … \(last)"
    }
}
