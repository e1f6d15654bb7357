import Foundation

/// One recorded differentiable operation: its inputs and the function that maps the
/// gradients of its outputs to the gradients of its inputs.
///
/// The backward closure owns whatever the forward saved; both are released after the
/// node has run in `backward()` (unless the graph is retained).
public final class GradNode {
    /// Operation name, for error messages and graph dumps.
    public let name: String
    /// Number of outputs the operation produced.
    public let outputCount: Int
    /// Shapes of the outputs, to check and to build zero gradients.
    public let outputShapes: [[Int]]
    /// Inputs in the order the backward closure returns their gradients.
    public internal(set) var inputs: [Tensor]
    var backwardFunction: (([Tensor?]) -> [Tensor?])?

    init(name: String, inputs: [Tensor], outputShapes: [[Int]],
         backward: @escaping ([Tensor?]) -> [Tensor?]) {
        self.name = name
        self.inputs = inputs
        self.outputCount = outputShapes.count
        self.outputShapes = outputShapes
        self.backwardFunction = backward
    }

    /// Whether the saved values were already released by a backward pass.
    public var isReleased: Bool { backwardFunction == nil }

    func release() {
        backwardFunction = nil
        inputs = []
    }
}

/// Whether operations are being recorded on the calling thread (see `noGrad`).
public enum GradMode {
    // A per-thread depth of `noGrad` scopes, stored as a pointer-sized integer.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// True unless the calling thread is inside a `noGrad` scope.
    public static var isEnabled: Bool { pthread_getspecific(key) == nil }

    static func withDisabled<R>(_ body: () throws -> R) rethrows -> R {
        let depth = Int(bitPattern: pthread_getspecific(key))
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: depth + 1))
        defer { pthread_setspecific(key, UnsafeRawPointer(bitPattern: depth)) }
        return try body()
    }
}

/// Runs `body` without recording operations for autograd (evaluation, optimizer updates).
public func noGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.withDisabled(body)
}

/// A differentiable operation written by hand: forward computes the outputs and the values
/// backward needs; backward maps output gradients to input gradients.
///
/// Fused kernels (neurons, losses) implement this so the graph holds one node for the whole
/// operation and exactly the values they choose to save.
public protocol DifferentiableOperation {
    /// Whatever forward keeps for backward (keep it minimal).
    associatedtype Saved
    /// Name shown in errors and graph dumps.
    var name: String { get }
    /// Computes the outputs (plain tensors, no graph) and the values backward needs.
    func forward(_ inputs: [Tensor]) -> (outputs: [Tensor], saved: Saved)
    /// Gradients of the inputs (nil where an input needs none) from the output gradients
    /// (nil where an output received none).
    func backward(_ gradOutputs: [Tensor?], inputs: [Tensor], saved: Saved) -> [Tensor?]
}

extension DifferentiableOperation {
    /// Runs the operation, recording it for autograd when any input requires a gradient.
    public func callAsFunction(_ inputs: [Tensor]) -> [Tensor] {
        let (outputs, saved) = noGrad { forward(inputs) }
        return Tensor.record(name, outputs: outputs, inputs: inputs) { grads in
            backward(grads, inputs: inputs, saved: saved)
        }
    }
}

extension Tensor {
    /// Whether a new operation on these inputs should be recorded.
    @inline(__always)
    public static func shouldRecord(_ inputs: [Tensor]) -> Bool {
        GradMode.isEnabled && inputs.contains { $0.requiresGrad }
    }

    /// Records `output` as produced from `inputs`; `backward` maps the output's gradient to
    /// one gradient per input (nil for inputs that need none). Returns `output`.
    ///
    /// Nothing is recorded (and `backward` is dropped) when grad mode is off or no input
    /// requires a gradient.
    @discardableResult
    public static func record(_ name: String, output: Tensor, inputs: [Tensor],
                              backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        record(name, outputs: [output], inputs: inputs) { grads in
            guard let g = grads[0] else { return Array(repeating: nil, count: inputs.count) }
            return backward(g)
        }[0]
    }

    /// Multi-output form of `record`: `backward` receives one gradient per output (nil for
    /// outputs that received none) and returns one per input.
    @discardableResult
    public static func record(_ name: String, outputs: [Tensor], inputs: [Tensor],
                              backward: @escaping ([Tensor?]) -> [Tensor?]) -> [Tensor] {
        guard shouldRecord(inputs) else { return outputs }
        let node = GradNode(name: name, inputs: inputs, outputShapes: outputs.map(\.shape),
                            backward: backward)
        for (i, out) in outputs.enumerated() {
            precondition(out.gradFn == nil && !out.requiresGrad,
                         "\(name): an output is already part of a graph")
            out.gradFn = node
            out.outputIndex = i
            out.requiresGrad = true
        }
        return outputs
    }

