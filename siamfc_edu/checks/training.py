"""Checks of exercise notebook 05 (training): the rate schedule, the optimiser, one SGD step.

- `check_learning_rate` serves exercise 1, `learning_rate(epoch, epochs, lr_initial, lr_final)`:
  the geometric decay of the rate, against `siamfc_edu.train.learning_rate`. The answer must be
  a number, not a tensor: the training loop writes it into the optimiser and its log;
- `check_make_sgd` serves exercise 2, `make_sgd(model, lr, momentum, weight_decay)`: the
  optimiser, against `siamfc_edu.train.make_optimizer` (its kind, the parameters it holds and
  the settings of each, Nesterov and dampening included);
- `check_train_step` serves exercise 3, `train_step(model, optimizer, z, x, labels)`: one SGD step
  on the balanced logistic loss. The learner's step and the library's `train_step` each take TWO
  steps on copies of the same seeded tiny network and batch (a forgotten `zero_grad` shows only in
  the second). The check compares the losses (numbers, not tensors), whether the loss's gradient
  reached the network's weights, how every weight moved, and the batch-norm statistics. The model
  and the optimiser are meant to change; z, x and labels are not.

The exercises take arguments a learner can pass by hand (numbers, not a preset), so the references
(`reference_learning_rate`, ...) call the library's functions with a preset made of them. Each
exercise is an `Exercise` (LEARNING_RATE, MAKE_SGD, TRAIN_STEP) with its typical mistakes.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from functools import cache, wraps

import torch
import torch.nn.functional as F
from torch import nn

from ..config import get_preset
from ..losses import logistic_labels, logistic_loss
from ..model import build_model
from ..train import learning_rate, make_optimizer, train_step
from . import Case, Exercise, Mistake, Verdict, compare_arrays, graded, same_kind, type_name

PAPER = get_preset("paper")  # epochs 50, lr 1e-2 -> 1e-5, momentum 0.9, weight decay 5e-4
TINY = get_preset("tiny")  # the same recipe, a sixth of the channels: the network of the cases
STEPS = 2  # steps of each train_step case: a forgotten zero_grad shows in the second

# ============================================================================= exercise 1

LR_TITLE = "learning_rate"
WHY_A_NUMBER = "the training loop writes the rate into the optimiser's settings and into its log"


def reference_learning_rate(epoch: int, epochs: int, lr_initial: float, lr_final: float) -> float:
    """The library's `learning_rate(epoch, cfg)` for a preset with these epochs and end points."""
    cfg = PAPER.replace(epochs=epochs, lr_initial=lr_initial, lr_final=lr_final)
    return learning_rate(epoch, cfg)


def compare_rate(got: object, expected: float) -> str:
    """'' when got is a number within 1e-6 (relative) of the expected rate; else what differs."""
    problem = same_kind(got, expected)
    if problem:
        return f"{problem}: {WHY_A_NUMBER}"
    if not math.isclose(float(got), expected, rel_tol=1e-6, abs_tol=1e-15):
        return f"the rate is {float(got):.6g}, expected {expected:.6g}"
    return ""


def _geometric(epoch, epochs, lr_initial, lr_final, exponent=None):
    """lr_initial * (lr_final / lr_initial) ** exponent; by default epoch / (epochs - 1)."""
    if exponent is None:
        exponent = epoch / (epochs - 1)
    return lr_initial * (lr_final / lr_initial) ** exponent


def _one_epoch_kept(rate: Callable) -> Callable:
    """A mistaken schedule that still trains a 1-epoch run at lr_initial, as the statement says."""
    return lambda e, epochs, lr0, lr1: lr0 if epochs <= 1 else rate(e, epochs, lr0, lr1)


