import Foundation

/// The seeds of `spikelab tables --seeds 0,1,2`, parsed and checked.
public enum SeedList {
    /// Why a `--seeds` argument is refused.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Parses a comma-separated list of distinct seeds, each an integer >= 0 (what the manifest
    /// key `seed` allows), in the order written. Spaces around an item are ignored. An empty
    /// list, an empty item, a negative or non-integer item and a repeated seed are refused with
    /// a message naming the item and what is allowed.
    public static func parse(_ text: String) throws(ParseError) -> [Int] {
        let example = "e.g. --seeds 0,1,2"
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ParseError(message: "--seeds: the list is empty; give one or more seeds (integers >= 0) separated by commas, \(example)")
        }
        var seeds: [Int] = []
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        for (index, raw) in items.enumerated() {
            let item = raw.trimmingCharacters(in: .whitespaces)
            let which = "item \(index + 1) of '\(text)'"
            guard !item.isEmpty else {
                throw ParseError(message: "--seeds: \(which) is empty; separate seeds by single commas, \(example)")
            }
            if item.hasPrefix("-"), item.dropFirst().allSatisfy(\.isASCIIDigit), item.count > 1 {
                throw ParseError(message: "--seeds: \(which) is \(item), a negative number; a seed is an integer >= 0 (the manifest key seed), \(example)")
            }
            guard item.allSatisfy(\.isASCIIDigit), let seed = Int(item) else {
                let reason = item.allSatisfy(\.isASCIIDigit) ? "too large for a seed" : "not an integer"
                throw ParseError(message: "--seeds: \(which) is '\(item)', \(reason); a seed is an integer >= 0 (the manifest key seed), \(example)")
            }
            if seeds.contains(seed) {
                throw ParseError(message: "--seeds: seed \(seed) is listed twice in '\(text)'; list each seed once")
            }
            seeds.append(seed)
        }
        return seeds
    }

    /// The list as `--seeds` takes it: "0,1,2".
    public static func argument(_ seeds: [Int]) -> String {
        seeds.map(String.init).joined(separator: ",")
    }
}

private extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

/// A row's reproduced metric over several seeds: each seed's value, their mean and sample
/// standard deviation over the seeds whose run finished, and which seeds lack one.
public struct SeedSpread: Sendable, Equatable {
    /// The seeds asked for, in order.
    public let seeds: [Int]
    /// Each seed's run status, in the order of `seeds`.
    public let statuses: [RunRecord.Status]
    /// Each seed's reproduced value when its run is done (a partial run's best-so-far is not
    /// comparable and is left out), in the order of `seeds`.
    public let values: [Double?]

    public init(seeds: [Int], statuses: [RunRecord.Status], values: [Double?]) {
        precondition(seeds.count == statuses.count && seeds.count == values.count, "one status and value per seed")
        self.seeds = seeds
        self.statuses = statuses
        self.values = zip(statuses, values).map { $0 == .done ? $1 : nil }
    }

    /// The values that count: those of finished runs.
    public var known: [Double] { values.compactMap { $0 } }

    /// How many seeds have a finished run with a value.
    public var n: Int { known.count }

    /// The mean of the known values; nil when there is none.
    public var mean: Double? {
        n == 0 ? nil : known.reduce(0, +) / Double(n)
    }

    /// The sample standard deviation (divisor n − 1) of the known values; nil below two.
    public var standardDeviation: Double? {
        guard n >= 2, let mean else { return nil }
        let squares = known.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (squares / Double(n - 1)).squareRoot()
    }

    /// Seeds whose run directory holds nothing.
    public var missingSeeds: [Int] { seeds(with: .missing) }
    /// Seeds whose run has not finished (running, interrupted, failed).
    public var partialSeeds: [Int] { seeds(with: .partial) }

    /// "done" when every seed's run finished, else which seeds are missing or partial:
    /// "missing 1, 2", "partial 1; missing 2". A finished run without the metric (NaN) counts
    /// as "no value".
    public var statusText: String {
        var parts: [String] = []
        let list = { (seeds: [Int]) in seeds.map(String.init).joined(separator: ", ") }
        if !partialSeeds.isEmpty { parts.append("partial " + list(partialSeeds)) }
        if !missingSeeds.isEmpty { parts.append("missing " + list(missingSeeds)) }
        let valueless = zip(seeds, zip(statuses, values)).filter { $1.0 == .done && $1.1 == nil }.map(\.0)
        if !valueless.isEmpty { parts.append("no value " + list(valueless)) }
        return parts.isEmpty ? "done" : parts.joined(separator: "; ")
    }

    private func seeds(with status: RunRecord.Status) -> [Int] {
        zip(seeds, statuses).filter { $1 == status }.map(\.0)
    }
}
