import Foundation
import Testing
@testable import SpikeData

private let fixtureDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

@Suite("SHD files and spike binning")
struct SHDTests {
    @Test("the h5py-made SHD fixture reads back value by value (float64 times, u16 units, strings)")
    func h5pyFixture() throws {
        let contents = try SHDFile.read(contentsOf: fixtureDirectory + "/shd_fixture.h5")
        #expect(contents.count == 3)
        #expect(contents.times == [[0.0, 0.0125, 0.5, 0.75], [0.25], []])
        #expect(contents.units == [[0, 699, 3, 3], [42], []])
        #expect(contents.labels == [7, 19, 0])
        #expect(contents.speakers == [2, 0, 1])
        #expect(contents.keys == SHDFile.classNames)
        #expect(contents.speakerInfo == SHDFile.SpeakerInfo(age: [31, 24, 45], gender: ["female", "male", "female"],
                                                             bodyHeight: [1.68, 1.80, 1.62]))
    }

    @Test("the writer's file reads back unchanged, and the fixture loads as an SHD dataset")
    func roundTrip() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let contents = SHDFile.Contents(times: [[0.001, 0.002, 0.9], [], [0.5]], units: [[1, 2, 699], [], [0]],
                                        labels: [3, 12, 0], speakers: [0, 1, 1],
                                        speakerInfo: .init(age: [20, 30], gender: ["m", "f"], bodyHeight: [1.7, 1.6]))
        try SHDFile.write(contents, to: dir.file("shd_train.h5"))
        #expect(try SHDFile.read(contentsOf: dir.file("shd_train.h5")) == contents)
        #expect(try SHDFile.readLabels(contentsOf: dir.file("shd_train.h5")) == [3, 12, 0])
        try FileManager.default.copyItem(atPath: fixtureDirectory + "/shd_fixture.h5", toPath: dir.file("shd_test.h5"))
        let test = try SHD.load(root: dir.path, split: .test, timeSteps: 4, binning: .time)
        #expect(test.count == 3 && test.inputShape == [4, 700] && test.classCount == 20)
        #expect(test.labelArray == [7, 19, 0])
        let input = test.sample(at: 0).input
        let sample = withExtendedLifetime(input) { Array(input.floats) }
        // Times 0, 12 500, 500 000, 750 000 µs: dt = 187 500 → frames 0, 0, 2, 3 (units 0, 699, 3, 3).
        #expect(sample[0 * 700 + 0] == 1 && sample[0 * 700 + 699] == 1 && sample[2 * 700 + 3] == 1
                && sample[3 * 700 + 3] == 1)
        #expect(sample.reduce(0, +) == 4)
        let empty = test.sample(at: 2).input
        #expect(withExtendedLifetime(empty) { empty.floats.allSatisfy { $0 == 0 } })
    }

    @Test("binning by time, number and duration matches frames computed by hand")
    func binningByHand() {
        // 6 spikes at 0, 0.1, 0.15, 0.3, 0.31, 1.0 s on channels 0, 1, 1, 2, 0, 3 (4 channels).
        let times: [Float] = [0, 0.1, 0.15, 0.3, 0.31, 1.0], units: [UInt16] = [0, 1, 1, 2, 0, 3]
        // time, T = 4: dt = ⌊1 000 000 / 4⌋ = 250 000 µs → frames 0,0,0,1,1,3 (1.0 s is the end, last frame).
        #expect(SpikeTrainBinning.time.frames(times: times, units: units, timeSteps: 4, channels: 4) == [
            1, 2, 0, 0,
            1, 0, 1, 0,
            0, 0, 0, 0,
            0, 0, 0, 1])
        // number, T = 4: ⌊6/4⌋ = 1 spike per frame, the last runs to the end → spikes 0 | 1 | 2 | 3,4,5.
        #expect(SpikeTrainBinning.number.frames(times: times, units: units, timeSteps: 4, channels: 4) == [
            1, 0, 0, 0,
            0, 1, 0, 0,
            0, 1, 0, 0,
            1, 0, 1, 1])
        // duration 120 ms, T = 3: frames ⌊t/0.12⌋ = 0,0,1,2,2,8 → the spike at 1.0 s is dropped.
        #expect(SpikeTrainBinning.duration(microseconds: 120_000).frames(times: times, units: units, timeSteps: 3,
                                                                         channels: 4) == [
            1, 1, 0, 0,
            0, 1, 0, 0,
            1, 0, 1, 0])
        // Fewer spikes than frames (number) and a zero span (time) put everything in the last frame.
        #expect(SpikeTrainBinning.number.frames(times: [0.2], units: [1], timeSteps: 2, channels: 2) == [0, 0, 0, 1])
        #expect(SpikeTrainBinning.time.frames(times: [0.2, 0.2], units: [0, 1], timeSteps: 2, channels: 2) == [0, 0, 1, 1])
        #expect(SpikeTrainBinning.time.frames(times: [], units: [], timeSteps: 2, channels: 2) == [0, 0, 0, 0])
    }

    @Test("bad spikes, labels and layouts are errors naming the file, the sample and what is allowed")
    func badContents() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let path = dir.file("bad.h5")
        try SHDFile.write(.init(times: [[0.1], [0.2, 0.3]], units: [[5], [700, 1]], labels: [0, 1]), to: path)
        #expect(throws: DataError.inconsistent(file: path, reason: "sample 1, spike 0 has unit 700, expected 0..<700")) {
            try SHDFile.read(contentsOf: path)
        }
        try SHDFile.write(.init(times: [[0.1]], units: [[5]], labels: [25]), to: path)
        #expect(throws: DataError.inconsistent(file: path, reason: "sample 0 has label 25, expected 0..<20")) {
            try SHDFile.read(contentsOf: path)
        }
        try SHDFile.write(.init(times: [[0.1, -0.5]], units: [[5, 6]], labels: [1]), to: path)
        #expect(throws: DataError.inconsistent(file: path, reason: "sample 0, spike 1 has time -0.5 s, expected a finite time ≥ 0")) {
            try SHDFile.read(contentsOf: path)
        }
        // Times and units of different lengths, written through the HDF5 wrapper directly.
        let file = try HDF5File.create(path: path)
        try file.writeSequences([[Float(0.1), 0.2]], at: "spikes/times")
        try file.writeSequences([[UInt16(1)]], at: "spikes/units")
        try file.writeArray([UInt16(0)], at: "labels")
        try file.close()
        #expect(throws: DataError.inconsistent(file: path, reason: "sample 0 has 2 spike times but 1 units; they must pair up")) {
            try SHDFile.read(contentsOf: path)
        }
        // Negative units stored as i32 are reported, not saturated into range.
        let signed = try HDF5File.create(path: path)
        try signed.writeSequences([[Float(0.1)]], at: "spikes/times")
        try signed.writeSequences([[Int32(-3)]], at: "spikes/units")
        try signed.writeArray([UInt16(0)], at: "labels")
        try signed.close()
        #expect(throws: DataError.inconsistent(file: path, reason: "sample 0, spike 0 has unit -3, expected 0..<700")) {
            try SHDFile.read(contentsOf: path)
        }
        let noLabels = try HDF5File.create(path: path)
        try noLabels.writeSequences([[Float(0.1)]], at: "spikes/times")
        try noLabels.writeSequences([[UInt16(1)]], at: "spikes/units")
        try noLabels.close()
        #expect(throws: DataError.inconsistent(file: path, reason:
            "has no dataset /labels; an SHD file holds /spikes/times, /spikes/units and /labels")) {
            try SHDFile.read(contentsOf: path)
        }
    }

    @Test("truncated, foreign and missing files are clean errors, never a crash")
    func damagedFiles() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let good = dir.file("good.h5")
        try SHDFile.write(.init(times: [[0.1, 0.2]], units: [[1, 2]], labels: [0]), to: good)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        for keep in [8, bytes.count / 3, bytes.count / 2, bytes.count - 200] {
            let cut = dir.file("cut\(keep).h5")
            try bytes.prefix(keep).write(to: URL(fileURLWithPath: cut))
            #expect(throws: DataError.self, "kept \(keep) of \(bytes.count) bytes") { try SHDFile.read(contentsOf: cut) }
        }
        let text = dir.write(Array("not hdf5 at all".utf8), to: "text.h5")
        #expect(throws: DataError.badMagic(file: text, offset: 0, found: "no HDF5 signature",
                                           expected: "an HDF5 file (signature 89 48 44 46 0d 0a 1a 0a)")) {
            try SHDFile.read(contentsOf: text)
        }
        #expect(throws: DataError.missingFiles(root: dir.path, expected: ["shd_train.h5", "shd_test.h5"],
                                               missing: ["shd_train.h5"],
                                               note: "SHD ships as shd_train.h5.gz and shd_test.h5.gz; gunzip them into \(dir.path)")) {
            try SHD.load(root: dir.path, split: .train, timeSteps: 15)
        }
    }
}
