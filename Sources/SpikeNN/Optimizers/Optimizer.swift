import Foundation
import SpikeTensor

/// A parameter with its dotted `state_dict` name (`layer1.0.conv1.weight`).
public typealias NamedParameter = (name: String, tensor: Tensor)

/// A rule that updates named parameters in place from their gradients.
///
/// A step skips every parameter whose `grad` is nil, as PyTorch does. Updates bypass autograd:
/// they write the parameters' storage directly, so call `step()` outside any recorded graph.
public protocol Optimizer: AnyObject {
    /// Learning rate the next `step()` uses; a schedule sets it before each step or epoch.
    var learningRate: Float { get set }
    /// Applies one update to every parameter that has a gradient.
    func step()
    /// Drops every parameter's gradient (PyTorch's `zero_grad(set_to_none=True)`).
    func zeroGrad()
    /// A copy of everything the next steps depend on: hyper-parameters, step count, buffers.
    func exportState() -> OptimizerState
    /// Restores a state exported by an optimizer of the same kind over the same parameter names.
    ///
    /// Throws `OptimizerStateError` (and changes nothing) when the kind, a fixed hyper-parameter,
    /// a parameter name, a slot name or a buffer shape does not fit this optimizer.
    func importState(_ state: OptimizerState) throws
}

/// An optimizer's state as checkpoints store it: `/optimizer/<parameter>/<slot>` datasets
/// plus `kind`, hyper-parameters and the step count as attributes.
///
/// Slot names follow PyTorch's `state_dict`: `momentum_buffer` (SGD); `exp_avg`,
/// `exp_avg_sq`, `max_exp_avg_sq` (Adam, AdamW). Equality compares tensors bit for bit.
public struct OptimizerState: Equatable, CustomStringConvertible {
    /// Which optimizer wrote it: `sgd`, `adam` or `adamw`.
    public var kind: String
    /// Hyper-parameters by PyTorch-style name (`lr`, `momentum`, `beta1`, …; flags are 0 or 1).
    public var hyperParameters: [String: Double]
    /// Number of `step()` calls so far (Adam's bias correction depends on it).
    public var stepCount: Int
    /// Per-parameter buffers: parameter name → slot name → tensor.
    public var buffers: [String: [String: Tensor]]

    /// A state from its parts.
    public init(kind: String, hyperParameters: [String: Double], stepCount: Int,
                buffers: [String: [String: Tensor]]) {
        self.kind = kind
        self.hyperParameters = hyperParameters
        self.stepCount = stepCount
        self.buffers = buffers
    }

    public static func == (a: OptimizerState, b: OptimizerState) -> Bool {
        guard a.kind == b.kind, a.hyperParameters == b.hyperParameters, a.stepCount == b.stepCount,
              a.buffers.keys.sorted() == b.buffers.keys.sorted() else { return false }
        for (name, slotsA) in a.buffers {
            let slotsB = b.buffers[name]!
            guard slotsA.keys.sorted() == slotsB.keys.sorted() else { return false }
            for (slot, x) in slotsA where !x.hasIdenticalBytes(to: slotsB[slot]!) { return false }
        }
        return true
    }

    public var description: String {
        let slots = buffers.values.reduce(0) { $0 + $1.count }
        return "OptimizerState(\(kind), step \(stepCount), \(buffers.count) parameters, \(slots) buffers)"
    }

    /// Throws unless this state can be loaded into an optimizer of `kind` over `parameters`
    /// whose fixed hyper-parameters are `fixed` and whose buffers are named `allowedSlots`.
    ///
    /// Slots listed in `pairedSlots` must come together (Adam's moments): a parameter with one
    /// of them must have all of them.
    func validate(kind expectedKind: String, parameters: [String: Tensor], fixed: [String: Double],
                  allowedSlots: [String], pairedSlots: [String] = []) throws {
        guard kind == expectedKind else {
            throw OptimizerStateError.kindMismatch(expected: expectedKind, found: kind)
        }
        guard stepCount >= 0 else { throw OptimizerStateError.negativeStepCount(stepCount) }
        for (name, value) in fixed.sorted(by: { $0.key < $1.key }) {
            if let found = hyperParameters[name], found != value {
                throw OptimizerStateError.hyperParameterMismatch(name: name, expected: value, found: found)
            }
        }
        for name in buffers.keys.sorted() {
            guard let parameter = parameters[name] else {
                throw OptimizerStateError.unknownParameter(name: name, parameterCount: parameters.count)
            }
            let slots = buffers[name]!
            for slot in slots.keys.sorted() {
                guard allowedSlots.contains(slot) else {
                    throw OptimizerStateError.unknownSlot(parameter: name, slot: slot, allowed: allowedSlots)
                }
                let buffer = slots[slot]!
                guard buffer.dtype == .float32 else {
                    throw OptimizerStateError.wrongType(parameter: name, slot: slot, found: buffer.dtype)
                }
                guard buffer.shape == parameter.shape else {
                    throw OptimizerStateError.shapeMismatch(parameter: name, slot: slot,
                                                            expected: parameter.shape, found: buffer.shape)
                }
            }
            if pairedSlots.contains(where: { slots[$0] != nil }) {
                for slot in pairedSlots where slots[slot] == nil {
                    throw OptimizerStateError.missingSlot(parameter: name, slot: slot)
                }
            }
        }
    }
}

extension Tensor {
    /// Whether both tensors have the same shape, dtype and bytes.
    func hasIdenticalBytes(to other: Tensor) -> Bool {
        shape == other.shape && dtype == other.dtype
            && memcmp(rawPointer, other.rawPointer, count * dtype.byteSize) == 0
    }
}

/// Checks an optimizer's parameter list at construction: unique names, float32 tensors.
func parameterTable(_ parameters: [NamedParameter], optimizer: String) -> [String: Tensor] {
    var table: [String: Tensor] = [:]
    for (name, tensor) in parameters {
        precondition(tensor.dtype == .float32,
                     "\(optimizer): parameter '\(name)' is \(tensor.dtype); only float32 parameters can be optimised")
        precondition(table.updateValue(tensor, forKey: name) == nil,
                     "\(optimizer): parameter name '\(name)' appears twice")
    }
    return table
}

/// Checks that a parameter's gradient fits it before an update reads both.
@inline(__always)
func checkGradient(_ grad: Tensor, of parameter: Tensor, name: String, optimizer: String) {
    precondition(grad.dtype == .float32 && grad.shape == parameter.shape,
                 "\(optimizer): gradient of '\(name)' has shape \(grad.shape) (\(grad.dtype)), parameter has \(parameter.shape)")
}
