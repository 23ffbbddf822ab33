"""Readers for the real data-set layouts: ImageNet VID 2015, GOT-10k, OTB, VOT, an image folder.

Every reader returns `Sequence` objects with 0-based [x, y, w, h] boxes (NaN where the target is
absent), whatever the file format says. Structural problems (a missing root, a layout that is not
the one named, an unreadable annotation file) raise FileNotFoundError / ValueError naming the path;
a defect of one frame (a box of zero size or outside its frame, a missing image) marks that frame
absent and is counted in one warning per call -- it never becomes a wrong label.

The generator (`generate.py`) writes miniatures of every layout; `data/README.md` says where the
real data sets come from and how to point these readers at them.
"""

from __future__ import annotations

import re
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from ..boxes import box_problem, cxcywh_to_xywh, otb_to_xywh, xyxy_to_xywh
from .footage import IMAGE_SUFFIXES, list_images
from .sequence import Sequence

# ----------------------------------------------------------------------------- shared helpers


class DefectLog:
    """Counts per-frame defects while reading, then reports them in a single warning."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.examples: list[str] = []
        self.count = 0

    def add(self, message: str) -> None:
        """Record one skipped frame annotation."""
        self.count += 1
        if len(self.examples) < 3:
            self.examples.append(message)

    def report(self) -> None:
        """Warn once with the number of skipped frames and a few examples."""
        if self.count:
            examples = "; ".join(self.examples)
            warnings.warn(
                f"{self.what}: skipped {self.count} defective frame annotation(s), marked absent "
                f"(e.g. {examples})",
                stacklevel=3,
            )


def _require_dir(path: Path, what: str) -> Path:
    """The folder, or a FileNotFoundError that says what was expected there."""
    if not path.exists():
        raise FileNotFoundError(f"{what}: no such folder {path}")
    if not path.is_dir():
        raise ValueError(f"{what}: {path} is not a folder")
    return path


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) of an image from its header alone (no decoding)."""
    from PIL import Image  # Pillow comes with matplotlib; it reads the size without decoding

    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read the image {path}: {error}") from None


def mark_defective(
    boxes: np.ndarray, absent: np.ndarray, size: tuple[int, int], name: str, defects: DefectLog
) -> None:
    """Count every visible box of zero size or outside the frame, and mark it absent (NaN)."""
    for i in np.flatnonzero(~absent):
        problem = box_problem(boxes[i], size)
        if problem:
            defects.add(f"{name} frame {i + 1}: {problem}")
            absent[i] = True
    boxes[absent] = np.nan


def read_box_file(path: Path, values_per_line: tuple[int, ...] = (4,)) -> list[np.ndarray]:
    """The numbers of each line of a ground-truth file, split on commas, tabs or spaces."""
    if not path.is_file():
        raise FileNotFoundError(f"no ground-truth file at {path}")
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            row = np.array([float(v) for v in re.split(r"[,\s]+", line)], np.float64)
        except ValueError:
            raise ValueError(f"{path}, line {number}: not numbers: {line[:60]!r}") from None
        if len(row) not in values_per_line:
            raise ValueError(
                f"{path}, line {number}: expected {' or '.join(map(str, values_per_line))} "
                f"values, got {len(row)}"
            )
        rows.append(row)
    if not rows:
        raise ValueError(f"the ground-truth file {path} is empty")
    return rows


def read_attributes(folder: Path) -> list[str]:
    """The attribute codes of a sequence from its attributes.txt (one per line), if any."""
    path = folder / "attributes.txt"
    if not path.is_file():
        return []
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def read_label_file(path: Path, n: int) -> np.ndarray | None:
    """A per-frame integer label file (absence.label, cover.label, *.tag), or None if missing."""
    if not path.is_file():
        return None
    values = [int(float(v)) for v in path.read_text().split()]
    if len(values) != n:
        raise ValueError(f"{path}: {len(values)} labels for {n} frames")
    return np.array(values)


# ----------------------------------------------------------------------------- ImageNet VID


def authors_box_filter(box: np.ndarray, frame_size: tuple[int, int]) -> bool:
    """The authors' curation rule: keep boxes of 20..500 px, 1%..50% of the frame, aspect 1/4..4."""
    w, h = box[2], box[3]
    width, height = frame_size
    return bool(
        w * h >= 20
        and min(w, h) >= 20
        and max(w, h) <= 500
        and w / width >= 0.01
        and h / height >= 0.01
        and w / width <= 0.5
        and h / height <= 0.5
        and 0.25 <= w / max(1.0, h) <= 4
    )


