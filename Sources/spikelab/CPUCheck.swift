/// The cpuinfo features this build's neuron kernels were compiled to use (Package.swift
/// defines SPIKELAB_NEURONS_NEED_AVX2 when it compiles them with `-target-cpu haswell`).
enum NeuronKernelCPU {
    static var required: [String] {
        #if SPIKELAB_NEURONS_NEED_AVX2
        return ["avx2", "fma"]
        #else
        return []
        #endif
    }
}
