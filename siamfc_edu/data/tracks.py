"""A track: the frames of one object that training pairs are drawn from, with its boxes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .sequence import Sequence


@dataclass
class Track:
    """The frames of one object that a pair can use: images, boxes, frame numbers, pad colours."""

    name: str
    frames: list[str]  # image paths (full frames, or curated crops)
    boxes: np.ndarray  # (n, 4) 0-based xywh in those images
    frame_ids: np.ndarray  # (n,) frame numbers in the original video: T is measured on these
    pad_colors: np.ndarray | None = None  # (n, 3) the full frame's mean RGB (curated crops only)

    def __len__(self) -> int:
        return len(self.frames)


def tracks_from_sequences(sequences: list[Sequence]) -> list[Track]:
    """Keep the frames where the target is present; sequences with none are dropped."""
    tracks = []
    for seq in sequences:
        present = np.isfinite(seq.boxes).all(axis=1)
        if seq.absent is not None:
            present &= ~np.asarray(seq.absent, bool)
        ids = np.flatnonzero(present)
        if len(ids):
            frames = [seq.frames[i] for i in ids]
            tracks.append(Track(seq.name, frames, seq.boxes[ids], ids))
    return tracks
