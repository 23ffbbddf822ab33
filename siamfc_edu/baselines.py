"""Baseline trackers to compare SiamFC with, in the same (got10k) interface.

* `NCCTracker`: template matching by normalized cross-correlation, the classic ancestor of
  SiamFC's correlation layer -- the same sliding comparison, on raw pixels instead of learnt
  features, with a fixed size.
* `MILTracker`: OpenCV's Multiple Instance Learning tracker (Babenko et al., 2009), an online
  discriminative tracker that learns the target's appearance while it tracks.

Both take RGB uint8 frames and 0-based ``[x, y, w, h]`` boxes (see `ops`), like `SiamFCTracker`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Sequence

import cv2
import numpy as np

from .boxes import check_box, xywh_to_cxcywh
from .images import as_rgb_frame
from .interface import Tracker

__all__ = ["MILTracker", "NCCTracker", "Tracker"]


# ----------------------------------------------------------------------------- NCC


def crop_with_border(image: np.ndarray, x: int, y: int, w: int, h: int) -> np.ndarray:
    """The w x h region with top-left (x, y); parts outside the frame repeat its edge pixels."""
    height, width = image.shape[:2]
    rows = np.clip(np.arange(y, y + h), 0, height - 1)
    cols = np.clip(np.arange(x, x + w), 0, width - 1)
    return image[np.ix_(rows, cols)]


class NCCTracker(Tracker):
    """Template matching: slide the first frame's target over a search window, keep the best NCC.

    The score is OpenCV's ``TM_CCOEFF_NORMED``: the correlation of the mean-subtracted template
    and image patch divided by their norms, so 1 is a perfect match whatever the brightness and
    contrast. The search window is `search_factor` times the target size around the last
    position; the target size never changes. With ``template_lr > 0`` the template slowly blends
    in the latest match (a running average); by default it stays the first frame's, like SiamFC's
    exemplar.
    """

    name = "NCC"

    def __init__(self, search_factor: float = 3.0, template_lr: float = 0.0):
        if search_factor < 1:
            raise ValueError(
                f"search_factor must be >= 1 (the window holds the target), got {search_factor}"
            )
        if not 0 <= template_lr <= 1:
            raise ValueError(f"template_lr must be in [0, 1], got {template_lr}")
        self.search_factor = search_factor
        self.template_lr = template_lr
        self.response: np.ndarray | None = None  # the last NCC map, for figures

    def init(self, image: np.ndarray, box: Sequence[float]) -> None:
        """Cut the template (the target box, rounded to whole pixels) from the first frame."""
        image = as_rgb_frame(image)
        x, y, w, h = check_box(box, image.shape)
        self.size = (max(1, round(w)), max(1, round(h)))  # template width, height in pixels
        self.center = xywh_to_cxcywh([x, y, w, h])[:2]
        self.template = self.patch_at(image, self.center).astype(np.float32)

    def patch_at(self, image: np.ndarray, center: np.ndarray) -> np.ndarray:
        """The target-sized patch centred on `center`."""
        w, h = self.size
        return crop_with_border(
            image, round(center[0] - (w - 1) / 2), round(center[1] - (h - 1) / 2), w, h
        )

    def update(self, image: np.ndarray) -> np.ndarray:
        """Match the template in the search window and move to the best match, kept in the frame."""
        image = as_rgb_frame(image)
        w, h = self.size
        win_w, win_h = round(self.search_factor * w), round(self.search_factor * h)
        win_x = round(self.center[0] - (win_w - 1) / 2)
        win_y = round(self.center[1] - (win_h - 1) / 2)
        window = crop_with_border(image, win_x, win_y, win_w, win_h).astype(np.float32)
        response = cv2.matchTemplate(window, self.template, cv2.TM_CCOEFF_NORMED)
        self.response = np.nan_to_num(response, nan=-1.0)  # flat patches have no defined NCC
        row, col = np.unravel_index(np.argmax(self.response), self.response.shape)
        center = np.array([win_x + col + (w - 1) / 2, win_y + row + (h - 1) / 2])
        height, width = image.shape[:2]
        self.center = np.clip(center, 0, [width - 1, height - 1])  # kept in the frame, as SiamFC
        if self.template_lr > 0:
            match = self.patch_at(image, self.center).astype(np.float32)
            self.template = (1 - self.template_lr) * self.template + self.template_lr * match
        return self.box()

    def box(self) -> np.ndarray:
        """The current target box, 0-based [x, y, w, h]."""
        w, h = self.size
        return np.array([self.center[0] - (w - 1) / 2, self.center[1] - (h - 1) / 2, w, h], float)


# ----------------------------------------------------------------------------- MIL


def box_to_cv_rect(box: np.ndarray, frame_shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """A float [x, y, w, h] box -> OpenCV's integer rectangle, clipped to the frame."""
    height, width = frame_shape[:2]
    x1 = int(np.clip(round(box[0]), 0, width - 1))
    y1 = int(np.clip(round(box[1]), 0, height - 1))
    x2 = int(np.clip(round(box[0] + box[2]), x1 + 1, width))
    y2 = int(np.clip(round(box[1] + box[3]), y1 + 1, height))
    return x1, y1, x2 - x1, y2 - y1


def seed_c_random(seed: int) -> bool:
    """Seed the C library's rand(), which OpenCV's MIL draws its samples from; False if unknown.

    Measured: two runs of MIL in one process gave boxes up to 2 px apart (carphone, 40 frames),
    whatever cv2.setRNGSeed said; after srand they are equal, whatever ran before them.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
        libc.srand(ctypes.c_uint(seed))
    except (OSError, AttributeError, TypeError):  # no C library reachable (some Windows set-ups)
        return False
    return True


class MILTracker(Tracker):
    """OpenCV's MIL tracker behind the got10k interface; keeps the last box when it loses track.

    MIL samples its training patches with the C library's random generator, so `init` seeds it
    (and OpenCV's): a run's boxes do not depend on what ran before it in the process.
    """

    name = "MIL"
    seed = 0

    def init(self, image: np.ndarray, box: Sequence[float]) -> None:
        """Start OpenCV's tracker on the (BGR) first frame and the box clipped to the frame."""
        image = as_rgb_frame(image)
        self.last_box = check_box(box, image.shape)
        seed_c_random(self.seed)
        cv2.setRNGSeed(self.seed)
        self.cv_tracker = cv2.TrackerMIL_create()
        bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        self.cv_tracker.init(bgr, box_to_cv_rect(self.last_box, image.shape))

    def update(self, image: np.ndarray) -> np.ndarray:
        """Ask OpenCV for the new box; if it reports a failure, stay where the target was."""
        image = as_rgb_frame(image)
        found, rect = self.cv_tracker.update(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        if found:
            self.last_box = np.asarray(rect, dtype=np.float64)
        return self.last_box.copy()
