"""Checks of exercise notebook 03 (labels and the logistic loss, Section 2.2 of the paper).

- `check_label_map` serves exercise 1, `label_map(size, radius_cells, offset)`: the +1/-1 label
  map, a float32 torch tensor, compared with `siamfc_edu.losses.logistic_labels`;
- `check_balance_weights` serves exercise 2, `balance_weights(labels)`: the per-cell weights that
  give each class half of the loss, compared with `siamfc_edu.losses.balanced_weights`;
- `check_logistic_loss` serves exercise 3, `logistic_loss(scores, labels)`: the balanced logistic
  loss, stable at |v| = 1e4, compared with `siamfc_edu.losses.logistic_loss`; it must stay a
  tensor that back-propagates to the scores (training calls `loss.backward()`).

A wrong type or dtype is told with the reason the loss needs the right one (`LABELS_WHY`,
`WEIGHTS_WHY`), and the typical mistake is named as well when the values are that mistake's.
Each list of typical mistakes (`LABEL_MISTAKES`, ...) is public so that the tests can make every
mistake and see it named.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..losses import balanced_weights, logistic_labels, logistic_loss
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
    with_reason,
)

STRIDE = 8  # search-image pixels per score-map cell (cfg.total_stride)
BIG = 1e4  # the score magnitude of the stability case
LABELS_WHY = (
    "the loss of exercise 3 multiplies the labels with the network's scores, a float32 torch "
    "tensor (torch.where(inside, 1.0, -1.0) gives one)"
)
WEIGHTS_WHY = (
    "the loss of exercise 3 multiplies the per-cell losses of the float32 torch scores by the "
    "weights"
)


# ----------------------------------------------------------------------------- exercise 1


def _labels(size: int, radius: float, offset=(0.0, 0.0), centre=None, inside=None) -> torch.Tensor:
    """A label map like the library's; `centre` and `inside(dx, dy, r)` are what mistakes turn."""
    c = (size - 1) / 2 if centre is None else centre
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    dx, dy = xs - c - offset[0], ys - c - offset[1]
    positive = inside(dx, dy, radius) if inside else torch.sqrt(dx**2 + dy**2) <= radius
    return torch.where(positive, 1.0, -1.0)


def strict(dx: torch.Tensor, dy: torch.Tensor, r: float) -> torch.Tensor:
    """Euclidean distance, strictly inside the radius."""
    return torch.sqrt(dx**2 + dy**2) < r


def squared(dx: torch.Tensor, dy: torch.Tensor, r: float) -> torch.Tensor:
    """The squared distance compared with the radius itself."""
    return dx**2 + dy**2 <= r


def chebyshev(dx: torch.Tensor, dy: torch.Tensor, r: float) -> torch.Tensor:
    """The largest of |dx| and |dy|: a square of positives."""
    return torch.maximum(dx.abs(), dy.abs()) <= r


def manhattan(dx: torch.Tensor, dy: torch.Tensor, r: float) -> torch.Tensor:
    """|dx| + |dy|: a diamond of positives."""
    return dx.abs() + dy.abs() <= r


