"""Writes random COCO ground truth + detections and pycocotools' 12 COCOeval summary stats.

Run from the repository root with pycocotools from PyPI:
    python3 -m venv .venv-score && .venv-score/bin/pip install pycocotools==2.0.11 numpy
    .venv-score/bin/python Tests/SpikeLabTests/Fixtures/make_coco_eval_fixtures.py

For each case it writes Fixtures/coco-eval/<case>-instances.json, <case>-detections.json and
<case>-stats.json ({"stats": [12 numbers], "pycocotools": version}). The cases exercise crowd
regions, annotation areas that differ from w*h, all three area ranges, score ties, more than
100 detections of one category in one image, a category with no ground truth and detections
of a category id absent from the ground truth (both dropped or skipped as COCOeval does).
"""
import contextlib
import io
import json
import os
import random

import numpy as np
from importlib.metadata import version
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "coco-eval")


def make_case(seed, images, categories, size_scale, crowd_rate, ghost_category, crowded_image):
    rng = random.Random(seed)
    cats = [{"id": c, "name": "class%d" % c, "supercategory": "thing"} for c in categories]
    imgs, anns, dets = [], [], []
    ann_id = 1
    # The last category gets no ground truth at all (COCOeval leaves it at -1).
    gt_categories = categories[:-1]
    for i in range(images):
        image_id = 100 + 7 * i
        w, h = rng.randint(200, 640), rng.randint(200, 480)
        imgs.append({"id": image_id, "file_name": "%06d.jpg" % image_id, "width": w, "height": h})
        for _ in range(rng.randint(0, 6)):
            cat = rng.choice(gt_categories)
            bw = min(w - 1, rng.uniform(4, 200) * size_scale)
            bh = min(h - 1, rng.uniform(4, 200) * size_scale)
            x, y = rng.uniform(0, w - bw), rng.uniform(0, h - bh)
            crowd = 1 if rng.random() < crowd_rate else 0
            # A segment covers part of its box: area below w*h, as in real COCO files.
            area = bw * bh * rng.uniform(0.5, 1.0)
            anns.append({"id": ann_id, "image_id": image_id, "category_id": cat, "bbox": [x, y, bw, bh],
                         "area": area, "iscrowd": crowd})
            ann_id += 1
            # Detections near the object: shifted and scaled copies, sometimes several.
            for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
                dx, dy = rng.gauss(0, 0.15) * bw, rng.gauss(0, 0.15) * bh
                sw, sh = bw * rng.uniform(0.7, 1.3), bh * rng.uniform(0.7, 1.3)
                label = cat if rng.random() < 0.9 else rng.choice(categories)
                # Scores rounded to 2 decimals so that ties occur.
                dets.append({"image_id": image_id, "category_id": label, "bbox": [x + dx, y + dy, sw, sh],
                             "score": round(rng.random(), 2)})
        # Background false positives.
        for _ in range(rng.randint(0, 4)):
            bw, bh = rng.uniform(4, 150) * size_scale, rng.uniform(4, 150) * size_scale
            dets.append({"image_id": image_id, "category_id": rng.choice(categories),
                         "bbox": [rng.uniform(0, w - 1), rng.uniform(0, h - 1), bw, bh], "score": round(rng.random(), 2)})
    if crowded_image:
        # One image with more than 100 detections of one category (maxDets cuts them).
        image_id = imgs[0]["id"]
        cat = gt_categories[0]
        for j in range(8):
            anns.append({"id": ann_id, "image_id": image_id, "category_id": cat,
                         "bbox": [10 + 20 * j, 10, 18, 18], "area": 300.0, "iscrowd": 0})
            ann_id += 1
        for j in range(130):
            k = j % 8
            dets.append({"image_id": image_id, "category_id": cat,
                         "bbox": [10 + 20 * k + rng.uniform(-3, 3), 10 + rng.uniform(-3, 3), 18, 18],
                         "score": round(rng.random(), 3)})
    if ghost_category is not None:
        # Detections of a category id that the ground truth does not have: COCOeval skips them.
        for img in imgs[:3]:
            dets.append({"image_id": img["id"], "category_id": ghost_category, "bbox": [5, 5, 50, 50], "score": 0.99})
    return {"images": imgs, "annotations": anns, "categories": cats}, dets


def evaluate(gt, dets):
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = gt
        coco.createIndex()
        results = coco.loadRes([dict(d) for d in dets])
        e = COCOeval(coco, results, "bbox")
        e.evaluate()
        e.accumulate()
        e.summarize()
    return [float(s) for s in e.stats]


CASES = [
    ("mixed", dict(seed=1, images=30, categories=[1, 3, 7, 10], size_scale=1.0, crowd_rate=0.1,
                   ghost_category=99, crowded_image=True)),
    ("large-objects", dict(seed=2, images=20, categories=[2, 5, 6], size_scale=2.0, crowd_rate=0.0,
                           ghost_category=None, crowded_image=False)),
    ("small-only", dict(seed=3, images=25, categories=[1, 2, 4], size_scale=0.12, crowd_rate=0.2,
                        ghost_category=None, crowded_image=False)),
]

if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    for name, params in CASES:
        gt, dets = make_case(**params)
        stats = evaluate(gt, dets)
        for suffix, obj in (("instances", gt), ("detections", dets),
                            ("stats", {"stats": stats, "pycocotools": version("pycocotools")})):
            with open(os.path.join(HERE, "%s-%s.json" % (name, suffix)), "w") as f:
                json.dump(obj, f, sort_keys=True)
        print(name, len(gt["annotations"]), "annotations,", len(dets), "detections, stats",
              " ".join("%.4f" % s for s in stats))
