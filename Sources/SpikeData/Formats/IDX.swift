import Foundation
import SpikeTensor

/// The IDX format of MNIST and Fashion-MNIST, plain or gzip-compressed.
///
/// Layout: magic `00 00 TYPE RANK`, then `RANK` big-endian u32 extents, then the elements
/// in row-major order, big-endian.
public enum IDX {
    /// Element types an IDX file can hold (the third magic byte).
    public enum ElementType: UInt8, Sendable, CaseIterable {
        case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E

        /// Bytes per element in the file.
        public var byteSize: Int {
            switch self {
            case .uint8, .int8: 1
            case .int16: 2
            case .int32, .float32: 4
            case .float64: 8
            }
        }

        /// The tensor type the reader returns: bytes stay UInt8, other integers widen to
        /// Int32, floating point becomes Float32 (float64 is rounded).
        public var tensorType: DType {
            switch self {
            case .uint8: .uint8
            case .int8, .int16, .int32: .int32
            case .float32, .float64: .float32
            }
        }

        var summary: String {
            switch self {
            case .uint8: "u8"
            case .int8: "i8"
            case .int16: "i16"
            case .int32: "i32"
            case .float32: "f32"
            case .float64: "f64"
            }
        }
    }

    /// What an IDX header says: element type, shape and where the data starts.
    public struct Header: Equatable, Sendable {
        public var elementType: ElementType
        public var shape: [Int]
        /// Byte offset of the first element (4 + 4 × rank).
        public var dataOffset: Int { 4 + 4 * shape.count }
        /// Bytes of element data the header announces.
        public var dataByteCount: Int { shape.reduce(1, *) * elementType.byteSize }
    }

    private static let typeCodes = "08 (u8), 09 (i8), 0b (i16), 0c (i32), 0d (f32) or 0e (f64)"

