"""Labels and the logistic loss against the formula of the paper."""

import math

import torch
import torch.nn.functional as F

from siamfc_edu.config import get_preset
from siamfc_edu.losses import balanced_weights, labels_for, logistic_labels, logistic_loss


def formula_loss(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """sum_u w[u] log(1 + exp(-y[u] v[u])), one cell at a time, averaged over the batch."""
    total = 0.0
    for b in range(scores.shape[0]):
        y = labels.expand_as(scores)[b].flatten().tolist()
        v = scores[b].flatten().tolist()
        n_pos = sum(1 for t in y if t > 0)
        n_neg = len(y) - n_pos
        for yi, vi in zip(y, v, strict=True):
            w = 0.5 / n_pos if yi > 0 else 0.5 / n_neg
            total += w * math.log(1 + math.exp(-yi * vi))
    return total / scores.shape[0]


def test_paper_labels_radius_16px_is_2_cells():
    labels = labels_for(get_preset())
    assert labels.shape == (17, 17)
    assert int((labels > 0).sum()) == 13  # cells within distance 2 of the centre
    assert labels[8, 8] == 1 and labels[8, 10] == 1 and labels[8, 11] == -1
    assert labels[10, 10] == -1  # distance sqrt(8) > 2


def test_labels_follow_the_offset():
    labels = logistic_labels(17, 2.0, offset=(3.0, -2.0))
    assert labels[6, 11] == 1 and labels[8, 8] == -1


def test_weights_balance_the_classes():
    w = balanced_weights(labels_for(get_preset()))
    labels = labels_for(get_preset())
    assert math.isclose(float(w[labels > 0].sum()), 0.5, rel_tol=1e-6)
    assert math.isclose(float(w[labels < 0].sum()), 0.5, rel_tol=1e-6)


def test_loss_equals_the_formula():
    torch.manual_seed(0)
    scores = torch.randn(4, 1, 17, 17) * 3
    labels = labels_for(get_preset())
    assert math.isclose(
        float(logistic_loss(scores, labels)), formula_loss(scores, labels), rel_tol=1e-5
    )


def test_loss_equals_bce_with_logits():
    torch.manual_seed(1)
    scores = torch.randn(3, 1, 17, 17)
    labels = labels_for(get_preset()).expand_as(scores)
    bce = (
        F.binary_cross_entropy_with_logits(
            scores, (labels > 0).float(), weight=balanced_weights(labels), reduction="sum"
        )
        / 3
    )
    torch.testing.assert_close(logistic_loss(scores, labels), bce)


def test_loss_is_stable_for_huge_scores():
    labels = labels_for(get_preset())
    big = torch.full((1, 1, 17, 17), 1e4)
    wrong = logistic_loss(-big * labels, labels)  # every cell confidently wrong
    right = logistic_loss(big * labels, labels)
    assert math.isclose(float(wrong), 1e4, rel_tol=1e-6)
    assert float(right) == 0.0
    scores = (big * labels).requires_grad_()
    logistic_loss(scores, labels).backward()
    assert torch.isfinite(scores.grad).all()
