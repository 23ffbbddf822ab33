"""The checks of exercise notebook 03: right answers pass, typical mistakes are named."""

from pathlib import Path

import jupytext
import pytest
import torch
import torch.nn.functional as F

from siamfc_edu.checks.losses import (
    LABEL_MISTAKES,
    LOSS_MISTAKES,
    WEIGHT_MISTAKES,
    check_balance_weights,
    check_label_map,
    check_logistic_loss,
)
from siamfc_edu.losses import balanced_weights, logistic_labels, logistic_loss

SOLUTION = Path(__file__).resolve().parent.parent / "solutions" / "03_labels_and_loss.py"
CHECKERS = {
    "label_map": (check_label_map, logistic_labels, LABEL_MISTAKES),
    "balance_weights": (check_balance_weights, balanced_weights, WEIGHT_MISTAKES),
    "logistic_loss": (check_logistic_loss, logistic_loss, LOSS_MISTAKES),
}


@pytest.fixture(scope="module")
def solution() -> dict:
    """The solution notebook's functions: every code cell that calls no check, run in one dict."""
    namespace: dict = {}
    for cell in jupytext.read(SOLUTION).cells:
        if cell.cell_type == "code" and "check_" not in cell.source:
            exec(compile(cell.source, str(SOLUTION), "exec"), namespace)
    return namespace


@pytest.mark.parametrize("name", CHECKERS)
def test_the_library_passes(name):
    checker, reference, _ = CHECKERS[name]
    verdict = checker(reference)
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("name", CHECKERS)
def test_the_solution_passes(name, solution):
    checker, _, _ = CHECKERS[name]
    verdict = checker(solution[name])
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("name", CHECKERS)
def test_every_checker_has_three_mistakes_or_more(name):
    mistakes = CHECKERS[name][2]
    assert len(mistakes) >= 3 and len({m.name for m in mistakes}) == len(mistakes)


MUTANTS = [(name, m) for name, (_, _, ms) in CHECKERS.items() for m in ms]


@pytest.mark.parametrize("name, mistake", MUTANTS, ids=[f"{n}: {m.name}" for n, m in MUTANTS])
def test_each_typical_mistake_is_named(name, mistake):
    checker = CHECKERS[name][0]
    verdict = checker(mistake.fn)
    assert verdict.status == "wrong", verdict.message
    assert verdict.mistake == mistake.name, verdict.message
    assert f"Likely mistake: {mistake.name}. Hint: {mistake.hint}" in verdict.message


# ----------------------------------------------------------------------------- written by hand
# the same mistakes as a learner would write them, not as the checks module makes them


def centre_floor_division(size, radius_cells, offset=(0, 0)):
    """size // 2 is right on odd maps: the even case must catch it."""
    c = size // 2
    rows, cols = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    dist = ((cols - c - offset[0]) ** 2 + (rows - c - offset[1]) ** 2) ** 0.5
    return torch.where(dist <= radius_cells, 1.0, -1.0)


def boolean_labels(size, radius_cells, offset=(0, 0)):
    c = (size - 1) / 2
    rows, cols = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    return torch.hypot(cols - c - offset[0], rows - c - offset[1]) <= radius_cells


def swapped_offset(size, radius_cells, offset=(0, 0)):
    c = (size - 1) / 2
    rows, cols = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    dist = torch.hypot(rows - c - offset[0], cols - c - offset[1])
    return torch.where(dist <= radius_cells, 1.0, -1.0)


def weights_where_no_clamp(labels):
    """torch.where picks the finite branch: a map with no positive still gives no NaN (right)."""
    n_pos = (labels > 0).sum(dim=(-2, -1), keepdim=True)
    n_neg = (labels < 0).sum(dim=(-2, -1), keepdim=True)
    return torch.where(labels > 0, 0.5 / n_pos, 0.5 / n_neg)


def weights_per_batch(labels):
    pos = (labels > 0).float()
    return 0.5 * pos / pos.sum() + 0.5 * (1 - pos) / (1 - pos).sum()


