"""Makes the JPEG fixtures of JPEGTests and TinyImageNetTests with Pillow (an encoder
independent of libjpeg-turbo's TurboJPEG wrapper in SpikeData).

    python3 -m venv .venv-vision && .venv-vision/bin/pip install pillow
    .venv-vision/bin/python Tests/SpikeDataTests/Fixtures/make_jpeg_fixtures.py

rgb_quadrants.jpg: 16x16 RGB, quality 95, no chroma subsampling; quadrants
    top-left (255, 0, 0), top-right (0, 255, 0), bottom-left (0, 0, 255), bottom-right (128, 128, 128).
gray_ramp.jpg: 16x16 grayscale (one channel), quality 95; pixel (x, y) = 16 * x + y.
"""
from pathlib import Path

from PIL import Image

here = Path(__file__).resolve().parent

quadrants = Image.new("RGB", (16, 16))
colors = {(0, 0): (255, 0, 0), (1, 0): (0, 255, 0), (0, 1): (0, 0, 255), (1, 1): (128, 128, 128)}
for y in range(16):
    for x in range(16):
        quadrants.putpixel((x, y), colors[(x // 8, y // 8)])
quadrants.save(here / "rgb_quadrants.jpg", quality=95, subsampling=0)

ramp = Image.new("L", (16, 16))
for y in range(16):
    for x in range(16):
        ramp.putpixel((x, y), 16 * x + y)
ramp.save(here / "gray_ramp.jpg", quality=95)
