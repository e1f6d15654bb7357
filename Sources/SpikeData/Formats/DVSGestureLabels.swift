import Foundation

/// The side files of DVS128 Gesture: `userNN_<lighting>_labels.csv` (header
/// `class,startTime_usec,endTime_usec`, one gesture per row, classes 1–11) and the trial lists
/// `trials_to_train.txt` / `trials_to_test.txt` (one `.aedat` file name per line).
public enum DVSGestureLabels {
    /// One labelled gesture: events with `start <= t < end` belong to it.
    public struct Gesture: Equatable, Sendable {
        /// Class index 0–10 (the file's 1–11 minus one).
        public var label: Int32
        /// First microsecond of the gesture.
        public var start: Int64
        /// First microsecond after it.
        public var end: Int64

        public init(label: Int32, start: Int64, end: Int64) {
            self.label = label
            self.start = start
            self.end = end
        }
    }

    /// Number of gesture classes.
    public static let classCount = 11
    /// The CSV header line.
    public static let csvHeader = "class,startTime_usec,endTime_usec"

    /// The gestures of the labels file at `path`.
    public static func readCSV(contentsOf path: String) throws -> [Gesture] {
        try parseCSV(String(decoding: readWholeFile(path), as: UTF8.self), file: path)
    }

    /// The gestures of a labels CSV `text`; `file` names it in errors (with the line number).
    public static func parseCSV(_ text: String, file: String) throws -> [Gesture] {
        var gestures: [Gesture] = []
        var sawHeader = false
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let lineNumber = index + 1
            if !sawHeader {
                guard line == csvHeader else {
                    throw DataError.inconsistent(file: file, reason: "line \(lineNumber): found '\(line)', expected the header '\(csvHeader)'")
                }
                sawHeader = true
                continue
            }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 3, let label = Int32(fields[0]), let start = Int64(fields[1]), let end = Int64(fields[2]) else {
                throw DataError.inconsistent(file: file, reason: "line \(lineNumber): found '\(line)', expected three integers class,startTime_usec,endTime_usec")
            }
            guard (1...Int32(classCount)).contains(label) else {
                throw DataError.inconsistent(file: file, reason: "line \(lineNumber): class \(label), expected 1...\(classCount)")
            }
            guard start < end else {
                throw DataError.inconsistent(file: file, reason: "line \(lineNumber): start \(start) µs is not before end \(end) µs")
            }
            gestures.append(Gesture(label: label - 1, start: start, end: end))
        }
        if !sawHeader {
            throw DataError.inconsistent(file: file, reason: "empty labels file, expected the header '\(csvHeader)'")
        }
        return gestures
    }

    /// The CSV text of `gestures` (labels written back as 1–11), with `\r\n` line ends as published.
    public static func encodeCSV(_ gestures: [Gesture]) -> String {
        ([csvHeader] + gestures.map { "\($0.label + 1),\($0.start),\($0.end)" }).joined(separator: "\r\n") + "\r\n"
    }

    /// The `.aedat` names listed in a trials file at `path`, in order.
    public static func readTrials(contentsOf path: String) throws -> [String] {
        let text = String(decoding: try readWholeFile(path), as: UTF8.self)
        var names: [String] = []
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if name.isEmpty { continue }
            guard name.hasSuffix(".aedat"), !name.contains("/") else {
                throw DataError.inconsistent(file: path, reason: "line \(index + 1): '\(name)' is not an .aedat file name")
            }
            names.append(name)
        }
        return names
    }
}
