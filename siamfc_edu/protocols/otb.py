"""OTB's three protocols (Wu et al., CVPR 2013), as in the paper's Fig. 3: OPE, TRE and SRE.

* **OPE** (one-pass evaluation): one run per sequence, from the first frame's true box.
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

Every frame of a run is scored, its first included (OTB's convention; SRE's first frame is scored
on the perturbed box). OTB pools the frames of all runs of one sequence into one success curve,
then averages the curves over sequences (`genPerfMat`): `summarize_runs` does the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence as Seq
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from .. import evaluate as ev
from ..boxes import otb_to_xywh, xywh_to_otb
from ..data.layouts.common import image_size
from ..data.sequence import Sequence
from ..interface import Tracker

PROTOCOLS = ("ope", "tre", "sre")
TRE_STARTS = 20  # start frames per sequence (OTB's numSeg)
TRE_MIN_FRAMES = 20  # a start must leave at least this many frames (OTB's minNum)
SRE_SHIFTS = (  # OTB's shiftTypeSet, in its order
    "left", "right", "up", "down",
    "top_left", "top_right", "bottom_left", "bottom_right",
    "scale_0.8", "scale_0.9", "scale_1.1", "scale_1.2",
)  # fmt: skip

# ----------------------------------------------------------------------------- the runs


@dataclass
class Run:
    """One run of a protocol: `sequence` tracked from frame `start` to its end, from `box`."""

    sequence: Sequence
    start: int
    box: np.ndarray  # 0-based [x, y, w, h] given to the tracker in frame `start`
    label: str  # 'first', 'start 12', 'left', 'scale_0.8', ...

    @property
    def name(self) -> str:
        """'<sequence>@<label>': one result per run, grouped back by sequence when scored."""
        return f"{self.sequence.name}@{self.label}"


def where(seq: Sequence) -> str:
    """The sequence's name and, when its frames are files, their folder (for error messages)."""
    first = seq.frames[0] if len(seq.frames) else None
    return f"{seq.name} ({Path(first).parent})" if isinstance(first, (str, Path)) else seq.name


def true_boxes(seq: Sequence) -> np.ndarray:
    """(N, 4) true boxes with NaN rows where the target is absent (not scored there)."""
    gt = seq.boxes.copy()
    if seq.absent is not None:
        gt[np.asarray(seq.absent, dtype=bool)] = np.nan
    return gt


def frame_size(seq: Sequence) -> tuple[int, int]:
    """(width, height) of the sequence's frames, from the first one."""
    first = seq.frames[0]
    if isinstance(first, np.ndarray):
        return first.shape[1], first.shape[0]
    return image_size(Path(first))


def tre_start_frames(gt: np.ndarray, starts: int = TRE_STARTS, min_frames: int = TRE_MIN_FRAMES
                     ) -> list[int]:  # fmt: skip
    """OTB's TRE start frames (0-based, repeats kept): see the module's docstring."""
    n = len(gt)
    otb = xywh_to_otb(np.where(np.isfinite(gt), gt, -1.0))  # NaN rows can never start a run
    usable = ev.has_ground_truth(gt) & np.all(otb > 0, axis=1)  # splitSeqTRE's r(1..4) > 0
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


def _first_box(seq: Sequence) -> np.ndarray:
    """The first frame's true box, or an error naming the sequence (every run needs one)."""
    gt = true_boxes(seq)
    if len(gt) < 2:
        raise ValueError(f"sequence {where(seq)}: {len(gt)} frame(s); a run needs at least 2")
    if not ev.has_ground_truth(gt[0])[0]:
        raise ValueError(f"sequence {where(seq)}: no usable true box in the first frame")
    return gt[0]


def protocol_runs(seq: Sequence, protocol: str) -> list[Run]:
    """The runs `protocol` ('ope', 'tre' or 'sre') makes on one sequence."""
    if protocol == "ope":
        return [Run(seq, 0, _first_box(seq), "first")]
    if protocol == "tre":
        gt = true_boxes(seq)
        try:
            starts = tre_start_frames(gt)
        except ValueError as error:
            raise ValueError(f"sequence {where(seq)}: {error}") from None
        return [Run(seq, s, gt[s], f"start {s}") for s in starts]
    if protocol == "sre":
        first, size = _first_box(seq), frame_size(seq)
        return [Run(seq, 0, sre_box(first, shift, size), shift) for shift in SRE_SHIFTS]
    raise ValueError(f"unknown OTB protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")


# ----------------------------------------------------------------------------- tracking


