"""How far cuDNN's TF32 convolutions move the fast tracker's boxes from the CPU reference's.

    python benchmarks/tf32_drift.py        (needs CUDA)

The fast tracker runs float32 convolutions in IEEE float32 (`runtime.full_float32`); a
GPU's default is TF32. This tracks carphone and three generated sequences with the reference on
the CPU, then the fast tracker on CUDA both ways, and prints the largest box difference of each.
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch

from siamfc_edu import SiamFCTracker, fast_tracker
from siamfc_edu.data import read_video, render_video
from siamfc_edu.tracker import inference_embedding


def sequences() -> list[tuple[str, list[np.ndarray], list[float]]]:
    """carphone with its face box, and three held-out generated sequences."""
    runs = [("carphone", list(read_video("carphone_pristine")), [63, 42, 42, 54])]
    for seed in range(3):
        video = render_video(np.random.default_rng(1000 + seed), 60, held_out=True)
        runs.append((f"generated {seed}", video.frames, list(video.boxes[0][0])))
    return runs


def no_change(device: torch.device) -> contextlib.AbstractContextManager:
    """In place of `full_float32`: cuDNN's own default (TF32 on a GPU that has it)."""
    return contextlib.nullcontext()


def main() -> None:
    """Print one line per sequence: the largest box difference, IEEE float32 and TF32."""
    assert torch.cuda.is_available(), "this needs a CUDA device"
    reference = SiamFCTracker.from_weights(device="cpu")
    ieee = fast_tracker.full_float32
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}, ", end="")
    print(f"cudnn allow_tf32 by default: {torch.backends.cudnn.allow_tf32}")
    x = torch.rand(3, 3, 255, 255) * 255  # phi alone: a copy folded in float64 on the CPU
    folded = inference_embedding(reference.net.backbone, torch.device("cpu")).double()
    want = folded(x.double())
    gpu = fast_tracker.FastSiamFCTracker.from_weights(device="cuda").batch
    for label, precision in [("IEEE fp32", ieee), ("TF32", no_change)]:
        with torch.inference_mode(), precision(gpu.device):
            got = gpu.embedding(x.cuda()).cpu().double()
        error = ((got - want).abs().max() / want.abs().max()).item()
        print(f"phi of 3 random crops, {label}: largest error / largest value = {error:.1e}")
    print("\n| sequence | frames | IEEE fp32: max box diff (px) | TF32: max box diff (px) |")
    print("|---|---:|---:|---:|")
    for name, frames, box in sequences():
        want, _ = reference.track(frames, box)
        diffs = []
        for precision in (ieee, no_change):
            fast_tracker.full_float32 = precision  # the step looks it up at each call
            got, _ = fast_tracker.FastSiamFCTracker.from_weights(device="cuda").track(frames, box)
            diffs.append(np.abs(got - want).max())
        fast_tracker.full_float32 = ieee
        print(f"| {name} | {len(frames)} | {diffs[0]:.3f} | {diffs[1]:.3f} |")


if __name__ == "__main__":
    main()
