import Foundation

/// A contiguous, row-major n-dimensional array of `Float32`, `Int32` or `UInt8`, with
/// reverse-mode autograd for `Float32`.
///
/// A tensor is a view of `count` elements of a `TensorStorage` starting at `offset`.
/// Views that need no copy (reshape, leading-axis slices) share storage.
/// Spiking activations are time-major: `[T, N, C, H, W]`.
public final class Tensor: CustomStringConvertible {
    /// Extent of each axis.
    public let shape: [Int]
    /// Element type.
    public let dtype: DType
    /// The memory this tensor views. (Settable inside SpikeTensor only so autograd can test
    /// it for unique ownership with `isKnownUniquelyReferenced`; nothing reassigns it.)
    public internal(set) var storage: TensorStorage
    /// Offset of the first element in `storage`, in elements.
    public let offset: Int
    /// Number of elements (product of `shape`).
    public let count: Int

    /// Whether gradients flow to this tensor. Leaves with `requiresGrad` collect `grad`.
    public var requiresGrad: Bool
    /// Accumulated gradient of a leaf tensor after `backward()`.
    public var grad: Tensor?
    /// The recorded operation that produced this tensor (nil for leaves).
    public internal(set) var gradFn: GradNode?
    /// Which output of `gradFn` this tensor is.
    public internal(set) var outputIndex: Int = 0

    // MARK: - Creation

    /// A tensor over existing storage (no copy).
    public init(shape: [Int], dtype: DType = .float32, storage: TensorStorage, offset: Int = 0,
                requiresGrad: Bool = false) {
        let n = Tensor.elementCount(shape)
        precondition((offset + n) * dtype.byteSize <= storage.byteCount,
                     "view of \(n) elements at offset \(offset) exceeds storage of \(storage.byteCount) bytes")
        self.shape = shape
        self.dtype = dtype
        self.storage = storage
        self.offset = offset
        self.count = n
        self.requiresGrad = requiresGrad
    }

    /// A new tensor of the given shape; zero-filled unless `uninitialized` is set.
    public convenience init(shape: [Int], dtype: DType = .float32, uninitialized: Bool = false,
                            requiresGrad: Bool = false) {
        let n = Tensor.elementCount(shape)
        self.init(shape: shape, dtype: dtype,
                  storage: TensorStorage(byteCount: n * dtype.byteSize, zeroed: !uninitialized),
                  requiresGrad: requiresGrad)
    }

    /// A float tensor holding `values` in row-major order.
    public convenience init(_ values: [Float], shape: [Int]? = nil, requiresGrad: Bool = false) {
        let shape = shape ?? [values.count]
        precondition(Tensor.elementCount(shape) == values.count,
                     "\(values.count) values do not fill shape \(shape)")
        self.init(shape: shape, uninitialized: true, requiresGrad: requiresGrad)
        values.withUnsafeBufferPointer { src in
            floats.baseAddress!.update(from: src.baseAddress!, count: values.count)
        }
    }

    /// An `Int32` tensor holding `values` (labels, indices).
    public convenience init(int32 values: [Int32], shape: [Int]? = nil) {
        let shape = shape ?? [values.count]
        precondition(Tensor.elementCount(shape) == values.count,
                     "\(values.count) values do not fill shape \(shape)")
        self.init(shape: shape, dtype: .int32, uninitialized: true)
        values.withUnsafeBufferPointer { src in
            int32s.baseAddress!.update(from: src.baseAddress!, count: values.count)
        }
    }

    /// A `UInt8` tensor holding `values` (spikes, masks).
    public convenience init(uint8 values: [UInt8], shape: [Int]? = nil) {
        let shape = shape ?? [values.count]
        precondition(Tensor.elementCount(shape) == values.count,
                     "\(values.count) values do not fill shape \(shape)")
        self.init(shape: shape, dtype: .uint8, uninitialized: true)
        values.withUnsafeBufferPointer { src in
            uint8s.baseAddress!.update(from: src.baseAddress!, count: values.count)
        }
    }

    /// A zero-filled tensor.
    public static func zeros(_ shape: [Int], dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
        Tensor(shape: shape, dtype: dtype, requiresGrad: requiresGrad)
    }

    /// A tensor of ones.
    public static func ones(_ shape: [Int], dtype: DType = .float32, requiresGrad: Bool = false) -> Tensor {
        full(shape, 1, dtype: dtype, requiresGrad: requiresGrad)
    }

    /// A tensor with every element equal to `value` (converted to `dtype`).
    public static func full(_ shape: [Int], _ value: Float, dtype: DType = .float32,
                            requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(shape: shape, dtype: dtype, uninitialized: true, requiresGrad: requiresGrad)
        switch dtype {
        case .float32: t.floats.update(repeating: value)
        case .int32: t.int32s.update(repeating: Int32(value))
        case .uint8: t.uint8s.update(repeating: UInt8(value))
        }
        return t
    }

    /// A 0-d float tensor.
    public static func scalar(_ value: Float, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor([value], shape: [])
        t.requiresGrad = requiresGrad
        return t
    }

