"""VOT's supervised protocol (Kristan et al., VOT 2015), as in the paper's Table 2.

The tracker starts from the first frame's region. When its box stops overlapping the true region
(overlap 0: a **failure**) the run records the failure, skips 4 frames and re-initialises the
tracker on the 5th frame after it from that frame's true region. Then:

* **accuracy**: the mean overlap of the tracked frames, leaving out the 10 frames from each
  (re-)initialisation on (its burn-in: a fresh tracker is trivially right there) and the failures;
* **failures**: how many times the tracker was re-initialised (robustness);
* **expected average overlap** (EAO): cut each run into segments, from each (re-)initialisation
  to the next failure (its overlaps then padded with zeros: a failed tracker overlaps nothing) or
  to the end of the sequence. Φ(N) is the mean, over the segments, of the average overlap of
  frames 1..N after the initialisation (a segment that reached the sequence's end before N frames
  without failing is left out of Φ(N)). EAO is the mean of Φ(N) over N in [108, 371] for VOT-2015,
  the lengths typical of its sequences, **as the VOT toolkit computes it**: the curve runs to the
  longest segment, and the interval is cut there (on sequences shorter than 108 frames there is no
  EAO: NaN, with a warning). Beside it, `summarize_supervised` reports an *estimate* over the
  interval `eao_interval` draws from the sequences' own lengths (Kristan et al.'s method for
  choosing [108, 371]), labelled as such, with a warning when that interval is a single N.

Overlaps are between the true region, a polygon of 4 corners (VOT's rotated boxes), and the
tracker's axis-aligned box, both clipped to the frame, computed exactly (`region_overlap`).
The tracker is initialised with the polygon's axis-aligned box of the same area
(`vot_polygon_to_box`, the authors' get_axis_aligned_BB). A box with NaN or no area overlaps
nothing, so it is a failure, never an error. As in the VOT toolkit (and got10k's `ExperimentVOT`),
a deterministic tracker is run once per sequence.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol as Interface

import numpy as np

from ..data.layouts.vot import read_vot, read_vot_regions, vot_polygon_to_box
from ..data.sequence import Sequence
from ..interface import Tracker
from .runs import (
    SequenceFailure,
    as_frame,
    built,
    frame_size,
    report_failure,
    tracker_name,
    true_boxes,
)

SKIP_FRAMES = 5  # re-initialise this many frames after a failure
BURN_IN = 10  # frames from each (re-)initialisation left out of accuracy
VOT2015_INTERVAL = (108, 371)  # the sequence lengths EAO averages over (VOT-2015)

# the VOT toolkit's codes for frames without a box in a result file
SKIPPED, INITIALISED, FAILED = 0, 1, 2
TRACKED = 3  # a frame with a box (written as the box itself)

# ----------------------------------------------------------------------------- overlap


def polygon_area(points: np.ndarray) -> float:
    """Area of a simple polygon (K, 2) by the shoelace formula."""
    if len(points) < 3:
        return 0.0
    x, y = points[:, 0], points[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def clip_polygon(points: np.ndarray, x1: float, y1: float, x2: float, y2: float) -> np.ndarray:
    """Sutherland-Hodgman: the part of a polygon (K, 2) inside the rectangle [x1, x2] x [y1, y2]."""
    for axis, edge, inside_below in ((0, x1, False), (0, x2, True), (1, y1, False), (1, y2, True)):
        kept = []
        for p, q in zip(points, np.roll(points, -1, axis=0), strict=True):
            p_in = p[axis] <= edge if inside_below else p[axis] >= edge
            q_in = q[axis] <= edge if inside_below else q[axis] >= edge
            if p_in:
                kept.append(p)
            if p_in != q_in:  # the side crosses the edge: keep the crossing point
                kept.append(p + (edge - p[axis]) / (q[axis] - p[axis]) * (q - p))
        points = np.array(kept, dtype=np.float64).reshape(-1, 2)
        if len(points) == 0:
            break
    return points


def region_overlap(region: object, box: object, size: tuple[int, int]) -> float:
    """IoU of a true polygon (8 values) and a box [x, y, w, h], both clipped to the frame.

    NaN when the true region is unknown; 0 for a box with NaN or without area (a failure).
    """
    polygon = np.asarray(region, np.float64).reshape(-1, 2)
    b = np.asarray(box, np.float64).reshape(-1)
    if not np.all(np.isfinite(polygon)):
        return float("nan")
    if b.size != 4 or not np.all(np.isfinite(b)) or b[2] <= 0 or b[3] <= 0:
        return 0.0
    width, height = size
    truth = clip_polygon(polygon, 0, 0, width, height)
    bx1, by1 = max(b[0], 0.0), max(b[1], 0.0)
    bx2, by2 = min(b[0] + b[2], width), min(b[1] + b[3], height)
    if bx2 <= bx1 or by2 <= by1:
        return 0.0
    intersection = polygon_area(clip_polygon(truth, bx1, by1, bx2, by2))
    union = polygon_area(truth) + (bx2 - bx1) * (by2 - by1) - intersection
    return float(np.clip(intersection / union, 0.0, 1.0)) if union > 0 else 0.0


# ----------------------------------------------------------------------------- data


@dataclass
class VOTSequence:
    """A VOT sequence: the `Sequence` (axis-aligned boxes) and its true polygons (N, 8)."""

    sequence: Sequence
    polygons: np.ndarray  # NaN rows where the reader found the region unusable

    @property
    def name(self) -> str:
        """The sequence's name."""
        return self.sequence.name


