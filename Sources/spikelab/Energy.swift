import ArgumentParser
import Foundation
import SpikeLab

/// `spikelab energy`: synaptic operations and energy per layer of a run's checkpoint.
struct Energy: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per-layer MACs, synaptic operations and energy of a run's checkpoint.",
        discussion: """
            Rebuilds the model from the manifest stored in the checkpoint, runs test batches \
            without gradients and counts, per Conv1d/Conv2d/Linear layer, its dense MACs and \
            the exact accumulates of its non-zero inputs. Layers fed by spikes (after a spiking \
            neuron) cost E_AC per accumulate; the others (encoding layers, every layer of an \
            ANN) cost E_MAC per MAC. Energies are picojoules per sample (see docs/energy.md). \
            Writes nothing unless --write, which saves energy.json into the run directory.
            Exit codes: 0 done, 2 bad arguments or no such run/checkpoint, 3 unreadable checkpoint or missing data.
            """)

    @Argument(help: "A run directory (the --out of `spikelab run`).")
    var runDirectory: String

    @Option(help: "Which checkpoint: last, best or converted (default: converted for a finished convert run, else last).")
    var checkpoint: String?

    @Option(help: "Test batches to measure (default: the whole test split, data.test_subset).")
    var batches: Int?

    @Option(name: .customLong("e-mac"), help: "Picojoules per multiply-accumulate.")
    var eMAC: Double = 4.6

    @Option(name: .customLong("e-ac"), help: "Picojoules per accumulate.")
    var eAC: Double = 0.9

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Flag(help: "Also write the JSON to RUN_DIR/energy.json.")
    var write = false

    @Option(help: "Threads (default: the count the run used).")
    var threads: Int?

    func validate() throws {
        if let checkpoint, CheckpointEvaluation.Which(rawValue: checkpoint) == nil {
            throw ValidationError("--checkpoint must be last or best (or converted, for a training.mode convert run), got '\(checkpoint)'")
        }
        if let batches, batches < 1 { throw ValidationError("--batches must be at least 1, got \(batches)") }
        for (name, value) in [("--e-mac", eMAC), ("--e-ac", eAC)] where !(value.isFinite && value >= 0) {
            throw ValidationError("\(name) must be a finite number of picojoules ≥ 0, got \(value)")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        do {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: runDirectory, isDirectory: &isDirectory), !isDirectory.boolValue {
                FileHandle.standardError.write(Data("error: \(runDirectory) is a file; give the run directory (the --out of `spikelab run`)\n".utf8))
                throw ExitCode(ExitStatus.badInput)
            }
            let file = try CheckpointEvaluation.locate(runDirectory, which: checkpoint.flatMap { CheckpointEvaluation.Which(rawValue: $0) })
            let energy = try CheckpointEnergy.run(checkpointAt: file, batches: batches,
                                                  costs: EnergyCosts(mac: eMAC, ac: eAC), threads: threads)
            let text = try energy.json()
            if write {
                let out = runDirectory + "/energy.json"
                do {
                    try (text + "\n").write(toFile: out, atomically: true, encoding: .utf8)
                } catch {
                    FileHandle.standardError.write(Data("error: \(out): cannot write: \(error.localizedDescription)\n".utf8))
                    throw ExitCode(ExitStatus.badInput)
                }
            }
            print(json ? text : energy.table())
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw report(error)
        }
    }
}
