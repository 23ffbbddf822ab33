"""Chapter 07 (evaluation): iou, iou_with_otb_truth, success_curve, auc, center_error,
precision_at."""

import numpy as np

from siamfc_edu import evaluate as ev
from siamfc_edu.checks import evaluation as checks
from tests.exercise_registry import Entry

# ------------------------------------------------------------------- right, written otherwise


def _missing_boxes(out, pred, gt, miss):
    """The two rules: `miss` where the tracker gave no box, NaN where the truth has none."""
    out[np.isnan(pred).any(axis=1)] = miss
    out[np.isnan(gt).any(axis=1)] = np.nan
    return out


def iou_corners_clipped(pred, gt):
    """Corners first, the overlap's width and height clipped with np.clip."""
    b1, b2 = pred[:, :2], pred[:, :2] + pred[:, 2:]
    g1, g2 = gt[:, :2], gt[:, :2] + gt[:, 2:]
    sides = np.clip(np.minimum(b2, g2) - np.maximum(b1, g1), 0, None)
    inter = sides.prod(axis=1)
    union = pred[:, 2:].prod(axis=1) + gt[:, 2:].prod(axis=1) - inter
    return _missing_boxes(inter / union, pred, gt, 0.0)


def iou_stacked(pred, gt):
    """Both boxes stacked on a new axis: max over the left edges, min over the right ones."""
    boxes = np.stack([pred, gt])  # (2, N, 4)
    low, high = boxes[..., :2], boxes[..., :2] + boxes[..., 2:]
    inter = np.maximum(high.min(axis=0) - low.max(axis=0), 0).prod(axis=-1)
    areas = boxes[..., 2] * boxes[..., 3]
    with np.errstate(invalid="ignore"):
        return _missing_boxes(inter / (areas.sum(axis=0) - inter), pred, gt, 0.0)


def otb_minus_ones(pred, gt_otb):
    """The conversion written by hand."""
    return ev.iou(pred, gt_otb - np.array([1, 1, 0, 0]))


def success_loop(ious, thresholds=ev.SUCCESS_THRESHOLDS):
    """A loop over the thresholds."""
    scored = [v for v in ious if not np.isnan(v)]
    return np.array([sum(v > t for v in scored) / len(scored) for t in thresholds])


def auc_by_sum(curve):
    """The sum over the number of values."""
    return float(np.sum(curve) / len(curve))


def centre_half_width(pred, gt):
    """x + w / 2 gives the same differences as x + (w - 1) / 2."""
    d = (pred[:, :2] + pred[:, 2:] / 2) - (gt[:, :2] + gt[:, 2:] / 2)
    return _missing_boxes(np.sqrt((d**2).sum(axis=1)), pred, gt, np.inf)


def precision_count(errors, pixels=20.0):
    """np.count_nonzero over the number of scored frames."""
    scored = errors[~np.isnan(errors)]
    return np.count_nonzero(scored <= pixels) / scored.size


# ------------------------------------------------------------------------- wrong, as written


def iou_clipped_at_the_end(pred, gt):
    """No clamp per axis, np.clip of the result: apart on both axes "overlap" (no named mistake)."""
    bx, by, bw, bh = pred.T
    gx, gy, gw, gh = gt.T
    inter = (np.minimum(bx + bw, gx + gw) - np.maximum(bx, gx)) * (
        np.minimum(by + bh, gy + gh) - np.maximum(by, gy)
    )
    return _missing_boxes(np.clip(inter / (bw * bh + gw * gh - inter), 0, 1), pred, gt, 0.0)


def iou_voc(pred, gt):
    """PASCAL VOC's code on inclusive corners x2 = x + w (one pixel too many everywhere)."""
    x1 = np.maximum(pred[:, 0], gt[:, 0])
    y1 = np.maximum(pred[:, 1], gt[:, 1])
    x2 = np.minimum(pred[:, 0] + pred[:, 2], gt[:, 0] + gt[:, 2])
    y2 = np.minimum(pred[:, 1] + pred[:, 3], gt[:, 1] + gt[:, 3])
    inter = np.maximum(x2 - x1 + 1, 0) * np.maximum(y2 - y1 + 1, 0)
    union = (pred[:, 2] + 1) * (pred[:, 3] + 1) + (gt[:, 2] + 1) * (gt[:, 3] + 1) - inter
    return _missing_boxes(inter / union, pred, gt, 0.0)


def iou_nan_to_num(pred, gt):
    """Right geometry, then every NaN turned into 0."""
    return np.nan_to_num(ev.iou(np.nan_to_num(pred, nan=0.0), gt), nan=0.0)