def read_vot_set(root: str | Path) -> list[VOTSequence]:
    """A VOT root read with its polygons kept (`read_vot` gives the boxes and frames)."""
    root = Path(root)
    out = []
    for seq in read_vot(root):
        polygons = read_vot_regions(root / seq.name)
        if seq.absent is not None:
            polygons[np.asarray(seq.absent, bool)] = np.nan
        out.append(VOTSequence(seq, polygons))
    return out


def as_vot_sequence(seq: Sequence) -> VOTSequence:
    """An OTB-style sequence for the VOT protocol: its boxes as 4-corner polygons."""
    x, y, w, h = true_boxes(seq).T
    polygons = np.stack([x, y, x + w, y, x + w, y + h, x, y + h], axis=1)
    return VOTSequence(seq, polygons)


# ----------------------------------------------------------------------------- the protocol


@dataclass
class SupervisedRun:
    """One tracker on one sequence under the supervised protocol: what happened in each frame."""

    tracker: str
    sequence: str
    states: np.ndarray  # (N,) SKIPPED, INITIALISED, FAILED or TRACKED
    boxes: np.ndarray  # (N, 4) the tracker's boxes (NaN where it gave none)
    overlaps: np.ndarray  # (N,) overlap with the true polygon (NaN where not tracked or unknown)
    times: np.ndarray  # (N,) seconds (NaN for skipped frames)

    @property
    def failures(self) -> int:
        """How many times the tracker failed (and was re-initialised, if frames were left)."""
        return int(np.sum(self.states == FAILED))

    def accuracy_mask(self, burn_in: int = BURN_IN) -> np.ndarray:
        """(N,) True for the frames accuracy averages: tracked, known truth, past the burn-in."""
        mask = (self.states == TRACKED) & np.isfinite(self.overlaps)
        for i in np.flatnonzero(self.states == INITIALISED):
            mask[i : i + burn_in] = False
        return mask

    @property
    def accuracy(self) -> float:
        """Mean overlap over the frames of `accuracy_mask` (NaN if there is none)."""
        mask = self.accuracy_mask()
        return float(np.mean(self.overlaps[mask])) if mask.any() else float("nan")

    def segments(self) -> list[tuple[np.ndarray, bool]]:
        """(overlaps from an initialisation up to the next failure or the end, whether it failed).

        The initialisation frame's overlap is 1; frames with unknown truth are left out.
        """
        out = []
        inits = list(np.flatnonzero(self.states == INITIALISED))
        for k, start in enumerate(inits):
            end = inits[k + 1] if k + 1 < len(inits) else len(self.states)
            failed = np.flatnonzero(self.states[start:end] == FAILED)
            stop = start + failed[0] if len(failed) else end
            o = self.overlaps[start:stop].copy()
            o[0] = 1.0
            out.append((o[np.isfinite(o)], bool(len(failed))))
        return out

    @property
    def fps(self) -> float:
        """Frames the tracker saw per second (skipped frames excluded)."""
        seen = np.isfinite(self.times)
        seconds = float(np.sum(self.times[seen]))
        return int(seen.sum()) / seconds if seconds > 0 else float("nan")


