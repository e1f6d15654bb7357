import CDNNL
import Foundation

/// A created oneDNN primitive with its descriptor; executable from any thread because the
/// caller supplies the scratchpad.
final class DNNLPrimitive: @unchecked Sendable {
    let descriptor: dnnl_primitive_desc_t
    let primitive: dnnl_primitive_t
    /// Scratchpad the primitive needs per execution (0 when none).
    let scratchpadBytes: Int
    private let scratchpad: dnnl_memory_desc_t

    /// Creates the primitive for an operation descriptor (`dnnl_*_desc_t`), using `hint`
    /// (the forward primitive) for backward operations.
    convenience init<Operation>(operation: Operation, hint: DNNLPrimitive? = nil, _ what: @autoclosure () -> String) {
        var descriptor: dnnl_primitive_desc_t?
        var operation = operation
        let status = withUnsafePointer(to: &operation) { op in
            dnnl_primitive_desc_create(&descriptor, UnsafeRawPointer(op), DNNL.userScratchpadAttributes,
                                       DNNL.engine, hint?.descriptor)
        }
        DNNL.check(status, "creating \(what())")
        self.init(descriptor: descriptor!, what())
    }

    /// A reorder from layout `source` to layout `destination` (same dimensions).
    convenience init(reorderFrom source: dnnl_memory_desc_t, to destination: dnnl_memory_desc_t) {
        var descriptor: dnnl_primitive_desc_t?
        var source = source, destination = destination
        DNNL.check(dnnl_reorder_primitive_desc_create(&descriptor, &source, DNNL.engine, &destination,
                                                      DNNL.engine, DNNL.userScratchpadAttributes),
                   "creating a reorder")
        self.init(descriptor: descriptor!, "a reorder")
    }

    /// Takes ownership of `descriptor` and creates its primitive.
    init(descriptor: dnnl_primitive_desc_t, _ what: @autoclosure () -> String) {
        var primitive: dnnl_primitive_t?
        DNNL.check(dnnl_primitive_create(&primitive, descriptor), "creating the primitive for \(what())")
        self.descriptor = descriptor
        self.primitive = primitive!
        self.scratchpad = dnnl_primitive_desc_query_md(descriptor, dnnl_query_scratchpad_md, 0).pointee
        self.scratchpadBytes = DNNL.byteCount(scratchpad)
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_desc_destroy(descriptor)
    }

    /// The layout the primitive uses for argument `argument` (e.g. `DNNL_ARG_SRC`).
    func layout(of argument: Int32) -> dnnl_memory_desc_t {
        dnnl_primitive_desc_query_md(descriptor, dnnl_query_exec_arg_md, argument).pointee
    }

    /// The implementation oneDNN picked (e.g. "jit:avx512_core"), for diagnostics.
    var implementation: String {
        var text: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &text) == dnnl_success,
              let text else { return "?" }
        return String(cString: text)
    }

    /// Executes on `stream` with `arguments` (id, layout, data); adds a pooled scratchpad.
    func execute(_ arguments: [(id: Int32, layout: dnnl_memory_desc_t, data: UnsafeMutableRawPointer)],
                 stream: dnnl_stream_t) {
        var all = arguments
        var scratch: UnsafeMutableRawPointer?
        if scratchpadBytes > 0 {
            scratch = ScratchBuffers.shared.take(scratchpadBytes)
            all.append((DNNL_ARG_SCRATCHPAD, scratchpad, scratch!))
        }
        var memories: [dnnl_exec_arg_t] = []
        memories.reserveCapacity(all.count)
        for argument in all {
            var memory: dnnl_memory_t?
            var layout = argument.layout
            DNNL.check(dnnl_memory_create(&memory, &layout, DNNL.engine, argument.data), "wrapping argument \(argument.id)")
            memories.append(dnnl_exec_arg_t(arg: argument.id, memory: memory))
        }
        DNNL.check(dnnl_primitive_execute(primitive, stream, Int32(memories.count), memories),
                   "executing \(implementation)")
        // The CPU engine runs synchronously under OpenMP, but wait before releasing buffers
        // so that stays true whatever the runtime.
        DNNL.check(dnnl_stream_wait(stream), "waiting for a stream")
        for m in memories { dnnl_memory_destroy(m.memory) }
        if let scratch { ScratchBuffers.shared.give(scratch, bytes: scratchpadBytes) }
    }
}

