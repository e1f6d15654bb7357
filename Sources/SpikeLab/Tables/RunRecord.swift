import Foundation

/// What a run directory holds, as `spikelab tables` reads it: the epochs of `metrics.csv` (any
/// task's columns) and the state `summary.json` records. Reading never fails: a file that is
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
    /// metrics.csv's columns and rows (empty when absent or unreadable).
    public let metrics: LoggedMetrics
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
    /// A finished convert run's SNN at neuron.time_steps (summary.json's `conversion`).
    public var conversion: Conversion? = nil
    /// A finished run's energy estimate per test sample (summary.json's `energy`, docs/energy.md).
    public var energy: Energy? = nil

    /// Energy per sample of the final model and of its ANN twin (the same layers, one step, all MAC).
    public struct Energy: Sendable, Equatable {
        public var picojoules: Double
        public var annPicojoules: Double

        /// Reads summary.json's `energy` object; nil when it lacks either number.
        init?(_ object: [String: Any]) {
            guard let energy = object["energy_pj_per_sample"] as? Double,
                  let ann = object["ann_energy_pj_per_sample"] as? Double, energy.isFinite, ann.isFinite else { return nil }
            picojoules = energy
            annPicojoules = ann
        }
    }

    /// The converted SNN's test metrics (fractions, as in metrics.csv) and the ANN's top-1.
    public struct Conversion: Sendable, Equatable {
        public var timeSteps: Int
        public var testLoss: Double
        public var testTop1: Double
        public var testTop5: Double
        public var firingRate: Double
        public var annTestTop1: Double

        /// Reads summary.json's `conversion` object; nil when it lacks the SNN at its T.
        init?(_ object: [String: Any]) {
            guard let t = object["time_steps"] as? Int,
                  let snn = (object["snn"] as? [[String: Any]])?.first(where: { $0["time_steps"] as? Int == t }),
                  let loss = snn["test_loss"] as? Double, let top1 = snn["test_top1"] as? Double,
                  let top5 = snn["test_top5"] as? Double,
                  let ann = (object["ann"] as? [String: Any])?["test_top1"] as? Double else { return nil }
            timeSteps = t
            testLoss = loss
            testTop1 = top1
            testTop5 = top5
            firingRate = snn["firing_rate"] as? Double ?? .nan
            annTestTop1 = ann
        }
    }

    /// Reads the run directory at `directory`.
    public static func read(_ directory: String) -> RunRecord {
        let fm = FileManager.default
        let metricsPath = directory + "/metrics.csv", summaryPath = directory + "/summary.json"
        let hasMetrics = fm.fileExists(atPath: metricsPath), hasSummary = fm.fileExists(atPath: summaryPath)
        let canResume = fm.fileExists(atPath: directory + "/checkpoints/last.h5")
        guard hasMetrics || hasSummary else {
            return RunRecord(directory: directory, status: .missing, metrics: .empty, runStatus: nil, epochsCompleted: nil,
                             epochsTotal: nil, manifestSHA256: nil, profile: nil, name: nil, message: nil,
                             canResume: canResume, notes: [])
        }
        var notes: [String] = []
        var metrics = LoggedMetrics.empty
        if hasMetrics {
            do { metrics = try LoggedMetrics.read(metricsPath) } catch { notes.append("metrics.csv unreadable: \(error)") }
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
        let finished = runStatus == "finished" && total != nil && completed == total && metrics.epochCount == total
        if runStatus == "finished" && !finished {
            notes.append("summary.json says finished, but metrics.csv holds \(metrics.epochCount) of \(total.map(String.init) ?? "?") epochs")
        }
        var conversion: Conversion?
        if let object = summary["conversion"] as? [String: Any] {
            conversion = Conversion(object)
            if conversion == nil { notes.append("summary.json's conversion lacks the SNN at its time_steps") }
        }
        var record = RunRecord(directory: directory, status: finished ? .done : .partial, metrics: metrics,
                               runStatus: runStatus, epochsCompleted: completed ?? (hasMetrics ? metrics.epochCount : nil),
                               epochsTotal: total, manifestSHA256: summary["manifest_sha256"] as? String,
                               profile: summary["profile"] as? String, name: summary["name"] as? String,
                               message: summary["message"] as? String, canResume: canResume, notes: notes)
        record.conversion = conversion
        record.energy = (summary["energy"] as? [String: Any]).flatMap(Energy.init)
        return record
    }

    /// The metric's reproduced value in table units: the best or the final epoch's (nil without
    /// epochs, when metrics.csv has no such column, or when the selected value is NaN). A convert
    /// run reports its SNN at neuron.time_steps for the test metrics and firing rate (one number,
    /// whatever `select` says); train metrics are its ANN's.
    public func value(of metric: TableMetric, select: TableSelection) -> Double? {
        if let conversion {
            switch metric {
            case .testTop1: return 100 * conversion.testTop1
            case .testTop5: return 100 * conversion.testTop5
            case .testLoss: return conversion.testLoss
            case .firingRate: return conversion.firingRate.isNaN ? nil : conversion.firingRate
            default: break
            }
        }
        guard let logged = metrics.values(metric.column) else { return nil }
        let values = logged.map(metric.tableValue)
        switch select {
        case .final: return values.last.flatMap { $0.isNaN ? nil : $0 }
        case .best:
            let known = values.filter { !$0.isNaN }
            return metric.higherIsBetter ? known.max() : known.min()
        }
    }

    /// Whether the run logged `metric`: its metrics.csv has the column, or (a convert run) its
    /// summary holds the converted SNN's value. True when there is no metrics.csv to tell.
    public func logs(_ metric: TableMetric) -> Bool {
        if metrics.columns.isEmpty || metrics.has(metric.column) { return true }
        return conversion != nil && [.testTop1, .testTop5, .testLoss, .firingRate].contains(metric)
    }

    /// A phrase for a partial run: "interrupted after epoch 1 of 3", "failed: …".
    public var progressPhrase: String {
        let of = "epoch \(epochsCompleted ?? metrics.epochCount) of \(epochsTotal.map(String.init) ?? "?")"
        switch runStatus {
        case "interrupted"?: return "interrupted after \(of)"
        case "failed"?: return "failed after \(of)" + (message.map { ": \($0)" } ?? "")
        case "running"?: return "running or killed after \(of)"
        case "finished"?: return "finished, \(of)"
        default: return "stopped after \(of)"
        }
    }
}
