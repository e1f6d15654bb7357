/// A schedule as checkpoints store it: `/schedule` attributes `kind`, one per parameter, and
/// `last_epoch`.
public struct ScheduleState: Equatable, Sendable {
    /// `constant`, `cosine`, `step` or `multistep`.
    public var kind: String
    /// Configuration by snake_case name (scalars are one-element arrays; `per_iteration` is 0 or 1).
    public var parameters: [String: [Double]]
    /// The 0-based epoch whose rate was last applied (PyTorch's `last_epoch`).
    public var lastEpoch: Int

    /// A state from its parts.
    public init(kind: String, parameters: [String: [Double]], lastEpoch: Int) {
        self.kind = kind
        self.parameters = parameters
        self.lastEpoch = lastEpoch
    }

    /// Every kind `makeSchedule()` understands.
    public static let knownKinds = ["constant", "cosine", "multistep", "step"]

    /// Rebuilds the schedule this state describes.
    public func makeSchedule() throws -> any LearningRateSchedule {
        var reader = ParameterReader(kind: kind, parameters: parameters)
        let schedule: any LearningRateSchedule
        switch kind {
        case "constant":
            let base = try reader.rate("base_lr")
            try reader.finish()
            try reader.check(base >= 0 ? nil : "base_lr must be non-negative, got \(base)")
            schedule = ConstantSchedule(baseLR: base)
        case "cosine":
            let base = try reader.rate("base_lr"), total = try reader.integer("total_epochs")
            let warmup = try reader.integer("warmup_epochs"), start = try reader.rate("warmup_start_lr")
            let low = try reader.rate("min_lr"), granularity = try reader.granularity()
            try reader.finish()
            try reader.check(CosineSchedule.problem(baseLR: base, totalEpochs: total, warmupEpochs: warmup,
                                                    warmupStartLR: start, minLR: low))
            schedule = CosineSchedule(baseLR: base, totalEpochs: total, warmupEpochs: warmup,
                                      warmupStartLR: start, minLR: low, granularity: granularity)
        case "step":
            let base = try reader.rate("base_lr"), size = try reader.integer("step_size")
            let gamma = try reader.rate("gamma"), granularity = try reader.granularity()
            try reader.finish()
            try reader.check(StepSchedule.problem(baseLR: base, stepSize: size, gamma: gamma))
            schedule = StepSchedule(baseLR: base, stepSize: size, gamma: gamma, granularity: granularity)
        case "multistep":
            let base = try reader.rate("base_lr"), milestones = try reader.integers("milestones")
            let gamma = try reader.rate("gamma"), granularity = try reader.granularity()
            try reader.finish()
            try reader.check(MultiStepSchedule.problem(baseLR: base, milestones: milestones, gamma: gamma))
            schedule = MultiStepSchedule(baseLR: base, milestones: milestones, gamma: gamma,
                                         granularity: granularity)
        default:
            throw ScheduleStateError.unknownKind(kind, known: Self.knownKinds)
        }
        return schedule
    }
}

/// Why a `ScheduleState` cannot be turned back into a schedule.
public enum ScheduleStateError: Error, Equatable, CustomStringConvertible {
    /// The kind is not one SpikeLab knows.
    case unknownKind(String, known: [String])
    /// A parameter the kind needs is absent.
    case missingParameter(kind: String, name: String)
    /// A parameter the kind does not use is present.
    case unknownParameter(kind: String, name: String, allowed: [String])
    /// A parameter has the wrong number of values or a value of the wrong sort.
    case invalidParameter(kind: String, name: String, value: [Double], expected: String)
    /// The parameters are individually fine but do not form a valid schedule.
    case invalidConfiguration(kind: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownKind(kind, known):
            "schedule kind '\(kind)' is unknown; known kinds: \(known.joined(separator: ", "))"
        case let .missingParameter(kind, name):
            "\(kind) schedule state lacks parameter '\(name)'"
        case let .unknownParameter(kind, name, allowed):
            "\(kind) schedule state has unknown parameter '\(name)'; allowed: \(allowed.joined(separator: ", "))"
        case let .invalidParameter(kind, name, value, expected):
            "\(kind) schedule parameter '\(name)' is \(value), expected \(expected)"
        case let .invalidConfiguration(kind, reason):
            "\(kind) schedule state is invalid: \(reason)"
        }
    }
}

/// Reads typed values out of a schedule state's parameters, remembering which it used.
private struct ParameterReader {
    let kind: String
    let parameters: [String: [Double]]
    var used: [String] = []

    init(kind: String, parameters: [String: [Double]]) {
        self.kind = kind
        self.parameters = parameters
    }

    mutating func values(_ name: String) throws -> [Double] {
        guard let values = parameters[name] else {
            throw ScheduleStateError.missingParameter(kind: kind, name: name)
        }
        used.append(name)
        return values
    }

    mutating func scalar(_ name: String, expected: String) throws -> Double {
        let values = try values(name)
        guard values.count == 1, values[0].isFinite else {
            throw ScheduleStateError.invalidParameter(kind: kind, name: name, value: values, expected: expected)
        }
        return values[0]
    }

    mutating func rate(_ name: String) throws -> Float {
        Float(try scalar(name, expected: "one finite number"))
    }

    mutating func integer(_ name: String) throws -> Int {
        let value = try scalar(name, expected: "one whole number")
        guard value.rounded() == value, abs(value) < 1e15 else {
            throw ScheduleStateError.invalidParameter(kind: kind, name: name, value: [value], expected: "one whole number")
        }
        return Int(value)
    }

    mutating func integers(_ name: String) throws -> [Int] {
        let values = try values(name)
        guard values.allSatisfy({ $0.isFinite && $0.rounded() == $0 && abs($0) < 1e15 }) else {
            throw ScheduleStateError.invalidParameter(kind: kind, name: name, value: values, expected: "whole numbers")
        }
        return values.map { Int($0) }
    }

    mutating func granularity() throws -> ScheduleGranularity {
        switch try scalar("per_iteration", expected: "0 (per epoch) or 1 (per iteration)") {
        case 0: return .epoch
        case 1: return .iteration
        default:
            throw ScheduleStateError.invalidParameter(kind: kind, name: "per_iteration", value: parameters["per_iteration"]!,
                                                      expected: "0 (per epoch) or 1 (per iteration)")
        }
    }

    /// Throws if the state has parameters nothing read.
    func finish() throws {
        if let extra = parameters.keys.sorted().first(where: { !used.contains($0) }) {
            throw ScheduleStateError.unknownParameter(kind: kind, name: extra, allowed: used.sorted())
        }
    }

    /// Throws `invalidConfiguration` when `problem` is not nil.
    func check(_ problem: String?) throws {
        if let problem { throw ScheduleStateError.invalidConfiguration(kind: kind, reason: problem) }
    }
}
