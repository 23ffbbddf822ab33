"""Checks of exercise notebook 07 (evaluation: OTB's overlap, success and precision scores).

- `check_iou` serves exercise 1, `iou(pred, gt)`: the overlap of (N, 4) boxes per frame, NaN
  where the true box is absent, 0 where the tracker gave none; compared with
  `siamfc_edu.evaluate.iou`;
- `check_iou_with_otb_truth` serves exercise 2, `iou_with_otb_truth(pred, gt_otb)`: the truth as
  OTB's 1-based file holds it, converted before the overlap; compared with
  `evaluate.iou(pred, boxes.otb_to_xywh(gt_otb))`;
- `check_success_curve` serves exercise 3, `success_curve(ious, thresholds)`: the fraction of
  scored frames with IoU > each threshold; compared with `evaluate.success_curve`;
- `check_auc` serves exercise 4, `auc(curve)`: OTB's success score, the mean of the curve;
  compared with `evaluate.area_under_curve`;
- `check_center_error` serves exercise 5, `center_error(pred, gt)`: the distance between the box
  centres per frame, NaN / inf like the overlap's rules; compared with `evaluate.center_error`;
- `check_precision_at` serves exercise 6, `precision_at(errors, pixels)`: the fraction of scored
  frames within `pixels` of the truth; compared with `evaluate.precision_at`.

Several inputs come from the hand-drawn real set: the face in carphone, boxed every 5th frame
(NaN between), against a made-up tracker that jitters, drifts away for a while and gives no box
on two frames (`carphone_truth`, `jittered_tracker`). Each exercise is a public `Exercise` (`IOU`,
..., `PRECISION_AT`) with its inputs and typical mistakes (`IOU_MISTAKES`, ...), so that the tests
can make every mistake and see it named. Per-frame answers must be float64 arrays, like the
library's (`compare_per_frame` says why); the scores one number.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..boxes import box_center, center_box, otb_to_xywh, xywh_to_otb
from ..data.footage import SHIPPED_VIDEOS
from ..data.real import read_annotations, real_set_files
from ..evaluate.metrics import (
    SUCCESS_THRESHOLDS,
    area_under_curve,
    center_error,
    iou,
    precision_at,
    success_curve,
)
from . import (
    Case,
    Exercise,
    Mistake,
    Verdict,
    as_array,
    compare_arrays,
    graded,
    same_kind,
    type_name,
)

NAN_BOX = [np.nan] * 4
THRESHOLDS_101 = np.linspace(0, 1, 101)  # GOT-10k's toolkit plots 101 thresholds
THRESHOLDS_20 = np.arange(0, 1, 0.05)  # np.arange leaves out the end, 1.0
LOST = slice(60, 75)  # the frames where the made-up tracker drifts off the face
NO_BOX = [35, 90]  # two drawn frames where it gives no box at all

# ----------------------------------------------------------------------------- shared


def carphone_truth() -> np.ndarray:
    """The hand-drawn face in carphone: (120, 4) 0-based boxes, NaN between every 5th frame."""
    files = real_set_files()
    return read_annotations(
        files["carphone_pristine:carphone_face"], SHIPPED_VIDEOS["carphone_pristine"][2]
    )


def jittered_tracker(gt: np.ndarray, seed: int = 0) -> np.ndarray:
    """A made-up tracker's boxes for the truth `gt`: jittered, lost on LOST, no box on NO_BOX.

    Between two drawn frames it keeps the last drawn box; its centres move by a few pixels and
    its sizes by about 12% at random (seeded), so the boxes differ in position and in size.
    """
    rng = np.random.default_rng(seed)
    known = np.all(np.isfinite(gt), axis=1)
    last_drawn = np.maximum.accumulate(np.where(known, np.arange(len(gt)), 0))
    held = gt[last_drawn]
    centres = box_center(held) + rng.normal(0.0, 4.0, (len(gt), 2))
    sizes = held[:, 2:] * np.exp(rng.normal(0.0, 0.12, (len(gt), 2)))
    boxes = center_box(centres, sizes)
    boxes[LOST, :2] += [45.0, 30.0]  # drifted off the face: IoU 0, errors over 20 px
    boxes[NO_BOX] = np.nan
    return boxes


def _rows(boxes: object) -> np.ndarray:
    return np.asarray(boxes, dtype=np.float64).reshape(-1, 4)


def _finite_rows(boxes: np.ndarray) -> np.ndarray:
    return np.all(np.isfinite(boxes), axis=1)


def _why(got: float, expected: float) -> str:
    """What the reference's NaN or inf means, for a learner who gave something else there."""
    if np.isnan(expected):
        return " (no true box there: the frame is not scored, NaN)"
    if np.isinf(expected):
        return " (the tracker gave no box there: a miss, an infinite error)"
    if np.isnan(got):
        return " (NaN only where the true box is missing)"
    return ""


