"""The training pairs of Section 2.4: an exemplar z and a search image x of one object.

A pair is two frames of the same track at most T = cfg.max_frame_gap frames apart. Both are
cropped around the target with context and mean-colour padding (Fig. 2): z is the square of side
sqrt((w+p)(h+p)), p = context*(w+h), resized to 127; x is the square 255/127 times larger, resized
to 255, so the target has the same scale in both and sits at the centre of x. With `augment`, the
authors' augmentations apply: a small random stretch of each crop, a random translation of x (the
label map is moved to match), colour jitter and, optionally, grayscale.

Every pair is a function of (seed, epoch, index) only: the same index gives the same pair in any
DataLoader worker, workers never repeat each other, and a resumed run sees the same pairs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from ..config import SiamFCConfig
from ..crops import exemplar_crop, search_crop
from ..images import mean_color, read_image
from ..losses import labels_for
from .curate import default_curated_dir, is_curated, load_curated
from .layouts.got10k import read_got10k
from .layouts.vid import find_vid_root, read_vid
from .sequence import Sequence
from .tracks import Track, tracks_from_sequences

# AlexNet's RGB principal components of ImageNet (0..255 scale): the authors' colour jitter
RGB_EIGENVALUES = np.array([55.46, 4.794, 1.148])
RGB_EIGENVECTORS = np.array(
    [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]]
)


def sample_frame_pair(
    frame_ids: np.ndarray, max_gap: int, rng: np.random.Generator
) -> tuple[int, int]:
    """Indices (z, x) of two different frames at most max_gap apart (the same one if alone)."""
    z = int(rng.integers(len(frame_ids)))
    gaps = np.abs(frame_ids - frame_ids[z])
    candidates = np.flatnonzero((gaps <= max_gap) & (gaps > 0))
    if len(candidates) == 0:
        return z, z
    return z, int(rng.choice(candidates))


@dataclass
class PairPlan:
    """Every random choice of one pair, drawn before any image is read."""

    track: int
    z: int  # index into the track's frames
    x: int
    z_stretch: float  # crop side multipliers (1 = no stretch)
    x_stretch: float
    shift: tuple[int, int]  # translation of x's crop window, in search-image pixels
    z_color: np.ndarray  # RGB offsets added to each crop
    x_color: np.ndarray
    gray: bool


def label_offset(shift: tuple[int, int], cfg: SiamFCConfig) -> tuple[float, float]:
    """Where the target lands on the score map, in cells, when x's window moved by shift px."""
    return (-shift[0] / cfg.total_stride, -shift[1] / cfg.total_stride)


