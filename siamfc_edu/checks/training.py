"""Checks of exercise notebook 05 (training: Section 3 of the paper).

- `check_learning_rate` serves exercise 1, `learning_rate(epoch, epochs, lr_initial, lr_final)`:
  the geometric decay of the learning rate, compared with `siamfc_edu.train.learning_rate`;
- `check_make_sgd` serves exercise 2, `make_sgd(model, lr, momentum, weight_decay)`: the paper's
  optimiser, compared with `siamfc_edu.train.make_optimizer` (its kind, the parameters it holds
  and the settings of each);
- `check_train_step` serves exercise 3, `train_step(model, optimizer, z, x, labels)`: one SGD step
  on the balanced logistic loss. The learner's step and the library's `train_step` each take TWO
  steps on copies of the same seeded tiny network and batch (a forgotten `zero_grad` shows only in
  the second); the check compares the two losses, how every weight moved, and the batch-norm
  statistics.

The references are the library's functions behind thin adapters (`reference_learning_rate`, ...)
that take the exercise's arguments. Each list of typical mistakes (`LR_MISTAKES`, ...) is public
so that the tests can make every mistake and see it named.
"""

from __future__ import annotations

import copy
import math
import numbers
from collections.abc import Callable
from functools import cache, wraps

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..config import get_preset
from ..losses import logistic_labels, logistic_loss
from ..model import build_model
from ..train import learning_rate, make_optimizer, train_step
from . import Case, Mistake, Verdict, check, compare_arrays

PAPER = get_preset("paper")  # epochs 50, lr 1e-2 -> 1e-5, momentum 0.9, weight decay 5e-4
TINY = get_preset("tiny")  # the same recipe, a sixth of the channels: the network of the cases
STEPS = 2  # steps of each train_step case: a forgotten zero_grad shows in the second


def _one_number(value: object) -> float | None:
    """value as a float when it is one number (a float, a numpy scalar, a 1-element tensor)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, torch.Tensor):
        return float(value.detach()) if value.numel() == 1 else None
    if isinstance(value, np.ndarray):
        return float(value.reshape(())) if value.size == 1 else None
    if isinstance(value, numbers.Real):
        return float(value)
    return None


def _describe(value: object) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    return type(value).__name__


# ============================================================================= exercise 1


def reference_learning_rate(epoch: int, epochs: int, lr_initial: float, lr_final: float) -> float:
    """The library's `learning_rate(epoch, cfg)` for a preset with these epochs and end points."""
    cfg = PAPER.replace(epochs=epochs, lr_initial=lr_initial, lr_final=lr_final)
    return learning_rate(epoch, cfg)


def compare_rate(got: object, expected: object) -> str:
    """'' when the rates agree to 1e-6 (relative); else the two rates."""
    rate = _one_number(got)
    if rate is None:
        return f"expected one number (a float), got {_describe(got)}"
    if not math.isfinite(rate):
        return f"the rate is {rate}, expected {float(expected):.6g}"
    if not math.isclose(rate, float(expected), rel_tol=1e-6, abs_tol=1e-15):
        return f"the rate is {rate:.6g}, expected {float(expected):.6g}"
    return ""


def _geometric(epoch, epochs, lr_initial, lr_final, denominator=None):
    return lr_initial * (lr_final / lr_initial) ** (epoch / (denominator or epochs - 1))


