"""The real evaluation set: one object in each shipped clip, boxes drawn by hand every 5th frame.

The boxes live in `siamfc_edu/assets/annotations/<clip>_<object>.txt` (rows: frame, x, y, w, h;
NaN where the object is not visible); each file's header says how they were made. Only the
hand-drawn frames are ground truth: the frames in between are NaN, so evaluation neither rewards
nor punishes a tracker there. `assets/annotations/validation/` holds other objects of the same
clips, boxed the same way, for choosing settings: the evaluation set is only for reporting.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import numpy as np

from .footage import SHIPPED_VIDEOS, read_video
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
