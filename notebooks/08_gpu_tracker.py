# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 08 · The GPU tracker: every step on the device, many sequences in one batch
#
# **Learning goals**
# - profile the reference tracker and say where a frame's time goes: decoding, crops, the copy
#   to the device, the network, the upsampling, the peak search;
# - build a tracker step that stays on the device, one stage at a time, checking each stage
#   against the reference and timing it;
# - see why "close enough" is not enough for a tracker: a crop off by half a grey level moves
#   the boxes by pixels a hundred frames later;
# - track many sequences in one batch, and see why batching helps a small network more than a
#   large one;
# - read a speed table honestly: what is timed, on which device.
#
# **Assumes:** 06 (the tracker, `SiamFCTracker.step`) and 07 (evaluation).
# **Time:** about 40 minutes.
#
# The paper's headline is speed: SiamFC-3s tracks at 86 frames per second on a 2016 GPU. The
# network is small and runs once per frame; everything around it (cutting crops, resizing score
# maps, finding the peak) is cheap on paper, but on a GPU each of those steps can cost more than
# the network if it runs on the host and copies data back and forth.

# %%
import inspect
import sys
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Code, display

import siamfc_edu
from siamfc_edu import SiamFCTracker, viz
from siamfc_edu.config import get_preset, quick_mode
from siamfc_edu.crops import crop_and_resize
from siamfc_edu.data import read_real_set, read_video, render_video
from siamfc_edu.device_crops import crop_batch, crop_windows, frames_to_device, upsample_maps
from siamfc_edu.evaluate.runs import track_together
from siamfc_edu.fast_tracker import (
    FastOptions,
    FastSiamFCTracker,
    correlate_per_sequence,
    default_ops,
    to_host,
)
from siamfc_edu.head import cross_correlation
from siamfc_edu.model import build_model
from siamfc_edu.runtime import crops_to_tensor, default_device, full_float32
from siamfc_edu.tracker import Pieces, inference_embedding, locate_peak, upsample

QUICK = quick_mode()
torch.manual_seed(0)
device = default_device()
on_gpu = device.type == "cuda"
name = torch.cuda.get_device_name(device) if on_gpu else f"CPU, {torch.get_num_threads()} threads"
print(f"device: {device} ({name}); quick mode: {QUICK}")

face = next(s for s in read_real_set() if s.name == "carphone_face")
frames, first_box = face.frames, face.boxes[0]
reference = SiamFCTracker.from_weights(device=device)
cfg = reference.cfg


def sync() -> None:
    """Wait for the GPU to finish (its work is queued: a clock without this measures nothing)."""
    if on_gpu:
        torch.cuda.synchronize(device)


def timed(fn, *args, repeat: int = 3, warm: bool = True):
    """fn(*args) run `repeat` times (after one untimed warm-up call): (result, ms per call)."""
    if warm:
        fn(*args)
    sync()
    start = time.perf_counter()
    for _ in range(repeat):
        out = fn(*args)
    sync()
    return out, (time.perf_counter() - start) / repeat * 1e3


# %% [markdown]
# ## 1. Where the time goes
# We track the first frames of `bikes` (640×272, larger than carphone's 176×144) and clock each
# piece of the reference tracker's step, in the order `step` runs them:
# decoding the frame, the three search crops (OpenCV, on the host), the copy of the crops to the
# device, the network $\varphi$ and the correlation, the $\times16$ bicubic upsampling (OpenCV,
# one map at a time), and the peak search (penalty, window, argmax, in NumPy).
# The paper preset has no shipped weights: for timing, random weights do as well.

# %%
n_profile = 6 if QUICK else 40
start = time.perf_counter()
bikes = list(read_video("bikes", max_frames=n_profile))
decode_ms = (time.perf_counter() - start) / len(bikes) * 1e3
bikes_box = [300, 120, 40, 60]


