"""The correlation layer g: f(z, x) = corr(phi(z), phi(x)) * 0.001 + b  (Section 2.1)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn


def cross_correlation(z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Slide each exemplar embedding over its search embedding: (B,C,h,w) * (B,C,H,W) -> (B,1,.,.).

    With one exemplar (z of batch 1) and several search images (the scale pyramid), the exemplar
    is correlated with every one of them. With B exemplars and B search images, pair i with i:
    the batch is folded into channel groups so the whole batch is a single grouped convolution.
    """
    if z.dim() != 4 or x.dim() != 4 or z.shape[1] != x.shape[1]:
        raise ValueError(f"need (B,C,h,w) and (B,C,H,W) with equal C; got {z.shape}, {x.shape}")
    if z.shape[0] == 1:
        return F.conv2d(x, z)
    if z.shape[0] != x.shape[0]:
        raise ValueError(f"{z.shape[0]} exemplars for {x.shape[0]} search images: need 1 or equal")
    b, c, h, w = x.shape
    out = F.conv2d(x.reshape(1, b * c, h, w), z, groups=b)
    return out.reshape(b, 1, out.shape[-2], out.shape[-1])


class CorrelationHead(nn.Module):
    """g(z, x) = out_scale * (z * x) + bias: a score map from two embeddings."""

    def __init__(self, out_scale: float = 0.001):
        super().__init__()
        self.out_scale = out_scale
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(
        self, z: torch.Tensor, x: torch.Tensor, correlate: Callable = cross_correlation
    ) -> torch.Tensor:
        """Score maps (B, 1, H-h+1, W-w+1) of the exemplar embeddings z in search embeddings x.

        `correlate` is the correlation to use: the library's, or your own (the capstone's hook).
        """
        return correlate(z, x) * self.out_scale + self.bias