FLOAT64_WHY = (
    "keep float64 (np.asarray(boxes, dtype=float)) as the library does: the scores compare "
    "each value with thresholds in float64, and a float32 value, rounded to 7 digits, can land "
    "on the other side of one"
)


def compare_per_frame(got: object, expected: object) -> str:
    """compare_arrays, which first names a frame whose NaN / inf differs from the reference's."""
    if problem := same_kind(got, expected):
        return f"{problem}: {FLOAT64_WHY}" if "dtype" in problem else problem
    problem = compare_arrays(got, expected)
    if not problem or problem.startswith(("shape", "expected")):
        return problem
    got_a, expected_a = as_array(got).reshape(-1), as_array(expected).reshape(-1)
    for i, (g, e) in enumerate(zip(got_a, expected_a, strict=True)):
        if np.isnan(g) != np.isnan(e) or np.isinf(g) != np.isinf(e):
            return f"frame {i} gives {g:g} where the reference gives {e:g}{_why(g, e)}"
    return problem


def compare_number(got: object, expected: object) -> str:
    """'' when the two scores agree; else both, in words (one number is expected)."""
    if same_kind(got, expected):
        return f"returned {type_name(got)}; expected one number (a float): float(...) makes one"
    got_a = as_array(got)
    if compare_arrays(got_a, expected, kind=False):
        return f"the score is {float(got_a):.6g}, expected {float(as_array(expected)):.6g}"
    return ""


# ----------------------------------------------------------------------------- exercise 1


def _iou(
    pred: object,
    gt: object,
    corners: bool = False,
    union: str = "union",
    clamp: bool = True,
    plus: float = 0.0,
    no_pred: float | None = 0.0,
    no_gt: float | None = np.nan,
) -> np.ndarray:
    """An IoU like the library's, with the knobs the typical mistakes turn.

    corners: [x, y, w, h] read as [x1, y1, x2, y2]; union: what the intersection is divided by,
    'union' (|b| + |g| - |b n g|), 'sum' (|b| + |g|) or 'truth' (|g|);
    clamp: negative overlap widths become 0; plus: added to every width and height (VOC's +1);
    no_pred / no_gt: the value where the tracker's / the true box is NaN (None: left as computed).
    """
    p, g = _rows(pred), _rows(gt)

    def extent(b: np.ndarray) -> tuple[np.ndarray, ...]:
        if corners:
            return b[:, 0], b[:, 1], b[:, 2], b[:, 3]
        return b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]

    px1, py1, px2, py2 = extent(p)
    gx1, gy1, gx2, gy2 = extent(g)
    w = np.minimum(px2, gx2) - np.maximum(px1, gx1) + plus
    h = np.minimum(py2, gy2) - np.maximum(py1, gy1) + plus
    if clamp:
        w, h = np.maximum(w, 0), np.maximum(h, 0)
    inter = w * h
    area_p = (px2 - px1 + plus) * (py2 - py1 + plus)
    area_g = (gx2 - gx1 + plus) * (gy2 - gy1 + plus)
    divisor = {"union": area_p + area_g - inter, "sum": area_p + area_g, "truth": area_g}[union]
    with np.errstate(all="ignore"):
        out = inter / divisor
    if no_pred is not None:
        out[~_finite_rows(p)] = no_pred
    if no_gt is not None:
        out[~_finite_rows(g)] = no_gt
    return out


