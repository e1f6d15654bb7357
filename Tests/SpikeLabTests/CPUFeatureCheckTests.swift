import Testing
@testable import SpikeLab

@Suite("CPU feature check of the neuron kernels' target")
struct CPUFeatureCheckTests {
    static let haswell = """
        processor\t: 0
        model name\t: Some CPU
        flags\t\t: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx avx2 bmi1 bmi2
        """
    static let old = """
        processor\t: 0
        flags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx
        """

    @Test("a CPU with AVX2 and FMA passes; one without is refused, naming what it lacks and how to rebuild")
    func missingFeatures() {
        #expect(CPUFeatureCheck.problem(cpuinfo: Self.haswell, required: ["avx2", "fma"]) == nil)
        let message = CPUFeatureCheck.problem(cpuinfo: Self.old, required: ["avx2", "fma"])
        #expect(message?.contains("lacks AVX2, FMA") == true, "\(message ?? "nil")")
        #expect(message?.contains("SPIKELAB_TARGET_CPU=generic") == true)
    }

    @Test("nothing required, or no cpuinfo to read, is no problem")
    func nothingToCheck() {
        #expect(CPUFeatureCheck.problem(cpuinfo: Self.old, required: []) == nil)
        #expect(CPUFeatureCheck.problem(cpuinfo: nil, required: ["avx2"]) == nil)
        #expect(CPUFeatureCheck.problem(cpuinfo: "processor : 0\n", required: ["avx2"]) == nil)
    }

    @Test("flag names match whole words: avx512f does not count as avx2 or fma")
    func wholeWords() {
        let info = "flags\t\t: sse avx avx512f fma4\n"
        #expect(CPUFeatureCheck.problem(cpuinfo: info, required: ["avx2", "fma"])?.contains("lacks AVX2, FMA") == true)
    }
}
