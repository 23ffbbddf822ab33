"""Chapter 05 (training): learning_rate(epoch, cfg), make_optimizer(model, cfg),
train_step(model, batch, optimizer, scaler, device): the library's signatures.

The alternatives are right answers written another way; the wrong answers are written as a
learner would write them, not as the checks module makes its mistakes.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F

from siamfc_edu.checks import training as checks
from siamfc_edu.losses import balanced_weights, logistic_loss
from tests.exercise_registry import Entry

# ----------------------------------------------------------------------------- learning_rate


def rate_by_logspace(epoch, cfg):
    """The authors' way (logspace over the epochs), one numpy float64 picked out."""
    rates = np.logspace(math.log10(cfg.lr_initial), math.log10(cfg.lr_final), cfg.epochs)
    return rates[epoch]


def rate_by_exp_log(epoch, cfg):
    """Through logarithms: a different rounding, the same rate."""
    if cfg.epochs == 1:
        return cfg.lr_initial
    progress = epoch / (cfg.epochs - 1)
    return math.exp(math.log(cfg.lr_initial) + progress * math.log(cfg.lr_final / cfg.lr_initial))


def rate_by_repeated_factor(epoch, cfg):
    """The factor per epoch, multiplied in epoch times."""
    rate = cfg.lr_initial
    for _ in range(epoch):
        rate *= (cfg.lr_final / cfg.lr_initial) ** (1 / (cfg.epochs - 1))
    return rate


def rate_linear_interpolation(epoch, cfg):
    if cfg.epochs == 1:
        return cfg.lr_initial
    t = epoch / (cfg.epochs - 1)
    return (1 - t) * cfg.lr_initial + t * cfg.lr_final


def rate_as_float64_tensor(epoch, cfg):
    progress = torch.tensor(epoch / max(cfg.epochs - 1, 1), dtype=torch.float64)
    return cfg.lr_initial * (cfg.lr_final / cfg.lr_initial) ** progress


def rate_one_based(epoch, cfg):
    factor = (cfg.lr_final / cfg.lr_initial) ** (1 / cfg.epochs)
    return cfg.lr_initial * factor ** (epoch + 1)