def jitter(crop: np.ndarray, color: np.ndarray, gray: bool) -> np.ndarray:
    """The crop with an RGB offset added (saturating at 0 and 255), then made gray if asked."""
    if np.any(color):
        crop = cv2.add(crop, (float(color[0]), float(color[1]), float(color[2]), 0.0))
    if gray:
        crop = cv2.cvtColor(cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    return crop


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """H x W x 3 uint8 -> float32 3 x H x W, values unchanged (0..255: no normalisation)."""
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float()


@lru_cache(maxsize=1024)
def shifted_labels(cfg: SiamFCConfig, shift: tuple[int, int]) -> torch.Tensor:
    """The label map for a search crop moved by `shift` px (cached: shifts are a few integers)."""
    return labels_for(cfg, label_offset(shift, cfg)).float()


class PairDataset(Dataset):
    """Training pairs (z, x, labels): z 3x127x127, x 3x255x255 (RGB 0..255), labels 17x17.

    `source` is a list of Sequences (e.g. from `read_vid`), a list of Tracks, or a folder: a
    curated folder (see `curate`), an ImageNet VID root (its curated copy is used when present,
    unless curated=False) or a GOT-10k root.
    """

    def __init__(
        self,
        cfg: SiamFCConfig,
        source: list[Sequence] | list[Track] | str | Path,
        length: int | None = None,
        seed: int = 0,
        augment: bool = True,
        max_stretch: float = 0.05,
        max_translate: int = 4,
        color_jitter: bool = True,
        gray_prob: float = 0.0,
        curated: bool | None = None,
    ) -> None:
        self.cfg = cfg
        self.tracks, self.curated = resolve_source(source, cfg, curated)
        if not self.tracks:
            raise ValueError(f"no track with a visible target in {describe(source)}")
        self.length = cfg.pairs_per_epoch if length is None else int(length)
        self.seed = int(seed)
        self.epoch = 0
        self.augment = augment
        self.max_stretch = max_stretch
        self.max_translate = max_translate
        self.color_jitter = color_jitter
        self.gray_prob = gray_prob
        self.skipped = 0  # frames that could not be read (counted per process)
        self.skipped_by_track: dict[str, int] = {}  # the same, per sequence: one warning each

    def __len__(self) -> int:
        return self.length

    def set_epoch(self, epoch: int) -> None:
        """Draw a new set of pairs: pair i of epoch e is a function of (seed, e, i) only."""
        self.epoch = int(epoch)

    def rng(self, index: int, attempt: int = 0) -> np.random.Generator:
        """The random stream of one pair: the same index always gives the same pair."""
        return np.random.default_rng([self.seed, self.epoch, index, attempt])

    def plan(self, index: int, attempt: int = 0) -> PairPlan:
        """Draw the pair's track, frames and augmentations (no image is read)."""
        if not 0 <= index < self.length:
            raise IndexError(f"pair index {index} out of range 0..{self.length - 1}")
        rng = self.rng(index, attempt)
        track = int(rng.integers(len(self.tracks)))
        z, x = sample_frame_pair(self.tracks[track].frame_ids, self.cfg.max_frame_gap, rng)
        no_color = np.zeros(3)
        if not self.augment:
            return PairPlan(track, z, x, 1.0, 1.0, (0, 0), no_color, no_color, False)
        stretch = rng.uniform(1 - self.max_stretch, 1 + self.max_stretch, size=2)
        shift = rng.integers(-self.max_translate, self.max_translate + 1, size=2)
        colors = (rng.normal(0, 0.1, size=(2, 3)) * RGB_EIGENVALUES) @ RGB_EIGENVECTORS.T
        if not self.color_jitter:
            colors = np.zeros((2, 3))
        gray = bool(rng.random() < self.gray_prob)
        return PairPlan(
            track, z, x, float(stretch[0]), float(stretch[1]),
            (int(shift[0]), int(shift[1])), colors[0], colors[1], gray,
        )  # fmt: skip

    def frame_gap(self, index: int) -> int:
        """How many frames apart the exemplar and the search image of pair `index` are."""
        p = self.plan(index)
        ids = self.tracks[p.track].frame_ids
        return abs(int(ids[p.x]) - int(ids[p.z]))

    def _pad_color(self, track: Track, k: int, image: np.ndarray) -> tuple:
        """The colour outside the frame: the full frame's mean (stored with curated crops)."""
        if track.pad_colors is not None:
            return tuple(track.pad_colors[k])
        return mean_color(image)

    def _skip(self, track: str, error: Exception) -> None:
        """Count an unreadable frame, warning once per sequence: the pair is redrawn, never
        mislabelled (`skipped_by_track` holds the counts)."""
        self.skipped += 1
        seen = self.skipped_by_track.get(track, 0)
        self.skipped_by_track[track] = seen + 1
        if not seen:
            warnings.warn(f"{track}: {error}; pairs that need an unreadable frame of this sequence "
                          "are drawn again (counted in skipped_by_track, not warned again)",
                          stacklevel=3)  # fmt: skip

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Pair `index`: (z float32 3x127x127, x float32 3x255x255, labels float32 17x17)."""
        for attempt in range(20):
            p = self.plan(index, attempt)
            track = self.tracks[p.track]
            try:
                z_image = read_image(track.frames[p.z])
                x_image = z_image if p.x == p.z else read_image(track.frames[p.x])
            except (OSError, ValueError) as error:
                self._skip(track.name, error)
                continue
            z_pad = self._pad_color(track, p.z, z_image)
            x_pad = self._pad_color(track, p.x, x_image)
            z = exemplar_crop(z_image, track.boxes[p.z], self.cfg, z_pad, p.z_stretch)
            x = search_crop(x_image, track.boxes[p.x], self.cfg, x_pad, p.x_stretch, p.shift)
            labels = shifted_labels(self.cfg, p.shift).clone()
            return (
                to_tensor(jitter(z, p.z_color, p.gray)),
                to_tensor(jitter(x, p.x_color, p.gray)),
                labels,
            )
        raise ValueError(f"pair {index}: 20 draws in a row hit unreadable frames; check the data")


# ----------------------------------------------------------------------------- sources


def describe(source: object) -> str:
    """A short description of a source for error messages."""
    if isinstance(source, (str, Path)):
        return str(source)
    return f"a list of {len(source)} items" if isinstance(source, list) else repr(source)


def resolve_source(
    source: list[Sequence] | list[Track] | str | Path, cfg: SiamFCConfig, curated: bool | None
) -> tuple[list[Track], bool]:
    """The tracks to sample from, and whether they are curated crops."""
    if isinstance(source, list):
        if all(isinstance(item, Track) for item in source):
            return list(source), any(t.pad_colors is not None for t in source)
        if all(isinstance(item, Sequence) for item in source):
            if curated:
                raise ValueError("curated=True needs a curated folder, not a list of Sequences")
            return tracks_from_sequences(source), False
        raise ValueError("a pair source list must hold Sequences or Tracks")
    root = Path(source)
    if not root.exists():
        raise FileNotFoundError(f"no pair source at {root}")
    if is_curated(root):
        return load_curated(root, cfg), True
    if (root / "train" / "list.txt").is_file():
        if curated:
            raise ValueError(f"no curated copy of {root}; make one with curate()")
        return tracks_from_sequences(read_got10k(root, "train")), False
    vid_root = find_vid_root(root)  # raises a clear error for any other layout
    curated_dir = default_curated_dir(vid_root)
    if curated is not False and is_curated(curated_dir):
        return load_curated(curated_dir, cfg), True
    if curated:
        raise ValueError(f"no curated copy at {curated_dir}; make one with curate({vid_root})")
    return tracks_from_sequences(read_vid(vid_root, "train")), False
