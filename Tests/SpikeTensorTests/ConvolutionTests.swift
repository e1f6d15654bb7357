import Dispatch
import Foundation
import Testing
@testable import SpikeTensor

/// One convolution configuration, in PyTorch's terms.
struct ConvCase: CustomStringConvertible {
    var n, c, h, w, o, kh, kw: Int
    var stride = (1, 1), padding = (0, 0), dilation = (1, 1), groups = 1
    var bias = true

    var oh: Int { (h + 2 * padding.0 - dilation.0 * (kh - 1) - 1) / stride.0 + 1 }
    var ow: Int { (w + 2 * padding.1 - dilation.1 * (kw - 1) - 1) / stride.1 + 1 }
    var xShape: [Int] { [n, c, h, w] }
    var wShape: [Int] { [o, c / groups, kh, kw] }
    var yShape: [Int] { [n, o, oh, ow] }

    var description: String {
        "x \(xShape) w \(wShape) stride \(stride) padding \(padding) dilation \(dilation) groups \(groups)"
    }

    /// Calls `body(n, o, oy, ox, c, ky, kx, inputY, inputX)` for every product term of the
    /// convolution whose input position lies inside the image: the obvious definition.
    func forEachTerm(_ body: (Int, Int, Int, Int, Int, Int, Int, Int, Int) -> Void) {
        let cg = c / groups, og = o / groups
        for b in 0..<n {
            for oc in 0..<o {
                let group = oc / og
                for y in 0..<oh {
                    for x in 0..<ow {
                        for ic in 0..<cg {
                            for ky in 0..<kh {
                                for kx in 0..<kw {
                                    let iy = y * stride.0 - padding.0 + ky * dilation.0
                                    let ix = x * stride.1 - padding.1 + kx * dilation.1
                                    if iy < 0 || iy >= h || ix < 0 || ix >= w { continue }
                                    body(b, oc, y, x, group * cg + ic, ky, kx, iy, ix)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    func naiveForward(_ x: [Float], _ wt: [Float], _ b: [Float]?) -> [Float] {
        var y = [Double](repeating: 0, count: n * o * oh * ow)
        let cg = c / groups
        forEachTerm { bn, oc, oy, ox, ic, ky, kx, iy, ix in
            let xv = Double(x[((bn * c + ic) * h + iy) * w + ix])
            let wv = Double(wt[((oc * cg + ic % cg) * kh + ky) * kw + kx])
            y[((bn * o + oc) * oh + oy) * ow + ox] += xv * wv
        }
        if let b {
            for i in 0..<y.count { y[i] += Double(b[(i / (oh * ow)) % o]) }
        }
        return y.map { Float($0) }
    }

    func naiveGradX(_ gy: [Float], _ wt: [Float]) -> [Float] {
        var gx = [Double](repeating: 0, count: n * c * h * w)
        let cg = c / groups
        forEachTerm { bn, oc, oy, ox, ic, ky, kx, iy, ix in
            gx[((bn * c + ic) * h + iy) * w + ix] +=
                Double(gy[((bn * o + oc) * oh + oy) * ow + ox]) * Double(wt[((oc * cg + ic % cg) * kh + ky) * kw + kx])
        }
        return gx.map { Float($0) }
    }

    func naiveGradWeight(_ x: [Float], _ gy: [Float]) -> (weight: [Float], bias: [Float]) {
        var gw = [Double](repeating: 0, count: o * (c / groups) * kh * kw)
        var gb = [Double](repeating: 0, count: o)
        let cg = c / groups
        forEachTerm { bn, oc, oy, ox, ic, ky, kx, iy, ix in
            gw[((oc * cg + ic % cg) * kh + ky) * kw + kx] +=
                Double(gy[((bn * o + oc) * oh + oy) * ow + ox]) * Double(x[((bn * c + ic) * h + iy) * w + ix])
        }
        for i in 0..<gy.count { gb[(i / (oh * ow)) % o] += Double(gy[i]) }
        return (gw.map { Float($0) }, gb.map { Float($0) })
    }
}

/// Largest |a − b| / max(1, |b|).
fileprivate func maxRelativeDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "compared arrays differ in length: \(a.count) vs \(b.count)")
    var worst: Float = 0
    for i in 0..<a.count { worst = max(worst, abs(a[i] - b[i]) / max(1, abs(b[i]))) }
    return worst
}

@Suite("Convolution through oneDNN")
struct ConvolutionTests {
    static let cases: [ConvCase] = [
        ConvCase(n: 2, c: 3, h: 7, w: 9, o: 4, kh: 3, kw: 3, padding: (1, 1)),
        ConvCase(n: 1, c: 4, h: 8, w: 8, o: 6, kh: 3, kw: 2, stride: (2, 1), padding: (1, 0), groups: 2),
        ConvCase(n: 3, c: 8, h: 10, w: 7, o: 8, kh: 3, kw: 3, stride: (2, 2), padding: (1, 1), groups: 8),  // depthwise
        ConvCase(n: 2, c: 4, h: 9, w: 6, o: 8, kh: 5, kw: 3, padding: (2, 1), groups: 4, bias: false),  // depth multiplier 2
        ConvCase(n: 2, c: 5, h: 11, w: 12, o: 7, kh: 3, kw: 3, padding: (2, 2), dilation: (2, 3)),
        ConvCase(n: 2, c: 16, h: 5, w: 5, o: 32, kh: 1, kw: 1, stride: (2, 2)),  // 1×1
        ConvCase(n: 2, c: 32, h: 9, w: 9, o: 48, kh: 3, kw: 3, padding: (1, 1)),  // blocked layouts
        ConvCase(n: 1, c: 17, h: 13, w: 10, o: 19, kh: 2, kw: 4, stride: (3, 2), padding: (1, 2), dilation: (1, 2)),
        ConvCase(n: 3, c: 64, h: 6, w: 5, o: 16, kh: 3, kw: 3, stride: (1, 2), padding: (0, 1), groups: 4, bias: false),
    ]

    static func random(_ shape: [Int], seed: UInt64, requiresGrad: Bool = false) -> Tensor {
        var rng = PhiloxGenerator(seed: seed)
        return Tensor.uniform(shape, low: -1, high: 1, rng: &rng, requiresGrad: requiresGrad)
    }

    @Test("forward matches the direct loop on strided, padded, dilated and grouped shapes")
    func forwardMatchesNaive() {
        for (k, cc) in Self.cases.enumerated() {
            let x = Self.random(cc.xShape, seed: UInt64(10 * k + 1))
            let w = Self.random(cc.wShape, seed: UInt64(10 * k + 2))
            let b = cc.bias ? Self.random([cc.o], seed: UInt64(10 * k + 3)) : nil
            let y = conv2d(x, weight: w, bias: b, stride: cc.stride, padding: cc.padding,
                           dilation: cc.dilation, groups: cc.groups)
            #expect(y.shape == cc.yShape, "\(cc)")
            let expected = cc.naiveForward(x.array, w.array, b?.array)
            #expect(maxRelativeDifference(y.array, expected) < 1e-4, "\(cc)")
        }
    }

    @Test("backward-data and backward-weights match the direct loops")
    func backwardMatchesNaive() {
        for (k, cc) in Self.cases.enumerated() {
            let x = Self.random(cc.xShape, seed: UInt64(10 * k + 1), requiresGrad: true)
            let w = Self.random(cc.wShape, seed: UInt64(10 * k + 2), requiresGrad: true)
            let b = cc.bias ? Self.random([cc.o], seed: UInt64(10 * k + 3), requiresGrad: true) : nil
            let gy = Self.random(cc.yShape, seed: UInt64(10 * k + 4))
            let y = conv2d(x, weight: w, bias: b, stride: cc.stride, padding: cc.padding,
                           dilation: cc.dilation, groups: cc.groups)
            y.backward(gy)
            let gx = cc.naiveGradX(gy.array, w.array)
            let (gw, gb) = cc.naiveGradWeight(x.array, gy.array)
            #expect(maxRelativeDifference(x.grad!.array, gx) < 1e-4, "grad x, \(cc)")
            #expect(maxRelativeDifference(w.grad!.array, gw) < 1e-4, "grad weight, \(cc)")
            if let b { #expect(maxRelativeDifference(b.grad!.array, gb) < 1e-4, "grad bias, \(cc)") }
        }
    }

    @Test("only the inputs that need gradients get them, including a bias-only gradient")
    func partialGradients() {
        let cc = Self.cases[6]
        let x = Self.random(cc.xShape, seed: 1)
        let w = Self.random(cc.wShape, seed: 2)
        let b = Self.random([cc.o], seed: 3, requiresGrad: true)
        let gy = Self.random(cc.yShape, seed: 4)
        conv2d(x, weight: w, bias: b, padding: cc.padding).backward(gy)
        #expect(x.grad == nil && w.grad == nil)
        #expect(maxRelativeDifference(b.grad!.array, cc.naiveGradWeight(x.array, gy.array).bias) < 1e-4)

        let x2 = Self.random(cc.xShape, seed: 1, requiresGrad: true)
        conv2d(x2, weight: w, padding: cc.padding).backward(gy)
        #expect(maxRelativeDifference(x2.grad!.array, cc.naiveGradX(gy.array, w.array)) < 1e-4)
    }

    @Test("finite differences agree with the gradients of input, weight and bias")
    func gradientCheckSmall() {
        // Convolution is linear in each input, so central differences with step 1e-2 are
        // exact up to Float32 rounding of the forward (~1e-4 here); tolerance 5e-3.
        let shapes = [
            ConvCase(n: 1, c: 2, h: 5, w: 4, o: 3, kh: 3, kw: 2, stride: (2, 1), padding: (1, 1), dilation: (1, 2)),
            ConvCase(n: 2, c: 4, h: 4, w: 4, o: 4, kh: 3, kw: 3, padding: (1, 1), groups: 4),
        ]
        for (k, cc) in shapes.enumerated() {
            let x = Self.random(cc.xShape, seed: UInt64(k + 20), requiresGrad: true)
            let w = Self.random(cc.wShape, seed: UInt64(k + 30), requiresGrad: true)
            let b = Self.random([cc.o], seed: UInt64(k + 40), requiresGrad: true)
            let result = gradientCheck([x, w, b], step: 1e-2) {
                conv2d($0[0], weight: $0[1], bias: $0[2], stride: cc.stride, padding: cc.padding,
                       dilation: cc.dilation, groups: cc.groups)
            }
            #expect(result.maxError < 5e-3, "\(cc): \(result)")
        }
    }

    @Test("conv1d equals conv2d on a height-1 image, forward and backward")
    func conv1dMatchesNaive() {
        let cc = ConvCase(n: 2, c: 6, h: 1, w: 20, o: 4, kh: 1, kw: 5, stride: (1, 2), padding: (0, 2),
                          dilation: (1, 2), groups: 2)
        let x = Self.random([2, 6, 20], seed: 50, requiresGrad: true)
        let w = Self.random([4, 3, 5], seed: 51, requiresGrad: true)
        let b = Self.random([4], seed: 52, requiresGrad: true)
        let y = conv1d(x, weight: w, bias: b, stride: 2, padding: 2, dilation: 2, groups: 2)
        #expect(y.shape == [2, 4, cc.ow])
        #expect(maxRelativeDifference(y.array, cc.naiveForward(x.array, w.array, b.array)) < 1e-4)
        let gy = Self.random(y.shape, seed: 53)
        y.backward(gy)
        #expect(x.grad!.shape == [2, 6, 20] && w.grad!.shape == [4, 3, 5])
        #expect(maxRelativeDifference(x.grad!.array, cc.naiveGradX(gy.array, w.array)) < 1e-4)
        let (gw, gb) = cc.naiveGradWeight(x.array, gy.array)
        #expect(maxRelativeDifference(w.grad!.array, gw) < 1e-4)
        #expect(maxRelativeDifference(b.grad!.array, gb) < 1e-4)
        let check = gradientCheck([x, w, b], step: 1e-2) {
            conv1d($0[0], weight: $0[1], bias: $0[2], stride: 2, padding: 2, dilation: 2, groups: 2)
        }
        #expect(check.maxError < 5e-3, "\(check)")
    }

    @Test("every layout strategy matches the direct loops in all three passes")
    func everyStrategyMatchesNaive() {
        var cases = Self.cases
        cases.append(ConvCase(n: 2, c: 6, h: 9, w: 8, o: 9, kh: 3, kw: 2, padding: (2, 1), dilation: (2, 1), groups: 3))
        for (k, cc) in cases.enumerated() {
            let g = ConvolutionGeometry(
                batch: cc.n, inChannels: cc.c, height: cc.h, width: cc.w, outChannels: cc.o, kernelHeight: cc.kh,
                kernelWidth: cc.kw, strideHeight: cc.stride.0, strideWidth: cc.stride.1, paddingHeight: cc.padding.0,
                paddingWidth: cc.padding.1, dilationHeight: cc.dilation.0, dilationWidth: cc.dilation.1,
                groups: cc.groups)
            let x = Self.random(cc.xShape, seed: UInt64(10 * k + 1)), w = Self.random(cc.wShape, seed: UInt64(10 * k + 2))
            let b = Self.random([cc.o], seed: UInt64(10 * k + 3)), gy = Self.random(cc.yShape, seed: UInt64(10 * k + 4))
            let expectedY = cc.naiveForward(x.array, w.array, b.array)
            let expectedGX = cc.naiveGradX(gy.array, w.array)
            let (expectedGW, expectedGB) = cc.naiveGradWeight(x.array, gy.array)
            for layout in [ConvolutionLayout.plain, .libraryChosen, .channelsLast] {
                let y = Tensor(shape: cc.yShape), gx = Tensor(shape: cc.xShape)
                let gw = Tensor(shape: cc.wShape), gb = Tensor(shape: [cc.o])
                ConvolutionKernels.forward(g, x: x.rawPointer, weight: w.rawPointer, bias: b.rawPointer,
                                           output: y.rawPointer, layout: layout)
                #expect(maxRelativeDifference(y.array, expectedY) < 1e-4, "forward \(layout) \(cc)")
                gx.floats.update(repeating: .nan)  // every element must be written
                ConvolutionKernels.backwardData(g, gradOutput: gy.rawPointer, weight: w.rawPointer,
                                                gradX: gx.rawPointer, layout: layout)
                #expect(maxRelativeDifference(gx.array, expectedGX) < 1e-4, "backward-data \(layout) \(cc)")
                ConvolutionKernels.backwardWeights(g, x: x.rawPointer, gradOutput: gy.rawPointer,
                                                   gradWeight: gw.rawPointer, gradBias: gb.rawPointer, layout: layout)
                #expect(maxRelativeDifference(gw.array, expectedGW) < 1e-4, "backward-weights \(layout) \(cc)")
                #expect(maxRelativeDifference(gb.array, expectedGB) < 1e-4, "bias gradient \(layout) \(cc)")
            }
        }
    }

    @Test("calls from several threads at once give the serial results")
    func concurrentCallsMatchSerial() {
        final class Box: @unchecked Sendable {
            var inputs: [(Tensor, Tensor, Tensor?, ConvCase)] = []
            var results: [[Float]] = []
            let lock = NSLock()
        }
        let box = Box()
        // Fresh shapes (not used by other tests) so primitive creation races too.
        let shapes = (0..<8).map { i in
            ConvCase(n: 2, c: 8 + 8 * (i % 3), h: 11 + i % 2, w: 9, o: 16, kh: 3, kw: 3,
                     stride: (1 + i % 2, 1), padding: (1, 1), groups: i % 4 == 3 ? 8 : 1)
        }
        for (i, cc) in shapes.enumerated() {
            box.inputs.append((Self.random(cc.xShape, seed: UInt64(100 + i)), Self.random(cc.wShape, seed: UInt64(200 + i)),
                               Self.random([cc.o], seed: UInt64(300 + i)), cc))
        }
        box.results = Array(repeating: [], count: 3 * shapes.count)
        let work = 3 * shapes.count
        DispatchQueue.concurrentPerform(iterations: work) { k in
            let (x, w, b, cc) = box.inputs[k % shapes.count]
            let y = conv2d(x, weight: w, bias: b, stride: cc.stride, padding: cc.padding, groups: cc.groups)
            let values = y.array
            box.lock.withLock { box.results[k] = values }
        }
        for (i, (x, w, b, cc)) in box.inputs.enumerated() {
            let serial = conv2d(x, weight: w, bias: b, stride: cc.stride, padding: cc.padding, groups: cc.groups).array
            for k in stride(from: i, to: work, by: shapes.count) {
                #expect(box.results[k] == serial, "\(cc), concurrent call \(k)")
            }
        }
    }
}
