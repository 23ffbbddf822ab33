# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 07 · Evaluation: exercises
#
# Notebook `07_evaluation` turned a tracker's boxes and the true boxes into OTB's and GOT-10k's
# scores. Here you write OTB's two scores yourself, from the boxes up:
#
# 1. `iou(pred, gt)`: the overlap of two arrays of boxes, frame by frame, with the rules for
#    frames without a box;
# 2. **short** `iou_with_otb_truth(pred, gt_otb)`: the same, with the truth as OTB's files
#    hold it (1-based);
# 3. `success_curve(ious, thresholds)`: the fraction of frames whose IoU beats each threshold;
# 4. **short** `auc(curve)`: OTB's success score from that curve;
# 5. `center_error(pred, gt)`: the distance between the centres, frame by frame;
# 6. **harder** `precision_at(errors, pixels)`: precision@20 over frames where the truth is
#    missing and frames where the tracker lost the target.
#
# **Time** about 35 minutes.
#
# **How the checks work.** Below each exercise a check cell calls your function on several inputs
# (edge cases included) and compares every answer with the library's `siamfc_edu.evaluate`. It
# prints one line: "passed" with the inputs it tried, or the first input where your answer
# differs, what differs (a shape, a value, the frame), and, when your answer matches a typical
# mistake, its name and a hint. While a function still says `raise NotImplementedError`, its check
# prints "not implemented yet" and the notebook runs on. Write your code where it says
# `# YOUR CODE HERE` (delete the `raise` line), then run the cell and its check again. Do not call
# the library function you are rewriting: the point is to write it.
#
# All boxes are numpy arrays of shape (N, 4), one row $[x, y, w, h]$ per frame, in the library's
# 0-based convention (`siamfc_edu.boxes`). Work on whole columns (`pred[:, 0]`, or
# `x, y, w, h = pred.T`): no Python loop over the frames is needed.

# %%
import numpy as np

from siamfc_edu.evaluate import metrics as ev  # the thresholds; the library's iou in exercise 2

print("success thresholds:", ev.SUCCESS_THRESHOLDS)

# %% [markdown]
# ## Exercise 1 · The overlap (IoU)
#
# A box $b = [x_b, y_b, w_b, h_b]$ covers the rectangle $[x_b, x_b + w_b] \times
# [y_b, y_b + h_b]$: its right edge is $x_b + w_b$, with no $+1$ (a box of width $w$ spans $w$
# pixels, and two boxes that only share an edge do not overlap). The overlap of the tracker's box
# $b$ and the true box $g$ along $x$ is
#
# $$ i_w = \max\bigl(0,\; \min(x_b + w_b,\, x_g + w_g) - \max(x_b, x_g)\bigr), $$
#
# $i_h$ the same along $y$ (the $\max(0, \cdot)$ matters: boxes apart along an axis give a
# negative difference there), and
#
# $$ \mathrm{IoU}(b, g) = \frac{|b \cap g|}{|b \cup g|}
#    = \frac{i_w\, i_h}{w_b h_b + w_g h_g - i_w\, i_h}. $$
#
# `pred` and `gt` are (N, 4) arrays, one row per frame; return the (N,) overlaps as a float64
# array (the scores below compare them with thresholds in float64: a float32 IoU, rounded to 7
# digits, can land on the other side of one). Do not change `pred` or `gt` in place: the
# notebook scores the same arrays again with `center_error`. Two rules for the frames without
# a box (a row with a NaN in it), as in OTB's and GOT-10k's toolkits:
#
# - no **true** box (a NaN in the row of `gt`): the frame is not scored, its IoU is **NaN**
#   (whatever `pred` holds there);
# - a true box but no box from the **tracker** (a NaN in the row of `pred`): a miss, **0**.
#
# The check starts with notebook 07's worked example ($b = [20, 10, 40, 30]$,
# $g = [0, 0, 40, 30]$: IoU 0.2) and ends on the hand-drawn face of `carphone`, which has a true
# box on every 5th frame only.


