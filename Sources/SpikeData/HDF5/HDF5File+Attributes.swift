import CHDF5

/// The value of an attribute, in the kinds SpikeLab writes (and h5py writes for Python
/// `str`, `int`, `float` and 1-D NumPy arrays).
public enum HDF5AttributeValue: Equatable, Sendable, CustomStringConvertible,
    ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    case string(String)
    case int64(Int64)
    case double(Double)
    case int64Array([Int64])
    case doubleArray([Double])

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int64(value) }
    public init(floatLiteral value: Double) { self = .double(value) }

    public var description: String {
        switch self {
        case .string(let value): "\"\(value)\""
        case .int64(let value): "\(value)"
        case .double(let value): "\(value)"
        case .int64Array(let values): "\(values)"
        case .doubleArray(let values): "\(values)"
        }
    }
}

extension HDF5File {
    // MARK: - Writing attributes

    /// Sets attribute `name` of the group or dataset at `path` (default: the root group, i.e.
    /// the file) to `value`, replacing an attribute of that name. Strings are stored as
    /// variable-length UTF-8, numbers as int64 / float64, arrays with one axis.
    public func setAttribute(_ name: String, _ value: HDF5AttributeValue, on path: String = "/") throws(HDF5Error) {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let absolute = Self.absolute(path)
        let object = "attribute \(name) of \(absolute)"
        let operation = "writing an attribute"
        _ = try writableID(object: object, operation: operation)
        let owner = try openObject(absolute, object: "object \(absolute)", operation: operation)
        defer { H5Oclose(owner) }
        let exists = H5Aexists(owner, name)
        guard exists >= 0 else { throw libraryError(object: object, operation: operation) }
        if exists > 0, H5Adelete(owner, name) < 0 { throw libraryError(object: object, operation: operation) }

        switch value {
        case .string(let text):
            let type = try variableStringType(object: object, operation: operation)
            defer { H5Tclose(type) }
            let status = Self.withCStrings([text]) { pointers in
                createAttribute(owner, name, type: type, count: nil) { H5Awrite($0, type, pointers) }
            }
            guard status >= 0 else { throw libraryError(object: object, operation: operation) }
        case .int64(let number):
            try writeNumbers([number], scalar: true, owner: owner, name: name, object: object, operation: operation)
        case .double(let number):
            try writeNumbers([number], scalar: true, owner: owner, name: name, object: object, operation: operation)
        case .int64Array(let numbers):
            try writeNumbers(numbers, scalar: false, owner: owner, name: name, object: object, operation: operation)
        case .doubleArray(let numbers):
            try writeNumbers(numbers, scalar: false, owner: owner, name: name, object: object, operation: operation)
        }
    }

    /// Removes attribute `name` of the object at `path`.
    public func removeAttribute(_ name: String, on path: String = "/") throws(HDF5Error) {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let absolute = Self.absolute(path)
        let object = "attribute \(name) of \(absolute)"
        let operation = "removing an attribute"
        _ = try writableID(object: object, operation: operation)
        let owner = try openObject(absolute, object: "object \(absolute)", operation: operation)
        defer { H5Oclose(owner) }
        guard H5Aexists(owner, name) > 0 else { throw error(.notFound, object: object, operation: operation) }
        guard H5Adelete(owner, name) >= 0 else { throw libraryError(object: object, operation: operation) }
    }

    // MARK: - Reading attributes

