"""Writes fixture.h5, an HDF5 file made by h5py (independent of SpikeData's writer), which
HDF5Tests.swift reads back and checks value by value.

Run from this folder with a Python that has h5py and NumPy:  python make_hdf5_fixture.py
The values are spelled out here and repeated in the Swift test; change both together.
"""
import h5py
import numpy as np

with h5py.File("fixture.h5", "w") as f:
    # Root attributes of each kind SpikeLab reads.
    f.attrs["title"] = "SpikeLab fixture ✓"                      # variable-length UTF-8 string
    f.attrs["fixed_title"] = np.bytes_(b"fixed bytes")          # fixed-length ASCII string
    f.attrs["epoch"] = np.int64(7)
    f.attrs["small_int"] = np.uint16(42)
    f.attrs["learning_rate"] = 0.125
    f.attrs["betas"] = np.array([0.9, 0.999], dtype=np.float64)
    f.attrs["steps"] = np.array([1, -2, 3], dtype=np.int32)

    data = f.create_group("data")
    data.create_dataset("float64_matrix", data=np.array([[1.5, -2.25, 3.0], [4.0, 5.5, -6.75]], dtype=np.float64))
    data.create_dataset("uint16_vector", data=np.array([0, 1, 65535], dtype=np.uint16))
    data.create_dataset("int64_vector", data=np.array([-5, 0, 1 << 40], dtype=np.int64))
    data.create_dataset("half_vector", data=np.array([0.5, -1.0, 2.0], dtype=np.float16))
    data.create_dataset("scalar", data=np.float64(2.5))
    data.create_dataset("uint64_state", data=np.array([0, 1, (1 << 64) - 1], dtype=np.uint64))
    compressed = data.create_dataset("compressed", data=np.arange(24, dtype=np.float32).reshape(2, 3, 4),
                                     compression="gzip", compression_opts=6, shuffle=True, chunks=(1, 3, 4))
    compressed.attrs["unit"] = "volts"
    compressed.attrs["scale"] = 2.0

    # SHD's layout: spikes/times (vlen float) and spikes/units (vlen uint16), labels, keys.
    spikes = f.create_group("spikes")
    times = spikes.create_dataset("times", shape=(3,), dtype=h5py.vlen_dtype(np.float32))
    times[0] = np.array([0.001, 0.0025, 0.5], dtype=np.float32)
    times[1] = np.array([], dtype=np.float32)
    times[2] = np.array([0.75], dtype=np.float32)
    units = spikes.create_dataset("units", shape=(3,), dtype=h5py.vlen_dtype(np.uint16))
    units[0] = np.array([3, 699, 0], dtype=np.uint16)
    units[1] = np.array([], dtype=np.uint16)
    units[2] = np.array([12], dtype=np.uint16)
    f.create_dataset("labels", data=np.array([4, 0, 19], dtype=np.uint16))
    extra = f.create_group("extra")
    extra.create_dataset("keys", data=np.array([b"zero", b"one", b"nineteen"]))          # fixed-length
    extra.create_dataset("names", data=["null", "eins", "neunzehn"], dtype=h5py.string_dtype())  # vlen