def run_supervised(
    tracker: Tracker, vot_seq: VOTSequence, name: str | None = None,
    skip: int = SKIP_FRAMES,
) -> SupervisedRun:  # fmt: skip
    """Track one sequence, re-initialising `skip` frames after each failure (overlap 0)."""
    name = name or tracker_name(tracker)
    seq, polygons = vot_seq.sequence, vot_seq.polygons
    n = len(seq)
    if len(polygons) != n:
        raise ValueError(f"{len(polygons)} true regions for {n} frames")
    known = np.all(np.isfinite(polygons), axis=1)
    if not known.any():
        raise ValueError("no frame has a usable true region")
    size = frame_size(seq)
    states = np.full(n, SKIPPED)
    boxes = np.full((n, 4), np.nan)
    overlaps = np.full(n, np.nan)
    times = np.full(n, np.nan)
    next_init = int(np.argmax(known))  # the first frame with a true region
    tracking = False
    for f in range(n):
        if not tracking and (f < next_init or not known[f]):
            continue  # skipped: waiting to re-initialise (on a frame with a known region)
        image = as_frame(seq.frames[f])
        start = time.perf_counter()
        if not tracking:
            box = vot_polygon_to_box(polygons[f])
            tracker.init(image, box)
            times[f] = time.perf_counter() - start
            states[f], boxes[f], tracking = INITIALISED, box, True
            continue
        box = np.asarray(tracker.update(image), np.float64).reshape(-1)
        times[f] = time.perf_counter() - start
        if box.size != 4:
            raise ValueError(f"tracker {name} returned {box.size} values in frame {f}, not 4")
        boxes[f], overlaps[f] = box, region_overlap(polygons[f], box, size)
        if overlaps[f] <= 0:  # NaN truth is not a failure: it cannot be judged
            states[f], tracking, next_init = FAILED, False, f + skip
        else:
            states[f] = TRACKED
    return SupervisedRun(name, seq.name, states, boxes, overlaps, times)


class SupervisedStore(Interface):
    """Where finished supervised runs are kept (`report.SupervisedFolder`), to resume."""

    def load(self, tracker: str, vot_seq: VOTSequence) -> SupervisedRun | None: ...

    def save(self, run: SupervisedRun) -> None: ...


def evaluate_supervised(
    tracker: Tracker | Callable[[], Tracker],
    sequences: Iterable[VOTSequence],
    name: str | None = None,
    failures: list[SequenceFailure] | None = None,
    store: SupervisedStore | None = None,
    on_run: Callable[[VOTSequence], None] | None = None,
) -> list[SupervisedRun]:
    """The supervised protocol on every sequence: one run each (the trackers are deterministic).

    As in `runs`: a sequence that cannot be run is reported and skipped; a run `store` keeps is
    read back, a new one goes to it as it ends; the tracker may be a maker, made when needed.
    """
    name = name or tracker_name(tracker)
    out = []
    for vot_seq in sequences:
        run = store.load(name, vot_seq) if store is not None else None
        if run is None:
            tracker = built(tracker)
            try:
                run = run_supervised(tracker, vot_seq, name)
            except (OSError, ValueError) as error:
                report_failure(SequenceFailure(name, vot_seq.name, str(error)), failures)
            else:
                if store is not None:
                    store.save(run)
        if on_run is not None:
            on_run(vot_seq)
        out += [run] if run is not None else []
    return out


# ----------------------------------------------------------------------------- EAO


def eao_curve(segments: list[tuple[np.ndarray, bool]], length: int = 0) -> np.ndarray:
    """Φ(N) for N = 0 .. max(longest segment, length) - 1 (the VOT toolkit's EAO curve; Φ(0) NaN).

    Φ(N): over the segments that failed or lasted more than N frames, the mean of each one's
    average overlap of frames 1..N after its initialisation, a failed one padded with zeros (as
    far as needed: a failed tracker never recovers). NaN where no segment counts.
    """
    if not segments:
        raise ValueError("no segments: run the supervised protocol on at least one sequence")
    longest = max(length, *(len(o) for o, _ in segments))
    padded = np.zeros((len(segments), longest))
    counted = np.zeros((len(segments), longest), bool)
    for i, (o, failed) in enumerate(segments):
        padded[i, : len(o)] = o
        counted[i] = True if failed else np.arange(longest) < len(o)
    lengths = np.arange(1, longest)
    average = np.cumsum(padded[:, 1:], axis=1) / lengths  # average overlap of frames 1..N
    active = counted[:, 1:]
    curve = np.full(longest, np.nan)
    with np.errstate(invalid="ignore"):
        curve[1:] = np.sum(average * active, axis=0) / np.sum(active, axis=0)
    return curve


def toolkit_eao(
    segments: list[tuple[np.ndarray, bool]], interval: tuple[int, int] = VOT2015_INTERVAL
) -> tuple[float, tuple[int, int]]:
    """EAO as the VOT toolkit (0.7) computes it, and the interval it averaged over.

    The curve stops at the longest segment, and the mean of Φ(N) is over the part of `interval`
    that it reaches: [108, 195] for sequences of 196 frames. NaN (and a warning) when no segment
    reaches the interval's start.
    """
    curve = eao_curve(segments)
    low, high = interval[0], min(interval[1], len(curve) - 1)
    if low > high:
        message = (f"EAO over N in [{interval[0]}, {interval[1]}]: the longest segment has "
                   f"{len(curve)} frames, so the toolkit's EAO is undefined (NaN)")  # fmt: skip
        warnings.warn(message, stacklevel=2)
        return float("nan"), (low, high)
    return float(np.mean(curve[low : high + 1])), (low, high)