LR_MISTAKES = [
    Mistake(
        "a linear decay instead of a geometric one",
        "multiply by the same factor every epoch: lr_initial * ratio ** (e / (E - 1))",
        lambda epoch, epochs, lr_initial, lr_final: (
            lr_initial + (lr_final - lr_initial) * epoch / (epochs - 1)
        ),
    ),
    Mistake(
        "the exponent over epochs instead of epochs - 1 (lr_final is never reached)",
        "epochs are numbered 0 .. E - 1: the last one, E - 1, must give lr_final",
        lambda epoch, epochs, lr_initial, lr_final: _geometric(
            epoch, epochs, lr_initial, lr_final, epochs
        ),
    ),
    Mistake(
        "the decay the wrong way round, from lr_final up to lr_initial",
        "epoch 0 trains at lr_initial (1e-2); the rate falls to lr_final (1e-5)",
        lambda epoch, epochs, lr_initial, lr_final: _geometric(epoch, epochs, lr_final, lr_initial),
    ),
    Mistake(
        "the epochs counted from 1 (epoch 0 is the first epoch)",
        "epoch 0 must give lr_initial exactly: the exponent is e / (E - 1), not (e - 1) / (E - 1)",
        lambda epoch, epochs, lr_initial, lr_final: _geometric(
            epoch - 1, epochs, lr_initial, lr_final
        ),
    ),
    Mistake(
        "an integer division in the exponent: epoch // (epochs - 1)",
        "// rounds the exponent down to 0 until the last epoch: divide with /",
        lambda epoch, epochs, lr_initial, lr_final: (
            lr_initial * (lr_final / lr_initial) ** (epoch // (epochs - 1))
        ),
    ),
    Mistake(
        "the paper's factor per epoch (0.8685, for 50 epochs) used for every run length",
        "compute the factor from the arguments: (lr_final / lr_initial) ** (1 / (epochs - 1))",
        lambda epoch, epochs, lr_initial, lr_final: lr_initial * (1e-3 ** (1 / 49)) ** epoch,
    ),
]

LR_CASES = [
    Case("the paper (and the tiny preset): epoch 0 of 50", (0, 50, 1e-2, 1e-5)),
    Case("the paper: epoch 49 of 50, the last", (49, 50, 1e-2, 1e-5)),
    Case("the paper: epoch 25 of 50, in the middle", (25, 50, 1e-2, 1e-5)),
    Case("the shipped tiny run: epoch 29 of 30, its last", (29, 30, 1e-2, 1e-5)),
    Case("a 4-epoch run: epoch 2", (2, 4, 1e-2, 1e-5)),
    Case("other end points, 0.1 -> 1e-4 over 10 epochs: epoch 3", (3, 10, 0.1, 1e-4)),
    Case("a 2-epoch run: epoch 1, the last", (1, 2, 1e-2, 1e-5)),
    Case("a 1-epoch run: epoch 0 (lr_initial)", (0, 1, 1e-2, 1e-5)),
]


def check_learning_rate(fn: Callable) -> Verdict:
    """Exercise 1: `fn(epoch, epochs, lr_initial, lr_final)` against the library's schedule."""
    return check(
        "learning_rate",
        fn,
        reference_learning_rate,
        LR_CASES,
        LR_MISTAKES,
        compare=compare_rate,
        hint="lr_initial * (lr_final / lr_initial) ** (epoch / (epochs - 1)); "
        "lr_initial when epochs is 1",
    )


# ============================================================================= exercise 2

SETTINGS = ("lr", "momentum", "weight_decay", "dampening", "nesterov", "maximize")


def reference_make_sgd(
    model: nn.Module, lr: float, momentum: float, weight_decay: float
) -> torch.optim.Optimizer:
    """The library's `make_optimizer(model, cfg)` for a preset with these settings."""
    cfg = PAPER.replace(lr_initial=lr, momentum=momentum, weight_decay=weight_decay)
    return make_optimizer(model, cfg)


def _with_model(fn: Callable) -> Callable:
    """fn(model, ...) -> (its answer, model): the comparison then knows the model's parameters."""

    @wraps(fn)
    def call(model, *args, **kwargs):
        return fn(model, *args, **kwargs), model

    return call


def _held(optimizer: torch.optim.Optimizer, model: nn.Module) -> tuple[dict, int]:
    """{parameter name: {setting: value}} for the model's parameters it holds; how many others."""
    names = {id(p): name for name, p in model.named_parameters()}
    held, others = {}, 0
    for group in optimizer.param_groups:
        for p in group["params"]:
            if id(p) in names:
                held[names[id(p)]] = {k: group.get(k) for k in SETTINGS}
            else:
                others += 1
    return held, others


def _show(value: object) -> str:
    """A setting as the learner wrote it: 0.0005 as 0.0005, True as True."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return f"{value:g}"
    return repr(value)


def _setting_problem(got: dict, expected: dict) -> str:
    """The first setting that differs, and for which parameters."""
    for key in SETTINGS:
        wrong = [name for name in expected if got[name][key] != expected[name][key]]
        if not wrong:
            continue
        first = wrong[0]
        value, want = got[first][key], expected[first][key]
        which = (
            "for every parameter"
            if len(wrong) == len(expected)
            else f"for {len(wrong)} of the {len(expected)} parameters (first: {first})"
        )
        return f"{key} {_show(value)} {which}, expected {_show(want)}"
    return ""


def compare_optimizers(got: object, expected: object) -> str:
    """'' when got is the same optimiser as expected: kind, parameters held, their settings."""
    got_opt, got_model = got
    want_opt, want_model = expected
    if not isinstance(got_opt, torch.optim.Optimizer):
        return f"expected a torch.optim.SGD, got {_describe(got_opt)}"
    kind, want_kind = type(got_opt), type(want_opt)
    if kind is not want_kind:
        return f"a torch.optim.{kind.__name__}, expected a torch.optim.{want_kind.__name__}"
    if kind is not torch.optim.SGD:  # the same wrong kind as a typical mistake, whatever its
        return ""  # settings: close enough to name it (the reference is always an SGD)
    held, others = _held(got_opt, got_model)
    want, _ = _held(want_opt, want_model)
    missing = [name for name in want if name not in held]
    if others:
        return (f"it holds {others} tensors that are not the model's parameters "
                "(copies?): give it model.parameters() itself")  # fmt: skip
    if missing:
        shown = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
        return (f"it holds {len(held)} of the model's {len(want)} parameter tensors; "
                f"missing: {shown}")  # fmt: skip
    return _setting_problem(held, want)


def _sgd(params, lr, momentum, weight_decay):
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)


def _decay_weights_only(model, lr, momentum, weight_decay):
    """The modern habit: no weight decay on biases and batch-norm parameters."""
    decay = [p for p in model.parameters() if p.dim() > 1]
    rest = [p for p in model.parameters() if p.dim() <= 1]
    groups = [{"params": decay}, {"params": rest, "weight_decay": 0.0}]
    return _sgd(groups, lr, momentum, weight_decay)


SGD_MISTAKES = [
    Mistake(
        "Adam instead of SGD",
        "the paper trains with plain SGD with momentum: torch.optim.SGD",
        lambda model, lr, momentum, weight_decay: torch.optim.Adam(
            model.parameters(), lr=lr, weight_decay=weight_decay
        ),
    ),
    Mistake(
        "no weight decay",
        "pass weight_decay=weight_decay: it pulls every weight towards 0",
        lambda model, lr, momentum, weight_decay: _sgd(model.parameters(), lr, momentum, 0.0),
    ),
    Mistake(
        "the weight decay passed by position, where SGD expects dampening",
        "SGD(params, lr, momentum, dampening, weight_decay): name it, weight_decay=...",
        lambda model, lr, momentum, weight_decay: torch.optim.SGD(
            model.parameters(), lr, momentum, weight_decay
        ),
    ),
    Mistake(
        "no momentum",
        "pass momentum=momentum: without it SGD forgets the previous steps",
        lambda model, lr, momentum, weight_decay: _sgd(model.parameters(), lr, 0.0, weight_decay),
    ),
    Mistake(
        "only the backbone's parameters (the head's bias is left out)",
        "model.parameters() holds every parameter, the head's bias included",
        lambda model, lr, momentum, weight_decay: _sgd(
            model.backbone.parameters(), lr, momentum, weight_decay
        ),
    ),
    Mistake(
        "no weight decay on the biases and batch norms",
        "a modern habit, not the paper's: one group, the same decay for every parameter",
        _decay_weights_only,
    ),
    Mistake(
        "the paper's numbers written in instead of the arguments",
        "use lr, momentum and weight_decay as given: the rate changes every epoch",
        lambda model, lr, momentum, weight_decay: _sgd(model.parameters(), 1e-2, 0.9, 5e-4),
    ),
]


def _seeded(build: Callable[[], nn.Module], seed: int = 0) -> nn.Module:
    """A network initialised from its own seed, leaving the global random state as it was."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return build()


@cache
def sgd_cases() -> list[Case]:
    """The inputs of check_make_sgd (networks built once, on first use)."""
    lr_10 = learning_rate(10, PAPER)
    toy = _seeded(lambda: nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1)))
    return [
        Case(
            "the tiny network with the paper's settings (lr 1e-2, momentum 0.9, decay 5e-4)",
            (_seeded(lambda: build_model(TINY)), 1e-2, 0.9, 5e-4),
        ),
        Case(
            f"the tiny network at epoch 10's rate (lr {lr_10:.3g}), momentum 0.5, decay 1e-4",
            (_seeded(lambda: build_model(TINY), 1), lr_10, 0.5, 1e-4),
        ),
        Case("a toy network of two Linear layers (no backbone)", (toy, 0.1, 0.9, 1e-3)),
        Case(
            "the paper's full-width network (SiamFC-3s)",
            (_seeded(lambda: build_model(PAPER), 2), 1e-2, 0.9, 5e-4),
        ),
    ]


