"""Chapter 03's own checks beyond the harness (tests/test_checks.py): the messages that say why a
type matters, that a loss must back-propagate, and that an overflow is one."""

import pytest
import torch
import torch.nn.functional as F

from siamfc_edu.checks.losses import (
    LABEL_MISTAKES,
    LOSS_MISTAKES,
    NO_GRADIENT,
    WEIGHT_MISTAKES,
    check_balance_weights,
    check_label_map,
    check_logistic_loss,
)
from siamfc_edu.losses import balanced_weights
from tests.exercise_registry import ROOT
from tests.exercise_registry import ch03_losses as answers

CHECKERS = {
    "label_map": check_label_map,
    "balance_weights": check_balance_weights,
    "logistic_loss": check_logistic_loss,
}


def test_a_squared_distance_is_not_called_a_strict_comparison():
    """On the paper's map both give 9 positives; radius 1.5 and 0 tell them apart."""
    verdict = check_label_map(answers.labels_squared_by_hand)
    assert verdict.mistakes == (LABEL_MISTAKES[3].name,), verdict.message
    assert "strict" not in verdict.message


@pytest.mark.parametrize(
    "learner, words",
    [
        (answers.labels_in_numpy, "returned a numpy array; expected a torch tensor"),
        (answers.labels_as_integers, "dtype int64; expected float32"),
        (answers.labels_in_float64, "dtype float64; expected float32"),
    ],
    ids=["numpy", "int64", "float64"],
)
def test_the_label_type_is_enforced_and_explained(learner, words):
    verdict = check_label_map(learner)
    assert verdict.status == "wrong" and words in verdict.message, verdict.message
    assert "the loss of exercise 3 multiplies the labels" in verdict.message


@pytest.mark.parametrize(
    "checker, learner, words, mistake",
    [
        (
            check_label_map,
            answers.labels_chebyshev_in_numpy,
            "returned a numpy array; expected a torch tensor: the loss of exercise 3",
            LABEL_MISTAKES[4],
        ),
        (
            check_balance_weights,
            answers.weights_uniform_in_float64,
            "dtype float64; expected float32: the loss of exercise 3",
            WEIGHT_MISTAKES[0],
        ),
    ],
    ids=["labels", "weights"],
)
def test_a_wrong_type_with_a_mistakes_values_gets_the_reason_and_the_name(
    checker, learner, words, mistake
):
    verdict = checker(learner)
    assert verdict.status == "wrong" and words in verdict.message, verdict.message
    assert verdict.mistakes == (mistake.name,), verdict.message


@pytest.mark.parametrize(
    "learner",
    [answers.loss_item, answers.loss_detached, answers.loss_rewrapped, answers.loss_through_numpy],
    ids=["item", "detach", "rewrapped", "numpy"],
)
def test_a_loss_that_cannot_back_propagate_is_told_so(learner):
    verdict = check_logistic_loss(learner)
    assert verdict.status == "wrong" and NO_GRADIENT in verdict.message, verdict.message


def test_a_wrong_gradient_with_the_right_value_is_caught():
    """The value of the right loss, the gradient of another: only the gradient rule sees it."""

    def halved_gradient(scores, labels):
        y = labels.expand_as(scores)
        right = (balanced_weights(y) * F.softplus(-y * scores)).sum(dim=(-2, -1)).mean()
        half = 0.5 * right
        return half + (right - half).detach()

    verdict = check_logistic_loss(halved_gradient)
    assert verdict.status == "wrong" and "the gradient with respect to the scores" in (
        verdict.message
    )


def test_the_overflow_is_explained():
    verdict = check_logistic_loss(LOSS_MISTAKES[2].fn)
    assert "overflow" in verdict.mistake
    assert "scores of magnitude 1e4" in verdict.message
    assert "inf/NaN for |v| = 1e4: use softplus or logaddexp" in verdict.message


def test_a_loss_per_map_is_told_to_average():
    def loss_per_map(scores, labels):
        y = labels.expand_as(scores)
        return (balanced_weights(y) * F.softplus(-y * scores)).sum(dim=(-2, -1))

    verdict = check_logistic_loss(loss_per_map)
    assert verdict.status == "wrong"
    assert "expected one number" in verdict.message and "average over the batch" in verdict.message


@pytest.mark.parametrize("name", CHECKERS)
def test_unfinished_work_says_not_implemented(name):
    def unfinished(*args, **kwargs):
        raise NotImplementedError("write this part")

    verdict = CHECKERS[name](unfinished)
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
    import jupytext

    exercise = ROOT / "exercises" / "03_labels_and_loss.py"
    namespace: dict = {}
    for cell in jupytext.read(exercise).cells:
        if cell.cell_type == "code" and "check_" not in cell.source:
            exec(compile(cell.source, str(exercise), "exec"), namespace)
    for name, checker in CHECKERS.items():
        assert checker(namespace[name]).status == "not implemented", name
    assert torch.is_tensor(namespace["balanced_weights"](torch.ones(3, 3)))
