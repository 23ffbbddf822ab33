"""Curation, as in the authors' ILSVRC15-curation: crop every annotated frame around its target.

Training reads two images per pair. A full VID frame is 1280x720 and costs a large JPEG decode;
the pair only needs a square around the target. So, once, every (frame, object) is cropped with
context at the exemplar's scale (the context square becomes 127 px) into a CROP_SIZE square,
stored as JPEG with the box inside it and the full frame's mean colour (for padding). The pair
sampler then reads small crops, and its search crop of 255 px is a plain slice of them.

    OUT/index.json                      what was curated, with which settings, boxes, pad colours
    OUT/<sequence name>/000123.jpg      the crop of frame 123 of that track
"""

from __future__ import annotations

import json
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from ..boxes import box_center, cxcywh_to_xywh, xywh_to_cxcywh
from ..config import SiamFCConfig
from ..crops import crop_window, exemplar_side, target_crop
from ..images import mean_color, read_image
from .layouts.vid import find_vid_root, read_vid
from .sequence import Sequence
from .tracks import Track, tracks_from_sequences

# 255 px search crop + room for the augmentations (5% stretch and 4 px translation need 276)
CROP_SIZE = 287
INDEX = "index.json"


def default_curated_dir(vid_root: Path) -> Path:
    """Where `curate(root)` writes by default: <VID root>/Curation, as the authors' scripts did."""
    return Path(vid_root) / "Curation"


def is_curated(folder: str | Path) -> bool:
    """True if the folder holds a curated copy (an index.json written by `curate`)."""
    return (Path(folder) / INDEX).is_file()


def curated_box(box: np.ndarray, window: tuple[int, int, int], crop_size: int) -> np.ndarray:
    """The box in crop coordinates, given the crop window (x1, y1, side) resized to crop_size."""
    x1, y1, side = window
    scale = crop_size / side
    cx, cy, w, h = xywh_to_cxcywh(box)
    # cv2.resize maps the centre of input pixel u to output (u + 0.5) * scale - 0.5
    return cxcywh_to_xywh(
        [(cx - x1 + 0.5) * scale - 0.5, (cy - y1 + 0.5) * scale - 0.5, w * scale, h * scale]
    )


def curate_crop(
    image: np.ndarray, box: np.ndarray, pad: tuple, cfg: SiamFCConfig, crop_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Crop one target at the exemplar's scale into crop_size px: (crop, box in the crop)."""
    side = exemplar_side(box[2], box[3], cfg) * (crop_size / cfg.exemplar_size)
    window = crop_window(tuple(box_center(box)), side)
    crop = target_crop(image, box, cfg, crop_size, pad)
    return crop, curated_box(box, window, crop_size)


def _curate_frame(
    path: str, targets: list[tuple[int, int, np.ndarray, Path]], cfg: SiamFCConfig, crop_size: int
) -> tuple[str, list[tuple[int, int, np.ndarray, tuple]] | None]:
    """Decode one frame once and write the crop of every target in it (several VID objects)."""
    try:
        image = read_image(path)
    except (OSError, ValueError) as error:
        return str(error), None
    pad = mean_color(image)
    done = []
    for track, k, box, out_path in targets:
        crop, box_in_crop = curate_crop(image, box, pad, cfg, crop_size)
        ok = cv2.imwrite(
            str(out_path), cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90]
        )
        if not ok:
            raise OSError(f"could not write {out_path}")
        done.append((track, k, box_in_crop, pad))
    return path, done


