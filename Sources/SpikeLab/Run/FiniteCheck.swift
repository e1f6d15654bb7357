import SpikeNN
import SpikeTensor

/// The first NaN or infinity found in a set of named tensors: which tensor, where, what value.
public struct NonFiniteValue: Equatable, Sendable, CustomStringConvertible {
    /// The tensor's name (`conv1.weight`, `bn1.running_var`, `momentum_buffer of fc.weight`).
    public var name: String
    /// Flat index of the first bad element.
    public var index: Int
    /// The bad value itself (nan, inf or -inf).
    public var value: Float

    public var description: String { "\(name) (element \(index) is \(value))" }

    /// The first non-finite element of the float32 tensors in `tensors`, in order, or nil when
    /// every value is finite. Integer tensors cannot hold one and are skipped.
    ///
    /// Cost: one branch-free pass per tensor (`x * 0` is 0 for every finite `x` and NaN for
    /// NaN and ±inf, so a SIMD sum of `x * 0` flags a tensor); only a flagged tensor is
    /// scanned again for the index. About a millisecond for ten million values.
    public static func first(in tensors: [NamedTensor]) -> NonFiniteValue? {
        for (name, tensor) in tensors where tensor.dtype == .float32 {
            let values = UnsafeBufferPointer(tensor.floats)
            guard !allFinite(values) else { continue }
            let index = values.firstIndex { !$0.isFinite } ?? 0
            return NonFiniteValue(name: name, index: index, value: values[index])
        }
        return nil
    }

    /// Whether every element is finite.
    static func allFinite(_ values: UnsafeBufferPointer<Float>) -> Bool {
        guard let base = values.baseAddress else { return true }
        let count = values.count
        var lanes = SIMD16<Float>(repeating: 0)
        var i = 0
        let raw = UnsafeRawPointer(base)
        while i + 16 <= count {
            lanes += raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) * 0
            i += 16
        }
        var tail: Float = 0
        while i < count {
            tail += base[i] * 0
            i += 1
        }
        return lanes.sum() == 0 && tail == 0
    }
}
