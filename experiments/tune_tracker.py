"""Choose the tracker's settings for some weights on the real VALIDATION set, never the test set.

    python experiments/tune_tracker.py --weights runs/ship-mix/weights.pth

The validation set is other objects of the shipped clips, boxed by hand like the evaluation set
(`siamfc_edu/assets/annotations/validation/`). Every (window influence, scale step, scale
damping) of a small grid is scored by multi-start AUC (4 starts per object); the table is
printed best first.
"""

from __future__ import annotations

import argparse
import itertools

from siamfc_edu.data import read_real_set
from siamfc_edu.data.real import VALIDATION_DIR
from siamfc_edu.evaluate import evaluate_multistart, summarize
from siamfc_edu.model import load_weights
from siamfc_edu.tracker import SiamFCTracker

WINDOW_INFLUENCE = (0.176, 0.25, 0.35, 0.45)
SCALE_STEP = (1.0375, 1.06)
SCALE_LR = (0.59, 0.3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", required=True)
    parser.add_argument("--starts", type=int, default=4)
    args = parser.parse_args()
    sequences = read_real_set(folder=VALIDATION_DIR)
    model, cfg = load_weights(args.weights)
    rows = []
    for window, step, damping in itertools.product(WINDOW_INFLUENCE, SCALE_STEP, SCALE_LR):
        tuned = cfg.replace(window_influence=window, scale_step=step, scale_lr=damping)
        results = evaluate_multistart(SiamFCTracker(model, tuned, "cpu"), sequences, args.starts)
        per_object = {}
        for r in results:
            per_object.setdefault(r.sequence.split("@")[0], []).append(r.auc)
        mean = summarize(results)[0].auc
        rows.append((mean, window, step, damping, per_object))
        print(f"window {window:<6} step {step:<7} damping {damping:<5} AUC {mean:.3f}", flush=True)
    print(f"\n{len(sequences)} objects: " + ", ".join(s.name for s in sequences))
    print("| window influence | scale step | scale damping | validation AUC |")
    print("|---|---|---|---|")
    for mean, window, step, damping, _ in sorted(rows, reverse=True):
        print(f"| {window} | {step} | {damping} | {mean:.3f} |")


if __name__ == "__main__":
    main()