def curate(
    source: str | Path | list[Sequence],
    out: str | Path | None = None,
    cfg: SiamFCConfig | None = None,
    crop_size: int = CROP_SIZE,
    threads: int = 2,
    verbose: bool = True,
) -> Path:
    """Pre-crop every annotated frame around its target, once; returns the curated folder.

    `source` is an ImageNet VID root (its train subset is read; the default `out` is
    <root>/Curation) or a list of Sequences (then `out` is required). Unreadable frames are
    skipped and counted in a warning.
    """
    cfg = cfg or SiamFCConfig()
    start = time.perf_counter()
    if isinstance(source, list):
        if out is None:
            raise ValueError("curate(list of sequences) needs an `out` folder")
        sequences = source
    else:
        vid_root = find_vid_root(source)
        sequences = read_vid(vid_root, "train")
        out = default_curated_dir(vid_root) if out is None else out
    out = Path(out)
    tracks = tracks_from_sequences(sequences)

    # group the targets by frame, so that a frame with several objects is decoded once
    by_frame: dict[str, list[tuple[int, int, np.ndarray, Path]]] = {}
    for t, track in enumerate(tracks):
        (out / track.name).mkdir(parents=True, exist_ok=True)
        for k, (path, box, frame_id) in enumerate(
            zip(track.frames, track.boxes, track.frame_ids, strict=True)
        ):
            by_frame.setdefault(path, []).append(
                (t, k, box, out / track.name / f"{frame_id:06d}.jpg")
            )

    boxes = [np.full((len(track), 4), np.nan) for track in tracks]
    pads = [np.zeros((len(track), 3)) for track in tracks]
    failures = []
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:  # cv2 releases the GIL
        jobs = [
            pool.submit(_curate_frame, path, targets, cfg, crop_size)
            for path, targets in by_frame.items()
        ]
        for job in jobs:
            message, done = job.result()
            if done is None:
                failures.append(message)
                continue
            for t, k, box_in_crop, pad in done:
                boxes[t][k] = box_in_crop
                pads[t][k] = pad

    entries = []
    for track, track_boxes, track_pads in zip(tracks, boxes, pads, strict=True):
        ok = np.isfinite(track_boxes).all(axis=1)
        if not ok.any():
            continue
        entries.append(
            {
                "name": track.name,
                "frame_ids": track.frame_ids[ok].tolist(),
                "crops": [f"{track.name}/{i:06d}.jpg" for i in track.frame_ids[ok]],
                "boxes": np.round(track_boxes[ok], 3).tolist(),
                "pad_colors": np.round(track_pads[ok], 2).tolist(),
            }
        )
    index = {
        "crop_size": crop_size,
        "exemplar_size": cfg.exemplar_size,
        "context": cfg.context,
        "tracks": entries,
    }
    (out / INDEX).write_text(json.dumps(index))
    if failures:
        warnings.warn(
            f"curation skipped {len(failures)} unreadable frame(s), e.g. {failures[0]}",
            stacklevel=2,
        )
    if verbose:
        crops = sum(len(e["crops"]) for e in entries)
        seconds = time.perf_counter() - start
        print(f"curated {crops} crops of {len(entries)} tracks into {out} in {seconds:.1f} s")
    return out


def load_curated(folder: str | Path, cfg: SiamFCConfig | None = None) -> list[Track]:
    """The tracks of a curated folder, as the pair sampler uses them (crops, boxes, pad colours)."""
    folder = Path(folder)
    path = folder / INDEX
    if not path.is_file():
        raise FileNotFoundError(
            f"no curated copy at {folder} (missing {path}); make one with curate()"
        )
    try:
        index = json.loads(path.read_text())
        entries = index["tracks"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise ValueError(f"corrupt curation index {path}: {error}") from None
    if cfg is not None and (
        index.get("context") != cfg.context or index.get("exemplar_size") != cfg.exemplar_size
    ):
        raise ValueError(
            f"{folder} was curated with context {index.get('context')} and exemplar size "
            f"{index.get('exemplar_size')}, but the config asks for {cfg.context} and "
            f"{cfg.exemplar_size}: curate again"
        )
    return [
        Track(
            name=e["name"],
            frames=[str(folder / c) for c in e["crops"]],
            boxes=np.array(e["boxes"], np.float64).reshape(-1, 4),
            frame_ids=np.array(e["frame_ids"], int),
            pad_colors=np.array(e["pad_colors"], np.float64).reshape(-1, 3),
        )
        for e in entries
    ]