def network(tracker: SiamFCTracker, x: torch.Tensor) -> np.ndarray:
    """phi(x) correlated with phi(z), the maps back on the host: as `SiamFCTracker.score`."""
    return tracker.net.head(tracker.kernel, tracker.embed(x))[:, 0].float().cpu().numpy()


@torch.inference_mode()
def profile(tracker: SiamFCTracker, n_frames: int) -> dict[str, float]:
    """Milliseconds per frame of each piece of the reference step, clocked one by one."""
    times = {"decode": decode_ms}

    def clock(piece, fn, *args):
        result, ms = timed(fn, *args, repeat=1, warm=False)
        times[piece] = times.get(piece, 0) + ms / (n_frames - 2)
        return result

    tracker.init(bikes[0], bikes_box)
    tracker.step(bikes[1])  # warm-up: the first call of a network sets itself up (not clocked)
    for frame in bikes[2:n_frames]:
        sides = tracker.target.search_sides(tracker.scale_factors)
        crops = clock("crops", tracker.search_crops, frame, sides)
        x = clock("to device", crops_to_tensor, crops, tracker.device)
        maps = clock("network", network, tracker, x)
        upsampled = clock("upsampling", upsample, maps, tracker.cfg.upscale_size)
        clock("peak search", locate_peak, upsampled, tracker.penalty, tracker.window, tracker.cfg)
        tracker.step(frame)  # move on to the next frame (not clocked)
    return times


paper_net = build_model(get_preset("SiamFC-3s"))  # random weights: the same work
profiles = {
    "tiny": profile(reference, n_profile),
    "SiamFC-3s": profile(SiamFCTracker(paper_net, get_preset("SiamFC-3s"), device), n_profile),
}
for preset, times in profiles.items():
    total = sum(times.values())
    parts = ", ".join(f"{k} {v:.1f}" for k, v in times.items())
    print(f"{preset:9s}: {total:6.1f} ms per frame ({1000 / total:5.1f} fps) = {parts}")

# %%
fig, ax = plt.subplots(figsize=(9, 2.4))
for row, times in enumerate(profiles.values()):
    shares = np.array(list(times.values())) / sum(times.values())
    starts = np.concatenate([[0], np.cumsum(shares)[:-1]])
    for k, piece in enumerate(times):
        ax.barh(row, shares[k], left=starts[k], color=f"C{k}", label=piece if row == 0 else None)
ax.set_yticks([0, 1], list(profiles))
ax.set_xlabel(f"share of a frame's time on {device}")
ax.legend(ncol=6, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 1.35))
plt.show()

# %% [markdown]
# What to read in it: for the paper's network the network is most of the time on a CPU. For the
# tiny preset it costs far less, and the host's work around it (decoding, crops, upsampling, the
# peak search) is a large share. On a GPU the network becomes much cheaper still, and every host
# piece also means a copy up or down and a wait: the pieces around the network decide the speed.
#
# ## 2. The device step, stage by stage
# The plan: the frame goes to the device once, as uint8 (3 bytes a pixel); everything else
# happens there, and only the peak's position (three integers) comes back. We build it from the
# library's pieces (`siamfc_edu.device_crops`, `siamfc_edu.fast_tracker`), checking each against
# the reference and timing it on this device.
#
# ### 2.1 All the crops in one operation
# `crop_batch` cuts every square of a step (3 scales here; 3 × B for B sequences) at once: the
# same squares as `crops.crop_window`, the same mean-colour padding, and OpenCV's own integer
# arithmetic for the bilinear resize (weights rounded to 1/2048, rounding shifts).

# %%
display(Code(inspect.getsource(crop_batch), language="python"))

# %%
reference.init(frames[0], first_box)
for frame in frames[1:20]:
    reference.update(frame)
