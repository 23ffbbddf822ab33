"""Which training data makes the tiny tracker better on real video? The ablation of issue 9.

    python experiments/footage_ablation.py --generated data/generated2 --out runs/ablation

Trains the tiny preset on three sources (generated VID only, footage pairs only, a 50/50 mix),
3 seeds each, then scores every run with and without batch-norm re-estimation, by multi-start
AUC (4 starts per sequence) on the real validation set (other hand-boxed objects: the one to
choose by), the real evaluation set (`read_real_set`), its held-out last quarter, and the
generated evaluation split. Random weights (3 seeds), MIL and
NCC are scored the same way. Prints the table (mean +- spread over seeds; spread = max - min) and
writes it with every single score to OUT/table.md and OUT/scores.json. Finished runs and scores
are reused, so a stopped run picks up where it was. `--also NAME=WEIGHTS` scores more weights
(a longer run, the shipped ones) in the same table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from siamfc_edu.baselines import MILTracker, NCCTracker
from siamfc_edu.config import get_preset
from siamfc_edu.data import read_otb, read_real_set
from siamfc_edu.data.real import VALIDATION_DIR
from siamfc_edu.data.sources import pair_sources
from siamfc_edu.evaluate import evaluate_multistart, summarize
from siamfc_edu.model import build_model, load_weights, save_weights
from siamfc_edu.tracker import SiamFCTracker
from siamfc_edu.train import RunOptions, reestimate_batch_norm, train

SOURCES = {"generated": "{generated}", "footage": "footage", "mix": "{generated}:0.5,footage:0.5"}


def train_runs(args: argparse.Namespace) -> dict[str, Path]:
    """Train (or reuse) every source x seed; return {run name: weights path}."""
    runs = {}
    for source, spec in SOURCES.items():
        for seed in args.seeds:
            name, out = f"{source}-s{seed}", args.out / f"{source}-s{seed}"
            weights = out / "weights.pth"
            if not weights.is_file():
                cfg = get_preset("tiny", epochs=args.epochs, pairs_per_epoch=args.pairs_per_epoch)
                data = spec.format(generated=args.generated)
                opts = RunOptions(data, out, seed, workers=1, resume=True, progress=False)
                start = time.perf_counter()
                train(cfg, opts)
                print(f"trained {name} in {time.perf_counter() - start:.0f} s", file=sys.stderr)
            runs[name] = weights
            runs[f"{name}+bn"] = with_bn_reestimated(weights, spec, args, seed)
    return runs


def with_bn_reestimated(weights: Path, spec: str, args: argparse.Namespace, seed: int) -> Path:
    """A copy of the weights with batch-norm statistics re-estimated on 60 fresh batches."""
    out = weights.with_name("weights_bn.pth")
    if out.is_file():
        return out
    model, cfg = load_weights(weights)
    pairs = pair_sources(spec.format(generated=args.generated), cfg, 60 * cfg.batch_size, seed)
    pairs.set_epoch(cfg.epochs)  # pairs that no epoch trained on
    loader = DataLoader(pairs, cfg.batch_size, num_workers=1)
    reestimate_batch_norm(model, loader, 60, torch.device("cpu"))
    save_weights(model, cfg, out, bn_batches=60)
    return out


def trackers(runs: dict[str, Path], seeds: list[int]) -> dict[str, object]:
    """Every tracker to score, by name: the trained runs, random weights, MIL and NCC."""
    made: dict[str, object] = {}
    for name, path in runs.items():
        made[name] = lambda path=path: SiamFCTracker.from_weights(path, device="cpu")
    cfg = get_preset("tiny")
    for seed in seeds:
        torch.manual_seed(seed)
        net = build_model(cfg).eval()
        made[f"random-s{seed}"] = lambda net=net: SiamFCTracker(net, cfg, "cpu")
    made["MIL"], made["NCC"] = MILTracker, NCCTracker
    return made


def score_all(args: argparse.Namespace, runs: dict[str, Path]) -> dict[str, dict[str, float]]:
    """Multi-start AUC of every tracker on every evaluation set (cached in OUT/scores.json)."""
    path = args.out / "scores.json"
    scores = json.loads(path.read_text()) if path.is_file() else {}
    sets = {
        "real": lambda: read_real_set("all"),
        "real_held_out": lambda: read_real_set("held_out"),
        "generated": lambda: read_otb(Path(args.generated) / "OTB"),
        "real_validation": lambda: read_real_set(folder=VALIDATION_DIR),
    }
    loaded = {}
    for name, make in trackers(runs, args.seeds).items():
        for set_name, read in sets.items():
            if set_name in scores.get(name, {}):
                continue
            sequences = loaded.setdefault(set_name, read())
            results = evaluate_multistart(make(), sequences, starts=args.starts, name=name)
            scores.setdefault(name, {})[set_name] = summarize(results)[0].auc
            path.write_text(json.dumps(scores, indent=1))
            print(f"{name:>16} {set_name:>14}: {scores[name][set_name]:.3f}", file=sys.stderr)
    return scores


def group(name: str) -> str:
    """The configuration a run belongs to: 'mix-s1+bn' -> 'mix +bn', 'random-s2' -> 'random'."""
    base, _, rest = name.partition("-s")
    return base + (" +bn" if rest.endswith("+bn") else "")


def table(scores: dict[str, dict[str, float]], sets: list[str]) -> str:
    """Mean +- spread over seeds of each configuration, as a markdown table."""
    groups: dict[str, list[str]] = {}
    for name in scores:
        groups.setdefault(group(name), []).append(name)
    lines = ["| configuration | runs | " + " | ".join(sets) + " |"]
    lines.append("|---|---:|" + "---|" * len(sets))
    for config, names in groups.items():
        cells = []
        for s in sets:
            values = np.array([scores[n][s] for n in names])
            spread = values.max() - values.min()
            cells.append(
                f"{values.mean():.3f} ± {spread:.3f}" if len(values) > 1 else f"{values[0]:.3f}"
            )
        lines.append(f"| {config} | {len(names)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated", default="data/generated2", help="generated VID (make-data)")
    parser.add_argument("--out", type=Path, default=Path("runs/ablation"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--pairs-per-epoch", type=int, default=2000)
    parser.add_argument("--starts", type=int, default=4)
    parser.add_argument("--train-only", action="store_true", help="train, score nothing yet")
    parser.add_argument("--also", nargs="*", default=[], help="more weights to score: NAME=PATH")
    args = parser.parse_args()
    runs = train_runs(args)
    if args.train_only:
        return
    for item in args.also:
        name, _, path = item.partition("=")
        runs[name] = Path(path)
    scores = score_all(args, runs)
    text = table(scores, ["real_validation", "real", "real_held_out", "generated"])
    (args.out / "table.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
