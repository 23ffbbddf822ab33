"""The real evaluation set: one object in each shipped clip, boxes drawn by hand every 5th frame.

The boxes live in `siamfc_edu/assets/annotations/<clip>_<object>.txt` (rows: frame, x, y, w, h;
NaN where the object is not visible); each file's header says how they were made. Only the
hand-drawn frames are ground truth: the frames in between are NaN, so evaluation neither rewards
nor punishes a tracker there. `assets/annotations/validation/` holds other objects of the same
clips, boxed the same way, for choosing settings: the evaluation set is only for reporting.

The harder real set (`read_hard_real_set`) is boxed the same way on OpenCV's sample clips
(`data/opencv/`): a pedestrian crossed and hidden by others, a box turned by hand, a bottle tilted
in a hand. Its files live in `assets/annotations/hard/` (validation: `hard/validation/`).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np

from .footage import OPENCV_VIDEOS, SHIPPED_VIDEOS, iter_video, read_video
from .sequence import Sequence
from .split import held_out_start

# The hand-drawn boxes travel with the installed package (package data).
ANNOTATIONS_DIR = Path(
    os.environ.get(
        "SIAMFC_EDU_ANNOTATIONS_DIR",
        str(resources.files("siamfc_edu") / "assets" / "annotations"),
    )
)


VALIDATION_DIR = ANNOTATIONS_DIR / "validation"  # other objects, for tuning; never for scores
HARD_DIR = ANNOTATIONS_DIR / "hard"  # the harder real set, on OpenCV's sample clips
HARD_VALIDATION_DIR = HARD_DIR / "validation"  # other objects of those clips, for tuning


def read_annotations(path: str | Path, frames: int) -> np.ndarray:
    """(frames, 4) boxes from a hand-annotation file: NaN rows where no box was drawn."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no annotation file at {path}")
    try:
        rows = np.loadtxt(path, delimiter=",", comments="#", ndmin=2)
    except ValueError as err:
        raise ValueError(f"{path}: not rows of 'frame,x,y,w,h' ({err})") from None
    if rows.shape[1] != 5:
        raise ValueError(f"{path}: {rows.shape[1]} columns, expected 5 (frame, x, y, w, h)")
    ids = rows[:, 0].astype(int)
    if ids.min() < 0 or ids.max() >= frames:
        raise ValueError(f"{path}: frame numbers {ids.min()}..{ids.max()} outside 0..{frames - 1}")
    boxes = np.full((frames, 4), np.nan)
    boxes[ids] = rows[:, 1:]
    boxes[~(boxes[:, 2:] > 0).all(axis=1)] = np.nan  # not visible
    return boxes


def real_set_files(folder: str | Path = ANNOTATIONS_DIR) -> dict[str, Path]:
    """Annotation files named after a shipped clip: {'carphone_pristine:carphone_face': path}."""
    files = {}
    for path in sorted(Path(folder).glob("*.txt")):
        clip = next((c for c in SHIPPED_VIDEOS if path.stem.startswith(c.split("_")[0])), None)
        if clip is not None:
            files[f"{clip}:{path.stem}"] = path
    if not files:
        raise FileNotFoundError(f"no annotation files of shipped clips in {folder}")
    return files


def read_real_set(part: str = "all", folder: str | Path = ANNOTATIONS_DIR) -> list[Sequence]:
    """The real evaluation set as Sequences whose frames are RGB arrays.

    part='all': whole clips; 'held_out': only their last quarter, the frames that neither the
    generator nor `FootagePairs` (part='train') ever trains on.
    """
    if part not in ("all", "held_out"):
        raise ValueError(f"part must be 'all' or 'held_out', not {part!r}")
    sequences = []
    for key, path in real_set_files(folder).items():
        clip, name = key.split(":")
        frames = read_video(clip)
        boxes = read_annotations(path, len(frames))
        start = held_out_start(len(frames)) if part == "held_out" else 0
        sequences.append(Sequence(name, list(frames[start:]), boxes[start:]))
    return sequences


def hard_real_set_files(folder: str | Path = HARD_DIR) -> dict[str, Path]:
    """Annotation files named after an OpenCV sample clip: {'cup:cup_bottle': path}."""
    files = {}
    for path in sorted(Path(folder).glob("*.txt")):
        clip = path.stem.split("_")[0]
        if clip in OPENCV_VIDEOS:
            files[f"{clip}:{path.stem}"] = path
    if not files:
        raise FileNotFoundError(
            f"no annotation files of OpenCV's sample clips ({', '.join(OPENCV_VIDEOS)}) in {folder}"
        )
    return files


def drawn_span(path: str | Path) -> tuple[int, int]:
    """The first and one past the last frame an annotation file has a row for."""
    listed = np.loadtxt(path, delimiter=",", comments="#", ndmin=2)[:, 0].astype(int)
    return int(listed.min()), int(listed.max()) + 1


def read_hard_real_set(part: str = "all", folder: str | Path = HARD_DIR) -> list[Sequence]:
    """The harder real set as Sequences of RGB frames, each cut to the frames its file covers.

    A pedestrian is in view for only part of vtest's 795 frames, so each sequence runs from its
    file's first row to its last (frame 0 of the sequence is that first row). part='held_out'
    keeps only frames in the clip's last quarter (`held_out_start`), which `FootagePairs`
    (part='train') never trains on; an object not in view there is left out.
    """
    if part not in ("all", "held_out"):
        raise ValueError(f"part must be 'all' or 'held_out', not {part!r}")
    sequences = []
    for key, path in hard_real_set_files(folder).items():
        clip, name = key.split(":")
        frames = OPENCV_VIDEOS[clip][3]
        first, stop = drawn_span(path)
        if part == "held_out":
            first = max(first, held_out_start(frames))
        boxes = read_annotations(path, frames)[first:stop]
        if not np.isfinite(boxes).all(axis=1).any():
            continue  # not in view in this part
        kept = [f for k, f in enumerate(iter_video(clip, max_frames=stop)) if k >= first]
        sequences.append(Sequence(name, kept, boxes))
    if not sequences:
        raise ValueError(f"no object of {folder} has a box in the {part!r} part of its clip")
    return sequences