frame = frames[20]
sides = reference.target.search_sides(reference.scale_factors)
want, host_ms = timed(reference.search_crops, frame, sides)
batch, upload_ms = timed(frames_to_device, [frame], device)
sizes = torch.tensor([frame.shape[:2]], device=device)
windows = crop_windows(reference.center[None], sides[None])
got, device_ms = timed(crop_batch, batch, sizes, windows, cfg.instance_size)
assert np.array_equal(got.permute(0, 2, 3, 1).cpu().numpy(), want)
print("ok: the device crops equal OpenCV's bit for bit")
print(
    f"OpenCV, 3 crops: {host_ms:.2f} ms; frame to {device}: {upload_ms:.2f} ms; "
    f"crop_batch: {device_ms:.2f} ms"
)

# %% [markdown]
# Why bit for bit? A first try with `grid_sample` (bilinear in floating point) gave crops that
# differ from OpenCV's by at most one grey level, here and there. That looks harmless. Let us
# measure what a smaller difference does: the reference tracker with a crop that skips only the
# final rounding to integers (at most half a grey level away), through its `Pieces` hook.


# %%
def unrounded_crop(image, center, side, out_size, pad_color):
    """crop_and_resize on a float copy of the frame: OpenCV's resize, no rounding to uint8."""
    return crop_and_resize(image.astype(np.float32), center, side, out_size, pad_color)


exact_boxes, _ = SiamFCTracker.from_weights(device=device).track(frames, first_box)
unrounded = SiamFCTracker.from_weights(device=device)
unrounded.pieces = Pieces(crop=unrounded_crop)
float_boxes, _ = unrounded.track(frames, first_box)
drift = np.abs(float_boxes - exact_boxes).max(axis=1)
plt.figure(figsize=(7, 2.4))
plt.plot(drift)
plt.xlabel("frame")
plt.ylabel("px")
plt.title("largest box difference, crops not rounded vs rounded")
plt.show()
print(f"largest difference over carphone: {drift.max():.2f} px (frame {drift.argmax()})")

# %% [markdown]
# A tracker feeds its own output back: a tiny change in one score map can move the chosen peak by
# one upsampled cell, the next crop is then cut half a pixel away, and the two trackers follow
# slightly different paths from there. So the device crop reproduces OpenCV's arithmetic exactly
# and the boxes can be compared to the reference to the last bit.
#
# Which is faster depends on the device. On a CPU, OpenCV's hand-tuned crops beat a gather of
# tensors; on a GPU the crops are one operation over all squares, and no crop crosses the bus.
# The fast tracker picks per device, in one place:

# %%
display(Code(inspect.getsource(default_ops), language="python"))
print(f"on {device}: crops and upsampling run on the {default_ops(device)}")

# %% [markdown]
# ### 2.2 The network: exemplar once, batch norm folded, channels-last, bf16
# - $\varphi(z)$ is computed once in `init` and kept on the device.
# - In evaluation a batch norm is an affine map, so it folds into the convolution before it:
#   $w' = w\,\gamma/\sqrt{\sigma^2+\epsilon}$ and
#   $b' = (b-\mu)\,\gamma/\sqrt{\sigma^2+\epsilon}+\beta$.
#   One layer fewer per block, the same output.
# - Channels-last memory (the crops' own layout) is what the fast convolution kernels read.
# - `FastOptions(precision="bf16")` runs $\varphi$ under bf16 autocast; the correlation and
#   everything after it stay in float32 (section 4).
# - On a GPU, float32 must be asked for: cuDNN runs float32 convolutions in TF32 by default
#   (10 mantissa bits instead of 23). On an H200, φ's largest error was $4\cdot10^{-4}$ of its
#   largest value in TF32 against $2\cdot10^{-6}$ in float32, enough to move the boxes on
#   carphone by 2.5 px (`benchmarks/tf32_drift.py`). So both trackers run their network inside
#   `full_float32`, which switches TF32 off.

# %%
x = got  # the three search crops from 2.1, already on the device
with torch.inference_mode(), full_float32(device):
    unfolded = reference.net.backbone
    folded = inference_embedding(unfolded, device)
    want_x, unfolded_ms = timed(unfolded, x.contiguous())
    got_x, folded_ms = timed(folded, x)
