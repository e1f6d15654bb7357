import Foundation

/// What a run directory holds, as `spikelab tables` and `spikelab plot` read it: the epochs
/// of `metrics.csv` and the state `summary.json` records. Reading never fails: a file that is
/// absent or unreadable leaves its part empty and adds a note saying what is wrong.
public struct RunRecord: Sendable, Equatable {
    /// How far a run got.
    public enum Status: String, Sendable, Equatable {
        /// No run directory, or one without metrics.csv and summary.json.
        case missing
        /// A run exists but has not finished every epoch (running, interrupted, failed, killed).
        case partial
        /// Every epoch ran.
        case done
    }

    public let directory: String
    public let status: Status
    /// The rows of metrics.csv (empty when absent or unreadable).
    public let history: [EpochMetrics]
    /// summary.json's `status`: running, interrupted, finished or failed; nil without a summary.
    public let runStatus: String?
    public let epochsCompleted: Int?
    public let epochsTotal: Int?
    /// summary.json's `manifest_sha256`: the settings the run used.
    public let manifestSHA256: String?
    /// summary.json's `profile`.
    public let profile: String?
    /// summary.json's `name`.
    public let name: String?
    /// summary.json's `message` (why a run failed).
    public let message: String?
    /// Whether checkpoints/last.h5 exists, so `spikelab resume` can continue the run.
    public let canResume: Bool
    /// Problems found while reading (unreadable files, inconsistent counts).
    public let notes: [String]

    /// Reads the run directory at `directory`.
    public static func read(_ directory: String) -> RunRecord {
        let fm = FileManager.default
        let metricsPath = directory + "/metrics.csv", summaryPath = directory + "/summary.json"
        let hasMetrics = fm.fileExists(atPath: metricsPath), hasSummary = fm.fileExists(atPath: summaryPath)
        let canResume = fm.fileExists(atPath: directory + "/checkpoints/last.h5")
        guard hasMetrics || hasSummary else {
            return RunRecord(directory: directory, status: .missing, history: [], runStatus: nil, epochsCompleted: nil,
                             epochsTotal: nil, manifestSHA256: nil, profile: nil, name: nil, message: nil,
                             canResume: canResume, notes: [])
        }
        var notes: [String] = []
        var history: [EpochMetrics] = []
        if hasMetrics {
            do { history = try MetricsLog.read(metricsPath) } catch { notes.append("metrics.csv unreadable: \(error)") }
        } else {
            notes.append("no metrics.csv")
        }
        var summary: [String: Any] = [:]
        if hasSummary {
            if let data = fm.contents(atPath: summaryPath),
               let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                summary = object
            } else {
                notes.append("summary.json unreadable: not a JSON object")
            }
        } else {
            notes.append("no summary.json")
        }
        let runStatus = summary["status"] as? String
        let completed = summary["epochs_completed"] as? Int
        let total = summary["epochs_total"] as? Int
        let finished = runStatus == "finished" && total != nil && completed == total && history.count == total
        if runStatus == "finished" && !finished {
            notes.append("summary.json says finished, but metrics.csv holds \(history.count) of \(total.map(String.init) ?? "?") epochs")
        }
        return RunRecord(directory: directory, status: finished ? .done : .partial, history: history,
                         runStatus: runStatus, epochsCompleted: completed ?? (hasMetrics ? history.count : nil),
                         epochsTotal: total, manifestSHA256: summary["manifest_sha256"] as? String,
                         profile: summary["profile"] as? String, name: summary["name"] as? String,
                         message: summary["message"] as? String, canResume: canResume, notes: notes)
    }

    /// The metric's reproduced value: the best or the final epoch's (nil without epochs).
    public func value(of metric: TableMetric, select: TableSelection) -> Double? {
        let values = history.map(metric.value).filter { !$0.isNaN }
        guard !values.isEmpty else { return nil }
        switch select {
        case .final: return history.last.map(metric.value).flatMap { $0.isNaN ? nil : $0 }
        case .best: return metric.higherIsBetter ? values.max() : values.min()
        }
    }

    /// A phrase for a partial run: "interrupted after epoch 1 of 3", "failed: …".
    public var progressPhrase: String {
        let of = "epoch \(epochsCompleted ?? history.count) of \(epochsTotal.map(String.init) ?? "?")"
        switch runStatus {
        case "interrupted"?: return "interrupted after \(of)"
        case "failed"?: return "failed after \(of)" + (message.map { ": \($0)" } ?? "")
        case "running"?: return "running or killed after \(of)"
        case "finished"?: return "finished, \(of)"
        default: return "stopped after \(of)"
        }
    }
}
