"""Evaluation: OTB's one-pass evaluation (OPE) and GOT-10k's scores, on plain arrays of boxes.

Every metric takes numpy arrays of 0-based ``[x, y, w, h]`` boxes (see `ops`), so it serves any
tracker: SiamFC, the baselines, or boxes loaded from another tracker's result files.

The scores, as the benchmarks' toolkits compute them (checked against the ``got10k`` package):

* **IoU** (overlap) of the predicted and the true box, per frame.
* **Centre error**: distance in pixels between the two centres, per frame.
* **Success curve** (OTB): the fraction of frames whose IoU is *greater* than each threshold in
  0, 0.05, ..., 1; its **AUC** is the mean of the curve. Success means IoU > threshold, so even a
  perfect tracker scores 0 at the last threshold (1.0) and its AUC is 20/21 = 0.952, as in the
  OTB toolkit. Curves are computed per sequence and then averaged over sequences.
* **Precision curve** (OTB): the fraction of frames whose centre error is at most 0, 1, ..., 50
  px; **precision@20** is its value at 20 px.
* **AO** (GOT-10k): the average overlap, the mean IoU over all frames of all sequences;
  **SR0.50** / **SR0.75**: the fraction of those frames with IoU > 0.5 / 0.75. As in GOT-10k,
  the first frame (whose box the tracker is given) is not scored.

Frames without ground truth (a NaN row in the true boxes, or marked absent in the `Sequence`) are
excluded from every score: the tracker is neither rewarded nor punished there. A frame where the
*tracker* gives no box (NaN) while the target is visible counts as a miss: IoU 0, error infinite.
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .boxes import box_center
from .data.sequence import Sequence
from .files import write_text, writing
from .interface import Tracker

SUCCESS_THRESHOLDS = np.linspace(0, 1, 21)  # IoU thresholds of OTB's success plot
PRECISION_THRESHOLDS = np.arange(0, 51)  # centre-error thresholds (px) of OTB's precision plot

# ----------------------------------------------------------------------------- per frame


def _as_boxes(boxes: object, name: str) -> np.ndarray:
    """The boxes as a float64 (N, 4) array, with a clear error for any other shape."""
    b = np.asarray(boxes, dtype=np.float64)
    if b.ndim == 1:
        b = b[None]
    if b.ndim != 2 or b.shape[1] != 4:
        raise ValueError(f"{name} must be boxes [x, y, w, h] of shape (N, 4), got {b.shape}")
    return b


def _pair(pred: object, gt: object) -> tuple[np.ndarray, np.ndarray]:
    """Predicted and true boxes as two (N, 4) arrays of the same length."""
    pred, gt = _as_boxes(pred, "pred"), _as_boxes(gt, "gt")
    if pred.shape != gt.shape:
        raise ValueError(f"pred has {len(pred)} boxes but gt has {len(gt)}: one per frame each")
    return pred, gt


def has_ground_truth(gt: object) -> np.ndarray:
    """(N,) bool: True for the frames whose true box is known (no NaN in it)."""
    return np.all(np.isfinite(_as_boxes(gt, "gt")), axis=1)


def iou(pred: object, gt: object) -> np.ndarray:
    """Intersection over union per frame (as got10k's rect_iou); NaN where gt is absent."""
    pred, gt = _pair(pred, gt)
    x1 = np.maximum(pred[:, 0], gt[:, 0])
    y1 = np.maximum(pred[:, 1], gt[:, 1])
    x2 = np.minimum(pred[:, 0] + pred[:, 2], gt[:, 0] + gt[:, 2])
    y2 = np.minimum(pred[:, 1] + pred[:, 3], gt[:, 1] + gt[:, 3])
    intersection = np.maximum(x2 - x1, 0) * np.maximum(y2 - y1, 0)
    union = pred[:, 2] * pred[:, 3] + gt[:, 2] * gt[:, 3] - intersection
    overlaps = np.clip(intersection / (union + np.finfo(float).eps), 0.0, 1.0)
    overlaps[~has_ground_truth(pred)] = 0.0  # no box from the tracker: a miss
    overlaps[~has_ground_truth(gt)] = np.nan  # no ground truth: not scored
    return overlaps


def center_error(pred: object, gt: object) -> np.ndarray:
    """Pixel distance between the box centres per frame (as got10k's); NaN where gt is absent."""
    pred, gt = _pair(pred, gt)
    errors = np.linalg.norm(box_center(pred) - box_center(gt), axis=1)
    errors[~has_ground_truth(pred)] = np.inf  # no box from the tracker: a miss
    errors[~has_ground_truth(gt)] = np.nan  # no ground truth: not scored
    return errors


# ----------------------------------------------------------------------------- per sequence


def _scored(values: object, what: str) -> np.ndarray:
    """The per-frame values without the NaN ones (frames without ground truth)."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        raise ValueError(f"no frame with ground truth to compute the {what} from")
    return v


def success_curve(ious: object, thresholds: object = SUCCESS_THRESHOLDS) -> np.ndarray:
    """OTB's success curve: the fraction of scored frames with IoU > each threshold."""
    v = _scored(ious, "success curve")
    return np.mean(v[:, None] > np.asarray(thresholds)[None, :], axis=0)


def precision_curve(errors: object, thresholds: object = PRECISION_THRESHOLDS) -> np.ndarray:
    """OTB's precision curve: the fraction of scored frames with centre error <= each threshold."""
    v = _scored(errors, "precision curve")
    return np.mean(v[:, None] <= np.asarray(thresholds)[None, :], axis=0)


def area_under_curve(curve: object) -> float:
    """OTB's success score (AUC): the mean of the success curve over its thresholds."""
    return float(np.mean(curve))


def precision_at(errors: object, pixels: float = 20.0) -> float:
    """OTB's precision score: the fraction of scored frames with centre error <= 20 px."""
    return float(np.mean(_scored(errors, "precision") <= pixels))


def average_overlap(ious: object) -> float:
    """GOT-10k's AO: the mean IoU over the scored frames."""
    return float(np.mean(_scored(ious, "average overlap")))


def success_rate(ious: object, threshold: float = 0.5) -> float:
    """GOT-10k's SR: the fraction of scored frames with IoU > threshold (0.5 or 0.75)."""
    return float(np.mean(_scored(ious, "success rate") > threshold))


@dataclass
class SequenceResult:
    """One tracker's boxes and times on one sequence, with the per-frame scores they earn."""

    tracker: str
    sequence: str
    boxes: np.ndarray  # (N, 4) predicted, 0-based [x, y, w, h]
    gt: np.ndarray  # (N, 4) ground truth, NaN rows where the target is absent
    times: np.ndarray  # (N,) seconds per frame; times[0] is the initialisation
    attributes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.boxes, self.gt = _pair(self.boxes, self.gt)
        self.times = np.asarray(self.times, dtype=np.float64).reshape(-1)
        if len(self.times) != len(self.boxes):
            raise ValueError(f"{len(self.boxes)} boxes but {len(self.times)} times")
        self.ious = iou(self.boxes, self.gt)
        self.center_errors = center_error(self.boxes, self.gt)

    @property
    def success_curve(self) -> np.ndarray:
        """This sequence's success curve (all frames with ground truth, the first included)."""
        return success_curve(self.ious)

    @property
    def precision_curve(self) -> np.ndarray:
        """This sequence's precision curve (all frames with ground truth, the first included)."""
        return precision_curve(self.center_errors)

    @property
    def auc(self) -> float:
        """This sequence's success score (AUC)."""
        return area_under_curve(self.success_curve)

    @property
    def fps(self) -> float:
        """Frames per second over the whole sequence, initialisation included."""
        return _fps(len(self.times), float(np.sum(self.times)))


def _fps(frames: int, seconds: float) -> float:
    """Frames per second, NaN when no time was measured."""
    return frames / seconds if seconds > 0 else float("nan")


@dataclass
class SequenceFailure:
    """A sequence one tracker could not run through (an unreadable frame, no true box)."""

    tracker: str
    sequence: str
    reason: str  # the error, naming the file where there is one

    def __str__(self) -> str:
        return f"{self.sequence} ({self.tracker}): {self.reason}"


def _fail(failure: SequenceFailure, failures: list[SequenceFailure] | None) -> None:
    """Record a failed sequence in `failures`, or warn about it when no list is kept."""
    if failures is None:
        warnings.warn(f"{failure}; left out of the results", stacklevel=3)
    else:
        failures.append(failure)


def true_boxes(seq: Sequence) -> np.ndarray:
    """The sequence's ground truth with NaN rows where the target is absent (a copy)."""
    gt = seq.boxes.copy()
    if seq.absent is not None:
        gt[np.asarray(seq.absent, dtype=bool)] = np.nan
    return gt


def first_true_box(gt: np.ndarray) -> int:
    """The first frame with a true box: where one-pass evaluation starts (frame 0 in OTB)."""
    known = np.flatnonzero(has_ground_truth(gt))
    if len(known) == 0:
        raise ValueError("no frame has a true box to start from")
    return int(known[0])


def track_runs(
    tracker: Tracker, runs: list[tuple[list, np.ndarray]]
) -> list[tuple[np.ndarray, np.ndarray] | Exception]:
    """Each (frames, first box) run's (boxes, seconds), or the data error that stopped it.

    The one place runs are tracked. A batched tracker (`fast_tracker.BatchedTracker`) has a
    `track_sequences(runs)` that tracks them together; when a run's bad frame stops that batch,
    the runs are tracked again one by one, so the error is that run's alone.
    """
    batched = getattr(tracker, "track_sequences", None)
    if batched is not None:
        try:
            return list(batched(runs))
        except (OSError, ValueError):
            pass
    outcomes = []
    for frames, box in runs:
        try:
            outcomes.append(tracker.track(frames, box))
        except (OSError, ValueError) as error:
            outcomes.append(error)
    return outcomes


def in_batches(tracker: Tracker, sequences: Iterable[Sequence]) -> Iterator[list[Sequence]]:
    """The sequences in groups of the tracker's `runs_at_once` (1 for a tracker not batched)."""
    group: list[Sequence] = []
    for seq in sequences:
        group.append(seq)
        if len(group) == getattr(tracker, "runs_at_once", 1):
            yield group
            group = []
    if group:
        yield group


def evaluate_tracker(
    tracker: Tracker,
    sequences: Iterable[Sequence],
    name: str | None = None,
    failures: list[SequenceFailure] | None = None,
) -> list[SequenceResult]:
    """One-pass evaluation: track each sequence from its first true box, once, never reset.

    A sequence that cannot be tracked (a corrupt frame, no true box) is left out of the results
    and added to `failures` (without that list, a warning names it); the others go on.
    """
    name = name or getattr(tracker, "name", None) or type(tracker).__name__
    results = []
    for group in in_batches(tracker, sequences):
        ready = []  # (sequence, ground truth, start)
        for seq in group:
            gt = true_boxes(seq)
            try:
                ready.append((seq, gt, first_true_box(gt)))
            except ValueError as error:
                _fail(SequenceFailure(name, seq.name, str(error)), failures)
        tracked = track_runs(tracker, [(seq.frames[s:], gt[s]) for seq, gt, s in ready])
        for (seq, gt, start), outcome in zip(ready, tracked, strict=True):
            if isinstance(outcome, Exception):
                _fail(SequenceFailure(name, seq.name, str(outcome)), failures)
                continue
            boxes, times = outcome
            results.append(
                SequenceResult(name, seq.name, boxes, gt[start:], times, list(seq.attributes))
            )
    return results


def start_frames(gt: np.ndarray, starts: int) -> list[int]:
    """`starts` frames spread evenly over the annotated span, each the first with a true box.

    A start needs a true box to begin from and a later one to be scored on.
    """
    known = np.flatnonzero(has_ground_truth(gt))
    if len(known) < 2:
        raise ValueError("a sequence needs at least two frames with a true box")
    usable = known[:-1]
    span = known[-1] - known[0]  # spread over the frames where the target is annotated
    at = np.searchsorted(usable, known[0] + np.arange(starts) * span / starts)
    return sorted({int(usable[i]) for i in np.minimum(at, len(usable) - 1)})


def evaluate_multistart(
    tracker: Tracker,
    sequences: Iterable[Sequence],
    starts: int = 4,
    name: str | None = None,
    failures: list[SequenceFailure] | None = None,
) -> list[SequenceResult]:
    """Track each sequence from `starts` evenly spread frames (one result per run).

    One run from the first frame is a noisy score: a drift early on ruins everything after it.
    Runs from several starts average that out. The start frame is given, so it is not scored.
    A sequence where any run fails is left out whole, as in `evaluate_tracker`.
    """
    name = name or getattr(tracker, "name", None) or type(tracker).__name__
    results = []
    for group in in_batches(tracker, sequences):
        runs = []  # (sequence, ground truth, start)
        for seq in group:
            gt = true_boxes(seq)
            try:
                runs += [(seq, gt, s) for s in start_frames(gt, starts)]
            except ValueError as error:
                _fail(SequenceFailure(name, seq.name, str(error)), failures)
        tracked = track_runs(tracker, [(seq.frames[s:], gt[s]) for seq, gt, s in runs])
        failed = {}
        for (seq, _, _), outcome in zip(runs, tracked, strict=True):
            if isinstance(outcome, Exception) and seq.name not in failed:
                failed[seq.name] = outcome
                _fail(SequenceFailure(name, seq.name, str(outcome)), failures)
        for (seq, gt, s), outcome in zip(runs, tracked, strict=True):
            if seq.name in failed:
                continue
            boxes, times = outcome
            run_gt = gt[s:].copy()
            run_gt[0] = np.nan  # the given box
            results.append(
                SequenceResult(name, f"{seq.name}@{s}", boxes, run_gt, times, list(seq.attributes))
            )
    return results


def without_failed(
    results: Iterable[SequenceResult], failures: Iterable[SequenceFailure]
) -> list[SequenceResult]:
    """The results without any run of a sequence that failed for some tracker.

    So every tracker is scored on the same sequences.
    """
    failed = {f.sequence for f in failures}
    return [r for r in results if r.sequence not in failed and run_of(r) not in failed]


def run_of(result: SequenceResult) -> str:
    """The sequence a multi-start run belongs to: 'Basketball' for the run 'Basketball@40'."""
    return result.sequence.rsplit("@", 1)[0]


# ----------------------------------------------------------------------------- per tracker


@dataclass
class TrackerSummary:
    """One tracker's scores over a set of sequences: OTB's curves and GOT-10k's AO / SR."""

    tracker: str
    sequences: int
    frames: int
    success_curve: np.ndarray  # mean over sequences, at SUCCESS_THRESHOLDS
    precision_curve: np.ndarray  # mean over sequences, at PRECISION_THRESHOLDS
    auc: float
    precision20: float
    ao: float
    sr50: float
    sr75: float
    fps: float


def _by_tracker(results: Iterable[SequenceResult]) -> dict[str, list[SequenceResult]]:
    """The results grouped by tracker name, in the order the trackers first appear."""
    groups: dict[str, list[SequenceResult]] = {}
    for r in results:
        groups.setdefault(r.tracker, []).append(r)
    return groups


def summarize_tracker(results: list[SequenceResult]) -> TrackerSummary:
    """The scores of one tracker from its per-sequence results."""
    if not results:
        raise ValueError("no sequence results to summarize")
    succ = np.mean([r.success_curve for r in results], axis=0)  # OTB: average the curves
    prec = np.mean([r.precision_curve for r in results], axis=0)
    later_ious = np.concatenate([r.ious[1:] for r in results])  # GOT-10k: pool the frames
    return TrackerSummary(
        tracker=results[0].tracker,
        sequences=len(results),
        frames=sum(len(r.times) for r in results),
        success_curve=succ,
        precision_curve=prec,
        auc=area_under_curve(succ),
        precision20=float(prec[20]),
        ao=average_overlap(later_ious),
        sr50=success_rate(later_ious, 0.5),
        sr75=success_rate(later_ious, 0.75),
        fps=_fps(sum(len(r.times) for r in results), sum(float(r.times.sum()) for r in results)),
    )


def summarize(results: Iterable[SequenceResult]) -> list[TrackerSummary]:
    """One summary per tracker found in the results, in the order they first appear."""
    return [summarize_tracker(group) for group in _by_tracker(results).values()]


def attribute_table(results: Iterable[SequenceResult]) -> dict[str, dict[str, float]]:
    """AUC per attribute per tracker: {attribute: {tracker: AUC over the sequences with it}}."""
    table: dict[str, dict[str, float]] = {}
    for tracker, group in _by_tracker(results).items():
        attributes = sorted({a for r in group for a in r.attributes})
        for attribute in attributes:
            tagged = [r for r in group if attribute in r.attributes]
            curve = np.mean([r.success_curve for r in tagged], axis=0)
            table.setdefault(attribute, {})[tracker] = area_under_curve(curve)
    return dict(sorted(table.items()))


# ----------------------------------------------------------------------------- tables


def _markdown(header: list[str], rows: list[list[str]]) -> str:
    """A markdown table with columns padded to line up as plain text too."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def format_table(summaries: list[TrackerSummary], digits: int = 3) -> str:
    """The summaries as a text table: AUC, precision@20, AO, SR0.50, SR0.75, fps per tracker."""
    header = ["tracker", "AUC", "prec@20", "AO", "SR0.50", "SR0.75", "fps", "seqs"]
    rows = [
        [
            s.tracker,
            *(f"{v:.{digits}f}" for v in (s.auc, s.precision20, s.ao, s.sr50, s.sr75)),
            f"{s.fps:.1f}",
            str(s.sequences),
        ]
        for s in summaries
    ]
    return _markdown(header, rows)


def format_attribute_table(table: dict[str, dict[str, float]], digits: int = 3) -> str:
    """The per-attribute AUC table as text: one row per attribute, one column per tracker."""
    trackers = list(dict.fromkeys(t for scores in table.values() for t in scores))
    rows = [
        [attribute, *(f"{scores[t]:.{digits}f}" if t in scores else "-" for t in trackers)]
        for attribute, scores in table.items()
    ]
    return _markdown(["attribute", *trackers], rows)


# ----------------------------------------------------------------------------- plots


def _new_axes(ax: Axes | None) -> Axes:
    """The given axes, or those of a new figure (kept out of pyplot: shown once in notebooks)."""
    if ax is not None:
        return ax
    return Figure(figsize=(6, 4.5), layout="constrained").add_subplot()


def plot_success(
    summaries: list[TrackerSummary], ax: Axes | None = None, title: str = "Success plots of OPE"
) -> Figure:
    """OTB's success plot: one curve per tracker, best first, the legend giving each AUC."""
    ax = _new_axes(ax)
    for s in sorted(summaries, key=lambda s: s.auc, reverse=True):
        ax.plot(SUCCESS_THRESHOLDS, s.success_curve, label=f"{s.tracker} [{s.auc:.3f}]")
    ax.set(xlabel="Overlap threshold", ylabel="Success rate", xlim=(0, 1), ylim=(0, 1.02))
    ax.set_title(title)
    ax.grid(True, alpha=0.4)
    ax.legend(loc="lower left")
    return ax.figure


def plot_precision(
    summaries: list[TrackerSummary], ax: Axes | None = None, title: str = "Precision plots of OPE"
) -> Figure:
    """OTB's precision plot: one curve per tracker, best first, the legend giving precision@20."""
    ax = _new_axes(ax)
    for s in sorted(summaries, key=lambda s: s.precision20, reverse=True):
        ax.plot(PRECISION_THRESHOLDS, s.precision_curve, label=f"{s.tracker} [{s.precision20:.3f}]")
    ax.axvline(20, color="gray", linestyle=":", linewidth=1)
    ax.set(xlabel="Location error threshold (px)", ylabel="Precision", xlim=(0, 50), ylim=(0, 1.02))
    ax.set_title(title)
    ax.grid(True, alpha=0.4)
    ax.legend(loc="lower right")
    return ax.figure


def save_plots(
    summaries: list[TrackerSummary], out_dir: str | Path, dpi: int = 150, protocol: str = "OPE"
) -> list[Path]:
    """Write success_plot.png and precision_plot.png into out_dir; return their paths.

    `protocol` names the evaluation run in the titles: "OPE", or "4 starts per sequence".
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / "success_plot.png", out_dir / "precision_plot.png"]
    plot_success(summaries, title=f"Success plots ({protocol})").savefig(paths[0], dpi=dpi)
    plot_precision(summaries, title=f"Precision plots ({protocol})").savefig(paths[1], dpi=dpi)
    return paths


# ----------------------------------------------------------------------------- reports


def protocol_name(starts: int) -> str:
    """How the sequences were run: "OPE" (once, from the first box) or "4 starts per sequence"."""
    return "OPE" if starts == 1 else f"{starts} starts per sequence"


def format_report(
    summaries: list[TrackerSummary],
    results: list[SequenceResult],
    failures: list[SequenceFailure],
    protocol: str = "OPE",
) -> str:
    """The evaluation as text: the scores, the attribute table (if any) and the failed sequences."""
    sequences = {run_of(r) for r in results}
    runs = f"{summaries[0].frames} frames tracked per tracker"
    lines = [f"{len(sequences)} sequences, {protocol}, {runs}", ""]
    lines += [format_table(summaries), ""]
    table = attribute_table(results)
    if table:
        lines += ["success AUC per attribute:", "", format_attribute_table(table)]
    else:
        lines.append("no attribute labels in this data set: no per-attribute table")
    failed = sorted({f.sequence for f in failures})
    if failed:
        lines += [
            "",
            f"{len(failed)} sequence(s) failed and are left out of every average above "
            f"(scores are over the other {len(sequences)}):",
            *(f"  {f}" for f in failures),
        ]
    return "\n".join(lines)


def save_results(summaries: list[TrackerSummary], report: str, out_dir: str | Path) -> list[Path]:
    """Write results.txt (the report as printed) and results.csv (one row per tracker)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    text, table = out_dir / "results.txt", out_dir / "results.csv"
    write_text(text, report + "\n")
    with writing(table), open(table, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["tracker", "auc", "precision20", "ao", "sr50", "sr75", "fps", "sequences"])
        for s in summaries:
            scores = (s.auc, s.precision20, s.ao, s.sr50, s.sr75, s.fps)
            writer.writerow([s.tracker, *(f"{v:.4f}" for v in scores), s.sequences])
    return [text, table]