torch.testing.assert_close(got_x, want_x, rtol=1e-4, atol=1e-3)
print(
    f"ok: folded = unfolded; phi of 3 crops: {unfolded_ms:.2f} ms as trained, "
    f"{folded_ms:.2f} ms folded and channels-last"
)

# %% [markdown]
# ### 2.3 The correlation, per sequence
# With B sequences, each exemplar must be correlated with its own S crops only. A correlation
# is a sum over channels of one-channel correlations, so the B·C channels are stacked and each is
# correlated on its own (a depthwise convolution: $(S, B\cdot C, 22, 22)$ with
# $(B\cdot C, 1, 6, 6)$ in $B\cdot C$ groups), then each sequence's $C$ channels are summed:
# $(S, B, 17, 17)$. One convolution of $B$ groups of $C$ channels computes the same maps, but
# measured on an NVIDIA H200 it took 11 ms for 128 sequences of the paper's network against
# 1.4 ms this way (`benchmarks/step_profile.py`); on a 2-core CPU it is 1.8x to 2.8x slower.

# %%
display(Code(inspect.getsource(correlate_per_sequence), language="python"))
kernels, search = torch.randn(4, 48, 6, 6), torch.randn(12, 48, 22, 22)
together = correlate_per_sequence(kernels, search)
for b in range(4):
    one = cross_correlation(kernels[b : b + 1], search[3 * b : 3 * b + 3])[:, 0]
    torch.testing.assert_close(together[b], one, rtol=1e-5, atol=1e-4)
print(
    "ok: one depthwise convolution and a sum = 4 sequences correlated one at a time;",
    tuple(together.shape),
)

# %% [markdown]
# ### 2.4 Upsampling on the device
# `F.interpolate(mode="bicubic", align_corners=False)` uses OpenCV's conventions: pixel centres
# at $i + \tfrac12$ and the cubic kernel with $a = -0.75$. (`align_corners=True` would put the
# corners' centres on each other: a different, stretched map.)

# %%
with torch.inference_mode():
    raw = reference.net.head(reference.kernel, got_x)[:, 0].float()
want_up, cv2_ms = timed(upsample, raw.cpu().numpy(), cfg.upscale_size)
got_up, torch_ms = timed(upsample_maps, raw, cfg.upscale_size)
other = torch.nn.functional.interpolate(raw[None], size=272, mode="bicubic", align_corners=True)
error = np.abs(got_up.cpu().numpy() - want_up).max()
print(
    f"align_corners=False: max diff {error:.1e} (maps up to {np.abs(want_up).max():.1f}); "
    f"True: {np.abs(other[0].cpu().numpy() - want_up).max():.2f}"
)
print(f"OpenCV, 3 maps: {cv2_ms:.3f} ms; interpolate on {device}: {torch_ms:.3f} ms")
assert error < 1e-4 * np.abs(want_up).max()

# %% [markdown]
# ### 2.5 Penalty, window and peak on the device, one copy back
# Steps 4-6 are not written again for the device: the fast tracker calls the reference's own
# `locate_peak` on tensors of shape $(B, S, 272, 272)$, every sequence at once. Each function in
# it works on NumPy arrays and on tensors alike, with any leading batch dimensions. It leaves
# each sequence's (scale, row, col) on the device; `step` copies those three integers to the
# host, the step's only copy back. The displacement and the damped scale follow on the host,
# with the reference's `displacement` and `Target.move` in float64: a handful of numbers per
# sequence.

# %%
display(Code(inspect.getsource(locate_peak), language="python"))
maps_up = torch.from_numpy(np.stack([want_up, want_up[::-1]])).to(device)  # B = 2 sequences
penalty = torch.from_numpy(reference.penalty).to(device)
window = torch.from_numpy(reference.window).float().to(device)
on_device = locate_peak(maps_up, penalty, window, cfg)
for b in range(2):
    host = locate_peak(maps_up[b].cpu().numpy(), reference.penalty, reference.window, cfg)
    device_peak = [int(on_device.best_scale[b]), int(on_device.row[b]), int(on_device.col[b])]
    assert device_peak == [int(host.best_scale), int(host.row), int(host.col)]
