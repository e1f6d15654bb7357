import Foundation
import SpikeData

/// A test hook that freezes a checkpoint write half-way, so a test can kill the process
/// while `last.h5.tmp` is partly written and check that `last.h5` survives.
///
/// Set `SPIKELAB_TEST_PAUSE_CHECKPOINT_WRITE=N:SECONDS`: the N-th checkpoint write of the
/// process (counting from 1) flushes what it has written so far (the model group) to the
/// temporary file, prints `checkpoint write N paused` to standard error and sleeps SECONDS
/// before going on. Unset (always, outside tests), it costs one dictionary lookup per write.
enum CheckpointWritePause {
    nonisolated(unsafe) private static var writes = 0

    static func pauseIfRequested(_ file: HDF5File) throws {
        writes += 1
        guard let setting = ProcessInfo.processInfo.environment["SPIKELAB_TEST_PAUSE_CHECKPOINT_WRITE"] else { return }
        let parts = setting.split(separator: ":").compactMap { Double($0) }
        guard parts.count == 2, Int(parts[0]) == writes else { return }
        try file.flush()
        FileHandle.standardError.write(Data("checkpoint write \(writes) paused\n".utf8))
        Thread.sleep(forTimeInterval: parts[1])
    }
}