def rate_per_step(epoch, cfg):
    """The decay of torch's per-iteration schedulers: one factor per step, raised to the epoch."""
    total_steps = cfg.epochs * (cfg.pairs_per_epoch // cfg.batch_size)
    gamma = (cfg.lr_final / cfg.lr_initial) ** (1 / (total_steps - 1))
    return cfg.lr_initial * gamma**epoch


def rate_linear_as_tensor(epoch, cfg):
    """A linear decay, and a tensor: both are told."""
    t = torch.tensor(epoch / max(cfg.epochs - 1, 1), dtype=torch.float64)
    return cfg.lr_initial + (cfg.lr_final - cfg.lr_initial) * t


# ----------------------------------------------------------------------------- make_optimizer


def sgd_positional(model, cfg):
    """Every argument by position, dampening 0 included."""
    return torch.optim.SGD(model.parameters(), cfg.lr_initial, cfg.momentum, 0, cfg.weight_decay)


def sgd_two_groups(model, cfg):
    """Two groups with the same settings hold every parameter once."""
    params = list(model.parameters())
    groups = [{"params": params[:1]}, {"params": params[1:]}]
    return torch.optim.SGD(
        groups, lr=cfg.lr_initial, momentum=cfg.momentum, weight_decay=cfg.weight_decay
    )


def sgd_group_settings(model, cfg):
    """The settings in the one group's dict instead of the keywords."""
    group = {"params": [p for _, p in model.named_parameters()], "weight_decay": cfg.weight_decay}
    return torch.optim.SGD([group], lr=cfg.lr_initial, momentum=cfg.momentum, nesterov=False)


def sgd_forgot_decay(model, cfg):
    return torch.optim.SGD(model.parameters(), lr=cfg.lr_initial, momentum=cfg.momentum)


def sgd_adam_defaults(model, cfg):
    return torch.optim.Adam(model.parameters())


def sgd_named_weights_only(model, cfg):
    params = [p for name, p in model.named_parameters() if "head" not in name]
    return torch.optim.SGD(
        params, lr=cfg.lr_initial, momentum=cfg.momentum, weight_decay=cfg.weight_decay
    )


def sgd_on_copies(model, cfg):
    params = [p.detach().clone().requires_grad_() for p in model.parameters()]
    return torch.optim.SGD(
        params, lr=cfg.lr_initial, momentum=cfg.momentum, weight_decay=cfg.weight_decay
    )


def sgd_nesterov(model, cfg):
    return torch.optim.SGD(
        model.parameters(),
        lr=cfg.lr_initial,
        momentum=cfg.momentum,
        weight_decay=cfg.weight_decay,
        nesterov=True,
    )


def sgd_norms_undecayed(model, cfg):
    norms = [p for n, p in model.named_parameters() if n.endswith(".1.weight") or ".1.bias" in n]
    others = [p for n, p in model.named_parameters() if not any(p is q for q in norms)]
    groups = [{"params": others}, {"params": norms, "weight_decay": 0}]
    return torch.optim.SGD(
        groups, lr=cfg.lr_initial, momentum=cfg.momentum, weight_decay=cfg.weight_decay
    )


def sgd_batch_norm_momentum(model, cfg):
    """Batch norm's convention (0.1 is 'keep 0.9') carried over to SGD."""
    return torch.optim.SGD(
        model.parameters(), lr=cfg.lr_initial, momentum=1 - cfg.momentum,
        weight_decay=cfg.weight_decay,
    )  # fmt: skip


def sgd_final_rate(model, cfg):
    """The rate the run ends at, where it starts."""
    return torch.optim.SGD(
        model.parameters(), lr=cfg.lr_final, momentum=cfg.momentum, weight_decay=cfg.weight_decay
    )


# ----------------------------------------------------------------------------- train_step


def step_model_zero_grad(model, batch, optimizer, scaler, device):
    """model.zero_grad() instead of the optimizer's, the labels unsqueezed."""
    z, x, labels = (t.to(device) for t in batch)
    model.zero_grad()
    loss = logistic_loss(model(z, x), labels.unsqueeze(1))
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.detach()


def step_weighted_bce(model, batch, optimizer, scaler, device):
    """The balanced loss as a weighted binary_cross_entropy_with_logits on 0/1 targets."""
    z, x, labels = (t.to(device) for t in batch)
    scores = model(z, x)
    y = labels[:, None]
    loss = F.binary_cross_entropy_with_logits(
        scores, (y > 0).float(), weight=balanced_weights(y), reduction="sum"
    ) / len(labels)
    optimizer.zero_grad()
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.detach()


def step_pairs_averaged(model, batch, optimizer, scaler, device):
    """The loss of each pair, averaged by hand; gradients zeroed without set_to_none."""
    z, x, labels = batch
    scores = model(z.to(device), x.to(device))
    labels = labels.to(device)
    loss = torch.stack([logistic_loss(scores[i], labels[i]) for i in range(len(labels))]).mean()
    optimizer.zero_grad(set_to_none=False)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.detach()


def step_calls_train_itself(model, batch, optimizer, scaler, device):
    """model.train() again, to be safe: the network is in training mode already."""
    model.train()
    z, x, labels = (t.to(device) for t in batch)
    loss = logistic_loss(model(z, x), labels[:, None])
    optimizer.zero_grad()
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.detach()


def step_zero_grad_after_step(model, batch, optimizer, scaler, device):
    """step() before backward(): the gradients are cleared, then computed, never used."""
    z, x, labels = (t.to(device) for t in batch)
    loss = logistic_loss(model(z, x), labels[:, None])
    optimizer.zero_grad()
    scaler.step(optimizer)
    scaler.scale(loss).backward()
    scaler.update()
    return loss.detach()


def step_bce_with_01_labels(model, batch, optimizer, scaler, device):
    z, x, labels = (t.to(device) for t in batch)
    scores = model(z, x)
    targets = (labels[:, None] > 0).float()
    loss = F.binary_cross_entropy_with_logits(scores, targets)
    optimizer.zero_grad()
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.detach()


def step_item_before_backward(model, batch, optimizer, scaler, device):
    z, x, labels = (t.to(device) for t in batch)
    loss = logistic_loss(model(z, x), labels[:, None]).item()
    optimizer.zero_grad()
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss


def step_detached_scores(model, batch, optimizer, scaler, device):
    z, x, labels = (t.to(device) for t in batch)
    scores = model(z, x).detach()
    loss = logistic_loss(scores, labels[:, None])
    optimizer.zero_grad()
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.detach()


def step_under_no_grad(model, batch, optimizer, scaler, device):
    z, x, labels = (t.to(device) for t in batch)
    with torch.no_grad():
        loss = logistic_loss(model(z, x), labels[:, None])
    optimizer.zero_grad()
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.detach()


def step_returns_the_attached_loss(model, batch, optimizer, scaler, device):
    z, x, labels = (t.to(device) for t in batch)
    loss = logistic_loss(model(z, x), labels[:, None])
    optimizer.zero_grad()
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss


def step_returns_a_float(model, batch, optimizer, scaler, device):
    """loss.item(), as the step of many tutorials returns it."""
    z, x, labels = (t.to(device) for t in batch)
    loss = logistic_loss(model(z, x), labels[:, None])
    optimizer.zero_grad()
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.item()


def step_without_the_scaler(model, batch, optimizer, scaler, device):
    """The plain calls of a step: right while the scaler is disabled, as on the CPU."""
    z, x, labels = batch
    loss = logistic_loss(model(z.to(device), x.to(device)), labels.to(device)[:, None])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.detach()


def step_scaler_without_update(model, batch, optimizer, scaler, device):
    """scaler.update() forgotten: the scale never adapts."""
    z, x, labels = (t.to(device) for t in batch)
    loss = logistic_loss(model(z, x), labels[:, None])
    optimizer.zero_grad()
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    return loss.detach()


def step_mean_of_pairs_loop_sum(model, batch, optimizer, scaler, device):
    z, x, labels = (t.to(device) for t in batch)
    total = 0
    for i in range(len(labels)):
        total = total + logistic_loss(model(z[i : i + 1], x[i : i + 1]), labels[i][None, None])
    optimizer.zero_grad()
    scaler.scale(total).backward()
    scaler.step(optimizer)
    scaler.update()
    return total.detach()


ENTRIES = [
    Entry(
        "05_training",
        "learning_rate",
        checks.check_learning_rate,
        checks.LEARNING_RATE,
        alternatives=(rate_by_logspace, rate_by_exp_log, rate_by_repeated_factor),
        wrong_answers=(
            (rate_linear_interpolation, "a linear decay instead of a geometric one"),
            (rate_one_based, "the rate at the end of each epoch: (epoch + 1) / epochs"),
            (rate_per_step, checks.LR_MISTAKES[8].name),
            (rate_linear_as_tensor, "a linear decay instead of a geometric one"),
            (rate_as_float64_tensor, None),
        ),
    ),
    Entry(
        "05_training",
        "make_optimizer",
        checks.check_make_optimizer,
        checks.MAKE_OPTIMIZER,
        alternatives=(sgd_positional, sgd_two_groups, sgd_group_settings),
        wrong_answers=(
            (sgd_forgot_decay, "no weight decay"),
            (sgd_adam_defaults, "Adam instead of SGD"),
            (
                sgd_named_weights_only,
                "only the backbone's parameters (the head's bias is left out)",
            ),
            (sgd_nesterov, "Nesterov momentum (nesterov=True)"),
            (sgd_norms_undecayed, "no weight decay on the batch-norm parameters"),
            (sgd_final_rate, checks.SGD_MISTAKES[10].name),
            (sgd_on_copies, None),
            (sgd_batch_norm_momentum, None),
        ),
    ),
    Entry(
        "05_training",
        "train_step",
        checks.check_train_step,
        checks.TRAIN_STEP,
        alternatives=(
            step_model_zero_grad,
            step_weighted_bce,
            step_pairs_averaged,
            step_calls_train_itself,
        ),
        wrong_answers=(
            (step_zero_grad_after_step, checks.STEP_MISTAKES[2].name),
            (step_bce_with_01_labels, "an unbalanced loss (a plain binary cross-entropy)"),
            (step_item_before_backward, checks.CUT_OFF),
            (step_detached_scores, checks.CUT_OFF),
            (step_under_no_grad, checks.CUT_OFF),
            (step_returns_the_attached_loss, None),
            (step_returns_a_float, None),
            (step_mean_of_pairs_loop_sum, None),
        ),
    ),
    Entry(  # the same exercise with the loss scaling on, checked once the step above is right
        "05_training",
        "train_step",
        checks.check_train_step,
        checks.SCALED_STEP,
        wrong_answers=(
            (step_without_the_scaler, checks.SCALER_MISTAKES[0].name),
            (step_scaler_without_update, None),
        ),
    ),
]