def expected_average_overlap(curve: np.ndarray, interval: tuple[int, int] = VOT2015_INTERVAL
                             ) -> float:  # fmt: skip
    """EAO: the mean of the EAO curve over the sequence lengths N in `interval` (inclusive)."""
    low, high = interval
    if not 1 <= low <= high:
        raise ValueError(f"an EAO interval needs 1 <= low <= high, got {interval}")
    values = curve[low : high + 1]
    if len(values) < high - low + 1 or np.isnan(values).any():
        raise ValueError(
            f"EAO over N in [{low}, {high}]: no segment reaches N = {high} frames (the sequences "
            "are shorter): use longer sequences, or an interval from eao_interval()"
        )
    return float(np.mean(values))


def eao_interval(lengths: Iterable[int], mass: float = 0.5) -> tuple[int, int]:
    """The lengths EAO averages over, as Kristan et al. chose VOT-2015's [108, 371].

    A kernel density of the sequence lengths (Gaussian, Silverman's bandwidth, at least 1 frame);
    the interval grows from its peak, on the denser side each time, until it holds `mass` of it.
    Capped at the longest length - 1 (the EAO curve's last point).
    """
    n = np.asarray(list(lengths), np.float64)
    if len(n) == 0 or n.max() < 3:
        raise ValueError("eao_interval needs sequence lengths of at least 3 frames")
    bandwidth = max(1.06 * n.std() * len(n) ** -0.2, 1.0)
    grid = np.arange(1, int(n.max()))
    density = np.exp(-0.5 * ((grid[:, None] - n[None, :]) / bandwidth) ** 2).sum(axis=1)
    density /= density.sum()
    lo = hi = int(np.argmax(density))
    while density[lo : hi + 1].sum() < mass:
        left = density[lo - 1] if lo > 0 else -1.0
        right = density[hi + 1] if hi + 1 < len(grid) else -1.0
        lo, hi = (lo - 1, hi) if left >= right else (lo, hi + 1)
    return int(grid[lo]), int(grid[hi])


# ----------------------------------------------------------------------------- Table 2


@dataclass
class VOTSummary:
    """One tracker's supervised scores over a set: Table 2's columns."""

    tracker: str
    sequences: int
    accuracy: float  # mean overlap of all scored frames, pooled (as the toolkits average)
    failures: int  # total over the sequences
    eao: float  # as the VOT toolkit: VOT-2015's interval, cut at the longest segment
    interval: tuple[int, int]  # the N it averaged over
    fps: float
    curve: np.ndarray  # the EAO curve, to the estimate's interval at least
    eao_estimate: float = float("nan")  # over the interval estimated from the sequence lengths
    estimate_interval: tuple[int, int] = (0, 0)


def summarize_supervised(
    runs: list[SupervisedRun], interval: tuple[int, int] = VOT2015_INTERVAL
) -> list[VOTSummary]:
    """Table 2's numbers per tracker: EAO as the toolkit computes it over `interval`, and the
    estimate over the interval `eao_interval` draws from these sequences' lengths."""
    groups: dict[str, list[SupervisedRun]] = {}
    for r in runs:
        groups.setdefault(r.tracker, []).append(r)
    estimated = eao_interval([len(r.states) for r in runs])
    if estimated[0] == estimated[1]:
        warnings.warn(f"the EAO interval estimated from the sequence lengths is the single N = "
                      f"{estimated[0]} (sequences of equal length): that estimate rests on one "
                      "length, where one failure weighs heavily", stacklevel=2)  # fmt: skip
    out = []
    for tracker, group in groups.items():
        scored = np.concatenate([r.overlaps[r.accuracy_mask()] for r in group])
        segments = [s for r in group for s in r.segments()]
        eao, used = toolkit_eao(segments, interval)
        curve = eao_curve(segments, estimated[1] + 1)
        seen = np.concatenate([r.times[np.isfinite(r.times)] for r in group])
        out.append(VOTSummary(
            tracker=tracker,
            sequences=len(group),
            accuracy=float(np.mean(scored)) if len(scored) else float("nan"),
            failures=sum(r.failures for r in group),
            eao=eao,
            interval=used,
            fps=len(seen) / float(seen.sum()) if seen.sum() > 0 else float("nan"),
            curve=curve,
            eao_estimate=expected_average_overlap(curve, estimated),
            estimate_interval=estimated,
        ))  # fmt: skip
    return out
