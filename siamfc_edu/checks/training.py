"""Checks of exercise notebook 05 (training): the rate schedule, the optimiser, one SGD step.

Each exercise has the signature of the library function it rebuilds, and is compared with that
function itself:
- `check_learning_rate` serves exercise 1, `learning_rate(epoch, cfg) -> float`: the geometric
  decay of the rate, once per epoch, against `siamfc_edu.train.learning_rate`. The answer must
  be a number, not a tensor: the training loop writes it into the optimiser and its log;
- `check_make_optimizer` serves exercise 2, `make_optimizer(model, cfg) -> torch.optim.SGD`: the
  optimiser, against `siamfc_edu.train.make_optimizer` (its kind, the parameters it holds and
  the settings of each, Nesterov and dampening included);
- `check_train_step` serves exercise 3, `train_step(model, batch, optimizer, scaler, device)
  -> torch.Tensor`: one SGD step on the balanced logistic loss, its loss returned detached. The
  learner's step and the library's `train_step` each take TWO steps on copies of the same seeded
  tiny network and batch (a forgotten `zero_grad` shows only in the second), one case with the
  loss scaling of mixed precision on. The check compares the losses (detached float32 tensors),
  whether the loss's gradient reached the network's weights, how every weight moved, the
  batch-norm statistics and the scaler's state. The model, the optimiser and the scaler are
  meant to change; the batch is not.

Each exercise is an `Exercise` (LEARNING_RATE, MAKE_OPTIMIZER, TRAIN_STEP) with its typical
mistakes; each comparison takes `kind` (see `values_only`), so that an answer of the wrong type
still gets its mistake named.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from functools import cache, wraps

import torch
import torch.nn.functional as F
from torch import nn

from ..config import SiamFCConfig, get_preset
from ..losses import logistic_labels, logistic_loss
from ..model import build_model
from ..train import learning_rate, make_optimizer, train_step
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
)

PAPER = get_preset("paper")  # epochs 50, lr 1e-2 -> 1e-5, momentum 0.9, weight decay 5e-4
TINY = get_preset("tiny")  # the same recipe, a sixth of the channels: the network of the cases
STEPS = 2  # steps of each train_step case: a forgotten zero_grad shows in the second
CPU = torch.device("cpu")

# ============================================================================= exercise 1

LR_TITLE = "learning_rate"
WHY_A_NUMBER = "the training loop writes the rate into the optimiser's settings and into its log"


def compare_rate(got: object, expected: float, kind: bool = True) -> str:
    """'' when got is a number within 1e-6 (relative) of the expected rate; else what differs."""
    if kind and (problem := same_kind(got, expected)):
        return f"{problem}: {WHY_A_NUMBER}"
    try:
        value = as_array(got).reshape(-1)
    except (TypeError, ValueError):
        return f"returned {type_name(got)}; expected a number: {WHY_A_NUMBER}"
    if value.size != 1:
        return f"returned {value.size} values; expected one number, the rate of this epoch"
    if not math.isclose(float(value[0]), expected, rel_tol=1e-6, abs_tol=1e-15):
        return f"the rate is {float(value[0]):.6g}, expected {expected:.6g}"
    return ""


def _geometric(epoch: int, cfg: SiamFCConfig, exponent: float | None = None) -> float:
    """lr_initial * (lr_final / lr_initial) ** exponent; by default epoch / (epochs - 1)."""
    if exponent is None:
        exponent = epoch / (cfg.epochs - 1)
    return cfg.lr_initial * (cfg.lr_final / cfg.lr_initial) ** exponent


def _one_epoch_kept(rate: Callable) -> Callable:
    """A mistaken schedule that still trains a 1-epoch run at lr_initial, as the statement says."""
    return lambda e, cfg: cfg.lr_initial if cfg.epochs <= 1 else rate(e, cfg)


def steps_per_epoch(cfg: SiamFCConfig) -> int:
    """The SGD steps of one epoch: pairs_per_epoch // batch_size (the loader drops the rest)."""
    return cfg.pairs_per_epoch // cfg.batch_size


