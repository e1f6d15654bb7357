import SpikeTensor

/// Why an `OptimizerState` cannot be loaded into an optimizer.
public enum OptimizerStateError: Error, Equatable, CustomStringConvertible {
    /// The state was written by another kind of optimizer.
    case kindMismatch(expected: String, found: String)
    /// A fixed hyper-parameter (anything but `lr`) differs from this optimizer's.
    case hyperParameterMismatch(name: String, expected: Double, found: Double)
    /// The state holds buffers for a parameter this optimizer does not update.
    case unknownParameter(name: String, parameterCount: Int)
    /// A buffer has a slot name this optimizer does not use.
    case unknownSlot(parameter: String, slot: String, allowed: [String])
    /// A buffer that must accompany another one is absent.
    case missingSlot(parameter: String, slot: String)
    /// A buffer's shape differs from its parameter's.
    case shapeMismatch(parameter: String, slot: String, expected: [Int], found: [Int])
    /// A buffer is not float32.
    case wrongType(parameter: String, slot: String, found: DType)
    /// The step count is negative.
    case negativeStepCount(Int)

    public var description: String {
        switch self {
        case let .kindMismatch(expected, found):
            "optimizer state was written by '\(found)', this optimizer is '\(expected)'"
        case let .hyperParameterMismatch(name, expected, found):
            "optimizer state has \(name) = \(found), this optimizer has \(name) = \(expected)"
        case let .unknownParameter(name, count):
            "optimizer state has buffers for parameter '\(name)', which is not among this optimizer's \(count) parameters"
        case let .unknownSlot(parameter, slot, allowed):
            "optimizer state for parameter '\(parameter)' has slot '\(slot)'; allowed: \(allowed.joined(separator: ", "))"
        case let .missingSlot(parameter, slot):
            "optimizer state for parameter '\(parameter)' lacks slot '\(slot)'"
        case let .shapeMismatch(parameter, slot, expected, found):
            "optimizer state for parameter '\(parameter)', slot '\(slot)': expected shape \(expected), found \(found)"
        case let .wrongType(parameter, slot, found):
            "optimizer state for parameter '\(parameter)', slot '\(slot)': expected float32, found \(found)"
        case let .negativeStepCount(count):
            "optimizer state has a negative step count (\(count))"
        }
    }
}
