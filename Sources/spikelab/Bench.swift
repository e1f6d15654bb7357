import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks: engine (GEMM, conv, bandwidth, vgg-small step).")
    func run() throws {}
}
