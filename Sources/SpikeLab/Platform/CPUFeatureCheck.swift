import Foundation

/// Whether this CPU has the instruction-set features a build's kernels were compiled for.
///
/// Package.swift compiles the neuron kernels with `-target-cpu haswell` (AVX2 + FMA) when the
/// building machine has both; such a binary copied to an older x86-64 CPU would die of SIGILL
/// inside the first kernel, so the tool asks this first and stops with a message instead.
public enum CPUFeatureCheck {
    /// A message naming the `required` features (cpuinfo flag names, e.g. "avx2") that
    /// `cpuinfo` (the text of /proc/cpuinfo) lacks and how to rebuild, or nil when none is
    /// missing, nothing is required, or there is no cpuinfo to read (a non-Linux system).
    public static func problem(cpuinfo: String?, required: [String]) -> String? {
        guard !required.isEmpty, let cpuinfo,
              let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }).map(String.init))
        let missing = required.filter { !flags.contains($0) }
        guard !missing.isEmpty else { return nil }
        return "spikelab: this build's neuron kernels use \(required.map { $0.uppercased() }.joined(separator: " and ")) "
            + "(compiled with -target-cpu haswell because the building machine had them), but this CPU lacks "
            + "\(missing.map { $0.uppercased() }.joined(separator: ", ")). Rebuild on this machine, or for any x86-64 "
            + "CPU with `SPIKELAB_TARGET_CPU=generic make build` (docs/neurons.md, \"CPU target\")."
    }

    /// `problem` for this machine's /proc/cpuinfo.
    public static func problemOnThisMachine(required: [String]) -> String? {
        problem(cpuinfo: try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8), required: required)
    }
}
