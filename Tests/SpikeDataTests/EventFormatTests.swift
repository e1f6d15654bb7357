import Foundation
import Testing
@testable import SpikeData

/// The real recordings kept in Fixtures/events (see its README).
func eventFixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/events/" + name).path
}

/// One N-MNIST record from the format description: x, y, bit 7 of b2 = polarity, 23-bit timestamp.
func nmnistRecord(x: UInt8, y: UInt8, p: UInt8, t: UInt32) -> [UInt8] {
    [x, y, p << 7 | UInt8((t >> 16) & 0x7F), UInt8((t >> 8) & 0xFF), UInt8(t & 0xFF)]
}

/// One AEDAT 2.0 event from the format description: big-endian address (y<<8 | x<<1 | p), timestamp.
func aedat2Record(x: UInt32, y: UInt32, p: UInt32, t: UInt32) -> [UInt8] {
    bigEndianBytes(y << 8 | x << 1 | p) + bigEndianBytes(t)
}

func littleEndianBytes(_ v: UInt32) -> [UInt8] {
    [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
}

/// An AEDAT 3.1 packet from the format description: 28-byte little-endian header, then payload.
func aedat31Packet(type: UInt16, eventSize: UInt32, overflow: UInt32, capacity: UInt32, number: UInt32,
                   payload: [UInt8]) -> [UInt8] {
    littleEndianBytes(UInt32(type) | 1 << 16) + littleEndianBytes(eventSize) + littleEndianBytes(4)
        + littleEndianBytes(overflow) + littleEndianBytes(capacity) + littleEndianBytes(number)
        + littleEndianBytes(number) + payload
}

/// One AEDAT 3.1 polarity event: data = x<<17 | y<<2 | p<<1 | valid, then the timestamp.
func aedat31Polarity(x: UInt32, y: UInt32, p: UInt32, valid: UInt32 = 1, t: UInt32) -> [UInt8] {
    littleEndianBytes(x << 17 | y << 2 | p << 1 | valid) + littleEndianBytes(t)
}

let aedat31Header = Array("#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#!END-HEADER\r\n".utf8)

@Suite("Event file formats")
struct EventFormatTests {
    @Test("the N-MNIST reader decodes hand-built records: x, y, polarity bit 7, 23-bit timestamps")
    func nmnistHandBuilt() throws {
        let bytes = nmnistRecord(x: 3, y: 7, p: 1, t: 0x7A_BCDE) + nmnistRecord(x: 33, y: 0, p: 0, t: 654)
            + nmnistRecord(x: 0, y: 33, p: 1, t: 0x7F_FFFF)
        let events = try NMNISTBinary.decode(bytes, file: "hand.bin")
        #expect(events.x == [3, 33, 0])
        #expect(events.y == [7, 0, 33])
        #expect(events.polarity == [1, 0, 1])
        #expect(events.t == [0x7A_BCDE, 654, 0x7F_FFFF])
    }

    @Test("a y == 240 record adds 2^13 µs to later timestamps and is dropped")
    func nmnistOverflow() throws {
        let bytes = nmnistRecord(x: 1, y: 2, p: 0, t: 100) + nmnistRecord(x: 0, y: 240, p: 0, t: 0)
            + nmnistRecord(x: 4, y: 5, p: 1, t: 50) + nmnistRecord(x: 9, y: 240, p: 1, t: 7)
            + nmnistRecord(x: 6, y: 7, p: 0, t: 10)
        let events = try NMNISTBinary.decode(bytes, file: "overflow.bin")
        #expect(events.count == 3)
        let expected: [Int64] = [100, 50 + 8192, 10 + 2 * 8192]
        #expect(events.t == expected)
        #expect(events.x == [1, 4, 6])
    }

    @Test("the N-MNIST writer produces the hand-built bytes and reads back")
    func nmnistWriter() throws {
        let events = Events(x: [3, 33], y: [7, 0], t: [0x7A_BCDE, 654], polarity: [1, 0])
        let bytes = NMNISTBinary.encode(events)
        #expect(bytes == nmnistRecord(x: 3, y: 7, p: 1, t: 0x7A_BCDE) + nmnistRecord(x: 33, y: 0, p: 0, t: 654))
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        try NMNISTBinary.write(events, to: dir.file("e.bin"))
        #expect(try NMNISTBinary.read(contentsOf: dir.file("e.bin")) == events)
    }

    @Test("the real N-MNIST recording: 4325 events, x and y in 0-33, 654-311175 µs, 49.6 % ON")
    func nmnistReal() throws {
        let events = try NMNISTBinary.read(contentsOf: eventFixture("nmnist_sample.bin"))
        #expect(events.count == 4325)
        #expect(events.x.min() == 0 && events.x.max() == 33)
        #expect(events.y.min() == 0 && events.y.max() == 33)
        #expect(events.t.first == 654 && events.t.min() == 654 && events.t.max() == 311_175)
        #expect(abs(events.onFraction - 0.496) < 0.0005)
        #expect(events.isTimeOrdered)
        // Writing it back gives the same bytes (the recording has no overflow records).
        #expect(NMNISTBinary.encode(events) == (try readWholeFile(eventFixture("nmnist_sample.bin"))))
    }

    @Test("a truncated N-MNIST file is an error naming the file, the record and the byte")
    func nmnistTruncated() throws {
        let bytes = nmnistRecord(x: 1, y: 1, p: 1, t: 1) + nmnistRecord(x: 2, y: 2, p: 0, t: 2) + [5, 6]
        let error = #expect(throws: DataError.self) { try NMNISTBinary.decode(bytes, file: "cut.bin") }
        let message = error?.description ?? ""
        #expect(message.contains("cut.bin") && message.contains("record 2") && message.contains("byte 10")
                && message.contains("5-byte"))
    }

    @Test("the real AEDAT 2.0 header is skipped and appended big-endian events decode")
    func aedat2RealHeader() throws {
        let header = try readWholeFile(eventFixture("aedat2_header_davis346.aedat"))
        #expect(header.count == 599)
        let bytes = header + aedat2Record(x: 5, y: 100, p: 1, t: 1234) + aedat2Record(x: 127, y: 0, p: 0, t: 0xFFFF_FFF0)
        let contents = try AEDAT2.decode(bytes, file: "davis.aedat")
        #expect(contents.dataOffset == 599)
        #expect(contents.header.count == 12)
        #expect(contents.header.first == "#!AER-DAT2.0")
        #expect(contents.header.last == "#<!DOCTYPE preferences SYSTEM \"http://java.sun.com/dtd/preferences.dtd\">")
        #expect(contents.events.x == [5, 127])
        #expect(contents.events.y == [100, 0])
        #expect(contents.events.polarity == [1, 0])
        #expect(contents.events.t == [1234, 0xFFFF_FFF0])
        // The header alone: no events.
        #expect(try AEDAT2.decode(header, file: "davis.aedat").events.isEmpty)
    }

    @Test("the AEDAT 2.0 writer's bytes are the hand-built layout and read back")
    func aedat2Writer() throws {
        let events = Events(x: [5, 127], y: [100, 0], t: [1234, 99], polarity: [1, 0])
        let bytes = AEDAT2.encode(events, header: ["#!AER-DAT2.0", "# x"])
        #expect(bytes == Array("#!AER-DAT2.0\r\n# x\r\n".utf8) + aedat2Record(x: 5, y: 100, p: 1, t: 1234)
                + aedat2Record(x: 127, y: 0, p: 0, t: 99))
        let back = try AEDAT2.decode(bytes, file: "w.aedat")
        #expect(back.events == events && back.header == ["#!AER-DAT2.0", "# x"])
    }

    @Test("bad or truncated AEDAT 2.0 files are errors naming the file, offset and expectation")
    func aedat2Errors() throws {
        let notAEDAT = #expect(throws: DataError.self) { try AEDAT2.decode(Array("hello".utf8), file: "x.aedat") }
        #expect(notAEDAT?.description.contains("x.aedat") == true)
        #expect(notAEDAT?.description.contains("#!AER-DAT2.0") == true)

        let header = Array("#!AER-DAT2.0\r\n".utf8)
        let cut = #expect(throws: DataError.self) {
            try AEDAT2.decode(header + aedat2Record(x: 1, y: 1, p: 1, t: 1) + [1, 2, 3], file: "cut.aedat")
        }
        let message = cut?.description ?? ""
        #expect(message.contains("cut.aedat") && message.contains("byte \(header.count + 8)") && message.contains("event 1"))

        let noNewline = #expect(throws: DataError.self) { try AEDAT2.decode(Array("#!AER-DAT2.0 no end".utf8), file: "h.aedat") }
        #expect(noNewline?.description.contains("header line 1") == true)
    }

    @Test("AEDAT 3.1: polarity packets decode, invalid events and other packet types are skipped, overflow sets bit 31")
    func aedat31HandBuilt() throws {
        let first = aedat31Packet(type: 1, eventSize: 8, overflow: 0, capacity: 2, number: 2,
                                  payload: aedat31Polarity(x: 10, y: 20, p: 1, t: 500)
                                      + aedat31Polarity(x: 11, y: 21, p: 0, valid: 0, t: 600))
        let special = aedat31Packet(type: 0, eventSize: 8, overflow: 0, capacity: 1, number: 1, payload: [UInt8](repeating: 7, count: 8))
        let last = aedat31Packet(type: 1, eventSize: 8, overflow: 1, capacity: 2, number: 1,
                                 payload: aedat31Polarity(x: 127, y: 0, p: 0, t: 3) + [UInt8](repeating: 0, count: 8))
        let contents = try AEDAT31.decode(aedat31Header + first + special + last, file: "user01_led.aedat")
        #expect(contents.header == ["#!AER-DAT3.1", "#Format: RAW", "#Source 1: DVS128", "#!END-HEADER"])
        #expect(contents.packetCount == 3 && contents.skippedPackets == 1)
        #expect(contents.events.x == [10, 127])
        #expect(contents.events.y == [20, 0])
        #expect(contents.events.polarity == [1, 0])
        let stamps: [Int64] = [500, 3 | 1 << 31]
        #expect(contents.events.t == stamps)
    }

    @Test("the AEDAT 3.1 writer reads back, splitting packets where the overflow counter changes")
    func aedat31Writer() throws {
        let stamps: [Int64] = [10, 20, 1 << 31 | 5, 1 << 31 | 6]
        let events = Events(x: [1, 2, 3, 127], y: [4, 5, 6, 127], t: stamps, polarity: [0, 1, 1, 0])
        let bytes = AEDAT31.encode(events, packetCapacity: 3)
        let contents = try AEDAT31.decode(bytes, file: "w.aedat")
        #expect(contents.events == events)
        #expect(contents.packetCount == 2)
        // The first packet is exactly the hand-built one.
        let headerEnd = bytes.count - 2 * 28 - 4 * 8
        #expect(Array(bytes[headerEnd..<(headerEnd + 28 + 16)])
                == aedat31Packet(type: 1, eventSize: 8, overflow: 0, capacity: 2, number: 2,
                                 payload: aedat31Polarity(x: 1, y: 4, p: 0, t: 10) + aedat31Polarity(x: 2, y: 5, p: 1, t: 20)))
    }

    @Test("truncated or inconsistent AEDAT 3.1 files are errors naming the file, packet and byte")
    func aedat31Errors() throws {
        let packet = aedat31Packet(type: 1, eventSize: 8, overflow: 0, capacity: 2, number: 2,
                                   payload: aedat31Polarity(x: 1, y: 1, p: 1, t: 1) + aedat31Polarity(x: 2, y: 2, p: 1, t: 2))
        let shortHeader = #expect(throws: DataError.self) {
            try AEDAT31.decode(aedat31Header + packet + Array(packet.prefix(10)), file: "a.aedat")
        }
        #expect(shortHeader?.description.contains("a.aedat") == true)
        #expect(shortHeader?.description.contains("packet 1") == true)
        #expect(shortHeader?.description.contains("byte \(aedat31Header.count + packet.count)") == true)

        let shortPayload = #expect(throws: DataError.self) {
            try AEDAT31.decode(aedat31Header + Array(packet.dropLast(3)), file: "b.aedat")
        }
        #expect(shortPayload?.description.contains("packet 0") == true)
        #expect(shortPayload?.description.contains("capacity 2") == true)

        let noEnd = #expect(throws: DataError.self) {
            try AEDAT31.decode(Array("#!AER-DAT3.1\r\n#Format: RAW\r\n".utf8), file: "c.aedat")
        }
        #expect(noEnd?.description.contains("#!END-HEADER") == true)

        let badSize = aedat31Packet(type: 1, eventSize: 6, overflow: 0, capacity: 1, number: 1, payload: [0, 0, 0, 0, 0, 0])
        let wrongSize = #expect(throws: DataError.self) { try AEDAT31.decode(aedat31Header + badSize, file: "d.aedat") }
        #expect(wrongSize?.description.contains("event size 6") == true)

        let tooMany = aedat31Packet(type: 1, eventSize: 8, overflow: 0, capacity: 1, number: 2, payload: aedat31Polarity(x: 1, y: 1, p: 1, t: 1))
        let overfull = #expect(throws: DataError.self) { try AEDAT31.decode(aedat31Header + tooMany, file: "e.aedat") }
        #expect(overfull?.description.contains("2 events") == true)
    }

    @Test("DVS128 Gesture labels: classes 1-11 become 0-10, bad lines name the line")
    func gestureLabels() throws {
        let csv = "class,startTime_usec,endTime_usec\r\n1,80048239,85092709\r\n11,85092710,90000000\r\n"
        let gestures = try DVSGestureLabels.parseCSV(csv, file: "u_labels.csv")
        #expect(gestures == [.init(label: 0, start: 80_048_239, end: 85_092_709), .init(label: 10, start: 85_092_710, end: 90_000_000)])
        #expect(try DVSGestureLabels.parseCSV(DVSGestureLabels.encodeCSV(gestures), file: "x") == gestures)
        let badClass = #expect(throws: DataError.self) {
            try DVSGestureLabels.parseCSV("class,startTime_usec,endTime_usec\n12,1,2\n", file: "u_labels.csv")
        }
        #expect(badClass?.description.contains("line 2") == true)
        #expect(badClass?.description.contains("1...11") == true)
        let badHeader = #expect(throws: DataError.self) { try DVSGestureLabels.parseCSV("a,b,c\n1,2,3\n", file: "h.csv") }
        #expect(badHeader?.description.contains("class,startTime_usec,endTime_usec") == true)
        let badRow = #expect(throws: DataError.self) {
            try DVSGestureLabels.parseCSV("class,startTime_usec,endTime_usec\n1,2\n", file: "r.csv")
        }
        #expect(badRow?.description.contains("line 2") == true)
    }
}
