"""The training recipe (the paper's §2.2 and §4.1): read it beside the paper.

SGD with momentum 0.9 and weight decay 5e-4 minimises the balanced logistic loss over batches
of exemplar/search pairs; the learning rate decays geometrically from 1e-2 to 1e-5 over the
epochs. Every number is a field of the preset (SiamFCConfig) and can be overridden.

Two additions of ours, not the paper's: a validation metric (how far the score map's peak lands
from the true centre, in search-image pixels) and, optionally at the end, batch-norm statistics
re-estimated with the final weights.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext

import torch
import torch.nn.functional as F

from ..config import SiamFCConfig
from ..losses import logistic_loss
from ..model import SiamFCNet

Batch = tuple[torch.Tensor, ...]  # (exemplars z, search images x, label maps)


def learning_rate(epoch: int, cfg: SiamFCConfig) -> float:
    """Geometric decay from lr_initial (first epoch) to lr_final (last epoch)."""
    if cfg.epochs <= 1:
        return cfg.lr_initial
    ratio = cfg.lr_final / cfg.lr_initial
    return cfg.lr_initial * ratio ** (epoch / (cfg.epochs - 1))


def make_optimizer(model: torch.nn.Module, cfg: SiamFCConfig) -> torch.optim.SGD:
    """SGD with momentum and weight decay, as in the paper."""
    return torch.optim.SGD(
        model.parameters(), lr=cfg.lr_initial, momentum=cfg.momentum, weight_decay=cfg.weight_decay
    )


def set_learning_rate(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Use this learning rate for every parameter from the next step on."""
    for group in optimizer.param_groups:
        group["lr"] = lr


def autocast(device: torch.device, enabled: bool) -> AbstractContextManager:
    """Mixed precision on CUDA when enabled, a no-op elsewhere."""
    if enabled and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.float16)
    return nullcontext()


def train_step(
    model: torch.nn.Module,
    batch: Batch,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    device: torch.device,
) -> torch.Tensor:
    """One SGD step on a batch of pairs; returns the (detached) loss."""
    z, x, labels = (t.to(device, non_blocking=True) for t in batch)
    z, x = (t.contiguous(memory_format=torch.channels_last) for t in (z, x))
    with autocast(device, scaler.is_enabled()):
        scores = model(z, x)
    loss = logistic_loss(scores.float(), labels[:, None])
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.detach()


def peak_distance(scores: torch.Tensor, labels: torch.Tensor, cfg: SiamFCConfig) -> torch.Tensor:
    """Per pair, the distance in search-image pixels from the score map's peak to the true centre.

    The peak is found on the map upsampled like the tracker's (bicubic, x response_up); the true
    centre is the mean position of the positive labels.
    """
    up = F.interpolate(scores.float(), scale_factor=cfg.response_up, mode="bicubic")
    size = up.shape[-1]
    peak = up.flatten(1).argmax(dim=1)
    peak_yx = torch.stack([peak // size, peak % size], dim=1).float()
    peak_yx = (peak_yx - (size - 1) / 2) * cfg.total_stride / cfg.response_up
    cells = torch.stack(torch.meshgrid(*[torch.arange(cfg.score_size)] * 2, indexing="ij"))
    cells = cells.to(labels.device).float()
    positive = (labels > 0).float()
    true_yx = (cells[None] * positive[:, None]).sum((-2, -1)) / positive.sum((-2, -1))[:, None]
    true_yx = (true_yx - (cfg.score_size - 1) / 2) * cfg.total_stride
    return (peak_yx - true_yx).norm(dim=1)


@torch.no_grad()
def validate(
    model: SiamFCNet, loader: Iterable[Batch], cfg: SiamFCConfig, device: torch.device
) -> tuple[float, float]:
    """Mean loss and mean peak distance (pixels) on held-out pairs, network in eval mode."""
    model.eval()
    losses, distances = [], []
    for z, x, labels in loader:
        z, x, labels = z.to(device), x.to(device), labels.to(device)
        scores = model(z, x).float()
        losses.append(logistic_loss(scores, labels[:, None]) * len(z))
        distances.append(peak_distance(scores, labels, cfg))
    model.train()
    n = sum(len(d) for d in distances)
    return float(sum(losses) / n), float(torch.cat(distances).mean())


@torch.no_grad()
def reestimate_batch_norm(
    model: SiamFCNet, loader: Iterable[Batch], batches: int, device: torch.device
) -> None:
    """Recompute every batch norm's running statistics with the final weights (no labels used).

    During training the running mean and variance are moving averages over weights that kept
    changing; the tracker uses them as they are. Averaging over fresh batches with the final
    weights gives statistics that match the network the tracker actually runs.
    """
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    momenta = [bn.momentum for bn in norms]
    for bn in norms:
        bn.reset_running_stats()
        bn.momentum = None  # a plain average over all the batches seen
    model.train()
    for i, (z, x, _) in enumerate(loader):
        if i >= batches:
            break
        model.backbone(z.to(device))  # the same phi embeds exemplars and search images
        model.backbone(x.to(device))
    for bn, momentum in zip(norms, momenta, strict=True):
        bn.momentum = momentum
    model.eval()
