/// "Did you mean …?" for misspelt keys and values.
enum Suggestion {
    /// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let lowered = word.lowercased()
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(lowered, candidate.lowercased())
            if best == nil || distance < best!.distance { best = (candidate, distance) }
        }
        guard let best else { return nil }
        // A third of the longer word, at least 1: 'neuro'→'neuron', 'threshold'→'v_threshold'.
        let limit = max(1, max(word.count, best.candidate.count) / 3)
        if best.distance <= limit { return best.candidate }
        // A prefix or suffix of a longer key ('reset' → 'v_reset') is a likely intent too.
        if lowered.count >= 3,
           let affix = candidates.first(where: { $0.lowercased().hasSuffix(lowered) || $0.lowercased().hasPrefix(lowered) }) {
            return affix
        }
        return nil
    }

    /// Damerau–Levenshtein distance (with adjacent transpositions) between two words.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var table = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { table[i][0] = i }
        for j in 0...y.count { table[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                var d = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { d = min(d, table[i - 2][j - 2] + 1) }
                table[i][j] = d
            }
        }
        return table[x.count][y.count]
    }
}
