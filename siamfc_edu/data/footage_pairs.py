"""Training pairs from real video with no boxes at all: a random box, and its motion measured.

Any patch of a real frame is an object for the similarity the network learns (Section 2): "is
this the same thing as the exemplar?". So a pair can be cut from unlabelled footage:

1. draw a random box with some texture (0.4-12 % of the frame, aspect 1/3-3) in a frame;
2. the exemplar z is its context crop;
3. half of the time, the search image x comes from a frame 1-4 frames away, where the box's
   motion is measured by normalised cross-correlation (`measure_motion`) and accepted only when
   the peak is strong (>= 0.75) and unique; otherwise x comes from the same frame (no motion).
   A pair whose motion check fails is never given a guessed label;
4. x is shifted by up to +-4 score-map cells (the labels move with it), rescaled +-15 %,
   stretched +-5 %, with colour, blur and noise changes.

Every pair is a function of (seed, epoch, index) only, like `PairDataset`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from ..config import SiamFCConfig
from ..crops import exemplar_crop, search_crop
from .footage import OPENCV_VIDEOS, SHIPPED_VIDEOS, iter_video, video_path
from .pairs import (
    RGB_EIGENVALUES,
    RGB_EIGENVECTORS,
    jitter,
    shifted_labels,
    to_tensor,
)
from .split import held_out_start

MIN_SIDE = 127  # footage whose shorter side is below the exemplar's size is refused
MIN_TEXTURE = 12.0  # standard deviation of a box's gray levels (0..255) below which it is flat
STRICT_MARGIN = 0.2  # a stricter uniqueness margin (experiments/footage_motion_audit.py)


@dataclass
class FootageClip:
    """The frames of one video that pairs may use (RGB uint8, all of one size)."""

    name: str
    frames: np.ndarray  # (n, H, W, 3)
    first: int  # the frame number of frames[0] in the video


def load_clip(source: str | Path, part: str = "all", max_side: int = 640) -> FootageClip:
    """The frames of a clip, file or folder: 'all', 'train' (first 3/4) or 'held_out' (last 1/4).

    The split matches the generator's: the last quarter of every clip is kept for evaluation.
    Large frames are shrunk so the longer side is at most max_side (pairs are crops anyway).
    """
    path = video_path(source)
    frames = list(iter_video(path, max_side=max_side))
    if not frames:
        raise ValueError(f"{path}: no frame could be decoded")
    sizes = {f.shape for f in frames}
    if len(sizes) > 1:
        raise ValueError(f"{path}: frames of different sizes {sorted(sizes)}; use one size")
    h, w = frames[0].shape[:2]
    if min(h, w) < MIN_SIDE:
        raise ValueError(f"{path}: frames of {w}x{h} are too small for pairs (need >= {MIN_SIDE})")
    cut = held_out_start(len(frames))
    ranges = {"all": (0, len(frames)), "train": (0, cut), "held_out": (cut, len(frames))}
    if part not in ranges:
        raise ValueError(f"part must be one of {sorted(ranges)}, not {part!r}")
    start, stop = ranges[part]
    if stop - start < 2:
        raise ValueError(f"{path}: only {stop - start} frame(s) in its {part!r} part")
    named = isinstance(source, str) and (source in SHIPPED_VIDEOS or source in OPENCV_VIDEOS)
    name = source if named else path.name
    return FootageClip(str(name), np.stack(frames[start:stop]), start)


def random_box(shape: tuple, rng: np.random.Generator) -> np.ndarray:
    """A box inside the frame: area 0.4-12 % of it (log-uniform), aspect 1/3-3 (log-uniform)."""
    h, w = shape[:2]
    area = np.exp(rng.uniform(np.log(0.004), np.log(0.12))) * w * h
    aspect = np.exp(rng.uniform(np.log(1 / 3), np.log(3)))  # width / height
    bw = min(np.sqrt(area * aspect), w - 1)
    bh = min(np.sqrt(area / aspect), h - 1)
    x = rng.uniform(0, w - bw)
    y = rng.uniform(0, h - bh)
    return np.array([x, y, bw, bh])


def gray(image: np.ndarray) -> np.ndarray:
    """The gray levels of an RGB image, float32 (what the motion check compares)."""
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)


def has_texture(image: np.ndarray, box: np.ndarray) -> bool:
    """Whether the box holds something to match (flat sky or wall does not)."""
    x, y, w, h = np.round(box).astype(int)
    return float(gray(image[y : y + h, x : x + w]).std()) >= MIN_TEXTURE


def measure_motion(
    src: np.ndarray,
    dst: np.ndarray,
    box: np.ndarray,
    min_peak: float = 0.75,
    min_margin: float = 0.1,
) -> np.ndarray | None:
    """Where the box's content moved from src to dst (a box), or None if the match is doubtful.

    Normalised cross-correlation of the box against dst, within half a box of where it was. The
    match is accepted when its peak is strong (>= min_peak), unique (no other match within
    min_margin of it, away from the peak), and not on the border of the search region.
    """
    x, y, w, h = np.round(box).astype(int)
    margin = max(8, int(0.5 * max(w, h)))
    x0, y0 = max(0, x - margin), max(0, y - margin)
    x1, y1 = min(dst.shape[1], x + w + margin), min(dst.shape[0], y + h + margin)
    template = gray(src[y : y + h, x : x + w])
    region = gray(dst[y0:y1, x0:x1])
    if region.shape[0] <= h or region.shape[1] <= w:
        return None
    scores = cv2.matchTemplate(region, template, cv2.TM_CCOEFF_NORMED)
    _, peak, _, (px, py) = cv2.minMaxLoc(scores)
    if not np.isfinite(peak) or peak < min_peak:
        return None
    if px in (0, scores.shape[1] - 1) or py in (0, scores.shape[0] - 1):
        return None  # on the border: it may have moved further than was searched
    away = scores.copy()
    r = max(2, min(w, h) // 4)  # the peak's own neighbourhood
    away[max(0, py - r) : py + r + 1, max(0, px - r) : px + r + 1] = -1
    if away.max() > peak - min_margin:
        return None  # a second, almost equal match: repeated texture, ambiguous
    return np.array([x0 + px, y0 + py, w, h], dtype=np.float64)


@dataclass
class FootagePlan:
    """Every random choice of one footage pair, drawn before any crop is made."""

    clip: int
    z: int  # frame index in the clip
    x: int
    box: np.ndarray  # the exemplar's box in frame z
    z_stretch: float
    x_stretch: float  # rescale (+-15 %) times stretch (+-5 %)
    shift: tuple[int, int]
    z_color: np.ndarray
    x_color: np.ndarray
    blur: float  # Gaussian blur sigma of x, 0 = none
    noise: float  # Gaussian noise sigma of x (gray levels), 0 = none
    noise_seed: int = 0


class FootagePairs(Dataset):
    """Label-free pairs (z, x, labels) from real video, in the interface of `PairDataset`.

    `videos`: shipped clip names, video files or image folders (default: the shipped clips).
    `part`: which frames to cut pairs from: 'train' (the first 3/4, default), 'held_out', 'all'.
    `min_peak`, `min_margin`: how strong and how unique a motion match must be (`measure_motion`);
    `min_margin=STRICT_MARGIN` also refuses a template that matches two moving things about as
    well (a pedestrian half hidden by another), at the cost of some moving pairs
    (experiments/footage_motion_audit.py).
    """

    def __init__(
        self,
        cfg: SiamFCConfig,
        videos: list[str | Path] | None = None,
        length: int | None = None,
        seed: int = 0,
        part: str = "train",
        augment: bool = True,
        max_gap: int = 4,
        moving_prob: float = 0.5,
        min_peak: float = 0.75,
        min_margin: float = 0.1,
        max_translate: int = 4,
        max_rescale: float = 0.15,
        max_stretch: float = 0.05,
    ) -> None:
        self.cfg = cfg
        videos = list(SHIPPED_VIDEOS) if videos is None else list(videos)
        if not videos:
            raise ValueError("no video to cut footage pairs from")
        self.clips = [load_clip(v, part) for v in videos]
        self.length = cfg.pairs_per_epoch if length is None else int(length)
        self.seed, self.epoch, self.augment = int(seed), 0, augment
        self.max_gap, self.moving_prob, self.min_peak = max_gap, moving_prob, min_peak
        self.min_margin = min_margin
        self.max_translate, self.max_rescale, self.max_stretch = (
            max_translate, max_rescale, max_stretch,
        )  # fmt: skip
        sizes = np.array([len(c.frames) for c in self.clips], dtype=np.float64)
        self.clip_weights = sizes / sizes.sum()  # every frame equally likely

    def __len__(self) -> int:
        return self.length

    def set_epoch(self, epoch: int) -> None:
        """Draw a new set of pairs: pair i of epoch e is a function of (seed, e, i) only."""
        self.epoch = int(epoch)

    def rng(self, index: int, attempt: int = 0) -> np.random.Generator:
        """The random stream of one pair."""
        return np.random.default_rng([self.seed, self.epoch, index, attempt, 7])

    def plan(self, index: int, attempt: int = 0) -> FootagePlan:
        """Draw the pair's frames, box and augmentations (no motion measured yet)."""
        if not 0 <= index < self.length:
            raise IndexError(f"pair index {index} out of range 0..{self.length - 1}")
        rng = self.rng(index, attempt)
        clip = int(rng.choice(len(self.clips), p=self.clip_weights))
        n = len(self.clips[clip].frames)
        z = int(rng.integers(n))
        box = random_box(self.clips[clip].frames.shape[1:], rng)
        x = z
        if rng.random() < self.moving_prob:
            x = int(np.clip(z + rng.choice([-1, 1]) * rng.integers(1, self.max_gap + 1), 0, n - 1))
        zero = np.zeros(3)
        if not self.augment:
            return FootagePlan(clip, z, x, box, 1.0, 1.0, (0, 0), zero, zero, 0.0, 0.0)
        s = self.max_stretch
        z_stretch = rng.uniform(1 - s, 1 + s)
        rescale = rng.uniform(1 - self.max_rescale, 1 + self.max_rescale)
        x_stretch = rescale * rng.uniform(1 - s, 1 + s)
        shift = rng.integers(-self.max_translate, self.max_translate + 1, size=2)
        colors = (rng.normal(0, 0.1, size=(2, 3)) * RGB_EIGENVALUES) @ RGB_EIGENVECTORS.T
        blur = rng.uniform(0.5, 1.5) if rng.random() < 0.2 else 0.0
        noise = rng.uniform(2, 8) if rng.random() < 0.2 else 0.0
        return FootagePlan(
            clip, z, x, box, z_stretch, x_stretch, (int(shift[0]), int(shift[1])),
            colors[0], colors[1], blur, noise, int(rng.integers(2**31)),
        )  # fmt: skip

    def search_box(self, p: FootagePlan) -> tuple[int, np.ndarray]:
        """The frame of x and the exemplar's box there: measured motion, or the same frame."""
        frames = self.clips[p.clip].frames
        if p.x == p.z:
            return p.z, p.box
        moved = measure_motion(frames[p.z], frames[p.x], p.box, self.min_peak, self.min_margin)
        if moved is None:
            return p.z, p.box  # the check failed: no motion rather than a guessed one
        return p.x, moved

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Pair `index`: (z float32 3x127x127, x float32 3x255x255, labels float32 17x17)."""
        for attempt in range(50):
            p = self.plan(index, attempt)
            frames = self.clips[p.clip].frames
            if has_texture(frames[p.z], p.box):
                break
        else:
            raise ValueError(f"pair {index}: no textured box in 50 draws; is the footage blank?")
        x_frame, x_box = self.search_box(p)
        z_image, x_image = frames[p.z], frames[x_frame]
        pad = tuple(float(v) for v in z_image.reshape(-1, 3).mean(axis=0))
        z = exemplar_crop(z_image, p.box, self.cfg, pad, p.z_stretch)
        x = search_crop(x_image, x_box, self.cfg, pad, p.x_stretch, p.shift)
        x = degrade(jitter(x, p.x_color, False), p.blur, p.noise, p.noise_seed)
        return (
            to_tensor(jitter(z, p.z_color, False)),
            to_tensor(x),
            shifted_labels(self.cfg, p.shift).clone(),
        )


def degrade(image: np.ndarray, blur: float, noise: float, seed: int = 0) -> np.ndarray:
    """The image blurred (Gaussian, sigma `blur`) and with Gaussian noise of sigma `noise` added."""
    if blur > 0:
        image = cv2.GaussianBlur(image, (0, 0), blur)
    if noise > 0:
        grain = np.random.default_rng(seed).normal(0, noise, image.shape).astype(np.float32)
        noisy = image.astype(np.float32) + grain
        image = np.clip(noisy, 0, 255).astype(np.uint8)
    return image
