import CHDF5

/// What a path inside an HDF5 file names.
public enum HDF5ObjectKind: String, Sendable, CustomStringConvertible {
    case group, dataset
    /// A named (committed) datatype.
    case namedType = "named datatype"
    /// A link whose target is missing, or an object of a kind HDF5 does not name.
    case other = "other object"

    public var description: String { rawValue }
}

/// One entry of a group: its name (not the full path) and what it is.
public struct HDF5Child: Sendable, Equatable {
    /// The link name inside the group.
    public let name: String
    /// What the link points to.
    public let kind: HDF5ObjectKind

    /// A child entry.
    public init(name: String, kind: HDF5ObjectKind) {
        self.name = name
        self.kind = kind
    }
}

extension HDF5File {
    // MARK: - Groups and objects

    /// What `path` names, or nil when nothing is there.
    public func objectKind(_ path: String) throws(HDF5Error) -> HDF5ObjectKind? {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let id = try openID(object: "object \(Self.absolute(path))", operation: "looking up an object")
        return Self.kind(of: Self.absolute(path), in: id)
    }

    /// Whether `path` names a group (the root `/` always does).
    public func groupExists(_ path: String) throws(HDF5Error) -> Bool {
        try objectKind(path) == .group
    }

    /// Whether `path` names a dataset.
    public func datasetExists(_ path: String) throws(HDF5Error) -> Bool {
        try objectKind(path) == .dataset
    }

    /// Creates the group at `path` and any missing parents; an existing group is left as it is.
    public func createGroup(_ path: String) throws(HDF5Error) {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let absolute = Self.absolute(path)
        let id = try writableID(object: "group \(absolute)", operation: "creating a group")
        try makeGroups(along: Self.components(path), in: id, operation: "creating a group")
    }

