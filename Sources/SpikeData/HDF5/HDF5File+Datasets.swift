import CHDF5
import SpikeTensor

extension DType {
    /// The HDF5 element type a tensor of this dtype is stored as.
    var hdf5ElementType: HDF5ElementType {
        switch self {
        case .float32: .float32
        case .int32: .int32
        case .uint8: .uint8
        }
    }
}

extension HDF5File {
    // MARK: - Tensors

    /// Writes `tensor` as the dataset at `path` with the tensor's shape and element type
    /// (float32, int32 or uint8), creating parent groups and replacing a dataset already there.
    public func writeTensor(_ tensor: Tensor, at path: String,
                            storage: HDF5StorageOptions = .contiguous) throws(HDF5Error) {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        try writeNumeric(UnsafeRawPointer(tensor.rawPointer), element: tensor.dtype.hdf5ElementType,
                         shape: tensor.shape, at: path, storage: storage, operation: "writing a tensor")
    }

    /// Reads the numeric dataset at `path` as a tensor of `dtype`, converting from whatever
    /// integer or float type is stored (out-of-range values saturate, floats truncate to integers).
    /// With `rows`, reads only that range of the leading axis.
    public func readTensor(_ path: String, as dtype: DType = .float32,
                           rows: Range<Int>? = nil) throws(HDF5Error) -> Tensor {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let read = try beginNumericRead(path, rows: rows, operation: "reading a tensor as \(dtype)")
        defer { read.close() }
        let tensor = Tensor(shape: read.shape, dtype: dtype, uninitialized: true)
        try finishNumericRead(read, element: dtype.hdf5ElementType, into: tensor.rawPointer)
        return tensor
    }

    // MARK: - Arrays and scalars

    /// Writes `values` as the dataset at `path`, shaped `shape` (default: one axis), replacing
    /// a dataset already there.
    public func writeArray<T: HDF5Element>(_ values: [T], shape: [Int]? = nil, at path: String,
                                           storage: HDF5StorageOptions = .contiguous) throws(HDF5Error) {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let shape = shape ?? [values.count]
        let operation = "writing an array of \(T.hdf5ElementType)"
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
            throw error(.invalidArgument("\(values.count) values do not fill shape \(shape)"),
                        object: "dataset \(Self.absolute(path))", operation: operation)
        }
        var failure: HDF5Error?
        values.withUnsafeBytes { bytes in
            // An empty array may have no base address; HDF5 never reads it then.
            let pointer = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: MemoryLayout<T>.alignment)!
            do throws(HDF5Error) {
                try writeNumeric(pointer, element: T.hdf5ElementType, shape: shape, at: path,
                                 storage: storage, operation: operation)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// Reads every element of the numeric dataset at `path` in row-major order, converted to `T`.
    public func readArray<T: HDF5Element>(_ path: String, as type: T.Type = T.self) throws(HDF5Error) -> [T] {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let read = try beginNumericRead(path, rows: nil, operation: "reading an array of \(T.hdf5ElementType)")
        defer { read.close() }
        let count = read.shape.reduce(1, *)
        var failure: HDF5Error?
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialised in
            do throws(HDF5Error) {
                if let base = buffer.baseAddress {
                    try finishNumericRead(read, element: T.hdf5ElementType, into: UnsafeMutableRawPointer(base))
                }
                initialised = count
            } catch {
                failure = error
                initialised = 0
            }
        }
        if let failure { throw failure }
        return values
    }

    /// Writes `value` as a scalar (0-d) dataset at `path`.
    public func writeScalar<T: HDF5Element>(_ value: T, at path: String) throws(HDF5Error) {
        try writeArray([value], shape: [], at: path)
    }

    /// Reads the one-element numeric dataset at `path` (scalar or any shape holding one element).
    public func readScalar<T: HDF5Element>(_ path: String, as type: T.Type = T.self) throws(HDF5Error) -> T {
        HDF5Library.lockAndInitialise()
        defer { HDF5Library.unlock() }
        let values = try readArray(path, as: T.self)
        guard values.count == 1 else {
            throw error(.shapeMismatch("holds \(values.count) elements, expected exactly one"),
                        object: "dataset \(Self.absolute(path))", operation: "reading a scalar")
        }
        return values[0]
    }