def check_make_sgd(fn: Callable) -> Verdict:
    """Exercise 2: `fn(model, lr, momentum, weight_decay)` against `make_optimizer`."""
    return check(
        "make_sgd",
        _with_model(fn),
        _with_model(reference_make_sgd),
        sgd_cases(),
        [Mistake(m.name, m.hint, _with_model(m.fn)) for m in SGD_MISTAKES],
        compare=compare_optimizers,
        hint="torch.optim.SGD(model.parameters(), lr=..., momentum=..., weight_decay=...)",
    )


# ============================================================================= exercise 3


def reference_train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    z: torch.Tensor,
    x: torch.Tensor,
    labels: torch.Tensor,
) -> float:
    """The library's `train_step` on the CPU (no loss scaling), the network in training mode."""
    model.train()
    scaler = torch.amp.GradScaler("cuda", enabled=False)
    return float(train_step(model, (z, x, labels), optimizer, scaler, torch.device("cpu")))


def _steps(fn: Callable) -> Callable:
    """fn run STEPS times on one network: the losses, how each weight moved, the buffers after."""

    @wraps(fn)
    def run(model, optimizer, z, x, labels, key=None):
        before = {name: p.detach().clone() for name, p in model.named_parameters()}
        losses = [fn(model, optimizer, z, x, labels) for _ in range(STEPS)]
        change = {name: p.detach() - before[name] for name, p in model.named_parameters()}
        buffers = {name: b.detach().clone() for name, b in model.named_buffers()}
        return {"losses": losses, "change": change, "buffers": buffers}

    return run


