import SpikeTensor

/// A named tensor of a module tree: a parameter or a buffer under its dotted `state_dict` name.
public typealias NamedTensor = (name: String, tensor: Tensor)

/// A network building block whose parameters, buffers and sub-modules are its stored properties.
///
/// Subclass it with a small `final class` that declares what it holds as stored properties and
/// does its forward pass in `callAsFunction`. Nothing is registered by hand: the tree is read
/// by reflection (`Mirror`) over the stored properties, in declaration order (superclass
/// properties first), which plays the role of PyTorch's registration order:
///
/// | stored property | becomes |
/// |---|---|
/// | `Tensor` | a parameter |
/// | `@Buffer var x: Tensor` (or `Tensor?`) | a buffer (in the state dict, not optimised) |
/// | a `Module` | a child, its entries prefixed with the property's key |
/// | `RandomStream` | a named generator (checkpointed, not in the state dict) |
/// | `[T]` of any of these | indexed entries `key.0`, `key.1`, … |
/// | `T?` of any of these | the wrapped value, or nothing when nil |
/// | anything else (numbers, configurations, recorders) | nothing |
///
/// A property's key is its Swift name in snake case (`runningMean` → `running_mean`,
/// `weightIH` → `weight_ih`), unless `stateKeyOverrides` maps it to another key; an empty key
/// puts the property's entries directly under the module's own prefix (`Sequential` uses it
/// so its layers are named `0`, `1`, … as in PyTorch). Names are joined with dots:
/// `layer1.0.conv1.weight`. Dictionaries are not traversed (their order is not defined).
///
/// Cost: the tree is reflected on demand, on each call to `namedParameters()`, `stateDict()`,
/// `train()` and the like — nothing is cached, so a module may swap a child (ANN-to-SNN
/// conversion does) and be seen correctly at once. A walk costs about 30 µs per module
/// (Mirror resolves every stored property's type each time): 0.75 ms for VGGSmall's 25
/// modules. Optimizers capture the parameter list once; per step only `Module.zeroGrad()`
/// walks the tree, and `Optimizer.zeroGrad()` does not.
///
/// Modules must not implement `CustomReflectable`, which would hide their stored properties.
open class Module {
    /// Whether the module is in training mode (batch statistics, active dropout); set
    /// recursively by `train(_:)` and `eval()`.
    public fileprivate(set) var isTraining = true

    /// Called by synaptic layers (`Conv1d`, `Conv2d`, `Linear`) after each forward with the
    /// layer, its input and its output; nil (the default) costs one check. Energy accounting
    /// uses it to see the actual tensors each layer multiplies.
    public var forwardObserver: ForwardObserver?

    /// A module in training mode.
    public init() {}

    /// Keys for stored properties whose snake-case name is not the PyTorch name; `""` merges
    /// the property's entries into this module's own namespace.
    open var stateKeyOverrides: [String: String] { [:] }

    // MARK: - Traversal

    /// The direct entries of this module, in declaration order.
    final func directEntries() -> [ModuleEntry] {
        ModuleReflection.entries(of: self)
    }

    /// Direct sub-modules with their keys, in declaration order.
    public final func namedChildren() -> [(name: String, module: Module)] {
        directEntries().compactMap { entry in
            if case .child(let name, let module) = entry { return (name, module) }
            return nil
        }
    }

    /// This module (named `""`) and every module below it, in pre-order with dotted names.
    public final func namedModules() -> [(name: String, module: Module)] {
        var result: [(name: String, module: Module)] = []
        visit(prefix: "") { name, module, _ in result.append((name, module)) }
        return result
    }

    /// Every module of the tree (this one included) that is a `T`, in pre-order.
    public final func modules<T>(ofType type: T.Type) -> [T] {
        namedModules().compactMap { $0.module as? T }
    }

    /// Every parameter of the tree under its dotted name: each module's own parameters in
    /// declaration order, then its children's (PyTorch's `named_parameters()` order). A tensor
    /// reachable under two names is listed once, under the first.
    public final func namedParameters() -> [NamedTensor] {
        var seen = Set<ObjectIdentifier>()
        var result: [NamedTensor] = []
        visit(prefix: "") { _, _, entries in
            for case .parameter(let name, let tensor) in entries where seen.insert(ObjectIdentifier(tensor)).inserted {
                result.append((name, tensor))
            }
        }
        return result
    }

    /// Every buffer of the tree (running statistics and the like) under its dotted name.
    public final func namedBuffers() -> [NamedTensor] {
        var result: [NamedTensor] = []
        visit(prefix: "") { _, _, entries in
            for case .buffer(let name, let tensor) in entries { result.append((name, tensor)) }
        }
        return result
    }

    /// Every generator a layer owns (dropout), under its dotted name, for checkpoints.
    public final func namedRandomStreams() -> [(name: String, stream: RandomStream)] {
        var result: [(name: String, stream: RandomStream)] = []
        visit(prefix: "") { _, _, entries in
            for case .randomStream(let name, let stream) in entries { result.append((name, stream)) }
        }
        return result
    }

    /// The parameter tensors, in `namedParameters()` order.
    public final func parameters() -> [Tensor] { namedParameters().map(\.tensor) }

    /// Number of parameter elements in the tree (each shared tensor counted once).
    public final var parameterCount: Int { namedParameters().reduce(0) { $0 + $1.tensor.count } }

    // MARK: - Modes and gradients

    /// Puts the whole tree into training mode (or evaluation mode when `mode` is false).
    public final func train(_ mode: Bool = true) {
        visit(prefix: "") { _, module, _ in module.isTraining = mode }
    }

    /// Puts the whole tree into evaluation mode: running statistics, no dropout.
    public final func eval() { train(false) }

    /// Drops the gradient of every parameter (PyTorch's `zero_grad(set_to_none=True)`).
    public final func zeroGrad() {
        for (_, tensor) in namedParameters() { tensor.grad = nil }
    }

    /// Calls `body(name, module, directEntries)` for this module and every descendant, in
    /// pre-order; entries already carry their full dotted names.
    final func visit(prefix: String, _ body: (String, Module, [ModuleEntry]) -> Void) {
        let entries = ModuleReflection.entries(of: self, prefix: prefix)
        body(prefix, self, entries)
        for case .child(let name, let module) in entries { module.visit(prefix: name, body) }
    }
}

/// What a module's `forwardObserver` receives: the module, its input and its output.
public typealias ForwardObserver = (_ module: Module, _ input: Tensor, _ output: Tensor) -> Void

/// A module with a single-tensor forward pass (what `Sequential` chains).
public protocol UnaryLayer: Module {
    /// The layer's output for `x`.
    func callAsFunction(_ x: Tensor) -> Tensor
}