# %%
def iou(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(N,) overlaps of (N, 4) [x, y, w, h] boxes; NaN where gt is absent, 0 where pred is."""
    # HINT: x, y, w, h = pred.T; clamp each axis's overlap at 0
    ### BEGIN SOLUTION
    bx, by, bw, bh = np.asarray(pred, dtype=float).T
    gx, gy, gw, gh = np.asarray(gt, dtype=float).T
    inter_w = np.maximum(0.0, np.minimum(bx + bw, gx + gw) - np.maximum(bx, gx))
    inter_h = np.maximum(0.0, np.minimum(by + bh, gy + gh) - np.maximum(by, gy))
    inter = inter_w * inter_h
    overlaps = inter / (bw * bh + gw * gh - inter)
    overlaps[np.isnan(pred).any(axis=1)] = 0.0  # no box from the tracker: a miss
    overlaps[np.isnan(gt).any(axis=1)] = np.nan  # no true box: not scored
    return overlaps
    ### END SOLUTION


# %%
from siamfc_edu.checks.evaluation import check_iou

check_iou(iou)

# %% [markdown]
# ## Exercise 2 (short) · A truth from an OTB file
#
# OTB's `groundtruth_rect.txt` (and GOT-10k's files) count pixels from 1: the top-left pixel of a
# frame is $(1, 1)$. The library and every tracker in it count from 0. Before scoring, the truth
# moves by one pixel: $[x, y, w, h]_{\text{OTB}} \mapsto [x - 1, y - 1, w, h]$, which is
# `siamfc_edu.boxes.otb_to_xywh`. The width and the height do not change.
#
# Write `iou_with_otb_truth(pred, gt_otb)`: the tracker's boxes `pred` (0-based) against a truth
# `gt_otb` written as OTB's file holds it. Use the library's `ev.iou` for the overlap, so that a
# slip in exercise 1 does not spoil this one. One pixel looks like nothing, but a perfect
# tracker on a 10 $\times$ 10 box scored against the unconverted truth shares only
# $9 \times 9 = 81$ of its pixels: IoU $81 / 119 = 0.68$.

# %%
from siamfc_edu.boxes import otb_to_xywh  # the conversion: use it below


def iou_with_otb_truth(pred: np.ndarray, gt_otb: np.ndarray) -> np.ndarray:
    """(N,) overlaps of 0-based boxes with a truth in OTB's 1-based [x, y, w, h]."""
    # HINT: convert the truth with otb_to_xywh first, then call ev.iou
    ### BEGIN SOLUTION
    truth = otb_to_xywh(gt_otb)
    return ev.iou(pred, truth)
    ### END SOLUTION


# %%
from siamfc_edu.checks.evaluation import check_iou_with_otb_truth

check_iou_with_otb_truth(iou_with_otb_truth)

# %% [markdown]
# ## Exercise 3 · The success curve
#
# The paper ranks trackers on OTB's success plot. Over the $N$ **scored** frames of a sequence
# (drop the NaN IoUs: the frames without a true box), the success at the overlap threshold $\tau$
# is the fraction of frames whose IoU is *greater* than $\tau$:
#
# $$ S(\tau) = \frac{1}{N} \sum_{t=1}^{N} \mathbb{1}\left[\mathrm{IoU}_t > \tau\right]. $$
#
# `ious` is an (N,) array, `thresholds` a (T,) array (by default OTB's 21 thresholds
# $0, 0.05, \dots, 1$, `ev.SUCCESS_THRESHOLDS`); return the (T,) curve as a float64 array,
# one fraction per threshold. The inequality is strict: even a perfect tracker (every IoU 1) scores
# $S(1) = 0$. The check tries IoUs of exactly 0, 0.5 and 0.75, GOT-10k's two thresholds
# $[0.5, 0.75]$ (its success rates $\mathrm{SR}_{0.5}$ and $\mathrm{SR}_{0.75}$), and frames
# without ground truth.


# %%
def success_curve(ious: np.ndarray, thresholds: np.ndarray = ev.SUCCESS_THRESHOLDS) -> np.ndarray:
    """(T,) fraction of the scored (non-NaN) frames whose IoU is > each threshold."""
    # HINT: drop the NaNs, then compare ious[:, None] > thresholds[None, :]
    ### BEGIN SOLUTION
    scored = np.asarray(ious, dtype=float)
    scored = scored[~np.isnan(scored)]
    above = scored[:, None] > np.asarray(thresholds)[None, :]
    return above.mean(axis=0)
    ### END SOLUTION


# %%
from siamfc_edu.checks.evaluation import check_success_curve

check_success_curve(success_curve)

# %% [markdown]
# ## Exercise 4 (short) · The area under the curve
#
# OTB's success score, the "AUC" of the paper's plots, is in OTB's toolkit the **mean** of the
# curve's values over its $K$ thresholds, not an integral by the trapezoid rule:
#
# $$ \mathrm{AUC} = \frac{1}{K} \sum_{k=1}^{K} S(\tau_k). $$
#
# With the 21 thresholds a perfect tracker scores $20/21 \approx 0.952$ (its $S(1)$ is 0). Return
# one float.


# %%
def auc(curve: np.ndarray) -> float:
    """OTB's success score: the mean of the success curve's values."""
    # HINT: one number from the K values of the curve (not np.trapz)
    ### BEGIN SOLUTION
    return float(np.mean(curve))
    ### END SOLUTION


# %%
from siamfc_edu.checks.evaluation import check_auc

check_auc(auc)

# %% [markdown]
# ## Exercise 5 · The centre error
#
# The centre of a box $[x, y, w, h]$ is the middle of its pixels,
# $c = \left(x + \frac{w - 1}{2},\; y + \frac{h - 1}{2}\right)$ (`siamfc_edu.boxes.box_center`),
# and the centre error of a frame is the Euclidean distance in pixels
#
# $$ e_t = \lVert c(b_t) - c(g_t) \rVert_2 . $$
#
# Return the (N,) errors of (N, 4) boxes as a float64 array, without changing the boxes in
# place, with the same two rules as the overlap in the language of an error: no **true** box,
# **NaN** (not scored); a true box but no box from the **tracker**, **`np.inf`** (a miss: it
# fails every threshold). The check tries boxes of
# different sizes, where the centre is not the corner.
#
# (The $-\frac12$ cancels in $c(b) - c(g)$, so $x + w/2$ gives the same errors. It matters where
# the centre itself is used: the tracker's crops in notebook 06.)


# %%
def center_error(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(N,) distances in pixels between box centres; inf where pred is absent, NaN where gt is."""
    # HINT: centres x + (w - 1) / 2, y + (h - 1) / 2, then np.hypot
    ### BEGIN SOLUTION
    pred = np.asarray(pred, dtype=float)
    gt = np.asarray(gt, dtype=float)
    pred_centres = pred[:, :2] + (pred[:, 2:] - 1) / 2
    true_centres = gt[:, :2] + (gt[:, 2:] - 1) / 2
    dx, dy = (pred_centres - true_centres).T
    errors = np.hypot(dx, dy)
    errors[np.isnan(pred).any(axis=1)] = np.inf  # no box from the tracker: a miss
    errors[np.isnan(gt).any(axis=1)] = np.nan  # no true box: not scored
    return errors
    ### END SOLUTION


# %%
from siamfc_edu.checks.evaluation import check_center_error

check_center_error(center_error)

# %% [markdown]
# ## Exercise 6 (harder) · Precision at 20 pixels
#
# OTB's precision plot gives, for each distance $d$, the fraction of the scored frames whose
# centre is within $d$ pixels of the truth; its score is the value at $d = 20$:
#
# $$ P(d) = \frac{1}{N} \sum_{t=1}^{N} \mathbb{1}\left[e_t \le d\right],
#    \qquad \text{precision@20} = P(20). $$
#
# `errors` is an (N,) array from `center_error`, so it holds the two kinds of frame without a
# box: **NaN** (no true box) leaves the frame out, it counts neither way; **inf** (the tracker
# gave no box) is a frame like any other, a failure at every $d$. The inequality is $\le$: a
# frame exactly 20 px off counts. Return one float.


# %%
def precision_at(errors: np.ndarray, pixels: float = 20.0) -> float:
    """The fraction of the scored (non-NaN) frames whose centre error is <= pixels."""
    # HINT: drop only the NaN errors; an inf is a miss that still counts
    ### BEGIN SOLUTION
    scored = np.asarray(errors, dtype=float)
    scored = scored[~np.isnan(scored)]
    return float(np.mean(scored <= pixels))
    ### END SOLUTION


# %%
from siamfc_edu.checks.evaluation import check_precision_at

check_precision_at(precision_at)

# %% [markdown]
# ## What you built
#
# With your functions the numbers of OTB's plots come straight from a tracker's boxes:
# `auc(success_curve(iou(boxes, truth)))` and `precision_at(center_error(boxes, truth))`. Here
# they score the shipped SiamFC and the NCC baseline on the hand-drawn face of `carphone` (one
# run from the first frame; half of the clip in quick mode), beside the library's numbers. Until
# your functions are written, only the library's appear.

# %%
import torch

from siamfc_edu import SiamFCTracker
from siamfc_edu.baselines import NCCTracker
from siamfc_edu.config import quick_mode
from siamfc_edu.data.footage import SHIPPED_VIDEOS, read_video
from siamfc_edu.data.real import read_annotations, real_set_files

torch.set_num_threads(1)  # CI may share its 2 cores
frames = read_video("carphone_pristine", max_frames=60 if quick_mode() else None)
drawn = read_annotations(
    real_set_files()["carphone_pristine:carphone_face"], SHIPPED_VIDEOS["carphone_pristine"][2]
)
truth = drawn[: len(frames)]  # a true box on every 5th frame, NaN between


def scores(boxes, iou_fn, curve_fn, auc_fn, error_fn, precision_fn):
    """AUC, precision@20 and precision@5 of one run, computed with the given functions."""
    errors = error_fn(boxes, truth)
    return auc_fn(curve_fn(iou_fn(boxes, truth))), precision_fn(errors), precision_fn(errors, 5)


def row(values: tuple[float, float, float]) -> str:
    auc_value, at_20, at_5 = values
    return f"{auc_value:7.3f} {at_20:8.3f} {at_5:7.3f}"


library_fns = (ev.iou, ev.success_curve, ev.area_under_curve, ev.center_error, ev.precision_at)
your_fns = (iou, success_curve, auc, center_error, precision_at)
trackers = {"SiamFC tiny": SiamFCTracker.from_weights(device="cpu"), "NCC": NCCTracker()}
print(f"the carphone face, {len(frames)} frames, one run from the first")
print(f"{'tracker':<12} {'scored by':<10} {'AUC':>7} {'prec@20':>8} {'prec@5':>7}")
for name, tracker in trackers.items():
    boxes, _ = tracker.track(frames, truth[0])
    print(f"{name:<12} {'library':<10} {row(scores(boxes, *library_fns))}")
    try:
        print(f"{name:<12} {'you':<10} {row(scores(boxes, *your_fns))}")
    except NotImplementedError:
        print(f"{name:<12} {'you':<10} (not written yet)")


# %% [markdown]
# The AUC is close to the mean IoU of the scored frames (notebook 07, section 4). Precision@20
# barely separates the two trackers on a 45-pixel face, where 20 px is almost half of it; at
# 5 px it does: a threshold in pixels means something different for every target size, which is
# one reason the paper ranks by the AUC. Next in the course: notebook 08, the same tracker on
# the GPU.
