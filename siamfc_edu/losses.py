"""Labels and the logistic loss of Section 2.2: l(y, v) = log(1 + exp(-y v)) over the score map."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .config import SiamFCConfig


def logistic_labels(
    size: int, radius_cells: float, offset: tuple[float, float] = (0.0, 0.0)
) -> torch.Tensor:
    """A size x size map of +1 within `radius_cells` of the centre (moved by offset), else -1.

    `offset` = (dx, dy) in score-map cells: where the target sits when the search crop was
    translated by augmentation.
    """
    c = (size - 1) / 2
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    dist = torch.sqrt((xs - c - offset[0]) ** 2 + (ys - c - offset[1]) ** 2)
    return torch.where(dist <= radius_cells, 1.0, -1.0)


def labels_for(cfg: SiamFCConfig, offset: tuple[float, float] = (0.0, 0.0)) -> torch.Tensor:
    """The label map of a preset: radius R = r_pos search pixels = r_pos / stride cells."""
    return logistic_labels(cfg.score_size, cfg.r_pos / cfg.total_stride, offset)


def balanced_weights(labels: torch.Tensor) -> torch.Tensor:
    """Per-cell weights: positives share 1/2, negatives share 1/2, so neither class dominates."""
    pos = (labels > 0).float()
    neg = 1.0 - pos
    n_pos = pos.sum(dim=(-2, -1), keepdim=True).clamp(min=1)
    n_neg = neg.sum(dim=(-2, -1), keepdim=True).clamp(min=1)
    return 0.5 * pos / n_pos + 0.5 * neg / n_neg


def logistic_loss(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Balanced mean of log(1 + exp(-y v)) over each map, averaged over the batch.

    `scores` is (B, 1, H, W) or (B, H, W); `labels` holds +1/-1 and broadcasts against it.
    softplus(-y v) is the same function, computed without overflow for |v| up to 1e4 and beyond.
    """
    labels = labels.to(scores.dtype).expand_as(scores)
    per_cell = F.softplus(-labels * scores)
    weights = balanced_weights(labels)
    return (weights * per_cell).sum(dim=(-2, -1)).mean()
