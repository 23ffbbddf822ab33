"""Figures of SiamFC as plain functions: arrays to show, or matplotlib figures.

The command line, the notebooks and the widgets all draw with these, so a figure means the same
thing everywhere. Functions named `draw_*` return a new RGB uint8 array (fast: for widgets and
videos); functions named `plot_*` return a matplotlib Figure (for notebooks and exports).
"""

from __future__ import annotations

import cv2
import numpy as np

BOX_COLOR = (255, 64, 64)  # the tracker's box
TRUTH_COLOR = (64, 220, 64)  # a ground-truth box


def draw_box(
    frame: np.ndarray, box: object, color: tuple[int, int, int] = BOX_COLOR, thickness: int = 2
) -> np.ndarray:
    """A copy of the frame with the [x, y, w, h] box drawn on it."""
    out = np.ascontiguousarray(frame).copy()
    x, y, w, h = (int(round(v)) for v in np.asarray(box, dtype=np.float64))
    cv2.rectangle(out, (x, y), (x + w - 1, y + h - 1), color, thickness)
    return out