_RUNS: dict[tuple[Callable, str], dict] = {}  # (function, case key) -> what its steps gave


def _remembered(fn: Callable) -> Callable:
    """_steps(fn) on copies of the inputs, each case (its `key`) run once per session.

    For the reference and the typical mistakes, whose steps are the same on every call of the
    check: the learner's own steps are always run.
    """
    steps = _steps(fn)

    @wraps(fn)
    def run(*args, key=None):
        if key is None:
            return steps(*copy.deepcopy(args))
        if (fn, key) not in _RUNS:
            _RUNS[fn, key] = steps(*copy.deepcopy(args))
        return _RUNS[fn, key]

    return run


def compare_steps(got: dict, expected: dict) -> str:
    """'' when the steps agree: the losses, then the change of every weight, then the buffers."""
    for i, (loss, want) in enumerate(zip(got["losses"], expected["losses"], strict=True), 1):
        value = _one_number(loss)
        if value is None:
            return (f"step {i} returned {_describe(loss)}, expected the loss as one number "
                    "(float(loss))")  # fmt: skip
        if not math.isclose(value, want, rel_tol=1e-5, abs_tol=1e-7):
            return f"the loss of step {i} is {value:.6g}, expected {want:.6g}"
    scale = max(float(d.abs().max()) for d in expected["change"].values())
    if scale > 0 and all(not d.any() for d in got["change"].values()):
        return f"the weights did not change over the {STEPS} steps"
    for name, want in expected["change"].items():
        problem = compare_arrays(got["change"][name], want, atol=1e-3 * scale, rtol=1e-2)
        if problem:
            return f"how {name} moved over the {STEPS} steps: {problem}"
    for name, want in expected["buffers"].items():
        problem = compare_arrays(got["buffers"][name], want, atol=1e-4, rtol=1e-3)
        if problem:
            return f"after the {STEPS} steps, the batch-norm buffer {name}: {problem}"
    return ""


def _step_with(model, optimizer, z, x, labels, loss_fn=None, order="right", mode=True):
    """One step like the library's, with the knobs the typical mistakes turn."""
    model.train(mode)
    scores = model(z, x)
    loss = (loss_fn or logistic_loss)(scores, labels[:, None])
    if order == "right":
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    elif order == "no zero_grad":
        loss.backward()
        optimizer.step()
    else:  # the step before backward
        optimizer.zero_grad()
        optimizer.step()
        loss.backward()
    return loss.item()


