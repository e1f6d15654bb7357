import Foundation
import Testing
@testable import SpikeData
import SpikeTensor

@Suite("Sequential CIFAR: one image column per time step")
struct SequentialTests {
    @Test("ImageColumns puts pixel [c, h, t] at [t, c·H + h]")
    func columnLayout() {
        var g = PhiloxGenerator(seed: 0)
        let (c, h, w) = (2, 3, 4)
        let image = Tensor((0..<(c * h * w)).map(Float.init), shape: [c, h, w])
        let seq = ImageColumns()(image, using: &g)
        #expect(seq.shape == [4, 6])
        let out = floatsOf(seq)
        for ci in 0..<c { for hi in 0..<h { for t in 0..<w {
            #expect(out[t * (c * h) + ci * h + hi] == Float((ci * h + hi) * w + t))
        } } }
    }

    @Test("sequential CIFAR-10 of hand-built records: [32, 96] samples, labels kept, values byte/255")
    func sequentialCIFAR10() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let folder = dir.file("cifar-10-batches-bin")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let records = (0..<2).flatMap { handBuiltCIFARRecord($0, labels: [UInt8(3 + $0)]) }
        for name in CIFAR10.fileNames(.test) { _ = dir.write(records, to: "cifar-10-batches-bin/" + name) }
        let seq = try SequentialCIFAR.load(root: dir.path, split: .test, classes: 10)
        #expect(seq.count == 2 && seq.inputShape == [32, 96] && seq.classCount == 10)
        let sample = seq.sample(at: 1)
        #expect(sample.label == 4)
        let x = floatsOf(sample.input)
        // Step t = column t; feature c·32 + h = channel c, row h. Record r pixel (c, y, x) = (7r + 50c + 3y + x) % 256.
        for (t, ch, row) in [(0, 0, 0), (31, 2, 5), (17, 1, 31), (5, 2, 0)] {
            #expect(x[t * 96 + ch * 32 + row] == Float((7 + 50 * ch + 3 * row + t) % 256) / 255)
        }
    }
}