print("ok: the same peaks from NumPy one sequence at a time and from tensors in one batch")

# %% [markdown]
# ### 2.6 The whole fast tracker
# `FastSiamFCTracker` is these stages in order (`SiamFCBatch.step` with one sequence). Its
# `step` returns the reference's `TrackStep`, maps as tensors on the device; `to_host` makes
# them NumPy arrays, and notebook 06's figure draws it unchanged.
#
# On a GPU one more thing matters. A step is many small operations, each its own kernel, and
# for one sequence launching them takes longer than running them. Since every shape in stages
# 2.1-2.5 is fixed, the fast tracker records them once as a CUDA graph (`StepGraph`) and replays
# the graph each frame: one launch. On an H200 that took the paper preset from 199 to 473
# frames/s in float32 (README). It is the default for one sequence on a GPU only
# (`uses_cuda_graph`): an evaluation's batch changes shape as runs start and end, and each new
# shape records a new graph. On the CPU there is no graph.

# %%
fast = FastSiamFCTracker.from_weights(device=device)
fast.track(frames[:3], first_box)  # warm-up: the first call of a network sets itself up
fast_boxes, fast_times = fast.track(frames, first_box)
_, reference_times = reference.track(frames, first_box)
print(
    f"largest box difference to the reference over carphone: "
    f"{np.abs(fast_boxes - exact_boxes).max():.2e} px"
)
print(
    f"reference {1 / np.mean(reference_times[1:]):.0f} fps, "
    f"fast {1 / np.mean(fast_times[1:]):.0f} fps on {device} (carphone, tiny preset)"
)
assert np.abs(fast_boxes - exact_boxes).max() <= 1.0
fast.init(frames[0], first_box)
for frame in frames[1:41]:
    fast.update(frame)
viz.plot_track_step(to_host(fast.step(frames[41])), cfg)
plt.show()

# %% [markdown]
# ### 2.7 bfloat16: φ in half the bits
# A float32 number has a sign bit, 8 exponent bits and 23 mantissa bits. bfloat16 keeps the
# sign and the 8 exponent bits (float32's range) and only 7 mantissa bits: each value is rounded
# to 2 or 3 significant digits, a relative error of at most $2^{-8} \approx 0.4\,\%$. Under
# `torch.autocast(..., torch.bfloat16)` φ's convolutions read inputs and weights in bf16 and sum
# the products in float32; the correlation, the upsampling, the penalty, the window and the peak
# stay in float32 (`SiamFCBatch.embedding`).
#
# Why the score map barely moves: each of the 17×17 scores is a sum of 6×6×C products of
# $\varphi(z)$ and $\varphi(x)$ (1,728 for tiny), and the rounding errors of those values, of
# either sign, partly cancel in the sum. And the tracker keeps only where the highest score is,
# after a smooth upsampling and the cosine window: the peak moves only where two places nearly
# tie. When it does move, the next frame's search starts from another centre, so boxes can
# drift apart by a few pixels, as in 2.1.
#
# Half the bits is faster only where the hardware computes in bf16: CPUs with AVX512-BF16 or
# AMX (`avx512_bf16`, `amx_bf16` in Linux's /proc/cpuinfo) and NVIDIA GPUs from Ampere on.
# Elsewhere it is emulated, and slower. `siamfc-edu track --precision auto` (the default) takes
# bf16 only where it is native (`runtime.choose_precision`). The reference tracker of notebook 06
# stays in float32: its step trace must equal the formulas.

# %%
from siamfc_edu.runtime import choose_precision, describe_cpu, gpu_has_native_bf16, native_bf16

