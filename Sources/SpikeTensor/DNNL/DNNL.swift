import CDNNL
import Foundation

/// Checked access to oneDNN's C API: the process's CPU engine, memory descriptors and
/// per-call streams.
///
/// oneDNN failures here mean a shape or parameter combination the library refuses, which
/// the ops' preconditions should have caught, so they stop the program with the status.
enum DNNL {
    /// The CPU engine; oneDNN engines may be shared by any number of threads.
    nonisolated(unsafe) static let engine: dnnl_engine_t = {
        var engine: dnnl_engine_t?
        check(dnnl_engine_create(&engine, dnnl_cpu, 0), "creating the CPU engine")
        return engine!
    }()

    /// Attributes every primitive is created with: the caller provides the scratchpad, so
    /// one primitive can run on several threads at once (each call brings its own).
    nonisolated(unsafe) static let userScratchpadAttributes: dnnl_primitive_attr_t = {
        var attributes: dnnl_primitive_attr_t?
        check(dnnl_primitive_attr_create(&attributes), "creating primitive attributes")
        check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user),
              "setting the user scratchpad mode")
        return attributes!
    }()

    /// Stops with a readable message unless `status` is success.
    @inline(__always)
    static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) {
        if status != dnnl_success {
            fatalError("oneDNN failed \(what()): \(describe(status))")
        }
    }

    static func describe(_ status: dnnl_status_t) -> String {
        switch status {
        case dnnl_out_of_memory: "out of memory"
        case dnnl_invalid_arguments: "invalid arguments"
        case dnnl_unimplemented: "no implementation for these shapes and parameters"
        case dnnl_runtime_error: "runtime error"
        default: "status \(status.rawValue)"
        }
    }

    /// A float32 memory descriptor of `dims` in layout `tag` (`dnnl_format_tag_any` lets a
    /// primitive choose).
    static func memoryDescriptor(_ dims: [Int], _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
        var descriptor = dnnl_memory_desc_t()
        let extents = dims.map { Int64($0) }
        check(dnnl_memory_desc_init_by_tag(&descriptor, Int32(dims.count), extents, dnnl_f32, tag),
              "describing memory of shape \(dims)")
        return descriptor
    }

    /// Bytes a buffer described by `descriptor` occupies (blocked layouts include padding).
    static func byteCount(_ descriptor: dnnl_memory_desc_t) -> Int {
        withUnsafePointer(to: descriptor) { Int(dnnl_memory_desc_get_size($0)) }
    }

    /// Whether two descriptors name the same layout.
    static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        withUnsafePointer(to: a) { pa in withUnsafePointer(to: b) { pb in dnnl_memory_desc_equal(pa, pb) != 0 } }
    }

    /// Runs `body` with a fresh stream on the calling thread, then waits for it.
    ///
    /// A stream per call keeps concurrent callers apart (streams are not thread-safe);
    /// creating one on the CPU engine costs microseconds. OpenMP keeps its thread count per
    /// calling thread, so the configured count is applied first.
    static func withStream<R>(_ body: (dnnl_stream_t) -> R) -> R {
        Threads.ensureApplied()
        var stream: dnnl_stream_t?
        check(dnnl_stream_create(&stream, engine, UInt32(dnnl_stream_default_flags.rawValue)), "creating a stream")
        defer {
            check(dnnl_stream_wait(stream), "waiting for a stream")
            dnnl_stream_destroy(stream)
        }
        return body(stream!)
    }
}