IOU_MISTAKES = [
    Mistake(
        "[x, y, w, h] treated as corners [x1, y1, x2, y2]",
        "the box spans x .. x + w and y .. y + h: its right edge is x + w",
        lambda pred, gt: _iou(pred, gt, corners=True),
    ),
    Mistake(
        "a union without subtracting the intersection (|b| + |g|)",
        "the shared area is in both boxes: union = |b| + |g| - |b n g|",
        lambda pred, gt: _iou(pred, gt, union="sum"),
    ),
    Mistake(
        "the intersection divided by the true box's area, not the union",
        "divide by the union |b| + |g| - |b n g|, not by |g| alone",
        lambda pred, gt: _iou(pred, gt, union="truth"),
    ),
    Mistake(
        "no clamp of negative overlaps (apart boxes get an 'intersection')",
        "clamp each axis: max(0, overlap in x) * max(0, overlap in y)",
        lambda pred, gt: _iou(pred, gt, clamp=False),
    ),
    Mistake(
        "the +1 pixel convention (w + 1, x2 - x1 + 1), which the library does not use",
        "a box covers x .. x + w exactly (width w): no + 1 anywhere",
        lambda pred, gt: _iou(pred, gt, plus=1.0),
    ),
    Mistake(
        "a frame where the tracker gave no box left as NaN instead of a miss (IoU 0)",
        "IoU 0 where a row of pred has a NaN; NaN only where gt has one",
        lambda pred, gt: _iou(pred, gt, no_pred=None, no_gt=None),
    ),
    Mistake(
        "a frame without ground truth given 0 instead of NaN (not scored)",
        "NaN wherever a row of gt has a NaN, whatever pred holds there",
        lambda pred, gt: _iou(pred, gt, no_gt=0.0),
    ),
]


def _random_pairs(n: int, seed: int, spread: float = 60.0) -> tuple[np.ndarray, np.ndarray]:
    """n pairs of fractional boxes: overlapping, nested, apart along one axis or both."""
    rng = np.random.default_rng(seed)
    gt = np.column_stack([rng.uniform(0, 100, (n, 2)), rng.uniform(5, 60, (n, 2))])
    pred = gt.copy()
    pred[:, :2] += rng.uniform(-spread, spread, (n, 2))
    pred[:, 2:] *= rng.uniform(0.5, 2.0, (n, 2))
    return pred, gt


