import Foundation
import SpikeData
import SpikeTensor

/// Fashion-MNIST events in N-MNIST's format: real Fashion-MNIST images (Debian's
/// `dataset-fashion-mnist`) moved along three saccades in front of a simulated event camera
/// (`SaccadeEventCamera`), written as `nmnist/Train/<class>/<index>.bin` and `Test/…`.
public struct NMNISTDemoSet: DemoSet {
    public let name = "nmnist"
    public let summary = "Fashion-MNIST images seen by a simulated event camera making three saccades, in N-MNIST .bin format (34×34)"
    public let folder = "nmnist"
    /// Where the Fashion-MNIST IDX files are read from.
    public var fashionRoot = FashionMNIST.defaultRoot
    /// Samples drawn from the Fashion-MNIST training set.
    public var trainCount = 1000
    /// Samples drawn from the Fashion-MNIST test set.
    public var testCount = 200
    /// The camera.
    public var camera = SaccadeEventCamera()
    /// Version of the generator; a change makes existing sets incomplete.
    static let generatorVersion = 1

    public init() {}

    /// The text of `demo.txt`, which marks a complete set.
    func stamp(seed: UInt64) -> String {
        "spikelab demo nmnist v\(Self.generatorVersion) seed \(seed) train \(trainCount) test \(testCount)\n"
    }

    public func isComplete(root: String, seed: UInt64) -> Bool {
        let base = root + "/" + folder
        guard (try? String(contentsOfFile: base + "/demo.txt", encoding: .utf8)) == stamp(seed: seed) else { return false }
        return countFiles(base + "/Train") == trainCount && countFiles(base + "/Test") == testCount
    }

    public func make(root: String, seed: UInt64, progress: (String) -> Void) throws {
        let base = root + "/" + folder
        let manager = FileManager.default
        try? manager.removeItem(atPath: base + "/demo.txt")
        for split in DataSplit.allCases {
            let images = try FashionMNIST.load(root: fashionRoot, split: split)
            let count = split == .train ? trainCount : testCount
            precondition(count <= images.count, "asked for \(count) of \(images.count) images")
            // The first `count` of a seeded permutation, in index order.
            var generator = PhiloxGenerator(seed: seed, stream: split == .train ? 0x5EED_0001 : 0x5EED_0002)
            let chosen = Self.permutationPrefix(images.count, count, &generator)
            let directory = base + "/" + NMNIST.folder(split)
            try? manager.removeItem(atPath: directory)
            try DataError.createDirectories((0..<10).map { directory + "/\($0)" })
            let errors = SendableErrors()
            let camera = self.camera
            let workers = max(1, min(Threads.count, count))
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var pixels = [Float](repeating: 0, count: 28 * 28)
                for k in stride(from: worker, to: count, by: workers) {
                    let index = chosen[k]
                    pixels.withUnsafeMutableBufferPointer { images.writeInput(at: index, to: $0.baseAddress!) }
                    let events = camera.record(pixels, width: 28, height: 28, seed: seed,
                                               stream: UInt64(split == .train ? 0 : 1) << 32 | UInt64(index))
                    let path = directory + "/\(images.label(at: index))/" + String(format: "%05d.bin", index)
                    do { try NMNISTBinary.write(events, to: path) } catch { errors.add(error) }
                }
            }
            if let error = errors.first { throw error }
            progress("\(split.rawValue): \(count) recordings from Fashion-MNIST \(split.rawValue) images")
        }
        do {
            try stamp(seed: seed).write(toFile: base + "/demo.txt", atomically: true, encoding: .utf8)
        } catch {
            throw DataError.unwritable(file: base + "/demo.txt", reason: error.localizedDescription)
        }
    }

    /// Ascending first `count` entries of a seeded permutation of `0..<n` (partial Fisher–Yates).
    static func permutationPrefix(_ n: Int, _ count: Int, _ generator: inout PhiloxGenerator) -> [Int] {
        var values = Array(0..<n)
        for i in 0..<count {
            let j = i + generator.nextIndex(below: n - i)
            values.swapAt(i, j)
        }
        return values[0..<count].sorted()
    }

    private func countFiles(_ directory: String) -> Int {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return -1 }
        return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".bin") }.count
    }
}

/// Errors collected from worker threads.
final class SendableErrors: @unchecked Sendable {
    // @unchecked: `errors` is only touched under `lock`.
    private var errors: [Error] = []
    private let lock = NSLock()
    func add(_ error: Error) { lock.lock(); errors.append(error); lock.unlock() }
    var first: Error? { lock.lock(); defer { lock.unlock() }; return errors.first }
}
