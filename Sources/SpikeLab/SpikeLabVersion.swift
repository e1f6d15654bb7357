import SpikeTensor

/// The SpikeLab version, written into checkpoints and reports and printed by `--version`.
public enum SpikeLabVersion {
    public static let string = SpikeTensorVersion.string
}
