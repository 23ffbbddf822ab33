"""ImageNet VID 2015, the paper's training data: its reader and its writer, in one place.

Layout: Data/VID/<subset>[/<group>]/<snippet>/000000.JPEG and the same path under Annotations/VID
with one XML per frame (size, then per object: trackid, name, bndbox, occluded).
The XML's xmin..xmax are inclusive pixel indices; reading turns them into 0-based [x, y, w, h].
Reading gives one Sequence per (snippet, trackid), named '<snippet>.<trackid>'.
The authors' curation rule (`authors_box_filter`) drops tiny, huge and thin boxes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...boxes import box_problem, xywh_to_xyxy, xyxy_to_xywh
from ...images import jpeg_problem
from ..sequence import Sequence
from .common import DefectLog, encode_jpeg, read_attributes, require_dir, write_attributes

# ----------------------------------------------------------------------------- reading


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
    root = require_dir(Path(root), "ImageNet VID")
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
    """One sequence per trackid of a snippet; frames where that object has no box are absent.

    So is every object of a frame whose JPEG is missing or truncated, or whose annotation is
    missing (each counted in `defects`): a sequence keeps one row per frame of the snippet.
    """
    if not data_dir.is_dir():
        raise FileNotFoundError(f"VID snippet {anno_dir} has annotations but no frames: {data_dir}")
    xmls = {p.stem: p for p in anno_dir.glob("*.xml")}
    jpegs = {p.stem: p for p in data_dir.glob("*.JPEG")}
    stems = sorted(xmls.keys() | jpegs.keys())
    frames = [str(data_dir / f"{stem}.JPEG") for stem in stems]
    tracks: dict[int, np.ndarray] = {}
    for index, stem in enumerate(stems):
        if stem not in xmls:
            defects.add(f"{jpegs[stem]}: no annotation {anno_dir / stem}.xml")
            continue
        size, objects = parse_vid_xml(xmls[stem])
        if stem not in jpegs:
            defects.add(f"{xmls[stem]}: no frame {data_dir / stem}.JPEG")
            continue
        truncated = jpeg_problem(jpegs[stem])
        if truncated:
            defects.add(truncated)
            continue
        for obj in objects:
            problem = box_problem(obj["box"], size)
            if problem:
                defects.add(f"{xmls[stem]}, trackid {obj['trackid']}: {problem}")
                continue
            box = clip_to_frame(obj["box"], size)
            if filter_boxes and not authors_box_filter(box, size):
                continue
            boxes = tracks.setdefault(obj["trackid"], np.full((len(stems), 4), np.nan))
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
    require_dir(anno_base, f"ImageNet VID {subset} annotations")
    snippet_dirs = vid_snippet_dirs(anno_base)[:max_snippets]
    if not snippet_dirs:
        raise ValueError(f"no VID snippet (a folder of .xml files) under {anno_base}")
    defects = DefectLog(f"ImageNet VID {subset} at {vid_root}")
    sequences = []
    for anno_dir in snippet_dirs:
        data_dir = data_base / anno_dir.relative_to(anno_base)
        sequences.extend(read_vid_snippet(anno_dir, data_dir, filter_boxes, defects))
    defects.report()
    if not sequences and not any(any(d.glob("*.xml")) for d in snippet_dirs):
        raise ValueError(
            f"no VID annotation under {anno_base}: expected one <frame>.xml per frame in "
            f"{anno_base}/<snippet>/ (or <group>/<snippet>/ for train), beside the frames in "
            f"{data_base}/<snippet>/"
        )
    return sequences


# ----------------------------------------------------------------------------- writing


@dataclass
class VidObject:
    """One object in one VID frame: what an <object> element of the XML holds."""

    trackid: int
    name: str
    box: np.ndarray  # xywh, 0-based
    occluded: bool = False


def vid_xml(
    folder: str, filename: str, width: int, height: int, objects: list[VidObject]
) -> ET.ElementTree:
    """One VID annotation: size, then per object trackid, name, bndbox (inclusive), occluded."""
    root = ET.Element("annotation")
    ET.SubElement(root, "folder").text = folder
    ET.SubElement(root, "filename").text = filename
    source = ET.SubElement(root, "source")
    ET.SubElement(source, "database").text = "ILSVRC_2015"
    size = ET.SubElement(root, "size")
    ET.SubElement(size, "width").text = str(width)
    ET.SubElement(size, "height").text = str(height)
    for obj in objects:
        element = ET.SubElement(root, "object")
        ET.SubElement(element, "trackid").text = str(obj.trackid)
        ET.SubElement(element, "name").text = obj.name
        x1, y1, x2, y2 = (int(round(v)) for v in xywh_to_xyxy(obj.box))
        bndbox = ET.SubElement(element, "bndbox")
        for tag, value in (("xmax", x2), ("xmin", x1), ("ymax", y2), ("ymin", y1)):
            ET.SubElement(bndbox, tag).text = str(value)
        ET.SubElement(element, "occluded").text = str(int(obj.occluded))
        ET.SubElement(element, "generated").text = "0"
    ET.indent(root, space="\t")
    return ET.ElementTree(root)


def write_vid_snippet(
    root: str | Path,
    subset: str,
    snippet: str,
    frames: list[np.ndarray],
    annotations: list[list[VidObject]],
    attributes: list[str] = (),
    group: str | None = None,
) -> Path:
    """Write a snippet in VID layout: Data/VID/<subset>[/<group>]/<snippet>/000000.JPEG and XML."""
    relative = Path(subset) / group / snippet if group else Path(subset) / snippet
    data_dir = Path(root) / "Data" / "VID" / relative
    anno_dir = Path(root) / "Annotations" / "VID" / relative
    data_dir.mkdir(parents=True, exist_ok=True)
    anno_dir.mkdir(parents=True, exist_ok=True)
    for index, (frame, objects) in enumerate(zip(frames, annotations, strict=True)):
        (data_dir / f"{index:06d}.JPEG").write_bytes(encode_jpeg(frame))
        folder = str(relative.relative_to(subset)) if group else snippet
        xml = vid_xml(folder, f"{index:06d}", frame.shape[1], frame.shape[0], objects)
        xml.write(anno_dir / f"{index:06d}.xml")
    write_attributes(anno_dir, list(attributes))
    return data_dir
