import ArgumentParser
import Foundation
import SpikeLab

/// `spikelab inspect`: what a checkpoint holds, or the model a manifest builds.
struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a checkpoint's groups, datasets and run state, or a manifest's module tree.",
        discussion: """
            spikelab inspect CHECKPOINT: every group and dataset (shape, dtype, attributes), the format \
            version, epoch, global step, manifest name and a summary of the metric history.
            spikelab inspect --model MANIFEST [--profile P] [--set k=v]: the module tree with dotted \
            parameter names, shapes and parameter counts per module and in total (builds the model only; \
            no data is read and nothing is trained).
            Exit codes: 0 done, 2 bad arguments or manifest, 3 unreadable or foreign checkpoint.
            """)

    @Argument(help: "A checkpoint file (.h5).")
    var checkpoint: String?

    @Option(help: "Show the model of this manifest instead of a checkpoint.")
    var model: String?

    @Option(help: "With --model: a named override set from the manifest's `profiles:`.")
    var profile: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("With --model: override a key (repeatable).", valueName: "key.path=value"))
    var overrides: [String] = []

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        switch (checkpoint, model) {
        case (nil, nil): throw ValidationError("give a CHECKPOINT file or --model MANIFEST")
        case (.some, .some): throw ValidationError("give either a CHECKPOINT or --model MANIFEST, not both")
        default: break
        }
        if model == nil && (profile != nil || !overrides.isEmpty) {
            throw ValidationError("--profile and --set apply to --model MANIFEST only")
        }
    }

    func run() throws {
        do {
            if let model {
                let manifest = try Manifest.load(contentsOf: model, profile: profile, overrides: overrides)
                let inspection = try ModelInspection.inspect(manifest)
                print(json ? try inspection.json() : inspection.table())
            } else if let checkpoint {
                let inspection = try CheckpointInspection.inspect(checkpoint)
                print(json ? try inspection.json() : inspection.table())
            }
        } catch {
            throw report(error)
        }
    }
}
