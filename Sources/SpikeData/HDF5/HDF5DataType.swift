import CHDF5

/// The type of the elements of a stored dataset or attribute.
public enum HDF5DataType: Equatable, Sendable, CustomStringConvertible {
    /// Integers or floats.
    case numeric(HDF5ElementType)
    /// Text, stored either in fixed-size slots or as variable-length strings.
    case string(variableLength: Bool)
    /// Variable-length sequences of numbers (as SHD stores spike times and units).
    case sequence(HDF5ElementType)
    /// Anything else (compound, enum, half float, …), described in words.
    case other(String)

    public var description: String {
        switch self {
        case .numeric(let element): "\(element)"
        case .string(let variableLength): variableLength ? "variable-length string" : "fixed-length string"
        case .sequence(let element): "variable-length sequence of \(element)"
        case .other(let text): text
        }
    }

    /// The data type of a stored HDF5 type id.
    init(storedType type: hid_t) {
        switch H5Tget_class(type) {
        case H5T_INTEGER, H5T_FLOAT:
            if let element = HDF5ElementType.matching(storedType: type) {
                self = .numeric(element)
            } else {
                let kind = H5Tget_class(type) == H5T_FLOAT ? "float" : "integer"
                self = .other("\(kind) of \(H5Tget_size(type)) bytes")
            }
        case H5T_STRING:
            self = .string(variableLength: H5Tis_variable_str(type) > 0)
        case H5T_VLEN:
            let base = H5Tget_super(type)
            defer { if base >= 0 { H5Tclose(base) } }
            if base >= 0, let element = HDF5ElementType.matching(storedType: base) {
                self = .sequence(element)
            } else {
                self = .other("variable-length sequence of \(base >= 0 ? HDF5DataType(storedType: base).description : "unknown")")
            }
        case H5T_COMPOUND: self = .other("compound")
        case H5T_ENUM: self = .other("enum")
        case H5T_ARRAY: self = .other("array")
        case H5T_OPAQUE: self = .other("opaque")
        case H5T_REFERENCE: self = .other("reference")
        case H5T_BITFIELD: self = .other("bitfield")
        case H5T_TIME: self = .other("time")
        default: self = .other("unknown type")
        }
    }

    /// Whether HDF5 can convert it to any numeric element type (integer or float class).
    static func isNumericClass(_ type: hid_t) -> Bool {
        let typeClass = H5Tget_class(type)
        return typeClass == H5T_INTEGER || typeClass == H5T_FLOAT
    }
}
