import Foundation
import Testing
@testable import SpikeData

/// Little-endian bytes of a u16 / u32, written out by hand.
private func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
private func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xFF) } }

/// A WAV file built from the RIFF/WAVE description: `RIFF` size `WAVE`, then chunks.
private func handBuiltWAV(format: UInt16 = 1, channels: UInt16 = 1, rate: UInt32 = 16_000, bits: UInt16 = 16,
                          samples: [Int16], extraChunks: [([UInt8], [UInt8])] = [], dataSizeOverride: UInt32? = nil) -> [UInt8] {
    let blockAlign = channels * bits / 8
    let fmt: [UInt8] = le16(format) + le16(channels) + le32(rate) + le32(rate * UInt32(blockAlign))
        + le16(blockAlign) + le16(bits)
    var body: [UInt8] = Array("WAVE".utf8)
    for (id, payload) in extraChunks {
        body += id + le32(UInt32(payload.count)) + payload + (payload.count % 2 == 1 ? [0] : [])
    }
    body += Array("fmt ".utf8) + le32(16) + fmt
    let data = samples.flatMap { le16(UInt16(bitPattern: $0)) }
    body += Array("data".utf8) + le32(dataSizeOverride ?? UInt32(data.count)) + data
    return Array("RIFF".utf8) + le32(UInt32(body.count)) + body
}

@Suite("WAV reader and writer")
struct WAVTests {
    @Test("a hand-built 16-bit PCM file decodes to its samples, skipping a LIST chunk with an odd size")
    func handBuilt() throws {
        let bytes = handBuiltWAV(samples: [0, 1, -1, 32767, -32768],
                                 extraChunks: [(Array("LIST".utf8), [1, 2, 3])])
        let audio = try WAV.decode(Data(bytes), file: "hand.wav")
        #expect(audio.sampleRate == 16_000)
        #expect(audio.channels == 1)
        #expect(audio.samples == [0, 1, -1, 32767, -32768])
        let expected: [Float] = [0, 1 / 32768, -1 / 32768, 32767 / 32768, -1]
        #expect(audio.monoFloats() == expected)
    }

    @Test("the writer's bytes are the canonical 44-byte header plus samples, and read back")
    func roundTrip() throws {
        let audio = WAV.Audio(sampleRate: 22_050, channels: 2, samples: [1, -2, 300, -400])
        let data = WAV.encode(audio)
        #expect(Array(data) == handBuiltWAV(channels: 2, rate: 22_050, samples: [1, -2, 300, -400]))
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        try WAV.write(audio, to: dir.file("a.wav"))
        #expect(try WAV.read(contentsOf: dir.file("a.wav")) == audio)
        #expect(try WAV.read(contentsOf: dir.file("a.wav")).frameCount == 2)
    }

    @Test("WAVE_FORMAT_EXTENSIBLE with the PCM sub-format is accepted")
    func extensible() throws {
        var fmt: [UInt8] = le16(0xFFFE) + le16(1) + le32(8000) + le32(16000) + le16(2) + le16(16)
        fmt += le16(22) + le16(16) + le32(4) + le16(1) + [0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71]
        let body: [UInt8] = Array("WAVE".utf8) + Array("fmt ".utf8) + le32(UInt32(fmt.count)) + fmt
            + Array("data".utf8) + le32(4) + le16(5) + le16(UInt16(bitPattern: -5))
        let bytes = Array("RIFF".utf8) + le32(UInt32(body.count)) + body
        let audio = try WAV.decode(Data(bytes), file: "ext.wav")
        #expect(audio.samples == [5, -5])
        #expect(audio.sampleRate == 8000)
    }

    @Test("other encodings are refused with the format found and the byte offset")
    func otherEncodings() {
        let float = handBuiltWAV(format: 3, bits: 32, samples: [0, 0])
        #expect(throws: DataError.badMagic(file: "f.wav", offset: 20, found: "audio format 3 (IEEE float)",
                                           expected: "1 (integer PCM); only 16-bit PCM WAV is supported")) {
            try WAV.decode(Data(float), file: "f.wav")
        }
        let eightBit = handBuiltWAV(bits: 8, samples: [0, 0])
        #expect(throws: DataError.badMagic(file: "b.wav", offset: 34, found: "8 bits per sample",
                                           expected: "16 (only 16-bit PCM WAV is supported)")) {
            try WAV.decode(Data(eightBit), file: "b.wav")
        }
        let mulaw = handBuiltWAV(format: 7, bits: 8, samples: [0])
        #expect((try? WAV.decode(Data(mulaw), file: "m.wav")) == nil)
    }

    @Test("truncated and foreign files give errors naming the file, the offset and what was expected")
    func truncated() {
        let full = handBuiltWAV(samples: [1, 2, 3, 4])
        // Cut inside the data chunk: 44-byte header, 8 sample bytes, keep 5 of them.
        let cut = Array(full.prefix(49))
        #expect(throws: DataError.truncated(file: "t.wav", offset: 49, expected:
            "8 bytes of samples in the 'data' chunk that starts at byte 36 (only 5 present)")) {
            try WAV.decode(Data(cut), file: "t.wav")
        }
        // Cut inside the fmt chunk.
        #expect(throws: DataError.truncated(file: "t.wav", offset: 30, expected:
            "16 bytes of the 'fmt ' chunk that starts at byte 12 (only 10 present)")) {
            try WAV.decode(Data(full.prefix(30)), file: "t.wav")
        }
        #expect(throws: DataError.truncated(file: "t.wav", offset: 6, expected:
            "the 12-byte RIFF header ('RIFF', u32 size, 'WAVE')")) {
            try WAV.decode(Data(full.prefix(6)), file: "t.wav")
        }
        var notRIFF = full
        notRIFF[0] = 0x52; notRIFF[1] = 0x49; notRIFF[2] = 0x46; notRIFF[3] = 0x58  // "RIFX"
        #expect(throws: DataError.badMagic(file: "x.wav", offset: 0, found: "'RIFX'", expected: "'RIFF' (a RIFF/WAVE file)")) {
            try WAV.decode(Data(notRIFF), file: "x.wav")
        }
        let odd = handBuiltWAV(samples: [1, 2], dataSizeOverride: 3)
        #expect((try? WAV.decode(Data(odd + [0]), file: "o.wav")) == nil)
        #expect(throws: DataError.unreadable(file: "/nonexistent/a.wav", reason: "no such file")) {
            try WAV.read(contentsOf: "/nonexistent/a.wav")
        }
    }

    @Test("every prefix of a valid file is refused cleanly, never a crash")
    func everyPrefix() {
        let full = handBuiltWAV(samples: [1, 2, 3], extraChunks: [(Array("LIST".utf8), [9, 9])])
        for n in 0..<full.count {
            #expect((try? WAV.decode(Data(full.prefix(n)), file: "p.wav")) == nil, "prefix of \(n) bytes")
        }
        #expect((try? WAV.decode(Data(full), file: "p.wav"))?.samples == [1, 2, 3])
    }
}
