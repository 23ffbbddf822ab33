"""How right is the footage pairs' motion check? Measured against boxes (issue 28, item 2).

    python experiments/footage_motion_audit.py                  # about 2 minutes on one core
    python experiments/footage_motion_audit.py --videos 0       # OpenCV's clips only

`FootagePairs` labels a moving pair with the motion that `measure_motion` measures (template
matching), and keeps it only when the match is strong and unique. This script runs that check on
frame pairs whose true motion is known, and prints, per clip and per variant of the check, how
many pairs it keeps and how far the motion it measures is from the true one:

- OpenCV's clips (`box`, `cup`, `vtest`), first three quarters only (`held_out_start`, the frames
  `FootagePairs(part="train")` cuts pairs from), decoded as `load_clip` decodes them (vtest shrunk
  from 768 to 640 px wide: errors are in those pixels). The truth is the hand boxes of the harder
  real set (every 5th frame; in vtest the evaluation man and the validation woman). Two kinds of
  pairs: `hand`, two hand-boxed frames 5 apart (both boxes drawn; one frame beyond FootagePairs'
  largest gap of 4), and `interp`, a hand-boxed frame and one 1-4 frames away whose box centre
  is interpolated linearly between the hand boxes around it.
- Generated videos (as `siamfc-edu make-data` renders them: 40 frames, 320x240) with their exact
  boxes, every frame paired with those 1-4 frames away; `FM/IPR/OCC` are the videos built with
  fast motion, in-plane rotation or partial occlusion.

The check's variants: today's (`FootagePairs`' default: peak >= 0.75, margin 0.1), a stricter
uniqueness margin (`FootagePairs(min_margin=STRICT_MARGIN)`), a stronger peak, and a
forward-backward round trip. The template is the object's box in the first frame (skipped
when flat, as FootagePairs redraws flat boxes; on the generated videos also when less than 90 %
of the object shows). The error is the distance between the centre of the box the check finds
and the true box's centre (the hand boxes themselves are good to about +-2-4 px). A score-map
cell is 8 px (`total_stride`). The object's box is the hard case: of FootagePairs' random boxes,
only those on a moving object meet it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from siamfc_edu.data.footage import OPENCV_VIDEOS
from siamfc_edu.data.footage_pairs import STRICT_MARGIN, has_texture, load_clip, measure_motion
from siamfc_edu.data.generator.make import video_rng
from siamfc_edu.data.generator.render import OCCLUDED_BELOW, render_video
from siamfc_edu.data.real import HARD_DIR, HARD_VALIDATION_DIR, read_annotations
from siamfc_edu.data.split import held_out_start

CHECKS = {  # variant of the check -> keyword arguments of `motion`
    "default": {},
    f"margin {STRICT_MARGIN}": {"min_margin": STRICT_MARGIN},
    "peak >= 0.85": {"min_peak": 0.85},
    "round trip <= 2 px": {"round_trip": 2.0},
}
HAND_STEP = 5  # the hand boxes are drawn on every 5th frame
CELL = 8  # px: one score-map cell of the paper's network (total stride)

Pair = tuple[int, int, np.ndarray, np.ndarray]  # (frame z, frame x, box in z, true centre in x)


def centre(box: np.ndarray) -> np.ndarray:
    """The centre (x, y) of an [x, y, w, h] box."""
    return box[:2] + box[2:] / 2


def hand_boxes(clip: str, frames: int, scale: float) -> list[np.ndarray]:
    """Every hand-boxed object of an OpenCV clip, (frames, 4) in the decoded clip's pixels."""
    files = [p for folder in (HARD_DIR, HARD_VALIDATION_DIR) for p in folder.glob(f"{clip}_*.txt")]
    return [read_annotations(path, frames) * scale for path in sorted(files)]


def hand_pairs(boxes: np.ndarray, cut: int, kind: str) -> list[Pair]:
    """Pairs of training frames with a known motion: `hand` (5 apart) or `interp` (1-4 apart)."""
    drawn = [t for t in range(cut) if np.isfinite(boxes[t]).all()]
    pairs = []
    for z in drawn:
        gaps = [HAND_STEP] if kind == "hand" else range(1, HAND_STEP)
        for x in [z + s * g for g in gaps for s in (-1, 1)]:
            truth = true_centre(boxes, x, cut)
            if truth is not None:
                pairs.append((z, x, boxes[z], truth))
    return pairs


def true_centre(boxes: np.ndarray, t: int, cut: int) -> np.ndarray | None:
    """The box centre at frame t: drawn, or interpolated between the drawn frames around it."""
    if not 0 <= t < cut:
        return None
    before, after = t - t % HAND_STEP, t - t % HAND_STEP + HAND_STEP
    if t == before:
        return centre(boxes[t]) if np.isfinite(boxes[t]).all() else None
    if after >= cut or not (np.isfinite(boxes[before]).all() and np.isfinite(boxes[after]).all()):
        return None
    w = (t - before) / HAND_STEP
    return (1 - w) * centre(boxes[before]) + w * centre(boxes[after])