def iou_cases() -> list[Case]:
    """From identical boxes to the real set, the frames without a box last."""
    truth = carphone_truth()
    return [
        Case(
            "identical boxes (IoU 1), integer and fractional",
            tuple(np.array([[10, 10, 40, 30], [3.5, 7.25, 12.5, 20.75]]) for _ in range(2)),
        ),
        Case(
            "the worked example b = [20, 10, 40, 30], g = [0, 0, 40, 30], a batch of one (0.2)",
            (np.array([[20.0, 10, 40, 30]]), np.array([[0.0, 0, 40, 30]])),
        ),
        Case(
            "one box inside the other, both ways ([10, 10, 20, 20] in [0, 0, 40, 40]: 0.25)",
            (
                np.array([[10.0, 10, 20, 20], [0, 0, 40, 40]]),
                np.array([[0.0, 0, 40, 40], [10, 10, 20, 20]]),
            ),
        ),
        Case(
            "boxes just apart along x and along y (IoU 0)",
            (
                np.array([[0.0, 0, 10, 10], [30, 20, 8, 6]]),
                np.array([[11.0, 12, 10, 10], [20, 10, 9.5, 9]]),
            ),
        ),
        Case(
            "boxes touching along an edge or at a corner (IoU 0)",
            (
                np.array([[0.0, 0, 10, 10], [0, 0, 10, 10], [10, 10, 5, 5]]),
                np.array([[10.0, 0, 10, 10], [0, 10, 10, 10], [0, 0, 10, 10]]),
            ),
        ),
        Case("fractional boxes (sub-pixel x, y, w, h), 6 pairs", _random_pairs(6, 0, 10.0)),
        Case("200 random pairs: overlapping, nested, apart", _random_pairs(200, 1)),
        Case(
            "a frame where the tracker gave no box (a NaN row in pred)",
            (
                np.array([[10.0, 10, 20, 20], NAN_BOX, [5, 5, 10, 10]]),
                np.array([[12.0, 10, 20, 20], [10, 10, 20, 20], [5, 5, 10, 10]]),
            ),
        ),
        Case(
            "frames without ground truth (NaN rows in gt), one without either box",
            (
                np.array([[10.0, 10, 20, 20], [10, 10, 20, 20], NAN_BOX, [5, 5, 10, 10]]),
                np.array([[12.0, 10, 20, 20], NAN_BOX, NAN_BOX, [6, 5, 10, 12]]),
            ),
        ),
        Case(
            "the hand-drawn carphone face (NaN between every 5th frame) vs a jittered tracker",
            (jittered_tracker(truth), truth),
        ),
    ]


IOU = Exercise(
    "iou",
    iou,
    iou_cases,
    IOU_MISTAKES,
    compare=compare_per_frame,
    hint="clamp each axis's overlap at 0; union = |b| + |g| - intersection",
)


@graded
def check_iou(fn: Callable) -> Verdict:
    """Exercise 1: `fn(pred, gt)` -> (N,) overlaps, against the library's `iou`."""
    return IOU.check(fn)


# ----------------------------------------------------------------------------- exercise 2


def reference_iou_with_otb_truth(pred: object, gt_otb: object) -> np.ndarray:
    """The library's IoU of 0-based boxes with a truth in OTB's 1-based convention."""
    return iou(pred, otb_to_xywh(gt_otb))


OTB_MISTAKES = [
    Mistake(
        "the OTB boxes used as they are (1-based read as 0-based)",
        "subtract 1 from x and y of the truth first: otb_to_xywh(gt_otb)",
        lambda pred, gt_otb: iou(pred, gt_otb),
    ),
    Mistake(
        "the conversion the wrong way (+1), or applied to the tracker's boxes",
        "pred is 0-based already: move the truth by -1 (otb_to_xywh)",
        lambda pred, gt_otb: iou(pred, xywh_to_otb(gt_otb)),
    ),
    Mistake(
        "1 subtracted from all four numbers (w and h too)",
        "only x and y are 1-based: the width and height stay as they are",
        lambda pred, gt_otb: iou(pred, np.asarray(gt_otb, dtype=np.float64) - 1),
    ),
    Mistake(
        "1 added to w and h (an inclusive x2 - x1 + 1 width)",
        "OTB's w and h are widths already: only x and y move, by -1",
        lambda pred, gt_otb: iou(pred, otb_to_xywh(gt_otb) + np.array([0.0, 0.0, 1.0, 1.0])),
    ),
]


def otb_cases() -> list[Case]:
    """A perfect tracker on a small box, on the real set, then a jittered one."""
    truth = carphone_truth()
    held = truth[np.maximum.accumulate(np.where(_finite_rows(truth), np.arange(len(truth)), 0))]
    return [
        Case(
            "a perfect tracker on a 10 x 10 box: pred [20, 30, 10, 10], OTB [21, 31, 10, 10]",
            (np.array([[20.0, 30, 10, 10]]), np.array([[21.0, 31, 10, 10]])),
        ),
        Case(
            "a perfect tracker on the carphone face, truth as an OTB file holds it (NaN rows)",
            (held, xywh_to_otb(truth)),
        ),
        Case(
            "a jittered tracker on the carphone face, truth as an OTB file holds it",
            (jittered_tracker(truth, seed=1), xywh_to_otb(truth)),
        ),
        Case("fractional boxes, 6 pairs", _random_pairs(6, 2, 10.0)),
    ]


