"""The scores, on plain arrays of boxes: OTB's success and precision, GOT-10k's AO and SR.

Every metric takes numpy arrays of 0-based ``[x, y, w, h]`` boxes (see `boxes`), so it serves any
tracker: SiamFC, the baselines, or boxes loaded from another tracker's result files. Nothing here
runs a tracker or needs torch (`runs` does the tracking).

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
  the first frame of a run (whose box the tracker is given) is not scored.

Frames without ground truth (a NaN row in the true boxes, or marked absent in the `Sequence`) are
excluded from every score: the tracker is neither rewarded nor punished there. A frame where the
*tracker* gives no box (NaN) while the target is visible counts as a miss: IoU 0, error infinite.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ..boxes import box_center

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


# ----------------------------------------------------------------------------- curves and scores


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


def fps(frames: int, seconds: float) -> float:
    """Frames per second, NaN when no time was measured."""
    return frames / seconds if seconds > 0 else float("nan")


# ----------------------------------------------------------------------------- per run


@dataclass
class SequenceResult:
    """One tracker's boxes and times on one run, with the per-frame scores they earn.

    `sequence` names the run: the sequence's name, '@label' added where it has several runs
    ('Basketball@40', 'Basketball@start 12'); `gt` holds NaN where a frame is not scored.
    """

    tracker: str
    sequence: str
    boxes: np.ndarray  # (N, 4) predicted, 0-based [x, y, w, h]
    gt: np.ndarray  # (N, 4) ground truth, NaN rows where a frame is not scored
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
        """This run's success curve (every frame with ground truth)."""
        return success_curve(self.ious)

    @property
    def precision_curve(self) -> np.ndarray:
        """This run's precision curve (every frame with ground truth)."""
        return precision_curve(self.center_errors)

    @property
    def auc(self) -> float:
        """This run's success score (AUC)."""
        return area_under_curve(self.success_curve)

    @property
    def fps(self) -> float:
        """Frames per second over the whole run, initialisation included."""
        return fps(len(self.times), float(np.sum(self.times)))


def run_of(result: SequenceResult) -> str:
    """The sequence a run belongs to: 'Basketball' for the run 'Basketball@40'."""
    return result.sequence.rsplit("@", 1)[0]


def scored_units(results: Iterable[SequenceResult], pooled: bool) -> list[list[SequenceResult]]:
    """What one point of an average is: a run alone, or (`pooled`, OTB's `genPerfMat`) the runs
    of one sequence together, their frames pooled into one curve."""
    if not pooled:
        return [[r] for r in results]
    units: dict[str, list[SequenceResult]] = {}
    for r in results:
        units.setdefault(run_of(r), []).append(r)
    return list(units.values())


def unit_curves(unit: list[SequenceResult]) -> tuple[np.ndarray, np.ndarray]:
    """The success and precision curves of one scored unit's frames, pooled."""
    ious = np.concatenate([r.ious for r in unit])
    errors = np.concatenate([r.center_errors for r in unit])
    return success_curve(ious), precision_curve(errors)


# ----------------------------------------------------------------------------- per tracker


@dataclass
class TrackerSummary:
    """One tracker's scores over a set of sequences: OTB's curves and GOT-10k's AO / SR."""

    tracker: str
    sequences: int  # the units averaged: sequences (runs pooled), or runs
    frames: int
    success_curve: np.ndarray  # mean over the units, at SUCCESS_THRESHOLDS
    precision_curve: np.ndarray  # mean over the units, at PRECISION_THRESHOLDS
    auc: float
    precision20: float
    ao: float
    sr50: float
    sr75: float
    fps: float


def by_tracker(results: Iterable[SequenceResult]) -> dict[str, list[SequenceResult]]:
    """The results grouped by tracker name, in the order the trackers first appear."""
    groups: dict[str, list[SequenceResult]] = {}
    for r in results:
        groups.setdefault(r.tracker, []).append(r)
    return groups


def summarize_tracker(results: list[SequenceResult], pooled: bool = False) -> TrackerSummary:
    """The scores of one tracker from its runs: OTB's curves averaged over the scored units
    (`scored_units`), GOT-10k's AO and SR over every frame after each run's given first box."""
    if not results:
        raise ValueError("no run results to summarize")
    curves = [unit_curves(unit) for unit in scored_units(results, pooled)]
    succ = np.mean([s for s, _ in curves], axis=0)
    prec = np.mean([p for _, p in curves], axis=0)
    later_ious = np.concatenate([r.ious[1:] for r in results])  # GOT-10k: pool the frames
    frames = sum(len(r.times) for r in results)
    return TrackerSummary(
        tracker=results[0].tracker,
        sequences=len(curves),
        frames=frames,
        success_curve=succ,
        precision_curve=prec,
        auc=area_under_curve(succ),
        precision20=float(prec[20]),
        ao=average_overlap(later_ious),
        sr50=success_rate(later_ious, 0.5),
        sr75=success_rate(later_ious, 0.75),
        fps=fps(frames, sum(float(r.times.sum()) for r in results)),
    )


def summarize(results: Iterable[SequenceResult], pooled: bool = False) -> list[TrackerSummary]:
    """One summary per tracker found in the results, in the order they first appear."""
    return [summarize_tracker(group, pooled) for group in by_tracker(results).values()]


def attribute_table(
    results: Iterable[SequenceResult], pooled: bool = False
) -> dict[str, dict[str, float]]:
    """AUC per attribute per tracker: {attribute: {tracker: AUC over the units with it}}."""
    table: dict[str, dict[str, float]] = {}
    for tracker, group in by_tracker(results).items():
        units = scored_units(group, pooled)
        for attribute in sorted({a for r in group for a in r.attributes}):
            tagged = [unit_curves(u)[0] for u in units if attribute in u[0].attributes]
            table.setdefault(attribute, {})[tracker] = area_under_curve(np.mean(tagged, axis=0))
    return dict(sorted(table.items()))