LR_MISTAKES = [
    Mistake(
        "a linear decay instead of a geometric one",
        "multiply by the same factor every epoch: lr_initial * ratio ** (e / (E - 1))",
        _one_epoch_kept(
            lambda e, cfg: cfg.lr_initial + (cfg.lr_final - cfg.lr_initial) * e / (cfg.epochs - 1)
        ),
    ),
    Mistake(
        "the exponent over epochs instead of epochs - 1 (lr_final is never reached)",
        "epochs are numbered 0 .. E - 1: the last one, E - 1, must give lr_final",
        lambda e, cfg: _geometric(e, cfg, e / cfg.epochs),
    ),
    Mistake(
        "the decay the wrong way round, from lr_final up to lr_initial",
        "epoch 0 trains at lr_initial (1e-2); the rate falls to lr_final (1e-5)",
        _one_epoch_kept(
            lambda e, cfg: _geometric(
                e, cfg.replace(lr_initial=cfg.lr_final, lr_final=cfg.lr_initial)
            )
        ),
    ),
    Mistake(
        "the epochs counted from 1 (epoch 0 is the first epoch)",
        "epoch 0 must give lr_initial exactly: the exponent is e / (E - 1), not (e - 1) / (E - 1)",
        _one_epoch_kept(lambda e, cfg: _geometric(e - 1, cfg)),
    ),
    Mistake(
        "the rate at the end of each epoch: (epoch + 1) / epochs",
        "epoch 0 trains at lr_initial and epoch E - 1 at lr_final: the exponent is e / (E - 1)",
        lambda e, cfg: _geometric(e, cfg, (e + 1) / cfg.epochs),
    ),
    Mistake(
        "an integer division in the exponent: epoch // (epochs - 1)",
        "// rounds the exponent down to 0 until the last epoch: divide with /",
        _one_epoch_kept(lambda e, cfg: _geometric(e, cfg, e // (cfg.epochs - 1))),
    ),
    Mistake(
        "the whole ratio lr_final / lr_initial applied every epoch",
        "the ratio is spread over the run: each epoch multiplies by ratio ** (1 / (E - 1))",
        lambda e, cfg: _geometric(e, cfg, e),
    ),
    Mistake(
        "the paper's factor per epoch (0.8685, for 50 epochs) used for every run length",
        "compute the factor from cfg: (cfg.lr_final / cfg.lr_initial) ** (1 / (cfg.epochs - 1))",
        lambda e, cfg: cfg.lr_initial * (1e-3 ** (1 / 49)) ** e,
    ),
    Mistake(
        "a per-step decay applied per epoch: the factor of one step, once per epoch",
        "the rate changes once per EPOCH (the loop sets it before the epoch's steps): spread "
        "the decay over epochs - 1 epochs, not over every step of the run",
        _one_epoch_kept(
            lambda e, cfg: _geometric(e, cfg, e / (cfg.epochs * steps_per_epoch(cfg) - 1))
        ),
    ),
]


def _run(epochs: int, lr_initial: float = 1e-2, lr_final: float = 1e-5, **more) -> SiamFCConfig:
    """The paper's preset with this schedule (and any other fields given)."""
    return PAPER.replace(epochs=epochs, lr_initial=lr_initial, lr_final=lr_final, **more)


LR_CASES = [
    Case("the paper's preset: epoch 0 of 50", (0, PAPER)),
    Case("the paper's preset: epoch 49 of 50, the last", (49, PAPER)),
    Case("the paper's preset: epoch 25 of 50, in the middle", (25, PAPER)),
    Case("the tiny preset (batches of 16): epoch 29 of 50", (29, TINY)),
    Case("a 30-epoch run: epoch 29, its last", (29, _run(30))),
    Case("a 4-epoch run of 800 pairs (100 steps) per epoch: epoch 2",
         (2, _run(4, pairs_per_epoch=800))),
    Case("other end points, 0.1 -> 1e-4 over 10 epochs: epoch 3", (3, _run(10, 0.1, 1e-4))),
    Case("a 2-epoch run: epoch 1, the last", (1, _run(2))),
    Case("a 1-epoch run: epoch 0 (lr_initial)", (0, _run(1))),
]  # fmt: skip

LEARNING_RATE = Exercise(
    LR_TITLE,
    learning_rate,
    LR_CASES,
    LR_MISTAKES,
    compare=compare_rate,
    hint="cfg.lr_initial * (cfg.lr_final / cfg.lr_initial) ** (epoch / (cfg.epochs - 1)), a "
    "Python float; cfg.lr_initial when cfg.epochs is 1",
)


@graded
def check_learning_rate(fn: Callable) -> Verdict:
    """Exercise 1: `fn(epoch, cfg)` against the library's `learning_rate`."""
    return LEARNING_RATE.check(fn)


# ============================================================================= exercise 2

SGD_TITLE = "make_optimizer"
SETTINGS = ("lr", "momentum", "weight_decay", "dampening", "nesterov", "maximize")


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


def _recipe(params, cfg: SiamFCConfig, **changed):
    """torch.optim.SGD with cfg's rate, momentum and weight decay, some of them changed."""
    settings = {"lr": cfg.lr_initial, "momentum": cfg.momentum, "weight_decay": cfg.weight_decay}
    return torch.optim.SGD(params, **(settings | changed))


def _decay_weights_only(model, cfg):
    """A modern habit: no weight decay on biases and batch-norm parameters (1-d tensors)."""
    decay = [p for p in model.parameters() if p.dim() > 1]
    rest = [p for p in model.parameters() if p.dim() <= 1]
    return _recipe([{"params": decay}, {"params": rest, "weight_decay": 0.0}], cfg)


def _no_decay_on_batch_norm(model, cfg):
    """No weight decay on the batch norms' scales and shifts; the convolutions' biases decay."""
    norms = {
        id(p) for m in model.modules() if isinstance(m, nn.BatchNorm2d) for p in m.parameters()
    }
    decay = [p for p in model.parameters() if id(p) not in norms]
    rest = [p for p in model.parameters() if id(p) in norms]
    return _recipe([{"params": decay}, {"params": rest, "weight_decay": 0.0}], cfg)


SGD_MISTAKES = [
    Mistake(
        "Adam instead of SGD",
        "the recipe is plain SGD with momentum: torch.optim.SGD",
        lambda model, cfg: torch.optim.Adam(
            model.parameters(), lr=cfg.lr_initial, weight_decay=cfg.weight_decay
        ),
    ),
    Mistake(
        "no weight decay",
        "pass weight_decay=cfg.weight_decay: it pulls every weight towards 0",
        lambda model, cfg: _recipe(model.parameters(), cfg, weight_decay=0.0),
    ),
    Mistake(
        "the weight decay passed by position, where SGD expects dampening",
        "SGD(params, lr, momentum, dampening, weight_decay): name it, weight_decay=...",
        lambda model, cfg: torch.optim.SGD(
            model.parameters(), cfg.lr_initial, cfg.momentum, cfg.weight_decay
        ),
    ),
    Mistake(
        "no momentum",
        "pass momentum=cfg.momentum: without it SGD forgets the previous steps",
        lambda model, cfg: _recipe(model.parameters(), cfg, momentum=0.0),
    ),
    Mistake(
        "Nesterov momentum (nesterov=True)",
        "the recipe's momentum is the plain (heavy-ball) kind of the formula above: "
        "leave nesterov at its default, False",
        lambda model, cfg: _recipe(model.parameters(), cfg, nesterov=True),
    ),
    Mistake(
        "the momentum as an average of the gradients (dampening=momentum)",
        "b = momentum * b + g adds each gradient whole: leave dampening at 0",
        lambda model, cfg: _recipe(model.parameters(), cfg, dampening=cfg.momentum),
    ),
    Mistake(
        "only the backbone's parameters (the head's bias is left out)",
        "model.parameters() holds every parameter, the head's bias included",
        lambda model, cfg: _recipe(model.backbone.parameters(), cfg),
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
        "the paper's numbers written in instead of cfg's",
        "read the settings from cfg (cfg.lr_initial, cfg.momentum, cfg.weight_decay): a run "
        "may change any of them",
        lambda model, cfg: torch.optim.SGD(
            model.parameters(), lr=1e-2, momentum=0.9, weight_decay=5e-4
        ),
    ),
    Mistake(
        "the final rate cfg.lr_final instead of cfg.lr_initial",
        "the optimiser starts at the first epoch's rate, cfg.lr_initial; the loop then sets each "
        "epoch's rate, learning_rate(epoch, cfg)",
        lambda model, cfg: _recipe(model.parameters(), cfg, lr=cfg.lr_final),
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
    """The inputs of check_make_optimizer (networks built once, on first use)."""
    lr_10 = learning_rate(10, PAPER)
    other = PAPER.replace(lr_initial=lr_10, momentum=0.5, weight_decay=1e-4)
    toy = _seeded(_toy_network)
    return [
        Case(
            "the tiny network with the paper's settings (lr 1e-2, momentum 0.9, decay 5e-4)",
            (_seeded(lambda: build_model(TINY)), TINY),
        ),
        Case(
            f"the tiny network, a preset with lr_initial {lr_10:.3g}, momentum 0.5, decay 1e-4",
            (_seeded(lambda: build_model(TINY), 1), other),
        ),
        Case(
            "a toy network of Linear layers (no batch norm), lr 0.1, decay 1e-3",
            (toy, PAPER.replace(lr_initial=0.1, weight_decay=1e-3)),
        ),
        Case(
            "the paper's full-width network (SiamFC-3s) with the paper's preset",
            (_seeded(lambda: build_model(PAPER), 2), PAPER),
        ),
    ]


MAKE_OPTIMIZER = Exercise(
    SGD_TITLE,
    with_model(make_optimizer),
    sgd_cases,
    [Mistake(m.name, m.hint, with_model(m.fn)) for m in SGD_MISTAKES],
    compare=compare_optimizers,
    hint="torch.optim.SGD(model.parameters(), lr=cfg.lr_initial, momentum=cfg.momentum, "
    "weight_decay=cfg.weight_decay)",
)


@graded
def check_make_optimizer(fn: Callable) -> Verdict:
    """Exercise 2: `fn(model, cfg)` against the library's `make_optimizer`."""
    return MAKE_OPTIMIZER.check(with_model(fn))


# ============================================================================= exercise 3

STEP_TITLE = "train_step"
WHY_A_TENSOR = (
    "the training loop checks it with torch.isfinite(loss) and adds it to the epoch's total, "
    "which both take a tensor"
)
WHY_DETACHED = (
    "return loss.detach(): the loop adds every step's loss to the epoch's total, and a loss "
    "still attached to its graph keeps each step's graph in memory"
)
CUT_OFF = "the loss cut off from the network before backward() (.detach(), .item(), no_grad)"
CUT_OFF_HINT = (
    "compute the loss from model(z, x) as it is, call backward() on that tensor (through "
    "scaler.scale(loss)), and detach it only to return it"
)
CUT_OFF_ERRORS = ("does not require grad", "has no attribute 'backward'")
SCALER_CALLS = "scaler.scale(loss).backward(), then scaler.step(optimizer) and scaler.update()"


def _watch_gradients(model: nn.Module, reached: set) -> list:
    """Hooks that add a parameter's name to `reached` whenever backward() computes its gradient."""
    return [
        p.register_hook(lambda grad, name=name: reached.add(name))
        for name, p in model.named_parameters()
        if p.requires_grad
    ]


def _steps(fn: Callable) -> Callable:
    """fn run STEPS times on one network: its losses, the parameters backward() reached, how each
    weight moved, the buffers and the scaler's state after. None when every step returned None
    (a missing `return`)."""
    if getattr(fn, "runs_steps", False):
        return fn

    @wraps(fn)
    def run(model, batch, optimizer, scaler, device, key=None):
        before = {name: p.detach().clone() for name, p in model.named_parameters()}
        reached: set[str] = set()
        hooks = _watch_gradients(model, reached)
        try:
            losses = [fn(model, batch, optimizer, scaler, device) for _ in range(STEPS)]
        finally:
            for hook in hooks:
                hook.remove()
        if all(loss is None for loss in losses):
            return None
        change = {name: p.detach() - before[name] for name, p in model.named_parameters()}
        buffers = {name: b.detach().clone() for name, b in model.named_buffers()}
        return {"losses": losses, "reached": reached, "change": change, "buffers": buffers,
                "scaler": scaler.state_dict()}  # fmt: skip

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


def _returned_problem(got: list, expected: list, kind: bool) -> str:
    """'' when every step returned its loss, a detached tensor like the library's (the type only
    when kind); else the first step that did not."""
    for i, (loss, want) in enumerate(zip(got, expected, strict=True), 1):
        if loss is None:
            return f"step {i} returned None: is a `return` missing?"
        if not kind:
            continue
        if problem := same_kind(loss, want):
            return f"step {i} {problem}: {WHY_A_TENSOR}"
        if loss.requires_grad:
            return f"step {i} returned the loss still attached to its graph: {WHY_DETACHED}"
    return ""


def _losses_problem(got: list, expected: list) -> str:
    """'' when every step's loss is the expected one; else the first that is not."""
    for i, (loss, want) in enumerate(zip(got, expected, strict=True), 1):
        try:
            value = as_array(loss).reshape(-1)
        except (TypeError, ValueError):
            return f"step {i} returned {type_name(loss)}; expected the loss"
        if value.size != 1:
            return f"step {i} returned {value.size} values; expected one loss"
        if not math.isclose(float(value[0]), float(want), rel_tol=1e-5, abs_tol=1e-7):
            return f"the loss of step {i} is {float(value[0]):.6g}, expected {float(want):.6g}"
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


def _scaler_problem(state: dict, expected: dict) -> str:
    """'' when the loss scaler ends in the reference's state; else what its state says."""
    if state == expected:
        return ""
    done, want = state.get("_growth_tracker", 0), expected.get("_growth_tracker", 0)
    if done != want:
        return (f"the loss scaler (mixed precision) recorded {done} successful steps of the "
                f"{STEPS}, expected {want}: use {SCALER_CALLS}")  # fmt: skip
    return f"the loss scaler's state after the {STEPS} steps is {state}, expected {expected}"


def compare_steps(got: dict, expected: dict, kind: bool = True) -> str:
    """'' when the steps agree: the losses' type (unless kind=False), the gradient's reach, the
    losses, every weight's move, the buffers, the loss scaler's state."""
    return (
        _returned_problem(got["losses"], expected["losses"], kind)
        or _gradient_problem(got["reached"], expected["reached"])
        or _losses_problem(got["losses"], expected["losses"])
        or _weights_problem(got["change"], expected["change"])
        or _buffers_problem(got["buffers"], expected["buffers"])
        or _scaler_problem(got["scaler"], expected["scaler"])
    )


# the typical mistakes, written as a learner would write the whole step


def _scores(model: nn.Module, batch: tuple, device: torch.device) -> tuple:
    """The score maps of the batch's pairs, and their labels, on the device."""
    z, x, labels = (t.to(device) for t in batch)
    return model(z, x), labels


def _update(optimizer, scaler, loss: torch.Tensor) -> torch.Tensor:
    """The calls of a PyTorch step with loss scaling, in their order; the loss detached."""
    optimizer.zero_grad()
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.detach()


def _with_loss(loss_fn: Callable) -> Callable:
    """A right step whose loss is loss_fn(scores, labels) instead of the balanced logistic loss."""

    def step(model, batch, optimizer, scaler, device):
        return _update(optimizer, scaler, loss_fn(*_scores(model, batch, device)))

    return step


def _right_loss(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return logistic_loss(scores, labels[:, None])


def _eval_call(model, batch, optimizer, scaler, device):
    model.eval()
    return _with_loss(_right_loss)(model, batch, optimizer, scaler, device)


def _no_zero_grad(model, batch, optimizer, scaler, device):
    loss = _right_loss(*_scores(model, batch, device))
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.detach()


def _zero_grad_after_backward(model, batch, optimizer, scaler, device):
    loss = _right_loss(*_scores(model, batch, device))
    scaler.scale(loss).backward()
    optimizer.zero_grad()
    scaler.step(optimizer)
    scaler.update()
    return loss.detach()


def _no_scaler(model, batch, optimizer, scaler, device):
    loss = _right_loss(*_scores(model, batch, device))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.detach()


def _step_on_scaled_gradients(model, batch, optimizer, scaler, device):
    loss = _right_loss(*_scores(model, batch, device))
    optimizer.zero_grad()
    scaler.scale(loss).backward()
    optimizer.step()
    return loss.detach()


def _plain_bce(scores, labels):
    return F.binary_cross_entropy_with_logits(scores, ((labels[:, None] + 1) / 2).expand_as(scores))


def _summed_over_pairs(scores, labels):
    return sum(logistic_loss(scores[i], labels[i]) for i in range(len(labels)))


def _scores_detached(model, batch, optimizer, scaler, device):
    scores, labels = _scores(model, batch, device)
    scores = scores.detach().requires_grad_()  # "fixes" backward()'s error
    return _update(optimizer, scaler, _right_loss(scores, labels))


def _loss_after(model, batch, optimizer, scaler, device):
    _with_loss(_right_loss)(model, batch, optimizer, scaler, device)
    with torch.no_grad():
        return _right_loss(*_scores(model, batch, device))


STEP_MISTAKES = [
    Mistake(
        "model.eval() in the step (the loop hands the network over in training mode)",
        "leave the network in training mode: batch norm must normalise with the batch's "
        "statistics and update its running averages",
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
        f"the order is optimizer.zero_grad(), {SCALER_CALLS}",
        _zero_grad_after_backward,
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
        "return the loss you called backward() on: loss.detach()",
        _loss_after,
    ),
]
SCALER_MISTAKES = [  # seen only with the loss scaling on: the scaled case's
    Mistake(
        "the loss scaler left out: loss.backward() and optimizer.step()",
        f"with mixed precision a float16 gradient can underflow to 0 unless the loss is scaled "
        f"first: {SCALER_CALLS} (with the scaler disabled they are the plain calls)",
        _no_scaler,
    ),
    Mistake(
        "optimizer.step() on the scaled gradients (no scaler.step(optimizer))",
        f"scaler.step(optimizer) divides the gradients by the loss's scale before the step: "
        f"{SCALER_CALLS}",
        _step_on_scaled_gradients,
    ),
]


def _images(shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    """Random RGB crops, values 0..255 like the network's real inputs."""
    return 255 * torch.rand(shape, generator=generator)


def _step_case(
    name: str, seed: int, batch: int, search: int, offsets, lr: float, scaling: bool = False
) -> Case:
    """A seeded tiny network in training mode, its optimiser, a batch (exemplars 127, search
    images `search`), a loss scaler (on the CPU: enabled only when `scaling`), the device."""
    model = _seeded(lambda: build_model(TINY), seed)
    model.train()  # as the loop hands it over: train_one_epoch calls model.train()
    optimizer = make_optimizer(model, TINY.replace(lr_initial=lr))
    g = torch.Generator().manual_seed(seed)
    z, x = _images((batch, 3, 127, 127), g), _images((batch, 3, search, search), g)
    side = (search - 127) // TINY.total_stride + 1
    radius = TINY.r_pos / TINY.total_stride
    labels = torch.stack([logistic_labels(side, radius, o) for o in offsets[:batch]])
    scaler = torch.amp.GradScaler("cpu", enabled=scaling)
    return Case(name, (model, (z, x, labels), optimizer, scaler, CPU), {"key": name})


@cache
def step_cases() -> list[Case]:
    """The inputs of check_train_step with the loss scaler disabled (built once, on first use)."""
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
            f"a batch of 3 (search 159, 5 x 5 map), {STEPS} steps",
            1,
            3,
            159,
            [(0, 0), (-1, 0.5), (0.5, 1)],
            1e-2,
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


@cache
def scaled_cases() -> list[Case]:
    """The input with the loss scaling of mixed precision on (a GradScaler enabled on the CPU)."""
    return [
        _step_case(
            f"a batch of 3 (search 159), the loss scaler of mixed precision on (scale 65536), "
            f"{STEPS} steps",
            3,
            3,
            159,
            [(0, 0), (-1, 0.5), (0.5, 1)],
            1e-2,
            scaling=True,
        )
    ]


STEP_HINT = f"the batch to the device, the loss of model(z, x); zero_grad, {SCALER_CALLS}"
MAY_CHANGE = (0, 2, 3)  # the model, the optimiser's momentum, the scaler; not the batch (1)
TRAIN_STEP = Exercise(
    STEP_TITLE,
    _remembered(train_step),
    step_cases,
    [Mistake(m.name, m.hint, _remembered(m.fn)) for m in STEP_MISTAKES],
    compare=compare_steps,
    hint=f"{STEP_HINT}; return loss.detach()",
    may_change=MAY_CHANGE,
)
SCALED_STEP = Exercise(  # checked once TRAIN_STEP passed: a step right without loss scaling
    STEP_TITLE,
    _remembered(train_step),
    scaled_cases,
    [Mistake(m.name, m.hint, _remembered(m.fn)) for m in SCALER_MISTAKES],
    compare=compare_steps,
    hint=STEP_HINT,
    may_change=MAY_CHANGE,
)


def named_cut_off(verdict: Verdict) -> Verdict:
    """An error that says backward() had no graph to follow, with the mistake named."""
    if verdict.status != "error" or not any(e in verdict.message for e in CUT_OFF_ERRORS):
        return verdict
    message = f"{verdict.message} Likely mistake: {CUT_OFF}. Hint: {CUT_OFF_HINT}."
    return Verdict("error", message, CUT_OFF)


@graded
def check_train_step(fn: Callable) -> Verdict:
    """Exercise 3: `fn(model, batch, optimizer, scaler, device)` -> the detached loss, against
    the library's `train_step`: without loss scaling, then (once that passed) with it."""
    steps = _steps(fn)
    verdict = named_cut_off(TRAIN_STEP.check(steps))
    if not verdict.passed:
        return verdict
    scaled = SCALED_STEP.check(steps)
    if not scaled.passed:
        return scaled
    cases = [*TRAIN_STEP.inputs(), *SCALED_STEP.inputs()]
    names = ", ".join(case.name for case in cases)
    return Verdict("passed", f"{STEP_TITLE}: passed on {len(cases)} inputs ({names}).")