LR_MISTAKES = [
    Mistake(
        "a linear decay instead of a geometric one",
        "multiply by the same factor every epoch: lr_initial * ratio ** (e / (E - 1))",
        _one_epoch_kept(lambda e, epochs, lr0, lr1: lr0 + (lr1 - lr0) * e / (epochs - 1)),
    ),
    Mistake(
        "the exponent over epochs instead of epochs - 1 (lr_final is never reached)",
        "epochs are numbered 0 .. E - 1: the last one, E - 1, must give lr_final",
        lambda e, epochs, lr0, lr1: _geometric(e, epochs, lr0, lr1, e / epochs),
    ),
    Mistake(
        "the decay the wrong way round, from lr_final up to lr_initial",
        "epoch 0 trains at lr_initial (1e-2); the rate falls to lr_final (1e-5)",
        _one_epoch_kept(lambda e, epochs, lr0, lr1: _geometric(e, epochs, lr1, lr0)),
    ),
    Mistake(
        "the epochs counted from 1 (epoch 0 is the first epoch)",
        "epoch 0 must give lr_initial exactly: the exponent is e / (E - 1), not (e - 1) / (E - 1)",
        _one_epoch_kept(lambda e, epochs, lr0, lr1: _geometric(e - 1, epochs, lr0, lr1)),
    ),
    Mistake(
        "the rate at the end of each epoch: (epoch + 1) / epochs",
        "epoch 0 trains at lr_initial and epoch E - 1 at lr_final: the exponent is e / (E - 1)",
        lambda e, epochs, lr0, lr1: _geometric(e, epochs, lr0, lr1, (e + 1) / epochs),
    ),
    Mistake(
        "an integer division in the exponent: epoch // (epochs - 1)",
        "// rounds the exponent down to 0 until the last epoch: divide with /",
        _one_epoch_kept(
            lambda e, epochs, lr0, lr1: _geometric(e, epochs, lr0, lr1, e // (epochs - 1))
        ),
    ),
    Mistake(
        "the whole ratio lr_final / lr_initial applied every epoch",
        "the ratio is spread over the run: each epoch multiplies by ratio ** (1 / (E - 1))",
        lambda e, epochs, lr0, lr1: _geometric(e, epochs, lr0, lr1, e),
    ),
    Mistake(
        "the paper's factor per epoch (0.8685, for 50 epochs) used for every run length",
        "compute the factor from the arguments: (lr_final / lr_initial) ** (1 / (epochs - 1))",
        lambda e, epochs, lr0, lr1: lr0 * (1e-3 ** (1 / 49)) ** e,
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

LEARNING_RATE = Exercise(
    LR_TITLE,
    reference_learning_rate,
    LR_CASES,
    LR_MISTAKES,
    compare=compare_rate,
    hint="lr_initial * (lr_final / lr_initial) ** (epoch / (epochs - 1)), a Python float; "
    "lr_initial when epochs is 1",
)


@graded
def check_learning_rate(fn: Callable) -> Verdict:
    """Exercise 1: `fn(epoch, epochs, lr_initial, lr_final)` against the library's schedule."""
    return LEARNING_RATE.check(fn)


# ============================================================================= exercise 2

SGD_TITLE = "make_sgd"
SETTINGS = ("lr", "momentum", "weight_decay", "dampening", "nesterov", "maximize")


def reference_make_sgd(
    model: nn.Module, lr: float, momentum: float, weight_decay: float
) -> torch.optim.Optimizer:
    """The library's `make_optimizer(model, cfg)` for a preset with these settings."""
    cfg = PAPER.replace(lr_initial=lr, momentum=momentum, weight_decay=weight_decay)
    return make_optimizer(model, cfg)


def with_model(fn: Callable) -> Callable:
    """fn(model, ...) -> (its optimiser, model): the comparison then knows the model's parameters.

    None stays None (a missing `return`); a function wrapped already is returned as it is.
    """
    if getattr(fn, "returns_model", False):
        return fn

    @wraps(fn)
    def call(model, *args, **kwargs):
        optimizer = fn(model, *args, **kwargs)
        return None if optimizer is None else (optimizer, model)

    call.returns_model = True
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


def _parameters_problem(held: dict, others: int, want: dict) -> str:
    """'' when the optimiser holds exactly the model's own parameters; else what it holds."""
    if others:
        return (f"it holds {others} tensors that are not the model's parameters (copies?): "
                "give it model.parameters() itself")  # fmt: skip
    missing = [name for name in want if name not in held]
    if missing:
        shown = ", ".join(missing[:3]) + (", ..." if len(missing) > 3 else "")
        return (
            f"it holds {len(held)} of the model's {len(want)} parameter tensors; missing: {shown}"
        )
    return ""


def compare_optimizers(got: tuple, expected: tuple) -> str:
    """'' when got is the same optimiser as expected: kind, parameters held, their settings."""
    got_opt, got_model = got
    want_opt, want_model = expected
    if not isinstance(got_opt, torch.optim.Optimizer):
        return (f"returned {type_name(got_opt)}; expected a torch.optim.SGD (the training step "
                "calls its zero_grad() and step())")  # fmt: skip
    kind, want_kind = type(got_opt), type(want_opt)
    if kind is not want_kind:
        return f"a torch.optim.{kind.__name__}, expected a torch.optim.{want_kind.__name__}"
    if kind is not torch.optim.SGD:  # the same wrong kind as a typical mistake, whatever its
        return ""  # settings: close enough to name it (the reference is always an SGD)
    held, others = _held(got_opt, got_model)
    want, _ = _held(want_opt, want_model)
    return _parameters_problem(held, others, want) or _setting_problem(held, want)


def _sgd(params, lr, momentum, weight_decay, **more):
    """torch.optim.SGD with its settings named."""
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay, **more)


def _decay_weights_only(model, lr, momentum, weight_decay):
    """A modern habit: no weight decay on biases and batch-norm parameters (1-d tensors)."""
    decay = [p for p in model.parameters() if p.dim() > 1]
    rest = [p for p in model.parameters() if p.dim() <= 1]
    groups = [{"params": decay}, {"params": rest, "weight_decay": 0.0}]
    return _sgd(groups, lr, momentum, weight_decay)


def _no_decay_on_batch_norm(model, lr, momentum, weight_decay):
    """No weight decay on the batch norms' scales and shifts; the convolutions' biases decay."""
    norms = {
        id(p) for m in model.modules() if isinstance(m, nn.BatchNorm2d) for p in m.parameters()
    }
    decay = [p for p in model.parameters() if id(p) not in norms]
    rest = [p for p in model.parameters() if id(p) in norms]
    groups = [{"params": decay}, {"params": rest, "weight_decay": 0.0}]
    return _sgd(groups, lr, momentum, weight_decay)


SGD_MISTAKES = [
    Mistake(
        "Adam instead of SGD",
        "the recipe is plain SGD with momentum: torch.optim.SGD",
        lambda model, lr, momentum, wd: torch.optim.Adam(
            model.parameters(), lr=lr, weight_decay=wd
        ),
    ),
    Mistake(
        "no weight decay",
        "pass weight_decay=weight_decay: it pulls every weight towards 0",
        lambda model, lr, momentum, wd: _sgd(model.parameters(), lr, momentum, 0.0),
    ),
    Mistake(
        "the weight decay passed by position, where SGD expects dampening",
        "SGD(params, lr, momentum, dampening, weight_decay): name it, weight_decay=...",
        lambda model, lr, momentum, wd: torch.optim.SGD(model.parameters(), lr, momentum, wd),
    ),
    Mistake(
        "no momentum",
        "pass momentum=momentum: without it SGD forgets the previous steps",
        lambda model, lr, momentum, wd: _sgd(model.parameters(), lr, 0.0, wd),
    ),
    Mistake(
        "Nesterov momentum (nesterov=True)",
        "the recipe's momentum is the plain (heavy-ball) kind of the formula above: "
        "leave nesterov at its default, False",
        lambda model, lr, momentum, wd: _sgd(model.parameters(), lr, momentum, wd, nesterov=True),
    ),
    Mistake(
        "the momentum as an average of the gradients (dampening=momentum)",
        "b = momentum * b + g adds each gradient whole: leave dampening at 0",
        lambda model, lr, momentum, wd: _sgd(
            model.parameters(), lr, momentum, wd, dampening=momentum
        ),
    ),
    Mistake(
        "only the backbone's parameters (the head's bias is left out)",
        "model.parameters() holds every parameter, the head's bias included",
        lambda model, lr, momentum, wd: _sgd(model.backbone.parameters(), lr, momentum, wd),
    ),
    Mistake(
        "no weight decay on the biases and batch norms",
        "a modern habit, not the recipe's: one group, the same decay for every parameter",
        _decay_weights_only,
    ),
    Mistake(
        "no weight decay on the batch-norm parameters",
        "the library decays every parameter, batch norms included: one group, one weight_decay",
        _no_decay_on_batch_norm,
    ),
    Mistake(
        "the recipe's numbers written in instead of the arguments",
        "use lr, momentum and weight_decay as given: the rate changes every epoch",
        lambda model, lr, momentum, wd: _sgd(model.parameters(), 1e-2, 0.9, 5e-4),
    ),
]


def _seeded(build: Callable[[], nn.Module], seed: int = 0) -> nn.Module:
    """A network initialised from its own seed, leaving the global random state as it was."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return build()


def _toy_network() -> nn.Module:
    """A backbone of two Linear layers and a Linear head: biases, but no batch norm."""
    backbone = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    return nn.ModuleDict({"backbone": backbone, "head": nn.Linear(2, 1)})


@cache
def sgd_cases() -> list[Case]:
    """The inputs of check_make_sgd (networks built once, on first use)."""
    lr_10 = learning_rate(10, PAPER)
    toy = _seeded(_toy_network)
    return [
        Case(
            "the tiny network with the paper's settings (lr 1e-2, momentum 0.9, decay 5e-4)",
            (_seeded(lambda: build_model(TINY)), 1e-2, 0.9, 5e-4),
        ),
        Case(
            f"the tiny network at epoch 10's rate (lr {lr_10:.3g}), momentum 0.5, decay 1e-4",
            (_seeded(lambda: build_model(TINY), 1), lr_10, 0.5, 1e-4),
        ),
        Case("a toy network of Linear layers (no batch norm)", (toy, 0.1, 0.9, 1e-3)),
        Case(
            "the paper's full-width network (SiamFC-3s)",
            (_seeded(lambda: build_model(PAPER), 2), 1e-2, 0.9, 5e-4),
        ),
    ]


MAKE_SGD = Exercise(
    SGD_TITLE,
    with_model(reference_make_sgd),
    sgd_cases,
    [Mistake(m.name, m.hint, with_model(m.fn)) for m in SGD_MISTAKES],
    compare=compare_optimizers,
    hint="torch.optim.SGD(model.parameters(), lr=..., momentum=..., weight_decay=...)",
)


@graded
def check_make_sgd(fn: Callable) -> Verdict:
    """Exercise 2: `fn(model, lr, momentum, weight_decay)` against `make_optimizer`."""
    return MAKE_SGD.check(with_model(fn))


# ============================================================================= exercise 3

STEP_TITLE = "train_step"
WHY_A_FLOAT = (
    "the training loop adds up an epoch's losses for its log, and a tensor would keep each "
    "step's graph alive"
)
CUT_OFF = "the loss cut off from the network before backward() (.detach(), .item(), no_grad)"
CUT_OFF_HINT = (
    "compute the loss from model(z, x) as it is, call backward() on that tensor, "
    "and take loss.item() only to return it"
)
CUT_OFF_ERRORS = ("does not require grad", "has no attribute 'backward'")


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


def _watch_gradients(model: nn.Module, reached: set) -> list:
    """Hooks that add a parameter's name to `reached` whenever backward() computes its gradient."""
    return [
        p.register_hook(lambda grad, name=name: reached.add(name))
        for name, p in model.named_parameters()
        if p.requires_grad
    ]


def _steps(fn: Callable) -> Callable:
    """fn run STEPS times on one network: its losses, the parameters backward() reached, how each
    weight moved, the buffers after. None when every step returned None (a missing `return`)."""
    if getattr(fn, "runs_steps", False):
        return fn

    @wraps(fn)
    def run(model, optimizer, z, x, labels, key=None):
        before = {name: p.detach().clone() for name, p in model.named_parameters()}
        reached: set[str] = set()
        hooks = _watch_gradients(model, reached)
        try:
            losses = [fn(model, optimizer, z, x, labels) for _ in range(STEPS)]
        finally:
            for hook in hooks:
                hook.remove()
        if all(loss is None for loss in losses):
            return None
        change = {name: p.detach() - before[name] for name, p in model.named_parameters()}
        buffers = {name: b.detach().clone() for name, b in model.named_buffers()}
        return {"losses": losses, "reached": reached, "change": change, "buffers": buffers}

    run.runs_steps = True
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

    run.runs_steps = True
    return run


def _returned_problem(got: list, expected: list) -> str:
    """'' when every step returned its loss as a number; else the first step that did not."""
    for i, (loss, want) in enumerate(zip(got, expected, strict=True), 1):
        if loss is None:
            return f"step {i} returned None: is a `return` missing?"
        problem = same_kind(loss, want)
        if problem:
            return f"step {i} {problem}: {WHY_A_FLOAT}"
    return ""


def _losses_problem(got: list, expected: list) -> str:
    """'' when every step's loss is the expected one; else the first that is not."""
    for i, (loss, want) in enumerate(zip(got, expected, strict=True), 1):
        if not math.isclose(float(loss), want, rel_tol=1e-5, abs_tol=1e-7):
            return f"the loss of step {i} is {float(loss):.6g}, expected {want:.6g}"
    return ""


def _gradient_problem(reached: set, expected: set) -> str:
    """'' when backward() reached the same parameters as the reference's; else what it reached."""
    if expected and not reached:
        return ("no gradient of the loss reached the network's weights: backward() ran on a "
                "loss cut off from model(z, x)")  # fmt: skip
    if reached != expected:
        return (f"the loss's gradient reached {len(reached)} of the network's parameter "
                f"tensors, expected {len(expected)}")  # fmt: skip
    return ""


def _weights_problem(change: dict, expected: dict) -> str:
    """'' when every weight moved as the reference's did over the steps; else the first that not."""
    scale = max(float(d.abs().max()) for d in expected.values())
    if scale > 0 and all(not d.any() for d in change.values()):
        return f"the weights did not change over the {STEPS} steps"
    for name, want in expected.items():
        problem = compare_arrays(change[name], want, atol=1e-3 * scale, rtol=1e-2)
        if problem:
            return f"how {name} moved over the {STEPS} steps: {problem}"
    return ""


def _buffers_problem(buffers: dict, expected: dict) -> str:
    """'' when the batch norms' running statistics agree after the steps; else the first not."""
    for name, want in expected.items():
        problem = compare_arrays(buffers[name], want, atol=1e-4, rtol=1e-3)
        if problem:
            return f"after the {STEPS} steps, the batch-norm buffer {name}: {problem}"
    return ""


def compare_steps(got: dict, expected: dict) -> str:
    """'' when the steps agree: the losses' type, the gradient's reach, the losses, every weight's
    move, the buffers."""
    return (
        _returned_problem(got["losses"], expected["losses"])
        or _gradient_problem(got["reached"], expected["reached"])
        or _losses_problem(got["losses"], expected["losses"])
        or _weights_problem(got["change"], expected["change"])
        or _buffers_problem(got["buffers"], expected["buffers"])
    )


# the typical mistakes, written as a learner would write the whole step


def _update(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> float:
    """The three calls of a PyTorch step, in their order; the loss as a float."""
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def _no_train_call(model, optimizer, z, x, labels):
    return _update(optimizer, logistic_loss(model(z, x), labels[:, None]))


def _eval_call(model, optimizer, z, x, labels):
    model.eval()
    return _update(optimizer, logistic_loss(model(z, x), labels[:, None]))


def _no_zero_grad(model, optimizer, z, x, labels):
    model.train()
    loss = logistic_loss(model(z, x), labels[:, None])
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_before_backward(model, optimizer, z, x, labels):
    model.train()
    loss = logistic_loss(model(z, x), labels[:, None])
    optimizer.zero_grad()
    optimizer.step()
    loss.backward()
    return loss.item()


def _with_loss(loss_fn: Callable) -> Callable:
    """A right step whose loss is loss_fn(scores, labels) instead of the balanced logistic loss."""

    def step(model, optimizer, z, x, labels):
        model.train()
        return _update(optimizer, loss_fn(model(z, x), labels))

    return step


def _plain_bce(scores, labels):
    return F.binary_cross_entropy_with_logits(scores, ((labels[:, None] + 1) / 2).expand_as(scores))


def _summed_over_pairs(scores, labels):
    return sum(logistic_loss(scores[i], labels[i]) for i in range(len(labels)))


def _scores_detached(model, optimizer, z, x, labels):
    model.train()
    scores = model(z, x).detach().requires_grad_()  # "fixes" backward()'s error
    return _update(optimizer, logistic_loss(scores, labels[:, None]))


def _loss_after(model, optimizer, z, x, labels):
    _with_loss(lambda s, y: logistic_loss(s, y[:, None]))(model, optimizer, z, x, labels)
    with torch.no_grad():
        return logistic_loss(model(z, x), labels[:, None]).item()


STEP_MISTAKES = [
    Mistake(
        "the network in eval mode during the step (no model.train())",
        "call model.train() first: batch norm must use the batch's statistics",
        _no_train_call,
    ),
    Mistake(
        "model.eval() where model.train() belongs",
        "training mode is model.train(): batch norm then normalises with the batch's statistics "
        "and updates its running averages",
        _eval_call,
    ),
    Mistake(
        "no optimizer.zero_grad() (the gradients of the steps add up)",
        "backward() adds to .grad: call optimizer.zero_grad() first",
        _no_zero_grad,
    ),
    Mistake(
        "the gradients cleared before step() used them (step() before backward(), "
        "or zero_grad() after it)",
        "the order is zero_grad(), backward(), then step()",
        _step_before_backward,
    ),
    Mistake(
        CUT_OFF,
        CUT_OFF_HINT,
        _scores_detached,
    ),
    Mistake(
        "an unbalanced loss (a plain binary cross-entropy)",
        "use logistic_loss(scores, labels[:, None]): each class weighs 1/2",
        _with_loss(_plain_bce),
    ),
    Mistake(
        "the labels turned into 0/1 (logistic_loss takes labels of +1 and -1)",
        "pass the labels as they are: log(1 + exp(-y v)) needs y = -1 on the background",
        _with_loss(lambda s, y: logistic_loss(s, (y[:, None] + 1) / 2)),
    ),
    Mistake(
        "the labels with the wrong sign",
        "pass the labels as they are: +1 on the target, -1 elsewhere",
        _with_loss(lambda s, y: logistic_loss(s, -y[:, None])),
    ),
    Mistake(
        "a sigmoid applied to the scores before the loss",
        "logistic_loss takes the raw scores v: the sigmoid is inside log(1 + exp(-y v))",
        _with_loss(lambda s, y: logistic_loss(torch.sigmoid(s), y[:, None])),
    ),
    Mistake(
        "one label map for the whole batch (the first pair's)",
        "each pair has its own label map: labels[:, None] pairs map b with scores b",
        _with_loss(lambda s, y: logistic_loss(s, y[:1, None])),
    ),
    Mistake(
        "the losses of the pairs summed instead of averaged",
        "logistic_loss(scores, labels[:, None]) averages over the batch: the step's size must "
        "not grow with the batch",
        _with_loss(_summed_over_pairs),
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


TRAIN_STEP = Exercise(
    STEP_TITLE,
    _remembered(reference_train_step),
    step_cases,
    [Mistake(m.name, m.hint, _remembered(m.fn)) for m in STEP_MISTAKES],
    compare=compare_steps,
    hint="model.train(); the loss of model(z, x); zero_grad, backward, step; return loss.item()",
    may_change=(0, 1),  # the step trains the model and moves the optimiser's momentum
)


def named_cut_off(verdict: Verdict) -> Verdict:
    """An error that says backward() had no graph to follow, with the mistake named."""
    if verdict.status != "error" or not any(e in verdict.message for e in CUT_OFF_ERRORS):
        return verdict
    message = f"{verdict.message} Likely mistake: {CUT_OFF}. Hint: {CUT_OFF_HINT}."
    return Verdict("error", message, CUT_OFF)


@graded
def check_train_step(fn: Callable) -> Verdict:
    """Exercise 3: `fn(model, optimizer, z, x, labels)` -> the loss, against `train_step`."""
    return named_cut_off(TRAIN_STEP.check(_steps(fn)))