def find_vid_root(root: str | Path) -> Path:
    """The VID root (holding Data/VID and Annotations/VID): root itself or root/ILSVRC2015."""
    root = _require_dir(Path(root), "ImageNet VID")
    for candidate in (root, root / "ILSVRC2015"):
        if (candidate / "Data" / "VID").is_dir() and (candidate / "Annotations" / "VID").is_dir():
            return candidate
    raise ValueError(
        f"{root} is not an ImageNet VID 2015 layout: expected {root}/Data/VID/<subset>/... and "
        f"{root}/Annotations/VID/<subset>/... (or the same under {root}/ILSVRC2015)"
    )


def vid_snippet_dirs(base: Path) -> list[Path]:
    """The snippet folders under Annotations/VID/<subset> (train has one more level of groups)."""
    snippets = []
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        if any(folder.glob("*.xml")):
            snippets.append(folder)
        else:
            snippets.extend(sorted(p for p in folder.iterdir() if p.is_dir()))
    return snippets


def parse_vid_xml(path: Path) -> tuple[tuple[int, int], list[dict]]:
    """One VID annotation: (width, height) and per object its trackid, name, box and occluded."""
    try:
        root = ET.parse(path).getroot()
        size = (int(root.findtext("size/width")), int(root.findtext("size/height")))
        objects = []
        for element in root.findall("object"):
            corners = [
                float(element.findtext(f"bndbox/{k}")) for k in ("xmin", "ymin", "xmax", "ymax")
            ]
            objects.append(
                {
                    "trackid": int(element.findtext("trackid")),
                    "name": element.findtext("name", default=""),
                    "box": xyxy_to_xywh(corners),
                    "occluded": element.findtext("occluded", default="0").strip() == "1",
                }
            )
    except (ET.ParseError, TypeError, ValueError) as error:
        raise ValueError(f"corrupt VID annotation {path}: {error}") from None
    return size, objects


def clip_to_frame(box: np.ndarray, frame_size: tuple[int, int]) -> np.ndarray:
    """The part of an xywh box inside the frame (VID boxes sometimes end one pixel outside)."""
    width, height = frame_size
    x1, y1 = max(box[0], 0), max(box[1], 0)
    x2, y2 = min(box[0] + box[2] - 1, width - 1), min(box[1] + box[3] - 1, height - 1)
    return np.array([x1, y1, x2 - x1 + 1, y2 - y1 + 1])


def read_vid_snippet(
    anno_dir: Path, data_dir: Path, filter_boxes: bool, defects: DefectLog
) -> list[Sequence]:
    """One sequence per trackid of a snippet; frames where that object has no box are absent."""
    xml_files = sorted(anno_dir.glob("*.xml"))
    if not data_dir.is_dir():
        raise FileNotFoundError(f"VID snippet {anno_dir} has annotations but no frames: {data_dir}")
    jpegs = {p.stem: p for p in data_dir.glob("*.JPEG")}
    frames = [str(data_dir / f"{x.stem}.JPEG") for x in xml_files]
    tracks: dict[int, np.ndarray] = {}
    for index, xml_path in enumerate(xml_files):
        size, objects = parse_vid_xml(xml_path)
        if xml_path.stem not in jpegs:
            defects.add(f"{xml_path}: no frame {data_dir / xml_path.stem}.JPEG")
            continue
        for obj in objects:
            problem = box_problem(obj["box"], size)
            if problem:
                defects.add(f"{xml_path}, trackid {obj['trackid']}: {problem}")
                continue
            box = clip_to_frame(obj["box"], size)
            if filter_boxes and not authors_box_filter(box, size):
                continue
            boxes = tracks.setdefault(obj["trackid"], np.full((len(xml_files), 4), np.nan))
            boxes[index] = box
    attributes = read_attributes(anno_dir)
    return [
        Sequence(
            name=f"{anno_dir.name}.{trackid}",
            frames=frames,
            boxes=boxes,
            attributes=list(attributes),
            absent=~np.isfinite(boxes).all(axis=1),
        )
        for trackid, boxes in sorted(tracks.items())
    ]