IOU_WITH_OTB_TRUTH = Exercise(
    "iou_with_otb_truth",
    reference_iou_with_otb_truth,
    otb_cases,
    OTB_MISTAKES,
    compare=compare_per_frame,
    hint="convert the truth with otb_to_xywh, then ev.iou(pred, truth)",
)


@graded
def check_iou_with_otb_truth(fn: Callable) -> Verdict:
    """Exercise 2: `fn(pred, gt_otb)` -> (N,) overlaps, the truth converted from OTB's 1-based."""
    return IOU_WITH_OTB_TRUTH.check(fn)


# ----------------------------------------------------------------------------- exercise 3


def _curve(ious: object, thresholds: object, above=np.greater, drop_nan=True, axis=0, count=False):
    """A success curve like the library's, with the knobs the typical mistakes turn."""
    v = np.asarray(ious, dtype=np.float64).reshape(-1)
    if drop_nan:
        v = v[~np.isnan(v)]
    hits = above(v[:, None], np.asarray(thresholds, dtype=np.float64)[None, :])
    return hits.sum(axis=axis) if count else hits.mean(axis=axis)


SUCCESS_MISTAKES = [
    Mistake(
        "IoU >= threshold instead of IoU > threshold",
        "success is IoU strictly above the threshold: a perfect S(1) is 0",
        lambda ious, thresholds=SUCCESS_THRESHOLDS: _curve(ious, thresholds, np.greater_equal),
    ),
    Mistake(
        "the frames without ground truth (NaN) counted as failures",
        "drop the NaN IoUs first: ious[~np.isnan(ious)]",
        lambda ious, thresholds=SUCCESS_THRESHOLDS: _curve(ious, thresholds, drop_nan=False),
    ),
    Mistake(
        "the number of frames instead of the fraction",
        "divide by the number of scored frames: .mean(axis=0), not .sum",
        lambda ious, thresholds=SUCCESS_THRESHOLDS: _curve(ious, thresholds, count=True),
    ),
    Mistake(
        "the mean over the thresholds instead of over the frames",
        "one value per threshold: compare (N, 1) with (1, T), mean axis 0",
        lambda ious, thresholds=SUCCESS_THRESHOLDS: _curve(ious, thresholds, axis=1),
    ),
    Mistake(
        "101 thresholds np.linspace(0, 1, 101) by default, not OTB's 21",
        "OTB's plot has 21 thresholds: default to ev.SUCCESS_THRESHOLDS",
        lambda ious, thresholds=THRESHOLDS_101: _curve(ious, thresholds),
    ),
    Mistake(
        "np.arange(0, 1, 0.05) by default: 20 thresholds, without 1.0",
        "np.arange leaves out its end: the 21 thresholds end at 1.0",
        lambda ious, thresholds=THRESHOLDS_20: _curve(ious, thresholds),
    ),
    Mistake(
        "the argument `thresholds` ignored (always OTB's 21)",
        "compare with the thresholds passed in: GOT-10k passes [0.5, 0.75]",
        lambda ious, thresholds=SUCCESS_THRESHOLDS: _curve(ious, SUCCESS_THRESHOLDS),
    ),
]

TOY = np.array([0.9, 0.85, 0.8, 0.75, 0.7, 0.62, 0.55, 0.3, 0.1, 0.0])  # notebook 07's toy sequence


