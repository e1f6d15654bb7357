import Foundation

/// The progress line of a long run: rewritten in place on a terminal, printed as plain
/// periodic lines otherwise (logs, CI).
public final class ProgressReporter {
    private let output: FileHandle
    private let interactive: Bool
    private let plainInterval: Double
    private var lastPlain = 0.0
    private var lineLength = 0

    /// Reports to `output` (standard error by default); `interactive` when it is a terminal.
    public init(output: FileHandle = .standardError, interactive: Bool? = nil, plainInterval: Double = 15) {
        self.output = output
        self.interactive = interactive ?? (isatty(output.fileDescriptor) != 0)
        self.plainInterval = plainInterval
    }

    /// Shows a transient status (a terminal line rewritten in place; in logs at most every
    /// `plainInterval` seconds unless `force`).
    public func update(_ text: String, now: Double = ProgressReporter.clock(), force: Bool = false) {
        if interactive {
            let padded = text.count < lineLength ? text + String(repeating: " ", count: lineLength - text.count) : text
            lineLength = text.count
            output.write(Data(("\r" + padded).utf8))
        } else if force || now - lastPlain >= plainInterval {
            lastPlain = now
            output.write(Data((text + "\n").utf8))
        }
    }

    /// Prints a permanent line (ends any transient line first).
    public func line(_ text: String) {
        if interactive && lineLength > 0 {
            output.write(Data("\r\(String(repeating: " ", count: lineLength))\r".utf8))
            lineLength = 0
        }
        output.write(Data((text + "\n").utf8))
    }

    /// Seconds on a monotonic clock.
    public static func clock() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

    /// "1h02m", "3m05s", "12s".
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }
}
