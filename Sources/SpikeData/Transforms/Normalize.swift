import SpikeTensor

/// Per-channel standardisation `(x - mean[c]) / std[c]` (torchvision's `Normalize`).
public struct Normalize: ImageTransform {
    /// Mean of each channel.
    public let mean: [Float]
    /// Standard deviation of each channel.
    public let std: [Float]

    /// Standardisation with one mean and std per channel.
    public init(mean: [Float], std: [Float]) {
        precondition(!mean.isEmpty && mean.count == std.count,
                     "normalize needs one mean and one std per channel, got \(mean.count) and \(std.count)")
        precondition(std.allSatisfy { $0 > 0 }, "normalize std must be positive, got \(std)")
        self.mean = mean
        self.std = std
    }

    /// CIFAR-10 training-set pixel statistics.
    public static let cifar10 = Normalize(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])
    /// CIFAR-100 training-set pixel statistics.
    public static let cifar100 = Normalize(mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762])
    /// Fashion-MNIST training-set pixel statistics.
    public static let fashionMNIST = Normalize(mean: [0.2860], std: [0.3530])
    /// MNIST training-set pixel statistics.
    public static let mnist = Normalize(mean: [0.1307], std: [0.3081])
    /// ImageNet statistics (used for TinyImageNet too).
    public static let imagenet = Normalize(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])

    /// The preset called `name` (cifar10, cifar100, fashion_mnist, mnist, imagenet), for manifests.
    public static func preset(named name: String) -> Normalize? {
        switch name.lowercased().replacingOccurrences(of: "-", with: "_") {
        case "cifar10": cifar10
        case "cifar100": cifar100
        case "fashion_mnist", "fashionmnist": fashionMNIST
        case "mnist": mnist
        case "imagenet", "tinyimagenet", "tiny_imagenet": imagenet
        default: nil
        }
    }

    public func outputShape(for shape: [Int]) -> [Int] {
        requireImageShape(shape, "Normalize")
        precondition(shape[0] == mean.count,
                     "Normalize has \(mean.count) channel statistics, the image has \(shape[0]) channels")
        return shape
    }

    public func apply(_ input: UnsafePointer<Float>, shape: [Int], to output: UnsafeMutablePointer<Float>,
                      using generator: inout PhiloxGenerator) {
        _ = outputShape(for: shape)
        let plane = shape[1] * shape[2]
        for c in 0..<shape[0] {
            let m = mean[c], s = std[c]
            let source = input + c * plane, destination = output + c * plane
            for i in 0..<plane { destination[i] = (source[i] - m) / s }
        }
    }
}
