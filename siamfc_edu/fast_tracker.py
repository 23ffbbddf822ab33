"""SiamFC built for the device: every step of a frame on the GPU, many sequences in one batch.

`SiamFCTracker` (the reference, `tracker.py`) crops on the host, upsamples each score map with
OpenCV and searches the peak in NumPy: on a GPU every frame would copy crops up and maps down.
Here one step of B sequences, each searched at S scales, runs as a few batched operations:

1. the frames go to the device once, as uint8; the B*S search squares are cut in one batch of
   integer tensor operations that reproduce OpenCV's (`device_crops.crop_batch`);
2. phi (batch norm folded into the convolutions, channels-last memory, bf16 autocast on request)
   embeds all B*S crops at once; each sequence's exemplar, embedded once, is correlated with its
   own S crops: one grouped convolution, the sequences as groups;
3. the maps are upsampled bicubic on the device; the reference tracker's own `locate_peak`
   penalises, windows and finds the peaks of all B sequences at once, as tensors;
4. the frame's one host synchronisation: the peak of each sequence, (scale, row, col). The new
   centre and scale follow on the host from the reference's `displacement` and `Target.move`.

Only what is device-specific lives here: crops on the device, the per-sequence correlation, CUDA
graphs, and the precision (`FastOptions`).

On a GPU, float32 means float32: cuDNN would otherwise run the convolutions in TF32 (10-bit
mantissas), and the boxes would drift from the reference's. Steps 1-3 have fixed shapes, so on a
GPU they can be recorded once as a CUDA graph and replayed each frame (`StepGraph`): one launch
instead of one per small operation. For one sequence on an H200 that is 2.4x to 3.8x the frames
per second (`benchmarks/gpu_speed.py`), so it is the default there (`uses_cuda_graph`); for 32 or
more sequences at once, where the arithmetic fills the GPU, it changes little (-6 % to +13 %).

On the CPU, OpenCV's crops and upsampling are faster than the tensor ones (measured in
`benchmarks/gpu_speed.py`), so there the same tracker crops and upsamples on the host:
`default_ops` chooses, in one place. Tracking B sequences together gives the boxes of tracking
them one by one (`batch_engine`, scheduled by `evaluate.runs.track_together`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .boxes import check_box
from .config import SiamFCConfig, get_preset
from .crops import crop_and_resize, exemplar_side
from .device_crops import (
    crop_batch,
    crop_windows,
    frames_to_device,
    resize_squares,
    upsample_maps,
)
from .images import as_rgb_frame, mean_color
from .interface import Tracker
from .model import SiamFCNet, build_model, default_weights, load_weights
from .runtime import (
    Precision,
    check_frame_size,
    choose_precision,
    crops_to_tensor,
    full_float32,
    resolve_device,
)
from .tracker import (
    Peak,
    Pieces,
    SiamFCTracker,
    Target,
    TrackStep,
    displacement,
    hann_window,
    inference_embedding,
    locate_peak,
    scale_factors,
    scale_penalties,
    upsample,
)

OPS = ("device", "host")


@dataclass(frozen=True)
class FastOptions:
    """How the fast tracker runs; the preset's numbers are the same on every setting.

    precision: 'fp32', 'bf16' (the network under bf16 autocast) or 'auto' (bf16 where the CPU or
    GPU computes it natively, `runtime.choose_precision`). ops: where crops and upsampling run,
    'device' or 'host' (None: `default_ops`). cuda_graph: whether each step is replayed as a
    CUDA graph (None: `uses_cuda_graph`).
    """

    precision: str = "fp32"
    ops: str | None = None
    cuda_graph: bool | None = None


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
class BatchStep:
    """One step of B sequences at S scales, everything but the host state as device tensors."""

    sides: np.ndarray  # (B, S) side of each search region in frame pixels
    crops: torch.Tensor  # (B*S, 3, 255, 255) float32, channels-last: the search images x
    raw_scores: torch.Tensor  # (B, S, 17, 17)
    upsampled: torch.Tensor  # (B, S, 272, 272)
    penalised: torch.Tensor  # (B, S, 272, 272)
    normalised: torch.Tensor  # (B, 272, 272) each sequence's chosen map, minimum 0, sum 1
    windowed: torch.Tensor  # (B, 272, 272)
    peaks: np.ndarray  # (B, 3) the chosen scale, row, col: the step's only copy to the host


def peak_tensors(peak: Peak) -> tuple[torch.Tensor, ...]:
    """`locate_peak`'s maps, then its (B, 3) peaks (scale, row, col), as a tuple of tensors."""
    peaks = torch.stack([peak.best_scale, peak.row, peak.col], dim=1)
    return peak.penalised, peak.normalised, peak.windowed, peaks


