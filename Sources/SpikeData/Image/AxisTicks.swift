import Foundation

/// "Nice" tick marks for a plot axis: evenly spaced at 1, 2 or 5 times a power of ten,
/// from a multiple of the step at or below the data to one at or above it.
///
/// For data 0…1 the ticks are 0, 0.2, …, 1; for 0.0013…0.0171 they are 0, 0.005, …, 0.02.
public struct AxisTicks: Sendable, Equatable {
    /// The first tick: where the axis starts.
    public let lower: Double
    /// The last tick: where the axis ends.
    public let upper: Double
    /// Distance between ticks.
    public let step: Double
    /// Tick positions from `lower` to `upper`.
    public let values: [Double]
    /// Digits after the decimal point that tell every tick apart.
    public let decimals: Int

    /// Ticks at the smallest 1-2-5 step that covers `low…high` in at most `maxIntervals`
    /// intervals. An empty range (or one too narrow for its magnitude) is widened around its
    /// value; non-finite bounds give 0…1. With `integerSteps` the step is at least 1
    /// (epochs, time steps).
    public init(covering low: Double, _ high: Double, maxIntervals: Int = 6, integerSteps: Bool = false) {
        precondition(maxIntervals >= 1, "an axis needs at least one interval, asked for \(maxIntervals)")
        var low = low, high = high
        if !low.isFinite || !high.isFinite { (low, high) = (0, 1) }
        if low > high { swap(&low, &high) }
        // Keep the span finite and the step representable (powers of ten from 1e-303 up).
        (low, high) = (min(max(low, -1e300), 1e300), min(max(high, -1e300), 1e300))
        let magnitude = max(abs(low), abs(high))
        if high - low <= max(magnitude * 1e-9, 1e-300) {
            let middle = (low + high) / 2
            let pad = abs(middle) < 1e-290 ? 1 : abs(middle) * 0.1
            (low, high) = (middle - pad, middle + pad)
        }
        // Start one decade below the step that would just fit, and walk up 1, 2, 5, 10, 20, …
        var exponent = Int((log10((high - low) / Double(maxIntervals))).rounded(.down)) - 1
        if integerSteps { exponent = max(exponent, 0) }
        var multiplierIndex = 0
        let multipliers = [1, 2, 5]
        while true {
            let multiplier = Double(multipliers[multiplierIndex])
            let step = AxisTicks.tickValue(1, multiplier: multiplier, exponent: exponent)
            // A hair of tolerance so 0.6 / 0.2 = 2.9999999999999996 still counts as 3.
            let first = Int((low / step + 1e-9).rounded(.down))
            let last = Int((high / step - 1e-9).rounded(.up))
            if last - first <= maxIntervals {
                values = (first...last).map { AxisTicks.tickValue($0, multiplier: multiplier, exponent: exponent) }
                self.step = step
                lower = values.first!
                upper = values.last!
                decimals = max(0, -exponent)
                return
            }
            multiplierIndex += 1
            if multiplierIndex == multipliers.count { multiplierIndex = 0; exponent += 1 }
        }
    }

    /// The ticks at `lower, lower + step, …, upper` of a fixed axis range, with a 1-2-5 step
    /// that gives at most `maxIntervals` intervals inside it; the ends need not be ticks.
    public init(inside range: ClosedRange<Double>, maxIntervals: Int = 6, integerSteps: Bool = false) {
        let covering = AxisTicks(covering: range.lowerBound, range.upperBound, maxIntervals: maxIntervals,
                                 integerSteps: integerSteps)
        let tolerance = covering.step * 1e-9
        let inside = covering.values.filter { $0 >= range.lowerBound - tolerance && $0 <= range.upperBound + tolerance }
        lower = range.lowerBound
        upper = range.upperBound > range.lowerBound ? range.upperBound : covering.upper
        step = covering.step
        values = inside
        decimals = covering.decimals
    }

    /// `index × multiplier × 10^exponent`, computed so that short decimals come out exact
    /// (3 × 2 / 10 rather than 3 × 0.2).
    private static func tickValue(_ index: Int, multiplier: Double, exponent: Int) -> Double {
        let scaled = Double(index) * multiplier
        return exponent >= 0 ? scaled * pow(10, Double(exponent)) : scaled / pow(10, Double(-exponent))
    }

    /// The label of each tick.
    public var labels: [String] { values.map(label) }

    /// `value` written with the decimals of this axis ("0.005", "0.010"); very large or very
    /// small ticks use an exponent ("2e-05", "1.5e+06").
    public func label(_ value: Double) -> String {
        let largest = max(abs(lower), abs(upper))
        if largest >= 1e6 || (step < 1e-4 && largest < 1e-3) {
            let digits = max(0, Int(log10(largest).rounded(.down)) - Int(log10(step).rounded(.down)))
            return value == 0 ? "0" : String(format: "%.\(digits)e", value)
        }
        let text = String(format: "%.\(decimals)f", value)
        // "-0.0" reads as a different number from "0.0".
        return text.hasPrefix("-") && text.dropFirst().allSatisfy { $0 == "0" || $0 == "." } ? String(text.dropFirst()) : text
    }
}
