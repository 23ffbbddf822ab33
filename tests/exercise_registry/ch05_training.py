"""Chapter 05 (training): learning_rate, make_sgd, train_step.

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


def rate_by_logspace(epoch, epochs, lr_initial, lr_final):
    """The authors' way (logspace over the epochs), one numpy float64 picked out."""
    rates = np.logspace(math.log10(lr_initial), math.log10(lr_final), epochs)
    return rates[epoch]


def rate_by_exp_log(epoch, epochs, lr_initial, lr_final):
    """Through logarithms: a different rounding, the same rate."""
    if epochs == 1:
        return lr_initial
    log_rate = math.log(lr_initial) + epoch / (epochs - 1) * math.log(lr_final / lr_initial)
    return math.exp(log_rate)


def rate_by_repeated_factor(epoch, epochs, lr_initial, lr_final):
    """The factor per epoch, multiplied in epoch times."""
    rate = lr_initial
    for _ in range(epoch):
        rate *= (lr_final / lr_initial) ** (1 / (epochs - 1))
    return rate


def rate_linear_interpolation(epoch, epochs, lr_initial, lr_final):
    if epochs == 1:
        return lr_initial
    t = epoch / (epochs - 1)
    return (1 - t) * lr_initial + t * lr_final


def rate_as_float64_tensor(epoch, epochs, lr_initial, lr_final):
    progress = torch.tensor(epoch / max(epochs - 1, 1), dtype=torch.float64)
    return lr_initial * (lr_final / lr_initial) ** progress


def rate_one_based(epoch, epochs, lr_initial, lr_final):
    factor = (lr_final / lr_initial) ** (1 / epochs)
    return lr_initial * factor ** (epoch + 1)


# ----------------------------------------------------------------------------- make_sgd


def sgd_positional(model, lr, momentum, weight_decay):
    """Every argument by position, dampening 0 included."""
    return torch.optim.SGD(model.parameters(), lr, momentum, 0, weight_decay)


def sgd_two_groups(model, lr, momentum, weight_decay):
    """Two groups with the same settings hold every parameter once."""
    params = list(model.parameters())
    groups = [{"params": params[:1]}, {"params": params[1:]}]
    return torch.optim.SGD(groups, lr=lr, momentum=momentum, weight_decay=weight_decay)


def sgd_group_settings(model, lr, momentum, weight_decay):
    """The settings in the one group's dict instead of the keywords."""
    group = {"params": [p for _, p in model.named_parameters()], "weight_decay": weight_decay}
    return torch.optim.SGD([group], lr=lr, momentum=momentum, nesterov=False)


def sgd_forgot_decay(model, lr, momentum, weight_decay):
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)


def sgd_adam_defaults(model, lr, momentum, weight_decay):
    return torch.optim.Adam(model.parameters())


def sgd_named_weights_only(model, lr, momentum, weight_decay):
    params = [p for name, p in model.named_parameters() if "head" not in name]
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)


def sgd_on_copies(model, lr, momentum, weight_decay):
    params = [p.detach().clone().requires_grad_() for p in model.parameters()]
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)


def sgd_nesterov(model, lr, momentum, weight_decay):
    return torch.optim.SGD(
        model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=True
    )


def sgd_norms_undecayed(model, lr, momentum, weight_decay):
    norms = [p for n, p in model.named_parameters() if n.endswith(".1.weight") or ".1.bias" in n]
    others = [p for n, p in model.named_parameters() if not any(p is q for q in norms)]
    groups = [{"params": others}, {"params": norms, "weight_decay": 0}]
    return torch.optim.SGD(groups, lr=lr, momentum=momentum, weight_decay=weight_decay)


def sgd_batch_norm_momentum(model, lr, momentum, weight_decay):
    """Batch norm's convention (0.1 is 'keep 0.9') carried over to SGD."""
    return torch.optim.SGD(
        model.parameters(), lr=lr, momentum=1 - momentum, weight_decay=weight_decay
    )


# ----------------------------------------------------------------------------- train_step


def step_model_zero_grad(model, optimizer, z, x, labels):
    """model.zero_grad() instead of the optimizer's, the labels unsqueezed, float(loss)."""
    model.train(True)
    model.zero_grad()
    loss = logistic_loss(model(z, x), labels.unsqueeze(1))
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def step_weighted_bce(model, optimizer, z, x, labels):
    """The balanced loss as a weighted binary_cross_entropy_with_logits on 0/1 targets."""
    model.train()
    scores = model(z, x)
    y = labels[:, None]
    loss = F.binary_cross_entropy_with_logits(
        scores, (y > 0).float(), weight=balanced_weights(y), reduction="sum"
    ) / len(labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def step_pairs_averaged(model, optimizer, z, x, labels):
    """The loss of each pair, averaged by hand; gradients zeroed without set_to_none."""
    model.train()
    scores = model(z, x)
    loss = torch.stack([logistic_loss(scores[i], labels[i]) for i in range(len(labels))]).mean()
    optimizer.zero_grad(set_to_none=False)
    loss.backward()
    optimizer.step()
    return loss.item()


def step_no_train_call(model, optimizer, z, x, labels):
    loss = logistic_loss(model(z, x), labels[:, None])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def step_zero_grad_after_backward(model, optimizer, z, x, labels):
    model.train()
    loss = logistic_loss(model(z, x), labels[:, None])
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss.item()


def step_bce_with_01_labels(model, optimizer, z, x, labels):
    model.train()
    scores = model(z, x)
    targets = (labels[:, None] > 0).float()
    loss = F.binary_cross_entropy_with_logits(scores, targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def step_item_before_backward(model, optimizer, z, x, labels):
    model.train()
    loss = logistic_loss(model(z, x), labels[:, None]).item()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss


def step_detached_scores(model, optimizer, z, x, labels):
    model.train()
    scores = model(z, x).detach()
    loss = logistic_loss(scores, labels[:, None])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def step_under_no_grad(model, optimizer, z, x, labels):
    model.train()
    with torch.no_grad():
        loss = logistic_loss(model(z, x), labels[:, None])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def step_returns_the_tensor(model, optimizer, z, x, labels):
    model.train()
    loss = logistic_loss(model(z, x), labels[:, None])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss


def step_mean_of_pairs_loop_sum(model, optimizer, z, x, labels):
    model.train()
    total = 0
    for i in range(len(labels)):
        total = total + logistic_loss(model(z[i : i + 1], x[i : i + 1]), labels[i][None, None])
    optimizer.zero_grad()
    total.backward()
    optimizer.step()
    return total.item()


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
            (rate_as_float64_tensor, None),
        ),
    ),
    Entry(
        "05_training",
        "make_sgd",
        checks.check_make_sgd,
        checks.MAKE_SGD,
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
            (sgd_on_copies, None),
            (sgd_batch_norm_momentum, None),
        ),
    ),
    Entry(
        "05_training",
        "train_step",
        checks.check_train_step,
        checks.TRAIN_STEP,
        alternatives=(step_model_zero_grad, step_weighted_bce, step_pairs_averaged),
        wrong_answers=(
            (step_no_train_call, checks.STEP_MISTAKES[0].name),
            (step_zero_grad_after_backward, checks.STEP_MISTAKES[3].name),
            (step_bce_with_01_labels, "an unbalanced loss (a plain binary cross-entropy)"),
            (step_item_before_backward, checks.CUT_OFF),
            (step_detached_scores, checks.CUT_OFF),
            (step_under_no_grad, checks.CUT_OFF),
            (step_returns_the_tensor, None),
            (step_mean_of_pairs_loop_sum, None),
        ),
    ),
]
