"""Crops with context (Section 2.4, Fig. 2): the exemplar z, the search image x, mean padding.

The target is cut out with a margin of context p = context * (w + h) around it: the square of
side sqrt((w + p)(h + p)) is the exemplar region, resized to 127 x 127. The search region is the
same square times 255/127, resized to 255 x 255, so the target has the same scale in z and in x.
Where a square leaves the frame it is filled with the frame's mean colour. The tracker, the
training pairs and curation all cut their crops here: one geometry for all.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .boxes import box_center
from .config import SiamFCConfig
from .images import mean_color


def context_size(w: float, h: float, context: float = 0.5) -> float:
    """Side of the square exemplar region: sqrt((w + p)(h + p)) with p = context * (w + h)."""
    p = context * (w + h)
    return math.sqrt((w + p) * (h + p))


def exemplar_side(w: float, h: float, cfg: SiamFCConfig) -> float:
    """Side in frame pixels of the region the exemplar z is cut from (the context square)."""
    return context_size(w, h, cfg.context)


def search_side(w: float, h: float, cfg: SiamFCConfig) -> float:
    """Side in frame pixels of the search region x: the exemplar's square times 255/127."""
    return exemplar_side(w, h, cfg) * cfg.instance_size / cfg.exemplar_size


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


def target_crop(
    image: np.ndarray,
    box: object,
    cfg: SiamFCConfig,
    out_size: int,
    pad_color: tuple[float, ...] | None = None,
    stretch: float = 1.0,
    shift: tuple[int, int] = (0, 0),
) -> np.ndarray:
    """A square crop of out_size px around the box, at the exemplar's scale (127 px = z's side).

    `stretch` scales the square (augmentation); `shift` moves it by that many output pixels.
    """
    cx, cy = box_center(box)
    w, h = np.asarray(box, dtype=np.float64)[2:]
    side = exemplar_side(w, h, cfg) * (out_size / cfg.exemplar_size) * stretch
    per_pixel = side / out_size  # frame pixels per output pixel
    center = (cx + shift[0] * per_pixel, cy + shift[1] * per_pixel)
    return crop_and_resize(image, center, side, out_size, pad_color)


def exemplar_crop(
    image: np.ndarray,
    box: object,
    cfg: SiamFCConfig,
    pad_color: tuple[float, ...] | None = None,
    stretch: float = 1.0,
) -> np.ndarray:
    """z: the context square sqrt((w+p)(h+p)) around the target, resized to 127 x 127."""
    return target_crop(image, box, cfg, cfg.exemplar_size, pad_color, stretch)


def search_crop(
    image: np.ndarray,
    box: object,
    cfg: SiamFCConfig,
    pad_color: tuple[float, ...] | None = None,
    stretch: float = 1.0,
    shift: tuple[int, int] = (0, 0),
) -> np.ndarray:
    """x: the context square times 255/127 around the target (moved by shift px), resized to 255."""
    return target_crop(image, box, cfg, cfg.instance_size, pad_color, stretch, shift)
