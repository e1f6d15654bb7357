import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Downloads one URL onto a `.part` file with Foundation's `URLSession` (on Linux it lives in
/// FoundationNetworking and runs on libcurl), resuming with an HTTP Range request when the
/// part file already holds bytes.
///
/// A 206 answer must continue exactly where the part file ends (its Content-Range is checked);
/// a 200 answer means the server ignored the Range, so the part file is truncated and the
/// whole body written from the start. Bytes go straight to disk as they arrive, so a broken
/// connection leaves a part file that the next attempt resumes.
public final class HTTPDownloader: Sendable {
    /// Seconds without any data before an attempt gives up.
    public let idleTimeout: TimeInterval

    public init(idleTimeout: TimeInterval = 60) {
        self.idleTimeout = idleTimeout
    }

    /// What one attempt did.
    public struct Outcome: Sendable, Equatable {
        /// The HTTP status of the answer (200, 206, or 416 for a part file that was already whole).
        public var status: Int
        /// Bytes the part file held before this attempt and kept (0 when the server sent everything).
        public var resumedFrom: Int
        /// Size of the part file after the attempt.
        public var partSize: Int
        /// The size of the whole file as the server announced it, if it did.
        public var announcedSize: Int?
    }

    /// Fetches `url` into `partPath`, continuing a partial file; `progress(have, total)` is called as data arrives.
    public func download(_ url: String, into partPath: String,
                         progress: @escaping @Sendable (Int, Int?) -> Void = { _, _ in }) throws(FetchError) -> Outcome {
        guard let target = URL(string: url), let scheme = target.scheme?.lowercased(),
              scheme == "http" || scheme == "https", target.host != nil else {
            throw .badURL(url)
        }
        let existing = Self.fileSize(partPath) ?? 0
        var request = URLRequest(url: target)
        request.timeoutInterval = idleTimeout
        // The bytes must be the publisher's file exactly: no transparent decompression.
        request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
        request.setValue("spikelab-data-fetch", forHTTPHeaderField: "User-Agent")
        if existing > 0 { request.setValue("bytes=\(existing)-", forHTTPHeaderField: "Range") }

        let receiver = Receiver(url: url, partPath: partPath, existing: existing, idleTimeout: idleTimeout, progress: progress)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = idleTimeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let session = URLSession(configuration: configuration, delegate: receiver, delegateQueue: nil)
        session.dataTask(with: request).resume()
        receiver.finished.wait()
        session.finishTasksAndInvalidate()
        return try receiver.result()
    }

    static func fileSize(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }

    /// The session delegate: decides what the answer means and appends its body to the part file.
    private final class Receiver: NSObject, URLSessionDataDelegate, @unchecked Sendable {
        // Touched only on the session's serial delegate queue until `finished` is signalled.
        let url: String
        let partPath: String
        let existing: Int
        let idleTimeout: TimeInterval
        let progress: @Sendable (Int, Int?) -> Void
        let finished = DispatchSemaphore(value: 0)
        var status = 0
        var resumedFrom = 0
        var written = 0
        var announced: Int?
        var descriptor: Int32 = -1
        var failure: FetchError?

