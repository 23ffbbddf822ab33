"""Boxes: their conventions, their centre and size, and the one check of a usable box.

Box conventions (the only place they are written down)
-------------------------------------------------------
Pixel centres sit at integer coordinates: pixel (row i, column j) is the point (x=j, y=i).

* ``xywh``   -- the library's own format: ``[x, y, w, h]``, 0-based, ``(x, y)`` the top-left
  pixel of the box, ``w``/``h`` its width and height in pixels. Every public function of the
  library takes and returns boxes in this format.
* ``otb``    -- ``[x, y, w, h]`` 1-based, as in OTB's ``groundtruth_rect.txt`` (also GOT-10k's).
* ``cxcywh`` -- ``[cx, cy, w, h]``: the centre of the box is ``x + (w - 1) / 2``.
* ``xyxy``   -- ``[x1, y1, x2, y2]``: the first and the last pixel of the box (inclusive), as in
  ImageNet VID's XML ``xmin/ymin/xmax/ymax``; ``w = x2 - x1 + 1``.

All converters work on one box ``(4,)`` or many ``(N, 4)``.
"""

from __future__ import annotations

import numpy as np

# ----------------------------------------------------------------------------- conventions


def _boxes(box: object) -> np.ndarray:
    """The box(es) as a float64 array whose last axis has 4 numbers."""
    b = np.asarray(box, dtype=np.float64)
    if b.shape[-1:] != (4,):
        raise ValueError(f"a box has 4 numbers [x, y, w, h]; got an array of shape {b.shape}")
    return b


def xywh_to_cxcywh(box: object) -> np.ndarray:
    """Top-left + size -> centre + size (centre = x + (w - 1) / 2)."""
    b = _boxes(box).copy()
    b[..., :2] += (b[..., 2:] - 1) / 2
    return b


def cxcywh_to_xywh(box: object) -> np.ndarray:
    """Centre + size -> top-left + size."""
    b = _boxes(box).copy()
    b[..., :2] -= (b[..., 2:] - 1) / 2
    return b


def xywh_to_xyxy(box: object) -> np.ndarray:
    """Top-left + size -> first and last pixel (inclusive corners, like VID's XML)."""
    b = _boxes(box).copy()
    b[..., 2:] += b[..., :2] - 1
    return b


def xyxy_to_xywh(box: object) -> np.ndarray:
    """First and last pixel (inclusive corners) -> top-left + size."""
    b = _boxes(box).copy()
    b[..., 2:] -= b[..., :2] - 1
    return b


def otb_to_xywh(box: object) -> np.ndarray:
    """OTB's 1-based [x, y, w, h] -> the library's 0-based [x, y, w, h]."""
    b = _boxes(box).copy()
    b[..., :2] -= 1
    return b


def xywh_to_otb(box: object) -> np.ndarray:
    """The library's 0-based [x, y, w, h] -> OTB's 1-based [x, y, w, h]."""
    b = _boxes(box).copy()
    b[..., :2] += 1
    return b


def box_center(box: object) -> np.ndarray:
    """The centre (cx, cy) of [x, y, w, h] box(es): x + (w - 1) / 2, y + (h - 1) / 2."""
    return xywh_to_cxcywh(box)[..., :2]


def center_box(center: object, size: object) -> np.ndarray:
    """The [x, y, w, h] box with this centre (cx, cy) and size (w, h): the inverse of box_center."""
    parts = [np.asarray(center, dtype=np.float64), np.asarray(size, dtype=np.float64)]
    return cxcywh_to_xywh(np.concatenate(parts, axis=-1))


# ----------------------------------------------------------------------------- the one check

MAX_FRAMES_WIDE = 10  # a first box is drawn on the frame: at most 10 frames wide or high
MAX_BOX_SIDE = 4096  # px: a search crop is ~4 box sides square (16449 px, 0.76 GiB at 4096)


def box_values(box: object) -> np.ndarray | str:
    """The box's numbers as float64, or why it is not numbers (a dict, a string, ...)."""
    expected = "a box is 4 numbers [x, y, w, h] (a list, tuple or array)"
    if isinstance(box, (str, bytes, dict)):
        return f"{expected}, got a {type(box).__name__}: {box!r}"
    try:
        values = np.asarray(box, dtype=np.float64)
    except (TypeError, ValueError):
        return f"{expected}, got {box!r}"
    if values.ndim != 1:  # a 2x2 array is not [x, y, w, h], however it flattens
        return f"{expected} in one dimension, got an array of shape {values.shape}"
    return values


def box_problem(box: object, frame_size: tuple[int, int] | None = None) -> str | None:
    """Why an [x, y, w, h] box is unusable: not 4 numbers, NaN, no area, absurd size, outside.

    With the (width, height) of its frame, a box more than MAX_FRAMES_WIDE frames wide or high,
    or more than MAX_BOX_SIDE px (a bigger square's search crops near 1 GiB), or outside it is one.
    """
    b = box_values(box)
    if isinstance(b, str):
        return b
    if b.shape != (4,):
        return f"a box is 4 numbers [x, y, w, h], got {np.asarray(box).tolist()}"
    if not np.all(np.isfinite(b)):
        return f"the box {b.tolist()} has a NaN or infinite value"
    if b[2] <= 0 or b[3] <= 0:
        return f"the box {b.tolist()} has zero or negative size (w={b[2]:g}, h={b[3]:g})"
    if frame_size is not None:
        width, height = frame_size
        size = f"the box {b.tolist()} is {b[2]:g}x{b[3]:g} px"
        if b[2] > MAX_FRAMES_WIDE * width or b[3] > MAX_FRAMES_WIDE * height:
            return f"{size}, more than {MAX_FRAMES_WIDE} times the {width}x{height} frame"
        if max(b[2], b[3]) > MAX_BOX_SIDE:
            return f"{size}: more than {MAX_BOX_SIDE} px, the most the tracker takes (its crops)"
        x1, y1, x2, y2 = xywh_to_xyxy(b)
        if x2 < 0 or y2 < 0 or x1 > width - 1 or y1 > height - 1:
            return f"the box {np.round(b, 1).tolist()} lies outside the {width}x{height} frame"
    return None


def check_box(box: object, frame_shape: tuple[int, ...]) -> np.ndarray:
    """The box as float64 [x, y, w, h], or a ValueError saying why it cannot be tracked."""
    height, width = frame_shape[:2]
    problem = box_problem(box, (width, height))
    if problem:
        raise ValueError(problem)
    return np.asarray(box, dtype=np.float64).reshape(4)
