import SpikeTensor

/// Marks a stored tensor of a `Module` as a buffer: saved in the state dict and loaded with
/// it, but not a parameter (running statistics, step counters). Write `@Buffer var runningMean: Tensor`.
@propertyWrapper
public struct Buffer<Value> {
    /// The tensor (or optional tensor) held.
    public var wrappedValue: Value

    /// A buffer holding `wrappedValue`.
    public init(wrappedValue: Value) {
        self.wrappedValue = wrappedValue
    }
}

/// What module reflection reads from a `Buffer` of any value type.
protocol BufferProperty {
    /// The held tensor, or nil when the buffer is an empty optional.
    var bufferTensor: Tensor? { get }
}

extension Buffer: BufferProperty {
    var bufferTensor: Tensor? {
        switch wrappedValue {
        case let tensor as Tensor: return tensor
        case let tensor as Tensor?: return tensor
        default: return nil
        }
    }
}