def _plain_bce(scores, labels):
    return F.binary_cross_entropy_with_logits(scores, ((labels + 1) / 2).expand_as(scores))


def _loss_after(model, optimizer, z, x, labels):
    _step_with(model, optimizer, z, x, labels)
    with torch.no_grad():
        return logistic_loss(model(z, x), labels[:, None]).item()


STEP_MISTAKES = [  # the first is the only one the eval-mode case can catch: it is tried first
    Mistake(
        "the network in eval mode during the step (no model.train())",
        "call model.train() first: batch norm must use the batch's statistics",
        lambda *args: _step_with(*args, mode=False),
    ),
    Mistake(
        "no optimizer.zero_grad() (the gradients of the steps add up)",
        "backward() adds to .grad: call optimizer.zero_grad() first",
        lambda *args: _step_with(*args, order="no zero_grad"),
    ),
    Mistake(
        "optimizer.step() before loss.backward() (the step sees no gradient)",
        "the order is zero_grad(), backward(), then step()",
        lambda *args: _step_with(*args, order="step first"),
    ),
    Mistake(
        "an unbalanced loss (a plain binary cross-entropy)",
        "use logistic_loss(scores, labels[:, None]): each class weighs 1/2",
        lambda *args: _step_with(*args, loss_fn=_plain_bce),
    ),
    Mistake(
        "the labels with the wrong sign",
        "pass the labels as they are: +1 on the target, -1 elsewhere",
        lambda *args: _step_with(*args, loss_fn=lambda s, y: logistic_loss(s, -y)),
    ),
    Mistake(
        "the loss measured again after the update",
        "return the loss you called backward() on: loss.item()",
        _loss_after,
    ),
]


def _images(shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    """Random RGB crops, values 0..255 like the network's real inputs."""
    return 255 * torch.rand(shape, generator=generator)


def _step_case(
    name: str, seed: int, batch: int, search: int, offsets, lr: float, eval_mode: bool = False
) -> Case:
    """A seeded tiny network, its optimizer, and a batch: exemplars 127, search images `search`."""
    model = _seeded(lambda: build_model(TINY), seed)
    if eval_mode:
        model.eval()
    optimizer = make_optimizer(model, TINY.replace(lr_initial=lr))
    g = torch.Generator().manual_seed(seed)
    z, x = _images((batch, 3, 127, 127), g), _images((batch, 3, search, search), g)
    side = (search - 127) // TINY.total_stride + 1
    radius = TINY.r_pos / TINY.total_stride
    labels = torch.stack([logistic_labels(side, radius, o) for o in offsets[:batch]])
    return Case(name, (model, optimizer, z, x, labels), {"key": name})


@cache
def step_cases() -> list[Case]:
    """The inputs of check_train_step (built once, on first use)."""
    lr_10 = learning_rate(10, PAPER)
    return [
        _step_case(
            f"a fresh tiny network, a batch of 2 (127 / 255 crops, 17 x 17 labels), {STEPS} steps",
            0,
            2,
            255,
            [(0, 0), (1, -0.5)],
            1e-2,
        ),
        _step_case(
            f"a network handed over in eval mode, a batch of 3 (search 159, 5 x 5 map), "
            f"{STEPS} steps",
            1,
            3,
            159,
            [(0, 0), (-1, 0.5), (0.5, 1)],
            1e-2,
            eval_mode=True,
        ),
        _step_case(
            f"a batch of one, search 191 (9 x 9 map), epoch 10's rate {lr_10:.3g}, {STEPS} steps",
            2,
            1,
            191,
            [(0.5, -0.5)],
            lr_10,
        ),
    ]


def check_train_step(fn: Callable) -> Verdict:
    """Exercise 3: `fn(model, optimizer, z, x, labels)` -> the loss, against `train_step`."""
    return check(
        "train_step",
        _steps(fn),
        _remembered(reference_train_step),
        step_cases(),
        [Mistake(m.name, m.hint, _remembered(m.fn)) for m in STEP_MISTAKES],
        compare=compare_steps,
        hint="model.train(); loss of model(z, x); zero_grad, backward, step",
    )
