import Foundation

/// N-MNIST (Orchard et al., 2015): MNIST digits recorded by an ATIS camera making three
/// saccades, `Train/<digit>/<id>.bin` and `Test/<digit>/<id>.bin` (`NMNISTBinary` files),
/// 34 × 34 pixels, 60 000 / 10 000 samples.
/// `root` is the folder that holds `Train/` and `Test/`.
public enum NMNIST {
    /// Class names, index = label = class folder name.
    public static let classNames = (0...9).map(String.init)
    /// The folder of each split.
    public static func folder(_ split: DataSplit) -> String { split == .train ? "Train" : "Test" }

    /// The recordings of `split` under `root`, sorted by class then file name.
    ///
    /// With `firstSaccadeOnly`, only events with t < 100 000 µs are kept (tonic's option).
    public static func source(root: String, split: DataSplit, firstSaccadeOnly: Bool = false) throws -> FolderEventSource {
        try FolderEventSource(name: "nmnist \(split.rawValue)" + (firstSaccadeOnly ? " first-saccade" : ""),
                              root: root, folder: folder(split), classFolders: classNames, classNames: classNames,
                              fileExtension: "bin", sensor: .nmnist, format: firstSaccadeOnly ? .nmnistFirstSaccade : .nmnist,
                              otherSplitFolder: folder(split == .train ? .test : .train))
    }

    /// The `split` of N-MNIST under `root` as frames `[T, 2, H, W]` (see `EventFrameDataset`).
    public static func load(root: String, split: DataSplit, integration: FrameIntegration,
                            size: (height: Int, width: Int)? = nil, cacheDirectory: String? = nil) throws -> EventFrameDataset {
        try EventFrameDataset(source: source(root: root, split: split), integration: integration, size: size,
                              cacheDirectory: cacheDirectory)
    }
}

/// Event files in one folder per class (`root/folder/<class>/*.ext`), each file one sample
/// labelled by its folder: the layout of N-MNIST and CIFAR10-DVS.
public struct FolderEventSource: EventSampleSource {
    /// How the files are decoded.
    public enum Format: String, Sendable {
        /// `NMNISTBinary`.
        case nmnist
        /// `NMNISTBinary`, events with t < 100 000 µs only.
        case nmnistFirstSaccade
        /// `AEDAT2` with SpikingJelly's CIFAR10-DVS mapping x' = 127 − y, y' = 127 − x, p' = 1 − p.
        case cifar10DVS
    }

    public let name: String
    public let sensor: SensorSize
    public let classCount: Int
    public let classNames: [String]
    /// How the files are decoded.
    public let format: Format
    /// Every sample's path and label, in sample order.
    public let files: [(path: String, label: Int32)]
    public let fingerprint: String

    /// The files under `root/folder/<classFolders[k]>/` ending in `.fileExtension`, labelled k,
    /// sorted by class then name.
    public init(name: String, root: String, folder: String, classFolders: [String], classNames: [String],
                fileExtension: String, sensor: SensorSize, format: Format, otherSplitFolder: String? = nil) throws {
        let base = folder.isEmpty ? root : root + "/" + folder
        var isDirectory: ObjCBool = false
        let missing = classFolders.filter {
            !(FileManager.default.fileExists(atPath: base + "/" + $0, isDirectory: &isDirectory) && isDirectory.boolValue)
        }
        if !missing.isEmpty {
            let prefix = folder.isEmpty ? "" : folder + "/"
            throw DataError.missingFiles(root: root, expected: classFolders.map { prefix + $0 + "/*.\(fileExtension)" },
                                         missing: missing.map { prefix + $0 + "/" },
                                         note: otherSplitFolder.map { "one folder per class, beside \($0)/" } ?? "one folder per class")
        }
        var files: [(String, Int32)] = []
        var print: [String] = [name, format.rawValue]
        for (k, classFolder) in classFolders.enumerated() {
            let directory = base + "/" + classFolder
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: directory)
                    .filter { $0.hasSuffix("." + fileExtension) }.sorted()
            } catch {
                throw DataError.unreadable(file: directory, reason: error.localizedDescription)
            }
            for fileName in names {
                let path = directory + "/" + fileName
                files.append((path, Int32(k)))
                print.append(fileFingerprint(path, name: classFolder + "/" + fileName))
            }
        }
        if files.isEmpty {
            throw DataError.missingFiles(root: root, expected: ["\(folder)/<class>/*.\(fileExtension)"],
                                         missing: ["any .\(fileExtension) file under \(base)"])
        }
        self.init(name: name, sensor: sensor, classNames: classNames, format: format, files: files,
                  fingerprint: print.joined(separator: "\n"))
    }

    /// A source over `files` exactly (used to form splits of a folder source).
    public init(name: String, sensor: SensorSize, classNames: [String], format: Format,
                files: [(path: String, label: Int32)], fingerprint: String) {
        self.name = name
        self.sensor = sensor
        self.classCount = classNames.count
        self.classNames = classNames
        self.format = format
        self.files = files
        self.fingerprint = fingerprint
    }

    public var count: Int { files.count }
    public func label(at index: Int) -> Int32 { files[index].label }
    public func file(at index: Int) -> String { files[index].path }

    public func events(at index: Int) throws -> Events {
        let path = files[index].path
        var events: Events
        switch format {
        case .nmnist:
            events = try NMNISTBinary.read(contentsOf: path)
        case .nmnistFirstSaccade:
            events = try NMNISTBinary.read(contentsOf: path).window(from: .min, to: 100_000)
        case .cifar10DVS:
            events = try AEDAT2.read(contentsOf: path).events
            try events.checkBounds(.dvs128, file: path)
            for i in 0..<events.count {
                let x = events.x[i], y = events.y[i]
                events.x[i] = 127 - y
                events.y[i] = 127 - x
                events.polarity[i] = 1 - events.polarity[i]
            }
        }
        try events.checkBounds(sensor, file: path)
        try events.checkTimeOrder(file: path)
        return events
    }
}
