import Foundation

/// RIFF/WAVE audio with 16-bit PCM samples, as Google Speech Commands ships it (16 kHz mono)
/// and `espeak-ng -w` writes it (22 050 Hz mono).
///
/// Layout (all little-endian): `RIFF`, u32 size of the rest, `WAVE`, then chunks of a
/// 4-byte id, a u32 size and that many bytes (plus one pad byte when the size is odd).
/// The `fmt ` chunk holds u16 format (1 = PCM, or 0xFFFE extensible whose sub-format GUID
/// starts with 1), u16 channels, u32 sample rate, u32 byte rate, u16 block align, u16 bits
/// per sample; the `data` chunk holds the interleaved samples. Other chunks (`LIST`, `fact`)
/// are skipped. Anything but 16-bit integer PCM is refused with the encoding it found.
public enum WAV {
    /// Decoded audio: 16-bit samples, interleaved when there is more than one channel.
    public struct Audio: Equatable, Sendable {
        /// Samples per second of each channel.
        public var sampleRate: Int
        /// Interleaved channels (1 = mono).
        public var channels: Int
        /// The samples, frame by frame (`channels` values per frame).
        public var samples: [Int16]

        /// Audio of `samples` at `sampleRate`.
        public init(sampleRate: Int, channels: Int = 1, samples: [Int16]) {
            self.sampleRate = sampleRate
            self.channels = channels
            self.samples = samples
        }

        /// Frames (samples per channel).
        public var frameCount: Int { channels == 0 ? 0 : samples.count / channels }

        /// The first channel as Float in [-1, 1) (sample / 32768).
        public func monoFloats() -> [Float] {
            let n = frameCount
            return [Float](unsafeUninitializedCapacity: n) { out, initialised in
                for i in 0..<n { out[i] = Float(samples[i * channels]) / 32768 }
                initialised = n
            }
        }
    }

    private static let pcm: UInt16 = 1
    private static let extensible: UInt16 = 0xFFFE
    private static let formatNames: [UInt16: String] = [
        0x0002: "Microsoft ADPCM", 0x0003: "IEEE float", 0x0006: "A-law", 0x0007: "µ-law",
        0x0011: "IMA ADPCM", 0x0055: "MP3",
    ]

