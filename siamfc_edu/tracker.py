"""The SiamFC tracker (Section 2.4): search a scale pyramid for the exemplar, frame after frame.

First frame (`init`): cut the exemplar z around the target (context square, 127 x 127) and embed
it once: phi(z). Every other frame (`step`), in this order:

1. the scale pyramid: search regions of the last size times s^k (k = -1, 0, 1 for 3 scales),
   cut around the last position and resized to 255 x 255;
2. the score maps: f(z, x) = 0.001 * phi(z) * phi(x) + b, one 17 x 17 map per scale;
3. upsampling: each map x16 with bicubic interpolation (17 -> 272), for a sub-cell peak;
4. the scale penalty: every scale but the current one is multiplied by 0.9745; the scale with the
   highest peak wins;
5. the cosine window: the chosen map, normalised to sum 1, is mixed with a Hann window (the
   target moves little between frames);
6. the displacement: the peak's offset from the centre, from upsampled cells to score-map cells
   (/16), to search-crop pixels (x8, the total stride), to frame pixels (x side / 255);
7. the new state: the centre moves to the peak; the size moves only part of the way towards the
   chosen scale (damping 0.59).

`step` returns all of it as a `TrackStep`; `update` is `step(image).box`. The interface is the
got10k toolkit's: `init(image, box)`, `update(image) -> box`, `track(img_files, box)`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from .backbone import AlexNetEmbedding, fuse_for_inference
from .boxes import box_center, center_box, check_box
from .config import SiamFCConfig, get_preset
from .crops import crop_and_resize, exemplar_side, search_side
from .head import cross_correlation
from .images import as_rgb_frame, mean_color
from .interface import Tracker
from .model import SiamFCNet, build_model, default_weights, load_weights
from .runtime import check_frame_size, crops_to_tensor, full_float32, resolve_device

Maps = np.ndarray | torch.Tensor  # NumPy in the reference tracker, tensors on a device


def scale_factors(cfg: SiamFCConfig) -> np.ndarray:
    """The pyramid's factors s^k, k = -(n-1)/2 .. (n-1)/2: [1/1.0375, 1, 1.0375] for SiamFC-3s."""
    n = cfg.scale_num
    return cfg.scale_step ** (np.arange(n) - (n - 1) / 2)