native = gpu_has_native_bf16(device) if on_gpu else bool(native_bf16())
print(torch.cuda.get_device_name(device) if on_gpu else describe_cpu())
print(f"--precision auto chooses here: {choose_precision('auto', device, cfg.name)}")
fast_bf16 = FastSiamFCTracker.from_weights(device=device, options=FastOptions(precision="bf16"))
with torch.inference_mode():  # the same three crops (2.1), each tracker's own phi(z)
    maps = {}
    for name, tracker in (("fp32", fast), ("bf16", fast_bf16)):
        tracker.init(frames[0], first_box)
        maps[name] = tracker.batch.score(got, tracker.kernel)[0].cpu().numpy()
gap = np.abs(maps["bf16"] - maps["fp32"]).max() / np.ptp(maps["fp32"])
same_peaks = [m32.argmax() == m16.argmax() for m32, m16 in zip(*maps.values(), strict=True)]
print(f"raw maps: largest difference {gap:.2%} of the map's range; same peak: {same_peaks}")

n_bf16 = 30 if QUICK else len(frames)
bf16_boxes, bf16_times = fast_bf16.track(frames[:n_bf16], first_box)
moved = np.abs(bf16_boxes - fast_boxes[:n_bf16])
print(f"bf16 vs fp32 boxes, {n_bf16} frames: mean {moved.mean():.2f}, max {moved.max():.2f} px")
if native:
    _, fp32_times = fast.track(frames[:n_bf16], first_box)  # right after, on the same load
    fps = {p: 1 / np.mean(t[1:]) for p, t in (("fp32", fp32_times), ("bf16", bf16_times))}
    ratio = fps["bf16"] / fps["fp32"]
    print(f"fp32 {fps['fp32']:.0f} fps, bf16 {fps['bf16']:.0f} fps: {ratio:.2f}x")
else:
    print("no native bfloat16 here: bf16 is emulated, its timing would say nothing; skipped")


# %% [markdown]
# ## 3. Many sequences in one batch
# An evaluation tracks many sequences that do not depend on each other. Its runner's
# `track_together` (in `siamfc_edu/evaluate/runs.py`) keeps B of them in the tracker's
# `batch_engine()`, one `SiamFCBatch`: one exemplar each, the crops of all B frames in one batch
# through $\varphi$, the correlation per sequence, the peaks of all at once. When a sequence
# ends, the next one takes its place, so lengths and frame sizes can differ. The boxes are those
# of tracking each sequence alone.

# %%
n_runs, n_frames = (4, 12) if QUICK else (8, 40)
runs = []
for seed in range(n_runs):
    video = render_video(np.random.default_rng(1000 + seed), n_frames, held_out=True)
    runs.append((video.frames, video.boxes[0][0]))
track_together(fast.batch_engine(), [(f[:3], b) for f, b in runs], n_runs)  # warm-up, as above
start = time.perf_counter()
alone = [fast.track(f, b)[0] for f, b in runs]
alone_s = time.perf_counter() - start
start = time.perf_counter()
together = track_together(fast.batch_engine(), runs, n_runs)
together_s = time.perf_counter() - start
for (boxes, _), want in zip(together, alone, strict=True):
    np.testing.assert_allclose(boxes, want, atol=1e-4, rtol=0)
total = n_runs * n_frames
print(f"ok: batched boxes = one-by-one boxes ({n_runs} sequences of {n_frames} frames)")
print(
    f"one by one {total / alone_s:.0f} frames/s, batched {total / together_s:.0f} frames/s "
    f"on {device}"
)

# %% [markdown]
# ### Why batching helps a small network more than a large one
# Every call of a layer has a fixed cost besides its arithmetic: launching a GPU kernel (a few
# microseconds), waking the CPU's threads, reading the weights. A batch pays it once for all its
# crops. The tiny preset has a sixth of the channels, so its arithmetic per crop is small and the
# fixed cost is a large part of it; the paper's network has enough arithmetic per crop to hide it.
# We time $\varphi$ on batches of crops and divide by the batch.