def success_cases() -> list[Case]:
    """The toy sequence, a perfect tracker, NaN frames, other thresholds, the real set."""
    truth = carphone_truth()
    rng = np.random.default_rng(3)
    return [
        Case("notebook 07's toy sequence of 10 IoUs (one exactly 0.75, one 0)", (TOY,)),
        Case("a perfect tracker: IoU 1 on 50 frames (S(1) = 0)", (np.ones(50),)),
        Case(
            "12 frames, 4 without ground truth (NaN)",
            (np.array([0.8, np.nan, 0.6, 0.5, np.nan, 0.0, 0.9, np.nan, 0.3, 0.7, np.nan, 0.45]),),
        ),
        Case(
            "GOT-10k's thresholds [0.5, 0.75], IoUs of exactly 0.5 and 0.75",
            (np.array([0.5, 0.75, 0.8, 0.2, 0.5, 0.6]), np.array([0.5, 0.75])),
        ),
        Case("one frame (IoU 0.6)", (np.array([0.6]),)),
        Case(
            "the carphone face vs a jittered tracker (NaN between every 5th frame)",
            (iou(jittered_tracker(truth), truth),),
        ),
        Case(
            "300 random IoUs and 101 thresholds",
            (rng.uniform(0, 1, 300), np.linspace(0, 1, 101)),
        ),
    ]


SUCCESS_CURVE = Exercise(
    "success_curve",
    success_curve,
    success_cases,
    SUCCESS_MISTAKES,
    hint="drop the NaN IoUs, then the mean over frames of iou > threshold",
)


@graded
def check_success_curve(fn: Callable) -> Verdict:
    """Exercise 3: `fn(ious, thresholds=SUCCESS_THRESHOLDS)` against `success_curve`."""
    return SUCCESS_CURVE.check(fn)


# ----------------------------------------------------------------------------- exercise 4


def _trapezoid(curve: object) -> float:
    c = np.asarray(curve, dtype=np.float64)
    return float(((c[1:] + c[:-1]) / 2).sum() / (len(c) - 1))


AUC_MISTAKES = [
    Mistake(
        "the trapezoid rule over [0, 1] instead of the mean of the curve",
        "OTB's toolkit takes the plain mean of the values: np.mean(curve)",
        _trapezoid,
    ),
    Mistake(
        "the sum divided by the number of intervals (n - 1), not of values (n)",
        "21 thresholds give 21 values: divide their sum by len(curve)",
        lambda curve: float(np.sum(curve) / (len(curve) - 1)),
    ),
    Mistake(
        "the sum of the curve, not its mean",
        "the AUC lies in [0, 1]: divide the sum by the number of values",
        lambda curve: float(np.sum(curve)),
    ),
    Mistake(
        "np.trapz(curve) without x: the area in steps of one threshold",
        "no integral at all: OTB's score is np.mean(curve)",
        lambda curve: _trapezoid(curve) * (len(curve) - 1),
    ),
]


def auc_cases() -> list[Case]:
    """The perfect tracker's curve, the toy's, a finer curve, a real one."""
    truth = carphone_truth()
    rng = np.random.default_rng(4)
    return [
        Case(
            "a perfect tracker's curve: 20 ones and S(1) = 0 (AUC 20/21)",
            (success_curve(np.ones(50)),),
        ),
        Case("the toy sequence's curve (21 values)", (success_curve(TOY),)),
        Case(
            "a curve at 101 thresholds",
            (success_curve(rng.uniform(0, 1, 40), np.linspace(0, 1, 101)),),
        ),
        Case(
            "the carphone face vs a jittered tracker",
            (success_curve(iou(jittered_tracker(truth), truth)),),
        ),
    ]


AUC = Exercise(
    "auc",
    area_under_curve,
    auc_cases,
    AUC_MISTAKES,
    compare=compare_number,
    hint="the mean of the curve's values, as a float",
)


@graded
def check_auc(fn: Callable) -> Verdict:
    """Exercise 4: `fn(curve)` -> one number, against `area_under_curve`."""
    return AUC.check(fn)


# ----------------------------------------------------------------------------- exercise 5


