"""Frames per second of the fast tracker, alone and batched, against the plain reference: one table.

    python benchmarks/gpu_speed.py [--frames 60] [--batches 8,32,128] [--presets SiamFC-3s,tiny]
                                   [--precisions fp32,bf16] [--devices cpu,cuda]
                                   [--cudnn-benchmark] [--rounds 3]

Rows, for each device (CUDA only when there is one), preset and precision:
- plain: the plain reference tracker (`plain_siamfc.PlainSiamFC`: SiamFC written the obvious way);
- today: the library's reference tracker, `SiamFCTracker`;
- fast: `FastSiamFCTracker` on one sequence;
- fast xN: `evaluate.runs.track_together` over N sequences at once;
- on CUDA, also "fast graph" and "fast graph xN": the same with each step replayed as a CUDA graph.
bf16 (autocast of the network; "mixed" is accepted as its older name) exists only for the fast
tracker, so plain and today appear in the fp32 rows only. The header names the CPU and its
native bfloat16 features (`runtime.describe_cpu`): without avx512_bf16 or amx_bf16 the CPU's
bf16 rows are emulated (slower than fp32 on the 2-core AMD EPYC measured in the README). On
CUDA, fp32 is IEEE float32 in every row (cuDNN's TF32 default is switched off,
`runtime.full_float32`). The N sequences are the clip from N first boxes: the given box, then
boxes moved by up to 4 px and resized by up to 10 % (seeded).

Timing convention: the frames are decoded before any clock starts; each row is warmed up first
(a few frames, not timed); the first frame of a sequence (init) is not timed. The one-sequence
rows take turns, --rounds times over the clip, so that they share the machine's load. frames/s
is the frames tracked over the total time (all rounds); 1/t is got10k's speed, the mean over
frames of 1 / (seconds of that frame), where a batched frame's seconds are its step's seconds
shared by the sequences in the step. x plain: frames/s over the plain reference's, same device
and preset. Peak memory: the most CUDA memory the row allocated (torch.cuda.max_memory_allocated;
"-" on the CPU). Box diff: mean and max |box - plain reference's box| in pixels over the frames
of the first sequence.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch
from plain_siamfc import PlainSiamFC
from track_speed import network_for, read_video

from siamfc_edu.evaluate.runs import track_together
from siamfc_edu.fast_tracker import FastOptions, FastSiamFCTracker
from siamfc_edu.runtime import describe_cpu, full_float32
from siamfc_edu.tracker import SiamFCTracker

WARM_FRAMES = 3


def time_single(tracker, frames: list[np.ndarray], box: list[float]) -> tuple[np.ndarray, list]:
    """One sequence, one frame at a time: (boxes, seconds of each frame after the first)."""
    tracker.init(frames[0], box)  # warm-up, not timed
    for frame in frames[1 : 1 + WARM_FRAMES]:
        tracker.update(frame)
    tracker.init(frames[0], box)
    boxes, seconds = [np.asarray(box, float)], []
    for frame in frames[1:]:
        start = time.perf_counter()
        boxes.append(tracker.update(frame))
        seconds.append(time.perf_counter() - start)
    return np.array(boxes), seconds


def first_boxes(box: list[float], n: int) -> list[np.ndarray]:
    """The given box, then n - 1 boxes moved by up to 4 px and resized by up to 10 % (seeded)."""
    rng = np.random.default_rng(0)
    boxes = [np.asarray(box, float)]
    for _ in range(n - 1):
        x, y, w, h = box
        s = rng.uniform(0.9, 1.1)
        boxes.append(np.array([x + rng.uniform(-4, 4), y + rng.uniform(-4, 4), w * s, h * s]))
    return boxes


def time_batched(tracker, frames: list[np.ndarray], box: list[float], n: int) -> tuple:
    """n sequences in one batch: (first sequence's boxes, wall seconds, seconds of every frame)."""
    runs = [(frames, b) for b in first_boxes(box, n)]
    track_together(tracker.batch_engine(), [(frames[: 1 + WARM_FRAMES], b) for _, b in runs], n)
    start = time.perf_counter()
    results = track_together(tracker.batch_engine(), runs, n)
    wall = time.perf_counter() - start - sum(times[0] for _, times in results)  # inits untimed
    seconds = [t for _, times in results for t in times[1:]]
    return results[0][0], wall, seconds


def device_name(device: torch.device) -> str:
    """The GPU's name, or the CPU's model, its native bfloat16 features and torch's threads."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{describe_cpu()}; {torch.get_num_threads()} torch threads"


def reset_memory(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)


def peak_memory(device: torch.device) -> float:
    """The most CUDA memory allocated since the last reset, in MiB (NaN on the CPU)."""
    if device.type != "cuda":
        return float("nan")
    torch.cuda.synchronize(device)
    return torch.cuda.max_memory_allocated(device) / 2**20


def rows_for(preset: str, device: torch.device, frames, box, args) -> list[list[str]]:
    """Every row of one preset on one device."""
    net, cfg, source = network_for(preset)
    precisions = args.precisions.split(",")
    singles = {
        ("plain", "fp32"): PlainSiamFC(net, cfg, device),
        ("today", "fp32"): SiamFCTracker(net, cfg, device),
    }
    graphs = [False, True] if device.type == "cuda" else [False]
    for precision in precisions:
        for graph in graphs:
            bf16 = precision in ("bf16", "mixed")
            options = FastOptions("bf16" if bf16 else "fp32", cuda_graph=graph)
            fast = FastSiamFCTracker(net, cfg, device, options)
            singles["fast graph" if graph else "fast", precision] = fast
    # one sequence: the trackers take turns, round after round, so that they share the load
    results = {key: ([], [], float("nan")) for key in singles}
    for _ in range(args.rounds):
        for key, tracker in singles.items():
            reset_memory(device)
            with full_float32(device):
                boxes, seconds = time_single(tracker, frames, box)
            _, all_seconds, memory = results[key]
            memory = float(np.fmax(memory, peak_memory(device)))  # NaN on the CPU
            results[key] = (boxes, all_seconds + seconds, memory)
    rows = []
    plain_boxes, plain_seconds, _ = results["plain", "fp32"]
    plain_fps = len(plain_seconds) / sum(plain_seconds)

    def row(name, precision, boxes, wall, seconds, memory):
        fps = len(seconds) / wall
        diff = np.abs(boxes - plain_boxes)
        memory = "-" if np.isnan(memory) else f"{memory:.0f} MiB"
        rows.append(
            [str(device), f"{preset} ({source})", precision, name, str(len(seconds)),
             f"{fps:.1f}", f"{np.mean(1 / np.asarray(seconds)):.1f}", f"{fps / plain_fps:.2f}x",
             memory, f"{diff.mean():.3f} / {diff.max():.3f}"]
        )  # fmt: skip
        print("| " + " | ".join(rows[-1]) + " |", flush=True)

    for (name, precision), (boxes, seconds, memory) in results.items():
        if not name.startswith("fast"):
            row(name, precision, boxes, sum(seconds), seconds, memory)
    for precision in precisions:
        for name in ["fast graph" if graph else "fast" for graph in graphs]:
            boxes, seconds, memory = results[name, precision]
            row(name, precision, boxes, sum(seconds), seconds, memory)
            for n in [int(b) for b in args.batches.split(",") if b]:
                reset_memory(device)
                boxes, wall, seconds = time_batched(singles[name, precision], frames, box, n)
                row(f"{name} x{n}", precision, boxes, wall, seconds, peak_memory(device))
    return rows


def main(argv: list[str] | None = None) -> list[list[str]]:
    """Print the table (and return its rows)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--batches", default="8,32,128")
    parser.add_argument("--presets", default="SiamFC-3s,tiny")
    parser.add_argument("--precisions", default="fp32,bf16", help="fp32, bf16 (or mixed)")
    parser.add_argument("--devices", default="cpu,cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--video", default="bikes.mp4")
    parser.add_argument("--box", default="300,120,40,60", help="first-frame box x,y,w,h")
    parser.add_argument("--rounds", type=int, default=3, help="turns of the one-sequence rows")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    parser.add_argument("--cudnn-benchmark", action="store_true", help="let cuDNN time its kernels")
    args = parser.parse_args(argv)
    torch.backends.cudnn.benchmark = args.cudnn_benchmark
    if "cuda" in args.devices and not torch.cuda.is_available():
        parser.error("--devices names cuda, but torch sees no CUDA device")
    if args.threads:
        torch.set_num_threads(args.threads)
    frames = read_video(args.video, args.frames)
    box = [float(v) for v in args.box.split(",")]
    devices = [torch.device(d) for d in args.devices.split(",")]
    print(
        f"{args.video}: {len(frames)} frames {frames[0].shape[1]}x{frames[0].shape[0]}, box {box}"
    )
    for device in devices:
        print(f"{device}: {device_name(device)}")
    print(f"torch {torch.__version__}, cudnn.benchmark={args.cudnn_benchmark}, ", end="")
    print(f"load average {os.getloadavg()[0]:.2f} at the start")
    print("frames decoded before timing; warm-up and each sequence's first frame not timed\n")
    header = ["device", "preset", "precision", "tracker", "frames", "frames/s", "mean 1/t",
              "x plain", "peak memory", "box diff mean / max (px)"]  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * 4 + "---:|" * 6)
    rows = []
    for device in devices:
        for preset in args.presets.split(","):
            rows += rows_for(preset, device, frames, box, args)
    print(f"\nload average {os.getloadavg()[0]:.2f} at the end")
    return rows


if __name__ == "__main__":
    main()
