"""Frames: the one image reader, the one frame check, and the mean colour crops are padded with.

Every frame in the library is an H x W x 3 uint8 RGB array (OpenCV reads BGR: converted here).
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

JPEG_START = b"\xff\xd8\xff"  # SOI marker and the next marker's first byte: a JPEG file
JPEG_END = b"\xff\xd9"  # EOI marker: the last two bytes of a complete JPEG
JPEG_TAIL = 1024  # bytes at the end of the file searched for EOI (room for padding after it)


def jpeg_problem(path: str | Path) -> str | None:
    """'truncated JPEG: <path> ...' if a JPEG file was cut short, else None (also for non-JPEGs).

    OpenCV decodes a truncated JPEG without an error: the missing rows come out grey. A complete
    JPEG ends with the marker FF D9, which cannot occur inside the compressed data, so the last
    JPEG_TAIL bytes are searched for it (two small reads: 12 us a file from a warm disk cache, on
    the project's 2-core CPU, against 500 us to decode a 320x240 frame). A file with more data
    after its marker (some cameras append some) is fully decoded by Pillow to decide.
    """
    with open(path, "rb") as file:
        if file.read(len(JPEG_START)) != JPEG_START:
            return None
        size = file.seek(0, os.SEEK_END)
        file.seek(max(0, size - JPEG_TAIL))
        if JPEG_END in file.read():
            return None
    from PIL import Image  # Pillow comes with matplotlib; it reports truncation as an error

    try:
        with Image.open(path) as image:
            image.load()
    except OSError as error:
        return f"truncated JPEG: {path} (no end marker FF D9 in its {size} bytes; {error})"
    return None


def read_image(path: str | Path) -> np.ndarray:
    """One image file as H x W x 3 uint8 RGB; a missing, truncated or corrupt file names itself."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image file not found: {path}")
    problem = jpeg_problem(path)
    if problem:
        raise ValueError(problem)
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
    if image.ndim in (2, 3) and 0 in image.shape[:2]:
        raise ValueError(f"the frame is empty: shape {image.shape}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 2:
        return np.ascontiguousarray(np.repeat(image[:, :, None], 3, axis=2))
    if image.ndim == 3 and image.shape[2] == 4:
        return np.ascontiguousarray(image[:, :, :3])
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"a frame must be H x W x 3 RGB (or gray, or RGBA), got {image.shape}")
    return image


def mean_color(image: np.ndarray) -> tuple[float, float, float]:
    """The frame's mean RGB colour: what a crop is padded with where it leaves the frame."""
    return tuple(cv2.mean(image)[:3])
