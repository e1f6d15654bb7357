import Foundation
import Testing
@testable import SpikeLab
import SpikeData
import SpikeTensor

/// A fresh directory under the temporary directory.
private func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "spikelab-show-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("data show for images, speech and scenes")
struct SampleExportTests {
    @Test("an image sample is written as served (bytes / 255) with its label; sequential CIFAR adds its columns")
    func cifarImage() throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Five training files of two images each and a test file, bytes i·7 + k mod 256.
        for (file, first) in zip(CIFAR10.fileNames(.train) + CIFAR10.fileNames(.test), stride(from: 0, to: 12, by: 2)) {
            let bytes: [UInt8] = (0..<6144).map { (k: Int) -> UInt8 in UInt8((k * 7 + first) % 256) }
            try CIFARBinary.write(images: Tensor(uint8: bytes, shape: [2, 3, 32, 32]),
                                  labels: Tensor(int32: [Int32(first % 10), Int32((first + 1) % 10)], shape: [2]),
                                  to: root + "/" + file)
        }
        let out = root + "/s.h5", png = root + "/s.png"
        let line = try DatasetSampleExport.run(.init(dataset: "sequential_cifar10", root: root, index: 3, split: "train",
                                                      output: out, png: png))
        #expect(line.contains("label 3 (cat)"))
        let file = try HDF5File.open(path: out)
        defer { try? file.close() }
        let image = try file.readTensor("/image")
        #expect(image.shape == [3, 32, 32])
        // Sample 3 is the second image of data_batch_2, whose bytes start at offset 2.
        let expected: [Float] = (0..<3072).map { (k: Int) -> Float in
            let byte = ((3072 + k) * 7 + 2) % 256
            return Float(byte) / 255
        }
        #expect(image.array == expected)
        #expect(try file.readScalar("/label", as: Int32.self) == 3)
        #expect(try file.stringAttribute("class_name") == "cat")
        let sequence = try file.readTensor("/sequence")
        #expect(sequence.shape == [32, 96])
        // Step t is image column t: channel c, row h at feature c·32 + h.
        for (t, c, h) in [(0, 0, 0), (5, 1, 7), (31, 2, 31)] {
            #expect(sequence.array[t * 96 + c * 32 + h] == image.array[(c * 32 + h) * 32 + t])
        }
        // 32-pixel images are drawn 8× under a 14-pixel caption.
        let picture = try PNGImage(contentsOf: png)
        #expect(picture.width == 256 && picture.height == 256 + 14)
        #expect(throws: EventSampleExport.RequestError.self) {
            try DatasetSampleExport.run(.init(dataset: "cifar10", root: root, index: 2, split: "test", output: out))
        }
    }

    @Test("an SHD sample keeps its spike trains and its frames equal the loader's binning")
    func shdSpikes() throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let times: [[Float]] = [[0.0, 0.1, 0.2], [0.05, 0.5, 0.5, 0.9]]
        let units: [[UInt16]] = [[1, 2, 3], [699, 0, 0, 350]]
        for split in DataSplit.allCases {
            try SHDFile.write(.init(times: times, units: units, labels: [4, 17]), to: root + "/" + SHD.fileName(split))
        }
        let out = root + "/s.h5", png = root + "/s.png"
        _ = try DatasetSampleExport.run(.init(dataset: "shd", root: root, index: 1, split: "test", frames: 3,
                                              splitBy: "time", output: out, png: png))
        let file = try HDF5File.open(path: out)
        defer { try? file.close() }
        #expect(try file.readArray("/spikes/times", as: Float.self) == times[1])
        #expect(try file.readArray("/spikes/units", as: UInt16.self) == units[1])
        #expect(try file.readScalar("/label", as: Int32.self) == 17)
        let frames = try file.readTensor("/frames")
        #expect(frames.shape == [3, 700])
        var direct = [Float](repeating: 0, count: 3 * 700)
        direct.withUnsafeMutableBufferPointer {
            SpikeTrainBinning.time.accumulate(times: times[1], units: units[1], timeSteps: 3, channels: 700, into: $0.baseAddress!)
        }
        #expect(frames.array == direct)
        #expect(frames.array.reduce(0, +) == 4)
        #expect(try PNGImage(contentsOf: png).height == 700 + 14)
    }

    @Test("a Speech Commands clip keeps its waveform, its log-mel features and its class folder's index")
    func speechClip() throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for (word, shift) in [("no", 0), ("yes", 1)] {
            try FileManager.default.createDirectory(atPath: root + "/" + word, withIntermediateDirectories: true)
            let samples: [Int16] = (0..<8000).map { (i: Int) -> Int16 in Int16(i * (37 + shift * 11) % 20000 - 10000) }
            try WAV.write(.init(sampleRate: 16_000, samples: samples), to: root + "/\(word)/a_nohash_0.wav")
        }
        try "".write(toFile: root + "/" + SpeechCommands.validationList, atomically: true, encoding: .utf8)
        try "no/a_nohash_0.wav\n".write(toFile: root + "/" + SpeechCommands.testingList, atomically: true, encoding: .utf8)
        let out = root + "/s.h5"
        let line = try DatasetSampleExport.run(.init(dataset: "speech_commands", root: root, index: 0, split: "train", output: out))
        #expect(line.contains("yes/a_nohash_0.wav") && line.contains("label 1 (yes)"))
        let file = try HDF5File.open(path: out)
        defer { try? file.close() }
        let waveform = try file.readArray("/waveform", as: Float.self)
        let clip = try SpeechCommands.readClip(root + "/yes/a_nohash_0.wav")
        #expect(waveform == clip && waveform.count == 16_000)
        #expect(waveform[3] == Float(Int16(3 * 48 % 20000 - 10000)) / 32768)
        let features = try file.readTensor("/features")
        #expect(features.shape == [98, 40])
        #expect(features.array == LogMelSpectrogram().features(clip))
        #expect(try file.readScalar("/label", as: Int32.self) == 1)
        #expect(throws: EventSampleExport.RequestError.self) {
            try DatasetSampleExport.run(.init(dataset: "speech_commands", root: root, index: 1, split: "test", output: out))
        }
    }

    @Test("VOC-layout scenes show their boxes and masks, with the demo set's class names read from its marker")
    func vocScenes() throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var generator = PhiloxGenerator(seed: 3)
        func items(_ n: Int) -> ByteImageDataset {
            let bytes = (0..<(n * 28 * 28)).map { _ in UInt8(generator.next() % 256) }
            return ByteImageDataset(name: "items", images: Tensor(uint8: bytes, shape: [n, 1, 28, 28]),
                                    labels: Tensor(int32: (0..<n).map { Int32($0 % 10) }, shape: [n]), classCount: 10)
        }
        var scenes = FashionScenes()
        scenes.trainScenes = 2
        scenes.valScenes = 1
        try scenes.write(root: root, train: items(20), test: items(10), seed: 1)
        // Without the marker the object names are not VOC's: a clear data error.
        #expect(throws: DataError.self) {
            try DatasetSampleExport.run(.init(dataset: "voc_detection", root: root, index: 0, split: "train", output: root + "/d.h5"))
        }
        try "fashion-scenes v1\n".write(toFile: root + "/spikelab-demo.txt", atomically: true, encoding: .utf8)
        #expect(PascalVOC.classNames(forRoot: root) == FashionScenes.classNames)
        #expect(PascalVOC.classNames(forRoot: root + "/VOCdevkit/VOC2012") == FashionScenes.classNames)

        let detections = try VOCDetectionDataset(root: root, split: .train, classNames: FashionScenes.classNames)
        let target = detections.target(at: 1)
        _ = try DatasetSampleExport.run(.init(dataset: "voc_detection", root: root, index: 1, split: "train",
                                              output: root + "/d.h5", png: root + "/d.png"))
        var file = try HDF5File.open(path: root + "/d.h5")
        let boxes = try file.readArray("/boxes", as: Float.self)
        #expect(boxes == target.boxes.flatMap { [$0.xMin, $0.yMin, $0.xMax, $0.yMax] })
        #expect(try file.readArray("/classes", as: Int32.self) == target.classes)
        #expect(try file.readTensor("/image").shape == [3, scenes.height, scenes.width])
        #expect(try file.stringAttribute("class_names") == FashionScenes.classNames.joined(separator: ","))
        try file.close()
        #expect(try PNGImage(contentsOf: root + "/d.png").width == scenes.width)

        let masks = try VOCSegmentationDataset(root: root, split: .test, classNames: FashionScenes.classNames)
        _ = try DatasetSampleExport.run(.init(dataset: "voc_segmentation", root: root, index: 0, split: "test",
                                              output: root + "/s.h5", png: root + "/s.png"))
        file = try HDF5File.open(path: root + "/s.h5")
        #expect(try file.readTensor("/mask", as: .int32).array == (try masks.mask(at: 0)).array)
        try file.close()
        let picture = try PNGImage(contentsOf: root + "/s.png")
        #expect(picture.width == 2 * scenes.width + 4 && picture.height == scenes.height)
    }
}
