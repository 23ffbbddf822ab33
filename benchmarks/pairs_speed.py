"""How fast are training pairs made? Generated pairs (full frames, curated crops), footage pairs.

Generates a small VID at the resolution of the real one (1280x720 by default), curates it, then
times, in one run: a plain per-pair decode-and-crop loop (the baseline), `PairDataset` (with
its augmentations) through a DataLoader with 0 and 2 workers, reading full frames or curated
crops, and `FootagePairs` (label-free pairs cut from the shipped clips, motion measured by
template matching). Prints pairs per second and the ratios.

    python benchmarks/pairs_speed.py                 # VID-like 1280x720 frames
    python benchmarks/pairs_speed.py --size 320x240  # the generator's quick frames
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from siamfc_edu.boxes import xywh_to_cxcywh
from siamfc_edu.config import SiamFCConfig
from siamfc_edu.crops import context_size, crop_and_resize
from siamfc_edu.data import FootagePairs, PairDataset, curate, make_dataset, read_vid
from siamfc_edu.data.tracks import tracks_from_sequences
from siamfc_edu.images import mean_color, read_image


def baseline_pairs_per_second(root: Path, cfg: SiamFCConfig, n: int, batch_size: int = 8) -> float:
    """A plain loop: pick two frames of a track, decode both, crop both with context, batch them."""
    tracks = tracks_from_sequences(read_vid(root, "train"))
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    batch = []
    for _ in range(n):
        track = tracks[rng.integers(len(tracks))]
        i = int(rng.integers(len(track)))
        near = np.flatnonzero(np.abs(track.frame_ids - track.frame_ids[i]) <= cfg.max_frame_gap)
        j = int(rng.choice(near))
        pair = []
        for k, out_size in ((i, cfg.exemplar_size), (j, cfg.instance_size)):
            image = read_image(track.frames[k])
            cx, cy, w, h = xywh_to_cxcywh(track.boxes[k])
            side = context_size(w, h, cfg.context) * out_size / cfg.exemplar_size
            crop = crop_and_resize(image, (cx, cy), side, out_size, mean_color(image))
            pair.append(torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1))).float())
        batch.append(pair)
        if len(batch) == batch_size:  # the same float32 batches a DataLoader hands to training
            torch.stack([z for z, _ in batch]), torch.stack([x for _, x in batch])
            batch = []
    return n / (time.perf_counter() - start)


def sampler_pairs_per_second(dataset, workers: int, batch_size: int = 8) -> float:
    """Pairs per second through a DataLoader, after its first batch (workers started)."""
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=workers)
    batches = iter(loader)
    next(batches)
    start = time.perf_counter()
    count = sum(len(z) for z, _, _ in batches)
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1280x720", help="frame size WxH of the generated VID")
    parser.add_argument("--videos", type=int, default=8)
    parser.add_argument("--frames", type=int, default=24, help="frames per video")
    parser.add_argument("--pairs", type=int, default=800, help="pairs timed per row")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    cfg = SiamFCConfig()
    torch.set_num_threads(1)

    with tempfile.TemporaryDirectory() as tmp:
        root = make_dataset(
            tmp, args.videos, seed=0, eval_videos=0, frames_per_video=args.frames,
            size=(width, height), verbose=False,
        )  # fmt: skip
        start = time.perf_counter()
        curated_dir = curate(root, verbose=False)
        curate_seconds = time.perf_counter() - start
        frame_kb = np.mean([p.stat().st_size for p in root.rglob("*.JPEG")]) / 1024
        crop_kb = np.mean([p.stat().st_size for p in curated_dir.rglob("*.jpg")]) / 1024

        n = args.pairs
        rows = [
            (
                "baseline: decode+crop per pair",
                "full frames",
                0,
                baseline_pairs_per_second(root, cfg, n),
            )
        ]
        for source, curated in (("full frames", False), ("curated crops", True)):
            dataset = PairDataset(cfg, root, length=n + 8, seed=0, augment=True, curated=curated)
            for workers in (0, 2):
                rows.append(
                    (
                        "PairDataset (augmented)",
                        source,
                        workers,
                        sampler_pairs_per_second(dataset, workers),
                    )
                )
        footage = FootagePairs(cfg, length=n + 8, seed=0)  # the shipped clips' training frames
        for workers in (0, 2):
            rate = sampler_pairs_per_second(footage, workers)
            rows.append(("FootagePairs (augmented)", "shipped clips", workers, rate))

    base = rows[0][3]
    full = {w: r for _, s, w, r in rows[1:] if s == "full frames"}
    curated = {w: r for _, s, w, r in rows[1:] if s == "curated crops"}
    print(
        f"pairs per second, {width}x{height} frames ({frame_kb:.0f} KB JPEG), curated crops "
        f"{crop_kb:.0f} KB; curation took {curate_seconds:.1f} s"
    )
    header = ("method", "reads", "workers", "pairs/s", "x baseline", "x full", "x curated")
    line = "{:<32} {:<14} {:>7} {:>9} {:>10} {:>7} {:>9}"
    print(line.format(*header))
    for method, source, workers, rate in rows:
        sampler = method != rows[0][0]
        vs_full = f"{rate / full[workers]:.2f}" if sampler else ""
        vs_curated = f"{rate / curated[workers]:.2f}" if sampler else ""
        cells = (method, source, workers, f"{rate:.1f}", f"{rate / base:.2f}", vs_full, vs_curated)
        print(line.format(*cells))


if __name__ == "__main__":
    main()
