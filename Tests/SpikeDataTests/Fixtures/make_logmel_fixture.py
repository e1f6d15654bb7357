"""Writes logmel_fixture.json: a test signal and its log-mel spectrogram computed with NumPy
alone (no librosa, no torchaudio), written independently of SpikeData's LogMelSpectrogram.
SpeechTests.swift recomputes the features in Swift and compares them value by value.

Run from this folder with a Python that has NumPy:  python make_logmel_fixture.py

Definition (the one SpikeData documents): 16 kHz, frames of 400 samples every 160 samples
(no centre padding), periodic Hann window, zero-padded 512-point FFT, power |X|^2,
40 triangular HTK-mel filters between 20 Hz and 8000 Hz evaluated at the bin frequencies,
log(energy + 1e-6).
"""
import json
import numpy as np

rate, window, hop, n_fft, n_mels, f_min, f_max = 16000, 400, 160, 512, 40, 20.0, 8000.0

# 0.25 s: a 440 Hz tone, a 3 kHz tone fading in, a chirp and seeded noise, as 16-bit samples.
n = 4000
t = np.arange(n) / rate
signal = (0.3 * np.sin(2 * np.pi * 440 * t)
          + 0.2 * (t / t[-1]) * np.sin(2 * np.pi * 3000 * t)
          + 0.1 * np.sin(2 * np.pi * (200 + 12000 * t) * t)
          + 0.02 * np.random.default_rng(0).standard_normal(n))
samples = np.clip(np.round(signal * 32768), -32768, 32767).astype(np.int16)
x = samples.astype(np.float64) / 32768

frames = 1 + (n - window) // hop
hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(window) / window)
segments = np.stack([x[f * hop: f * hop + window] * hann for f in range(frames)])
power = np.abs(np.fft.rfft(segments, n=n_fft, axis=1)) ** 2          # [frames, 257]

def mel(f):
    return 2595.0 * np.log10(1.0 + f / 700.0)

def hz(m):
    return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

corners = hz(np.linspace(mel(f_min), mel(f_max), n_mels + 2))
bins = np.arange(n_fft // 2 + 1) * rate / n_fft
up = (bins[None, :] - corners[:-2, None]) / (corners[1:-1, None] - corners[:-2, None])
down = (corners[2:, None] - bins[None, :]) / (corners[2:, None] - corners[1:-1, None])
bank = np.maximum(0.0, np.minimum(up, down))                           # [40, 257]
logmel = np.log(power @ bank.T + 1e-6)                                 # [frames, 40]

with open("logmel_fixture.json", "w") as f:
    json.dump({"samples": samples.tolist(), "frames": frames, "mels": n_mels,
               "filter_bank_row_10": bank[10].tolist(),
               "logmel": [round(v, 9) for v in logmel.ravel().tolist()]}, f)
