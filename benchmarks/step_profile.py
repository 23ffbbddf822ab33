"""Where the time of one step of the fast tracker goes, stage by stage, for B sequences at once.

    python benchmarks/step_profile.py [--presets SiamFC-3s,tiny] [--batches 1,32,128]
                                      [--precisions fp32,mixed] [--device cuda] [--steps 20]

Each stage runs on its own, the device synchronised before and after it (so a stage's time is
its own, and the stages add up to a little more than a step). Rows: one per preset, precision
and number of sequences B; columns: milliseconds per step of each stage, then the whole step
as `SiamFCBatch.step` runs it (eager, and replayed as a CUDA graph on CUDA) and its frames/s
(B frames per step). Frames are decoded before any clock starts; 3 steps of warm-up.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
from gpu_speed import first_boxes
from track_speed import network_for, read_video

from siamfc_edu.device_crops import crop_windows, frames_to_device, resize_squares, upsample_maps
from siamfc_edu.fast_tracker import FastOptions, SiamFCBatch, correlate_per_sequence, peak_tensors
from siamfc_edu.runtime import full_float32
from siamfc_edu.tracker import displacement, locate_peak

STAGES = ["frames up", "squares up", "crops", "phi", "correlation", "grouped",
          "upsampling", "peaks", "host moves"]  # fmt: skip


def clock(device: torch.device, times: dict, stage: str, fn, *args):
    """fn(*args), its seconds added to times[stage] (the device synchronised around it)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    out = fn(*args)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    times[stage] = times.get(stage, 0.0) + time.perf_counter() - start
    return out


def correlate_grouped(kernels: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The same maps as `correlate_per_sequence`, as one convolution of B groups of C channels.

    The alternative the step does not use: it is timed beside the step's "correlation".
    """
    b, c = kernels.shape[:2]
    s, size = x.shape[0] // b, x.shape[-2:]
    grouped = x.reshape(b, s, c, *size).transpose(0, 1).reshape(s, b * c, *size)
    return F.conv2d(grouped, kernels, groups=b).transpose(0, 1)


@torch.inference_mode()
def staged_step(batch: SiamFCBatch, frames: list[np.ndarray], times: dict) -> None:
    """`SiamFCBatch.step`'s device path, one stage at a time, each clocked."""
    device, cfg = batch.device, batch.cfg
    sides = np.array([t.search_sides(batch.scale_factors) for t in batch.targets])
    centers = np.array([t.center for t in batch.targets])

    def squares_up():
        squares = crop_windows(centers, sides).reshape(-1, 3).astype(np.int64)
        return torch.from_numpy(squares).to(device)

    def frames_up():
        sizes = torch.tensor([f.shape[:2] for f in frames]).to(device)
        return frames_to_device(frames, device), sizes

    images, sizes = clock(device, times, "frames up", frames_up)
    squares = clock(device, times, "squares up", squares_up)
    crops = clock(device, times, "crops", resize_squares, images, sizes, squares, 255)
    with full_float32(device):
        x = clock(device, times, "phi", batch.embedding, crops)
        kernels = torch.cat(batch.kernels)
        raw = clock(device, times, "correlation", correlate_per_sequence, kernels, x)
        clock(device, times, "grouped", correlate_grouped, kernels, x)
    raw = raw * batch.net.head.out_scale + batch.net.head.bias
    upsampled = clock(device, times, "upsampling", upsample_maps, raw, cfg.upscale_size)

    def find_peaks():
        peak = locate_peak(upsampled, batch.penalty, batch.window, cfg)
        return peak_tensors(peak)[-1].cpu().numpy()

    peaks = clock(device, times, "peaks", find_peaks)

    def moves():
        best, row, col = peaks.T
        _, _, frame_px = displacement(row, col, sides[np.arange(len(sides)), best], cfg)
        for target, move, k in zip(batch.targets, frame_px, best, strict=True):
            target.move(move, batch.scale_factors[k], cfg)

    clock(device, times, "host moves", moves)


def profile(net, cfg, device, frames, box, b: int, mixed: bool, graph: bool, steps: int):
    """ms per step of each stage (graph=False), or of the whole step only."""
    precision = "bf16" if mixed else "fp32"
    batch = SiamFCBatch(net, cfg, device, FastOptions(precision, ops="device", cuda_graph=graph))
    for start in first_boxes(box, b):
        batch.add(frames[0], start)
    for frame in frames[1:4]:  # warm-up
        batch.step([frame] * b)
    times: dict[str, float] = {}
    for frame in frames[4 : 4 + steps]:
        if not graph:
            staged_step(batch, [frame] * b, times)
        clock(device, times, "step", batch.step, [frame] * b)
    return {stage: seconds / steps * 1e3 for stage, seconds in times.items()}


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="SiamFC-3s,tiny")
    parser.add_argument("--batches", default="1,32,128")
    parser.add_argument("--precisions", default="fp32,mixed")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--video", default="bikes.mp4")
    parser.add_argument("--box", default="300,120,40,60")
    parser.add_argument("--cudnn-benchmark", action="store_true", help="let cuDNN time its kernels")
    args = parser.parse_args()
    torch.backends.cudnn.benchmark = args.cudnn_benchmark
    device = torch.device(args.device)
    frames = read_video(args.video, args.steps + 4)
    box = [float(v) for v in args.box.split(",")]
    on_cuda = device.type == "cuda"
    name = torch.cuda.get_device_name(device) if on_cuda else "CPU"
    print(f"{name}, torch {torch.__version__}; ms per step, {args.steps} steps after 3 of warm-up;")
    print(f"cudnn.benchmark={args.cudnn_benchmark}; 'grouped' (the correlation as one convolution")
    print("of B groups) is timed beside the step, not in it")
    header = ["preset", "precision", "B", *STAGES, "step", "graph step", "frames/s", "graph fps"]
    print("| " + " | ".join(header) + " |\n|" + "---|" * 3 + "---:|" * (len(header) - 3))
    for preset in args.presets.split(","):
        net, cfg, _ = network_for(preset)
        for precision in args.precisions.split(","):
            for b in [int(v) for v in args.batches.split(",")]:
                mixed = precision == "mixed"
                ms = profile(net, cfg, device, frames, box, b, mixed, False, args.steps)
                graph_ms = float("nan")
                if on_cuda:
                    graph = profile(net, cfg, device, frames, box, b, mixed, True, args.steps)
                    graph_ms = graph["step"]
                cells = [f"{ms[s]:.2f}" for s in [*STAGES, "step"]] + [f"{graph_ms:.2f}"]
                cells += [f"{b / ms['step'] * 1e3:.0f}", f"{b / graph_ms * 1e3:.0f}"]
                print(f"| {preset} | {precision} | {b} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
