import CHDF5

extension HDF5File {
    // MARK: - Variable-length sequences

    /// Writes `sequences` as a one-axis dataset whose elements are variable-length sequences
    /// of `T` (the layout SHD uses for `spikes/times` and `spikes/units`), replacing a dataset
    /// already there.
    public func writeSequences<T: HDF5Element>(_ sequences: [[T]], at path: String) throws(HDF5Error) {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let object = "dataset \(Self.absolute(path))"
        let operation = "writing sequences of \(T.hdf5ElementType)"
        let type = H5Tvlen_create(T.hdf5ElementType.nativeType)
        guard type >= 0 else { throw libraryError(object: object, operation: operation) }
        defer { H5Tclose(type) }
        let dataset = try createDataset(path, fileType: type, shape: [sequences.count],
                                        elementSize: MemoryLayout<hvl_t>.size, storage: .contiguous,
                                        object: object, operation: operation)
        defer { H5Dclose(dataset) }
        guard !sequences.isEmpty else { return }
        // One flat buffer holds every sequence; each hvl_t points into it, so nothing moves
        // while HDF5 reads from it.
        var flat = [T]()
        flat.reserveCapacity(sequences.reduce(0) { $0 + $1.count })
        for sequence in sequences { flat.append(contentsOf: sequence) }
        let status = flat.withUnsafeMutableBufferPointer { values in
            var descriptors = [hvl_t]()
            descriptors.reserveCapacity(sequences.count)
            var start = 0
            for sequence in sequences {
                let pointer = sequence.isEmpty ? nil : UnsafeMutableRawPointer(values.baseAddress! + start)
                descriptors.append(hvl_t(len: sequence.count, p: pointer))
                start += sequence.count
            }
            return H5Dwrite(dataset, type, spk_h5s_all(), spk_h5s_all(), spk_h5p_default(), descriptors)
        }
        guard status >= 0 else { throw libraryError(object: object, operation: operation) }
    }

    /// Reads the dataset of variable-length numeric sequences at `path` (one axis, or a
    /// scalar holding one sequence), each converted to `T`; with `range`, only those entries.
    public func readSequences<T: HDF5Element>(_ path: String, as type: T.Type = T.self,
                                              range: Range<Int>? = nil) throws(HDF5Error) -> [[T]] {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let absolute = Self.absolute(path)
        let object = "dataset \(absolute)"
        let operation = "reading sequences as \(T.hdf5ElementType)"
        let dataset = try openDataset(absolute, object: object, operation: operation)
        defer { H5Dclose(dataset) }

        let storedType = H5Dget_type(dataset)
        guard storedType >= 0 else { throw libraryError(object: object, operation: operation) }
        let stored = HDF5DataType(storedType: storedType)
        var numericSequence = false
        if H5Tget_class(storedType) == H5T_VLEN {
            let base = H5Tget_super(storedType)
            numericSequence = base >= 0 && HDF5DataType.isNumericClass(base)
            if base >= 0 { H5Tclose(base) }
        }
        H5Tclose(storedType)
        guard numericSequence else {
            throw error(.typeMismatch("stores \(stored), not variable-length numeric sequences"),
                        object: object, operation: operation)
        }

        let fileSpace = H5Dget_space(dataset)
        guard fileSpace >= 0 else { throw libraryError(object: object, operation: operation) }
        defer { H5Sclose(fileSpace) }
        let shape = try self.shape(ofSpace: fileSpace, object: object, operation: operation)
        guard shape.count <= 1 else {
            throw error(.shapeMismatch("has shape \(shape); sequences are read from one axis"),
                        object: object, operation: operation)
        }
        let total = shape.first ?? 1
        var count = total
        if let range {
            guard !shape.isEmpty else {
                throw error(.shapeMismatch("is a scalar; a range cannot be selected"), object: object,
                            operation: operation)
            }
            guard range.lowerBound >= 0, range.upperBound <= total else {
                throw error(.shapeMismatch("entries \(range) are outside 0..<\(total)"), object: object,
                            operation: operation)
            }
            count = range.count
            var start = [hsize_t(range.lowerBound)]
            var extent = [hsize_t(count)]
            guard H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &extent, nil) >= 0 else {
                throw libraryError(object: object, operation: operation)
            }
        }
        guard count > 0 else { return [] }

        let memoryType = H5Tvlen_create(T.hdf5ElementType.nativeType)
        guard memoryType >= 0 else { throw libraryError(object: object, operation: operation) }
        defer { H5Tclose(memoryType) }
        var dims = [hsize_t(count)]
        let memorySpace = H5Screate_simple(1, &dims, nil)
        guard memorySpace >= 0 else { throw libraryError(object: object, operation: operation) }
        defer { H5Sclose(memorySpace) }

        var descriptors = [hvl_t](repeating: hvl_t(len: 0, p: nil), count: count)
        let status = descriptors.withUnsafeMutableBufferPointer {
            H5Dread(dataset, memoryType, memorySpace, fileSpace, spk_h5p_default(), $0.baseAddress!)
        }
        let failure = status < 0 ? libraryError(object: object, operation: operation) : nil
        let sequences: [[T]] = failure != nil ? [] : descriptors.map { descriptor in
            guard descriptor.len > 0, let pointer = descriptor.p else { return [] }
            return Array(UnsafeBufferPointer(start: pointer.assumingMemoryBound(to: T.self), count: descriptor.len))
        }
        // HDF5 allocated each sequence's memory; give it back (also after a partial failure:
        // untouched descriptors are empty, which reclaim skips).
        _ = descriptors.withUnsafeMutableBufferPointer {
            H5Dvlen_reclaim(memoryType, memorySpace, spk_h5p_default(), $0.baseAddress!)
        }
        if let failure { throw failure }
        return sequences
    }
}