def _error(pred, gt, centre=box_center, norm="l2", no_pred=np.inf, no_gt=np.nan):
    """A centre error like the library's, with the knobs the typical mistakes turn."""
    p, g = _rows(pred), _rows(gt)
    d = centre(p) - centre(g)
    if norm == "l1":
        out = np.abs(d).sum(axis=1)
    elif norm == "max":
        out = np.abs(d).max(axis=1)
    elif norm == "squared":
        out = (d**2).sum(axis=1)
    else:
        out = np.sqrt((d**2).sum(axis=1))
    if no_pred is not None:
        out[~_finite_rows(p)] = no_pred
    if no_gt is not None:
        out[~_finite_rows(g)] = no_gt
    return out


def _top_left(b: np.ndarray) -> np.ndarray:
    return b[:, :2]


def _corners_centre(b: np.ndarray) -> np.ndarray:
    return (b[:, :2] + b[:, 2:]) / 2


ERROR_MISTAKES = [
    Mistake(
        "the top-left corners compared instead of the centres",
        "the centre is (x + (w - 1) / 2, y + (h - 1) / 2), not (x, y)",
        lambda pred, gt: _error(pred, gt, centre=_top_left),
    ),
    Mistake(
        "[x, y, w, h] treated as corners: centre (x + w) / 2",
        "w is a width, not the right edge: the centre is x + (w - 1) / 2",
        lambda pred, gt: _error(pred, gt, centre=_corners_centre),
    ),
    Mistake(
        "the Manhattan distance |dx| + |dy| instead of the Euclidean one",
        "the error is the Euclidean length sqrt(dx^2 + dy^2)",
        lambda pred, gt: _error(pred, gt, norm="l1"),
    ),
    Mistake(
        "the Chebyshev distance max(|dx|, |dy|) instead of the Euclidean one",
        "the error is the Euclidean length sqrt(dx^2 + dy^2), not max",
        lambda pred, gt: _error(pred, gt, norm="max"),
    ),
    Mistake(
        "the squared distance (no square root)",
        "take the square root: np.hypot(dx, dy)",
        lambda pred, gt: _error(pred, gt, norm="squared"),
    ),
    Mistake(
        "a frame where the tracker gave no box left as NaN instead of a miss (inf)",
        "np.inf where a row of pred has a NaN; NaN only where gt has one",
        lambda pred, gt: _error(pred, gt, no_pred=None, no_gt=None),
    ),
    Mistake(
        "a frame without ground truth counted as a miss (inf) instead of NaN",
        "NaN wherever a row of gt has a NaN, whatever pred holds there",
        lambda pred, gt: _error(pred, gt, no_gt=np.inf),
    ),
]


def error_cases() -> list[Case]:
    """Same sizes, different sizes, fractional, missing boxes, the real set."""
    truth = carphone_truth()
    return [
        Case(
            "the worked example b = [20, 10, 40, 30], g = [0, 0, 40, 30], a batch of one (22.36)",
            (np.array([[20.0, 10, 40, 30]]), np.array([[0.0, 0, 40, 30]])),
        ),
        Case(
            "boxes of different sizes with the same top-left corner",
            (
                np.array([[10.0, 10, 40, 20], [5, 8, 7, 30]]),
                np.array([[10.0, 10, 20, 10], [5, 8, 21, 12]]),
            ),
        ),
        Case("fractional boxes of different sizes, 6 pairs", _random_pairs(6, 5, 10.0)),
        Case(
            "a frame where the tracker gave no box (a NaN row in pred)",
            (
                np.array([[10.0, 10, 20, 20], NAN_BOX, [5, 5, 10, 10]]),
                np.array([[12.0, 10, 20, 24], [10, 10, 20, 20], [5, 5, 10, 10]]),
            ),
        ),
        Case(
            "frames without ground truth (NaN rows in gt), one without either box",
            (
                np.array([[10.0, 10, 20, 20], [10, 10, 20, 20], NAN_BOX, [5, 5, 10, 10]]),
                np.array([[12.0, 10, 20, 20], NAN_BOX, NAN_BOX, [6, 5, 10, 12]]),
            ),
        ),
        Case(
            "the hand-drawn carphone face (NaN between every 5th frame) vs a jittered tracker",
            (jittered_tracker(truth), truth),
        ),
    ]


