import Foundation
import SpikeTensor

/// The binary versions of CIFAR-10 and CIFAR-100: files of fixed-size records, each the
/// label byte(s) then 3072 pixel bytes (1024 R, 1024 G, 1024 B; 32×32 row-major).
public enum CIFARBinary {
    /// Record layout: CIFAR-10 has one label byte, CIFAR-100 two (coarse, then fine).
    public enum Layout: String, Sendable {
        case cifar10 = "CIFAR-10", cifar100 = "CIFAR-100"

        /// Label bytes before the pixels.
        public var labelBytes: Int { self == .cifar10 ? 1 : 2 }
        /// Bytes per record.
        public var recordSize: Int { labelBytes + CIFARBinary.pixelBytes }
    }

    /// Shape of one image, `[C, H, W]`.
    public static let imageShape = [3, 32, 32]
    /// Pixel bytes per record.
    public static let pixelBytes = 3 * 32 * 32

    /// The records of one or more files.
    public struct Records {
        /// UInt8 `[N, 3, 32, 32]`.
        public var images: Tensor
        /// Int32 `[N]`: the CIFAR-10 label, or the CIFAR-100 fine label.
        public var labels: Tensor
        /// Int32 `[N]`: the CIFAR-100 coarse (superclass) label; nil for CIFAR-10.
        public var coarseLabels: Tensor?
    }

    /// The records of the file at `path`.
    public static func read(contentsOf path: String, layout: Layout) throws -> Records {
        try read(contentsOf: [path], layout: layout)
    }

    /// The records of `paths` in order, read straight into one set of tensors.
    public static func read(contentsOf paths: [String], layout: Layout) throws -> Records {
        let record = layout.recordSize
        // Open and size-check every file before allocating anything.
        let files = try paths.map { try FileByteStream(path: $0) }
        for file in files where file.size % record != 0 {
            throw DataError.partialRecord(file: file.name, size: file.size, recordSize: record,
                                          format: layout.rawValue)
        }
        let total = files.reduce(0) { $0 + $1.size / record }
        let images = Tensor(shape: [total] + imageShape, dtype: .uint8, uninitialized: true)
        let labels = Tensor(shape: [total], dtype: .int32, uninitialized: true)
        let coarse = layout == .cifar100 ? Tensor(shape: [total], dtype: .int32, uninitialized: true) : nil
        let pixels = images.uint8s.baseAddress!
        let fine = labels.int32s.baseAddress!
        let coarsePointer = coarse?.int32s.baseAddress

        // Read in blocks of records, then split each record into its label(s) and pixels.
        let blockRecords = 1024
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: blockRecords * record, alignment: 64)
        defer { scratch.deallocate() }
        var n = 0
        for file in files {
            let fileRecords = file.size / record
            var done = 0
            while done < fileRecords {
                let count = min(blockRecords, fileRecords - done)
                let bytes = count * record
                let got = try file.read(into: UnsafeMutableRawBufferPointer(start: scratch.baseAddress, count: bytes))
                if got < bytes {
                    // The file shrank after we sized it.
                    throw DataError.truncated(file: file.name, offset: file.position,
                                              expected: "record \(done + got / record) (\(record) bytes)")
                }
                for r in 0..<count {
                    let src = scratch.baseAddress! + r * record
                    let b0 = src.load(as: UInt8.self)
                    if layout == .cifar10 {
                        try checkLabel(b0, below: 10, kind: "label", file: file.name, record: done + r, layout: layout)
                        fine[n] = Int32(b0)
                    } else {
                        let b1 = src.load(fromByteOffset: 1, as: UInt8.self)
                        try checkLabel(b0, below: 20, kind: "coarse label", file: file.name, record: done + r, layout: layout)
                        try checkLabel(b1, below: 100, kind: "fine label", file: file.name, record: done + r, layout: layout)
                        coarsePointer![n] = Int32(b0)
                        fine[n] = Int32(b1)
                    }
                    (pixels + n * pixelBytes).update(
                        from: (src + layout.labelBytes).assumingMemoryBound(to: UInt8.self), count: pixelBytes)
                    n += 1
                }
                done += count
            }
        }
        return Records(images: images, labels: labels, coarseLabels: coarse)
    }

    private static func checkLabel(_ value: UInt8, below limit: Int, kind: String, file: String,
                                   record: Int, layout: Layout) throws {
        if Int(value) >= limit {
            throw DataError.inconsistent(file: file, reason:
                "record \(record) (byte \(record * layout.recordSize)) has \(kind) \(value), expected 0..<\(limit)")
        }
    }

    /// The bytes of a CIFAR file holding `images` (UInt8 `[N, 3, 32, 32]`) and `labels`
    /// (Int32 `[N]`); with `coarseLabels` the CIFAR-100 layout (coarse, fine = `labels`).
    public static func encode(images: Tensor, labels: Tensor, coarseLabels: Tensor? = nil) -> Data {
        let n = images.shape.first ?? 0
        precondition(images.dtype == .uint8 && images.shape == [n] + imageShape,
                     "images must be UInt8 [N, 3, 32, 32], got \(images.dtype) \(images.shape)")
        precondition(labels.dtype == .int32 && labels.shape == [n],
                     "labels must be Int32 [\(n)], got \(labels.dtype) \(labels.shape)")
        if let coarseLabels {
            precondition(coarseLabels.dtype == .int32 && coarseLabels.shape == [n],
                         "coarse labels must be Int32 [\(n)], got \(coarseLabels.dtype) \(coarseLabels.shape)")
        }
        let layout: Layout = coarseLabels == nil ? .cifar10 : .cifar100
        var data = Data(count: n * layout.recordSize)
        data.withUnsafeMutableBytes { raw in
            let pixels = images.uint8s.baseAddress!
            for i in 0..<n {
                let out = raw.baseAddress! + i * layout.recordSize
                let label = Int(labels.int32s[i])
                precondition((0...255).contains(label), "label \(label) does not fit a byte")
                if let coarseLabels {
                    let c = Int(coarseLabels.int32s[i])
                    precondition((0...255).contains(c), "coarse label \(c) does not fit a byte")
                    out.storeBytes(of: UInt8(c), as: UInt8.self)
                    out.storeBytes(of: UInt8(label), toByteOffset: 1, as: UInt8.self)
                } else {
                    out.storeBytes(of: UInt8(label), as: UInt8.self)
                }
                (out + layout.labelBytes).copyMemory(from: pixels + i * pixelBytes, byteCount: pixelBytes)
            }
        }
        return data
    }

    /// Writes a CIFAR binary file (see `encode`) at `path`.
    public static func write(images: Tensor, labels: Tensor, coarseLabels: Tensor? = nil, to path: String) throws {
        let data = encode(images: images, labels: labels, coarseLabels: coarseLabels)
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw DataError.unwritable(file: path, reason: error.localizedDescription)
        }
    }
}
