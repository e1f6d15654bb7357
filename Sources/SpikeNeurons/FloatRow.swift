/// A row of floats read and written through raw memory, whatever type that memory is bound to
/// (the kernels' tile rows are `SIMD8<Float>`), so an element-wise step can run as a plain loop
/// over Floats.
///
/// Why: Swift's `SIMD8<Float>` operations are loops over the lanes that LLVM's SLP vectoriser
/// must put back together, and in some kernels it leaves parts as lane inserts and extracts (the
/// spike test `Lanes8.indicator` in the learned-PSU forward compiled to `vmovmskps`/`vpblendd`
/// per lane); a plain loop over Floats goes to the loop vectoriser instead, which emits
/// full-width AVX for it. Raw loads and stores of a trivial type are valid on memory bound to
/// any type, so no rebinding is needed.
struct FloatRow {
    let base: UnsafeMutableRawPointer

    @inline(__always) init(_ row: UnsafeMutablePointer<SIMD8<Float>>) { base = UnsafeMutableRawPointer(row) }
    @inline(__always) init(_ row: UnsafeMutablePointer<Float>) { base = UnsafeMutableRawPointer(row) }

    subscript(k: Int) -> Float {
        @inline(__always) get { base.load(fromByteOffset: k &<< 2, as: Float.self) }
        @inline(__always) nonmutating set { base.storeBytes(of: newValue, toByteOffset: k &<< 2, as: Float.self) }
    }

    /// spikes[k] = 1 where self[k] > threshold, else 0 (NaN gives 0), and the values copied into
    /// `membrane` when given, for k < count.
    @inline(__always)
    func threshold(_ threshold: Float, count: Int, spikes: UnsafeMutablePointer<Float>,
                   membrane: UnsafeMutablePointer<Float>?) {
        for k in 0..<count { spikes[k] = self[k] > threshold ? 1 : 0 }
        if let membrane { for k in 0..<count { membrane[k] = self[k] } }
    }
}
