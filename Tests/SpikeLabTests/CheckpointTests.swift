import CHDF5
import Foundation
import Testing
@testable import SpikeLab
import SpikeData
import SpikeNN
import SpikeTensor

/// Checkpoint files read back by the HDF5 C library itself, by path, as h5py or any other
/// program would: the layout is the documented one, not just whatever SpikeLab reads back.
@Suite("Checkpoint files through the HDF5 C API")
struct CheckpointTests {
    static func tensor(_ shape: [Int], start: Float) -> Tensor {
        let t = Tensor.zeros(shape)
        for i in 0..<t.count { t.floats[i] = start + Float(i) * 0.25 }
        return t
    }

    static func sample() -> Checkpoint {
        let model: [(name: String, tensor: Tensor)] = [
            ("conv1.weight", tensor([4, 1, 3, 3], start: -1)),
            ("bn1.running_mean", tensor([4], start: 0.5)),
            ("layer1.0.conv1.weight", tensor([2, 4, 3, 3], start: 3)),
            ("fc.bias", tensor([10], start: -7)),
        ]
        let optimizer = OptimizerState(kind: "sgd", hyperParameters: ["lr": 0.1, "momentum": 0.9], stepCount: 12,
                                       buffers: ["conv1.weight": ["momentum_buffer": tensor([4, 1, 3, 3], start: 0.125)]])
        return Checkpoint(epoch: 3, globalStep: 12, threads: 2, manifest: "name: sample\nseed: 1\n",
                          manifestSHA256: String(repeating: "ab", count: 32), model: model, optimizer: optimizer,
                          schedule: ScheduleState(kind: "cosine", parameters: [:], lastEpoch: 3), learningRate: 0.05,
                          rng: ["model.dropout": [1, 2, 3, 4, 5, 6]], dataPosition: BatcherPosition(epoch: 3, cursor: 0),
                          partialEpoch: ["loss_sum": 1.5], metrics: [("epoch", [1, 2, 3]), ("test_top1", [0.5, 0.6, .nan])])
    }

    /// A float32 dataset read with the C API: shape and values.
    static func readFloatDataset(_ file: hid_t, _ path: String) -> (shape: [Int], values: [Float], isFloat32: Bool)? {
        let dataset = H5Dopen2(file, path, spk_h5p_default())
        guard dataset >= 0 else { return nil }
        defer { H5Dclose(dataset) }
        let space = H5Dget_space(dataset)
        defer { H5Sclose(space) }
        let rank = Int(H5Sget_simple_extent_ndims(space))
        var dims = [hsize_t](repeating: 0, count: rank)
        H5Sget_simple_extent_dims(space, &dims, nil)
        let type = H5Dget_type(dataset)
        defer { H5Tclose(type) }
        let isFloat32 = H5Tget_class(type) == H5T_FLOAT && H5Tget_size(type) == 4
        let shape = dims.map { Int($0) }
        var values = [Float](repeating: .nan, count: shape.reduce(1, *))
        guard H5Dread(dataset, spk_h5t_native_float(), spk_h5s_all(), spk_h5s_all(), spk_h5p_default(), &values) >= 0 else { return nil }
        return (shape, values, isFloat32)
    }

    static func int64Attribute(_ object: hid_t, _ name: String) -> Int64? {
        let attribute = H5Aopen(object, name, spk_h5p_default())
        guard attribute >= 0 else { return nil }
        defer { H5Aclose(attribute) }
        var value: Int64 = -1
        guard H5Aread(attribute, spk_h5t_native_int64(), &value) >= 0 else { return nil }
        return value
    }

    static func linkCount(_ file: hid_t, _ group: String) -> Int? {
        let id = H5Gopen2(file, group, spk_h5p_default())
        guard id >= 0 else { return nil }
        defer { H5Gclose(id) }
        var info = H5G_info_t()
        guard H5Gget_info(id, &info) >= 0 else { return nil }
        return Int(info.nlinks)
    }

