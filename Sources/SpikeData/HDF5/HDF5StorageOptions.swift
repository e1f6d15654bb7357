/// How a new dataset is laid out on disk: contiguous, or chunked and gzip-compressed.
public struct HDF5StorageOptions: Sendable, Equatable {
    /// gzip (deflate) level 0–9, or nil for no compression.
    public var compressionLevel: Int?
    /// Whether to byte-shuffle before compressing (usually smaller for floats).
    public var shuffle: Bool
    /// Extent of one chunk per axis; nil picks whole rows up to about 256 KiB a chunk.
    public var chunkShape: [Int]?

    /// Options with every field given.
    public init(compressionLevel: Int? = nil, shuffle: Bool = false, chunkShape: [Int]? = nil) {
        self.compressionLevel = compressionLevel
        self.shuffle = shuffle
        self.chunkShape = chunkShape
    }

    /// One contiguous block, uncompressed (HDF5's default).
    public static let contiguous = HDF5StorageOptions()

    /// Chunked and gzip-compressed at `level` (0–9), byte-shuffled first unless told not to.
    public static func deflate(level: Int = 4, shuffle: Bool = true, chunkShape: [Int]? = nil) -> HDF5StorageOptions {
        HDF5StorageOptions(compressionLevel: level, shuffle: shuffle, chunkShape: chunkShape)
    }

    /// Whether the dataset needs a chunked layout.
    var isChunked: Bool { compressionLevel != nil || chunkShape != nil }

    /// Chunk extents for a dataset of `shape` (all extents ≥ 1): the whole trailing axes, and
    /// as many leading rows as fit in `targetBytes`, so that reading a range of rows touches
    /// few chunks and each chunk fits HDF5's default 1 MiB chunk cache.
    static func automaticChunkShape(for shape: [Int], elementSize: Int,
                                    targetBytes: Int = 256 << 10) -> [Int] {
        var chunk = shape.map { max($0, 1) }
        for axis in chunk.indices {
            while chunk[axis] > 1 && chunk.reduce(elementSize, *) > targetBytes {
                chunk[axis] = (chunk[axis] + 1) / 2
            }
        }
        return chunk
    }
}
