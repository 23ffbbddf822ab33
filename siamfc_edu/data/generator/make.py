"""The generated data set: many rendered videos written in the real layouts, one command.

    OUT/ILSVRC2015/Data/VID/train/ILSVRC2015_VID_train_0000/<snippet>/000000.JPEG
    OUT/ILSVRC2015/Annotations/VID/train/ILSVRC2015_VID_train_0000/<snippet>/000000.xml
    OUT/ILSVRC2015/Data/VID/val/<snippet>/...   (and Annotations/VID/val/...)
    OUT/OTB/<seq>/img/0001.jpg + groundtruth_rect.txt            (held-out evaluation split)
    OUT/GOT-10k/val/list.txt + <seq>/00000001.jpg + groundtruth.txt, absence.label, cover.label
    OUT/VOT/list.txt + <seq>/00000001.jpg + groundtruth.txt of rotated polygons   (vot=True)
    OUT/dataset.json                                             the arguments and the time taken

Every video's random stream is a function of (seed, split, index): the same seed, the same bytes.
The evaluation split uses other streams and the held-out quarter of the footage: nothing shared.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ..layouts.common import encode_jpeg
from ..layouts.got10k import cover_level, write_got10k_sequence
from ..layouts.otb import write_otb_sequence
from ..layouts.vid import VidObject, write_vid_snippet
from ..layouts.vot import write_vot_sequence
from .render import ABSENT_BELOW, OCCLUDED_BELOW, RenderedVideo, render_video


def vid_annotations(video: RenderedVideo) -> list[list[VidObject]]:
    """Per frame, the VID objects of a rendered video: every visible track, occluded flag set."""
    frames = []
    for t in range(len(video.frames)):
        objects = []
        for trackid, boxes in video.boxes.items():
            seen = video.visible[trackid][t]
            if seen >= ABSENT_BELOW and np.all(np.isfinite(boxes[t])):
                objects.append(
                    VidObject(trackid, video.names[trackid], boxes[t], bool(seen < OCCLUDED_BELOW))
                )
        frames.append(objects)
    return frames


def video_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The random stream of one video: a function of (seed, split, index) only."""
    return np.random.default_rng([seed, ("train", "val", "eval").index(split), index])


def write_vid_videos(
    vid_root: Path, split: str, count: int, seed: int, n_frames: int, size: tuple[int, int]
) -> int:
    """Render `count` videos and write them as VID snippets of `split`; the frames written."""
    frames = 0
    for i in range(count):
        video = render_video(video_rng(seed, split, i), n_frames, size)
        snippet = f"ILSVRC2015_{split}_{i:08d}"
        group = f"ILSVRC2015_VID_train_{i // 1000:04d}" if split == "train" else None
        write_vid_snippet(
            vid_root,
            split,
            snippet,
            video.frames,
            vid_annotations(video),
            video.attributes,
            group,
        )
        frames += len(video.frames)
    return frames


def write_eval_videos(
    out: Path, count: int, seed: int, n_frames: int, size: tuple[int, int], vot: bool = False
) -> int:
    """Render `count` held-out videos, each written in OTB's and GOT-10k's layouts; the frames.

    vot: also in VOT-2015's layout, the target's rotated box as an 8-value polygon per frame
    (through its outermost pixel centres; kept where it is hidden, as VOT annotates).
    """
    (out / "GOT-10k" / "val").mkdir(parents=True, exist_ok=True)
    (out / "GOT-10k" / "val" / "list.txt").write_text("")
    if vot:
        (out / "VOT").mkdir(parents=True, exist_ok=True)
        (out / "VOT" / "list.txt").write_text("")
    frames = 0
    for i in range(count):
        video = render_video(video_rng(seed, "eval", i), n_frames, size, held_out=True)
        jpegs = [encode_jpeg(frame) for frame in video.frames]
        absent = video.absent(0)
        write_otb_sequence(out / "OTB", f"Gen{i + 1:04d}", jpegs, video.boxes[0], video.attributes)
        write_got10k_sequence(
            out / "GOT-10k",
            "val",
            f"GOT-10k_Val_{i + 1:06d}",
            jpegs,
            video.boxes[0],
            absent,
            np.where(absent, 0, cover_level(video.visible[0])),
            video.attributes,
        )
        if vot:
            name = f"gen{i + 1:04d}"
            write_vot_sequence(out / "VOT", name, jpegs, video.polygons[0], video.attributes, "")
        frames += len(video.frames)
    return frames


def make_dataset(
    out: str | Path,
    videos: int,
    seed: int,
    eval_videos: int | None = None,
    frames_per_video: int = 40,
    size: tuple[int, int] = (320, 240),
    val_videos: int | None = None,
    verbose: bool = True,
    vot: bool = False,
) -> Path:
    """Write a generated VID (train + val) and a held-out OTB + GOT-10k evaluation split under out.

    Deterministic for `seed`. The evaluation split uses other random streams and the held-out last
    quarter of every footage clip, so no background frame or texture patch is shared with training.
    """
    if videos < 1 or frames_per_video < 2:
        raise ValueError(
            f"need videos >= 1 and frames_per_video >= 2, got {videos}, {frames_per_video}"
        )
    start = time.perf_counter()
    out = Path(out)
    eval_videos = max(2, videos // 4) if eval_videos is None else eval_videos
    val_videos = max(1, videos // 10) if val_videos is None else val_videos
    frames = 0
    for split, count in (("train", videos), ("val", val_videos)):
        frames += write_vid_videos(out / "ILSVRC2015", split, count, seed, frames_per_video, size)
    frames += write_eval_videos(out, eval_videos, seed, frames_per_video, size, vot)

    elapsed = time.perf_counter() - start
    summary = {
        "generator": "siamfc_edu.data.generator.make.make_dataset",
        "seed": seed,
        "train_videos": videos,
        "val_videos": val_videos,
        "eval_videos": eval_videos,
        "frames_per_video": frames_per_video,
        "size": list(size),
        "vot": vot,
        "seconds": round(elapsed, 2),
    }
    (out / "dataset.json").write_text(json.dumps(summary, indent=2) + "\n")
    if verbose:
        print(
            f"wrote {videos} train + {val_videos} val VID snippets and {eval_videos} held-out "
            f"evaluation sequences (OTB, GOT-10k{', VOT' if vot else ''}), {frames} frames of "
            f"{size[0]}x{size[1]}, under {out} in {elapsed:.1f} s"
        )
    return out
