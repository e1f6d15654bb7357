import Foundation
import Testing
@testable import SpikeData
import SpikeTensor

/// A fresh folder under the system temporary directory, removed when the test ends.
private final class ScratchFolder: Sendable {
    let path: String
    init() {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("spikedata-hdf5-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
}

/// The elements of an int32 tensor. The tensor is kept alive while they are copied: its
/// buffer pointer does not keep it alive by itself.
private func int32Values(_ tensor: Tensor) -> [Int32] { withExtendedLifetime(tensor) { Array(tensor.int32s) } }

/// The elements of a uint8 tensor (see `int32Values`).
private func uint8Values(_ tensor: Tensor) -> [UInt8] { withExtendedLifetime(tensor) { Array(tensor.uint8s) } }

/// The `HDF5Error` `body` throws, or nil (recorded as a failure) when it throws nothing or another error.
private func caught(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> HDF5Error? {
    do {
        try body()
        Issue.record("expected an HDF5Error, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as HDF5Error {
        return error
    } catch {
        Issue.record("expected an HDF5Error, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

@Suite("HDF5 datasets")
struct HDF5DatasetTests {
    @Test("tensors of every dtype and shape, including 0-d and empty, read back bit for bit")
    func tensorRoundTrips() throws {
        let scratch = ScratchFolder()
        let shapes: [[Int]] = [[], [1], [5], [2, 3], [2, 3, 4], [0], [3, 0], [2, 0, 5]]
        let path = scratch.file("tensors.h5")
        var written: [String: Tensor] = [:]
        let file = try HDF5File.create(path: path)
        for dtype in DType.allCases {
            for shape in shapes {
                let count = shape.reduce(1, *)
                let tensor: Tensor
                switch dtype {
                case .float32: tensor = Tensor((0..<count).map { Float($0) * 0.37 - 1.5 }, shape: shape)
                case .int32: tensor = Tensor(int32: (0..<count).map { Int32($0) * 1_000_003 - 7 }, shape: shape)
                case .uint8: tensor = Tensor(uint8: (0..<count).map { UInt8(($0 * 37) % 256) }, shape: shape)
                }
                let name = "t/\(dtype)/shape_\(shape.map(String.init).joined(separator: "x"))"
                try file.writeTensor(tensor, at: name)
                written[name] = tensor
            }
        }
        try file.close()

        let reopened = try HDF5File.open(path: path)
        for (name, tensor) in written {
            let back = try reopened.readTensor(name, as: tensor.dtype)
            #expect(back.shape == tensor.shape, "\(name)")
            #expect(back.dtype == tensor.dtype)
            #expect(back.array == tensor.array, "\(name)")
            #expect(try reopened.datasetShape(name) == tensor.shape)
            #expect(try reopened.datasetType(name) == .numeric(tensor.dtype.hdf5ElementType))
        }
    }

    @Test("raw arrays and scalars of 64-bit types keep their exact values")
    func arraysAndScalars() throws {
        let scratch = ScratchFolder()
        let file = try HDF5File.create(path: scratch.file("arrays.h5"))
        let words: [UInt64] = [0, 1, 0x9E37_79B9_7F4A_7C15, .max]
        let doubles: [Double] = [0, -0.0, 1e-300, .pi, -.greatestFiniteMagnitude, .infinity]
        let longs: [Int64] = [.min, -1, 0, 1 << 53 + 1, .max]
        try file.writeArray(words, at: "rng/global")
        try file.writeArray(doubles, at: "metrics/values")
        try file.writeArray(longs, shape: [5, 1], at: "data/permutation")
        try file.writeArray([Int16](), at: "empty")
        try file.writeScalar(UInt64.max - 3, at: "cursor")
        try file.writeScalar(0.1 as Double, at: "lr")
        #expect(try file.readArray("rng/global", as: UInt64.self) == words)
        #expect(try file.readArray("metrics/values", as: Double.self).map(\.bitPattern) == doubles.map(\.bitPattern))
        #expect(try file.readArray("data/permutation", as: Int64.self) == longs)
        #expect(try file.datasetShape("data/permutation") == [5, 1])
        #expect(try file.readArray("empty", as: Int16.self) == [])
        #expect(try file.datasetShape("empty") == [0])
        #expect(try file.readScalar("cursor", as: UInt64.self) == UInt64.max - 3)
        #expect(try file.datasetShape("cursor") == [])
        #expect(try file.readScalar("lr", as: Double.self) == 0.1)
        #expect(try file.datasetType("lr") == .numeric(.float64))
        // A shape that does not match the values is refused.
        let error = caught { try file.writeArray([1.0, 2.0, 3.0], shape: [2, 2], at: "bad") }
        #expect(error?.kind == .invalidArgument("3 values do not fill shape [2, 2]"))
        // More than one element is not a scalar.
        #expect(caught { _ = try file.readScalar("rng/global", as: UInt64.self) }?.description
            .contains("holds 4 elements") == true)
    }

    @Test("float64, uint16 and int64 data read into float32 and int32 tensors by conversion")
    func conversions() throws {
        let scratch = ScratchFolder()
        let file = try HDF5File.create(path: scratch.file("convert.h5"))
        try file.writeArray([1.5, -2.25, 1e10, 3.0] as [Double], shape: [2, 2], at: "f64")
        try file.writeArray([0, 7, 65535] as [UInt16], at: "u16")
        try file.writeArray([-3, 1 << 40, 12] as [Int64], at: "i64")
        let f64 = try file.readTensor("f64")
        #expect(f64.shape == [2, 2])
        #expect(f64.array == [1.5, -2.25, 1e10, 3.0])
        #expect(try file.readTensor("u16").array == [0, 7, 65535])
        #expect(try file.readTensor("i64").array == [-3, Float(1 << 40), 12])
        #expect(int32Values(try file.readTensor("u16", as: .int32)) == [0, 7, 65535])
        // Float to integer truncates toward zero; out-of-range values saturate.
        #expect(int32Values(try file.readTensor("f64", as: .int32)) == [1, -2, .max, 3])
        #expect(uint8Values(try file.readTensor("u16", as: .uint8)) == [0, 7, 255])
        #expect(try file.readArray("u16", as: Double.self) == [0, 7, 65535])
    }

    @Test("a range of rows reads just those rows")
    func rowRanges() throws {
        let scratch = ScratchFolder()
        let file = try HDF5File.create(path: scratch.file("rows.h5"))
        let tensor = Tensor((0..<60).map(Float.init), shape: [5, 3, 4])
        try file.writeTensor(tensor, at: "frames")
        try file.writeTensor(tensor, at: "frames_gz", storage: .deflate(level: 1, chunkShape: [2, 3, 4]))
        for name in ["frames", "frames_gz"] {
            let middle = try file.readTensor(name, rows: 1..<3)
            #expect(middle.shape == [2, 3, 4])
            #expect(middle.array == (12..<36).map(Float.init))
            #expect(try file.readTensor(name, rows: 4..<4).shape == [0, 3, 4])
            let error = caught { _ = try file.readTensor(name, rows: 3..<6) }
            #expect(error?.kind == .shapeMismatch("rows 3..<6 are outside 0..<5"))
        }
    }

    @Test("gzip compression with chunking shrinks compressible data and reads back the same")
    func compression() throws {
        let scratch = ScratchFolder()
        let values = (0..<(256 * 128)).map { Float($0 % 17) }
        let tensor = Tensor(values, shape: [256, 128])
        let plainPath = scratch.file("plain.h5"), compressedPath = scratch.file("compressed.h5")
        let plain = try HDF5File.create(path: plainPath)
        try plain.writeTensor(tensor, at: "x")
        try plain.close()
        let compressed = try HDF5File.create(path: compressedPath)
        try compressed.writeTensor(tensor, at: "x", storage: .deflate(level: 6))
        try compressed.writeTensor(tensor, at: "y", storage: .deflate(level: 9, shuffle: false, chunkShape: [16, 128]))
        try compressed.writeTensor(Tensor.scalar(3), at: "scalar", storage: .deflate())  // stays contiguous
        try compressed.writeTensor(Tensor(shape: [0, 4]), at: "empty", storage: .deflate())
        let badLevel = caught { try compressed.writeTensor(tensor, at: "z", storage: .deflate(level: 12)) }
        #expect(badLevel?.kind == .invalidArgument("gzip level 12 is outside 0...9"))
        let badChunk = caught {
            try compressed.writeTensor(tensor, at: "z", storage: .deflate(chunkShape: [512, 1]))
        }
        #expect(badChunk?.kind == .invalidArgument("chunk shape [512, 1] does not fit dataset shape [256, 128]"))
        // A refused write leaves the dataset that was there.
        #expect(caught { try compressed.writeTensor(tensor, at: "x", storage: .deflate(level: -1)) } != nil)
        #expect(try compressed.datasetShape("x") == [256, 128])
        try compressed.close()

        let plainSize = try FileManager.default.attributesOfItem(atPath: plainPath)[.size] as! Int
        let compressedSize = try FileManager.default.attributesOfItem(atPath: compressedPath)[.size] as! Int
        #expect(compressedSize < plainSize / 4, "two compressed copies \(compressedSize) B vs one plain \(plainSize) B")
        let reopened = try HDF5File.open(path: compressedPath)
        #expect(try reopened.readTensor("x").array == values)
        #expect(try reopened.readTensor("y").array == values)
        #expect(try reopened.readTensor("scalar").item == 3)
        #expect(try reopened.readTensor("empty").shape == [0, 4])
    }

    @Test("automatic chunks keep whole trailing axes and stay under the target size")
    func automaticChunks() {
        #expect(HDF5StorageOptions.automaticChunkShape(for: [1000, 2, 34, 34], elementSize: 4) == [16, 2, 34, 34])
        #expect(HDF5StorageOptions.automaticChunkShape(for: [10], elementSize: 4) == [10])
        #expect(HDF5StorageOptions.automaticChunkShape(for: [1, 1 << 20], elementSize: 4) == [1, 1 << 16])
    }

    @Test("writing a dataset again replaces it")
    func replaceDataset() throws {
        let scratch = ScratchFolder()
        let file = try HDF5File.create(path: scratch.file("replace.h5"))
        try file.writeTensor(Tensor([1, 2, 3]), at: "w")
        try file.writeTensor(Tensor(int32: [9, 8], shape: [1, 2]), at: "w")
        #expect(try file.datasetShape("w") == [1, 2])
        #expect(int32Values(try file.readTensor("w", as: .int32)) == [9, 8])
    }

    @Test("string datasets: variable-length written, both kinds read")
    func stringDatasets() throws {
        let scratch = ScratchFolder()
        let file = try HDF5File.create(path: scratch.file("strings.h5"))
        let words = ["zero", "", "drei ✓", "a longer class name"]
        try file.writeStrings(words, at: "extra/keys")
        try file.writeStrings([], at: "extra/none")
        #expect(try file.readStrings("extra/keys") == words)
        #expect(try file.readStrings("extra/none") == [])
        #expect(try file.datasetType("extra/keys") == .string(variableLength: true))
        let error = caught { _ = try file.readTensor("extra/keys") }
        #expect(error?.kind == .typeMismatch("stores variable-length string, which cannot be read as numbers"))
    }
}

@Suite("HDF5 variable-length sequences")
struct HDF5SequenceTests {
    @Test("float and uint16 sequences, including empty ones, round-trip; ranges select entries")
    func roundTrip() throws {
        let scratch = ScratchFolder()
        let path = scratch.file("shd.h5")
        let times: [[Float]] = [[0.001, 0.002, 0.5], [], [0.75], (0..<1000).map { Float($0) * 1e-3 }]
        let units: [[UInt16]] = [[3, 699, 0], [], [12], (0..<1000).map { UInt16($0 % 700) }]
        let file = try HDF5File.create(path: path)
        try file.writeSequences(times, at: "spikes/times")
        try file.writeSequences(units, at: "spikes/units")
        try file.writeSequences([[Float]](), at: "spikes/none")
        try file.close()

        let reopened = try HDF5File.open(path: path)
        #expect(try reopened.readSequences("spikes/times", as: Float.self) == times)
        #expect(try reopened.readSequences("spikes/units", as: UInt16.self) == units)
        #expect(try reopened.readSequences("spikes/none", as: Float.self) == [])
        #expect(try reopened.readSequences("spikes/times", as: Float.self, range: 1..<3) == [[], [0.75]])
        #expect(try reopened.readSequences("spikes/units", as: Int32.self, range: 0..<1) == [[3, 699, 0]])
        #expect(try reopened.readSequences("spikes/times", as: Double.self)[2] == [Double(Float(0.75))])
        #expect(try reopened.datasetType("spikes/times") == .sequence(.float32))
        #expect(try reopened.datasetType("spikes/units") == .sequence(.uint16))
        #expect(try reopened.datasetShape("spikes/units") == [4])
        let outside = caught { _ = try reopened.readSequences("spikes/units", as: UInt16.self, range: 2..<5) }
        #expect(outside?.kind == .shapeMismatch("entries 2..<5 are outside 0..<4"))
    }

    @Test("reading many sequences repeatedly does not grow memory (HDF5's buffers are reclaimed)")
    func reclaimsMemory() throws {
        let scratch = ScratchFolder()
        let file = try HDF5File.create(path: scratch.file("big.h5"))
        let sequences = (0..<200).map { i in (0..<(500 + i)).map { Float($0) } }
        try file.writeSequences(sequences, at: "s")
        func residentBytes() -> Int {
            let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? "0 0"
            return (Int(statm.split(separator: " ")[1]) ?? 0) * 4096
        }
        _ = try file.readSequences("s", as: Float.self)
        let before = residentBytes()
        // ~190 MB if leaked. Resident memory is the whole process's, and other suites run in
        // parallel, so the leak signal is made several times the ~24 MB that they can add.
        for _ in 0..<400 { _ = try file.readSequences("s", as: Float.self) }
        let growth = residentBytes() - before
        #expect(growth < 64 << 20, "resident memory grew by \(growth) bytes")
    }

    @Test("a plain numeric dataset is not a sequence dataset")
    func wrongType() throws {
        let scratch = ScratchFolder()
        let file = try HDF5File.create(path: scratch.file("wrong.h5"))
        try file.writeArray([1, 2] as [UInt16], at: "labels")
        let error = caught { _ = try file.readSequences("labels", as: UInt16.self) }
        #expect(error?.kind == .typeMismatch("stores uint16, not variable-length numeric sequences"))
    }
}

@Suite("HDF5 groups and attributes")
struct HDF5StructureTests {
    @Test("nested groups are created with their parents and listed by name with their kind")
    func groups() throws {
        let scratch = ScratchFolder()
        let file = try HDF5File.create(path: scratch.file("groups.h5"))
        try file.createGroup("a/b/c")
        try file.createGroup("/a/b/c/")  // exists already: fine
        try file.createGroup("a/zeta")
        try file.writeTensor(Tensor([1]), at: "a/b/weights")
        try file.writeTensor(Tensor([2]), at: "x/y/z")  // parents made on the way
        #expect(try file.groupExists("/"))
        #expect(try file.groupExists("a"))
        #expect(try file.groupExists("a/b/c"))
        #expect(try file.groupExists("x/y"))
        #expect(try !file.groupExists("a/b/weights"))
        #expect(try file.datasetExists("a/b/weights"))
        #expect(try !file.datasetExists("a/b/missing/deeper"))
        #expect(try file.objectKind("nope/nothing") == nil)
        #expect(try file.listChildren() == [HDF5Child(name: "a", kind: .group), HDF5Child(name: "x", kind: .group)])
        #expect(try file.listChildren(of: "a/b") == [
            HDF5Child(name: "c", kind: .group), HDF5Child(name: "weights", kind: .dataset),
        ])
        #expect(try file.listChildren(of: "a/b/c") == [])
        try file.remove("a/b/weights")
        #expect(try !file.datasetExists("a/b/weights"))

        let overDataset = caught { try file.createGroup("x/y/z/w") }
        #expect(overDataset?.kind == .wrongKind(expected: "group", found: "dataset"))
        let overGroup = caught { try file.writeTensor(Tensor([1]), at: "a/b") }
        #expect(overGroup?.kind == .alreadyExists(found: "group"))
        let listDataset = caught { _ = try file.listChildren(of: "x/y/z") }
        #expect(listDataset?.kind == .wrongKind(expected: "group", found: "dataset"))
        #expect(caught { try file.remove("a/missing") }?.kind == .notFound)
    }

    @Test("attributes of each kind round-trip on the file, a group and a dataset")
    func attributes() throws {
        let scratch = ScratchFolder()
        let path = scratch.file("attrs.h5")
        let file = try HDF5File.create(path: path)
        try file.writeTensor(Tensor([1, 2]), at: "model/fc.weight")
        let manifest = "name: demo\nseed: 0\nnote: ünïcödé ✓\n"
        for owner in ["/", "model", "model/fc.weight"] {
            try file.setAttribute("format", "spikelab-checkpoint", on: owner)
            try file.setAttribute("manifest", .string(manifest), on: owner)
            try file.setAttribute("empty_text", "", on: owner)
            try file.setAttribute("epoch", 12, on: owner)
            try file.setAttribute("big", .int64(.min), on: owner)
            try file.setAttribute("lr", 0.05, on: owner)
            try file.setAttribute("betas", .doubleArray([0.9, 0.999]), on: owner)
            try file.setAttribute("shape", .int64Array([3, 1, 4]), on: owner)
            try file.setAttribute("nothing", .int64Array([]), on: owner)
        }
        try file.close()

        let reopened = try HDF5File.open(path: path)
        for owner in ["/", "model", "model/fc.weight"] {
            #expect(try reopened.stringAttribute("format", on: owner) == "spikelab-checkpoint")
            #expect(try reopened.stringAttribute("manifest", on: owner) == manifest)
            #expect(try reopened.stringAttribute("empty_text", on: owner) == "")
            #expect(try reopened.int64Attribute("epoch", on: owner) == 12)
            #expect(try reopened.int64Attribute("big", on: owner) == .min)
            #expect(try reopened.doubleAttribute("lr", on: owner) == 0.05)
            #expect(try reopened.doubleAttribute("epoch", on: owner) == 12)  // converted
            #expect(try reopened.doubleArrayAttribute("betas", on: owner) == [0.9, 0.999])
            #expect(try reopened.int64ArrayAttribute("shape", on: owner) == [3, 1, 4])
            #expect(try reopened.int64ArrayAttribute("nothing", on: owner) == [])
            #expect(try reopened.int64ArrayAttribute("epoch", on: owner) == [12])
            #expect(try reopened.attribute("epoch", on: owner) == .int64(12))
            #expect(try reopened.attribute("lr", on: owner) == .double(0.05))
            #expect(try reopened.attribute("shape", on: owner) == .int64Array([3, 1, 4]))
            #expect(try reopened.attribute("betas", on: owner) == .doubleArray([0.9, 0.999]))
            #expect(try reopened.attribute("format", on: owner) == .string("spikelab-checkpoint"))
            #expect(try reopened.attributeNames(on: owner) == [
                "betas", "big", "empty_text", "epoch", "format", "lr", "manifest", "nothing", "shape",
            ])
            #expect(try reopened.attributeExists("epoch", on: owner))
            #expect(try !reopened.attributeExists("missing", on: owner))
        }
        #expect(try !reopened.attributeExists("epoch", on: "no/such/object"))
        let missing = caught { _ = try reopened.int64Attribute("missing", on: "model") }
        #expect(missing?.kind == .notFound)
        #expect(missing?.description == "\(path): attribute missing of /model: not found (reading an int64 attribute)")
        let wrongType = caught { _ = try reopened.int64Attribute("format") }
        #expect(wrongType?.kind == .typeMismatch("stores variable-length string, not numbers"))
        let notOne = caught { _ = try reopened.doubleAttribute("betas") }
        #expect(notOne?.kind == .shapeMismatch("holds 2 numbers, expected one"))
        let notString = caught { _ = try reopened.stringAttribute("lr") }
        #expect(notString?.kind == .typeMismatch("stores float64, not strings"))
    }

    @Test("attributes can be replaced and removed")
    func replaceAttributes() throws {
        let scratch = ScratchFolder()
        let file = try HDF5File.create(path: scratch.file("replace.h5"))
        try file.setAttribute("epoch", 1)
        try file.setAttribute("epoch", "one")
        #expect(try file.attribute("epoch") == .string("one"))
        try file.removeAttribute("epoch")
        #expect(try file.attributeNames() == [])
        #expect(caught { try file.removeAttribute("epoch") }?.kind == .notFound)
        #expect(caught { try file.setAttribute("a", 1, on: "missing") }?.kind == .notFound)
    }
}

@Suite("HDF5 errors")
struct HDF5ErrorTests {
    @Test("a missing dataset names the file, the dataset and the operation")
    func missingDataset() throws {
        let scratch = ScratchFolder()
        let path = scratch.file("last.h5")
        let file = try HDF5File.create(path: path)
        try file.createGroup("model")
        let error = caught { _ = try file.readTensor("model/fc.weight") }
        #expect(error?.kind == .notFound)
        #expect(error?.file == path)
        #expect(error?.object == "dataset /model/fc.weight")
        #expect(error?.description == "\(path): dataset /model/fc.weight: not found (reading a tensor as float32)")
        #expect(caught { _ = try file.datasetShape("model/missing/deeper") }?.kind == .notFound)
    }

    @Test("asking for a dataset where a group is (and the reverse) is a wrong-kind error")
    func wrongKind() throws {
        let scratch = ScratchFolder()
        let file = try HDF5File.create(path: scratch.file("kinds.h5"))
        try file.writeTensor(Tensor([1]), at: "g/d")
        let error = caught { _ = try file.readTensor("g") }
        #expect(error?.kind == .wrongKind(expected: "dataset", found: "group"))
        #expect(error?.description.contains("dataset /g: is a group, not a dataset") == true)
        #expect(caught { _ = try file.readSequences("/", as: Float.self) }?.kind
            == .wrongKind(expected: "dataset", found: "group"))
    }

    @Test("a file that is not HDF5, empty, or missing gives a clean error")
    func notHDF5() throws {
        let scratch = ScratchFolder()
        let text = scratch.file("notes.h5")
        try "definitely not HDF5\n".write(toFile: text, atomically: false, encoding: .utf8)
        let error = caught { _ = try HDF5File.open(path: text) }
        #expect(error?.kind == .notHDF5)
        #expect(error?.description.hasPrefix("\(text): not an HDF5 file") == true)
        let empty = scratch.file("empty.h5")
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        #expect(caught { _ = try HDF5File.open(path: empty) }?.kind == .notHDF5)
        let missing = caught { _ = try HDF5File.open(path: scratch.file("absent.h5")) }
        #expect(missing?.kind == .fileNotFound)
        #expect(caught { _ = try HDF5File.create(path: scratch.file("no/such/folder/x.h5")) }?.kind == .fileNotFound)
    }

    @Test("a truncated file is refused with HDF5's reason, never a crash")
    func truncatedFile() throws {
        let scratch = ScratchFolder()
        let path = scratch.file("truncated.h5")
        let file = try HDF5File.create(path: path)
        try file.writeTensor(Tensor((0..<20_000).map(Float.init)), at: "model/w")
        try file.setAttribute("epoch", 3)
        try file.close()
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.truncate(atOffset: UInt64(size / 2))
        try handle.close()
        let error = caught { _ = try HDF5File.open(path: path) }
        #expect(error?.kind == .unreadableFile)
        #expect(error?.libraryMessage?.contains("truncated") == true, "\(String(describing: error))")
        // Cutting inside the superblock is refused too.
        try FileHandle(forUpdatingAtPath: path)!.truncate(atOffset: 40)
        #expect(caught { _ = try HDF5File.open(path: path) } != nil)
    }

    @Test("writes to a read-only file and any use of a closed file are refused")
    func readOnlyAndClosed() throws {
        let scratch = ScratchFolder()
        let path = scratch.file("ro.h5")
        try HDF5File.create(path: path).close()
        let readOnly = try HDF5File.open(path: path)
        #expect(caught { try readOnly.writeTensor(Tensor([1]), at: "x") }?.kind == .readOnly)
        #expect(caught { try readOnly.setAttribute("a", 1) }?.kind == .readOnly)
        #expect(caught { try readOnly.createGroup("g") }?.kind == .readOnly)
        try readOnly.close()
        try readOnly.close()  // twice is fine
        #expect(!readOnly.isOpen)
        #expect(caught { _ = try readOnly.listChildren() }?.kind == .closed)
        #expect(caught { try readOnly.flush() }?.kind == .closed)

        let writable = try HDF5File.open(path: path, mode: .readWrite)
        try writable.writeTensor(Tensor([4, 5]), at: "x")
        try writable.flush()
        try writable.close()
        #expect(try HDF5File.open(path: path).readTensor("x").array == [4, 5])
    }
}

@Suite("HDF5 atomic writes, fixtures from h5py, threads")
struct HDF5FileLevelTests {
    @Test("an atomic write replaces the file only when the body succeeds")
    func atomicWrite() throws {
        let scratch = ScratchFolder()
        let path = scratch.file("last.h5")
        try HDF5File.writeAtomically(to: path) { file in
            try file.writeTensor(Tensor([1, 2, 3]), at: "model/w")
            try file.setAttribute("epoch", 1)
        }
        struct Interrupted: Error {}
        #expect(throws: Interrupted.self) {
            try HDF5File.writeAtomically(to: path) { file in
                try file.writeTensor(Tensor([9, 9, 9]), at: "model/w")
                try file.setAttribute("epoch", 2)
                throw Interrupted()
            }
        }
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
        let kept = try HDF5File.open(path: path)
        #expect(try kept.readTensor("model/w").array == [1, 2, 3])
        #expect(try kept.int64Attribute("epoch") == 1)
        try kept.close()