def motion(
    src: np.ndarray, dst: np.ndarray, box: np.ndarray, round_trip: float | None = None, **check
) -> np.ndarray | None:
    """`measure_motion`, and with `round_trip` (px) a forward-backward check after it.

    The round trip matches the content found in dst back into src; the match is kept only if it
    lands within round_trip px of the box it started from.
    """
    moved = measure_motion(src, dst, box, **check)
    if moved is None or round_trip is None:
        return moved
    back = measure_motion(dst, src, moved, **check)
    if back is None or np.abs(back[:2] - np.round(box[:2])).max() > round_trip:
        return None
    return moved


def inside(box: np.ndarray, shape: tuple) -> bool:
    """Whether the box, rounded as the check rounds it, lies wholly inside the frame."""
    x, y, w, h = np.round(box).astype(int)
    return x >= 0 and y >= 0 and w > 0 and h > 0 and x + w <= shape[1] and y + h <= shape[0]


def errors(frames: np.ndarray, pairs: list[Pair], check: dict) -> tuple[np.ndarray, int]:
    """The motion errors (px) of the pairs the check keeps, and how many it rejects."""
    kept, rejected = [], 0
    for z, x, box, truth in pairs:
        moved = motion(frames[z], frames[x], box, **check)
        if moved is None:
            rejected += 1
        else:
            kept.append(float(np.hypot(*(centre(moved) - truth))))
    return np.array(kept), rejected


def usable(frames: np.ndarray, pairs: list[Pair]) -> list[Pair]:
    """The pairs FootagePairs could draw: a box inside the frame with texture to match."""
    return [p for p in pairs if inside(p[2], frames.shape[1:]) and has_texture(frames[p[0]], p[2])]


def opencv_sets() -> dict[str, tuple[np.ndarray, list[Pair]]]:
    """{'box hand': (frames, pairs), ...}: hand-boxed pairs of each OpenCV clip's training part."""
    sets = {}
    for clip, (_, width, _, count) in OPENCV_VIDEOS.items():
        frames = load_clip(clip, "train").frames
        scale = frames.shape[2] / width
        for kind in ("hand", "interp"):
            pairs = [
                pair
                for boxes in hand_boxes(clip, count, scale)
                for pair in hand_pairs(boxes, held_out_start(count), kind)
            ]
            sets[f"{clip} {kind}"] = (frames, usable(frames, pairs))
    return sets


def generated_sets(videos: int, seed: int) -> dict[str, list[tuple[np.ndarray, list[Pair]]]]:
    """{'generated all': [(frames, pairs) per video], 'generated FM/IPR/OCC': ...}."""
    sets: dict[str, list] = {"generated all": [], "generated FM/IPR/OCC": []}
    for i in range(videos):
        video = render_video(video_rng(seed, "train", i), 40, (320, 240))
        frames, boxes, seen = np.stack(video.frames), video.boxes[0], video.visible[0]
        pairs = [
            (z, x, boxes[z], centre(boxes[x]))
            for z in range(len(frames))
            if seen[z] >= OCCLUDED_BELOW
            for x in [z + s * g for g in range(1, 5) for s in (-1, 1)]
            if 0 <= x < len(frames)
        ]
        entry = (frames, usable(frames, pairs))
        sets["generated all"].append(entry)
        if {"FM", "IPR", "OCC"} & set(video.attributes):
            sets["generated FM/IPR/OCC"].append(entry)
    return sets


def row(name: str, check: str, err: np.ndarray, rejected: int) -> str:
    """One table row: pairs, kept, and the error distribution of the kept pairs."""
    total = len(err) + rejected
    if not len(err):
        return f"| {name} | {check} | {total} | 0 | | | | | |"
    med, p90, p95 = np.percentile(err, [50, 90, 95])
    wrong = 100 * float((err > CELL).mean())
    return (
        f"| {name} | {check} | {total} | {len(err)} ({100 * len(err) / total:.0f} %) | "
        f"{med:.1f} | {p90:.1f} | {p95:.1f} | {err.max():.1f} | {wrong:.1f} % |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=60, help="generated videos (0: none)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checks", nargs="+", default=list(CHECKS), choices=list(CHECKS))
    args = parser.parse_args()
    start = time.perf_counter()
    sets = {name: [entry] for name, entry in opencv_sets().items()}
    if args.videos:
        sets.update(generated_sets(args.videos, args.seed))
    print("| pairs of | check | pairs | kept | median px | p90 | p95 | max | > 8 px |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, entries in sets.items():
        for check in args.checks:
            results = [errors(frames, pairs, CHECKS[check]) for frames, pairs in entries]
            err = np.concatenate([e for e, _ in results])
            print(row(name, check, err, sum(r for _, r in results)), flush=True)
    print(f"({time.perf_counter() - start:.0f} s; {Path(__file__).name} --videos {args.videos})")


if __name__ == "__main__":
    main()
