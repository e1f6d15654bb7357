import Foundation

/// A deterministic demo dataset derived from real data on this machine (Fashion-MNIST from
/// the Debian package, `espeak-ng` speech), written in the exact on-disk format of a paper
/// dataset so that its reader, a task and a table run end to end offline.
public protocol DemoSet: Sendable {
    /// Short name used by `spikelab data make-demo --only NAME` (e.g. `nmnist`).
    var name: String { get }
    /// One line: what it is and which format it imitates.
    var summary: String { get }
    /// The folder under the demo root it writes (e.g. `nmnist`), which its manifests point at.
    var folder: String { get }
    /// True when the set is already complete under `root/folder` for `seed`, so it can be skipped.
    func isComplete(root: String, seed: UInt64) -> Bool
    /// Writes the set under `root/folder`, deterministically for `seed`; reports progress lines.
    func make(root: String, seed: UInt64, progress: (String) -> Void) throws
}

/// Every demo set `spikelab data make-demo` knows, in the order it makes them.
public enum DemoSets {
    /// Default root of the demo data (git-ignored; the generators are committed, not their output).
    public static let defaultRoot = "datasets/demo"

    /// All registered demo sets. Each data family adds its entry here.
    public static let all: [any DemoSet] = [
        SpeechCommandsDemoSet(),
        SHDDemoSet(),
        FashionScenesDemo(),
        FashionTinyImageNetDemo(),
        FashionImageNetDemo(),
        NMNISTDemoSet(),
        FashionCIFARDemo(),
        FashionPairsCIFAR100Demo(),
    ]

    /// The set called `name`, or nil.
    public static func named(_ name: String) -> (any DemoSet)? { all.first { $0.name == name } }
}