    /// Reads and checks the header at the start of `stream`.
    public static func readHeader(from stream: any ByteStream) throws -> Header {
        var magic: (UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0)
        try withUnsafeMutableBytes(of: &magic) {
            try stream.readExactly(into: $0, expected: "the 4-byte IDX magic number 00 00 TYPE RANK")
        }
        if magic.0 != 0 || magic.1 != 0 {
            throw DataError.badMagic(file: stream.name, offset: 0,
                                     found: hex([magic.0, magic.1, magic.2, magic.3]),
                                     expected: "an IDX magic number 00 00 TYPE RANK")
        }
        guard let type = ElementType(rawValue: magic.2) else {
            throw DataError.badMagic(file: stream.name, offset: 2, found: "type code \(hex([magic.2]))",
                                     expected: "an IDX type code \(typeCodes)")
        }
        let rank = Int(magic.3)
        if rank == 0 {
            throw DataError.badMagic(file: stream.name, offset: 3, found: "rank 0",
                                     expected: "at least one dimension")
        }
        var extents = [UInt32](repeating: 0, count: rank)
        try extents.withUnsafeMutableBytes {
            try stream.readExactly(into: $0, expected: "\(rank) big-endian u32 extents after the magic number")
        }
        let shape = extents.map { Int(UInt32(bigEndian: $0)) }
        // Refuse shapes whose byte count overflows before anything is allocated.
        var total = type.byteSize
        for extent in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: extent)
            if overflow {
                throw DataError.inconsistent(file: stream.name, reason: "extents \(shape) are too large")
            }
            total = product
        }
        return Header(elementType: type, shape: shape)
    }

    /// The tensor stored in the IDX file at `path` (gzip or plain, recognised by content).
    ///
    /// UInt8 files give UInt8 tensors, other integer types Int32, floating point Float32.
    public static func read(contentsOf path: String) throws -> Tensor {
        try read(from: openByteStream(path))
    }

    /// The tensor in an IDX `stream`; the stream must end right after the data.
    public static func read(from stream: any ByteStream) throws -> Tensor {
        let header = try readHeader(from: stream)
        let dataBytes = header.dataByteCount
        let expectedTotal = header.dataOffset + dataBytes
        let detail = "\(header.dataOffset)-byte header + \(header.shape.map(String.init).joined(separator: "×")) "
            + "\(header.elementType.summary) elements"
        if let file = stream as? FileByteStream, file.size != expectedTotal {
            // A plain file's size is known up front: check it before allocating anything.
            throw DataError.sizeMismatch(file: stream.name, expectedBytes: expectedTotal,
                                         actualBytes: file.size, detail: detail)
        }
        if let gzip = stream as? GzipReader, expectedTotal > gzip.decompressedSizeLimit {
            // Deflate cannot expand beyond ~1032:1, so such a header is corrupt.
            throw DataError.inconsistent(file: stream.name, reason:
                "the header announces \(expectedTotal) bytes (\(detail)), more than the compressed file can hold")
        }

        let type = header.elementType
        let tensor = Tensor(shape: header.shape, dtype: type.tensorType, uninitialized: true)
        let count = tensor.count
        let expected = "\(dataBytes) bytes of data (\(detail))"
        switch type {
        case .uint8, .int32, .float32:
            // Same width in file and tensor: read in place, then fix the byte order.
            try stream.readExactly(into: UnsafeMutableRawBufferPointer(start: tensor.rawPointer, count: dataBytes),
                                   expected: expected)
            if type != .uint8 {
                let words = tensor.rawPointer.assumingMemoryBound(to: UInt32.self)
                for i in 0..<count { words[i] = UInt32(bigEndian: words[i]) }
            }
        case .int8, .int16, .float64:
            let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: max(dataBytes, 1), alignment: 8)
            defer { raw.deallocate() }
            try stream.readExactly(into: UnsafeMutableRawBufferPointer(start: raw.baseAddress, count: dataBytes),
                                   expected: expected)
            convert(raw.baseAddress!, type: type, count: count, into: tensor)
        }

        let extra = try countRemainingBytes(stream)
        if extra > 0 {
            throw DataError.sizeMismatch(file: stream.name, expectedBytes: expectedTotal,
                                         actualBytes: expectedTotal + extra, detail: detail)
        }
        return tensor
    }

    private static func convert(_ raw: UnsafeMutableRawPointer, type: ElementType, count: Int, into tensor: Tensor) {
        switch type {
        case .int8:
            let src = raw.assumingMemoryBound(to: Int8.self), dst = tensor.int32s.baseAddress!
            for i in 0..<count { dst[i] = Int32(src[i]) }
        case .int16:
            let src = raw.assumingMemoryBound(to: UInt16.self), dst = tensor.int32s.baseAddress!
            for i in 0..<count { dst[i] = Int32(Int16(bitPattern: UInt16(bigEndian: src[i]))) }
        case .float64:
            let src = raw.assumingMemoryBound(to: UInt64.self), dst = tensor.floats.baseAddress!
            for i in 0..<count { dst[i] = Float(Double(bitPattern: UInt64(bigEndian: src[i]))) }
        case .uint8, .int32, .float32:
            preconditionFailure("read in place")
        }
    }

    private static func countRemainingBytes(_ stream: any ByteStream) throws -> Int {
        var scratch = [UInt8](repeating: 0, count: 4096)
        var total = 0
        while true {
            let n = try scratch.withUnsafeMutableBytes { try stream.read(into: $0) }
            total += n
            if n < scratch.count { return total }
        }
    }

    /// Class labels from an IDX file of rank 1 and integer type, as Int32 `[N]`.
    public static func readLabels(contentsOf path: String) throws -> Tensor {
        let tensor = try read(contentsOf: path)
        guard tensor.rank == 1, tensor.dtype != .float32 else {
            throw DataError.inconsistent(file: path, reason:
                "expected a label file (rank 1, integer type), found \(tensor.dtype) \(tensor.shape)")
        }
        if tensor.dtype == .int32 { return tensor }
        let labels = Tensor(shape: tensor.shape, dtype: .int32, uninitialized: true)
        let src = tensor.uint8s.baseAddress!, dst = labels.int32s.baseAddress!
        for i in 0..<tensor.count { dst[i] = Int32(src[i]) }
        return labels
    }

    // MARK: - Writing

    /// The IDX bytes of `tensor` stored as `type` (default: u8 for UInt8, i32 for Int32, f32 for Float).
    ///
    /// Integer values must fit `type`; Float tensors can only be stored as f32 or f64.
    public static func encode(_ tensor: Tensor, as type: ElementType? = nil) -> Data {
        let type = type ?? defaultType(for: tensor.dtype)
        precondition(tensor.rank >= 1 && tensor.rank <= 255, "IDX holds rank 1...255, tensor has shape \(tensor.shape)")
        precondition(tensor.dtype != .float32 || type == .float32 || type == .float64,
                     "a Float tensor can only be stored as f32 or f64, not \(type.summary)")
        var data = Data(capacity: 4 + 4 * tensor.rank + tensor.count * type.byteSize)
        data.append(contentsOf: [0, 0, type.rawValue, UInt8(tensor.rank)])
        for extent in tensor.shape {
            precondition(extent <= Int(UInt32.max), "extent \(extent) does not fit IDX's u32")
            withUnsafeBytes(of: UInt32(extent).bigEndian) { data.append(contentsOf: $0) }
        }
        let start = data.count
        data.count += tensor.count * type.byteSize
        data.withUnsafeMutableBytes { raw in
            let out = raw.baseAddress! + start
            if tensor.dtype == .uint8 && type == .uint8 {
                out.copyMemory(from: tensor.rawPointer, byteCount: tensor.count)
                return
            }
            for i in 0..<tensor.count {
                store(element(of: tensor, at: i), as: type, to: out + i * type.byteSize)
            }
        }
        return data
    }

    /// Writes `tensor` as an IDX file at `path`, gzip-compressed when `path` ends in `.gz`.
    public static func write(_ tensor: Tensor, as type: ElementType? = nil, to path: String) throws {
        var data = encode(tensor, as: type)
        if path.hasSuffix(".gz") { data = Gzip.compress(data) }
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw DataError.unwritable(file: path, reason: error.localizedDescription)
        }
    }

    private static func defaultType(for dtype: DType) -> ElementType {
        switch dtype {
        case .uint8: .uint8
        case .int32: .int32
        case .float32: .float32
        }
    }

    private enum Element { case integer(Int), real(Double) }

    private static func element(of tensor: Tensor, at i: Int) -> Element {
        switch tensor.dtype {
        case .uint8: .integer(Int(tensor.uint8s[i]))
        case .int32: .integer(Int(tensor.int32s[i]))
        case .float32: .real(Double(tensor.floats[i]))
        }
    }

    private static func store(_ value: Element, as type: ElementType, to out: UnsafeMutableRawPointer) {
        switch (value, type) {
        case let (.integer(v), .uint8):
            precondition((0...255).contains(v), "value \(v) does not fit IDX u8")
            out.storeBytes(of: UInt8(v), as: UInt8.self)
        case let (.integer(v), .int8):
            precondition((-128...127).contains(v), "value \(v) does not fit IDX i8")
            out.storeBytes(of: Int8(v), as: Int8.self)
        case let (.integer(v), .int16):
            precondition((-32768...32767).contains(v), "value \(v) does not fit IDX i16")
            out.storeBytes(of: Int16(v).bigEndian, toByteOffset: 0, as: Int16.self)
        case let (.integer(v), .int32):
            out.storeBytes(of: Int32(v).bigEndian, as: Int32.self)
        case let (.integer(v), .float32):
            out.storeBytes(of: Float(v).bitPattern.bigEndian, as: UInt32.self)
        case let (.integer(v), .float64):
            out.storeBytes(of: Double(v).bitPattern.bigEndian, as: UInt64.self)
        case let (.real(v), .float32):
            out.storeBytes(of: Float(v).bitPattern.bigEndian, as: UInt32.self)
        case let (.real(v), .float64):
            out.storeBytes(of: v.bitPattern.bigEndian, as: UInt64.self)
        case (.real, _):
            preconditionFailure("checked in encode")
        }
    }
}

/// Bytes as space-separated hex, for messages.
func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
}
