"""SiamFC built for the device: every step of a frame on the GPU, many sequences in one batch.

`SiamFCTracker` (the reference, `tracker.py`) crops on the host, upsamples each score map with
OpenCV and searches the peak in NumPy: on a GPU every frame would copy crops up and maps down.
Here one step of B sequences, each searched at S scales, runs as a few batched operations:

1. the frames go to the device once, as uint8; the B*S search squares are cut in one batch of
   integer tensor operations that reproduce OpenCV's (`device_crops.crop_batch`);
2. phi (batch norm folded into the convolutions, channels-last memory, bf16 autocast on request)
   embeds all B*S crops at once; each sequence's exemplar, embedded once, is correlated with its
   own S crops: one grouped convolution, the sequences as groups;
3. the maps are upsampled bicubic, penalised, windowed and searched for their peak on the device;
4. the frame's one host synchronisation: the peak of each sequence, (scale, row, col). The new
   centre and scale follow on the host from the reference tracker's own functions, in float64.

On a GPU, float32 means float32: cuDNN would otherwise run the convolutions in TF32 (10-bit
mantissas), and the boxes would drift from the reference's. Steps 1-3 have fixed shapes, so on a
GPU they can be recorded once as a CUDA graph and replayed each frame (`StepGraph`): one launch
instead of one per small operation. For one sequence on an H200 that is 2.4x to 3.8x the frames
per second (`benchmarks/gpu_speed.py`), so it is the default there (`uses_cuda_graph`); for 32 or
more sequences at once, where the arithmetic fills the GPU, it changes little (-6 % to +13 %).

On the CPU, OpenCV's crops and upsampling are faster than the tensor ones (measured in
`benchmarks/gpu_speed.py`), so there the same tracker crops and upsamples on the host:
`default_ops` chooses, in one place. Tracking B sequences together gives the boxes of tracking
them one by one (`track_sequences`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .backbone import AlexNetEmbedding, fuse_for_inference
from .boxes import box_center, center_box, check_box
from .config import SiamFCConfig, get_preset
from .crops import crop_and_resize, exemplar_side, search_side
from .device_crops import (
    crop_batch,
    crop_windows,
    frames_to_device,
    resize_squares,
    upsample_maps,
)
from .images import as_rgb_frame, mean_color, read_image
from .interface import Tracker
from .model import SiamFCNet, build_model
from .runtime import (
    Precision,
    check_frame_size,
    choose_precision,
    crops_to_tensor,
    full_float32,
    resolve_device,
)
from .tracker import (
    SiamFCTracker,
    TrackStep,
    damped_scale,
    displacement,
    hann_window,
    scale_factors,
    scale_penalties,
    upsample,
)

OPS = ("device", "host")


def default_ops(device: torch.device) -> str:
    """Where crops and upsampling run: 'host' (OpenCV) on the CPU, 'device' (tensors) elsewhere.

    The one place the choice is made. On the CPU, OpenCV's crops and bicubic upsampling are
    several times faster than the tensor crops and `interpolate` (notebook 08 measures both).
    """
    return "host" if device.type == "cpu" else "device"


def uses_cuda_graph(choice: bool | None, device: torch.device, ops: str, sequences: int) -> bool:
    """Whether a step of this many sequences is replayed as a CUDA graph.

    `choice` True or False decides; None (the default) means: on a CUDA device with the device
    ops, for one sequence. There a graph measured 2.4x to 3.8x the frames per second of the
    eager step (H200). Batches of fixed shape measured +30 % to +88 % with 8 sequences and -6 %
    to +13 % with 32 or more; but an evaluation's batch changes shape as runs start and end (and
    frame sizes differ), each change recording a new graph, a cost not measured yet: ask for it.
    """
    if choice is not None:
        return choice
    return device.type == "cuda" and ops == "device" and sequences == 1


def fold_batch_norm(embedding: torch.nn.Module) -> torch.nn.Module:
    """phi for inference: each batch norm folded into its convolution, w' = w g / sqrt(var + eps).

    An AlexNet embedding is folded (`backbone.fuse_for_inference`); any other is used as it is.
    """
    if isinstance(embedding, AlexNetEmbedding):
        return fuse_for_inference(embedding)
    return embedding.eval()


def correlate_per_sequence(kernels: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Each sequence's exemplar slid over its own S search embeddings: (B, S, H-h+1, W-w+1).

    kernels: (B, C, h, w), one phi(z) per sequence; x: (B*S, C, H, W), sequence-major. Each of
    the B*C channels is correlated on its own (a depthwise convolution, B*C groups of one
    channel), then each sequence's C channels are summed: B correlations in one call. One
    convolution of B groups of C channels gives the same maps up to 8x slower on an H200 (128
    sequences) and 1.8x to 2.8x slower on a 2-core CPU (`benchmarks/step_profile.py`, "grouped").
    """
    b, c, h, w = kernels.shape
    s, size = x.shape[0] // b, x.shape[-2:]
    channels = x.reshape(b, s, c, *size).transpose(0, 1).reshape(s, b * c, *size)
    maps = F.conv2d(channels, kernels.reshape(b * c, 1, h, w), groups=b * c)  # (S, B*C, ., .)
    return maps.reshape(s, b, c, *maps.shape[-2:]).sum(dim=2).transpose(0, 1)