class SiamFCBatch:
    """Track B sequences at once: one exemplar each, all their search crops in one batch."""

    def __init__(
        self,
        net: SiamFCNet | None = None,
        cfg: SiamFCConfig | None = None,
        device: str | torch.device | None = None,
        options: FastOptions = FastOptions(),
    ):
        self.cfg = cfg or get_preset()
        self.device = resolve_device(device)
        self.ops = options.ops or default_ops(self.device)
        if self.ops not in OPS:
            raise ValueError(f"ops must be one of {OPS}, not {self.ops!r}")
        if options.cuda_graph and (self.device.type != "cuda" or self.ops != "device"):
            raise ValueError(
                f"cuda_graph=True needs a CUDA device and ops='device', not {self.device} and "
                f"ops={self.ops!r}"
            )
        self.precision = choose_precision(options.precision, self.device, self.cfg.name)
        self.options = dataclasses.replace(options, precision=self.precision.name)
        self.graph: StepGraph | None = None  # `device_step` recorded for one batch shape
        self.net = (net or build_model(self.cfg)).to(self.device).eval()
        self.embed = inference_embedding(self.net.backbone, self.device)
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
        target = Target.first(box, image.shape, self.cfg)
        z_side = np.array([[exemplar_side(box[2], box[3], self.cfg)]])
        z = self.crop([image], target.center[None], z_side, self.cfg.exemplar_size)
        with full_float32(self.device):
            self.kernels.append(self.embedding(z))
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
            self.device.type,
            torch.bfloat16,
            enabled=self.precision.name == "bf16",
            cache_enabled=False,  # no cache of cast weights: a CUDA graph could not record it
        )
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
        sides = np.array([t.search_sides(self.scale_factors) for t in self.targets])  # 1. (B, S)
        centers = np.array([t.center for t in self.targets])
        with full_float32(self.device):
            if self.ops == "host":  # 1-3. crops and upsampling with OpenCV
                crops = self.crop(frames, centers, sides, self.cfg.instance_size)
                raw = self.score(crops, torch.cat(self.kernels))
                upsampled = self.upsample(raw)
                peak = locate_peak(upsampled, self.penalty, self.window, self.cfg)  # 4-6.
                maps = (crops, raw, upsampled, *peak_tensors(peak))
            else:  # 1-6. on the device, from the frames and the squares to cut
                maps = self.on_device(frames, centers, sides)
        peaks = maps[-1].cpu().numpy()  # the step's only copy to the host
        best, row, col = peaks.T
        _, _, frame_px = displacement(row, col, sides[np.arange(len(sides)), best], self.cfg)
        for target, move, k in zip(self.targets, frame_px, best, strict=True):  # 7. on the host
            target.move(move, self.scale_factors[k], self.cfg)
        return BatchStep(sides, *maps[:-1], peaks)

    def on_device(self, frames: list[np.ndarray], centers: np.ndarray, sides: np.ndarray) -> tuple:
        """Steps 1-6 on the device: frames and squares go up, `device_step` runs (or its graph)."""
        squares = crop_windows(centers, sides).reshape(-1, 3).astype(np.int64)
        inputs = (
            frames_to_device(frames, self.device),
            torch.tensor([f.shape[:2] for f in frames]).to(self.device, non_blocking=True),
            torch.from_numpy(squares).to(self.device, non_blocking=True),
            torch.cat(self.kernels),
        )
        if not uses_cuda_graph(self.options.cuda_graph, self.device, self.ops, len(frames)):
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

        Returns crops, raw maps, upsampled maps, then `peak_tensors`'s four results.
        """
        crops = resize_squares(frames, sizes, squares, self.cfg.instance_size)
        raw = self.score(crops, kernels)
        upsampled = upsample_maps(raw, self.cfg.upscale_size)
        peak = locate_peak(upsampled, self.penalty, self.window, self.cfg)
        return (crops, raw, upsampled, *peak_tensors(peak))

    def score(self, crops: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
        """Each sequence's raw maps f(z, x) = 0.001 phi(z) * phi(x) + b: (B, S, 17, 17)."""
        return self.net.head(kernels, self.embedding(crops), correlate=correlate_per_sequence)


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

    `options` (`FastOptions`) chooses the precision, where crops and upsampling run and CUDA
    graphs; the precision chosen, and why, is in `self.precision`. It runs the library's pieces
    only: to track with pieces of your own, use `SiamFCTracker(pieces=...)`.
    """

    name = "SiamFC-fast"

    def __init__(
        self,
        net: SiamFCNet | None = None,
        cfg: SiamFCConfig | None = None,
        device: str | torch.device | None = None,
        options: FastOptions = FastOptions(),
    ):
        self.batch = SiamFCBatch(net, cfg, device, options)
        self.cfg, self.device, self.net = self.batch.cfg, self.batch.device, self.batch.net
        self.precision = self.batch.precision
        self.exemplar: torch.Tensor | None = None

    @classmethod
    def from_weights(
        cls,
        path: str | None = None,
        preset: str = "tiny",
        device: str | None = None,
        options: FastOptions = FastOptions(),
        **overrides,
    ) -> FastSiamFCTracker:
        """A fast tracker with trained weights (the project's shipped ones by default)."""
        model, cfg = load_weights(path or default_weights(preset), preset=preset)
        return cls(model, cfg.replace(**overrides), device, options)

    @classmethod
    def like(
        cls, tracker: SiamFCTracker, options: FastOptions = FastOptions()
    ) -> FastSiamFCTracker:
        """The fast version of a reference tracker: its network, preset and device."""
        if tracker.pieces != Pieces():
            raise ValueError(
                "this SiamFCTracker has pieces of your own; the fast tracker runs only the "
                "library's: track with the SiamFCTracker itself"
            )
        return cls(tracker.net, tracker.cfg, tracker.device, options)

    def batch_engine(self) -> SiamFCBatch:
        """An empty batch with this tracker's network and options, to track many runs at once.

        The evaluation's runner (`evaluate.runs.track_together`) schedules runs through it.
        """
        old = self.batch
        return SiamFCBatch(old.net, old.cfg, old.device, old.options)

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
        if uses_cuda_graph(batch.options.cuda_graph, batch.device, batch.ops, 1):  # a graph's
            out = dataclasses.replace(out, **clone_tensors(out))  # outputs change at its replay
        target, cfg = self.batch.targets[0], self.cfg
        best, row, col = (int(v) for v in out.peaks[0])
        side = out.sides[0, best]
        cells, crop_px, frame_px = displacement(row, col, side, cfg)
        crops = out.crops.permute(0, 2, 3, 1).to(torch.uint8)
        return TrackStep(
            self.batch.scale_factors, out.sides[0], crops, out.raw_scores[0], out.upsampled[0],
            self.batch.penalty, out.penalised[0], best, out.normalised[0], self.batch.window,
            out.windowed[0], (row, col), cells, crop_px, frame_px, target.center, target.scale,
            target.box(),
        )  # fmt: skip


def in_precision(tracker: SiamFCTracker, requested: str) -> tuple[Tracker, Precision]:
    """The tracker for a user's precision: the reference as it is in float32, else its network in
    the fast tracker under bf16 autocast; with the precision chosen (auto: `choose_precision`)."""
    chosen = choose_precision(requested, tracker.device, tracker.cfg.name)
    if chosen.name == "fp32":
        return tracker, chosen
    return FastSiamFCTracker.like(tracker, FastOptions(precision=chosen.name)), chosen


def clone_tensors(step: object) -> dict[str, torch.Tensor]:
    """A copy of each tensor field of a dataclass, by name."""
    values = {f.name: getattr(step, f.name) for f in dataclasses.fields(step)}
    return {k: v.clone() for k, v in values.items() if isinstance(v, torch.Tensor)}


def to_host(step: TrackStep) -> TrackStep:
    """The same TrackStep with every tensor copied to a NumPy array (for plotting, comparing)."""
    values = {f.name: getattr(step, f.name) for f in dataclasses.fields(step)}
    arrays = {k: v.cpu().numpy() for k, v in values.items() if isinstance(v, torch.Tensor)}
    return dataclasses.replace(step, **arrays)