def scale_penalties(cfg: SiamFCConfig) -> np.ndarray:
    """One factor per scale: 1 for keeping the current size, scale_penalty for changing it."""
    penalty = np.full(cfg.scale_num, cfg.scale_penalty, dtype=np.float32)
    penalty[cfg.scale_num // 2] = 1.0
    return penalty


def upsample(scores: np.ndarray, size: int) -> np.ndarray:
    """Each (17 x 17) score map resized to size x size with bicubic interpolation."""
    return np.stack([cv2.resize(s, (size, size), interpolation=cv2.INTER_CUBIC) for s in scores])


def penalise(maps: Maps, penalty: Maps) -> Maps:
    """Each scale's map multiplied by its penalty factor: maps (..., S, H, W), penalty (S,)."""
    return maps * penalty[:, None, None]


def best_scale(penalised: Maps) -> Maps:
    """The scale whose penalised map has the highest peak: (..., S, H, W) -> (...) indices."""
    return map_max(penalised).argmax(-1)


def normalise(score_map: Maps) -> Maps:
    """The map shifted to a minimum of 0 and scaled to sum 1, like the window it is mixed with."""
    shifted = score_map - map_min(score_map)[..., None, None]
    return shifted / (shifted.sum((-2, -1))[..., None, None] + 1e-16)


def apply_window(normalised: Maps, window: Maps, influence: float) -> Maps:
    """The normalised map mixed with the cosine window: (1 - influence) map + influence window."""
    return (1 - influence) * normalised + influence * window


def find_peak(windowed: Maps) -> tuple[Maps, Maps]:
    """The (row, col) of each map's maximum, the first one on a tie: (..., H, W) -> (...), (...)."""
    flat = windowed.reshape(*windowed.shape[:-2], -1).argmax(-1)
    width = windowed.shape[-1]
    return flat // width, flat % width


def displacement(
    row: int | np.ndarray, col: int | np.ndarray, side: float | np.ndarray, cfg: SiamFCConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The peak's (dx, dy) from the centre in score-map cells, search-crop px and frame px.

    One peak gives arrays of shape (2,); B peaks (rows, cols and sides of shape (B,)) give (B, 2).
    """
    upsampled_cells = np.stack([col, row], axis=-1) - (cfg.upscale_size - 1) / 2
    cells = upsampled_cells / cfg.response_up
    crop_px = cells * cfg.total_stride
    frame_px = crop_px * np.asarray(side)[..., None] / cfg.instance_size
    return cells, crop_px, frame_px


def damped_scale(scale: float, factor: float, cfg: SiamFCConfig) -> float:
    """The size moves part of the way (scale_lr) towards the chosen scale, within the limits."""
    damped = (1 - cfg.scale_lr) + cfg.scale_lr * factor
    return float(np.clip(scale * damped, cfg.min_scale, cfg.max_scale))


def hann_window(size: int) -> np.ndarray:
    """A 2-D cosine (Hann) window of size x size that sums to 1: the tracker's motion prior."""
    h = np.hanning(size)
    window = np.outer(h, h)
    return window / window.sum()


@dataclass(frozen=True)
class Pieces:
    """The functions one frame is made of: the library's, or your own swapped in (the capstone).

    `SiamFCTracker(..., pieces=Pieces(upsample=my_upsample))` tracks with your upsampling and the
    library's everything else. Each piece has the signature of the library function it defaults to.
    """

    crop: Callable = crop_and_resize  # (image, center, side, out_size, pad_color) -> crop
    correlate: Callable = cross_correlation  # (phi(z), phi(x)) -> maps, before x0.001 + b
    upsample: Callable = upsample  # (maps, size) -> maps
    penalise: Callable = penalise  # (maps, penalty per scale) -> maps
    normalise: Callable = normalise  # (score map) -> map with minimum 0 and sum 1
    window: Callable = apply_window  # (normalised map, window, influence) -> windowed map
    displacement: Callable = displacement  # (row, col, side, cfg) -> (cells, crop px, frame px)
    damp: Callable = damped_scale  # (scale, factor, cfg) -> new scale


@dataclass(frozen=True)
class Peak:
    """Steps 4-6 up to the peak, for S scales (and any leading batch dimensions)."""

    penalised: Maps  # (..., S, H, W) each scale's map times its penalty
    best_scale: Maps  # (...) the scale whose penalised map has the highest peak
    normalised: Maps  # (..., H, W) the chosen map, minimum 0, sum 1
    windowed: Maps  # (..., H, W) (1 - influence) * normalised + influence * window
    row: Maps  # (...) the windowed map's maximum
    col: Maps


def locate_peak(
    upsampled: Maps, penalty: Maps, window: Maps, cfg: SiamFCConfig, pieces: Pieces = Pieces()
) -> Peak:
    """Steps 4-6 on upsampled maps (..., S, H, W): penalise, choose a scale, window, find the peak.

    The one home of these steps: the reference tracker runs it on (S, H, W) NumPy arrays, the
    fast tracker on (B, S, H, W) tensors on its device.
    """
    penalised = pieces.penalise(upsampled, penalty)  # 4. the scale penalty
    best = best_scale(penalised)
    normalised = pieces.normalise(chosen_scale(penalised, best))  # 5. the cosine window
    windowed = pieces.window(normalised, window, cfg.window_influence)
    row, col = find_peak(windowed)  # 6. the peak
    return Peak(penalised, best, normalised, windowed, row, col)


@dataclass
class Target:
    """One tracked target's state: its centre and its size relative to the first frame."""

    center: np.ndarray  # (cx, cy) in the frame
    scale: float  # current size = base_size * scale
    base_size: np.ndarray  # (w, h) in the first frame
    base_x_side: float  # side of the search region at scale 1
    frame_shape: tuple[int, ...]  # the first frame's shape: every later frame must have it

    @classmethod
    def first(cls, box: np.ndarray, frame_shape: tuple[int, ...], cfg: SiamFCConfig) -> Target:
        """The state after the first frame: the given box, at scale 1."""
        side = search_side(box[2], box[3], cfg)
        return cls(box_center(box), 1.0, box[2:].copy(), side, frame_shape)

    def search_sides(self, factors: np.ndarray) -> np.ndarray:
        """1. the scale pyramid: the search region's side at each scale, in frame pixels."""
        return self.base_x_side * self.scale * factors

    def move(
        self, frame_px: np.ndarray, factor: float, cfg: SiamFCConfig, damp: Callable = damped_scale
    ) -> None:
        """7. the centre moves to the peak (kept in the frame), the size is damped by scale_lr."""
        height, width = self.frame_shape[:2]
        self.center = np.clip(self.center + frame_px, 0, [width - 1, height - 1])
        self.scale = damp(self.scale, factor, cfg)

    def box(self) -> np.ndarray:
        """The current target box, 0-based [x, y, w, h]."""
        return center_box(self.center, self.base_size * self.scale)


@dataclass(frozen=True)
class TrackStep:
    """Everything one frame of SiamFC computed, in the order it computed it (S scales).

    NumPy arrays from `SiamFCTracker`; the maps stay tensors on the device from the fast tracker
    (`fast_tracker.to_host` copies them).
    """

    # 1. the scale pyramid
    scale_factors: np.ndarray  # (S,) s^k
    search_sides: np.ndarray  # (S,) side of each search region in frame pixels
    search_crops: Maps  # (S, 255, 255, 3) uint8 RGB: the search images x
    # 2-4. score maps, upsampling, scale penalty
    raw_scores: Maps  # (S, 17, 17) f(z, x) for each scale
    upsampled: Maps  # (S, 272, 272) bicubic x16
    penalty: Maps  # (S,) 1 for the current scale, scale_penalty for the others
    penalised: Maps  # (S, 272, 272) upsampled * penalty
    best_scale: int  # the scale whose penalised map has the highest peak
    # 5. the cosine window on the chosen map
    normalised: Maps  # (272, 272) the chosen map, minimum 0, sum 1
    window: Maps  # (272, 272) the Hann window, sum 1
    windowed: Maps  # (272, 272) (1 - influence) * normalised + influence * window
    # 6. the displacement of the peak from the centre, (dx, dy) in each unit
    peak: tuple[int, int]  # (row, col) of the maximum of `windowed`
    displacement_cells: np.ndarray  # in score-map cells (1 cell = total stride = 8 crop px)
    displacement_crop: np.ndarray  # in search-crop pixels
    displacement_frame: np.ndarray  # in frame pixels
    # 7. the new state
    center: np.ndarray  # (cx, cy) the target's new centre in the frame
    scale: float  # its size relative to the first frame, after damping
    box: np.ndarray  # [x, y, w, h] 0-based


class SiamFCTracker(Tracker):
    """SiamFC-3s (or any preset): a fixed exemplar, a scale pyramid, a cosine window."""

    name = "SiamFC"

    def __init__(
        self,
        net: SiamFCNet | None = None,
        cfg: SiamFCConfig | None = None,
        device: str | torch.device | None = None,
        pieces: Pieces | None = None,
    ):
        self.cfg = cfg or get_preset()
        self.pieces = pieces or Pieces()
        self.device = resolve_device(device)
        self.net = (net or build_model(self.cfg)).to(self.device).eval()
        self.embed = inference_embedding(self.net.backbone, self.device)
        self.scale_factors = scale_factors(self.cfg)
        self.penalty = scale_penalties(self.cfg)
        self.window = hann_window(self.cfg.upscale_size)
        self.kernel: torch.Tensor | None = None  # phi(z), set by init
        self.target: Target | None = None  # where the target is, set by init

    @classmethod
    def from_weights(
        cls, path: str | None = None, preset: str = "tiny", device: str | None = None, **overrides
    ) -> SiamFCTracker:
        """A tracker with trained weights (the project's shipped ones by default)."""
        model, cfg = load_weights(path or default_weights(preset), preset=preset)
        return cls(model, cfg.replace(**overrides), device)

    # ------------------------------------------------------------------ first frame

    @torch.inference_mode()
    def init(self, image: np.ndarray, box: Sequence[float]) -> None:
        """Remember the target: its centre, its size and the embedding of its exemplar crop z."""
        image = as_rgb_frame(image)
        box = check_box(box, image.shape)
        target = Target.first(box, image.shape, self.cfg)
        z_side, z_size = exemplar_side(box[2], box[3], self.cfg), self.cfg.exemplar_size
        self.exemplar = self.pieces.crop(image, target.center, z_side, z_size, mean_color(image))
        with full_float32(self.device):
            self.kernel = self.embed(crops_to_tensor([self.exemplar], self.device))  # phi(z)
        self.target = target

    @property
    def center(self) -> np.ndarray:
        """The target's centre (cx, cy) in the frame."""
        return self.target.center

    @center.setter
    def center(self, value: np.ndarray) -> None:
        self.target.center = np.asarray(value, dtype=float)

    @property
    def scale(self) -> float:
        """The target's size relative to the first frame."""
        return self.target.scale

    @scale.setter
    def scale(self, value: float) -> None:
        self.target.scale = float(value)

    # ------------------------------------------------------------------ every other frame

    def update(self, image: np.ndarray) -> np.ndarray:
        """Locate the target in a new frame; return its box, 0-based [x, y, w, h]."""
        return self.step(image).box

    @torch.inference_mode()
    def step(self, image: np.ndarray) -> TrackStep:
        """One frame of SiamFC, steps 1-7 of the module docstring, with every intermediate."""
        if self.kernel is None:
            raise RuntimeError("the tracker has no target yet: call init(frame, box) first")
        image = as_rgb_frame(image)
        check_frame_size(image, self.target.frame_shape)
        cfg, pieces = self.cfg, self.pieces
        sides = self.target.search_sides(self.scale_factors)  # 1. the scale pyramid
        crops = self.search_crops(image, sides)
        raw = self.score(crops)  # 2. f(z, x) per scale
        upsampled = pieces.upsample(raw, cfg.upscale_size)  # 3. x16 bicubic
        peak = locate_peak(upsampled, self.penalty, self.window, cfg, pieces)  # 4-6.
        best, row, col = int(peak.best_scale), int(peak.row), int(peak.col)
        cells, crop_px, frame_px = pieces.displacement(row, col, sides[best], cfg)
        self.target.move(frame_px, self.scale_factors[best], cfg, pieces.damp)  # 7. new state
        return TrackStep(
            self.scale_factors, sides, crops, raw, upsampled, self.penalty, peak.penalised, best,
            peak.normalised, self.window, peak.windowed, (row, col), cells, crop_px, frame_px,
            self.target.center, self.target.scale, self.box(),
        )  # fmt: skip

    def search_crops(self, image: np.ndarray, sides: np.ndarray) -> np.ndarray:
        """The search region at every scale, centred on the last position, each 255 x 255."""
        pad = mean_color(image)
        size = self.cfg.instance_size
        return np.stack([self.pieces.crop(image, self.center, s, size, pad) for s in sides])

    def score(self, crops: np.ndarray) -> np.ndarray:
        """The raw 17 x 17 score map f(z, x) of every search crop: (S, 17, 17)."""
        x = crops_to_tensor(crops, self.device)
        with full_float32(self.device):
            scores = self.net.head(self.kernel, self.embed(x), correlate=self.pieces.correlate)
        return scores[:, 0].float().cpu().numpy()

    def box(self) -> np.ndarray:
        """The current target box, 0-based [x, y, w, h]."""
        return self.target.box()


# ---------------------------------------------------------------------- NumPy or torch alike


def map_max(maps: Maps) -> Maps:
    """Each map's highest value: (..., H, W) -> (...)."""
    return maps.amax((-2, -1)) if isinstance(maps, torch.Tensor) else maps.max((-2, -1))


def map_min(maps: Maps) -> Maps:
    """Each map's lowest value: (..., H, W) -> (...)."""
    return maps.amin((-2, -1)) if isinstance(maps, torch.Tensor) else maps.min((-2, -1))


def chosen_scale(maps: Maps, best: Maps) -> Maps:
    """The map of the chosen scale: (S, H, W) and an index, or (B, S, H, W) and B indices."""
    if maps.ndim == 3:
        return maps[int(best)]
    if isinstance(best, torch.Tensor):
        return maps[torch.arange(len(best), device=best.device), best]
    return maps[np.arange(len(best)), best]


def inference_embedding(embedding: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """phi for tracking: an AlexNet's batch norms folded into its convolutions, channels-last."""
    if isinstance(embedding, AlexNetEmbedding):
        embedding = fuse_for_inference(embedding)
    return embedding.eval().to(device, memory_format=torch.channels_last)
