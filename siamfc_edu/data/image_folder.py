"""Your own frames: a folder of images as a Sequence, with no boxes but, maybe, the first.

Frames are the folder's images in name order; the first box (0-based xywh) is checked against
the first frame. This is what the tracker and the score-map explorer need to start.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..boxes import box_problem
from .footage import list_images
from .layouts.common import image_size
from .sequence import Sequence


def read_image_folder(folder: str | Path, init_box: object | None = None) -> Sequence:
    """A plain folder of frames (sorted by name) as a Sequence: no boxes but, maybe, the first."""
    folder = Path(folder)
    frames = list_images(folder)
    boxes = np.full((len(frames), 4), np.nan)
    if init_box is not None:
        box = np.asarray(init_box, np.float64).reshape(-1)
        problem = box_problem(box, image_size(frames[0])) if box.shape == (4,) else "not 4 values"
        if problem:
            raise ValueError(f"the first box for {folder} is unusable: {problem}")
        boxes[0] = box
    return Sequence(folder.name, [str(p) for p in frames], boxes)
