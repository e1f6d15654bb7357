import Testing
@testable import SpikeLab
import SpikeTensor

@Suite("Top-k accuracy")
struct EvaluationTests {
    @Test("top-k counts a label among the k best scores; equal scores rank by class index, as argmax does")
    func topK() {
        // Row 0: label 2 is the unique best. Row 1: label 1 is second best. Row 2: every score
        // equal (a silent SNN): only label 0 would count for top-1. Row 3: label 3 ties with class 1.
        let logits = Tensor([0, 1, 5, 2,
                             9, 4, 1, 0,
                             3, 3, 3, 3,
                             0, 7, 1, 7], shape: [4, 4])
        #expect(Evaluation.correct(logits, Tensor(int32: [2, 1, 2, 3]), k: 1) == 1)
        #expect(Evaluation.correct(logits, Tensor(int32: [2, 1, 2, 3]), k: 2) == 3)
        #expect(Evaluation.correct(logits, Tensor(int32: [2, 1, 2, 3]), k: 3) == 4)
        #expect(Evaluation.correct(logits, Tensor(int32: [2, 0, 0, 1]), k: 1) == 4)
    }

    @Test("classification losses: mse and the unilateral mse against the one-hot label, by hand; tet is refused by name")
    func losses() throws {
        let output = Tensor([0.5, 2, -1,
                             0, 0.25, 1.5], shape: [2, 3])
        let labels = Tensor(int32: [1, 2])
        // One-hot [0 1 0; 0 0 1]: squared errors 0.25, 1, 1 and 0, 0.0625, 0.25 → mean 2.5625 / 6.
        let mse = ClassificationTask(loss: .meanSquared).lossValue(output, labels, training: true).item
        #expect(abs(mse - 2.5625 / 6) < 1e-6)
        // Clamped at 1: row 0 becomes 0.5, 1, -1 → 0.25, 0, 1; row 1 becomes 0, 0.25, 1 → 0, 0.0625, 0.
        let unilateral = ClassificationTask(loss: .unilateralMeanSquared).lossValue(output, labels, training: true).item
        #expect(abs(unilateral - 1.3125 / 6) < 1e-6)
        // Cross-entropy smooths labels only while training.
        let ce = ClassificationTask(labelSmoothing: 0.1)
        #expect(ce.lossValue(output, labels, training: false).item == crossEntropy(output, labels).item)
        #expect(ce.lossValue(output, labels, training: true).item != crossEntropy(output, labels).item)

        let manifest = try Manifest.load(yaml: """
            name: x
            data: {loader: fashion_mnist, batch_size: 4}
            model: {arch: spiking_cnn_28}
            training: {epochs: 1, loss: tet, optimizer: {kind: adam, lr: 0.001}}
            """, path: "x.yaml")
        let error = #expect(throws: BuildError.self) { try RunTasks.make(manifest.experiment) }
        #expect(error?.description.contains("training.loss") == true)
    }
}