        // An HDF5 failure inside the body behaves the same.
        #expect(throws: HDF5Error.self) {
            try HDF5File.writeAtomically(to: path) { file in _ = try file.readTensor("missing") }
        }
        #expect(try HDF5File.open(path: path).int64Attribute("epoch") == 1)

        try HDF5File.writeAtomically(to: path) { file in try file.setAttribute("epoch", 3) }
        #expect(try HDF5File.open(path: path).int64Attribute("epoch") == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["last.h5"])
    }

    @Test("a file written by h5py reads back with the values its script wrote")
    func h5pyFixture() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fixture.h5").path
        let file = try HDF5File.open(path: fixture)
        #expect(try file.stringAttribute("title") == "SpikeLab fixture ✓")
        #expect(try file.stringAttribute("fixed_title") == "fixed bytes")
        #expect(try file.attribute("fixed_title") == .string("fixed bytes"))
        #expect(try file.int64Attribute("epoch") == 7)
        #expect(try file.int64Attribute("small_int") == 42)
        #expect(try file.doubleAttribute("learning_rate") == 0.125)
        #expect(try file.doubleArrayAttribute("betas") == [0.9, 0.999])
        #expect(try file.attribute("steps") == .int64Array([1, -2, 3]))
        #expect(try file.listChildren() == [
            HDF5Child(name: "data", kind: .group), HDF5Child(name: "extra", kind: .group),
            HDF5Child(name: "labels", kind: .dataset), HDF5Child(name: "spikes", kind: .group),
        ])

        let matrix = try file.readTensor("data/float64_matrix")
        #expect(matrix.shape == [2, 3])
        #expect(matrix.array == [1.5, -2.25, 3.0, 4.0, 5.5, -6.75])
        #expect(try file.datasetType("data/float64_matrix") == .numeric(.float64))
        #expect(try file.readTensor("data/uint16_vector").array == [0, 1, 65535])
        #expect(try file.readTensor("data/int64_vector").array == [-5, 0, Float(1 << 40)])
        #expect(try file.readArray("data/int64_vector", as: Int64.self) == [-5, 0, 1 << 40])
        #expect(try file.readTensor("data/half_vector").array == [0.5, -1.0, 2.0])
        #expect(try file.datasetType("data/half_vector") == .other("float of 2 bytes"))
        #expect(try file.readScalar("data/scalar", as: Double.self) == 2.5)
        #expect(try file.readArray("data/uint64_state", as: UInt64.self) == [0, 1, .max])
        let compressed = try file.readTensor("data/compressed")
        #expect(compressed.shape == [2, 3, 4])
        #expect(compressed.array == (0..<24).map(Float.init))
        #expect(try file.readTensor("data/compressed", rows: 1..<2).array == (12..<24).map(Float.init))
        #expect(try file.stringAttribute("unit", on: "data/compressed") == "volts")
        #expect(try file.doubleAttribute("scale", on: "data/compressed") == 2.0)

        #expect(try file.readSequences("spikes/times", as: Float.self) == [[0.001, 0.0025, 0.5], [], [0.75]])
        #expect(try file.readSequences("spikes/units", as: UInt16.self) == [[3, 699, 0], [], [12]])
        #expect(try file.readArray("labels", as: UInt16.self) == [4, 0, 19])
        #expect(try file.readStrings("extra/keys") == ["zero", "one", "nineteen"])
        #expect(try file.datasetType("extra/keys") == .string(variableLength: false))
        #expect(try file.readStrings("extra/names") == ["null", "eins", "neunzehn"])
    }

    @Test("many threads reading and writing their own files at once stay correct")
    func threads() throws {
        let scratch = ScratchFolder()
        let shared = scratch.file("shared.h5")
        let sharedFile = try HDF5File.create(path: shared)
        try sharedFile.writeTensor(Tensor((0..<1000).map(Float.init)), at: "values")
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 16) { worker in
            do {
                let path = scratch.file("worker\(worker).h5")
                let file = try HDF5File.create(path: path)
                for step in 0..<20 {
                    try file.writeTensor(Tensor([Float(worker), Float(step)]), at: "w/\(step)")
                    try file.setAttribute("step", .int64(Int64(step)), on: "w/\(step)")
                    let mine = try file.readTensor("w/\(step)").array
                    let common = try sharedFile.readTensor("values", rows: step..<(step + 10)).array
                    if mine != [Float(worker), Float(step)] || common != (step..<(step + 10)).map(Float.init) {
                        failures.add("worker \(worker) step \(step) read wrong values")
                    }
                }
                try file.close()
            } catch {
                failures.add("worker \(worker): \(error)")
            }
        }
        #expect(failures.messages == [])
    }
}

/// Failure messages collected from concurrent workers.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ message: String) { lock.lock(); list.append(message); lock.unlock() }
    var messages: [String] { lock.lock(); defer { lock.unlock() }; return list }
}
