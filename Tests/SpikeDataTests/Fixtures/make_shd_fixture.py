"""Writes shd_fixture.h5, a small file in the layout of the Spiking Heidelberg Digits
(shd_train.h5 / shd_test.h5), made by h5py independently of SpikeData's SHD writer.
SpeechTests.swift reads it back and checks every value.

Run from this folder with a Python that has h5py and NumPy:  python make_shd_fixture.py
The values are spelled out here and repeated in the Swift test; change both together.
Times are stored as float64 and units as u16 to exercise the reader's type conversion
(SpikeData's writer stores float32 times).
"""
import h5py
import numpy as np

times = [
    [0.0, 0.0125, 0.5, 0.75],      # sample 0
    [0.25],                        # sample 1: one spike
    [],                            # sample 2: no spikes at all
]
units = [
    [0, 699, 3, 3],
    [42],
    [],
]
labels = [7, 19, 0]
speakers = [2, 0, 1]
keys = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
        "null", "eins", "zwei", "drei", "vier", "fuenf", "sechs", "sieben", "acht", "neun"]

with h5py.File("shd_fixture.h5", "w") as f:
    t = f.create_dataset("spikes/times", (len(times),), dtype=h5py.vlen_dtype(np.dtype("float64")))
    u = f.create_dataset("spikes/units", (len(units),), dtype=h5py.vlen_dtype(np.dtype("uint16")))
    for i in range(len(times)):
        t[i] = np.array(times[i], dtype=np.float64)
        u[i] = np.array(units[i], dtype=np.uint16)
    f.create_dataset("labels", data=np.array(labels, dtype=np.uint16))
    f.create_dataset("extra/speaker", data=np.array(speakers, dtype=np.uint16))
    f.create_dataset("extra/keys", data=keys, dtype=h5py.string_dtype())
    f.create_dataset("extra/meta_info/age", data=np.array([31, 24, 45], dtype=np.uint16))
    f.create_dataset("extra/meta_info/gender", data=["female", "male", "female"], dtype=h5py.string_dtype())
    f.create_dataset("extra/meta_info/body_height", data=np.array([1.68, 1.80, 1.62], dtype=np.float64))
