"""Frames: the one image reader, the one frame check, and the mean colour crops are padded with.

Every frame in the library is an H x W x 3 uint8 RGB array (OpenCV reads BGR: converted here).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def read_image(path: str | Path) -> np.ndarray:
    """One image file as H x W x 3 uint8 RGB; a missing or undecodable file names itself."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image file not found: {path}")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"cannot read the image {path}: it is corrupt or not an image")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


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


def mean_color(image: np.ndarray) -> tuple[float, float, float]:
    """The frame's mean RGB colour: what a crop is padded with where it leaves the frame."""
    return tuple(cv2.mean(image)[:3])