    /// The names of the attributes of the object at `path`, sorted.
    public func attributeNames(on path: String = "/") throws(HDF5Error) -> [String] {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let absolute = Self.absolute(path)
        let object = "object \(absolute)"
        let operation = "listing attributes"
        let owner = try openObject(absolute, object: object, operation: operation)
        defer { H5Oclose(owner) }
        final class Names { var names: [String] = [] }
        let names = Names()
        var index: hsize_t = 0
        let status = H5Aiterate2(owner, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, context in
            guard let name, let context else { return -1 }
            Unmanaged<Names>.fromOpaque(context).takeUnretainedValue().names.append(String(cString: name))
            return 0
        }, Unmanaged.passUnretained(names).toOpaque())
        withExtendedLifetime(names) {}
        guard status >= 0 else { throw libraryError(object: object, operation: operation) }
        return names.names
    }

    /// Whether the object at `path` has an attribute `name` (false when the object is missing).
    public func attributeExists(_ name: String, on path: String = "/") throws(HDF5Error) -> Bool {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let absolute = Self.absolute(path)
        let id = try openID(object: "attribute \(name) of \(absolute)", operation: "looking up an attribute")
        guard Self.kind(of: absolute, in: id) != nil else { return false }
        return H5Aexists_by_name(id, absolute, name, spk_h5p_default()) > 0
    }

    /// Attribute `name` of the object at `path`, decoded by its stored type: strings (fixed or
    /// variable length) as `.string`, integers as `.int64`, floats as `.double`; a value with
    /// an axis (even of one element) as the array case.
    public func attribute(_ name: String, on path: String = "/") throws(HDF5Error) -> HDF5AttributeValue {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let operation = "reading an attribute"
        let attribute = try openAttribute(name, on: path, operation: operation)
        defer { attribute.close() }
        switch H5Tget_class(attribute.type) {
        case H5T_STRING:
            return .string(try singleString(attribute, operation: operation))
        case H5T_INTEGER:
            let numbers: [Int64] = try readNumbers(attribute, operation: operation)
            return attribute.isScalar ? .int64(numbers[0]) : .int64Array(numbers)
        case H5T_FLOAT:
            let numbers: [Double] = try readNumbers(attribute, operation: operation)
            return attribute.isScalar ? .double(numbers[0]) : .doubleArray(numbers)
        default:
            throw error(.typeMismatch("stores \(HDF5DataType(storedType: attribute.type)), which SpikeData does not read"),
                        object: attribute.object, operation: operation)
        }
    }

    /// The string attribute `name` of the object at `path` (fixed or variable length).
    public func stringAttribute(_ name: String, on path: String = "/") throws(HDF5Error) -> String {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let operation = "reading a string attribute"
        let attribute = try openAttribute(name, on: path, operation: operation)
        defer { attribute.close() }
        return try singleString(attribute, operation: operation)
    }

    /// The single-number attribute `name` of the object at `path`, converted to `Int64`.
    public func int64Attribute(_ name: String, on path: String = "/") throws(HDF5Error) -> Int64 {
        try singleNumber(name, on: path, operation: "reading an int64 attribute")
    }

    /// The single-number attribute `name` of the object at `path`, converted to `Double`.
    public func doubleAttribute(_ name: String, on path: String = "/") throws(HDF5Error) -> Double {
        try singleNumber(name, on: path, operation: "reading a float64 attribute")
    }

    /// The numeric attribute `name` of the object at `path` as `Int64`s, in row-major order.
    public func int64ArrayAttribute(_ name: String, on path: String = "/") throws(HDF5Error) -> [Int64] {
        try numbers(name, on: path, operation: "reading an int64 array attribute")
    }

    /// The numeric attribute `name` of the object at `path` as `Double`s, in row-major order.
    public func doubleArrayAttribute(_ name: String, on path: String = "/") throws(HDF5Error) -> [Double] {
        try numbers(name, on: path, operation: "reading a float64 array attribute")
    }

    // MARK: - Helpers (call with the lock held, except the public-facing number readers)

    /// An open attribute with its stored type and dataspace.
    struct OpenAttribute {
        let attribute: hid_t
        let type: hid_t
        let space: hid_t
        let object: String

        /// Whether the dataspace is scalar (no axis).
        var isScalar: Bool { H5Sget_simple_extent_type(space) == H5S_SCALAR }

        func close() {
            H5Sclose(space)
            H5Tclose(type)
            H5Aclose(attribute)
        }
    }

    private func openAttribute(_ name: String, on path: String, operation: String) throws(HDF5Error) -> OpenAttribute {
        let absolute = Self.absolute(path)
        let object = "attribute \(name) of \(absolute)"
        let owner = try openObject(absolute, object: "object \(absolute)", operation: operation)
        defer { H5Oclose(owner) }
        let exists = H5Aexists(owner, name)
        guard exists >= 0 else { throw libraryError(object: object, operation: operation) }
        guard exists > 0 else { throw error(.notFound, object: object, operation: operation) }
        let attribute = H5Aopen(owner, name, spk_h5p_default())
        guard attribute >= 0 else { throw libraryError(object: object, operation: operation) }
        let type = H5Aget_type(attribute)
        let space = type >= 0 ? H5Aget_space(attribute) : -1
        guard type >= 0, space >= 0 else {
            let failure = libraryError(object: object, operation: operation)
            if type >= 0 { H5Tclose(type) }
            H5Aclose(attribute)
            throw failure
        }
        return OpenAttribute(attribute: attribute, type: type, space: space, object: object)
    }

    /// Creates attribute `name` on `owner` with `count` elements (nil: scalar), hands it to
    /// `write`, and closes it; returns the first negative status, or 0.
    private func createAttribute(_ owner: hid_t, _ name: String, type: hid_t, count: Int?,
                                 write: (hid_t) -> herr_t) -> herr_t {
        var dims = [hsize_t(count ?? 0)]
        let space = count == nil ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, nil)
        guard space >= 0 else { return -1 }
        defer { H5Sclose(space) }
        let attribute = H5Acreate2(owner, name, type, space, spk_h5p_default(), spk_h5p_default())
        guard attribute >= 0 else { return -1 }
        // Write before closing so the error stack still describes a failed write.
        let status = count == 0 ? 0 : write(attribute)
        let closed = H5Aclose(attribute)
        return status < 0 ? status : closed
    }

    private func writeNumbers<T: HDF5Element>(_ numbers: [T], scalar: Bool, owner: hid_t, name: String,
                                              object: String, operation: String) throws(HDF5Error) {
        let type = T.hdf5ElementType.nativeType
        let status = numbers.withUnsafeBytes { bytes in
            createAttribute(owner, name, type: type, count: scalar ? nil : numbers.count) { attribute in
                H5Awrite(attribute, type, bytes.baseAddress!)
            }
        }
        guard status >= 0 else { throw libraryError(object: object, operation: operation) }
    }

    private func readNumbers<T: HDF5Element>(_ attribute: OpenAttribute, operation: String) throws(HDF5Error) -> [T] {
        guard HDF5DataType.isNumericClass(attribute.type) else {
            throw error(.typeMismatch("stores \(HDF5DataType(storedType: attribute.type)), not numbers"),
                        object: attribute.object, operation: operation)
        }
        let points = H5Sget_simple_extent_npoints(attribute.space)
        guard points >= 0 else { throw libraryError(object: attribute.object, operation: operation) }
        guard points > 0 else { return [] }
        var failed = false
        let numbers = [T](unsafeUninitializedCapacity: Int(points)) { buffer, initialised in
            failed = H5Aread(attribute.attribute, T.hdf5ElementType.nativeType, buffer.baseAddress!) < 0
            initialised = failed ? 0 : Int(points)
        }
        guard !failed else { throw libraryError(object: attribute.object, operation: operation) }
        return numbers
    }

    private func singleString(_ attribute: OpenAttribute, operation: String) throws(HDF5Error) -> String {
        let strings = try readStringValues(storedType: attribute.type, space: attribute.space,
                                           object: attribute.object, operation: operation) { type, buffer in
            H5Aread(attribute.attribute, type, buffer)
        }
        guard strings.count == 1 else {
            throw error(.shapeMismatch("holds \(strings.count) strings, expected one"), object: attribute.object,
                        operation: operation)
        }
        return strings[0]
    }

    private func numbers<T: HDF5Element>(_ name: String, on path: String, operation: String) throws(HDF5Error) -> [T] {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let attribute = try openAttribute(name, on: path, operation: operation)
        defer { attribute.close() }
        return try readNumbers(attribute, operation: operation)
    }

    private func singleNumber<T: HDF5Element>(_ name: String, on path: String, operation: String) throws(HDF5Error) -> T {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let attribute = try openAttribute(name, on: path, operation: operation)
        defer { attribute.close() }
        let numbers: [T] = try readNumbers(attribute, operation: operation)
        guard numbers.count == 1 else {
            throw error(.shapeMismatch("holds \(numbers.count) numbers, expected one"), object: attribute.object,
                        operation: operation)
        }
        return numbers[0]
    }
}