def read_vid(
    root: str | Path,
    subset: str = "train",
    filter_boxes: bool = True,
    max_snippets: int | None = None,
) -> list[Sequence]:
    """ImageNet VID 2015: one Sequence per (snippet, trackid), named '<snippet>.<trackid>'.

    With `filter_boxes` the authors' curation rule (`authors_box_filter`) marks tiny, huge or
    thin boxes absent, so that the pair sampler never picks them.
    """
    if subset not in ("train", "val"):
        raise ValueError(f"ImageNet VID subsets are 'train' and 'val', got {subset!r}")
    vid_root = find_vid_root(root)
    anno_base = vid_root / "Annotations" / "VID" / subset
    data_base = vid_root / "Data" / "VID" / subset
    _require_dir(anno_base, f"ImageNet VID {subset} annotations")
    snippet_dirs = vid_snippet_dirs(anno_base)[:max_snippets]
    if not snippet_dirs:
        raise ValueError(f"no VID snippet (a folder of .xml files) under {anno_base}")
    defects = DefectLog(f"ImageNet VID {subset} at {vid_root}")
    sequences = []
    for anno_dir in snippet_dirs:
        data_dir = data_base / anno_dir.relative_to(anno_base)
        sequences.extend(read_vid_snippet(anno_dir, data_dir, filter_boxes, defects))
    defects.report()
    return sequences


# ----------------------------------------------------------------------------- GOT-10k


def read_got10k(root: str | Path, subset: str = "train") -> list[Sequence]:
    """GOT-10k: <root>/<subset>/list.txt; per sequence 00000001.jpg..., groundtruth.txt (1-based).

    absence.label (1 = out of view) and cover.label (0 = fully occluded .. 8 = fully visible)
    mark absent frames; the test subset gives only the first box (the rest are NaN).
    """
    if subset not in ("train", "val", "test"):
        raise ValueError(f"GOT-10k subsets are 'train', 'val' and 'test', got {subset!r}")
    root = _require_dir(Path(root), "GOT-10k")
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
    _require_dir(folder, "GOT-10k sequence listed in list.txt")
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
    mark_defective(boxes, absent, image_size(frames[0]), folder.name, defects)
    return Sequence(folder.name, [str(p) for p in frames], boxes, read_attributes(folder), absent)


# ----------------------------------------------------------------------------- OTB

# OTB sequences whose img/ folder holds more frames than their ground truth (OTB's configSeqs)
OTB_FRAME_RANGES: dict[str, tuple[int, int]] = {
    "David": (300, 770),
    "Football1": (1, 74),
    "Freeman3": (1, 460),
    "Freeman4": (1, 283),
    "Diving": (1, 215),
}


def read_otb(root: str | Path) -> list[Sequence]:
    """OTB: <root>/<seq>/img/0001.jpg... and groundtruth_rect.txt (1-based x,y,w,h).

    The values of a line may be separated by commas, tabs or spaces.

    Sequences with two targets (groundtruth_rect.1.txt, .2.txt) give two Sequences, '<seq>.1' ...
    """
    root = _require_dir(Path(root), "OTB")
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
        defects.add(f"{name}: {len(frames)} frames, {len(boxes)} boxes: using the first frames")
        frames = frames[: len(boxes)]
    if len(frames) != len(boxes):
        raise ValueError(f"{gt_file}: {len(boxes)} boxes for {len(frames)} frames in {folder}/img")
    absent = np.zeros(len(boxes), bool)
    mark_defective(boxes, absent, image_size(frames[0]), name, defects)
    return Sequence(name, [str(p) for p in frames], boxes, read_attributes(folder), absent)


# ----------------------------------------------------------------------------- VOT

VOT_TAGS = ("camera_motion", "illum_change", "motion_change", "occlusion", "size_change")


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


def read_vot(root: str | Path) -> list[Sequence]:
    """VOT (2013-2019): <root>/<seq>/groundtruth.txt of 8-value polygons (or 4-value boxes).

    Frames are <seq>/color/00000001.jpg (VOT2016+) or <seq>/00000001.jpg (older editions);
    per-frame tag files (occlusion.tag, ...) with any 1 become the sequence's attributes.
    """
    root = _require_dir(Path(root), "VOT")
    listing = root / "list.txt"
    if listing.is_file():
        names = [line.strip() for line in listing.read_text().splitlines() if line.strip()]
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


def read_vot_sequence(folder: Path, defects: DefectLog) -> Sequence:
    """One VOT sequence: polygons turned into axis-aligned boxes, tags into attributes."""
    _require_dir(folder, "VOT sequence")
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


# ----------------------------------------------------------------------------- image folder


def read_image_folder(folder: str | Path, init_box: object | None = None) -> Sequence:
    """A plain folder of frames (sorted by name) as a Sequence: no boxes but, maybe, the first."""
    folder = Path(folder)
    frames = list_images(folder)
    boxes = np.full((len(frames), 4), np.nan)
    if init_box is not None:
        box = np.asarray(init_box, np.float64).reshape(-1)
        problem = box_problem(box, image_size(frames[0])) if box.shape == (4,) else "not 4 values"
        if problem:
            raise ValueError(f"the first box for {folder} is unusable: {problem}")
        boxes[0] = box
    return Sequence(folder.name, [str(p) for p in frames], boxes)