LABEL_MISTAKES = [
    Mistake(
        "an off-by-one centre: size / 2 instead of (size - 1) / 2",
        "cells are numbered 0 .. size - 1, so the middle one is (size - 1) / 2 "
        "(8 on a 17 x 17 map, 3.5 on an 8 x 8 one)",
        lambda size, radius_cells, offset=(0, 0): _labels(size, radius_cells, offset, size / 2),
    ),
    Mistake(
        "the centre size // 2, right on odd maps only",
        "size // 2 is the middle cell of an odd map (8 of 0 .. 16) but not of an even one: "
        "the centre of 0 .. 7 is 3.5, between two cells: (size - 1) / 2",
        lambda size, radius_cells, offset=(0, 0): _labels(size, radius_cells, offset, size // 2),
    ),
    Mistake(
        "a strict < instead of <= (the cells exactly at the radius are left out)",
        "the paper's test is k ||u - c|| <= R: cells at distance exactly 2 are positives",
        lambda size, radius_cells, offset=(0, 0): _labels(
            size, radius_cells, offset, inside=strict
        ),
    ),
    Mistake(
        "the squared distance compared with the radius (dx^2 + dy^2 <= r)",
        "compare the distance itself, sqrt(dx^2 + dy^2) <= r, or its square with r^2: "
        "dx^2 + dy^2 <= r^2",
        lambda size, radius_cells, offset=(0, 0): _labels(
            size, radius_cells, offset, inside=squared
        ),
    ),
    Mistake(
        "the Chebyshev distance max(|dx|, |dy|): a square of positives",
        "the positives form a disc: use the Euclidean distance sqrt(dx^2 + dy^2) "
        "(torch.hypot), not the largest of |dx| and |dy|",
        lambda size, radius_cells, offset=(0, 0): _labels(
            size, radius_cells, offset, inside=chebyshev
        ),
    ),
    Mistake(
        "the Manhattan distance |dx| + |dy|: a diamond of positives",
        "the positives form a disc: use the Euclidean distance sqrt(dx^2 + dy^2) "
        "(torch.hypot), not |dx| + |dy| (both give 13 cells at radius 2; not at 1.5)",
        lambda size, radius_cells, offset=(0, 0): _labels(
            size, radius_cells, offset, inside=manhattan
        ),
    ),
    Mistake(
        "the radius in pixels, not cells (R = 16 instead of R / k = 2)",
        "radius_cells is already in cells: compare it with distances measured in cells",
        lambda size, radius_cells, offset=(0, 0): logistic_labels(
            size, radius_cells * STRIDE, offset
        ),
    ),
    Mistake(
        "labels 0/1 instead of -1/+1",
        "the logistic loss log(1 + exp(-y v)) needs y = -1 for the background, not 0",
        lambda size, radius_cells, offset=(0, 0): (
            (logistic_labels(size, radius_cells, offset) + 1) / 2
        ),
    ),
    Mistake(
        "the offset with x and y swapped",
        "offset = (dx, dy): dx moves the centre along a row (the column index), "
        "dy down a column (the row index)",
        lambda size, radius_cells, offset=(0, 0): logistic_labels(
            size, radius_cells, (offset[1], offset[0])
        ),
    ),
    Mistake(
        "the centre moved against the offset (c - offset)",
        "the target sits at c + offset: a cell's distance is measured from "
        "(c_x + dx, c_y + dy), so subtract both: j - c_x - dx",
        lambda size, radius_cells, offset=(0, 0): logistic_labels(
            size, radius_cells, (-offset[0], -offset[1])
        ),
    ),
]

LABEL_CASES = [
    Case("the paper's 17 x 17 map, radius 2 cells (13 positives)", (17, 2.0)),
    Case("an odd size: 9 x 9, radius 1.5", (9, 1.5)),
    Case("an even size: 8 x 8, radius 2 (centre 3.5)", (8, 2.0)),
    Case("a shifted centre: 17 x 17, offset (dx, dy) = (-3, 2)", (17, 2.0), {"offset": (-3, 2)}),
    Case("a half-cell offset (0.5, -0.25)", (17, 2.0), {"offset": (0.5, -0.25)}),
    Case("radius 0 (only the centre cell)", (17, 0.0)),
]
LABEL_MAP = Exercise(
    "label_map",
    logistic_labels,
    LABEL_CASES,
    LABEL_MISTAKES,
    compare=with_reason(LABELS_WHY),
    hint="+1 where the distance (in cells) from (size - 1) / 2 + offset is <= radius_cells, "
    "else -1, as a float32 torch tensor",
)


@graded
def check_label_map(fn: Callable) -> Verdict:
    """Exercise 1: `fn(size, radius_cells, offset=(0, 0))` against `logistic_labels`."""
    return LABEL_MAP.check(fn)


# ----------------------------------------------------------------------------- exercise 2


def _counts(labels: torch.Tensor, dims=(-2, -1)):
    """The positive and negative masks of a label map and their counts over `dims`."""
    pos = (labels > 0).float()
    neg = 1.0 - pos
    return pos, neg, pos.sum(dim=dims, keepdim=True), neg.sum(dim=dims, keepdim=True)


def _uniform(labels: torch.Tensor) -> torch.Tensor:
    """Every cell 1/N: no balance at all."""
    return torch.ones_like(labels.float()) / (labels.shape[-2] * labels.shape[-1])


def _each_class_one(labels: torch.Tensor) -> torch.Tensor:
    """Each class's weights summing to 1."""
    pos, neg, n_pos, n_neg = _counts(labels)
    return pos / n_pos.clamp(min=1) + neg / n_neg.clamp(min=1)


def _by_count(labels: torch.Tensor) -> torch.Tensor:
    """The count where its inverse belongs."""
    pos, neg, n_pos, n_neg = _counts(labels)
    return 0.5 * pos * n_pos + 0.5 * neg * n_neg


def _whole_batch(labels: torch.Tensor) -> torch.Tensor:
    """The classes counted over every dimension: one count for the whole batch."""
    dims = tuple(range(labels.dim()))
    pos, neg, n_pos, n_neg = _counts(labels, dims)
    return 0.5 * pos / n_pos.clamp(min=1) + 0.5 * neg / n_neg.clamp(min=1)


def _per_row(labels: torch.Tensor) -> torch.Tensor:
    """The classes counted along the last dimension only: per row of a map."""
    pos, neg, n_pos, n_neg = _counts(labels, dims=(-1,))
    return 0.5 * pos / n_pos.clamp(min=1) + 0.5 * neg / n_neg.clamp(min=1)


def _no_clamp(labels: torch.Tensor) -> torch.Tensor:
    """Division by a count that may be 0."""
    pos, neg, n_pos, n_neg = _counts(labels)
    return 0.5 * pos / n_pos + 0.5 * neg / n_neg


def _pos_weight(labels: torch.Tensor) -> torch.Tensor:
    """BCE's pos_weight habit: positives n_neg / n_pos, negatives 1, not normalised."""
    pos, neg, n_pos, n_neg = _counts(labels)
    return pos * n_neg / n_pos.clamp(min=1) + neg


WEIGHT_MISTAKES = [
    Mistake(
        "uniform weights 1/N (an unbalanced loss)",
        "count each class on its own: a positive gets 1/(2 n_pos), a negative 1/(2 n_neg)",
        _uniform,
    ),
    Mistake(
        "each class summing to 1, not 1/2",
        "the two classes share the loss: the positives' weights add up to 1/2, "
        "and so do the negatives'",
        _each_class_one,
    ),
    Mistake(
        "weights by the class count, not its inverse (n / 2 instead of 1 / (2 n))",
        "the rare class must weigh MORE per cell: divide by the count, 1/(2 n_pos) per positive",
        _by_count,
    ),
    Mistake(
        "the classes counted over the whole batch, not per label map",
        "count over the last two dimensions only (dim=(-2, -1), keepdim=True): "
        "every map has its own number of positives",
        _whole_batch,
    ),
    Mistake(
        "the classes counted per row (dim=-1) instead of per map",
        "a map's counts run over both of its axes: .sum(dim=(-2, -1), keepdim=True)",
        _per_row,
    ),
    Mistake(
        "a division by a count of zero when a map has no positive cell",
        "clamp the counts to at least 1 (n.clamp(min=1)), or pick with torch.where, "
        "so that an empty class gives weight 0, not NaN",
        _no_clamp,
    ),
    Mistake(
        "BCE's pos_weight (positives n_neg / n_pos, negatives 1), not normalised",
        "that fixes the ratio of the classes but not the scale: divide by 2 n_neg as well, "
        "so that each class's weights add up to 1/2",
        _pos_weight,
    ),
]


def _batch_of_labels() -> torch.Tensor:
    offsets = [(0.0, 0.0), (0.5, 0.25), (-0.5, 0.5), (0.5, 0.0)]  # 13, 14, 12, 12 positives
    return torch.stack([logistic_labels(17, 2.0, o) for o in offsets])


WEIGHT_CASES = [
    Case("the paper's 17 x 17 map (13 positives, 276 negatives)", (logistic_labels(17, 2.0),)),
    Case(
        "a map shifted by (0.5, 0.25) cells (14 positives)",
        (logistic_labels(17, 2.0, (0.5, 0.25)),),
    ),
    Case("an odd 9 x 9 map (9 positives)", (logistic_labels(9, 1.5),)),
    Case("a batch of 4 maps (4, 17, 17) with 13, 14, 12, 12 positives", (_batch_of_labels(),)),
    Case("a batch of one (1, 1, 17, 17)", (logistic_labels(17, 2.0)[None, None],)),
    Case("a map with no positive cell (all -1: the target left the map)", (-torch.ones(17, 17),)),
]
BALANCE_WEIGHTS = Exercise(
    "balance_weights",
    balanced_weights,
    WEIGHT_CASES,
    WEIGHT_MISTAKES,
    compare=with_reason(WEIGHTS_WHY),
    hint="per map, a positive cell gets 1/(2 n_pos) and a negative one 1/(2 n_neg), as a "
    "float32 torch tensor",
)


@graded
def check_balance_weights(fn: Callable) -> Verdict:
    """Exercise 2: `fn(labels)` against `balanced_weights`."""
    return BALANCE_WEIGHTS.check(fn)


# ----------------------------------------------------------------------------- exercise 3


def _weighted(per_cell: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The balanced sum over each map of a per-cell loss, averaged over the batch."""
    weights = balanced_weights(labels.expand_as(per_cell))
    return (weights * per_cell).sum(dim=(-2, -1)).mean()


def _wrong_sign(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return _weighted(F.softplus(labels * scores), labels)


def _plain_mean(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return F.softplus(-labels.expand_as(scores) * scores).mean()


def _naive(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return _weighted(torch.log(1 + torch.exp(-labels * scores)), labels)


def _sigmoid_then_bce(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """sigmoid, then binary_cross_entropy, which clamps its logs at -100."""
    y = labels.expand_as(scores)
    per_cell = F.binary_cross_entropy(torch.sigmoid(scores), (y + 1) / 2, reduction="none")
    return _weighted(per_cell, labels)


def _bce_with_signed_targets(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """binary_cross_entropy_with_logits given the -1/+1 labels as targets."""
    y = labels.expand_as(scores)
    return _weighted(F.binary_cross_entropy_with_logits(scores, y, reduction="none"), labels)


def _zero_one(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return _weighted(F.softplus(-((labels + 1) / 2) * scores), labels)


def _batch_sum(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    labels = labels.expand_as(scores)
    return (balanced_weights(labels) * F.softplus(-labels * scores)).sum()


def _cells_averaged(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """The weighted cells averaged (.mean()) instead of summed per map."""
    labels = labels.expand_as(scores)
    return (balanced_weights(labels) * F.softplus(-labels * scores)).mean()


def _balance_over_the_batch(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """One balance for the whole batch (each class half of the batch's loss), summed."""
    labels = labels.expand_as(scores)
    return (_whole_batch(labels) * F.softplus(-labels * scores)).sum()


LOSS_MISTAKES = [
    Mistake(
        "the wrong sign in the loss: log(1 + exp(+y v))",
        "the loss must be small when the score has the label's sign: l(y, v) = log(1 + exp(-y v))",
        _wrong_sign,
    ),
    Mistake(
        "an unbalanced plain mean over the cells",
        "weight each cell with the balance weights (positives 1/2, negatives 1/2) and sum them",
        _plain_mean,
    ),
    Mistake(
        "the naive formula log(1 + exp(-y v)), which overflows for large |v|",
        "exp(1e4) is inf in float32: compute log(1 + exp(a)) as F.softplus(a) "
        "or torch.logaddexp(0, a)",
        _naive,
    ),
    Mistake(
        "sigmoid, then binary_cross_entropy (its logs are clamped at -100)",
        "sigmoid(-1e4) is 0 in float32 and F.binary_cross_entropy clamps log(0) to -100: a "
        "confidently wrong cell costs 100, not 1e4. Stay with the scores: F.softplus(-y v), or "
        "F.binary_cross_entropy_with_logits on (y + 1) / 2",
        _sigmoid_then_bce,
    ),
    Mistake(
        "binary_cross_entropy_with_logits given the -1/+1 labels as targets",
        "binary_cross_entropy_with_logits expects targets 0/1: pass (y + 1) / 2",
        _bce_with_signed_targets,
    ),
    Mistake(
        "labels 0/1 plugged into the +-1 formula",
        "l(y, v) = log(1 + exp(-y v)) takes y = +1 or -1 as they come: no (y + 1) / 2",
        _zero_one,
    ),
    Mistake(
        "the maps summed over the batch instead of averaged",
        "sum the weighted cells of each map, then take the mean over the batch",
        _batch_sum,
    ),
    Mistake(
        "the weighted cells averaged instead of summed",
        "the weights already make each map's loss a weighted mean: SUM them over the map "
        "(.sum(dim=(-2, -1))), then average over the batch",
        _cells_averaged,
    ),
    Mistake(
        "the balance computed over the whole batch instead of per map",
        "balance each map on its own (its positives share 1/2, its negatives 1/2), sum per "
        "map, then average the maps",
        _balance_over_the_batch,
    ),
]

NO_GRADIENT = (
    "the loss does not back-propagate to the scores (a .item(), .detach(), numpy or "
    "torch.no_grad() on the way?): training calls loss.backward(), so keep every step in torch"
)


def compare_loss(got: object, expected: object, kind: bool = True) -> str:
    """'' when the losses agree; else the difference, in words for a scalar and for inf/NaN.

    The type first (unless kind=False): a number (from .item()) or a numpy array cannot be
    back-propagated; a tensor whose graph does not reach the scores (.detach()) neither.
    """
    if kind and (type_problem := same_kind(got, expected)):
        if not isinstance(got, torch.Tensor):
            return f"{type_problem}; {NO_GRADIENT}"
        return f"{type_problem}: keep the scores' dtype (the training step's loss is float32)"
    if kind and getattr(expected, "grad_fn", None) is not None and got.grad_fn is None:
        return NO_GRADIENT
    try:
        as_array(got)
    except (TypeError, ValueError):
        return f"returned {type_name(got)}; expected one number, a torch tensor"
    got_a, expected_a = as_array(got), as_array(expected)
    if got_a.shape != expected_a.shape:
        return (f"a loss of shape {got_a.shape}, expected one number (shape ()): "
                "sum each map, then average over the batch")  # fmt: skip
    if not np.all(np.isfinite(got_a)) and np.all(np.isfinite(expected_a)):
        if np.abs(expected_a).max() >= 100:  # only scores of magnitude ~1e4 give such a loss
            return (f"{float(got_a):g} where the reference gives {float(expected_a):.6g}: "
                    "inf/NaN for |v| = 1e4: use softplus or logaddexp")  # fmt: skip
        return f"{float(got_a):g} where the reference gives {float(expected_a):.6g}"
    if compare_arrays(got_a, expected_a):
        return f"the loss is {float(got_a):.6g}, expected {float(expected_a):.6g}"
    return ""


def _scores(shape: tuple[int, ...], seed: int, scale: float = 3.0) -> torch.Tensor:
    """Seeded scores that require a gradient, as the network's do in training."""
    generator = torch.Generator().manual_seed(seed)
    return (scale * torch.randn(shape, generator=generator)).requires_grad_()


def _big_scores() -> torch.Tensor:
    """|v| = 1e4 on every cell, the sign random: about half the cells confidently wrong."""
    generator = torch.Generator().manual_seed(3)
    signs = torch.randint(0, 2, (2, 1, 17, 17), generator=generator).float() * 2 - 1
    return (BIG * signs).requires_grad_()


LOSS_CASES = [
    Case(
        "random scores (4, 1, 17, 17) with one (17, 17) label map",
        (_scores((4, 1, 17, 17), 0), logistic_labels(17, 2.0)),
    ),
    Case(
        "a (4, 17, 17) batch with its own label map per pair (13, 14, 12, 12 positives)",
        (_scores((4, 17, 17), 1), _batch_of_labels()),
    ),
    Case(
        "a batch of one (1, 1, 17, 17)",
        (_scores((1, 1, 17, 17), 2), logistic_labels(17, 2.0)[None, None]),
    ),
    Case(
        "scores of magnitude 1e4 (2, 1, 17, 17), half of the signs wrong",
        (_big_scores(), logistic_labels(17, 2.0)),
    ),
]
LOSS = Exercise(
    "logistic_loss",
    logistic_loss,
    LOSS_CASES,
    LOSS_MISTAKES,
    compare=compare_loss,
    hint="softplus(-y v) per cell, times the balance weights, summed per map, "
    "averaged over the batch",
)


def gradient_problem(fn: Callable) -> str:
    """'' when d loss / d scores equals the library's on the first case; else what differs."""
    case = LOSS_CASES[1]
    grads = []
    for loss in (fn, logistic_loss):
        scores = case.args[0].detach().clone().requires_grad_()
        loss(scores, case.args[1].clone()).backward()
        grads.append(scores.grad)
    if grads[0] is None:
        return NO_GRADIENT
    problem = compare_arrays(grads[0], grads[1], atol=1e-7)
    return f"the gradient with respect to the scores differs: {problem}" if problem else ""


@graded
def check_logistic_loss(fn: Callable) -> Verdict:
    """Exercise 3: `fn(scores, labels)` against the library's `logistic_loss`, gradient too."""
    verdict = LOSS.check(fn)
    if not verdict.passed:
        return verdict
    try:
        problem = gradient_problem(fn)
    except RuntimeError as error:  # backward() through a tensor outside the graph
        problem = f"{NO_GRADIENT} ({str(error).splitlines()[0][:120]})"
    if problem:
        return Verdict("wrong", f"{LOSS.title}: the values are right, but {problem}.")
    return verdict
