import Foundation

/// The root an archive is unpacked into, and the rules that keep every entry inside it.
///
/// An entry is refused when its name is absolute, has a `..` component or a NUL byte, when a
/// symbolic link's target is absolute or climbs out of the root, when a hard link names a file
/// outside the root, or when writing it would pass through a symbolic link already on disk
/// (which could point anywhere). Files are written to a temporary name and renamed into place,
/// so a refused or broken entry never leaves a half-written file under its own name, and an
/// existing symbolic link at the destination is replaced rather than followed.
final class ExtractionTarget {
    let root: String
    let archive: String
    /// Regular files, directories and links created so far (relative paths).
    private(set) var created: [String] = []

    init(root: String, archive: String) throws(FetchError) {
        let absolute = root.hasPrefix("/") ? root : FileManager.default.currentDirectoryPath + "/" + root
        self.root = (absolute as NSString).standardizingPath
        self.archive = archive
        do {
            try FileManager.default.createDirectory(atPath: self.root, withIntermediateDirectories: true)
        } catch {
            throw .io(path: self.root, reason: "cannot create the root directory: \(error.localizedDescription)")
        }
    }

    /// The entry's path components after the safety checks (`./` and empty components dropped).
    func components(of entry: String) throws(FetchError) -> [String] {
        if entry.utf8.contains(0) { throw unsafe(entry, "the name contains a NUL byte") }
        if entry.hasPrefix("/") || entry.hasPrefix("\\") {
            throw unsafe(entry, "absolute paths are not allowed; entries must be relative to the root")
        }
        let parts = entry.split(whereSeparator: { $0 == "/" || $0 == "\\" }).map(String.init)
        if let first = parts.first, first.count == 2, first.hasSuffix(":") {
            throw unsafe(entry, "drive-letter paths are not allowed; entries must be relative to the root")
        }
        if parts.contains("..") { throw unsafe(entry, "'..' components are not allowed (the entry could land outside the root)") }
        let kept = parts.filter { $0 != "." }
        if kept.isEmpty { throw unsafe(entry, "the name is empty") }
        return kept
    }

    /// Makes the directories above `parts` (and checks none of them is a symbolic link); returns the full path.
    private func prepareParents(_ parts: [String], entry: String) throws(FetchError) -> String {
        var path = root
        for part in parts.dropLast() {
            path += "/" + part
            var info = stat()
            if lstat(path, &info) == 0 {
                if (info.st_mode & S_IFMT) == S_IFLNK {
                    throw unsafe(entry, "its parent '\(relative(path))' is a symbolic link; writing through it could leave the root")
                }
                if (info.st_mode & S_IFMT) != S_IFDIR {
                    throw .badArchive(archive: archive, offset: 0, reason: "entry '\(entry)' needs '\(relative(path))' to be a directory, but it is a file")
                }
            } else if mkdir(path, 0o755) != 0 && errno != EEXIST {
                throw .io(path: path, reason: "cannot create directory: \(String(cString: strerror(errno)))")
            }
        }
        return path + "/" + parts.last!
    }

    func makeDirectory(_ entry: String) throws(FetchError) {
        let parts = try components(of: entry)
        let path = try prepareParents(parts, entry: entry)
        var info = stat()
        if lstat(path, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR { return }
            throw unsafe(entry, "a non-directory already exists at '\(relative(path))'")
        }
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw .io(path: path, reason: "cannot create directory: \(String(cString: strerror(errno)))")
        }
        created.append(parts.joined(separator: "/"))
    }

    /// Writes a regular file: `body` is handed a function that appends bytes to it.
    func writeFile(_ entry: String, mode: mode_t,
                   body: (_ write: (UnsafeRawBufferPointer) throws(FetchError) -> Void) throws(FetchError) -> Void) throws(FetchError) {
        let parts = try components(of: entry)
        let path = try prepareParents(parts, entry: entry)
        let temporary = path + ".spikelab-partial"
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode & 0o777 | 0o600)
        if fd < 0 { throw .io(path: temporary, reason: "cannot create: \(String(cString: strerror(errno)))") }
        do {
            try body { (bytes: UnsafeRawBufferPointer) throws(FetchError) in
                var offset = 0
                while offset < bytes.count {
                    let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw .io(path: temporary, reason: "cannot write: \(String(cString: strerror(errno)))")
                    }
                    offset += n
                }
            }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .io(path: path, reason: "cannot move into place: \(reason)")
        }
        created.append(parts.joined(separator: "/"))
    }

    /// Creates a symbolic link whose target, read relative to the link's folder, stays inside the root.
    func makeSymlink(_ entry: String, target: String) throws(FetchError) {
        let parts = try components(of: entry)
        if target.isEmpty { throw unsafe(entry, "the symbolic link has an empty target") }
        if target.hasPrefix("/") {
            throw unsafe(entry, "symbolic link to the absolute path '\(target)' would point outside the root")
        }
        var resolved = Array(parts.dropLast())
        for part in target.split(separator: "/").map(String.init) where part != "." {
            if part == ".." {
                if resolved.isEmpty { throw unsafe(entry, "symbolic link to '\(target)' leads outside the root") }
                resolved.removeLast()
            } else {
                resolved.append(part)
            }
        }
        let path = try prepareParents(parts, entry: entry)
        unlink(path)
        if symlink(target, path) != 0 {
            throw .io(path: path, reason: "cannot create symbolic link: \(String(cString: strerror(errno)))")
        }
        created.append(parts.joined(separator: "/"))
    }

    /// Creates a hard link to a regular file already extracted under the root.
    func makeHardlink(_ entry: String, target: String) throws(FetchError) {
        let parts = try components(of: entry)
        let targetParts: [String]
        do {
            targetParts = try components(of: target)
        } catch {
            throw unsafe(entry, "hard link to '\(target)' would point outside the root")
        }
        let source = try prepareParents(targetParts, entry: entry)
        var info = stat()
        guard lstat(source, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw unsafe(entry, "hard link target '\(target)' is not a regular file extracted under the root")
        }
        let path = try prepareParents(parts, entry: entry)
        unlink(path)
        if link(source, path) != 0 {
            throw .io(path: path, reason: "cannot create hard link: \(String(cString: strerror(errno)))")
        }
        created.append(parts.joined(separator: "/"))
    }

    private func relative(_ path: String) -> String {
        path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
    }

    private func unsafe(_ entry: String, _ reason: String) -> FetchError {
        .unsafeEntry(archive: archive, entry: entry, reason: reason)
    }
}
