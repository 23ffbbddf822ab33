"""A tracking sequence: frames, ground-truth boxes and attributes, whatever the data set."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Sequence:
    """One video with one target: its frames and one 0-based xywh box per frame (NaN if absent)."""

    name: str
    frames: list  # image paths, or RGB arrays (frames decoded from a video)
    boxes: np.ndarray  # (N, 4) float64, 0-based [x, y, w, h]; NaN rows where the target is absent
    attributes: list[str] = field(default_factory=list)
    absent: np.ndarray | None = None  # (N,) bool, True where the target is not visible

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, dtype=np.float64).reshape(-1, 4)
        if len(self.frames) != len(self.boxes):
            raise ValueError(
                f"sequence {self.name!r}: {len(self.frames)} frames but {len(self.boxes)} boxes"
            )

    def __len__(self) -> int:
        return len(self.frames)
