"""The checks of exercise notebook 05 (training): right answers pass, typical mistakes are named,
unfinished work says "not implemented yet", a crash is one line with the learner's line."""

from pathlib import Path

import jupytext
import pytest
import torch

from siamfc_edu.checks import training as checks
from siamfc_edu.losses import logistic_loss

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "05_training.py"

# name of the function the learner writes -> (checker, the library's reference, typical mistakes)
EXERCISES = {
    "learning_rate": (
        checks.check_learning_rate,
        checks.reference_learning_rate,
        checks.LR_MISTAKES,
    ),
    "make_sgd": (checks.check_make_sgd, checks.reference_make_sgd, checks.SGD_MISTAKES),
    "train_step": (checks.check_train_step, checks.reference_train_step, checks.STEP_MISTAKES),
}
MISTAKES = [(name, m) for name, (_, _, ms) in EXERCISES.items() for m in ms]


def functions_of(path: Path) -> dict:
    """The functions a notebook defines: its code cells that define one (and the imports)."""
    namespace: dict = {}
    for cell in jupytext.read(path).cells:
        source = cell.source
        if cell.cell_type == "code" and "check_" not in source:
            if "def " in source or source.startswith(("import", "from")):
                exec(compile(source, str(path), "exec"), namespace)
    return namespace


@pytest.fixture(scope="module")
def solution() -> dict:
    return functions_of(SOLUTION)


@pytest.mark.parametrize("name", EXERCISES)
def test_the_library_passes(name):
    checker, reference, _ = EXERCISES[name]
    verdict = checker(reference)
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("name", EXERCISES)
def test_the_solution_passes(name, solution):
    checker, _, _ = EXERCISES[name]
    verdict = checker(solution[name])
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("name", EXERCISES)
def test_every_checker_has_three_mistakes_or_more(name):
    mistakes = EXERCISES[name][2]
    assert len(mistakes) >= 3 and len({m.name for m in mistakes}) == len(mistakes)


@pytest.mark.parametrize("name, mistake", MISTAKES, ids=[f"{n}: {m.name}" for n, m in MISTAKES])
def test_each_typical_mistake_is_named(name, mistake):
    checker = EXERCISES[name][0]
    verdict = checker(mistake.fn)
    assert verdict.status == "wrong", verdict.message
    assert verdict.mistake == mistake.name, verdict.message
    assert f"Likely mistake: {mistake.name}. Hint: {mistake.hint}" in verdict.message


def test_the_checks_leave_the_global_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    checks.sgd_cases.cache_clear()
    checks.step_cases.cache_clear()
    checks.sgd_cases(), checks.step_cases()  # the cases build seeded networks
    assert torch.equal(torch.rand(3), expected)


def test_the_reference_runs_on_copies():
    """The cases are shared by every call: running the reference must not train their network."""
    case = checks.step_cases()[0]
    model = case.args[0]
    before = [p.detach().clone() for p in model.parameters()]
    assert checks.check_train_step(checks.reference_train_step).passed
    assert all(torch.equal(a, p) for a, p in zip(before, model.parameters(), strict=True))


# ----------------------------------------------------------------------------- written by hand
# the same mistakes as a learner would write them, not as the checks module makes them


def rate_linear_interpolation(epoch, epochs, lr_initial, lr_final):
    if epochs == 1:
        return lr_initial
    t = epoch / (epochs - 1)
    return (1 - t) * lr_initial + t * lr_final


def rate_per_epoch_factor(epoch, epochs, lr_initial, lr_final):
    """Right: the factor per epoch, raised to the epoch."""
    if epochs < 2:
        return lr_initial
    factor = (lr_final / lr_initial) ** (1 / (epochs - 1))
    return lr_initial * factor**epoch


def rate_exp_log(epoch, epochs, lr_initial, lr_final):
    """Right, through logarithms (a different rounding)."""
    import math

    if epochs == 1:
        return lr_initial
    log_rate = math.log(lr_initial) + epoch / (epochs - 1) * math.log(lr_final / lr_initial)
    return torch.tensor(math.exp(log_rate), dtype=torch.float64)


def rate_divides_by_zero(epoch, epochs, lr_initial, lr_final):
    ratio = lr_final / lr_initial
    return lr_initial * ratio ** (epoch / (epochs - 1))


def sgd_positional(model, lr, momentum, weight_decay):
    """Right: every argument by position, dampening 0 included."""
    return torch.optim.SGD(model.parameters(), lr, momentum, 0, weight_decay)


def sgd_forgot_decay(model, lr, momentum, weight_decay):
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)


def sgd_two_groups(model, lr, momentum, weight_decay):
    """Right: two groups with the same settings hold every parameter once."""
    params = list(model.parameters())
    groups = [{"params": params[:1]}, {"params": params[1:]}]
    return torch.optim.SGD(groups, lr=lr, momentum=momentum, weight_decay=weight_decay)


