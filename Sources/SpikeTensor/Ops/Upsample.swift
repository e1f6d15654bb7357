import Foundation

/// Nearest-neighbour resize of `[N, C, H, W]` to `size` (height, width), PyTorch's
/// `interpolate(mode="nearest")`: source index `floor(dst·in/out)`.
public func upsampleNearest2d(_ x: Tensor, size: (Int, Int)) -> Tensor {
    checkUpsampleInput("upsampleNearest2d", x, size: size)
    let rows = nearestTaps(input: x.shape[2], output: size.0)
    let cols = nearestTaps(input: x.shape[3], output: size.1)
    return resample2d("upsampleNearest2d", x, rows: rows, cols: cols, nearest: true)
}

/// Bilinear resize of `[N, C, H, W]` to `size` (height, width), PyTorch's
/// `interpolate(mode="bilinear", align_corners:)`.
public func upsampleBilinear2d(_ x: Tensor, size: (Int, Int), alignCorners: Bool = false) -> Tensor {
    checkUpsampleInput("upsampleBilinear2d", x, size: size)
    let rows = linearTaps(input: x.shape[2], output: size.0, alignCorners: alignCorners)
    let cols = linearTaps(input: x.shape[3], output: size.1, alignCorners: alignCorners)
    return resample2d("upsampleBilinear2d", x, rows: rows, cols: cols, nearest: false)
}

private func checkUpsampleInput(_ name: String, _ x: Tensor, size: (Int, Int)) {
    precondition(x.dtype == .float32, "\(name) needs a float32 input, got \(x.dtype)")
    precondition(x.rank == 4, "\(name) needs an [N, C, H, W] input, got shape \(x.shape)")
    precondition(size.0 > 0 && size.1 > 0, "\(name): output size \(size) must be positive")
    precondition(x.shape[2] > 0 && x.shape[3] > 0, "\(name): input spatial size \(x.shape) must be positive")
}

/// For each output index along one axis: the two source indices and their weights.
/// Nearest resizing uses only the first tap (weight 1).
private final class Taps {
    let count: Int
    let first: UnsafeMutablePointer<Int>, second: UnsafeMutablePointer<Int>
    let firstWeight: UnsafeMutablePointer<Float>, secondWeight: UnsafeMutablePointer<Float>

    init(count: Int) {
        self.count = count
        first = .allocate(capacity: count)
        second = .allocate(capacity: count)
        firstWeight = .allocate(capacity: count)
        secondWeight = .allocate(capacity: count)
    }

    deinit {
        first.deallocate(); second.deallocate()
        firstWeight.deallocate(); secondWeight.deallocate()
    }
}

/// PyTorch's `nearest_idx`: exact copies for equal sizes and for doubling, otherwise
/// `min(floor(dst·scale), in − 1)` with `scale = in/out` in single precision.
private func nearestTaps(input: Int, output: Int) -> Taps {
    let scale = Float(input) / Float(output)
    let taps = Taps(count: output)
    for dst in 0..<output {
        let src: Int
        if output == input { src = dst }
        else if output == 2 * input { src = dst >> 1 }
        else { src = min(Int(floorf(Float(dst) * scale)), input - 1) }
        taps.first[dst] = src
        taps.second[dst] = src
        taps.firstWeight[dst] = 1
        taps.secondWeight[dst] = 0
    }
    return taps
}

/// PyTorch's linear source index: with `alignCorners` `src = dst·(in−1)/(out−1)`, else
/// `src = (dst + 0.5)·in/out − 0.5` clamped at 0; taps `⌊src⌋` and the next one (kept in range).
private func linearTaps(input: Int, output: Int, alignCorners: Bool) -> Taps {
    let scale: Float = alignCorners
        ? (output > 1 ? Float(input - 1) / Float(output - 1) : 0)
        : Float(input) / Float(output)
    let taps = Taps(count: output)
    for dst in 0..<output {
        let src = alignCorners ? scale * Float(dst) : max(scale * (Float(dst) + 0.5) - 0.5, 0)
        let i0 = min(Int(src), input - 1)
        let lambda = min(max(src - Float(i0), 0), 1)
        taps.first[dst] = i0
        taps.second[dst] = i0 + (i0 < input - 1 ? 1 : 0)
        taps.firstWeight[dst] = 1 - lambda
        taps.secondWeight[dst] = lambda
    }
    return taps
}

