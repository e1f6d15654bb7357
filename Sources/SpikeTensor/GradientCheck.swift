import Foundation

/// Outcome of comparing autograd's gradients with central finite differences.
public struct GradientCheckResult: CustomStringConvertible, Sendable {
    /// Largest |analytic − numeric| / max(1, |numeric|) over all checked elements.
    public var maxError: Double
    /// Where it occurred: input index, element index, analytic and numeric values.
    public var worst: (input: Int, element: Int, analytic: Double, numeric: Double)
    /// Elements compared.
    public var checked: Int

    public var description: String {
        "max error \(maxError) at input \(worst.input)[\(worst.element)]: analytic \(worst.analytic), numeric \(worst.numeric) (\(checked) elements)"
    }
}

/// Compares the gradient autograd computes for `f` at `inputs` with central finite
/// differences of the projection ⟨w, f(x)⟩ for a fixed random `w`.
///
/// Only float inputs with `requiresGrad` are checked. `step` is the perturbation h;
/// at most `maxElements` elements per input are probed (evenly spaced) to bound the cost.
/// Differences are accumulated in Double. Inputs are restored afterwards.
public func gradientCheck(_ inputs: [Tensor], step: Float = 1e-2, maxElements: Int = 64,
                          seed: UInt64 = 7, _ f: ([Tensor]) -> Tensor) -> GradientCheckResult {
    for x in inputs where x.requiresGrad { x.grad = nil }
    let y = f(inputs)
    var rng = PhiloxGenerator(seed: seed, stream: 99)
    let w = Tensor.uniform(y.shape, low: -1, high: 1, rng: &rng)
    y.backward(w)

    func projection() -> Double {
        let out = noGrad { f(inputs) }
        var s = 0.0
        for i in 0..<out.count { s += Double(out.floats[i]) * Double(w.floats[i]) }
        return s
    }

    var result = GradientCheckResult(maxError: 0, worst: (0, 0, 0, 0), checked: 0)
    for (k, x) in inputs.enumerated() where x.requiresGrad {
        let analytic = x.grad?.array ?? [Float](repeating: 0, count: x.count)
        let stride = max(1, x.count / maxElements)
        for i in Swift.stride(from: 0, to: x.count, by: stride) {
            let original = x.floats[i]
            x.floats[i] = original + step
            let plus = projection()
            x.floats[i] = original - step
            let minus = projection()
            x.floats[i] = original
            // The actual perturbation in float arithmetic, not the nominal one.
            let h = Double(original + step) - Double(original - step)
            let numeric = (plus - minus) / h
            let error = abs(Double(analytic[i]) - numeric) / max(1, abs(numeric))
            result.checked += 1
            if error > result.maxError {
                result.maxError = error
                result.worst = (k, i, Double(analytic[i]), numeric)
            }
        }
    }
    return result
}
