/// A stream of camera events, struct-of-arrays: event `i` is pixel (`x[i]`, `y[i]`) changing
/// brightness at `t[i]` microseconds, brighter (`polarity[i] == 1`, ON) or darker (0, OFF).
///
/// Readers return events in file order, which for every supported format is time order.
public struct Events: Equatable, Sendable {
    /// Column of each event (0 = left).
    public var x: [UInt16]
    /// Row of each event (0 = top).
    public var y: [UInt16]
    /// Timestamp of each event in microseconds.
    public var t: [Int64]
    /// 1 for ON (brighter), 0 for OFF (darker).
    public var polarity: [UInt8]

    /// Events from four arrays of equal length; polarities must be 0 or 1.
    public init(x: [UInt16], y: [UInt16], t: [Int64], polarity: [UInt8]) {
        precondition(x.count == y.count && y.count == t.count && t.count == polarity.count,
                     "Events: x, y, t, polarity must have one entry per event, got \(x.count), \(y.count), \(t.count), \(polarity.count)")
        precondition(polarity.allSatisfy { $0 <= 1 }, "Events: polarity must be 0 or 1")
        self.x = x
        self.y = y
        self.t = t
        self.polarity = polarity
    }

    /// No events.
    public init() { self.init(x: [], y: [], t: [], polarity: []) }

    /// Room for `capacity` events without reallocation.
    public mutating func reserveCapacity(_ capacity: Int) {
        x.reserveCapacity(capacity)
        y.reserveCapacity(capacity)
        t.reserveCapacity(capacity)
        polarity.reserveCapacity(capacity)
    }

    /// Appends one event.
    @inline(__always)
    public mutating func append(x: UInt16, y: UInt16, t: Int64, polarity: UInt8) {
        self.x.append(x)
        self.y.append(y)
        self.t.append(t)
        self.polarity.append(polarity)
    }

    /// Number of events.
    public var count: Int { t.count }
    /// True when there are no events.
    public var isEmpty: Bool { t.isEmpty }

    /// The events at positions `range`, in order.
    public func slice(_ range: Range<Int>) -> Events {
        Events(x: Array(x[range]), y: Array(y[range]), t: Array(t[range]), polarity: Array(polarity[range]))
    }

    /// The events with `start <= t < end` (DVS128 Gesture's sample windows), in order.
    public func window(from start: Int64, to end: Int64) -> Events {
        var out = Events()
        for i in 0..<count where t[i] >= start && t[i] < end {
            out.append(x: x[i], y: y[i], t: t[i], polarity: polarity[i])
        }
        return out
    }

    /// Fraction of ON events (0 when empty).
    public var onFraction: Double {
        isEmpty ? 0 : Double(polarity.reduce(0) { $0 + Int($1) }) / Double(count)
    }

    /// True when the timestamps never decrease.
    public var isTimeOrdered: Bool {
        zip(t, t.dropFirst()).allSatisfy { $0 <= $1 }
    }
}

/// Width and height of an event camera's pixel array.
public struct SensorSize: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    /// A `width × height` sensor.
    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0, "sensor size must be positive, got \(width)×\(height)")
        self.width = width
        self.height = height
    }

    /// N-MNIST's ATIS crop: 34 × 34.
    public static let nmnist = SensorSize(width: 34, height: 34)
    /// The DVS128 camera (CIFAR10-DVS, DVS128 Gesture): 128 × 128.
    public static let dvs128 = SensorSize(width: 128, height: 128)

    public var description: String { "\(width)×\(height)" }
}

extension Events {
    /// Throws unless every event lies on `sensor`, naming `file` and the first bad event.
    public func checkBounds(_ sensor: SensorSize, file: String) throws {
        for i in 0..<count where Int(x[i]) >= sensor.width || Int(y[i]) >= sensor.height {
            throw DataError.inconsistent(file: file, reason:
                "event \(i) is at (x \(x[i]), y \(y[i])), outside the \(sensor) sensor (x 0..<\(sensor.width), y 0..<\(sensor.height))")
        }
    }

    /// Throws unless the timestamps never decrease, naming `file` and the first event out of order.
    public func checkTimeOrder(file: String) throws {
        for k in 1..<max(count, 1) where t[k] < t[k - 1] {
            throw DataError.inconsistent(file: file, reason:
                "event \(k) has timestamp \(t[k]) µs, before event \(k - 1) at \(t[k - 1]) µs; expected time order")
        }
    }
}
