import ArgumentParser
import Foundation
import SpikeLab
import SpikeTensor

@main
struct SpikeLabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spikelab",
        abstract: "Reproduce spiking-neural-network papers: run manifests, resume, regenerate tables.",
        version: SpikeTensorVersion.string,
        subcommands: [Run.self, Resume.self, Eval.self, Inspect.self, Tables.self, Plot.self, Energy.self, Bench.self,
                      DataCommand.self, Neuron.self, Score.self])

    /// ArgumentParser exits 64 on a usage error; SpikeLab's exit code for bad arguments is 2.
    static func main() {
        // Before any kernel runs: an AVX2 kernel on a CPU without it would die of SIGILL.
        if let problem = CPUFeatureCheck.problemOnThisMachine(required: NeuronKernelCPU.required) {
            FileHandle.standardError.write(Data((problem + "\n").utf8))
            Foundation.exit(1)
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }
}
