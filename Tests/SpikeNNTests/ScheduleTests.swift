import Foundation
import Testing
@testable import SpikeNN

/// Expects `actual` within a relative `tolerance` of `expected`.
private func expectRate(_ actual: Float, _ expected: Double, tolerance: Double = 1e-6,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(abs(Double(actual) - expected) <= tolerance * max(abs(expected), 1e-12),
            "got \(actual), expected \(expected)", sourceLocation: sourceLocation)
}

@Suite("Learning-rate schedules")
struct ScheduleTests {
    @Test("cosine with warm-up: warm-up endpoints, cosine midpoint and end")
    func cosineWithWarmup() {
        let s = CosineSchedule(baseLR: 0.1, totalEpochs: 10, warmupEpochs: 2, warmupStartLR: 0.01, minLR: 0.001)
        expectRate(s.learningRate(epoch: 0), 0.01)                 // warm-up starts at warmupStartLR
        expectRate(s.learningRate(epoch: 1), 0.01 + 0.09 * 1 / 2)  // halfway up: 0.055
        expectRate(s.learningRate(epoch: 2), 0.1)                  // warm-up ends at baseLR
        expectRate(s.learningRate(epoch: 6), (0.1 + 0.001) / 2)    // midpoint of 8 cosine epochs
        expectRate(s.learningRate(epoch: 10), 0.001)               // the end is minLR
        expectRate(s.learningRate(epoch: 15), 0.001)               // and it stays there
        // After warm-up it is CosineAnnealingLR(T_max = 8, eta_min = 0.001) shifted by 2 epochs.
        for e in 2...10 {
            expectRate(s.learningRate(epoch: e), 0.001 + (0.1 - 0.001) * (1 + cos(Double.pi * Double(e - 2) / 8)) / 2)
        }
        // Per-epoch: the iteration inside the epoch does not matter.
        #expect(s.learningRate(epoch: 3, step: 7, stepsPerEpoch: 10) == s.learningRate(epoch: 3))
    }

    @Test("cosine without warm-up starts at baseLR and halves at the middle")
    func cosineWithoutWarmup() {
        let s = CosineSchedule(baseLR: 0.2, totalEpochs: 4)
        #expect(s.learningRate(epoch: 0) == 0.2)
        expectRate(s.learningRate(epoch: 1), 0.2 * (1 + cos(Double.pi / 4)) / 2)
        expectRate(s.learningRate(epoch: 2), 0.1)
        #expect(s.learningRate(epoch: 4) == 0)
    }

    @Test("per-iteration cosine samples the same curve at every step")
    func cosinePerIteration() {
        let s = CosineSchedule(baseLR: 0.1, totalEpochs: 3, warmupEpochs: 1, warmupStartLR: 0,
                               minLR: 0.02, granularity: .iteration)
        #expect(s.learningRate(epoch: 0, step: 0, stepsPerEpoch: 4) == 0)
        expectRate(s.learningRate(epoch: 0, step: 2, stepsPerEpoch: 4), 0.05)  // 2 of 4 warm-up steps
        expectRate(s.learningRate(epoch: 1, step: 0, stepsPerEpoch: 4), 0.1)
        expectRate(s.learningRate(epoch: 2, step: 0, stepsPerEpoch: 4), 0.06)  // 4 of 8 cosine steps
        expectRate(s.learningRate(epoch: 1, step: 1, stepsPerEpoch: 4), 0.02 + 0.08 * (1 + cos(Double.pi / 8)) / 2)
    }

    @Test("step schedule decays by gamma exactly at multiples of stepSize")
    func stepBoundaries() {
        let s = StepSchedule(baseLR: 0.1, stepSize: 30)
        expectRate(s.learningRate(epoch: 0), 0.1)
        expectRate(s.learningRate(epoch: 29), 0.1)
        expectRate(s.learningRate(epoch: 30), 0.01)
        expectRate(s.learningRate(epoch: 59), 0.01)
        expectRate(s.learningRate(epoch: 60), 0.001)
        let halving = StepSchedule(baseLR: 1, stepSize: 2, gamma: 0.5, granularity: .iteration)
        #expect(halving.learningRate(epoch: 1, step: 9, stepsPerEpoch: 10) == 1)
        #expect(halving.learningRate(epoch: 2, step: 0, stepsPerEpoch: 10) == 0.5)
    }

