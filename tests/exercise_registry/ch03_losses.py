"""Chapter 03 (labels and the logistic loss): label_map, balance_weights, logistic_loss."""

import numpy as np
import torch
import torch.nn.functional as F

from siamfc_edu.checks import losses as checks
from siamfc_edu.losses import balanced_weights
from tests.exercise_registry import Entry

# ----------------------------------------------------------------------------- label_map


def grid(size):
    """Row and column indices of a size x size map."""
    return torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")


def labels_by_squared_radius(size, radius_cells, offset=(0.0, 0.0)):
    """The squared distance compared with the squared radius: no square root, same cells."""
    c = (size - 1) / 2
    rows, cols = grid(size)
    inside = (cols - c - offset[0]) ** 2 + (rows - c - offset[1]) ** 2 <= radius_cells**2
    return torch.where(inside, 1.0, -1.0)


def labels_by_broadcasting(size, radius_cells, offset=(0.0, 0.0)):
    """A column of row indices and a row of column indices, broadcast; float arithmetic."""
    c = (size - 1) / 2
    i = torch.arange(size, dtype=torch.float32)[:, None]
    j = torch.arange(size, dtype=torch.float32)[None, :]
    positive = torch.sqrt((j - c - offset[0]) ** 2 + (i - c - offset[1]) ** 2) <= radius_cells
    return positive.float() * 2 - 1


def labels_centre_floor_division(size, radius_cells, offset=(0, 0)):
    """size // 2 is right on odd maps: the even case must catch it."""
    c = size // 2
    rows, cols = grid(size)
    dist = ((cols - c - offset[0]) ** 2 + (rows - c - offset[1]) ** 2) ** 0.5
    return torch.where(dist <= radius_cells, 1.0, -1.0)


def labels_as_booleans(size, radius_cells, offset=(0, 0)):
    c = (size - 1) / 2
    rows, cols = grid(size)
    return torch.hypot(cols - c - offset[0], rows - c - offset[1]) <= radius_cells


def labels_offset_on_the_wrong_axes(size, radius_cells, offset=(0, 0)):
    c = (size - 1) / 2
    rows, cols = grid(size)
    dist = torch.hypot(rows - c - offset[0], cols - c - offset[1])
    return torch.where(dist <= radius_cells, 1.0, -1.0)


def labels_squared_by_hand(size, radius_cells, offset=(0, 0)):
    """dx*dx + dy*dy <= radius: the squared distance, written without **."""
    c = (size - 1) / 2
    rows, cols = grid(size)
    dx, dy = cols - c - offset[0], rows - c - offset[1]
    return torch.where(dx * dx + dy * dy <= radius_cells, 1.0, -1.0)


def labels_in_numpy(size, radius_cells, offset=(0, 0)):
    """Right values, as a numpy array."""
    c = (size - 1) / 2
    rows, cols = np.mgrid[0:size, 0:size]
    return np.where(np.hypot(cols - c - offset[0], rows - c - offset[1]) <= radius_cells, 1.0, -1.0)


def labels_as_integers(size, radius_cells, offset=(0, 0)):
    """Right values, as an int64 tensor."""
    c = (size - 1) / 2
    rows, cols = grid(size)
    return torch.where(
        torch.hypot(cols - c - offset[0], rows - c - offset[1]) <= radius_cells, 1, -1
    )


def labels_in_float64(size, radius_cells, offset=(0, 0)):
    """Right values, in float64 (a grid of float64 indices)."""
    c = (size - 1) / 2
    rows, cols = torch.meshgrid(*[torch.arange(size, dtype=torch.float64)] * 2, indexing="ij")
    inside = torch.hypot(cols - c - offset[0], rows - c - offset[1]) <= radius_cells
    return torch.where(inside, 1.0, -1.0).double()


def labels_chebyshev_in_numpy(size, radius_cells, offset=(0, 0)):
    """A square of positives (max(|dx|, |dy|)), as a numpy array: the type and the mistake."""
    c = (size - 1) / 2
    rows, cols = np.mgrid[0:size, 0:size]
    far = np.maximum(np.abs(cols - c - offset[0]), np.abs(rows - c - offset[1]))
    return np.where(far <= radius_cells, 1.0, -1.0)


# ----------------------------------------------------------------------------- balance_weights


def weights_by_where(labels):
    """torch.where picks the finite branch: a map with no positive still gives no NaN."""
    n_pos = (labels > 0).sum(dim=(-2, -1), keepdim=True)
    n_neg = (labels < 0).sum(dim=(-2, -1), keepdim=True)
    return torch.where(labels > 0, 0.5 / n_pos, 0.5 / n_neg)


def weights_by_means(labels):
    """The mean of a mask is n / N: weight = mask / (2 N mean), zero-safe with clamp."""
    pos = (labels > 0).float()
    n = labels.shape[-2] * labels.shape[-1]
    share_pos = pos.mean(dim=(-2, -1), keepdim=True) * n
    share_neg = (1 - pos).mean(dim=(-2, -1), keepdim=True) * n
    return pos / (2 * share_pos.clamp(min=1)) + (1 - pos) / (2 * share_neg.clamp(min=1))


def weights_per_batch(labels):
    pos = (labels > 0).float()
    return 0.5 * pos / pos.sum().clamp(min=1) + 0.5 * (1 - pos) / (1 - pos).sum().clamp(min=1)


