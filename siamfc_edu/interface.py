"""The tracker interface (the got10k toolkit's): init on the first frame, update on the others.

Every tracker of the project, SiamFC and the baselines, implements it; the evaluation code only
needs it. This module imports neither torch nor the network, so baselines and metrics need none.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .boxes import check_box
from .images import read_image


class Tracker(ABC):
    """Learn the target from one box in the first frame, then report its box in every frame."""

    name = "Tracker"

    @abstractmethod
    def init(self, image: np.ndarray, box: Sequence[float]) -> None:
        """Learn the target from the first frame and its 0-based [x, y, w, h] box."""

    @abstractmethod
    def update(self, image: np.ndarray) -> np.ndarray:
        """Locate the target in the next frame; return its box, float64 [x, y, w, h]."""

    def track(
        self, img_files: Sequence[str | Path | np.ndarray], box: Sequence[float]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Run over image files (or RGB arrays) from the first box: (N, 4) boxes, (N,) seconds."""
        boxes = np.zeros((len(img_files), 4))
        times = np.zeros(len(img_files))
        for i, path in enumerate(img_files):
            image = path if isinstance(path, np.ndarray) else read_image(path)
            start = time.perf_counter()
            if i == 0:
                self.init(image, box)
                boxes[0] = check_box(box, image.shape)
            else:
                boxes[i] = self.update(image)
            times[i] = time.perf_counter() - start
        return boxes, times
