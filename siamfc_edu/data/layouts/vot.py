"""VOT 2013-2019: its reader and its writer, in one place.

Layout: <root>/list.txt; <root>/<sequence>/color/00000001.jpg (older editions: no color/ folder).
groundtruth.txt holds one region per frame: a polygon of 8 values or a box of 4.
A polygon becomes the axis-aligned box of the same centre and area (get_axis_aligned_BB).
Per-frame tag files (occlusion.tag, ...) with any 1 become the sequence's attributes.
VOT2020+ masks are not supported (the reader says so).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...boxes import cxcywh_to_xywh
from ..footage import list_images
from ..sequence import Sequence
from .common import (
    DefectLog,
    image_size,
    mark_defective,
    read_attributes,
    read_box_file,
    read_label_file,
    require_dir,
    write_attributes,
    write_numbered_frames,
    write_rows,
)

VOT_TAGS = ("camera_motion", "illum_change", "motion_change", "occlusion", "size_change")

# ----------------------------------------------------------------------------- reading


def vot_polygon_to_box(region: object) -> np.ndarray:
    """The authors' get_axis_aligned_BB: an 8-value polygon -> axis-aligned xywh of the same area.

    The box keeps the polygon's centre (mean of its corners) and is the polygon's bounding box
    shrunk by s = sqrt(polygon area / bounding-box area), so a rotated target is not
    over-estimated. A 4-value region is already a box [x, y, w, h].
    """
    r = np.asarray(region, np.float64).reshape(-1)
    if r.size == 4:
        return r.copy()
    if r.size != 8:
        raise ValueError(f"a VOT region has 4 or 8 values, got {r.size}")
    xs, ys = r[0::2], r[1::2]
    cx, cy = xs.mean(), ys.mean()
    x1, x2, y1, y2 = xs.min(), xs.max(), ys.min(), ys.max()
    a1 = np.linalg.norm(r[0:2] - r[2:4]) * np.linalg.norm(r[2:4] - r[4:6])  # polygon area
    a2 = (x2 - x1) * (y2 - y1)  # bounding-box area
    s = np.sqrt(a1 / a2) if a2 > 0 else 0.0
    w = s * (x2 - x1) + 1
    h = s * (y2 - y1) + 1
    return cxcywh_to_xywh([cx, cy, w, h])


def region_to_polygon(region: object) -> np.ndarray:
    """A VOT region as its 4 corners [x1, y1, ..., x4, y4]: a polygon as it is, a box's corners."""
    r = np.asarray(region, np.float64).reshape(-1)
    if r.size == 8:
        return r.copy()
    if r.size != 4:
        raise ValueError(f"a VOT region has 4 or 8 values, got {r.size}")
    x, y, w, h = r
    return np.array([x, y, x + w, y, x + w, y + h, x, y + h])


def read_vot_regions(folder: str | Path) -> np.ndarray:
    """(N, 8) polygons of a VOT sequence's groundtruth.txt, as written (boxes become corners).

    The VOT protocol scores on these, not on the axis-aligned boxes `read_vot` makes of them.
    """
    rows = read_box_file(Path(folder) / "groundtruth.txt", values_per_line=(4, 8))
    return np.array([region_to_polygon(row) for row in rows])


def read_vot(root: str | Path) -> list[Sequence]:
    """VOT (2013-2019): <root>/<seq>/groundtruth.txt of 8-value polygons (or 4-value boxes).

    Frames are <seq>/color/00000001.jpg (VOT2016+) or <seq>/00000001.jpg (older editions);
    per-frame tag files (occlusion.tag, ...) with any 1 become the sequence's attributes.
    """
    root = require_dir(Path(root), "VOT")
    listing = root / "list.txt"
    if listing.is_file():
        names = listed_sequences(listing)
    else:
        names = sorted(p.name for p in root.iterdir() if (p / "groundtruth.txt").is_file())
    if not names:
        raise ValueError(
            f"{root} is not a VOT layout: expected {root}/list.txt or "
            f"{root}/<sequence>/groundtruth.txt with {root}/<sequence>/color/00000001.jpg"
        )
    defects = DefectLog(f"VOT at {root}")
    sequences = [read_vot_sequence(root / name, defects) for name in names]
    defects.report()
    return sequences


def listed_sequences(listing: Path) -> list[str]:
    """The sequence names of a list.txt: plain folder names of the root, one per line.

    A path (`../x`, `/data/x`, `a/b`) is refused, naming the line: the toolkit and the scorer
    both look for <root>/<name>, so a sequence elsewhere would be read but never scored.
    """
    names = []
    for number, line in enumerate(listing.read_text().splitlines(), 1):
        name = line.strip()
        if not name:
            continue
        if name in (".", "..") or "/" in name or "\\" in name:
            raise ValueError(
                f"{listing}, line {number}: {name!r} is a path; list.txt names sequence folders "
                f"of {listing.parent} (one name per line, no '/', no '..')"
            )
        names.append(name)
    return names


def read_vot_sequence(folder: Path, defects: DefectLog) -> Sequence:
    """One VOT sequence: polygons turned into axis-aligned boxes, tags into attributes."""
    require_dir(folder, "VOT sequence")
    gt_file = folder / "groundtruth.txt"
    if gt_file.is_file() and gt_file.read_text().lstrip().startswith("m"):
        raise ValueError(f"{gt_file} holds VOT2020+ masks; only polygons and boxes are supported")
    rows = read_box_file(gt_file, values_per_line=(4, 8))
    image_dir = folder / "color" if (folder / "color").is_dir() else folder
    frames = list_images(image_dir)
    if len(frames) != len(rows):
        raise ValueError(f"{gt_file}: {len(rows)} regions for {len(frames)} frames in {image_dir}")
    boxes = np.array([vot_polygon_to_box(row) for row in rows])
    absent = np.zeros(len(rows), bool)
    mark_defective(boxes, absent, image_size(frames[0]), folder.name, defects)
    attributes = read_attributes(folder)
    for tag in VOT_TAGS:
        for suffix in (".tag", ".label"):
            labels = read_label_file(folder / f"{tag}{suffix}", len(frames))
            if labels is not None and labels.any() and tag not in attributes:
                attributes.append(tag)
    return Sequence(folder.name, [str(p) for p in frames], boxes, attributes, absent)


# ----------------------------------------------------------------------------- writing


def write_vot_sequence(
    root: str | Path,
    name: str,
    frames: list[np.ndarray] | list[bytes],
    polygons: np.ndarray,
    attributes: list[str] = (),
    frames_folder: str = "color",
) -> Path:
    """Write a sequence in VOT layout: <name>/color/00000001.jpg and groundtruth.txt (8 values).

    frames_folder="" writes VOT-2013..2015's layout, the frames beside groundtruth.txt (the
    layout the got10k toolkit's VOT reader expects).
    """
    folder = Path(root) / name
    write_numbered_frames(folder / frames_folder if frames_folder else folder, frames, digits=8)
    write_rows(folder / "groundtruth.txt", polygons, fmt=".2f")
    write_attributes(folder, list(attributes))
    with open(Path(root) / "list.txt", "a") as listing:
        listing.write(f"{name}\n")
    return folder