    /// Back-propagates from this tensor. A non-scalar tensor needs `gradient` (same shape):
    /// the result is the vector-Jacobian product with it.
    ///
    /// Leaves with `requiresGrad` accumulate into `grad`. The graph's saved values are freed
    /// as each node finishes unless `retainGraph` is set.
    public func backward(_ gradient: Tensor? = nil, retainGraph: Bool = false) {
        let seed: Tensor
        if let gradient {
            precondition(gradient.shape == shape,
                         "backward: gradient shape \(gradient.shape) differs from tensor shape \(shape)")
            seed = gradient
        } else {
            precondition(count == 1, "backward() without a gradient needs a one-element tensor, got shape \(shape)")
            seed = Tensor.ones(shape)
        }
        precondition(requiresGrad, "backward: tensor does not require a gradient")
        guard let root = gradFn else {
            Tensor.accumulateLeaf(self, seed)
            return
        }
        precondition(!root.isReleased,
                     "backward through \(root.name) a second time: its saved values were freed (pass retainGraph: true)")

        let order = Tensor.topologicalOrder(from: root)
        var pending: [ObjectIdentifier: [Tensor?]] = [:]
        var owned = Set<ObjectIdentifier>()  // gradients we allocated, safe to add into in place
        pending[ObjectIdentifier(root)] = {
            var g = [Tensor?](repeating: nil, count: root.outputCount)
            g[outputIndex] = seed
            return g
        }()

        noGrad {
            for node in order {
                guard let grads = pending.removeValue(forKey: ObjectIdentifier(node)),
                      grads.contains(where: { $0 != nil }) else {
                    if !retainGraph { node.release() }
                    continue
                }
                guard let fn = node.backwardFunction else {
                    preconditionFailure("backward through \(node.name) a second time: its saved values were freed (pass retainGraph: true)")
                }
                let inputs = node.inputs
                var inputGrads = fn(grads)
                precondition(inputGrads.count == inputs.count,
                             "\(node.name).backward returned \(inputGrads.count) gradients for \(inputs.count) inputs")
                if !retainGraph { node.release() }
                for (i, input) in inputs.enumerated() {
                    // Moved out of the array, so a gradient nothing else holds is uniquely referenced here.
                    guard var g = inputGrads[i] else { continue }
                    inputGrads[i] = nil
                    guard input.requiresGrad else { continue }
                    precondition(g.shape == input.shape,
                                 "\(node.name).backward: gradient shape \(g.shape) differs from input shape \(input.shape)")
                    if let producer = input.gradFn {
                        let key = ObjectIdentifier(producer)
                        var slot = pending[key] ?? [Tensor?](repeating: nil, count: producer.outputCount)
                        if let existing = slot[input.outputIndex] {
                            if owned.contains(ObjectIdentifier(existing)) {
                                addInPlace(existing, g)
                            } else {
                                let sum = existing.copy()
                                addInPlace(sum, g)
                                owned.insert(ObjectIdentifier(sum))
                                slot[input.outputIndex] = sum
                            }
                        } else {
                            slot[input.outputIndex] = g
                        }
                        pending[key] = slot
                    } else if input.grad == nil, Tensor.isSolelyOwned(&g) {
                        // A fresh gradient nothing else refers to: the leaf takes it, no copy.
                        input.grad = g
                    } else {
                        Tensor.accumulateLeaf(input, g)
                    }
                }
            }
        }
    }

    /// Adds `g` into a leaf's `grad`, copying on first assignment so no two leaves (or a
    /// leaf and a graph value) ever share a gradient buffer. (`backward` hands a leaf a fresh
    /// gradient that nothing else holds without this copy; see `isSolelyOwned`.)
    static func accumulateLeaf(_ leaf: Tensor, _ g: Tensor) {
        if let existing = leaf.grad {
            addInPlace(existing, g)
        } else {
            leaf.grad = g.copy()
        }
    }

    /// Whether `tensor` is referenced only by this variable and its memory only by `tensor`:
    /// then no other tensor, leaf or graph value can see it, and a leaf may keep it as its
    /// gradient instead of a copy (as PyTorch's AccumulateGrad steals a gradient whose use
    /// count is 1). A plain value only: not part of a graph.
    static func isSolelyOwned(_ tensor: inout Tensor) -> Bool {
        guard tensor.gradFn == nil, !tensor.requiresGrad, isKnownUniquelyReferenced(&tensor) else { return false }
        return isKnownUniquelyReferenced(&tensor.storage)
    }

    /// Nodes reachable from `root`, each after every node that consumes its outputs.
    static func topologicalOrder(from root: GradNode) -> [GradNode] {
        var visited = Set<ObjectIdentifier>()
        var postOrder: [GradNode] = []
        // Iterative DFS: (node, next input index to visit).
        var stack: [(GradNode, Int)] = [(root, 0)]
        visited.insert(ObjectIdentifier(root))
        while let (node, next) = stack.popLast() {
            if next < node.inputs.count {
                stack.append((node, next + 1))
                if let child = node.inputs[next].gradFn, visited.insert(ObjectIdentifier(child)).inserted {
                    stack.append((child, 0))
                }
            } else {
                postOrder.append(node)
            }
        }
        return postOrder.reversed()
    }

    /// Drops the gradient (call before each training step).
    public func zeroGrad() { grad = nil }
}

/// `target += source` element-wise (same shape, float32), vectorised and parallel.
public func addInPlace(_ target: Tensor, _ source: Tensor) {
    precondition(target.shape == source.shape, "addInPlace: shapes \(target.shape) and \(source.shape) differ")
    let dst = target.floats.baseAddress!, src = UnsafePointer(source.floats.baseAddress!)
    parallelChunks(target.count, minChunk: 1 << 16) { range in
        for i in range { dst[i] += src[i] }
    }
}