    /// The entries of the group at `path`, sorted by name.
    public func listChildren(of path: String = "/") throws(HDF5Error) -> [HDF5Child] {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let absolute = Self.absolute(path)
        let object = "group \(absolute)"
        let operation = "listing a group"
        let group = try openGroup(absolute, object: object, operation: operation)
        defer { H5Gclose(group) }

        final class Names { var names: [String] = [] }
        let names = Names()
        var index: hsize_t = 0
        let status = H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, context in
            guard let name, let context else { return -1 }
            Unmanaged<Names>.fromOpaque(context).takeUnretainedValue().names.append(String(cString: name))
            return 0
        }, Unmanaged.passUnretained(names).toOpaque())
        withExtendedLifetime(names) {}
        guard status >= 0 else { throw libraryError(object: object, operation: operation) }
        return names.names.map { name in
            HDF5Child(name: name, kind: Self.kind(ofLink: name, in: group) ?? .other)
        }
    }

    /// Unlinks the object at `path` (HDF5 does not give the space back until the file is repacked).
    public func remove(_ path: String) throws(HDF5Error) {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let absolute = Self.absolute(path)
        let object = "object \(absolute)"
        let operation = "removing an object"
        let id = try writableID(object: object, operation: operation)
        guard absolute != "/" else {
            throw error(.invalidArgument("the root group cannot be removed"), object: object, operation: operation)
        }
        guard Self.kind(of: absolute, in: id) != nil else { throw error(.notFound, object: object, operation: operation) }
        guard H5Ldelete(id, absolute, spk_h5p_default()) >= 0 else {
            throw libraryError(object: object, operation: operation)
        }
    }

    // MARK: - Dataset metadata

    /// The extents of the dataset at `path` (`[]` for a scalar dataset).
    public func datasetShape(_ path: String) throws(HDF5Error) -> [Int] {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let absolute = Self.absolute(path)
        let object = "dataset \(absolute)"
        let operation = "reading the shape"
        let dataset = try openDataset(absolute, object: object, operation: operation)
        defer { H5Dclose(dataset) }
        return try shape(ofDataset: dataset, object: object, operation: operation)
    }

    /// The element type of the dataset at `path`.
    public func datasetType(_ path: String) throws(HDF5Error) -> HDF5DataType {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let absolute = Self.absolute(path)
        let object = "dataset \(absolute)"
        let operation = "reading the element type"
        let dataset = try openDataset(absolute, object: object, operation: operation)
        defer { H5Dclose(dataset) }
        let type = H5Dget_type(dataset)
        guard type >= 0 else { throw libraryError(object: object, operation: operation) }
        defer { H5Tclose(type) }
        return HDF5DataType(storedType: type)
    }

    // MARK: - Helpers (call with the lock held)

    /// What the absolute `path` names in file `id`, or nil. Walks the path one link at a time
    /// because `H5Lexists` fails, rather than answering false, when a parent is missing.
    static func kind(of path: String, in id: hid_t) -> HDF5ObjectKind? {
        if path == "/" { return .group }
        var prefix = ""
        for name in components(path) {
            prefix += "/" + name
            guard H5Lexists(id, prefix, spk_h5p_default()) > 0 else { return nil }
        }
        return kind(ofLink: path, in: id)
    }

    /// What the existing link `name` (relative to `location`) points to; nil if it dangles.
    static func kind(ofLink name: String, in location: hid_t) -> HDF5ObjectKind? {
        var type = H5O_TYPE_UNKNOWN
        guard spk_object_type(location, name, &type) >= 0 else { return nil }
        switch type {
        case H5O_TYPE_GROUP: return .group
        case H5O_TYPE_DATASET: return .dataset
        case H5O_TYPE_NAMED_DATATYPE: return .namedType
        default: return .other
        }
    }

    /// Opens the dataset at the absolute `path`, or throws `.notFound` / `.wrongKind`.
    func openDataset(_ path: String, object: String, operation: String) throws(HDF5Error) -> hid_t {
        let id = try openID(object: object, operation: operation)
        try expect(.dataset, at: path, in: id, object: object, operation: operation)
        let dataset = H5Dopen2(id, path, spk_h5p_default())
        guard dataset >= 0 else { throw libraryError(object: object, operation: operation) }
        return dataset
    }

    /// Opens the group at the absolute `path`, or throws `.notFound` / `.wrongKind`.
    func openGroup(_ path: String, object: String, operation: String) throws(HDF5Error) -> hid_t {
        let id = try openID(object: object, operation: operation)
        try expect(.group, at: path, in: id, object: object, operation: operation)
        let group = H5Gopen2(id, path, spk_h5p_default())
        guard group >= 0 else { throw libraryError(object: object, operation: operation) }
        return group
    }

    /// Opens the group or dataset at the absolute `path` (for attributes), or throws `.notFound`.
    func openObject(_ path: String, object: String, operation: String) throws(HDF5Error) -> hid_t {
        let id = try openID(object: object, operation: operation)
        guard Self.kind(of: path, in: id) != nil else { throw error(.notFound, object: object, operation: operation) }
        let handle = H5Oopen(id, path, spk_h5p_default())
        guard handle >= 0 else { throw libraryError(object: object, operation: operation) }
        return handle
    }

    /// Throws unless `path` names an object of `kind`.
    private func expect(_ kind: HDF5ObjectKind, at path: String, in id: hid_t,
                        object: String, operation: String) throws(HDF5Error) {
        guard let found = Self.kind(of: path, in: id) else {
            throw error(.notFound, object: object, operation: operation)
        }
        guard found == kind else {
            throw error(.wrongKind(expected: kind.rawValue, found: found.rawValue), object: object, operation: operation)
        }
    }

    /// Creates every missing group along `names` from the root; fails if one is not a group.
    func makeGroups(along names: [String], in id: hid_t, operation: String) throws(HDF5Error) {
        var prefix = ""
        for name in names {
            prefix += "/" + name
            switch Self.kind(of: prefix, in: id) {
            case .group?:
                continue
            case let found?:
                throw error(.wrongKind(expected: "group", found: found.rawValue), object: "object \(prefix)",
                            operation: operation)
            case nil:
                let group = H5Gcreate2(id, prefix, spk_h5p_default(), spk_h5p_default(), spk_h5p_default())
                guard group >= 0 else { throw libraryError(object: "group \(prefix)", operation: operation) }
                H5Gclose(group)
            }
        }
    }

    /// Makes room for a new dataset at the absolute `path`: creates missing parent groups and
    /// unlinks a dataset already there (a group there is an error). Returns the file id.
    func prepareNewDataset(_ path: String, object: String, operation: String) throws(HDF5Error) -> hid_t {
        let id = try writableID(object: object, operation: operation)
        let names = Self.components(path)
        guard !names.isEmpty else {
            throw error(.invalidArgument("a dataset needs a name; `/` is the root group"), object: object,
                        operation: operation)
        }
        try makeGroups(along: Array(names.dropLast()), in: id, operation: operation)
        switch Self.kind(of: path, in: id) {
        case nil:
            break
        case .dataset?:
            guard H5Ldelete(id, path, spk_h5p_default()) >= 0 else {
                throw libraryError(object: object, operation: operation)
            }
        case let found?:
            throw error(.alreadyExists(found: found.rawValue), object: object, operation: operation)
        }
        return id
    }

    /// The extents of an open dataset's dataspace.
    func shape(ofDataset dataset: hid_t, object: String, operation: String) throws(HDF5Error) -> [Int] {
        let space = H5Dget_space(dataset)
        guard space >= 0 else { throw libraryError(object: object, operation: operation) }
        defer { H5Sclose(space) }
        return try shape(ofSpace: space, object: object, operation: operation)
    }

    /// The extents of a dataspace: `[]` for a scalar, `[0]` for a null (empty) dataspace.
    func shape(ofSpace space: hid_t, object: String, operation: String) throws(HDF5Error) -> [Int] {
        switch H5Sget_simple_extent_type(space) {
        case H5S_SCALAR: return []
        case H5S_NULL: return [0]
        case H5S_SIMPLE:
            let rank = H5Sget_simple_extent_ndims(space)
            guard rank >= 0 else { throw libraryError(object: object, operation: operation) }
            var dims = [hsize_t](repeating: 0, count: Int(rank))
            guard H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else {
                throw libraryError(object: object, operation: operation)
            }
            return dims.map { Int($0) }
        default:
            throw libraryError(object: object, operation: operation)
        }
    }
}