def track_sequences(
    tracker: Tracker, jobs: list[tuple[list, np.ndarray]]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Boxes and seconds per frame for each (frames, first box) job: `evaluate.track_runs`.

    A batched tracker (`fast_tracker.BatchedTracker`) tracks all the jobs as one batch there.
    A job stopped by a data error stops the protocol, naming the error.
    """
    outcomes = ev.track_runs(tracker, jobs)
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            raise outcome
    return outcomes


def evaluate_protocol(
    tracker: Tracker, sequences: Iterable[Sequence], protocol: str, name: str | None = None
) -> list[ev.SequenceResult]:
    """Run one OTB protocol: one `SequenceResult` per run, named '<sequence>@<run label>'.

    Identical runs (TRE's repeated starts) are tracked once: the trackers are deterministic.
    """
    name = name or getattr(tracker, "name", None) or type(tracker).__name__
    runs = [run for seq in sequences for run in protocol_runs(seq, protocol)]
    unique: dict[tuple, int] = {}
    for run in runs:
        unique.setdefault((id(run.sequence), run.start, tuple(run.box)), len(unique))
    jobs = [None] * len(unique)
    for run in runs:
        jobs[unique[id(run.sequence), run.start, tuple(run.box)]] = (
            run.sequence.frames[run.start :], run.box)  # fmt: skip
    tracked = track_sequences(tracker, jobs)
    results = []
    for run in runs:
        boxes, times = tracked[unique[id(run.sequence), run.start, tuple(run.box)]]
        gt = true_boxes(run.sequence)[run.start :]
        attributes = list(run.sequence.attributes)
        results.append(ev.SequenceResult(name, run.name, boxes, gt, times, attributes))
    return results


# ----------------------------------------------------------------------------- scores


def sequence_of(result: ev.SequenceResult) -> str:
    """The sequence a run's result belongs to: its name before the '@'."""
    return result.sequence.rsplit("@", 1)[0]


def summarize_runs(results: list[ev.SequenceResult]) -> ev.TrackerSummary:
    """One tracker's scores, OTB's way: the runs of a sequence pooled, then sequences averaged."""
    if not results:
        raise ValueError("no run results to summarize")
    by_sequence: dict[str, list[ev.SequenceResult]] = {}
    for r in results:
        by_sequence.setdefault(sequence_of(r), []).append(r)
    ious = [np.concatenate([r.ious for r in runs]) for runs in by_sequence.values()]
    errors = [np.concatenate([r.center_errors for r in runs]) for runs in by_sequence.values()]
    succ = np.mean([ev.success_curve(v) for v in ious], axis=0)
    prec = np.mean([ev.precision_curve(v) for v in errors], axis=0)
    pooled = np.concatenate(ious)
    frames = sum(len(r.times) for r in results)
    seconds = sum(float(r.times.sum()) for r in results)
    return ev.TrackerSummary(
        tracker=results[0].tracker,
        sequences=len(by_sequence),
        frames=frames,
        success_curve=succ,
        precision_curve=prec,
        auc=ev.area_under_curve(succ),
        precision20=float(prec[20]),
        ao=ev.average_overlap(pooled),
        sr50=ev.success_rate(pooled, 0.5),
        sr75=ev.success_rate(pooled, 0.75),
        fps=frames / seconds if seconds > 0 else float("nan"),
    )


def summarize_protocol(results: Iterable[ev.SequenceResult]) -> list[ev.TrackerSummary]:
    """One summary per tracker found in the results, in the order they first appear."""
    groups: dict[str, list[ev.SequenceResult]] = {}
    for r in results:
        groups.setdefault(r.tracker, []).append(r)
    return [summarize_runs(group) for group in groups.values()]


def format_protocol_table(summaries: dict[str, list[ev.TrackerSummary]], digits: int = 3) -> str:
    """Success AUC (and precision@20) per tracker and protocol, as one markdown table."""
    protocols = list(summaries)
    trackers = list(dict.fromkeys(s.tracker for group in summaries.values() for s in group))
    found = {(p, s.tracker): s for p, group in summaries.items() for s in group}
    header = ["tracker", *(f"{p.upper()} AUC" for p in protocols),
              *(f"{p.upper()} prec@20" for p in protocols)]  # fmt: skip
    rows = []
    for t in trackers:
        cells = [found.get((p, t)) for p in protocols]
        rows.append([
            t,
            *(f"{s.auc:.{digits}f}" if s else "-" for s in cells),
            *(f"{s.precision20:.{digits}f}" if s else "-" for s in cells),
        ])  # fmt: skip
    return ev._markdown(header, rows)


def plot_protocols(summaries: dict[str, list[ev.TrackerSummary]]) -> Figure:
    """The paper's Fig. 3: a success plot per protocol, a curve per tracker, AUC in the legend."""
    fig = Figure(figsize=(5 * len(summaries), 4.3), layout="constrained")
    axes = fig.subplots(1, len(summaries), squeeze=False)[0]
    for ax, (protocol, group) in zip(axes, summaries.items(), strict=True):
        ev.plot_success(group, ax=ax, title=f"Success plots of {protocol.upper()}")
    return fig