    @Test("multistep schedule decays at each milestone, sorted, and twice at a repeated one")
    func multiStepBoundaries() {
        let s = MultiStepSchedule(baseLR: 0.1, milestones: [80, 30])
        #expect(s.milestones == [30, 80])
        expectRate(s.learningRate(epoch: 29), 0.1)
        expectRate(s.learningRate(epoch: 30), 0.01)
        expectRate(s.learningRate(epoch: 79), 0.01)
        expectRate(s.learningRate(epoch: 80), 0.001)
        expectRate(s.learningRate(epoch: 500), 0.001)
        let repeated = MultiStepSchedule(baseLR: 1, milestones: [3, 3], gamma: 0.5)
        #expect(repeated.learningRate(epoch: 2) == 1)
        #expect(repeated.learningRate(epoch: 3) == 0.25)
    }

    @Test("constant schedule never changes")
    func constant() {
        let s = ConstantSchedule(baseLR: 0.03)
        #expect(s.learningRate(epoch: 0) == 0.03)
        #expect(s.learningRate(epoch: 1000, step: 5, stepsPerEpoch: 9) == 0.03)
    }

    @Test("a schedule state rebuilds the same schedule")
    func stateRoundTrip() throws {
        let schedules: [any LearningRateSchedule] = [
            ConstantSchedule(baseLR: 0.3),
            CosineSchedule(baseLR: 0.1, totalEpochs: 300, warmupEpochs: 5, warmupStartLR: 1e-4, minLR: 1e-5,
                           granularity: .iteration),
            StepSchedule(baseLR: 0.1, stepSize: 7, gamma: 0.3),
            MultiStepSchedule(baseLR: 0.05, milestones: [150, 225], gamma: 0.2),
        ]
        for schedule in schedules {
            let state = schedule.exportState(lastEpoch: 41)
            #expect(state.lastEpoch == 41)
            let rebuilt = try state.makeSchedule()
            #expect(rebuilt.exportState(lastEpoch: 41) == state)
            for epoch in [0, 3, 5, 41, 160, 299] {
                for step in [0, 17] {
                    #expect(rebuilt.learningRate(epoch: epoch, step: step, stepsPerEpoch: 20)
                        == schedule.learningRate(epoch: epoch, step: step, stepsPerEpoch: 20))
                }
            }
        }
    }

    @Test("a bad schedule state is refused with a message naming the problem")
    func badStates() {
        #expect(throws: ScheduleStateError.unknownKind("linear", known: ScheduleState.knownKinds)) {
            try ScheduleState(kind: "linear", parameters: [:], lastEpoch: 0).makeSchedule()
        }
        var cosine = CosineSchedule(baseLR: 0.1, totalEpochs: 10).exportState(lastEpoch: 0)
        cosine.parameters["min_lr"] = nil
        let missing = ScheduleStateError.missingParameter(kind: "cosine", name: "min_lr")
        #expect(throws: missing) { try cosine.makeSchedule() }
        #expect(missing.description == "cosine schedule state lacks parameter 'min_lr'")
        cosine.parameters["min_lr"] = [0]
        cosine.parameters["warmup_epochs"] = [10]
        #expect(throws: ScheduleStateError.invalidConfiguration(
            kind: "cosine", reason: "total_epochs (10) must exceed warmup_epochs (10)")) {
            try cosine.makeSchedule()
        }
        cosine.parameters["warmup_epochs"] = [1.5]
        #expect(throws: ScheduleStateError.invalidParameter(kind: "cosine", name: "warmup_epochs", value: [1.5],
                                                            expected: "one whole number")) {
            try cosine.makeSchedule()
        }
        var step = StepSchedule(baseLR: 0.1, stepSize: 3).exportState(lastEpoch: 0)
        step.parameters["momentum"] = [0.9]
        #expect(throws: ScheduleStateError.unknownParameter(
            kind: "step", name: "momentum", allowed: ["base_lr", "gamma", "per_iteration", "step_size"])) {
            try step.makeSchedule()
        }
    }
}