    /// `start, start + step, …` below `end`.
    public static func arange(_ start: Float = 0, _ end: Float, step: Float = 1,
                              dtype: DType = .float32) -> Tensor {
        precondition(step != 0, "arange step must not be zero")
        let n = Swift.max(0, Int(((end - start) / step).rounded(.up)))
        let t = Tensor(shape: [n], dtype: dtype, uninitialized: true)
        for i in 0..<n {
            let v = start + Float(i) * step
            switch dtype {
            case .float32: t.floats[i] = v
            case .int32: t.int32s[i] = Int32(v)
            case .uint8: t.uint8s[i] = UInt8(v)
            }
        }
        return t
    }

    /// A tensor of the same shape and dtype, zero-filled.
    public func zerosLike() -> Tensor { Tensor(shape: shape, dtype: dtype) }

    // MARK: - Element access

    /// Number of axes.
    public var rank: Int { shape.count }

    /// Row-major strides in elements.
    public var strides: [Int] { Tensor.contiguousStrides(shape) }

    /// Pointer to the first element (any dtype).
    public var rawPointer: UnsafeMutableRawPointer { storage.base + offset * dtype.byteSize }

    // The buffer accessors below hand out pointers into `storage`. They stay valid only while
    // this tensor (or another view of its storage) is alive: `makeTensor().floats[0]` on a
    // temporary reads freed memory once the temporary is released. Keep a named reference,
    // or use the copying accessors (`array`, `int32Array`, `uint8Array`).

    /// The float elements. Writing through it mutates every view of the storage.
    /// Valid only while the tensor is alive (see above).
    public var floats: UnsafeMutableBufferPointer<Float> {
        precondition(dtype == .float32, "expected a float32 tensor, got \(dtype)")
        return UnsafeMutableBufferPointer(start: rawPointer.assumingMemoryBound(to: Float.self), count: count)
    }

    /// The Int32 elements. Valid only while the tensor is alive.
    public var int32s: UnsafeMutableBufferPointer<Int32> {
        precondition(dtype == .int32, "expected an int32 tensor, got \(dtype)")
        return UnsafeMutableBufferPointer(start: rawPointer.assumingMemoryBound(to: Int32.self), count: count)
    }

    /// The UInt8 elements. Valid only while the tensor is alive.
    public var uint8s: UnsafeMutableBufferPointer<UInt8> {
        precondition(dtype == .uint8, "expected a uint8 tensor, got \(dtype)")
        return UnsafeMutableBufferPointer(start: rawPointer.assumingMemoryBound(to: UInt8.self), count: count)
    }

    /// A copy of the elements as `Float` (converted from any dtype).
    public var array: [Float] {
        switch dtype {
        case .float32: return Array(floats)
        case .int32: return int32s.map { Float($0) }
        case .uint8: return uint8s.map { Float($0) }
        }
    }

    /// A copy of an Int32 tensor's elements.
    public var int32Array: [Int32] { Array(int32s) }

    /// A copy of a UInt8 tensor's elements.
    public var uint8Array: [UInt8] { Array(uint8s) }

    /// The single element of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item needs exactly one element, tensor has shape \(shape)")
        return array[0]
    }

    /// Element at a multi-index (for tests and debugging; not for hot loops).
    public subscript(_ index: Int...) -> Float {
        get { array[flatIndex(index)] }
        set {
            switch dtype {
            case .float32: floats[flatIndex(index)] = newValue
            case .int32: int32s[flatIndex(index)] = Int32(newValue)
            case .uint8: uint8s[flatIndex(index)] = UInt8(newValue)
            }
        }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == rank, "index \(index) has \(index.count) axes, tensor has \(rank)")
        var flat = 0
        for (axis, i) in index.enumerated() {
            precondition(i >= 0 && i < shape[axis], "index \(i) out of range for axis \(axis) of size \(shape[axis])")
            flat = flat * shape[axis] + i
        }
        return flat
    }

    // MARK: - Copies and views

    /// A new tensor with its own copy of the data; not part of the graph.
    public func copy() -> Tensor {
        let t = Tensor(shape: shape, dtype: dtype, uninitialized: true)
        t.rawPointer.copyMemory(from: rawPointer, byteCount: count * dtype.byteSize)
        return t
    }

    /// The same data without graph history (shares storage).
    public func detached() -> Tensor {
        Tensor(shape: shape, dtype: dtype, storage: storage, offset: offset)
    }

    /// Converts to another element type (float → int truncates toward zero). No gradient.
    public func converted(to target: DType) -> Tensor {
        if target == dtype { return copy() }
        let t = Tensor(shape: shape, dtype: target, uninitialized: true)
        let values = array
        switch target {
        case .float32: for i in 0..<count { t.floats[i] = values[i] }
        case .int32: for i in 0..<count { t.int32s[i] = Int32(values[i]) }
        case .uint8: for i in 0..<count { t.uint8s[i] = UInt8(clamping: Int(values[i])) }
        }
        return t
    }

    public var description: String {
        let preview = array.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(\(shape), \(dtype)\(requiresGrad ? ", requiresGrad" : ""): [\(preview)\(count > 8 ? ", …" : "")])"
    }

    // MARK: - Shape helpers

    /// Product of the extents.
    public static func elementCount(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape {
            precondition(d >= 0, "negative extent in shape \(shape)")
            n *= d
        }
        return n
    }

    /// Row-major strides of a contiguous tensor with `shape`.
    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var s = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[i] = s
            s *= shape[i]
        }
        return strides
    }
}
