"""OTB's three protocols (Wu et al., CVPR 2013), as in the paper's Fig. 3: OPE, TRE and SRE.

* **OPE** (one-pass evaluation): one run per sequence, from the first frame's true box
  (`runs.ope_runs`).
* **TRE** (temporal robustness): runs from 20 start frames spread over the sequence, each to the
  end. OTB's `splitSeqTRE`: the candidates are the frames with a true box whose 1-based x and y
  are above 0 (and a positive size) that leave at least 20 frames to the end; the starts are the
  candidates at positions floor(1 : E/19 : E) and E (1-based, E candidates), so a short sequence
  repeats a start (the run is then counted twice).
* **SRE** (spatial robustness): 12 runs from the first frame, each from a perturbed box, exactly
  as OTB's `shiftInitBB`: the box shifted left / right / up / down by ceil(10 %) of the width or
  height; one corner moved outward by 10 % (rounded) with the opposite corner fixed; the size
  scaled by 0.8, 0.9, 1.1, 1.2 about the centre and rounded to whole pixels. At the left or top
  edge x or y becomes OTB's 1 (the size kept); at the right or bottom edge the size is cut.

Every frame of a run is scored, its first included (OTB's convention, `runs.scored_truth`; SRE's
first frame is scored on the perturbed box). OTB pools the frames of all runs of one sequence into
one success curve, then averages the curves over sequences (`genPerfMat`; `metrics.scored_units`).
"""

from __future__ import annotations

from collections.abc import Sequence as Seq

import numpy as np

from ..boxes import otb_to_xywh, xywh_to_otb
from ..data.sequence import Sequence
from .metrics import has_ground_truth
from .runs import OPE, Protocol, Run, first_true_box, frame_size, true_boxes

TRE_STARTS = 20  # start frames per sequence (OTB's numSeg)
TRE_MIN_FRAMES = 20  # a start must leave at least this many frames (OTB's minNum)
SRE_SHIFTS = (  # OTB's shiftTypeSet, in its order
    "left", "right", "up", "down",
    "top_left", "top_right", "bottom_left", "bottom_right",
    "scale_0.8", "scale_0.9", "scale_1.1", "scale_1.2",
)  # fmt: skip

# ----------------------------------------------------------------------------- TRE


def tre_start_frames(gt: np.ndarray, starts: int = TRE_STARTS, min_frames: int = TRE_MIN_FRAMES
                     ) -> list[int]:  # fmt: skip
    """OTB's TRE start frames (0-based, repeats kept): see the module's docstring."""
    n = len(gt)
    otb = xywh_to_otb(np.where(np.isfinite(gt), gt, -1.0))  # NaN rows can never start a run
    usable = has_ground_truth(gt) & np.all(otb > 0, axis=1)  # splitSeqTRE's r(1..4) > 0
    known = np.flatnonzero(usable)
    candidates = known[n - known >= min_frames]
    if len(candidates) == 0:
        raise ValueError(
            f"TRE needs a true box at least {min_frames} frames before the end; "
            f"the sequence has {n} frames"
        )
    e = len(candidates)
    step = e / (starts - 1)
    count = int(np.floor((e - 1) / step + 1e-9)) + 1  # MATLAB's 1:step:e
    picks = [*np.floor(1 + step * np.arange(count)).astype(int), e]  # 1-based positions
    return [int(candidates[p - 1]) for p in picks]


def tre_runs(seq: Sequence) -> list[Run]:
    """TRE's runs: one from each of `tre_start_frames`, from its true box."""
    gt = true_boxes(seq)
    return [Run(seq, s, gt[s], f"start {s}") for s in tre_start_frames(gt)]


# ----------------------------------------------------------------------------- SRE


def matlab_round(values: object) -> np.ndarray:
    """MATLAB's round: halves away from zero (numpy's np.round sends them to the even number)."""
    v = np.asarray(values, dtype=np.float64)
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def sre_box(box: Seq[float], shift: str, size: tuple[int, int]) -> np.ndarray:
    """The first box perturbed as SRE's `shift`, exactly as OTB's shiftInitBB.m.

    On OTB's 1-based box: a shift moves it by ceil(10 %) of its width or height; a corner moves
    out by 10 % (rounded), the opposite corner fixed; a scaling about the centre is rounded to
    whole pixels. Then the box is kept in the (width, height) frame: x and y at least 1 (the size
    kept), the width and height cut at the right and bottom edges.
    """
    x, y, w, h = xywh_to_otb(box)
    right, bottom = x + w - 1, y + h - 1  # the inclusive far corner
    if shift.startswith("scale_") and shift in SRE_SHIFTS:
        s = float(shift.split("_")[1])
        cx, cy = x + w / 2, y + h / 2
        x, y, w, h = matlab_round([cx - s * w / 2, cy - s * h / 2, s * w, s * h])
    elif shift in ("left", "right"):
        x += (1 if shift == "right" else -1) * np.ceil(0.1 * w)
    elif shift in ("up", "down"):
        y += (1 if shift == "down" else -1) * np.ceil(0.1 * h)
    elif shift in ("top_left", "top_right", "bottom_left", "bottom_right"):
        if "left" in shift:
            x = matlab_round(x - 0.1 * w)
        else:
            right = matlab_round(right + 0.1 * w)
        if "top" in shift:
            y = matlab_round(y - 0.1 * h)
        else:
            bottom = matlab_round(bottom + 0.1 * h)
        w, h = right - x + 1, bottom - y + 1
    else:
        raise ValueError(f"unknown SRE shift {shift!r}; choose from {', '.join(SRE_SHIFTS)}")
    width, height = size
    x, y = max(x, 1.0), max(y, 1.0)
    w = min(w, width - x + 1)
    h = min(h, height - y + 1)
    return otb_to_xywh([x, y, w, h])


def sre_runs(seq: Sequence) -> list[Run]:
    """SRE's 12 runs: from the first true box, perturbed by each of `SRE_SHIFTS`."""
    gt = true_boxes(seq)
    start, size = first_true_box(gt), frame_size(seq)
    return [Run(seq, start, sre_box(gt[start], shift, size), shift) for shift in SRE_SHIFTS]


TRE = Protocol("tre", "TRE", tre_runs)
SRE = Protocol("sre", "SRE", sre_runs)
PROTOCOLS = {p.key: p for p in (OPE, TRE, SRE)}