CENTER_ERROR = Exercise(
    "center_error",
    center_error,
    error_cases,
    ERROR_MISTAKES,
    compare=compare_per_frame,
    hint="Euclidean distance of the centres; inf: no pred box, NaN: no gt",
)


@graded
def check_center_error(fn: Callable) -> Verdict:
    """Exercise 5: `fn(pred, gt)` -> (N,) centre errors in pixels, against `center_error`."""
    return CENTER_ERROR.check(fn)


# ----------------------------------------------------------------------------- exercise 6


def _precision(
    errors, pixels=20.0, within=np.less_equal, drop_nan=True, drop_inf=False, count=False
) -> float:
    """A precision like the library's, with the knobs the typical mistakes turn."""
    v = np.asarray(errors, dtype=np.float64).reshape(-1)
    if drop_nan:
        v = v[~np.isnan(v)]
    if drop_inf:
        v = v[~np.isinf(v)]
    hits = within(v, pixels)
    return float(hits.sum() if count else hits.mean())


PRECISION_MISTAKES = [
    Mistake(
        "error < pixels instead of error <= pixels",
        "a frame exactly 20 px off counts: OTB's test is error <= 20",
        lambda errors, pixels=20.0: _precision(errors, pixels, within=np.less),
    ),
    Mistake(
        "the frames without ground truth (NaN) counted as failures",
        "drop the NaN errors first: errors[~np.isnan(errors)]",
        lambda errors, pixels=20.0: _precision(errors, pixels, drop_nan=False),
    ),
    Mistake(
        "the frames where the tracker gave no box (inf) left out instead of missed",
        "drop only the NaN errors: an inf error is a miss, and counts",
        lambda errors, pixels=20.0: _precision(errors, pixels, drop_inf=True),
    ),
    Mistake(
        "the number of frames instead of the fraction",
        "divide by the number of scored frames: a mean, not a sum",
        lambda errors, pixels=20.0: _precision(errors, pixels, count=True),
    ),
    Mistake(
        "the mean error compared with `pixels`, not each frame's error",
        "a fraction of frames: the mean of (errors <= pixels), per frame",
        lambda errors, pixels=20.0: float(np.nanmean(errors) <= pixels),
    ),
]


def precision_cases() -> list[Case]:
    """Errors at exactly the threshold, another threshold, NaN and inf, the real set."""
    truth = carphone_truth()
    return [
        Case(
            "10 errors, two of them exactly 20 px",
            (np.array([3.2, 20.0, 45.0, 0.0, 12.5, 20.0, 21.0, 7.0, 19.99, 150.0]),),
        ),
        Case(
            "pixels = 5, errors of exactly 0 and 5 px",
            (np.array([0.0, 5.0, 5.5, 2.0, 40.0, 5.0]),),
            {"pixels": 5},
        ),
        Case(
            "9 frames, 3 without ground truth (NaN)",
            (np.array([4.0, np.nan, 30.0, 18.0, np.nan, 2.5, 60.0, np.nan, 11.0]),),
        ),
        Case(
            "8 frames, 2 where the tracker gave no box (inf)",
            (np.array([4.0, np.inf, 30.0, 18.0, 2.5, np.inf, 60.0, 11.0]),),
        ),
        Case("one frame, exactly 20 px", (np.array([20.0]),)),
        Case(
            "the carphone face vs a jittered tracker (NaN between drawn frames, inf on 2)",
            (center_error(jittered_tracker(truth), truth),),
        ),
    ]


PRECISION_AT = Exercise(
    "precision_at",
    precision_at,
    precision_cases,
    PRECISION_MISTAKES,
    compare=compare_number,
    hint="drop the NaN errors, then the mean of errors <= pixels",
)


@graded
def check_precision_at(fn: Callable) -> Verdict:
    """Exercise 6: `fn(errors, pixels=20.0)` -> one number, against `precision_at`."""
    return PRECISION_AT.check(fn)
