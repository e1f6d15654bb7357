// Driver of learned_psu_cpu_time.sh: the fused IPSU/RPSU kernel, or PSU's for the form `psu`
// (τ = 2, V_th = 1, atan α = 2)
// over x = [T, 2^20 + 13] uniform in [−0.5, 2.5) (the 13 make a ragged last lane group),
// upstream gradient uniform in [−1, 1), W with entries in [−0.5, 0.5), b = 0.1; best of N
// thread-CPU times of the forward and the backward (dX, dW, db, dα), and a hash of the bits of
// every output (S, V, dX, and dW, db, dα together), so a change that must keep the values can be
// checked by comparing hashes. Arguments: form (ipsu-linear | ipsu-sigmoid | rpsu | psu), T, N.
import Foundation

let arguments = CommandLine.arguments
let formName = arguments.count > 1 ? arguments[1] : "ipsu-linear"
let steps = arguments.count > 2 ? Int(arguments[2])! : 8
let repetitions = arguments.count > 3 ? Int(arguments[3])! : 5
let width = (1 << 20) + 13, n = steps * width
let x = zeroedFloats(n), spikes = zeroedFloats(n), g = zeroedFloats(n), dx = zeroedFloats(n), v = zeroedFloats(n)
fillInputs(x: x, g: g, count: n)

/// Prints the line for a kernel's forward (spikes, optional membrane) and backward (returns the
/// parameter gradients in Double).
func measure(forward: (UnsafeMutablePointer<Float>?) -> Void, backward: () -> [Double]) {
    forward(v)
    let membraneHash = bitHash(v, n)
    let forwardTime = bestCPUTime(repetitions: repetitions) { forward(nil) }
    var parameterHash: UInt64 = 0
    let backwardTime = bestCPUTime(repetitions: repetitions) { parameterHash = bitHash(backward()) }
    print(String(format: "%@ T=%d forward %.2f ms, backward %.2f ms, total %.2f ms | S %016llx V %016llx dX %016llx params %016llx",
                 formName, steps, forwardTime, backwardTime, forwardTime + backwardTime, bitHash(spikes, n), membraneHash,
                 bitHash(dx, n), parameterHash))
}

if formName == "psu" {
    let kernel = PSUKernel(decay: 0.5, threshold: 1, steps: steps, width: width)
    measure(forward: { kernel.forward(x: x, spikes: spikes, membrane: $0) },
            backward: { [kernel.backward(x: x, gradSpikes: g, gradMembrane: nil, surrogate: .atan, alpha: 2, gradInput: dx,
                                         wantAlpha: true)] })
    exit(0)
}
let form: LearnedPSUKernel.Form = formName == "rpsu" ? .rpsu : formName == "ipsu-sigmoid" ? .ipsuSigmoid : .ipsuLinear
let weight = (0..<(steps * steps)).map { Float(($0 * 7919) % 1000) / 1000 - 0.5 }
var reset = [Float](repeating: 0, count: steps * steps)
for i in 0..<steps { for j in 0..<i { reset[i * steps + j] = -Float(pow(0.5, Double(i - j))) } }
let kernel = LearnedPSUKernel(form: form, weight: weight, bias: [Float](repeating: 0.1, count: steps), reset: reset,
                              tau: 2, threshold: 1, steps: steps, width: width)
measure(forward: { kernel.forward(x: x, spikes: spikes, membrane: $0) }, backward: {
    let r = kernel.backward(x: x, gradSpikes: g, gradMembrane: nil, surrogate: .atan, alpha: 2, gradInput: dx,
                            wantWeight: true, wantBias: true, wantAlpha: true)
    return r.weight! + r.bias! + [r.alpha]
})
