import ArgumentParser
import SpikeTensor

@main
struct SpikeLabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spikelab",
        abstract: "Reproduce spiking-neural-network papers: run manifests, resume, regenerate tables.",
        version: SpikeTensorVersion.string,
        subcommands: [Run.self, Resume.self, Bench.self, DataCommand.self, Neuron.self])
}
