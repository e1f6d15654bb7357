"""Measures `spikelab score detection --json` against pycocotools on N random cases.

    .venv-score/bin/python Tests/SpikeLabTests/Fixtures/compare_coco_cli.py .build/release/spikelab 50

Each case is drawn as in make_coco_eval_fixtures.py (seed 1000 + n, varying sizes, crowd
rates, ghost categories, crowded images); prints the largest absolute difference over the 12
stats of all cases, and of the VOC metrics nothing (pycocotools has none).
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_coco_eval_fixtures import evaluate, make_case  # noqa: E402

KEYS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]

spikelab, count = sys.argv[1], int(sys.argv[2])
worst, where = 0.0, None
with tempfile.TemporaryDirectory() as folder:
    for n in range(count):
        params = dict(seed=1000 + n, images=5 + n % 40, categories=[1, 2, 5, 9][: 2 + n % 3],
                      size_scale=[0.12, 0.5, 1.0, 2.0][n % 4], crowd_rate=[0.0, 0.1, 0.3][n % 3],
                      ghost_category=77 if n % 2 else None, crowded_image=n % 5 == 0)
        gt, dets = make_case(**params)
        if not dets:
            continue
        reference = evaluate(gt, dets)
        gt_path, det_path = os.path.join(folder, "gt.json"), os.path.join(folder, "dt.json")
        with open(gt_path, "w") as f:
            json.dump(gt, f)
        with open(det_path, "w") as f:
            json.dump(dets, f)
        out = subprocess.run([spikelab, "score", "detection", "--annotations", gt_path, "--detections", det_path, "--json"],
                             check=True, capture_output=True, text=True).stdout
        ours = json.loads(out)
        for key, value in zip(KEYS, reference):
            diff = abs(ours[key] - value)
            if diff > worst:
                worst, where = diff, (n, key, ours[key], value)
print("cases", count, "largest |spikelab - pycocotools| over 12 stats:", worst, where)