def sgd_adam_defaults(model, lr, momentum, weight_decay):
    return torch.optim.Adam(model.parameters())


def sgd_named_weights_only(model, lr, momentum, weight_decay):
    params = [p for name, p in model.named_parameters() if "head" not in name]
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)


def sgd_on_copies(model, lr, momentum, weight_decay):
    params = [p.detach().clone().requires_grad_() for p in model.parameters()]
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)


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
    loss = torch.nn.functional.binary_cross_entropy_with_logits(scores, targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return float(loss.detach())


def step_model_zero_grad_tensor(model, optimizer, z, x, labels):
    """Right: model.zero_grad() instead of the optimizer's, the loss returned as a tensor."""
    model.train(True)
    model.zero_grad()
    loss = logistic_loss(model(z, x), labels.unsqueeze(1))
    loss.backward()
    optimizer.step()
    return loss.detach()


def step_returns_nothing(model, optimizer, z, x, labels):
    model.train()
    loss = logistic_loss(model(z, x), labels[:, None])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


@pytest.mark.parametrize(
    "checker, learner, name",
    [
        (checks.check_learning_rate, rate_linear_interpolation, checks.LR_MISTAKES[0].name),
        (checks.check_make_sgd, sgd_forgot_decay, "no weight decay"),
        (checks.check_make_sgd, sgd_adam_defaults, "Adam instead of SGD"),
        (checks.check_make_sgd, sgd_named_weights_only, checks.SGD_MISTAKES[4].name),
        (checks.check_train_step, step_no_train_call, checks.STEP_MISTAKES[0].name),
        (checks.check_train_step, step_zero_grad_after_backward, checks.STEP_MISTAKES[2].name),
        (checks.check_train_step, step_bce_with_01_labels, checks.STEP_MISTAKES[3].name),
    ],
    ids=lambda x: getattr(x, "__name__", None) or str(x)[:30],
)
def test_a_mistake_written_differently_is_still_named(checker, learner, name):
    verdict = checker(learner)
    assert verdict.status == "wrong" and verdict.mistake == name, verdict.message


@pytest.mark.parametrize(
    "checker, learner",
    [
        (checks.check_learning_rate, rate_per_epoch_factor),
        (checks.check_learning_rate, rate_exp_log),
        (checks.check_make_sgd, sgd_two_groups),
        (checks.check_make_sgd, sgd_positional),
        (checks.check_train_step, step_model_zero_grad_tensor),
    ],
    ids=lambda x: getattr(x, "__name__", None) or str(x)[:30],
)
def test_other_right_answers_pass(checker, learner):
    verdict = checker(learner)
    assert verdict.passed, verdict.message


def test_the_no_momentum_message_names_the_setting():
    verdict = checks.check_make_sgd(checks.SGD_MISTAKES[3].fn)
    assert "momentum 0 for every parameter, expected 0.9" in verdict.message


def test_copied_parameters_are_refused():
    verdict = checks.check_make_sgd(sgd_on_copies)
    assert verdict.status == "wrong" and "not the model's parameters" in verdict.message


def test_a_missing_return_is_explained():
    verdict = checks.check_train_step(step_returns_nothing)
    assert verdict.status == "wrong"
    assert "step 1 returned NoneType, expected the loss as one number" in verdict.message


# ----------------------------------------------------------------------------- unfinished, crashing


@pytest.mark.parametrize("name", EXERCISES)
def test_unfinished_work_says_not_implemented(name):
    def unfinished(*args, **kwargs):
        raise NotImplementedError("write this part")

    verdict = EXERCISES[name][0](unfinished)
    assert verdict.status == "not implemented" and "not implemented yet" in verdict.message


def test_a_division_by_zero_names_the_learners_line():
    verdict = checks.check_learning_rate(rate_divides_by_zero)
    assert verdict.status == "error" and "\n" not in verdict.message
    assert "a 1-epoch run" in verdict.message and "ZeroDivisionError" in verdict.message
    assert "in rate_divides_by_zero, line" in verdict.message
    assert "return lr_initial * ratio ** (epoch / (epochs - 1))" in verdict.message


def test_the_learners_exception_is_one_line_with_its_line():
    def learner(model, optimizer, z, x, labels):
        scores = model(z, x)
        loss = logistic_loss(scores, labels)  # (B, 17, 17) labels against (B, 1, 17, 17) scores
        return loss.item()

    verdict = checks.check_train_step(learner)
    assert verdict.status == "error" and "\n" not in verdict.message
    assert "in learner, line" in verdict.message
    assert "loss = logistic_loss(scores, labels)" in verdict.message


def test_the_exercise_notebook_stubs_every_function():
    namespace = functions_of(ROOT / "exercises" / SOLUTION.name)
    for name, (checker, _, _) in EXERCISES.items():
        assert checker(namespace[name]).status == "not implemented", name
