/// The SpikeLab version, written into checkpoints and printed by `spikelab --version`.
public enum SpikeTensorVersion {
    public static let string = "0.1.0"
}
