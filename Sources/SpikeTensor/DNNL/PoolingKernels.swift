import CDNNL
import Foundation

/// Shapes and parameters of one 2-d pooling.
struct PoolingGeometry: Hashable {
    var batch, channels, height, width: Int
    var kernelHeight, kernelWidth, strideHeight, strideWidth, paddingHeight, paddingWidth: Int

    var outHeight: Int { (height + 2 * paddingHeight - kernelHeight) / strideHeight + 1 }
    var outWidth: Int { (width + 2 * paddingWidth - kernelWidth) / strideWidth + 1 }
    var inputShape: [Int] { [batch, channels, height, width] }
    var outputShape: [Int] { [batch, channels, outHeight, outWidth] }
}

/// oneDNN pooling primitives on NCHW tensors, cached per shape.
enum PoolingKernels {
    enum Algorithm: Hashable {
        case max, averageIncludingPadding, averageExcludingPadding

        var dnnl: dnnl_alg_kind_t {
            switch self {
            case .max: dnnl_pooling_max
            case .averageIncludingPadding: dnnl_pooling_avg_include_padding
            case .averageExcludingPadding: dnnl_pooling_avg_exclude_padding
            }
        }
    }

    private struct Key: Hashable {
        var geometry: PoolingGeometry
        var algorithm: Algorithm
        /// Training forwards (which keep max pooling's workspace) and backwards; false for
        /// an inference forward.
        var training: Bool
        var backward: Bool
    }

    private static let plans = PrimitiveCache<Key, DNNLPlan>()

    /// Runs the forward pass; in training mode also returns max pooling's workspace (the
    /// position of each maximum in its window, one byte per output where the kernel allows).
    static func forward(_ g: PoolingGeometry, _ algorithm: Algorithm, training: Bool,
                        x: UnsafeMutableRawPointer, output: UnsafeMutableRawPointer) -> TensorStorage? {
        let plan = forwardPlan(g, algorithm, training: training)
        guard training, algorithm == .max else {
            plan.run([x, output])
            return nil
        }
        let layout = plan.primitive.layout(of: DNNL_ARG_WORKSPACE)
        let workspace = TensorStorage(byteCount: DNNL.byteCount(layout), zeroed: false)
        plan.run([x, output], extra: [(DNNL_ARG_WORKSPACE, layout, workspace.base)])
        return workspace
    }

    /// gradX from gradOutput (and, for max pooling, the forward's workspace).
    static func backward(_ g: PoolingGeometry, _ algorithm: Algorithm, gradOutput: UnsafeMutableRawPointer,
                         workspace: TensorStorage?, gradX: UnsafeMutableRawPointer) {
        let hint = forwardPlan(g, algorithm, training: true).primitive
        let plan = plans.value(for: Key(geometry: g, algorithm: algorithm, training: true, backward: true)) {
            var desc = dnnl_pooling_v2_desc_t()
            var (src, dst) = layouts(g)
            let p = parameters(g)
            DNNL.check(dnnl_pooling_v2_backward_desc_init(&desc, algorithm.dnnl, &src, &dst, p.strides, p.kernel,
                                                          p.dilation, p.padding, p.padding),
                       "describing a pooling backward pass for \(g)")
            let primitive = DNNLPrimitive(operation: desc, hint: hint, "pooling backward for \(g)")
            return DNNLPlan(primitive, arguments: [(DNNL_ARG_DIFF_DST, dst, false), (DNNL_ARG_DIFF_SRC, src, true)])
        }
        if algorithm == .max {
            guard let workspace else { preconditionFailure("max pooling backward needs the forward's workspace") }
            plan.run([gradOutput, gradX], extra: [(DNNL_ARG_WORKSPACE, plan.primitive.layout(of: DNNL_ARG_WORKSPACE), workspace.base)])
        } else {
            plan.run([gradOutput, gradX])
        }
    }

    private static func forwardPlan(_ g: PoolingGeometry, _ algorithm: Algorithm, training: Bool) -> DNNLPlan {
        plans.value(for: Key(geometry: g, algorithm: algorithm, training: training, backward: false)) {
            var desc = dnnl_pooling_v2_desc_t()
            var (src, dst) = layouts(g)
            let p = parameters(g)
            DNNL.check(dnnl_pooling_v2_forward_desc_init(&desc, training ? dnnl_forward_training : dnnl_forward_inference,
                                                         algorithm.dnnl, &src, &dst, p.strides, p.kernel, p.dilation,
                                                         p.padding, p.padding),
                       "describing a pooling forward pass for \(g)")
            let primitive = DNNLPrimitive(operation: desc, "pooling forward for \(g)")
            return DNNLPlan(primitive, arguments: [(DNNL_ARG_SRC, src, false), (DNNL_ARG_DST, dst, true)])
        }
    }

    private static func layouts(_ g: PoolingGeometry) -> (src: dnnl_memory_desc_t, dst: dnnl_memory_desc_t) {
        (DNNL.memoryDescriptor(g.inputShape, dnnl_nchw), DNNL.memoryDescriptor(g.outputShape, dnnl_nchw))
    }

    private static func parameters(_ g: PoolingGeometry) -> (strides: [Int64], kernel: [Int64], dilation: [Int64], padding: [Int64]) {
        ([Int64(g.strideHeight), Int64(g.strideWidth)], [Int64(g.kernelHeight), Int64(g.kernelWidth)], [0, 0],
         [Int64(g.paddingHeight), Int64(g.paddingWidth)])
    }
}
