/// Energy of one operation, in picojoules: a multiply-accumulate (real-valued input) and an
/// accumulate (binary spike input). Defaults are the 45 nm CMOS figures the SNN literature uses
/// (Horowitz, ISSCC 2014, 32-bit float: 4.6 pJ per MAC, 0.9 pJ per add).
public struct EnergyCosts: Equatable, Sendable {
    /// Picojoules per multiply-accumulate.
    public var mac: Double
    /// Picojoules per accumulate.
    public var ac: Double

    /// Costs of `mac` and `ac` picojoules per operation.
    public init(mac: Double = 4.6, ac: Double = 0.9) {
        self.mac = mac
        self.ac = ac
    }
}
