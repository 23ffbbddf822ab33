"""Boxes, frames, crops and windows: the image plumbing around the network.

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

import math

import cv2
import numpy as np

# ----------------------------------------------------------------------------- boxes


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


# ----------------------------------------------------------------------------- input checks


def as_rgb_frame(image: object) -> np.ndarray:
    """The frame as an H x W x 3 uint8 RGB array: grayscale is repeated, RGBA loses alpha."""
    if not isinstance(image, np.ndarray):
        raise ValueError(f"a frame must be a numpy array (H x W x 3, uint8), got {type(image)}")
    if image.dtype != np.uint8:
        raise ValueError(f"a frame must be uint8 RGB (0..255), got dtype {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        return np.ascontiguousarray(np.repeat(image[:, :, None], 3, axis=2))
    if image.ndim == 3 and image.shape[2] == 4:
        return np.ascontiguousarray(image[:, :, :3])
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"a frame must be H x W x 3 RGB (or gray, or RGBA), got {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"the frame is empty: shape {image.shape}")
    return image


def check_box(box: object, frame_shape: tuple[int, ...]) -> np.ndarray:
    """The box as float64 [x, y, w, h] if it is finite, has a positive size and meets the frame."""
    b = np.asarray(box, dtype=np.float64).reshape(-1)
    if b.shape != (4,):
        raise ValueError(f"a box is 4 numbers [x, y, w, h], got {np.asarray(box).tolist()}")
    if not np.all(np.isfinite(b)):
        raise ValueError(f"the box {b.tolist()} has a NaN or infinite value")
    if b[2] <= 0 or b[3] <= 0:
        raise ValueError(f"the box {b.tolist()} has zero or negative size (w={b[2]}, h={b[3]})")
    height, width = frame_shape[:2]
    x1, y1, x2, y2 = xywh_to_xyxy(b)
    if x2 < 0 or y2 < 0 or x1 > width - 1 or y1 > height - 1:
        raise ValueError(f"the box {b.tolist()} lies outside the {width}x{height} frame")
    return b


# ----------------------------------------------------------------------------- crops


def context_size(w: float, h: float, context: float = 0.5) -> float:
    """Side of the square exemplar region: sqrt((w + p)(h + p)) with p = context * (w + h)."""
    p = context * (w + h)
    return math.sqrt((w + p) * (h + p))


def mean_color(image: np.ndarray) -> tuple[float, float, float]:
    """The frame's mean RGB colour: what a crop is padded with where it leaves the frame."""
    return tuple(cv2.mean(image)[:3])


def crop_window(center: tuple[float, float], side: float) -> tuple[int, int, int]:
    """The integer square (x1, y1, side) of `side` pixels centred on (cx, cy)."""
    side_px = max(1, round(side))
    x1 = round(center[0] - (side_px - 1) / 2)
    y1 = round(center[1] - (side_px - 1) / 2)
    return x1, y1, side_px


def crop_and_resize(
    image: np.ndarray,
    center: tuple[float, float],
    side: float,
    out_size: int,
    pad_color: tuple[float, ...] | None = None,
) -> np.ndarray:
    """Cut a square of `side` px centred on (cx, cy), pad with the mean colour, resize to out_size.

    Only the part of the square that lies inside the frame is copied; the rest of the square is
    filled with `pad_color` (the frame's mean colour by default, as in Fig. 2 of the paper).
    """
    if pad_color is None:
        pad_color = mean_color(image)
    height, width = image.shape[:2]
    x1, y1, side_px = crop_window(center, side)
    ix1, iy1 = max(x1, 0), max(y1, 0)
    ix2, iy2 = min(x1 + side_px, width), min(y1 + side_px, height)
    if ix1 == x1 and iy1 == y1 and ix2 == x1 + side_px and iy2 == y1 + side_px:
        patch = image[y1 : y1 + side_px, x1 : x1 + side_px]  # inside the frame: no copy
    else:
        patch = np.empty((side_px, side_px, image.shape[2]), dtype=image.dtype)
        patch[:] = np.asarray(pad_color[: image.shape[2]]).round().astype(image.dtype)
        if ix2 > ix1 and iy2 > iy1:
            patch[iy1 - y1 : iy2 - y1, ix1 - x1 : ix2 - x1] = image[iy1:iy2, ix1:ix2]
    if side_px == out_size:
        return np.ascontiguousarray(patch)
    return cv2.resize(patch, (out_size, out_size), interpolation=cv2.INTER_LINEAR)


# ----------------------------------------------------------------------------- windows


def hann_window(size: int) -> np.ndarray:
    """A 2-D cosine (Hann) window of size x size that sums to 1: the tracker's motion prior."""
    h = np.hanning(size)
    window = np.outer(h, h)
    return window / window.sum()