/// Separable two-tap resampling of every `[H, W]` plane (one tap when `nearest`);
/// backward scatters each output gradient back onto the inputs it was read from.
private func resample2d(_ name: String, _ x: Tensor, rows: Taps, cols: Taps, nearest: Bool) -> Tensor {
    let planes = x.shape[0] * x.shape[1]
    let inH = x.shape[2], inW = x.shape[3]
    let outH = rows.count, outW = cols.count
    let out = Tensor(shape: [x.shape[0], x.shape[1], outH, outW], uninitialized: true)
    let px = UnsafePointer(x.floats.baseAddress!), po = out.floats.baseAddress!
    let r0 = rows.first, r1 = rows.second, rw0 = rows.firstWeight, rw1 = rows.secondWeight
    let c0 = cols.first, c1 = cols.second, cw0 = cols.firstWeight, cw1 = cols.secondWeight

    // One work item per output row of one plane. The tables must outlive the raw pointers.
    withExtendedLifetime((rows, cols)) {
    parallelChunks(planes * outH, minChunk: max(1, 16384 / outW)) { range in
        for item in range {
            let plane = item / outH, oh = item % outH
            let top = px + plane * inH * inW + r0[oh] * inW
            let dst = po + item * outW
            if nearest {
                for ow in 0..<outW { dst[ow] = top[c0[ow]] }
                continue
            }
            let bottom = px + plane * inH * inW + r1[oh] * inW
            let wt = rw0[oh], wb = rw1[oh]
            for ow in 0..<outW {
                let a = c0[ow], b = c1[ow], wl = cw0[ow], wr = cw1[ow]
                dst[ow] = wt * (wl * top[a] + wr * top[b]) + wb * (wl * bottom[a] + wr * bottom[b])
            }
        }
    }
    }

    // Saved: the tap tables only (O(out H + out W)); the input values are not needed.
    return Tensor.record(name, output: out, inputs: [x]) { g in
        let gx = Tensor(shape: x.shape)
        let pg = UnsafePointer(g.floats.baseAddress!), pgx = gx.floats.baseAddress!
        // Referencing the tables keeps their memory alive for as long as this closure.
        let r0 = rows.first, r1 = rows.second, rw0 = rows.firstWeight, rw1 = rows.secondWeight
        let c0 = cols.first, c1 = cols.second, cw0 = cols.firstWeight, cw1 = cols.secondWeight
        // One work item per plane: planes are disjoint, so the scatter-adds never race,
        // and within a plane they happen in a fixed order.
        parallelChunks(planes, minChunk: max(1, 16384 / (outH * outW))) { range in
            for plane in range {
                let src = pg + plane * outH * outW, dst = pgx + plane * inH * inW
                for oh in 0..<outH {
                    let row = src + oh * outW
                    let top = dst + r0[oh] * inW
                    if nearest {
                        for ow in 0..<outW { top[c0[ow]] += row[ow] }
                        continue
                    }
                    let bottom = dst + r1[oh] * inW
                    let wt = rw0[oh], wb = rw1[oh]
                    for ow in 0..<outW {
                        let a = c0[ow], b = c1[ow], v = row[ow], wl = cw0[ow], wr = cw1[ow]
                        top[a] += wt * wl * v
                        top[b] += wt * wr * v
                        bottom[a] += wb * wl * v
                        bottom[b] += wb * wr * v
                    }
                }
            }
        }
        return [gx]
    }
}