    /// The audio of the WAV file at `path`.
    public static func read(contentsOf path: String) throws -> Audio {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            if !FileManager.default.fileExists(atPath: path) {
                throw DataError.unreadable(file: path, reason: "no such file")
            }
            throw DataError.unreadable(file: path, reason: error.localizedDescription)
        }
        return try decode(data, file: path)
    }

    /// The audio encoded in `data`; `file` names it in errors.
    public static func decode(_ data: Data, file: String) throws -> Audio {
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> Audio in
            let size = raw.count
            func u16(_ at: Int) -> UInt16 { UInt16(raw[at]) | UInt16(raw[at + 1]) << 8 }
            func u32(_ at: Int) -> UInt32 {
                UInt32(raw[at]) | UInt32(raw[at + 1]) << 8 | UInt32(raw[at + 2]) << 16 | UInt32(raw[at + 3]) << 24
            }
            func tag(_ at: Int) -> String {
                let bytes = (at..<min(at + 4, size)).map { raw[$0] }
                if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
                    return "'" + String(decoding: bytes, as: UTF8.self) + "'"
                }
                return "bytes [" + bytes.map { String(format: "%02x", $0) }.joined(separator: " ") + "]"
            }
            guard size >= 12 else {
                if size >= 4 && tag(0) != "'RIFF'" {
                    throw DataError.badMagic(file: file, offset: 0, found: tag(0), expected: "'RIFF'")
                }
                throw DataError.truncated(file: file, offset: size,
                                          expected: "the 12-byte RIFF header ('RIFF', u32 size, 'WAVE')")
            }
            guard tag(0) == "'RIFF'" else {
                throw DataError.badMagic(file: file, offset: 0, found: tag(0), expected: "'RIFF' (a RIFF/WAVE file)")
            }
            guard tag(8) == "'WAVE'" else {
                throw DataError.badMagic(file: file, offset: 8, found: tag(8), expected: "'WAVE' (the RIFF form type of WAV audio)")
            }
            // The RIFF size may overstate the file (streamed writers); chunks are bounded by the file.
            let riffEnd = min(size, 8 + Int(u32(4)))

            var format: (channels: Int, rate: Int, blockAlign: Int)?
            var offset = 12
            while offset + 8 <= riffEnd {
                let id = tag(offset)
                let chunkSize = Int(u32(offset + 4))
                let body = offset + 8
                if id == "'data'" {
                    guard let format else {
                        throw DataError.inconsistent(file: file, reason:
                            "the 'data' chunk at byte \(offset) comes before any 'fmt ' chunk; the format of its samples is unknown")
                    }
                    guard body + chunkSize <= size else {
                        throw DataError.truncated(file: file, offset: size, expected:
                            "\(chunkSize) bytes of samples in the 'data' chunk that starts at byte \(offset) "
                            + "(only \(size - body) present)")
                    }
                    guard chunkSize % format.blockAlign == 0 else {
                        throw DataError.inconsistent(file: file, reason:
                            "the 'data' chunk at byte \(offset) holds \(chunkSize) bytes, not a whole number of "
                            + "\(format.blockAlign)-byte frames")
                    }
                    let count = chunkSize / 2
                    let samples = [Int16](unsafeUninitializedCapacity: count) { out, initialised in
                        for i in 0..<count { out[i] = Int16(bitPattern: u16(body + 2 * i)) }
                        initialised = count
                    }
                    return Audio(sampleRate: format.rate, channels: format.channels, samples: samples)
                }
                guard body + chunkSize <= size else {
                    throw DataError.truncated(file: file, offset: size, expected:
                        "\(chunkSize) bytes of the \(id) chunk that starts at byte \(offset) (only \(size - body) present)")
                }
                if id == "'fmt '" {
                    format = try parseFormat(file: file, chunk: offset, size: chunkSize, u16: u16, u32: u32)
                }
                offset = body + chunkSize + (chunkSize & 1)
            }
            if offset < riffEnd {
                throw DataError.truncated(file: file, offset: riffEnd, expected:
                    "an 8-byte chunk header (id, u32 size) at byte \(offset)")
            }
            throw DataError.truncated(file: file, offset: riffEnd, expected:
                format == nil ? "a 'fmt ' chunk and a 'data' chunk" : "a 'data' chunk with the samples")
        }
    }

    /// Checks a `fmt ` chunk at byte `chunk` and returns what the `data` chunk needs.
    private static func parseFormat(file: String, chunk: Int, size: Int, u16: (Int) -> UInt16,
                                    u32: (Int) -> UInt32) throws -> (channels: Int, rate: Int, blockAlign: Int) {
        let body = chunk + 8
        guard size >= 16 else {
            throw DataError.inconsistent(file: file, reason:
                "the 'fmt ' chunk at byte \(chunk) holds \(size) bytes, expected at least 16")
        }
        var code = u16(body)
        if code == extensible {
            // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
            guard size >= 40 else {
                throw DataError.inconsistent(file: file, reason:
                    "the extensible 'fmt ' chunk at byte \(chunk) holds \(size) bytes, expected 40")
            }
            code = u16(body + 24)
        }
        guard code == pcm else {
            let name = formatNames[code].map { " (\($0))" } ?? ""
            throw DataError.badMagic(file: file, offset: body, found: "audio format \(code)\(name)",
                                     expected: "1 (integer PCM); only 16-bit PCM WAV is supported")
        }
        let channels = Int(u16(body + 2)), rate = Int(u32(body + 4))
        let blockAlign = Int(u16(body + 12)), bits = Int(u16(body + 14))
        guard bits == 16 else {
            throw DataError.badMagic(file: file, offset: body + 14, found: "\(bits) bits per sample",
                                     expected: "16 (only 16-bit PCM WAV is supported)")
        }
        guard channels >= 1 else {
            throw DataError.badMagic(file: file, offset: body + 2, found: "\(channels) channels", expected: "at least 1")
        }
        guard rate >= 1 else {
            throw DataError.badMagic(file: file, offset: body + 4, found: "sample rate \(rate)", expected: "a positive rate")
        }
        guard blockAlign == channels * 2 else {
            throw DataError.badMagic(file: file, offset: body + 12, found: "block align \(blockAlign)",
                                     expected: "\(channels * 2) (channels × 2 bytes)")
        }
        return (channels, rate, blockAlign)
    }

    /// The bytes of a canonical 44-byte-header PCM WAV file holding `audio`.
    public static func encode(_ audio: Audio) -> Data {
        precondition(audio.channels >= 1 && audio.samples.count % audio.channels == 0,
                     "WAV.encode: \(audio.samples.count) samples do not fill \(audio.channels) channels")
        let dataBytes = audio.samples.count * 2
        var out = Data(capacity: 44 + dataBytes)
        func put32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func put16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        out.append(contentsOf: Array("RIFF".utf8))
        put32(UInt32(36 + dataBytes))
        out.append(contentsOf: Array("WAVEfmt ".utf8))
        put32(16)
        put16(pcm)
        put16(UInt16(audio.channels))
        put32(UInt32(audio.sampleRate))
        put32(UInt32(audio.sampleRate * audio.channels * 2))
        put16(UInt16(audio.channels * 2))
        put16(16)
        out.append(contentsOf: Array("data".utf8))
        put32(UInt32(dataBytes))
        for s in audio.samples { put16(UInt16(bitPattern: s)) }
        return out
    }

    /// Writes `audio` as a WAV file at `path` (atomically).
    public static func write(_ audio: Audio, to path: String) throws {
        do {
            try encode(audio).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw DataError.unwritable(file: path, reason: error.localizedDescription)
        }
    }
}
