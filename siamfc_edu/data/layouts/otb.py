"""OTB-2013 / OTB-100: its reader and its writer, in one place.

Layout: <root>/<sequence>/img/0001.jpg, ... and groundtruth_rect.txt of 1-based x,y,w,h lines.
The values of a line may be separated by commas, tabs or spaces.
Two targets (groundtruth_rect.1.txt, .2.txt) give two Sequences, '<sequence>.1' and '.2'.
A few sequences hold more frames than boxes: they are cut to OTB's frame range (any other such
sequence is cut to its boxes, with a warning).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ...boxes import otb_to_xywh, xywh_to_otb
from ..footage import IMAGE_SUFFIXES
from ..sequence import Sequence
from .common import (
    DefectLog,
    image_size,
    mark_defective,
    read_attributes,
    read_box_file,
    require_dir,
    write_attributes,
    write_numbered_frames,
    write_rows,
)

# OTB sequences whose img/ folder holds more frames than their ground truth (OTB's configSeqs)
OTB_FRAME_RANGES: dict[str, tuple[int, int]] = {
    "David": (300, 770),
    "Football1": (1, 74),
    "Freeman3": (1, 460),
    "Freeman4": (1, 283),
    "Diving": (1, 215),
}

# ----------------------------------------------------------------------------- reading


def read_otb(root: str | Path) -> list[Sequence]:
    """OTB: <root>/<seq>/img/0001.jpg... and groundtruth_rect.txt (1-based x,y,w,h).

    The values of a line may be separated by commas, tabs or spaces.

    Sequences with two targets (groundtruth_rect.1.txt, .2.txt) give two Sequences, '<seq>.1' ...
    """
    root = require_dir(Path(root), "OTB")
    folders = sorted(p for p in root.iterdir() if (p / "img").is_dir())
    if not folders:
        raise ValueError(
            f"{root} is not an OTB layout: expected {root}/<sequence>/img/0001.jpg and "
            f"{root}/<sequence>/groundtruth_rect.txt"
        )
    defects = DefectLog(f"OTB at {root}")
    sequences = []
    for folder in folders:
        gt_files = sorted(folder.glob("groundtruth_rect*.txt"))
        if not gt_files:
            raise FileNotFoundError(f"OTB sequence {folder} has no groundtruth_rect.txt")
        for gt_file in gt_files:
            suffix = gt_file.name[len("groundtruth_rect") : -len(".txt")]  # '' or '.1'
            sequences.append(read_otb_sequence(folder, gt_file, folder.name + suffix, defects))
    defects.report()
    return sequences


def read_otb_sequence(folder: Path, gt_file: Path, name: str, defects: DefectLog) -> Sequence:
    """One OTB target: its frames (cut to OTB's frame range) and its 0-based boxes."""
    frames = [p for p in sorted((folder / "img").iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES]
    boxes = otb_to_xywh(np.array(read_box_file(gt_file)))
    if folder.name in OTB_FRAME_RANGES:
        first, last = OTB_FRAME_RANGES[folder.name]
        frames = frames[first - 1 : last]
    elif len(frames) > len(boxes):
        warnings.warn(
            f"OTB sequence {name}: {gt_file} has {len(boxes)} boxes for {len(frames)} frames in "
            f"{folder / 'img'}: using only the first {len(boxes)} frames (the last "
            f"{len(frames) - len(boxes)} are left out, not marked absent)",
            stacklevel=3,
        )
        frames = frames[: len(boxes)]
    if len(frames) != len(boxes):
        raise ValueError(f"{gt_file}: {len(boxes)} boxes for {len(frames)} frames in {folder}/img")
    absent = np.zeros(len(boxes), bool)
    mark_defective(boxes, absent, image_size(frames[0]), str(gt_file), defects)
    return Sequence(name, [str(p) for p in frames], boxes, read_attributes(folder), absent)


# ----------------------------------------------------------------------------- writing


def write_otb_sequence(
    root: str | Path,
    name: str,
    frames: list[np.ndarray] | list[bytes],
    boxes: np.ndarray,
    attributes: list[str] = (),
    delimiter: str = ",",
) -> Path:
    """Write a sequence in OTB layout: <name>/img/0001.jpg... and groundtruth_rect.txt (1-based)."""
    folder = Path(root) / name
    write_numbered_frames(folder / "img", frames, digits=4)
    write_rows(folder / "groundtruth_rect.txt", xywh_to_otb(boxes), delimiter=delimiter)
    write_attributes(folder, list(attributes))
    return folder
