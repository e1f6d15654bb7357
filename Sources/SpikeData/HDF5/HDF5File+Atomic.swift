import Foundation

extension HDF5File {
    /// Writes a whole file so that `finalPath` holds either its old content or the complete
    /// new one, never a mix, even if the process dies: `body` fills `finalPath + ".tmp"`, which
    /// is then closed, fsynced and renamed over `finalPath`, and the directory is fsynced.
    /// If anything fails (including `body` throwing), the temporary file is removed, `finalPath`
    /// is left untouched, and the error is rethrown.
    public static func writeAtomically(to finalPath: String, _ body: (HDF5File) throws -> Void) throws {
        let temporaryPath = finalPath + ".tmp"
        func fail(_ operation: String, _ code: Int32) -> HDF5Error {
            HDF5Error(file: finalPath, object: nil, operation: operation, kind: .io(errno: code))
        }
        // A stale temporary file from an interrupted earlier write is simply replaced.
        let file = try HDF5File.create(path: temporaryPath)
        do {
            try body(file)
            try file.close()
            try syncFile(at: temporaryPath, operation: "syncing \(temporaryPath) to disk", fail)
            guard rename(temporaryPath, finalPath) == 0 else {
                throw fail("renaming \(temporaryPath) over it", errno)
            }
        } catch {
            try? file.close()
            unlink(temporaryPath)
            throw error
        }
        // The rename is only durable once the directory entry is on disk. Some file systems
        // cannot fsync a directory (EINVAL); the data is already safe there.
        let directory = (finalPath as NSString).deletingLastPathComponent
        let descriptor = openDescriptor(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY)
        guard descriptor >= 0 else { throw fail("opening its directory to sync it", errno) }
        defer { closeDescriptor(descriptor) }
        guard fsync(descriptor) == 0 || errno == EINVAL else { throw fail("syncing its directory", errno) }
    }

    /// Forces the file's data to disk (HDF5's own flush only hands it to the operating system).
    private static func syncFile(at path: String, operation: String,
                                 _ fail: (String, Int32) -> HDF5Error) throws(HDF5Error) {
        let descriptor = openDescriptor(path, O_RDONLY)
        guard descriptor >= 0 else { throw fail(operation, errno) }
        defer { closeDescriptor(descriptor) }
        guard fsync(descriptor) == 0 else { throw fail(operation, errno) }
    }
}

// POSIX `open` and `close` under other names: inside `HDF5File` the plain names would find
// its own `open(path:mode:)` and `close()`.
private func openDescriptor(_ path: String, _ flags: Int32) -> Int32 { open(path, flags) }
private func closeDescriptor(_ descriptor: Int32) { _ = close(descriptor) }