def weights_in_place(labels):
    """Right values, but it overwrites its input."""
    labels[labels < 0] = 0
    n_pos = labels.sum(dim=(-2, -1), keepdim=True).clamp(min=1)
    n_neg = (1 - labels).sum(dim=(-2, -1), keepdim=True).clamp(min=1)
    return 0.5 * labels / n_pos + 0.5 * (1 - labels) / n_neg


def weights_in_float64(labels):
    """Right values, in float64."""
    return balanced_weights(labels).double()


def weights_uniform_in_float64(labels):
    """Every cell 1/N (no balance), in float64: the dtype and the mistake."""
    cells = labels.shape[-2] * labels.shape[-1]
    return torch.full(labels.shape, 1.0 / cells, dtype=torch.float64)


# ----------------------------------------------------------------------------- logistic_loss


def per_map_mean(weights, per_cell):
    """The weighted sum of each map, averaged over the batch."""
    return (weights * per_cell).sum(dim=(-2, -1)).mean()


def loss_logaddexp(scores, labels):
    y = labels.expand_as(scores)
    per_cell = torch.logaddexp(torch.zeros_like(scores), -y * scores)
    return per_map_mean(balanced_weights(y), per_cell)


def loss_bce_with_logits(scores, labels):
    """binary_cross_entropy_with_logits on 0/1 targets, the balance weights as its weight."""
    y = labels.to(scores.dtype).expand_as(scores)
    per_cell = F.binary_cross_entropy_with_logits(scores, (y + 1) / 2, reduction="none")
    return per_map_mean(balanced_weights(y), per_cell)


def loss_stable_by_hand(scores, labels):
    """log(1 + e^a) = max(a, 0) + log1p(e^-|a|): the overflow-free form written out."""
    a = -labels.expand_as(scores) * scores
    per_cell = torch.clamp(a, min=0) + torch.log1p(torch.exp(-a.abs()))
    return per_map_mean(balanced_weights(labels.expand_as(scores)), per_cell)


def loss_naive_log1p(scores, labels):
    y = labels.expand_as(scores)
    return per_map_mean(balanced_weights(y), torch.log1p(torch.exp(-y * scores)))


def loss_bce_unweighted_mean(scores, labels):
    return F.binary_cross_entropy_with_logits(scores, ((labels + 1) / 2).expand_as(scores))


def loss_item(scores, labels):
    """Right value, as a Python number."""
    y = labels.expand_as(scores)
    return per_map_mean(balanced_weights(y), F.softplus(-y * scores)).item()


def loss_detached(scores, labels):
    """Right value, cut from the graph."""
    y = labels.expand_as(scores)
    return per_map_mean(balanced_weights(y), F.softplus(-y * scores.detach()))


def loss_rewrapped(scores, labels):
    """Right value, re-wrapped as a new leaf tensor: requires_grad, but no path to the scores."""
    y = labels.expand_as(scores)
    value = per_map_mean(balanced_weights(y), F.softplus(-y * scores)).item()
    return torch.tensor(value, requires_grad=True)


def loss_through_numpy(scores, labels):
    """The loss computed in numpy: right value, a numpy number, no gradient."""
    v, y = scores.detach().numpy(), np.broadcast_to(labels.numpy(), scores.shape)
    w = balanced_weights(torch.from_numpy(np.array(y))).numpy()
    return (w * np.logaddexp(0, -y * v)).sum(axis=(-2, -1)).mean()


ENTRIES = [
    Entry(
        "03_labels_and_loss",
        "label_map",
        checks.check_label_map,
        checks.LABEL_MAP,
        alternatives=(labels_by_squared_radius, labels_by_broadcasting),
        wrong_answers=(
            (labels_centre_floor_division, checks.LABEL_MISTAKES[1].name),
            (labels_as_booleans, "labels 0/1 instead of -1/+1"),
            (labels_offset_on_the_wrong_axes, "the offset with x and y swapped"),
            (labels_squared_by_hand, checks.LABEL_MISTAKES[3].name),
            (labels_in_numpy, None),
            (labels_as_integers, None),
            (labels_in_float64, None),
            (labels_chebyshev_in_numpy, checks.LABEL_MISTAKES[4].name),
        ),
    ),
    Entry(
        "03_labels_and_loss",
        "balance_weights",
        checks.check_balance_weights,
        checks.BALANCE_WEIGHTS,
        alternatives=(weights_by_where, weights_by_means),
        wrong_answers=(
            (weights_per_batch, checks.WEIGHT_MISTAKES[3].name),
            (weights_in_place, None),
            (weights_in_float64, None),
            (weights_uniform_in_float64, checks.WEIGHT_MISTAKES[0].name),
        ),
    ),
    Entry(
        "03_labels_and_loss",
        "logistic_loss",
        checks.check_logistic_loss,
        checks.LOSS,
        alternatives=(loss_logaddexp, loss_bce_with_logits, loss_stable_by_hand),
        wrong_answers=(
            (loss_naive_log1p, checks.LOSS_MISTAKES[2].name),
            (loss_bce_unweighted_mean, "an unbalanced plain mean over the cells"),
            (loss_item, None),
            (loss_detached, None),
            (loss_rewrapped, None),
            (loss_through_numpy, None),
        ),
    ),
]