        init(url: String, partPath: String, existing: Int, idleTimeout: TimeInterval,
             progress: @escaping @Sendable (Int, Int?) -> Void) {
            self.url = url
            self.partPath = partPath
            self.existing = existing
            self.idleTimeout = idleTimeout
            self.progress = progress
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                        completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
            let http = response as? HTTPURLResponse
            status = http?.statusCode ?? 0
            let length = response.expectedContentLength >= 0 ? Int(response.expectedContentLength) : nil
            switch status {
            case 206 where existing > 0:
                let header = http?.value(forHTTPHeaderField: "Content-Range") ?? ""
                guard let range = Self.parseContentRange(header), range.start == existing else {
                    failure = .badContentRange(url: url, requestedOffset: existing, header: header)
                    completionHandler(.cancel)
                    return
                }
                resumedFrom = existing
                announced = range.total ?? length.map { existing + $0 }
                open(flags: O_WRONLY | O_APPEND)
            case 200, 206:
                // 200: the server ignored the Range (or none was sent): start again from byte 0.
                resumedFrom = 0
                announced = length
                open(flags: O_WRONLY | O_CREAT | O_TRUNC)
            case 416 where existing > 0:
                // Nothing left to send: the part file may already be whole; the caller checks it.
                resumedFrom = existing
                let header = http?.value(forHTTPHeaderField: "Content-Range") ?? ""
                announced = header.hasPrefix("bytes */") ? Int(header.dropFirst(8)) : nil
                completionHandler(.cancel)
                return
            default:
                failure = .httpStatus(url: url, status: status)
                completionHandler(.cancel)
                return
            }
            completionHandler(failure == nil ? .allow : .cancel)
        }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            guard failure == nil, descriptor >= 0 else { return }
            let ok = data.withUnsafeBytes { raw -> Bool in
                var offset = 0
                while offset < raw.count {
                    let n = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        return false
                    }
                    offset += n
                }
                return true
            }
            if !ok {
                failure = .io(path: partPath, reason: "cannot write: \(String(cString: strerror(errno)))")
                dataTask.cancel()
                return
            }
            written += data.count
            progress(resumedFrom + written, announced)
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
            if descriptor >= 0 {
                fsync(descriptor)
                close(descriptor)
                descriptor = -1
            }
            if failure == nil, let error, status != 416 {
                failure = .transfer(url: url, received: written, reason: describe(error))
            }
            finished.signal()
        }

        func result() throws(FetchError) -> Outcome {
            if let failure { throw failure }
            let size = HTTPDownloader.fileSize(partPath) ?? 0
            if status == 416 {
                return Outcome(status: 416, resumedFrom: existing, partSize: size, announcedSize: announced)
            }
            if let announced, size < announced {
                throw .transfer(url: url, received: written, reason: "the connection closed at byte \(size) of \(announced)")
            }
            return Outcome(status: status, resumedFrom: resumedFrom, partSize: size, announcedSize: announced)
        }

        private func open(flags: Int32) {
            descriptor = Foundation.open(partPath, flags | O_CREAT, 0o644)
            if descriptor < 0 {
                failure = .io(path: partPath, reason: "cannot open for writing: \(String(cString: strerror(errno)))")
            }
        }

        /// `bytes START-END/TOTAL` (TOTAL may be `*`).
        static func parseContentRange(_ header: String) -> (start: Int, total: Int?)? {
            guard header.hasPrefix("bytes ") else { return nil }
            let spec = header.dropFirst(6)
            let parts = spec.split(separator: "/", maxSplits: 1)
            guard parts.count == 2, let dash = parts[0].firstIndex(of: "-"),
                  let start = Int(parts[0][..<dash]) else { return nil }
            return (start, Int(parts[1]))
        }

        /// Plain words for the URL errors a download meets most, else Foundation's text and code.
        func describe(_ error: Error) -> String {
            let ns = error as NSError
            let code = "(\(ns.domain) \(ns.code))"
            guard ns.domain == NSURLErrorDomain else { return "\(ns.localizedDescription) \(code)" }
            switch ns.code {
            case NSURLErrorTimedOut: return "timed out: no data for \(idleTimeout) s \(code)"
            case NSURLErrorNetworkConnectionLost: return "the server closed the connection \(code)"
            case NSURLErrorCannotConnectToHost: return "cannot connect to the server \(code)"
            case NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed: return "the host name does not resolve \(code)"
            case NSURLErrorNotConnectedToInternet: return "no network connection \(code)"
            case NSURLErrorServerCertificateUntrusted, NSURLErrorSecureConnectionFailed:
                return "the TLS connection failed: \(ns.localizedDescription) \(code)"
            default: return "\(ns.localizedDescription) \(code)"
            }
        }
    }
}