# %%
batch_sizes = [3, 12, 24] if QUICK else [3, 12, 48, 96]
per_crop = {}
with torch.inference_mode():
    for preset, net in [("tiny", reference.net), ("SiamFC-3s", paper_net)]:
        phi = inference_embedding(net.backbone, device)
        per_crop[preset] = []
        for n in batch_sizes:
            crops = torch.rand(n, 3, 255, 255, device=device) * 255
            crops = crops.contiguous(memory_format=torch.channels_last)
            _, ms = timed(phi, crops, repeat=2)
            per_crop[preset].append(ms / n)
fig, ax = plt.subplots(figsize=(6, 3))
for preset, ms in per_crop.items():
    ax.plot(batch_sizes, np.array(ms) / ms[0], "o-", label=f"{preset} ({ms[0]:.2f} ms/crop at 3)")
ax.set_xlabel("crops in one batch")
ax.set_ylabel("time per crop / at batch 3")
ax.set_title(f"phi on {device}")
ax.legend()
plt.show()
for preset, ms in per_crop.items():
    print(f"{preset}: per crop at batch {batch_sizes[-1]} = {ms[-1] / ms[0]:.2f} x at batch 3")

# %% [markdown]
# How to read it: where a curve falls, fixed costs were a large part of a small batch's time and
# the batch shares them; where it stays flat, the arithmetic already fills the device (and a
# larger batch can even cost more per crop, once its activations leave the CPU's caches). The
# same fixed costs weigh more on the tiny network, which has a sixth of the channels. On a CPU
# the curves move with the machine's load from run to run. On a GPU, where a batch of 3 crops
# leaves most of the chip idle, the fall is steeper: measured on an NVIDIA H200 (quick mode),
# a crop in a batch of 24 cost 0.28x its time in a batch of 3 for tiny and 0.53x for the paper's
# network.
#
# ## 4. The benchmark table
# `benchmarks/gpu_speed.py` times every tracker on the same decoded frames in one run: the plain
# reference (SiamFC written the obvious way), today's `SiamFCTracker`, the fast tracker alone
# and batched. Its docstring states the timing convention: decoding outside the clock, warm-up
# excluded, frames/s as frames over total time and got10k's mean of $1/t$. Quick mode runs a
# small version (the tiny preset, a few frames, batches of 4 and 8); the full run is
# `python benchmarks/gpu_speed.py` (both presets, 60 frames, batches of 8, 32 and 128, fp32 and
# bf16, the CPU and CUDA when there is one).

# %%
benchmarks = Path(siamfc_edu.__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(benchmarks))  # the benchmark scripts of the repository
import gpu_speed

small = ["--presets", "tiny", "--frames", "8", "--batches", "4,8", "--precisions", "fp32"]
rows = gpu_speed.main(small if QUICK else [])

# %% [markdown]
# The table above was measured just now, on the device it names. The README keeps the tables of
# two full runs: on this course's 2-core CPU, and on an NVIDIA H200 (where the paper preset
# tracks one sequence at 473 frames/s in float32 and 653 in bf16, and 128 sequences at about
# 2,500 frames/s together). If you run it on another GPU, name the GPU beside its numbers.
#
# ## Recap
# - A frame of SiamFC is more than its network: crops, copies, upsampling and the peak search can
#   cost as much, and on a GPU each host step adds a copy and a wait.
# - The device step keeps the frame on the device from the upload of its uint8 pixels to the peak;
#   only three integers per sequence come back.
# - Equal means equal: a crop half a grey level off moves the boxes by pixels; the device crop
#   reproduces OpenCV's integer arithmetic, so the fast tracker's boxes are the reference's.
# - Batching many sequences is one depthwise correlation away; it pays most where fixed costs
#   dominate: a small network on a GPU.
# - On a GPU, ask for float32 (TF32 is cuDNN's default and moves the boxes) and replay a step
#   of fixed shapes as a CUDA graph.
# - Which path is faster depends on the device: measure, and choose in one place.
#
# **Exercise:** this chapter has none of its own; its ideas meet the others in the capstone,
# `exercises/10_capstone_your_tracker.ipynb`, and in timing `benchmarks/gpu_speed.py` on any GPU
# you can reach.
