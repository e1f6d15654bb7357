"""Writes pil_augment_fixtures.json: a seeded 32x24 RGB uint8 image and the result of each
deterministic timm AutoAugment / RandAugment op on it, computed with Pillow exactly as
timm/data/auto_augment.py calls it (ImageOps / ImageEnhance / Image.transform AFFINE /
Image.rotate, BILINEAR, fillcolor). AugmentationTests.swift applies SpikeData's float ops to
the same pixels / 255 and compares, with the tolerances the float versions document
(exact for the 8-bit ops, about one level where PIL rounds between steps).

Run from this folder with a Python that has Pillow and NumPy:
    python make_pil_augment_fixtures.py
"""
import json

import numpy as np
import PIL
from PIL import Image, ImageEnhance, ImageOps

rng = np.random.default_rng(7)
h, w = 24, 32
# Smooth structure plus noise, so geometric ops move visible content; values use all 0..255.
yy, xx = np.mgrid[0:h, 0:w]
base = np.stack([xx * 255 / (w - 1), yy * 255 / (h - 1), (xx + yy) * 255 / (w + h - 2)], axis=-1)
pixels = np.clip(base * 0.7 + rng.integers(0, 77, size=(h, w, 3)), 0, 255).astype(np.uint8)
image = Image.fromarray(pixels, "RGB")
fill = (125, 123, 114)


def affine(coefficients):
    return image.transform(image.size, Image.AFFINE, coefficients, resample=Image.BILINEAR, fillcolor=fill)


def solarize_add(img, add, thresh=128):
    lut = [min(255, i + add) if i < thresh else i for i in range(256)]
    return img.point(lut * 3)


cases = {
    "autocontrast": ImageOps.autocontrast(image),
    "equalize": ImageOps.equalize(image),
    "invert": ImageOps.invert(image),
    "posterize_3": ImageOps.posterize(image, 3),
    "solarize_128": ImageOps.solarize(image, 128),
    "solarize_add_99": solarize_add(image, 99),
    "color_0.46": ImageEnhance.Color(image).enhance(0.46),
    "contrast_1.72": ImageEnhance.Contrast(image).enhance(1.72),
    "brightness_0.55": ImageEnhance.Brightness(image).enhance(0.55),
    "sharpness_1.9": ImageEnhance.Sharpness(image).enhance(1.9),
    "sharpness_0.1": ImageEnhance.Sharpness(image).enhance(0.1),
    "shear_x_0.27": affine((1, 0.27, 0, 0, 1, 0)),
    "shear_y_-0.21": affine((1, 0, 0, -0.21, 1, 0)),
    "translate_x_rel_0.405": affine((1, 0, 0.405 * w, 0, 1, 0)),
    "translate_y_rel_-0.3": affine((1, 0, 0, 0, 1, -0.3 * h)),
    "rotate_27": image.rotate(27, resample=Image.BILINEAR, fillcolor=fill),
    "rotate_-13.5": image.rotate(-13.5, resample=Image.BILINEAR, fillcolor=fill),
}

fixture = {
    "pillow": PIL.__version__,
    "shape": [3, h, w],
    "fill": list(fill),
    # Channel-major [C, H, W] lists of 8-bit levels.
    "image": pixels.transpose(2, 0, 1).reshape(-1).tolist(),
    "results": {name: np.asarray(result).transpose(2, 0, 1).reshape(-1).tolist() for name, result in cases.items()},
}
with open("pil_augment_fixtures.json", "w") as f:
    json.dump(fixture, f)
print("wrote pil_augment_fixtures.json with", len(cases), "cases, Pillow", PIL.__version__)