/// A primitive together with the reorders between the caller's plain layouts (NCHW, OIHW)
/// and the layouts the primitive chose for itself.
final class DNNLPlan: @unchecked Sendable {
    struct Slot {
        let id: Int32
        let user: dnnl_memory_desc_t
        let inner: dnnl_memory_desc_t
        /// user → inner for inputs, inner → user for outputs; nil when the layouts agree.
        let reorder: DNNLPrimitive?
        let isOutput: Bool
        var innerBytes: Int { DNNL.byteCount(inner) }
    }

    let primitive: DNNLPrimitive
    let slots: [Slot]

    /// `arguments` lists each operand the caller passes in its own layout.
    init(_ primitive: DNNLPrimitive, arguments: [(id: Int32, user: dnnl_memory_desc_t, isOutput: Bool)]) {
        self.primitive = primitive
        slots = arguments.map { argument in
            let inner = primitive.layout(of: argument.id)
            var reorder: DNNLPrimitive?
            if !DNNL.equal(inner, argument.user) {
                reorder = argument.isOutput
                    ? DNNLPrimitive(reorderFrom: inner, to: argument.user)
                    : DNNLPrimitive(reorderFrom: argument.user, to: inner)
            }
            return Slot(id: argument.id, user: argument.user, inner: inner, reorder: reorder,
                        isOutput: argument.isOutput)
        }
    }

    /// Runs the primitive on caller buffers `data` (one per slot, in slot order) plus
    /// `extra` arguments passed as they are (workspace, statistics).
    func run(_ data: [UnsafeMutableRawPointer],
             extra: [(id: Int32, layout: dnnl_memory_desc_t, data: UnsafeMutableRawPointer)] = []) {
        precondition(data.count == slots.count, "plan expects \(slots.count) buffers, got \(data.count)")
        DNNL.withStream { stream in
            var arguments = extra
            var temporaries: [(UnsafeMutableRawPointer, Int)] = []
            for (slot, pointer) in zip(slots, data) {
                guard let reorder = slot.reorder else {
                    arguments.append((slot.id, slot.user, pointer))
                    continue
                }
                let bytes = slot.innerBytes
                let inner = ScratchBuffers.shared.take(bytes)
                temporaries.append((inner, bytes))
                if !slot.isOutput {
                    reorder.execute([(DNNL_ARG_FROM, slot.user, pointer), (DNNL_ARG_TO, slot.inner, inner)],
                                    stream: stream)
                }
                arguments.append((slot.id, slot.inner, inner))
            }
            primitive.execute(arguments, stream: stream)
            var t = 0
            for (slot, pointer) in zip(slots, data) where slot.reorder != nil {
                defer { t += 1 }
                guard slot.isOutput else { continue }
                slot.reorder!.execute([(DNNL_ARG_FROM, slot.inner, temporaries[t].0), (DNNL_ARG_TO, slot.user, pointer)],
                                      stream: stream)
            }
            for (pointer, bytes) in temporaries { ScratchBuffers.shared.give(pointer, bytes: bytes) }
        }
    }
}

/// A thread-safe map from a shape-and-parameter key to what was built for it (primitives,
/// plans), so each distinct layer configuration pays for primitive creation once.
final class PrimitiveCache<Key: Hashable, Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [Key: Value] = [:]
    /// Distinct configurations kept before the cache starts over (bounds memory when shapes
    /// vary without end, e.g. variable-length sequences).
    let capacity: Int

    init(capacity: Int = 512) { self.capacity = capacity }

    /// The value for `key`, built by `make` on first use. `make` runs under the lock, so
    /// concurrent first calls build once; it must not use this same cache.
    func value(for key: Key, _ make: () -> Value) -> Value {
        lock.lock()
        defer { lock.unlock() }
        if let value = entries[key] { return value }
        if entries.count >= capacity { entries.removeAll() }
        let value = make()
        entries[key] = value
        return value
    }
}
