import ArgumentParser
import Foundation
import SpikeLab

/// `spikelab data …`: get, check, inspect and generate datasets.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Fetch, verify, inspect and generate datasets in their publishers' formats.",
        subcommands: [MakeDemo.self, Fetch.self, Verify.self, Show.self])
}

extension DataCommand {
    /// `spikelab data make-demo`: the demo sets derived from real data on this machine.
    struct MakeDemo: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "make-demo",
            abstract: "Generate the demo datasets (deterministic for a seed) from real data on this machine.",
            discussion: "Skips sets that are already complete for the seed unless --force. Sets: "
                + (DemoSets.all.isEmpty ? "(none registered)" : DemoSets.all.map(\.name).joined(separator: ", ")))

        @Option(help: "Root folder of the demo data.")
        var root: String = DemoSets.defaultRoot

        @Option(help: "Seed of every random choice the generators make.")
        var seed: UInt64 = 0

        @Option(name: .customLong("only"), help: "Make only these sets (repeatable).")
        var only: [String] = []

        @Flag(help: "Regenerate sets that are already complete.")
        var force = false

        func validate() throws {
            let known = DemoSets.all.map(\.name)
            for name in only where !known.contains(name) {
                throw ValidationError("--only \(name): no such demo set; known: \(known.joined(separator: ", "))")
            }
        }

        func run() throws {
            let sets = only.isEmpty ? DemoSets.all : DemoSets.all.filter { only.contains($0.name) }
            for set in sets {
                if !force && set.isComplete(root: root, seed: seed) {
                    print("\(set.name): complete in \(root)/\(set.folder) (use --force to regenerate)")
                    continue
                }
                let start = Date()
                do {
                    try set.make(root: root, seed: seed) { print("\(set.name): \($0)") }
                } catch {
                    FileHandle.standardError.write(Data("error: \(set.name): \(error)\n".utf8))
                    throw ExitCode(ExitStatus.badData)
                }
                print(String(format: "%@: written to %@/%@ in %.1f s", set.name, root, set.folder, Date().timeIntervalSince(start)))
            }
        }
    }
}
