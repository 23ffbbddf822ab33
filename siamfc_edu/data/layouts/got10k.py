"""GOT-10k: its reader and its writer, in one place.

Layout: <subset>/list.txt names the sequences; <subset>/<name>/00000001.jpg, ... are the frames.
groundtruth.txt holds 1-based x,y,w,h lines; the test subset gives only the first box.
absence.label (1 = out of view) and cover.label (0 = fully occluded .. 8 = fully visible) mark
absent frames, as does a truncated JPEG frame (counted in the reader's one warning).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...boxes import otb_to_xywh, xywh_to_otb
from ..sequence import Sequence
from .common import (
    DefectLog,
    image_size,
    mark_defective,
    mark_truncated,
    read_attributes,
    read_box_file,
    read_label_file,
    require_dir,
    write_attributes,
    write_numbered_frames,
    write_rows,
)

# ----------------------------------------------------------------------------- reading


def read_got10k(root: str | Path, subset: str = "train") -> list[Sequence]:
    """GOT-10k: <root>/<subset>/list.txt; per sequence 00000001.jpg..., groundtruth.txt (1-based).

    absence.label (1 = out of view) and cover.label (0 = fully occluded .. 8 = fully visible)
    mark absent frames; the test subset gives only the first box (the rest are NaN).
    """
    if subset not in ("train", "val", "test"):
        raise ValueError(f"GOT-10k subsets are 'train', 'val' and 'test', got {subset!r}")
    root = require_dir(Path(root), "GOT-10k")
    listing = root / subset / "list.txt"
    if not listing.is_file():
        raise ValueError(
            f"{root} is not a GOT-10k layout: expected {listing} listing the sequences of {subset}"
        )
    names = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
    defects = DefectLog(f"GOT-10k {subset} at {root}")
    sequences = [read_got10k_sequence(root / subset / name, defects) for name in names]
    defects.report()
    return sequences


def read_got10k_sequence(folder: Path, defects: DefectLog) -> Sequence:
    """One GOT-10k sequence folder as a Sequence."""
    require_dir(folder, "GOT-10k sequence listed in list.txt")
    frames = sorted(folder.glob("*.jpg"))
    if not frames:
        raise ValueError(f"GOT-10k sequence {folder} has no frames (00000001.jpg, ...)")
    rows = read_box_file(folder / "groundtruth.txt")
    n = len(frames)
    if len(rows) == 1 and n > 1:  # the test subset: only the first box is given
        rows = rows + [np.full(4, np.nan)] * (n - 1)
    if len(rows) != n:
        raise ValueError(f"{folder / 'groundtruth.txt'}: {len(rows)} boxes for {n} frames")
    boxes = otb_to_xywh(np.array(rows))
    absent = ~np.isfinite(boxes).all(axis=1)
    absence = read_label_file(folder / "absence.label", n)
    cover = read_label_file(folder / "cover.label", n)
    if absence is not None:
        absent |= absence == 1
    if cover is not None:
        absent |= cover == 0
    mark_truncated(frames, absent, defects)
    mark_defective(boxes, absent, image_size(frames[0]), str(folder / "groundtruth.txt"), defects)
    return Sequence(folder.name, [str(p) for p in frames], boxes, read_attributes(folder), absent)


# ----------------------------------------------------------------------------- writing


def cover_level(visible: np.ndarray) -> np.ndarray:
    """GOT-10k's cover label: the visible fraction in 9 levels, 0 (hidden) to 8 (fully visible)."""
    return np.clip(np.ceil(np.asarray(visible) * 8 - 1e-9), 0, 8).astype(int)


def write_got10k_sequence(
    root: str | Path,
    subset: str,
    name: str,
    frames: list[np.ndarray] | list[bytes],
    boxes: np.ndarray,
    absent: np.ndarray,
    cover: np.ndarray,
    attributes: list[str] = (),
) -> Path:
    """Write a sequence in GOT-10k layout: <subset>/<name>/00000001.jpg, groundtruth.txt, labels."""
    folder = Path(root) / subset / name
    write_numbered_frames(folder, frames, digits=8)
    write_rows(folder / "groundtruth.txt", xywh_to_otb(boxes))
    (folder / "absence.label").write_text("".join(f"{int(a)}\n" for a in absent))
    (folder / "cover.label").write_text("".join(f"{int(c)}\n" for c in cover))
    write_attributes(folder, list(attributes))
    with open(Path(root) / subset / "list.txt", "a") as listing:
        listing.write(f"{name}\n")
    return folder
