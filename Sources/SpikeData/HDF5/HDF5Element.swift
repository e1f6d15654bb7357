import CHDF5

/// A numeric element type HDF5 stores: signed and unsigned integers of 8–64 bits, and
/// IEEE floats of 32 and 64 bits.
public enum HDF5ElementType: String, Sendable, CaseIterable, CustomStringConvertible {
    case int8, uint8, int16, uint16, int32, uint32, int64, uint64, float32, float64

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .int8, .uint8: 1
        case .int16, .uint16: 2
        case .int32, .uint32, .float32: 4
        case .int64, .uint64, .float64: 8
        }
    }

    public var description: String { rawValue }

    /// The library's in-memory (native byte order) type id; owned by HDF5, never closed.
    var nativeType: hid_t {
        switch self {
        case .int8: spk_h5t_native_int8()
        case .uint8: spk_h5t_native_uint8()
        case .int16: spk_h5t_native_int16()
        case .uint16: spk_h5t_native_uint16()
        case .int32: spk_h5t_native_int32()
        case .uint32: spk_h5t_native_uint32()
        case .int64: spk_h5t_native_int64()
        case .uint64: spk_h5t_native_uint64()
        case .float32: spk_h5t_native_float()
        case .float64: spk_h5t_native_double()
        }
    }

    /// The element type a stored HDF5 integer or float type corresponds to, or nil for
    /// other classes and unusual sizes (half floats, 128-bit integers, …).
    static func matching(storedType type: hid_t) -> HDF5ElementType? {
        let size = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) == H5T_SGN_2
            switch size {
            case 1: return signed ? .int8 : .uint8
            case 2: return signed ? .int16 : .uint16
            case 4: return signed ? .int32 : .uint32
            case 8: return signed ? .int64 : .uint64
            default: return nil
            }
        case H5T_FLOAT:
            switch size {
            case 4: return .float32
            case 8: return .float64
            default: return nil
            }
        default:
            return nil
        }
    }
}

/// A Swift number type that maps one-to-one onto an HDF5 element type, so arrays of it can
/// be written and read directly.
public protocol HDF5Element: BitwiseCopyable, Sendable {
    /// The HDF5 element type with this type's size and representation.
    static var hdf5ElementType: HDF5ElementType { get }
}

extension Int8: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .int8 } }
extension UInt8: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .uint8 } }
extension Int16: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .int16 } }
extension UInt16: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .uint16 } }
extension Int32: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .int32 } }
extension UInt32: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .uint32 } }
extension Int64: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .int64 } }
extension UInt64: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .uint64 } }
extension Float: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .float32 } }
extension Double: HDF5Element { public static var hdf5ElementType: HDF5ElementType { .float64 } }
