import Foundation
import Testing
@testable import SpikeData
import SpikeTensor

@Suite("Augmentations")
struct TransformTests {
    /// A 1×3×3 image holding 1…9 row by row.
    let image = Tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], shape: [1, 3, 3])

    func crop(_ t: RandomCrop, _ input: Tensor, top: Int, left: Int) -> [Float] {
        let out = Tensor(shape: t.outputShape(for: input.shape))
        t.crop(input.floats.baseAddress!, shape: input.shape, top: top, left: left, to: out.floats.baseAddress!)
        return out.array
    }

    @Test("crop offsets in padded coordinates give the hand-computed windows")
    func cropOffsets() {
        let t = RandomCrop(size: 3, padding: 1)
        #expect(crop(t, image, top: 0, left: 0) == [0, 0, 0, 0, 1, 2, 0, 4, 5])
        #expect(crop(t, image, top: 1, left: 1) == [1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(crop(t, image, top: 2, left: 2) == [5, 6, 0, 8, 9, 0, 0, 0, 0])
        #expect(crop(t, image, top: 0, left: 2) == [0, 0, 0, 2, 3, 0, 5, 6, 0])
        let small = RandomCrop(height: 2, width: 1)
        #expect(crop(small, image, top: 1, left: 2) == [6, 9])
        // Padding wider than the crop: a window entirely in the zero border.
        let wide = RandomCrop(size: 2, padding: 3)
        #expect(crop(wide, image, top: 0, left: 0) == [0, 0, 0, 0])
        #expect(crop(wide, image, top: 2, left: 3) == [0, 0, 1, 2])
        #expect(crop(wide, image, top: 3, left: 2) == [0, 1, 0, 4])
    }

    @Test("random crops draw every valid offset, each result one of the fixed windows")
    func randomCropOffsets() {
        let t = RandomCrop(size: 3, padding: 1)
        var windows: [[Float]: Int] = [:]
        for top in 0...2 { for left in 0...2 { windows[crop(t, image, top: top, left: left)] = 0 } }
        for s in 0..<400 {
            var g = PhiloxGenerator(seed: 11, stream: UInt64(s))
            let out = t(image, using: &g).array
            #expect(windows[out] != nil)
            windows[out, default: 0] += 1
        }
        #expect(windows.count == 9 && windows.values.allSatisfy { $0 > 20 })
    }

    @Test("horizontal flip mirrors each row; p = 0.5 flips about half the samples")
    func flip() {
        var g = PhiloxGenerator(seed: 1)
        #expect(HorizontalFlip(probability: 1)(image, using: &g).array == [3, 2, 1, 6, 5, 4, 9, 8, 7])
        #expect(HorizontalFlip(probability: 0)(image, using: &g).array == image.array)
        let rgb = Tensor((0..<12).map(Float.init), shape: [2, 2, 3])
        #expect(HorizontalFlip(probability: 1)(rgb, using: &g).array == [2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9])
        var flipped = 0
        for s in 0..<2000 {
            var gs = PhiloxGenerator(seed: 2, stream: UInt64(s))
            if HorizontalFlip()(image, using: &gs)[0, 0, 0] == 3 { flipped += 1 }
        }
        #expect(abs(flipped - 1000) < 120)  // ~5.4 standard deviations
    }

    @Test("normalize subtracts each channel's mean and divides by its std")
    func normalize() {
        let t = Normalize(mean: [0.25, 1], std: [0.5, 2])
        let x = Tensor([0.5, 0, 1, 3], shape: [2, 1, 2])
        var g = PhiloxGenerator(seed: 0)
        #expect(t(x, using: &g).array == [0.5, -0.5, 0, 1])
        // The presets hold the published statistics.
        #expect(Normalize.cifar10.mean == [0.4914, 0.4822, 0.4465] && Normalize.cifar10.std == [0.2470, 0.2435, 0.2616])
        #expect(Normalize.cifar100.mean == [0.5071, 0.4865, 0.4409] && Normalize.cifar100.std == [0.2673, 0.2564, 0.2762])
        #expect(Normalize.preset(named: "fashion_mnist")?.mean == [0.2860])
        #expect(Normalize.preset(named: "nope") == nil)
    }

    @Test("a pipeline applies its steps in the listed order")
    func pipelineOrder() {
        let input = Tensor([1, 1, 1, 1], shape: [1, 2, 2])
        let norm = Normalize(mean: [0.5], std: [0.25])  // 1 → 2, a zero pad → -2
        let cropFirst = TransformPipeline([RandomCrop(size: 2, padding: 1), norm])
        let normFirst = TransformPipeline([norm, RandomCrop(size: 2, padding: 1)])
        func run(_ p: TransformPipeline, seed: UInt64) -> [Float] {
            var g = PhiloxGenerator(seed: seed)
            let n = p.largestElementCount(for: [1, 2, 2])
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 2 * n)
            defer { scratch.deallocate() }
            scratch.update(from: input.floats.baseAddress!, count: 4)
            let out = Tensor(shape: p.outputShape(for: [1, 2, 2]))
            p.apply(scratch, shape: [1, 2, 2], to: out.floats.baseAddress!, scratch: scratch + n, using: &g)
            return out.array
        }
        var padded = 0
        for seed in UInt64(0)..<10 {
            let a = run(cropFirst, seed: seed), b = run(normFirst, seed: seed)
            // Same draws, same window: padding made before normalising becomes -2, after stays 0.
            for i in 0..<4 {
                #expect((a[i] == 2 && b[i] == 2) || (a[i] == -2 && b[i] == 0))
                if a[i] == -2 { padded += 1 }
            }
        }
        #expect(padded > 0)
        #expect(TransformPipeline([]).outputShape(for: [3, 4, 5]) == [3, 4, 5])
    }

    @Test("bounded draws are uniform and a permutation prefix is the full permutation's start")
    func randomIndices() {
        var g = PhiloxGenerator(seed: 4)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[g.nextIndex(below: 7)] += 1 }
        #expect(counts.allSatisfy { abs($0 - 10_000) < 500 })
        var a = PhiloxGenerator(seed: 5), b = PhiloxGenerator(seed: 5)
        let full = randomPermutation(count: 1000, using: &a)
        #expect(full.sorted() == (0..<1000).map { Int32($0) })
        #expect(randomPermutation(count: 1000, prefix: 10, using: &b) == Array(full.prefix(10)))
    }
}