@dataclass
class Target:
    """One tracked sequence's state, on the host: the reference tracker's centre and scale."""

    center: np.ndarray  # (cx, cy) in the frame
    scale: float  # size relative to the first frame
    base_size: np.ndarray  # (w, h) in the first frame
    base_x_side: float  # side of the search region at scale 1
    frame_shape: tuple[int, ...] = ()  # the first frame's shape: every frame must have it

    def box(self) -> np.ndarray:
        """The current box, 0-based [x, y, w, h]."""
        return center_box(self.center, self.base_size * self.scale)


@dataclass
class BatchStep:
    """One step of B sequences at S scales, everything but the host state as device tensors."""

    sides: np.ndarray  # (B, S) side of each search region in frame pixels
    crops: torch.Tensor  # (B*S, 3, 255, 255) float32, channels-last: the search images x
    raw_scores: torch.Tensor  # (B, S, 17, 17)
    upsampled: torch.Tensor  # (B, S, 272, 272)
    best_peaks: torch.Tensor  # (B, S) each scale's highest penalised score
    normalised: torch.Tensor  # (B, 272, 272) each sequence's chosen map, minimum 0, sum 1
    windowed: torch.Tensor  # (B, 272, 272)
    peaks: np.ndarray  # (B, 3) the chosen scale, row, col: the step's only copy to the host


