/// One dataset of the registry (`datasets/registry.yaml`): where its files come from, how to
/// check them, and what must exist once they are unpacked.
public struct DatasetSpec: Sendable, Equatable {
    /// Registry key, e.g. `cifar10`.
    public var name: String
    /// Human title, e.g. `CIFAR-10 (binary version)`.
    public var title: String
    /// The publisher's page.
    public var homepage: String
    /// The licence or terms of use, as the publisher states them.
    public var licence: String
    /// The files to download (or to place by hand), in order.
    public var files: [DatasetFile]
    /// What must exist under the root once every file is in place and unpacked.
    public var layout: [LayoutEntry]

    public init(name: String, title: String, homepage: String, licence: String,
                files: [DatasetFile], layout: [LayoutEntry]) {
        self.name = name
        self.title = title
        self.homepage = homepage
        self.licence = licence
        self.files = files
        self.layout = layout
    }
}

/// One file a publisher ships: its name under the root, sources, size and checksums.
public struct DatasetFile: Sendable, Equatable {
    /// Path under the dataset root (a plain relative path, no `..`).
    public var name: String
    /// Download URLs, tried in order (mirrors). Empty: the file must be fetched by hand.
    public var urls: [String]
    /// Where to get the file by hand when `urls` is empty (or as extra help).
    public var manualInstructions: String?
    /// Size in bytes, when published.
    public var size: Int?
    /// Published checksums (at most one per kind). Empty: nothing published to check against.
    public var checksums: [Checksum]
    /// Where the checksums were published (for the report and the docs).
    public var checksumSource: String?
    /// Other copies known to be good (e.g. a Debian package that re-compressed the file).
    public var alternatives: [AlternativeCopy]
    /// How to unpack the file into the root after it verifies.
    public var extract: ExtractKind

    public init(name: String, urls: [String], manualInstructions: String? = nil, size: Int? = nil,
                checksums: [Checksum] = [], checksumSource: String? = nil,
                alternatives: [AlternativeCopy] = [], extract: ExtractKind = .none) {
        self.name = name
        self.urls = urls
        self.manualInstructions = manualInstructions
        self.size = size
        self.checksums = checksums
        self.checksumSource = checksumSource
        self.alternatives = alternatives
        self.extract = extract
    }

    /// True when the publisher's checksums can tell a good copy from a bad one.
    public var hasChecksum: Bool { !checksums.isEmpty }
}

/// A different but known-good copy of a file (other size and checksums), with where it comes from.
public struct AlternativeCopy: Sendable, Equatable {
    public var size: Int?
    public var checksums: [Checksum]
    public var source: String

    public init(size: Int?, checksums: [Checksum], source: String) {
        self.size = size
        self.checksums = checksums
        self.source = source
    }
}

/// How a downloaded file is unpacked.
public enum ExtractKind: String, Sendable, Equatable, CaseIterable {
    /// Used as it is.
    case none
    /// A tar archive, unpacked into the root.
    case tar
    /// A gzip-compressed tar archive (`.tar.gz`, `.tgz`), unpacked into the root.
    case tarGzip = "tar.gz"
    /// A zip archive, unpacked into the root.
    case zip
    /// A single gzip-compressed file, decompressed next to itself without the `.gz`.
    case gzip
}

/// A file or folder that must exist under the root once the dataset is in place.
public struct LayoutEntry: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable { case file, directory }

    /// Path under the root.
    public var path: String
    public var kind: Kind
    /// For a file: its exact size in bytes, when known.
    public var size: Int?
    /// For a directory: how many entries it holds (those matching `pattern` if given; hidden ones never count).
    public var count: Int?
    /// For a directory with a count: a `*`-suffix pattern such as `*.bin`, or a full name pattern like `*_labels.csv`.
    public var pattern: String?
    /// For a directory with a count: count entries of every subdirectory instead (e.g. images of all class folders).
    public var recursive: Bool

    public init(path: String, kind: Kind, size: Int? = nil, count: Int? = nil, pattern: String? = nil,
                recursive: Bool = false) {
        self.path = path
        self.kind = kind
        self.size = size
        self.count = count
        self.pattern = pattern
        self.recursive = recursive
    }
}
