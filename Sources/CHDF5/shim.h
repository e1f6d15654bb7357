// HDF5's C API (Debian 12: libhdf5-dev 1.10.8, serial build; pkg-config `hdf5`).
//
// HDF5 names its predefined types, property-list classes and flags with macros that expand
// to `(H5OPEN H5T_NATIVE_FLOAT_g)` and the like: Swift cannot import those, and imports the
// plain ones such as `H5P_DEFAULT` with the wrong type. Each one SpikeData needs is exposed
// here as a `static inline` function of the right type. `H5OPEN` inside them also makes
// sure the library is initialised before a global id is read.
#include <hdf5.h>

// Property lists and dataspaces.
static inline hid_t spk_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t spk_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t spk_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t spk_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t spk_h5s_all(void) { return H5S_ALL; }
static inline hid_t spk_h5e_default(void) { return H5E_DEFAULT; }

// File access flags.
static inline unsigned spk_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned spk_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned spk_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }

// Native (in-memory) numeric types.
static inline hid_t spk_h5t_native_int8(void) { return H5T_NATIVE_INT8; }
static inline hid_t spk_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t spk_h5t_native_int16(void) { return H5T_NATIVE_INT16; }
static inline hid_t spk_h5t_native_uint16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t spk_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t spk_h5t_native_uint32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t spk_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t spk_h5t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t spk_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t spk_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }

// Strings: the C string type that string types are copied from, and the size that marks
// a variable-length string.
static inline hid_t spk_h5t_c_s1(void) { return H5T_C_S1; }
static inline size_t spk_h5t_variable(void) { return H5T_VARIABLE; }

// Filters.
static inline H5Z_filter_t spk_h5z_filter_deflate(void) { return H5Z_FILTER_DEFLATE; }

// The kind of the object a link names (group, dataset, …), or H5O_TYPE_UNKNOWN with a
// negative return when it cannot be resolved. Wraps the 1.10 `*2` call, because the
// unversioned name is a macro whose meaning depends on the API-compatibility setting.
static inline herr_t spk_object_type(hid_t loc, const char *name, H5O_type_t *type) {
    H5O_info_t info;
    herr_t status = H5Oget_info_by_name2(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT);
    *type = status < 0 ? H5O_TYPE_UNKNOWN : info.type;
    return status;
}
