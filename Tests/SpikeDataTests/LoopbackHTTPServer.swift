import Foundation

/// A small HTTP/1.1 server on 127.0.0.1 (port chosen by the OS) for download tests, written on
/// POSIX sockets. It serves `files` by path, honours `Range: bytes=N-` with 206 unless told to
/// ignore it, can cut a body short and close the connection, and logs every request.
/// Bounded: it handles at most `maxRequests` requests and stops on `stop()`.
final class LoopbackHTTPServer: @unchecked Sendable {
    struct Request: Sendable {
        var path: String
        var range: String?
    }

    /// How the server answers one request (the n-th, counting from 0).
    enum Behaviour: Sendable {
        /// 200 or 206 as the request asks.
        case normal
        /// Sends only the first `bytes` of the (possibly ranged) body, then closes the connection.
        case cutAfter(Int)
        /// Answers 200 with the whole file even when a Range was asked for.
        case ignoreRange
        /// Answers with this status and no body.
        case status(Int)
        /// Sends the first `bytes` of the body, then goes silent for `seconds` before closing.
        case stallAfter(Int, seconds: Double)
        /// Answers a Range request with 206 but the body and Content-Range of the whole file from byte 0.
        case wrongContentRange
    }

    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var files: [String: [UInt8]]
    private var behaviours: [Behaviour]
    private var log: [Request] = []
    private var stopped = false
    private let done = DispatchSemaphore(value: 0)
    private let maxRequests: Int

    /// Starts serving `files`; the n-th request gets `behaviours[n]` (`.normal` past the end).
    init(files: [String: [UInt8]], behaviours: [Behaviour] = [], maxRequests: Int = 20) throws {
        self.files = files
        self.behaviours = behaviours
        self.maxRequests = maxRequests
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = UInt16(bigEndian: actual.sin_port)
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    /// `http://127.0.0.1:PORT/path`.
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)/\(path)" }

    /// Every request received so far.
    var requests: [Request] {
        lock.lock()
        defer { lock.unlock() }
        return log
    }

    /// Stops accepting connections and waits for the serving thread to end.
    func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
        done.wait()
        close(listener)
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped || log.count >= maxRequests
    }

    private func serve() {
        defer { done.signal() }
        while !isStopped {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            handle(connection)
            close(connection)
        }
    }

    private func handle(_ connection: Int32) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.containsHeaderEnd {
            let n = recv(connection, &buffer, buffer.count, 0)
            if n <= 0 { return }
            received += buffer[0..<n]
            if received.count > 65536 { return }
        }
        let head = String(decoding: received, as: UTF8.self).components(separatedBy: "\r\n")
        let parts = head[0].split(separator: " ")
        guard parts.count >= 2 else { return }
        let path = String(parts[1].dropFirst())
        let range = head.dropFirst().first { $0.lowercased().hasPrefix("range:") }
            .map { $0.dropFirst(6).trimmingCharacters(in: .whitespaces) }
        lock.lock()
        let index = log.count
        log.append(Request(path: path, range: range))
        let behaviour = index < behaviours.count ? behaviours[index] : .normal
        let file = files[path]
        lock.unlock()

        guard let file else { return send(connection, status: 404, headers: [:], body: []) }
        if case let .status(code) = behaviour { return send(connection, status: code, headers: [:], body: []) }
        if case .wrongContentRange = behaviour {
            return send(connection, status: 206, headers: ["Content-Range": "bytes 0-\(file.count - 1)/\(file.count)"], body: file)
        }
        var start = 0
        let honoursRange: Bool
        switch behaviour {
        case .normal, .cutAfter, .stallAfter: honoursRange = true
        default: honoursRange = false
        }
        if honoursRange, let range, range.hasPrefix("bytes=") {
            start = Int(range.dropFirst(6).split(separator: "-").first ?? "") ?? 0
        }
        if start >= file.count && start > 0 {
            return send(connection, status: 416, headers: ["Content-Range": "bytes */\(file.count)"], body: [])
        }
        let body = Array(file[start...])
        var headers = ["Content-Length": "\(body.count)", "Accept-Ranges": "bytes"]
        let status = start > 0 ? 206 : 200
        if start > 0 { headers["Content-Range"] = "bytes \(start)-\(file.count - 1)/\(file.count)" }
        if case let .cutAfter(bytes) = behaviour {
            return send(connection, status: status, headers: headers, body: Array(body.prefix(bytes)))
        }
        if case let .stallAfter(bytes, seconds) = behaviour {
            send(connection, status: status, headers: headers, body: Array(body.prefix(bytes)))
            Thread.sleep(forTimeInterval: seconds)
            return
        }
        send(connection, status: status, headers: headers, body: body)
    }

    private func send(_ connection: Int32, status: Int, headers: [String: String], body: [UInt8]) {
        var text = "HTTP/1.1 \(status) \(status < 300 ? "OK" : "Error")\r\nConnection: close\r\n"
        var allHeaders = headers
        if allHeaders["Content-Length"] == nil { allHeaders["Content-Length"] = "\(body.count)" }
        for (key, value) in allHeaders.sorted(by: { $0.key < $1.key }) { text += "\(key): \(value)\r\n" }
        text += "\r\n"
        let bytes = Array(text.utf8) + body
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Foundation.send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }
}

private extension Array where Element == UInt8 {
    var containsHeaderEnd: Bool {
        guard count >= 4 else { return false }
        for i in 0...(count - 4) where self[i] == 13 && self[i + 1] == 10 && self[i + 2] == 13 && self[i + 3] == 10 { return true }
        return false
    }
}
