// Driver of learned_psu_cpu_time.sh: the fused IPSU/RPSU kernel (τ = 2, V_th = 1, atan α = 2)
// over x = [T, 2^20] uniform in [−0.5, 2.5), upstream gradient uniform in [−1, 1), W with
// entries in [−0.5, 0.5), b = 0.1; best of 5 thread-CPU times of the forward and the backward
// (dX, dW, db, dα). Arguments: form (ipsu-linear | ipsu-sigmoid | rpsu), T.
import Foundation

let arguments = CommandLine.arguments
let formName = arguments.count > 1 ? arguments[1] : "ipsu-linear"
let steps = arguments.count > 2 ? Int(arguments[2])! : 8
let form: LearnedPSUKernel.Form = formName == "rpsu" ? .rpsu : formName == "ipsu-sigmoid" ? .ipsuSigmoid : .ipsuLinear
let width = 1 << 20, n = steps * width
let x = zeroedFloats(n), spikes = zeroedFloats(n), g = zeroedFloats(n), dx = zeroedFloats(n)
fillInputs(x: x, g: g, count: n)
let weight = (0..<(steps * steps)).map { Float(($0 * 7919) % 1000) / 1000 - 0.5 }
var reset = [Float](repeating: 0, count: steps * steps)
for i in 0..<steps { for j in 0..<i { reset[i * steps + j] = -Float(pow(0.5, Double(i - j))) } }
let kernel = LearnedPSUKernel(form: form, weight: weight, bias: [Float](repeating: 0.1, count: steps), reset: reset,
                              tau: 2, threshold: 1, steps: steps, width: width)
let forward = bestCPUTime(repetitions: 5) { kernel.forward(x: x, spikes: spikes, membrane: nil) }
var checksum = 0.0
let backward = bestCPUTime(repetitions: 5) {
    let r = kernel.backward(x: x, gradSpikes: g, gradMembrane: nil, surrogate: .atan, alpha: 2, gradInput: dx,
                            wantWeight: true, wantBias: true, wantAlpha: true)
    checksum = r.alpha + (r.weight?.reduce(0, +) ?? 0)
}
print(String(format: "%@ T=%d forward %.2f ms, backward %.2f ms, total %.2f ms (checksum %.4g)",
             formName, steps, forward, backward, forward + backward, checksum))