def weights_in_place(labels):
    """Right, but it overwrites its input: the checks hand it copies."""
    labels[labels < 0] = 0
    n_pos = labels.sum(dim=(-2, -1), keepdim=True).clamp(min=1)
    n_neg = (1 - labels).sum(dim=(-2, -1), keepdim=True).clamp(min=1)
    return 0.5 * labels / n_pos + 0.5 * (1 - labels) / n_neg


def loss_naive_log1p(scores, labels):
    y = labels.expand_as(scores)
    return (balanced_weights(y) * torch.log1p(torch.exp(-y * scores))).sum(dim=(-2, -1)).mean()


def loss_logaddexp(scores, labels):
    y = labels.expand_as(scores)
    per_cell = torch.logaddexp(torch.zeros_like(scores), -y * scores)
    return (balanced_weights(y) * per_cell).sum(dim=(-2, -1)).mean()


def loss_bce_mean(scores, labels):
    return F.binary_cross_entropy_with_logits(scores, ((labels + 1) / 2).expand_as(scores))


def loss_per_map(scores, labels):
    y = labels.expand_as(scores)
    return (balanced_weights(y) * F.softplus(-y * scores)).sum(dim=(-2, -1))


@pytest.mark.parametrize(
    "checker, learner, name",
    [
        (check_label_map, centre_floor_division, LABEL_MISTAKES[0].name),
        (check_label_map, boolean_labels, "labels 0/1 instead of -1/+1"),
        (check_label_map, swapped_offset, "the offset with x and y swapped"),
        (check_balance_weights, weights_per_batch, WEIGHT_MISTAKES[3].name),
        (check_logistic_loss, loss_naive_log1p, LOSS_MISTAKES[2].name),
        (check_logistic_loss, loss_bce_mean, "an unbalanced plain mean over the cells"),
    ],
    ids=lambda x: getattr(x, "__name__", None) or str(x)[:30],
)
def test_a_mistake_written_differently_is_still_named(checker, learner, name):
    verdict = checker(learner)
    assert verdict.status == "wrong" and verdict.mistake == name, verdict.message


@pytest.mark.parametrize(
    "checker, learner",
    [
        (check_balance_weights, weights_where_no_clamp),
        (check_balance_weights, weights_in_place),
        (check_logistic_loss, loss_logaddexp),
    ],
)
def test_other_right_answers_pass(checker, learner):
    verdict = checker(learner)
    assert verdict.passed, verdict.message


def test_the_overflow_is_explained():
    verdict = check_logistic_loss(LOSS_MISTAKES[2].fn)
    assert "overflow" in verdict.mistake
    assert "scores of magnitude 1e4" in verdict.message
    assert "inf/NaN for |v| = 1e4: use softplus or logaddexp" in verdict.message


def test_a_loss_per_map_is_told_to_average():
    verdict = check_logistic_loss(loss_per_map)
    assert verdict.status == "wrong"
    assert "expected one number" in verdict.message and "average over the batch" in verdict.message


# ----------------------------------------------------------------------------- unfinished, crashing


@pytest.mark.parametrize("name", CHECKERS)
def test_unfinished_work_says_not_implemented(name):
    def unfinished(*args, **kwargs):
        raise NotImplementedError("write this part")

    verdict = CHECKERS[name][0](unfinished)
    assert verdict.status == "not implemented" and "not implemented yet" in verdict.message


def test_the_learners_exception_is_one_line_with_its_line():
    def learner(scores, labels):
        per_cell = F.softplus(-labels * scores)
        return per_cell.sum(dim=(-3, -2, -1, 0, 1))

    verdict = check_logistic_loss(learner)
    assert verdict.status == "error" and "\n" not in verdict.message
    assert "in learner, line" in verdict.message
    assert "return per_cell.sum(dim=(-3, -2, -1, 0, 1))" in verdict.message


def test_the_exercise_notebook_stubs_every_function():
    exercise = SOLUTION.parent.parent / "exercises" / SOLUTION.name
    namespace: dict = {}
    for cell in jupytext.read(exercise).cells:
        if cell.cell_type == "code" and "check_" not in cell.source:
            exec(compile(cell.source, str(exercise), "exec"), namespace)
    for name, (checker, _, _) in CHECKERS.items():
        assert checker(namespace[name]).status == "not implemented", name
