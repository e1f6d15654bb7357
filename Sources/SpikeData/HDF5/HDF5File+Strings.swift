import CHDF5
import Foundation

extension HDF5File {
    // MARK: - String datasets

    /// Writes `strings` as a one-axis dataset of variable-length UTF-8 strings at `path`
    /// (as h5py stores Python `str`), replacing a dataset already there. A string is cut at
    /// its first NUL character, as C strings are.
    public func writeStrings(_ strings: [String], at path: String) throws(HDF5Error) {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let object = "dataset \(Self.absolute(path))"
        let operation = "writing strings"
        let type = try variableStringType(object: object, operation: operation)
        defer { H5Tclose(type) }
        let dataset = try createDataset(path, fileType: type, shape: [strings.count], elementSize: MemoryLayout<UnsafeRawPointer>.size,
                                        storage: .contiguous, object: object, operation: operation)
        defer { H5Dclose(dataset) }
        guard !strings.isEmpty else { return }
        let status = Self.withCStrings(strings) { pointers in
            H5Dwrite(dataset, type, spk_h5s_all(), spk_h5s_all(), spk_h5p_default(), pointers)
        }
        guard status >= 0 else { throw libraryError(object: object, operation: operation) }
    }

    /// Reads the string dataset at `path` (fixed- or variable-length, any shape) in row-major order.
    public func readStrings(_ path: String) throws(HDF5Error) -> [String] {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let absolute = Self.absolute(path)
        let object = "dataset \(absolute)"
        let operation = "reading strings"
        let dataset = try openDataset(absolute, object: object, operation: operation)
        defer { H5Dclose(dataset) }
        let type = H5Dget_type(dataset)
        guard type >= 0 else { throw libraryError(object: object, operation: operation) }
        defer { H5Tclose(type) }
        let space = H5Dget_space(dataset)
        guard space >= 0 else { throw libraryError(object: object, operation: operation) }
        defer { H5Sclose(space) }
        return try readStringValues(storedType: type, space: space, object: object, operation: operation) {
            memoryType, buffer in
            H5Dread(dataset, memoryType, spk_h5s_all(), spk_h5s_all(), spk_h5p_default(), buffer)
        }
    }

    // MARK: - Helpers shared with attributes (call with the lock held)

    /// A new variable-length UTF-8 string type; close it with `H5Tclose`.
    func variableStringType(object: String, operation: String) throws(HDF5Error) -> hid_t {
        let type = H5Tcopy(spk_h5t_c_s1())
        guard type >= 0 else { throw libraryError(object: object, operation: operation) }
        guard H5Tset_size(type, spk_h5t_variable()) >= 0, H5Tset_cset(type, H5T_CSET_UTF8) >= 0 else {
            let failure = libraryError(object: object, operation: operation)
            H5Tclose(type)
            throw failure
        }
        return type
    }

    /// Calls `body` with an array of C-string pointers to copies of `strings`, freed afterwards.
    static func withCStrings<R>(_ strings: [String], _ body: (UnsafeRawPointer) -> R) -> R {
        let copies: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        return copies.withUnsafeBufferPointer { body(UnsafeRawPointer($0.baseAddress!)) }
    }

    /// Reads every string of a dataset or attribute whose stored type is `storedType` and
    /// whose dataspace is `space`; `read` performs the `H5Dread`/`H5Aread` into a buffer laid
    /// out for the memory type it is given. Variable-length strings are copied out and HDF5's
    /// memory for them is given back with `H5Dvlen_reclaim`.
    func readStringValues(storedType: hid_t, space: hid_t, object: String, operation: String,
                          read: (hid_t, UnsafeMutableRawPointer) -> herr_t) throws(HDF5Error) -> [String] {
        guard H5Tget_class(storedType) == H5T_STRING else {
            throw error(.typeMismatch("stores \(HDF5DataType(storedType: storedType)), not strings"),
                        object: object, operation: operation)
        }
        let points = H5Sget_simple_extent_npoints(space)
        guard points >= 0 else { throw libraryError(object: object, operation: operation) }
        let count = Int(points)
        if count == 0 || H5Sget_simple_extent_type(space) == H5S_NULL { return [] }

        if H5Tis_variable_str(storedType) > 0 {
            // Same character set as stored: HDF5 does not convert between ASCII and UTF-8.
            let memoryType = H5Tcopy(spk_h5t_c_s1())
            guard memoryType >= 0 else { throw libraryError(object: object, operation: operation) }
            defer { H5Tclose(memoryType) }
            guard H5Tset_size(memoryType, spk_h5t_variable()) >= 0,
                  H5Tset_cset(memoryType, H5Tget_cset(storedType)) >= 0 else {
                throw libraryError(object: object, operation: operation)
            }
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            let status = pointers.withUnsafeMutableBytes { read(memoryType, $0.baseAddress!) }
            guard status >= 0 else { throw libraryError(object: object, operation: operation) }
            let strings = pointers.map { pointer in pointer.map { String(cString: $0) } ?? "" }
            _ = pointers.withUnsafeMutableBytes {
                H5Dvlen_reclaim(memoryType, space, spk_h5p_default(), $0.baseAddress!)
            }
            return strings
        }

        // Fixed-length slots: read with the stored type itself, then cut each slot at its
        // first NUL (and trailing blanks when the type pads with spaces).
        let size = H5Tget_size(storedType)
        guard size > 0 else { throw libraryError(object: object, operation: operation) }
        let memoryType = H5Tcopy(storedType)
        guard memoryType >= 0 else { throw libraryError(object: object, operation: operation) }
        defer { H5Tclose(memoryType) }
        var bytes = [UInt8](repeating: 0, count: count * size)
        let status = bytes.withUnsafeMutableBytes { read(memoryType, $0.baseAddress!) }
        guard status >= 0 else { throw libraryError(object: object, operation: operation) }
        let spacePadded = H5Tget_strpad(storedType) == H5T_STR_SPACEPAD
        return (0..<count).map { index in
            var slot = bytes[(index * size)..<((index + 1) * size)]
            if let end = slot.firstIndex(of: 0) { slot = slot[..<end] }
            if spacePadded { while slot.last == UInt8(ascii: " ") { slot = slot.dropLast() } }
            return String(decoding: slot, as: UTF8.self)
        }
    }
}