class SiamFCBatch:
    """Track B sequences at once: one exemplar each, all their search crops in one batch."""

    def __init__(
        self,
        net: SiamFCNet | None = None,
        cfg: SiamFCConfig | None = None,
        device: str | torch.device | None = None,
        mixed_precision: bool = False,
        ops: str | None = None,
        cuda_graph: bool | None = None,
    ):
        self.cfg = cfg or get_preset()
        self.device = resolve_device(device)
        self.ops = ops or default_ops(self.device)
        if self.ops not in OPS:
            raise ValueError(f"ops must be one of {OPS}, not {self.ops!r}")
        if cuda_graph and (self.device.type != "cuda" or self.ops != "device"):
            raise ValueError(
                f"cuda_graph=True needs a CUDA device and ops='device', not {self.device} and "
                f"ops={self.ops!r}"
            )
        self.mixed_precision, self.cuda_graph = mixed_precision, cuda_graph  # None: by default
        self.graph: StepGraph | None = None  # `device_step` recorded for one batch shape
        self.net = (net or build_model(self.cfg)).to(self.device).eval()
        self.embed = fold_batch_norm(self.net.backbone).to(
            self.device, memory_format=torch.channels_last
        )
        self.scale_factors = scale_factors(self.cfg)
        self.penalty = torch.from_numpy(scale_penalties(self.cfg)).to(self.device)
        window = hann_window(self.cfg.upscale_size)
        self.window = torch.from_numpy(window).float().to(self.device)
        self.targets: list[Target] = []
        self.kernels: list[torch.Tensor] = []  # phi(z) of each sequence, (1, C, 6, 6)

    def __len__(self) -> int:
        return len(self.targets)

    def clear(self) -> None:
        """Forget every sequence (the network and the preset stay)."""
        self.targets, self.kernels = [], []

    # ------------------------------------------------------------------ sequences in and out

    @torch.inference_mode()
    def add(self, image: np.ndarray, box: Sequence[float]) -> torch.Tensor:
        """Start tracking a sequence from its first frame and box; return its exemplar crop z."""
        image = as_rgb_frame(image)
        box = check_box(box, image.shape)
        center, (w, h) = box_center(box), box[2:]
        z_side = np.array([[exemplar_side(w, h, self.cfg)]])
        z = self.crop([image], center[None], z_side, self.cfg.exemplar_size)
        with full_float32(self.device):
            self.kernels.append(self.embedding(z))
        target = Target(center, 1.0, box[2:].copy(), search_side(w, h, self.cfg), image.shape)
        self.targets.append(target)
        return z

    def remove(self, index: int) -> None:
        """Stop tracking the sequence at this position; the later ones move up by one."""
        del self.targets[index], self.kernels[index]

    # ------------------------------------------------------------------ one step of every sequence

    def crop(
        self, frames: list[np.ndarray], centers: np.ndarray, sides: np.ndarray, out_size: int
    ) -> torch.Tensor:
        """K squares per frame around its centre: (B*K, 3, out, out) on the device."""
        if self.ops == "host":
            crops = []
            for frame, center, row in zip(frames, centers, sides, strict=True):
                pad = mean_color(frame)
                crops += [crop_and_resize(frame, center, side, out_size, pad) for side in row]
            return crops_to_tensor(crops, self.device)
        batch = frames_to_device(frames, self.device)
        sizes = torch.tensor([f.shape[:2] for f in frames], device=self.device)
        return crop_batch(batch, sizes, crop_windows(centers, sides), out_size)

    def embedding(self, crops: torch.Tensor) -> torch.Tensor:
        """phi of a batch of crops, in float32 (the network under bf16 autocast if asked)."""
        precision = torch.autocast(
            self.device.type, torch.bfloat16, enabled=self.mixed_precision, cache_enabled=False
        )  # no cache of cast weights: a CUDA graph could not record it
        with precision:
            return self.embed(crops).float()

    def upsample(self, scores: torch.Tensor) -> torch.Tensor:
        """The score maps (B, S, 17, 17) bicubic x16 with OpenCV on the host (ops='host')."""
        size = self.cfg.upscale_size
        maps = upsample(scores.reshape(-1, *scores.shape[-2:]).cpu().numpy(), size)
        return torch.from_numpy(maps).to(self.device).reshape(*scores.shape[:2], size, size)

    @torch.inference_mode()
    def step(self, frames: list[np.ndarray]) -> BatchStep:
        """Steps 1-7 of `tracker.py` for every sequence, frames[i] the next frame of sequence i."""
        if not self.targets:
            raise RuntimeError("the tracker has no target yet: call init(frame, box) first")
        if len(frames) != len(self.targets):
            raise ValueError(f"{len(frames)} frames for {len(self.targets)} tracked sequences")
        frames = [as_rgb_frame(f) for f in frames]
        for frame, target in zip(frames, self.targets, strict=True):
            check_frame_size(frame, target.frame_shape)
        x_sides = np.array([t.base_x_side * t.scale for t in self.targets])
        sides = x_sides[:, None] * self.scale_factors  # 1. the scale pyramid, (B, S)
        centers = np.array([t.center for t in self.targets])
        with full_float32(self.device):
            if self.ops == "host":  # 1-3. crops and upsampling with OpenCV
                crops = self.crop(frames, centers, sides, self.cfg.instance_size)
                raw = self.score(crops, torch.cat(self.kernels))
                upsampled = self.upsample(raw)
                maps = (crops, raw, upsampled, *self.find_peaks(upsampled))
            else:  # 1-5. on the device, from the frames and the squares to cut
                maps = self.on_device(frames, centers, sides)
        peaks = maps[-1].cpu().numpy()  # the step's only copy to the host
        for i, (k, row, col) in enumerate(peaks):  # 6-7. on the host
            factor = self.scale_factors[k]
            self.move(self.targets[i], int(row), int(col), sides[i, k], factor)
        return BatchStep(sides, *maps[:-1], peaks)

    def on_device(self, frames: list[np.ndarray], centers: np.ndarray, sides: np.ndarray) -> tuple:
        """Steps 1-5 on the device: frames and squares go up, `device_step` runs (or its graph)."""
        squares = crop_windows(centers, sides).reshape(-1, 3).astype(np.int64)
        inputs = (
            frames_to_device(frames, self.device),
            torch.tensor([f.shape[:2] for f in frames]).to(self.device, non_blocking=True),
            torch.from_numpy(squares).to(self.device, non_blocking=True),
            torch.cat(self.kernels),
        )
        if not uses_cuda_graph(self.cuda_graph, self.device, self.ops, len(frames)):
            return self.device_step(*inputs)
        if self.graph is None or not self.graph.fits(inputs):
            self.graph = None  # free the old graph's memory before recording a new one
            self.graph = StepGraph(self.device_step, inputs)
        return self.graph.replay(inputs)

    def device_step(
        self,
        frames: torch.Tensor,
        sizes: torch.Tensor,
        squares: torch.Tensor,
        kernels: torch.Tensor,
    ) -> tuple[torch.Tensor, ...]:
        """Crops, f(z, x), upsampling and peaks: tensors in, tensors out, every shape fixed.

        Returns crops, raw maps, upsampled maps, then `find_peaks`'s four results.
        """
        crops = resize_squares(frames, sizes, squares, self.cfg.instance_size)
        raw = self.score(crops, kernels)
        upsampled = upsample_maps(raw, self.cfg.upscale_size)
        return (crops, raw, upsampled, *self.find_peaks(upsampled))

    def score(self, crops: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
        """Each sequence's raw maps f(z, x) = 0.001 phi(z) * phi(x) + b: (B, S, 17, 17)."""
        raw = correlate_per_sequence(kernels, self.embedding(crops))
        return raw * self.net.head.out_scale + self.net.head.bias

    def find_peaks(self, upsampled: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The scale penalty, the cosine window and the peak, for every sequence on the device.

        max(penalty * map) = penalty * max(map) (rounding keeps the order), so only the chosen
        scale's map is multiplied out: the same numbers as penalising every map. Returns each
        scale's penalised peak (B, S), the normalised and windowed chosen maps (B, 272, 272) and
        the peaks (B, 3): chosen scale, row, col, still on the device.
        """
        b, size = upsampled.shape[0], self.cfg.upscale_size
        best_peaks = upsampled.flatten(2).amax(dim=2) * self.penalty
        best = best_peaks.argmax(dim=1)
        chosen = upsampled[torch.arange(b, device=self.device), best]
        chosen = chosen * self.penalty[best, None, None]
        shifted = chosen - chosen.flatten(1).amin(dim=1)[:, None, None]
        normalised = shifted / (shifted.flatten(1).sum(dim=1)[:, None, None] + 1e-16)
        influence = self.cfg.window_influence
        windowed = (1 - influence) * normalised + influence * self.window
        flat = windowed.flatten(1).argmax(dim=1)
        peaks = torch.stack([best, flat // size, flat % size], dim=1)
        return best_peaks, normalised, windowed, peaks

    def move(self, target: Target, row: int, col: int, side: float, factor: float) -> None:
        """6-7. the reference tracker's displacement and damped scale, on the host in float64."""
        _, _, frame_px = displacement(row, col, side, self.cfg)
        height, width = target.frame_shape[:2]
        target.center = np.clip(target.center + frame_px, 0, [width - 1, height - 1])
        target.scale = damped_scale(target.scale, factor, self.cfg)


class StepGraph:
    """`device_step` recorded once as a CUDA graph for one shape of inputs, replayed each frame.

    A step is many small operations; for one sequence on a GPU, launching their kernels one by
    one costs more than running them (a graph measured 2.4x to 3.8x the eager frames/s).
    Replaying a graph launches them all at once. The graph reads its inputs from fixed tensors
    (each frame's are copied in) and writes its outputs to fixed tensors: they are overwritten
    by the next replay.
    """

    def __init__(self, step: Callable[..., tuple], inputs: tuple[torch.Tensor, ...]):
        self.inputs = tuple(t.clone() for t in inputs)
        side = torch.cuda.Stream()  # warm up (cuDNN picks its kernels) away from the graph
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                step(*self.inputs)
        torch.cuda.current_stream().wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.outputs = step(*self.inputs)

    def fits(self, inputs: tuple[torch.Tensor, ...]) -> bool:
        """Whether these inputs have the recorded shapes."""
        return all(a.shape == b.shape for a, b in zip(inputs, self.inputs, strict=True))

    def replay(self, inputs: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
        """Copy the inputs in, run the recorded kernels, return the (reused) output tensors."""
        for fixed, new in zip(self.inputs, inputs, strict=True):
            fixed.copy_(new)
        self.graph.replay()
        return self.outputs


class FastSiamFCTracker(Tracker):
    """SiamFC with every step of a frame on the device: `SiamFCTracker`'s boxes, faster.

    `precision` is 'fp32', 'bf16' (the network under bf16 autocast) or 'auto' (bf16 where the
    CPU or GPU computes it natively, `runtime.choose_precision`); `mixed_precision=True` is the
    older spelling of 'bf16'. The choice and its reason are in `self.precision`. `ops` forces
    where crops and upsampling run ('device' or 'host'; by default `default_ops`); `cuda_graph`
    whether each step is replayed as a CUDA graph (`StepGraph`; by default `uses_cuda_graph`).
    """

    name = "SiamFC-fast"

    def __init__(
        self,
        net: SiamFCNet | None = None,
        cfg: SiamFCConfig | None = None,
        device: str | torch.device | None = None,
        mixed_precision: bool = False,
        ops: str | None = None,
        cuda_graph: bool | None = None,
        precision: str | None = None,
    ):
        self.precision = precision_for(precision, mixed_precision, device, cfg)
        bf16 = self.precision.name == "bf16"
        self.batch = SiamFCBatch(net, cfg, device, bf16, ops, cuda_graph)
        self.cfg, self.device, self.net = self.batch.cfg, self.batch.device, self.batch.net
        self.exemplar: torch.Tensor | None = None

    @classmethod
    def from_weights(
        cls,
        path: str | None = None,
        preset: str = "tiny",
        device: str | None = None,
        mixed_precision: bool = False,
        cuda_graph: bool | None = None,
        precision: str | None = None,
        **overrides,
    ) -> FastSiamFCTracker:
        """A fast tracker with trained weights (the project's shipped ones by default)."""
        reference = SiamFCTracker.from_weights(path, preset, device, **overrides)
        net, cfg, device = reference.net, reference.cfg, reference.device
        return cls(net, cfg, device, mixed_precision, cuda_graph=cuda_graph, precision=precision)

    def init(self, image: np.ndarray, box: Sequence[float]) -> None:
        """Remember the target: its centre, its size and phi(z), embedded once."""
        image = as_rgb_frame(image)
        check_box(box, image.shape)  # an unusable box changes nothing
        self.batch.clear()
        z = self.batch.add(image, box)
        self.exemplar = z[0].permute(1, 2, 0).to(torch.uint8)  # (127, 127, 3) like the reference
        self.kernel = self.batch.kernels[0]

    @property
    def center(self) -> np.ndarray:
        """The target's centre (cx, cy) in the frame."""
        return self.batch.targets[0].center

    @property
    def scale(self) -> float:
        """The target's size relative to the first frame."""
        return self.batch.targets[0].scale

    def update(self, image: np.ndarray) -> np.ndarray:
        """Locate the target in a new frame; return its box, 0-based [x, y, w, h]."""
        self.batch.step([image])
        return self.batch.targets[0].box()

    def step(self, image: np.ndarray) -> TrackStep:
        """One frame, with every intermediate: `SiamFCTracker.step`'s TrackStep, maps as tensors.

        The maps stay on the tracker's device (`to_host` copies them to NumPy, for figures).
        """
        out = self.batch.step([image])
        batch = self.batch
        if uses_cuda_graph(batch.cuda_graph, batch.device, batch.ops, 1):  # a graph's outputs
            out = dataclasses.replace(out, **clone_tensors(out))  # change at its next replay
        target, cfg = self.batch.targets[0], self.cfg
        best, row, col = (int(v) for v in out.peaks[0])
        side = out.sides[0, best]
        cells, crop_px, frame_px = displacement(row, col, side, cfg)
        crops = out.crops.permute(0, 2, 3, 1).to(torch.uint8)
        penalised = out.upsampled[0] * self.batch.penalty[:, None, None]
        return TrackStep(
            self.batch.scale_factors, out.sides[0], crops, out.raw_scores[0], out.upsampled[0],
            self.batch.penalty, penalised, best, out.normalised[0], self.batch.window,
            out.windowed[0], (row, col), cells, crop_px, frame_px, target.center, target.scale,
            target.box(),
        )  # fmt: skip


def precision_for(
    precision: str | None,
    mixed_precision: bool,
    device: str | torch.device | None,
    cfg: SiamFCConfig | None,
) -> Precision:
    """The precision: `precision` if given (fp32, bf16 or auto), else mixed_precision's."""
    if precision is None:
        return Precision("bf16" if mixed_precision else "fp32", "asked for")
    if mixed_precision and precision != "bf16":
        raise ValueError(f"mixed_precision=True asks for bf16, but precision={precision!r}")
    return choose_precision(precision, resolve_device(device), (cfg or get_preset()).name)


def in_precision(tracker: SiamFCTracker, requested: str) -> tuple[Tracker, Precision]:
    """The tracker for a user's precision: the reference as it is in float32, else its network in
    the fast tracker under bf16 autocast; with the precision chosen (auto: `choose_precision`)."""
    chosen = choose_precision(requested, tracker.device, tracker.cfg.name)
    if chosen.name == "fp32":
        return tracker, chosen
    fast = FastSiamFCTracker(tracker.net, tracker.cfg, tracker.device, precision=chosen.name)
    return fast, chosen


def clone_tensors(step: object) -> dict[str, torch.Tensor]:
    """A copy of each tensor field of a dataclass, by name."""
    values = {f.name: getattr(step, f.name) for f in dataclasses.fields(step)}
    return {k: v.clone() for k, v in values.items() if isinstance(v, torch.Tensor)}


def to_host(step: TrackStep) -> TrackStep:
    """The same TrackStep with every tensor copied to a NumPy array (for plotting, comparing)."""
    values = {f.name: getattr(step, f.name) for f in dataclasses.fields(step)}
    arrays = {k: v.cpu().numpy() for k, v in values.items() if isinstance(v, torch.Tensor)}
    return dataclasses.replace(step, **arrays)


def batch_for(tracker: FastSiamFCTracker | SiamFCTracker) -> SiamFCBatch:
    """An empty batch with a tracker's network, preset, device (and precision, if it has one)."""
    if isinstance(tracker, FastSiamFCTracker):
        old = tracker.batch
        return SiamFCBatch(
            old.net, old.cfg, old.device, old.mixed_precision, old.ops, old.cuda_graph
        )
    if isinstance(tracker, SiamFCTracker):
        return SiamFCBatch(tracker.net, tracker.cfg, tracker.device)
    raise ValueError(f"need a SiamFCTracker or FastSiamFCTracker, got {type(tracker).__name__}")


def as_frame(frame: np.ndarray | str | Path) -> np.ndarray:
    """A frame given as an RGB array or as an image file."""
    return frame if isinstance(frame, np.ndarray) else read_image(frame)


def track_sequences(
    tracker: FastSiamFCTracker | SiamFCTracker,
    runs: Iterable[tuple[Sequence, Sequence[float]]],
    batch: int = 32,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Track many (frames, first box) runs, `batch` at a time: each run's (boxes, seconds).

    The result equals `tracker.track(frames, box)` run by run: boxes (N, 4), 0-based xywh, the
    first one the given box; seconds (N,), each step's time shared among the runs in it. A run
    that ends frees its place for the next one, so runs of any length and frame size mix.
    """
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    runs = list(runs)
    for i, (frames, _) in enumerate(runs):
        if len(frames) == 0:
            raise ValueError(f"run {i} has no frames")
    engine = batch_for(tracker)
    boxes = [np.zeros((len(frames), 4)) for frames, _ in runs]
    times = [np.zeros(len(frames)) for frames, _ in runs]
    waiting = list(reversed(range(len(runs))))
    live: list[tuple[int, int]] = []  # (run, its next frame), in the engine's order
    while waiting or live:
        while waiting and len(live) < batch:  # a run that ends frees its place for the next
            i = waiting.pop()
            frames, box = runs[i]
            start = time.perf_counter()
            engine.add(as_frame(frames[0]), box)
            times[i][0] = time.perf_counter() - start
            boxes[i][0] = check_box(box, engine.targets[-1].frame_shape)
            live.append((i, 1))
            if len(frames) == 1:
                engine.remove(len(live) - 1)
                live.pop()
        if not live:
            continue
        start = time.perf_counter()
        engine.step([as_frame(runs[i][0][t]) for i, t in live])
        share = (time.perf_counter() - start) / len(live)
        for slot in reversed(range(len(live))):
            i, t = live[slot]
            boxes[i][t], times[i][t] = engine.targets[slot].box(), share
            live[slot] = (i, t + 1)
            if t + 1 == len(runs[i][0]):
                engine.remove(slot)
                del live[slot]
    return list(zip(boxes, times, strict=True))


class BatchedTracker(Tracker):
    """A tracker whose evaluations track `batch` runs at once (`siamfc-edu evaluate --batch N`).

    One run at a time it is the tracker it wraps; `evaluate` and the protocols find its
    `track_sequences` and give it all their runs together.
    """

    def __init__(self, tracker: FastSiamFCTracker | SiamFCTracker, batch: int = 32):
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        self.tracker, self.runs_at_once = tracker, batch
        self.name = getattr(tracker, "name", "SiamFC")

    def init(self, image: np.ndarray, box: Sequence[float]) -> None:
        """Start the wrapped tracker on the target."""
        self.tracker.init(image, box)

    def update(self, image: np.ndarray) -> np.ndarray:
        """The wrapped tracker's box in a new frame."""
        return self.tracker.update(image)

    def track_sequences(
        self, runs: Iterable[tuple[Sequence, Sequence[float]]]
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each (frames, first box) run's (boxes, seconds), `batch` runs at a time."""
        return track_sequences(self.tracker, runs, self.runs_at_once)
