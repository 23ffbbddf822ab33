"""Training pairs per second: siamfc_edu's trainer against a plain loop, in the same run.

    python benchmarks/train_speed.py --data DIR [--presets tiny,SiamFC-3s] [--steps 20]

The plain loop is the way siamfc-pytorch feeds its network: every pair decoded from full frames
and transformed in the DataLoader with per-pair OpenCV calls (a context crop of the whole frame
padded with copyMakeBorder, then stretch, centre crop and random crop). Ours reads the curated
crops (made once with `curate`) through `PairDataset`. Both run the same network, loss and SGD
step, so the ratio measures the data path plus the step.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from siamfc_edu.boxes import xywh_to_cxcywh
from siamfc_edu.config import SiamFCConfig, get_preset
from siamfc_edu.crops import context_size
from siamfc_edu.data import PairDataset, curate, is_curated, read_vid, tracks_from_sequences
from siamfc_edu.data.curate import default_curated_dir
from siamfc_edu.data.layouts.vid import find_vid_root
from siamfc_edu.losses import labels_for
from siamfc_edu.model import build_model
from siamfc_edu.train import make_optimizer, train_step


class PlainPairs(Dataset):
    """Pairs the siamfc-pytorch way: decode two full frames, transform each with OpenCV."""

    def __init__(self, cfg: SiamFCConfig, root: Path, length: int, seed: int = 0):
        self.cfg, self.length, self.seed = cfg, length, seed
        self.tracks = tracks_from_sequences(read_vid(root, "train"))
        self.labels = labels_for(cfg)

    def __len__(self) -> int:
        return self.length

    def crop(self, path: str, box: np.ndarray, out: int, rng: np.random.Generator) -> np.ndarray:
        image = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)
        cx, cy, w, h = xywh_to_cxcywh(box)
        side = round(context_size(w, h) * 255 / 127)
        x1, y1 = round(cx - (side - 1) / 2), round(cy - (side - 1) / 2)
        pad = max(0, -x1, -y1, x1 + side - image.shape[1], y1 + side - image.shape[0])
        avg = tuple(float(v) for v in image.mean(axis=(0, 1)))
        image = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=avg)
        patch = cv2.resize(
            image[y1 + pad : y1 + pad + side, x1 + pad : x1 + pad + side], (255, 255)
        )
        s = rng.uniform(0.95, 1.05)  # RandomStretch
        patch = cv2.resize(patch, (round(255 * s), round(255 * s)))
        k = min(247, patch.shape[0])  # CenterCrop(255 - 8)
        o = (patch.shape[0] - k) // 2
        patch = patch[o : o + k, o : o + k]
        i, j = rng.integers(0, k - 238, size=2)  # RandomCrop(255 - 16)
        patch = patch[i : i + 239, j : j + 239]
        return cv2.resize(patch, (out, out))

    def __getitem__(self, index: int):
        rng = np.random.default_rng([self.seed, index])
        track = self.tracks[rng.integers(len(self.tracks))]
        a, b = sorted(rng.integers(len(track), size=2))
        z = self.crop(track.frames[a], track.boxes[a], self.cfg.exemplar_size, rng)
        x = self.crop(track.frames[b], track.boxes[b], self.cfg.instance_size, rng)
        tensor = lambda im: torch.from_numpy(im).permute(2, 0, 1).float()  # noqa: E731
        return tensor(z), tensor(x), self.labels


def pairs_per_second(cfg: SiamFCConfig, dataset: Dataset, workers: int, steps: int) -> float:
    """Pairs per second over `steps` SGD steps (after one warm-up step)."""
    torch.manual_seed(0)
    model = build_model(cfg).train()
    optimizer = make_optimizer(model, cfg)
    scaler = torch.amp.GradScaler("cuda", enabled=False)
    loader = DataLoader(dataset, cfg.batch_size, num_workers=workers, drop_last=True)
    batches = iter(loader)
    train_step(model, next(batches), optimizer, scaler, torch.device("cpu"))
    start = time.perf_counter()
    for _ in range(steps):
        train_step(model, next(batches), optimizer, scaler, torch.device("cpu"))
    return steps * cfg.batch_size / (time.perf_counter() - start)


def step_seconds(cfg: SiamFCConfig, steps: int) -> float:
    """Seconds per SGD step on a fixed random batch: the network's cost alone, no data path."""
    torch.manual_seed(0)
    model = build_model(cfg).train()
    optimizer = make_optimizer(model, cfg)
    scaler = torch.amp.GradScaler("cuda", enabled=False)
    batch = (
        torch.rand(cfg.batch_size, 3, cfg.exemplar_size, cfg.exemplar_size) * 255,
        torch.rand(cfg.batch_size, 3, cfg.instance_size, cfg.instance_size) * 255,
        labels_for(cfg).expand(cfg.batch_size, -1, -1),
    )
    train_step(model, batch, optimizer, scaler, torch.device("cpu"))
    start = time.perf_counter()
    for _ in range(steps):
        train_step(model, batch, optimizer, scaler, torch.device("cpu"))
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="a generated or real VID root")
    parser.add_argument("--presets", default="tiny,SiamFC-3s")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--workers", default="0,2")
    args = parser.parse_args()
    vid_root = find_vid_root(args.data)
    if not is_curated(default_curated_dir(vid_root)):
        curate(vid_root, verbose=False)
    print(f"CPU, torch threads {torch.get_num_threads()}, batch 8, {args.steps} steps each\n")
    print("| preset | workers | siamfc_edu pairs/s | plain pairs/s | speed-up |")
    print("|---|---:|---:|---:|---:|")
    for preset in args.presets.split(","):
        cfg = get_preset(preset, batch_size=8)
        n = (args.steps + 2) * cfg.batch_size
        for workers in (int(w) for w in args.workers.split(",")):
            ours = pairs_per_second(cfg, PairDataset(cfg, vid_root, n), workers, args.steps)
            plain = pairs_per_second(cfg, PlainPairs(cfg, vid_root, n), workers, args.steps)
            print(f"| {preset} | {workers} | {ours:.1f} | {plain:.1f} | {ours / plain:.2f}x |")
    print("\nThe network alone (one SGD step on a fixed batch of 8, no data loading):\n")
    print("| preset | s per step | cost relative to SiamFC-3s |")
    print("|---|---:|---:|")
    paper = step_seconds(get_preset("SiamFC-3s", batch_size=8), max(2, args.steps // 4))
    for preset in args.presets.split(","):
        t = step_seconds(get_preset(preset, batch_size=8), args.steps)
        print(f"| {preset} | {t:.3f} | 1/{paper / t:.1f} |")


if __name__ == "__main__":
    main()