    // MARK: - Helpers (call with the lock held)

    /// Creates the dataset at `path` (see `prepareNewDataset`) with `fileType` elements and
    /// `shape` (`[]` is a scalar), laid out as `storage` says. Returns the open dataset id.
    func createDataset(_ path: String, fileType: hid_t, shape: [Int], elementSize: Int,
                       storage: HDF5StorageOptions, object: String, operation: String) throws(HDF5Error) -> hid_t {
        let absolute = Self.absolute(path)
        // Options are checked before anything in the file changes, so a refused write leaves
        // an existing dataset in place.
        let dcpl = try creationProperties(shape: shape, elementSize: elementSize, storage: storage,
                                          object: object, operation: operation)
        defer { if dcpl != spk_h5p_default() { H5Pclose(dcpl) } }
        let id = try prepareNewDataset(absolute, object: object, operation: operation)
        var dims = shape.map { hsize_t($0) }
        let space = shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(shape.count), &dims, nil)
        guard space >= 0 else { throw libraryError(object: object, operation: operation) }
        defer { H5Sclose(space) }
        let dataset = H5Dcreate2(id, absolute, fileType, space, spk_h5p_default(), dcpl, spk_h5p_default())
        guard dataset >= 0 else { throw libraryError(object: object, operation: operation) }
        return dataset
    }

    /// Dataset-creation properties for `storage`: the default list when contiguous, else
    /// chunking plus the shuffle and deflate filters. Scalars and empty datasets cannot be
    /// chunked (and have nothing to compress), so they stay contiguous.
    private func creationProperties(shape: [Int], elementSize: Int, storage: HDF5StorageOptions,
                                    object: String, operation: String) throws(HDF5Error) -> hid_t {
        guard storage.isChunked, !shape.isEmpty, !shape.contains(0) else { return spk_h5p_default() }
        if let level = storage.compressionLevel, !(0...9).contains(level) {
            throw error(.invalidArgument("gzip level \(level) is outside 0...9"), object: object, operation: operation)
        }
        let chunk = storage.chunkShape
            ?? HDF5StorageOptions.automaticChunkShape(for: shape, elementSize: elementSize)
        guard chunk.count == shape.count, zip(chunk, shape).allSatisfy({ $0 >= 1 && $0 <= $1 }) else {
            throw error(.invalidArgument("chunk shape \(chunk) does not fit dataset shape \(shape)"),
                        object: object, operation: operation)
        }
        let dcpl = H5Pcreate(spk_h5p_dataset_create())
        guard dcpl >= 0 else { throw libraryError(object: object, operation: operation) }
        var chunkDims = chunk.map { hsize_t($0) }
        var ok = H5Pset_chunk(dcpl, Int32(chunk.count), &chunkDims) >= 0
        if ok, storage.shuffle { ok = H5Pset_shuffle(dcpl) >= 0 }
        if ok, let level = storage.compressionLevel {
            ok = H5Zfilter_avail(spk_h5z_filter_deflate()) > 0 && H5Pset_deflate(dcpl, UInt32(level)) >= 0
        }
        guard ok else {
            let failure = libraryError(object: object, operation: operation)
            H5Pclose(dcpl)
            throw failure
        }
        return dcpl
    }

    /// Writes `shape`-many elements of `element` type from `pointer` as a new dataset.
    private func writeNumeric(_ pointer: UnsafeRawPointer, element: HDF5ElementType, shape: [Int],
                              at path: String, storage: HDF5StorageOptions, operation: String) throws(HDF5Error) {
        let object = "dataset \(Self.absolute(path))"
        let dataset = try createDataset(path, fileType: element.nativeType, shape: shape,
                                        elementSize: element.byteSize, storage: storage,
                                        object: object, operation: operation)
        defer { H5Dclose(dataset) }
        guard shape.reduce(1, *) > 0 else { return }
        guard H5Dwrite(dataset, element.nativeType, spk_h5s_all(), spk_h5s_all(), spk_h5p_default(), pointer) >= 0 else {
            throw libraryError(object: object, operation: operation)
        }
    }

    /// The open handles of a numeric read in progress and the shape it will produce.
    struct NumericRead {
        let dataset: hid_t
        /// The file dataspace with the selection to read.
        let fileSpace: hid_t
        /// The in-memory dataspace, shaped like the result.
        let memorySpace: hid_t
        let shape: [Int]
        let object: String
        let operation: String

        func close() {
            H5Sclose(memorySpace)
            H5Sclose(fileSpace)
            H5Dclose(dataset)
        }
    }

    /// Opens the numeric dataset at `path` and selects everything, or `rows` of the leading axis.
    private func beginNumericRead(_ path: String, rows: Range<Int>?, operation: String) throws(HDF5Error) -> NumericRead {
        let absolute = Self.absolute(path)
        let object = "dataset \(absolute)"
        let dataset = try openDataset(absolute, object: object, operation: operation)
        var handles: [hid_t] = [dataset]
        var handed = false
        defer {
            if !handed {
                for handle in handles.dropFirst() { H5Sclose(handle) }
                H5Dclose(dataset)
            }
        }
        let type = H5Dget_type(dataset)
        guard type >= 0 else { throw libraryError(object: object, operation: operation) }
        let stored = HDF5DataType(storedType: type)
        let numeric = HDF5DataType.isNumericClass(type)
        H5Tclose(type)
        guard numeric else {
            throw error(.typeMismatch("stores \(stored), which cannot be read as numbers"),
                        object: object, operation: operation)
        }
        let fileSpace = H5Dget_space(dataset)
        guard fileSpace >= 0 else { throw libraryError(object: object, operation: operation) }
        handles.append(fileSpace)
        let storedShape = try shape(ofSpace: fileSpace, object: object, operation: operation)
        if H5Sget_simple_extent_type(fileSpace) == H5S_NULL {
            throw error(.shapeMismatch("has a null dataspace (no elements, no shape)"), object: object,
                        operation: operation)
        }
        var shape = storedShape
        if let rows {
            guard let leading = storedShape.first else {
                throw error(.shapeMismatch("is a scalar; rows \(rows) cannot be selected"), object: object,
                            operation: operation)
            }
            guard rows.lowerBound >= 0, rows.upperBound <= leading else {
                throw error(.shapeMismatch("rows \(rows) are outside 0..<\(leading)"), object: object,
                            operation: operation)
            }
            shape[0] = rows.count
            var start = [hsize_t](repeating: 0, count: shape.count)
            start[0] = hsize_t(rows.lowerBound)
            var count = shape.map { hsize_t($0) }
            guard H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &start, nil, &count, nil) >= 0 else {
                throw libraryError(object: object, operation: operation)
            }
        }
        var dims = shape.map { hsize_t($0) }
        let memorySpace = shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(shape.count), &dims, nil)
        guard memorySpace >= 0 else { throw libraryError(object: object, operation: operation) }
        handed = true
        return NumericRead(dataset: dataset, fileSpace: fileSpace, memorySpace: memorySpace, shape: shape,
                           object: object, operation: operation)
    }

    /// Reads the selection of `read` into `pointer` as `element`s (HDF5 converts the type).
    private func finishNumericRead(_ read: NumericRead, element: HDF5ElementType,
                                   into pointer: UnsafeMutableRawPointer) throws(HDF5Error) {
        guard read.shape.reduce(1, *) > 0 else { return }
        guard H5Dread(read.dataset, element.nativeType, read.memorySpace, read.fileSpace, spk_h5p_default(),
                      pointer) >= 0 else {
            throw libraryError(object: read.object, operation: read.operation)
        }
    }
}
