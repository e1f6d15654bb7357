/// Why a download or an extraction failed; every case names the URL or file concerned.
public enum FetchError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The URL is not http:// or https://, or cannot be parsed.
    case badURL(String)
    /// The server answered with a status other than 200/206 (or 416 for a finished part).
    case httpStatus(url: String, status: Int)
    /// The connection failed or broke off after `received` bytes of this attempt.
    case transfer(url: String, received: Int, reason: String)
    /// A 206 answer whose Content-Range does not start where the partial file ends.
    case badContentRange(url: String, requestedOffset: Int, header: String)
    /// The finished download has another size than the registry says.
    case wrongSize(file: String, expected: Int, actual: Int)
    /// The finished download has another checksum than the one published.
    case checksumMismatch(file: String, expected: Checksum, actual: String, removed: String)
    /// Every URL of a file failed; `errors` lists each attempt.
    case allSourcesFailed(file: String, errors: [String])
    /// The file has no download URL: it has to be fetched by hand (`instructions` says from where).
    case manualDownload(file: String, instructions: String)
    /// Files of `dataset` that have to be fetched by hand, each with its instructions, and how to check them after.
    case manualDownloads(dataset: String, root: String, files: [String], instructions: [String])
    /// An archive entry would land outside the root (absolute path, `..`, a link leading out).
    case unsafeEntry(archive: String, entry: String, reason: String)
    /// The archive is damaged or uses a feature this reader does not support.
    case badArchive(archive: String, offset: Int, reason: String)
    /// A file could not be written or moved.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .badURL(url):
            return "'\(url)' is not a usable http:// or https:// URL"
        case let .httpStatus(url, status):
            return "\(url): the server answered HTTP \(status); expected 200 (whole file) or 206 (the rest of a partial download)"
        case let .transfer(url, received, reason):
            return "\(url): the transfer broke off after \(received) bytes: \(reason)"
        case let .badContentRange(url, offset, header):
            return "\(url): asked for bytes from \(offset) on, but the server sent Content-Range '\(header)'"
        case let .wrongSize(file, expected, actual):
            return "\(file): \(actual) bytes, but the registry says \(expected)"
        case let .checksumMismatch(file, expected, actual, removed):
            return "\(file): \(expected.kind.rawValue) is \(actual), the published one is \(expected.hex); "
                + "the download is corrupt or not the published file (\(removed) was deleted)"
        case let .allSourcesFailed(file, errors):
            return "\(file): every source failed:\n" + errors.map { "  - \($0)" }.joined(separator: "\n")
        case let .manualDownload(file, instructions):
            return "\(file) cannot be downloaded automatically: \(instructions)"
        case let .manualDownloads(dataset, root, files, instructions):
            let list = zip(files, instructions).map { "  - \($0): \($1)" }.joined(separator: "\n")
            return "\(files.count == 1 ? "this file cannot" : "these files cannot") be downloaded automatically; "
                + "place \(files.count == 1 ? "it" : "each") under \(root) and run `spikelab data verify \(dataset) --root \(root)`:\n" + list
        case let .unsafeEntry(archive, entry, reason):
            return "\(archive): refusing entry '\(entry)': \(reason); nothing of it was written"
        case let .badArchive(archive, offset, reason):
            return "\(archive): at byte \(offset): \(reason)"
        case let .io(path, reason):
            return "\(path): \(reason)"
        }
    }
}