def iou_float32(pred, gt):
    """Right, in float32: the dtype is named, no mistake."""
    return ev.iou(pred, gt).astype(np.float32)


def otb_corners_inclusive(pred, gt_otb):
    """OTB's box to inclusive corners and back, with + 1 in the width."""
    x1, y1 = gt_otb[:, 0] - 1, gt_otb[:, 1] - 1
    x2, y2 = x1 + gt_otb[:, 2], y1 + gt_otb[:, 3]
    return ev.iou(pred, np.column_stack([x1, y1, x2 - x1 + 1, y2 - y1 + 1]))


def success_nanmean(ious, thresholds=ev.SUCCESS_THRESHOLDS):
    """np.nanmean over a boolean array: the NaN frames are already False, so they count."""
    return np.nanmean(np.asarray(ious)[:, None] > thresholds, axis=0)


def success_fixed_grid(ious, thresholds=None):
    """The 21 thresholds built inside, whatever is passed."""
    scored = ious[~np.isnan(ious)]
    return (scored[:, None] > np.linspace(0, 1, 21)).mean(axis=0)


def auc_np_trapezoid(curve):
    """The trapezoid rule over [0, 1]."""
    x = np.linspace(0, 1, len(curve))
    return float(((curve[1:] + curve[:-1]) / 2 * np.diff(x)).sum())


def auc_trapezoid_fixed_step(curve):
    """The trapezoid rule with OTB's step 0.05 hard-coded: wrong on 101 values, no name."""
    return float(((curve[1:] + curve[:-1]) / 2 * 0.05).sum())


def centre_manhattan_loop(pred, gt):
    """|dx| + |dy| in a loop over the frames."""
    out = []
    for b, g in zip(pred, gt, strict=True):
        if np.isnan(g).any():
            out.append(np.nan)
        elif np.isnan(b).any():
            out.append(np.inf)
        else:
            cb, cg = b[:2] + (b[2:] - 1) / 2, g[:2] + (g[2:] - 1) / 2
            out.append(abs(cb - cg).sum())
    return np.array(out)


def precision_finite_only(errors, pixels=20.0):
    """np.isfinite drops the inf errors with the NaN ones."""
    return float(np.mean(errors[np.isfinite(errors)] <= pixels))


def precision_percent(errors, pixels=20.0):
    """A percentage: not a named mistake, a wrong score all the same."""
    return 100 * float(np.mean(errors[~np.isnan(errors)] <= pixels))


ENTRIES = [
    Entry(
        "07_evaluation",
        "iou",
        checks.check_iou,
        checks.IOU,
        alternatives=(iou_corners_clipped, iou_stacked),
        wrong_answers=(
            (iou_clipped_at_the_end, None),
            (iou_voc, checks.IOU_MISTAKES[4].name),
            (iou_nan_to_num, checks.IOU_MISTAKES[6].name),
            (iou_float32, None),
        ),
    ),
    Entry(
        "07_evaluation",
        "iou_with_otb_truth",
        checks.check_iou_with_otb_truth,
        checks.IOU_WITH_OTB_TRUTH,
        alternatives=(otb_minus_ones,),
        wrong_answers=((otb_corners_inclusive, checks.OTB_MISTAKES[3].name),),
    ),
    Entry(
        "07_evaluation",
        "success_curve",
        checks.check_success_curve,
        checks.SUCCESS_CURVE,
        alternatives=(success_loop,),
        wrong_answers=(
            (success_nanmean, checks.SUCCESS_MISTAKES[1].name),
            (success_fixed_grid, checks.SUCCESS_MISTAKES[6].name),
        ),
    ),
    Entry(
        "07_evaluation",
        "auc",
        checks.check_auc,
        checks.AUC,
        alternatives=(auc_by_sum,),
        wrong_answers=(
            (auc_np_trapezoid, checks.AUC_MISTAKES[0].name),
            (auc_trapezoid_fixed_step, None),
        ),
    ),
    Entry(
        "07_evaluation",
        "center_error",
        checks.check_center_error,
        checks.CENTER_ERROR,
        alternatives=(centre_half_width,),
        wrong_answers=((centre_manhattan_loop, checks.ERROR_MISTAKES[2].name),),
    ),
    Entry(
        "07_evaluation",
        "precision_at",
        checks.check_precision_at,
        checks.PRECISION_AT,
        alternatives=(precision_count,),
        wrong_answers=(
            (precision_finite_only, checks.PRECISION_MISTAKES[2].name),
            (precision_percent, None),
        ),
    ),
]