    @Test("names, shapes, values and root attributes read back through the C API by path, and through Checkpoint.read")
    func roundTrip() throws {
        let directory = NSTemporaryDirectory() + "spikelab-ckpt-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/last.h5"
        let checkpoint = Self.sample()
        try checkpoint.write(to: path)

        // The C handle (default close degree) is closed before SpikeLab opens the file again
        // (strong close degree): HDF5 refuses one file open with two degrees.
        do {
            let file = H5Fopen(path, spk_h5f_acc_rdonly(), spk_h5p_default())
            #expect(file >= 0)
            for (name, tensor) in checkpoint.model {
                let read = Self.readFloatDataset(file, "/model/\(name)")
                #expect(read?.shape == tensor.shape, "/model/\(name)")
                #expect(read?.isFloat32 == true)
                #expect(read?.values == tensor.array)
            }
            #expect(Self.linkCount(file, "/model") == checkpoint.model.count)
            let momentum = Self.readFloatDataset(file, "/optimizer/conv1.weight/momentum_buffer")
            #expect(momentum?.shape == [4, 1, 3, 3])
            #expect(momentum?.values == Self.tensor([4, 1, 3, 3], start: 0.125).array)
            #expect(Self.int64Attribute(file, "format_version") == Checkpoint.formatVersion)
            #expect(Self.int64Attribute(file, "epoch") == 3)
            #expect(Self.int64Attribute(file, "global_step") == 12)
            let format = H5Aopen(file, "format", spk_h5p_default())
            #expect(format >= 0)
            let formatType = H5Aget_type(format)
            #expect(H5Tget_class(formatType) == H5T_STRING)
            H5Tclose(formatType)
            H5Aclose(format)
            for group in ["/model", "/optimizer", "/schedule", "/rng", "/data", "/metrics"] {
                #expect(Self.linkCount(file, group) != nil, "group \(group)")
            }
            H5Fclose(file)
        }

        let back = try Checkpoint.read(from: path)
        // HDF5 lists a group's links by name, so a read checkpoint holds the model in name order.
        let written = checkpoint.model.sorted { $0.name < $1.name }
        #expect(back.model.map(\.name) == written.map(\.name))
        #expect(back.model.map(\.tensor.shape) == written.map(\.tensor.shape))
        #expect(back.model.map(\.tensor.array) == written.map(\.tensor.array))
        #expect(back.optimizer == checkpoint.optimizer)
        #expect(back.schedule == checkpoint.schedule)
        #expect(back.rng == checkpoint.rng)
        #expect(back.dataPosition == checkpoint.dataPosition)
        #expect(back.partialEpoch == checkpoint.partialEpoch)
        #expect(back.metrics.map(\.column) == ["epoch", "test_top1"])
        #expect(back.metrics[1].values.map(\.bitPattern) == checkpoint.metrics[1].values.map(\.bitPattern))
        #expect(back.manifest == checkpoint.manifest)
        #expect(back.globalStep == 12 && back.epoch == 3 && back.threads == 2)
    }

    @Test("inspect lists every dataset of a checkpoint with its shape and dtype, and the metric history")
    func inspection() throws {
        let directory = NSTemporaryDirectory() + "spikelab-ckpt-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/last.h5"
        try Self.sample().write(to: path)
        let inspection = try CheckpointInspection.inspect(path)
        let datasets = inspection.objects.filter { $0.kind == "dataset" }
        #expect(datasets.first { $0.path == "/model/layer1.0.conv1.weight" }?.shape == [2, 4, 3, 3])
        #expect(datasets.first { $0.path == "/rng/model.dropout" }?.dtype == "uint64")
        #expect(inspection.manifestName == "sample")
        #expect(inspection.metricsSummary.rows == 3)
        let top1 = inspection.metricsSummary.columns.first { $0.column == "test_top1" }
        #expect(top1?.max == 0.6 && top1?.first == 0.5 && top1?.last.isNaN == true)
        #expect(inspection.table().contains("/model/conv1.weight"))
        let json = try JSONSerialization.jsonObject(with: Data(try inspection.json().utf8)) as? [String: Any]
        #expect(json?["global_step"] as? Int == 12)
    }
}
