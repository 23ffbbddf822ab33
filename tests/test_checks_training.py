"""The checks of exercise notebook 05 (training), beyond the harness of tests/test_checks.py:
the library's signatures, the messages that say why (a tensor where a number belongs, a loss
cut off from the network, the loss scaler), the arguments train_step may change and those it
may not, unfinished and crashing work."""

import inspect

import pytest
import torch

from siamfc_edu import train
from siamfc_edu.checks import GRADING
from siamfc_edu.checks import training as checks
from siamfc_edu.losses import logistic_loss
from tests.exercise_registry import ROOT, ch05_training, solution_namespace

CHECKERS = {
    "learning_rate": checks.check_learning_rate,
    "make_optimizer": checks.check_make_optimizer,
    "train_step": checks.check_train_step,
}


@pytest.mark.parametrize("name", CHECKERS)
def test_each_exercise_has_the_signature_of_the_library_function(name):
    mine = solution_namespace("05_training")[name]
    library = getattr(train, name)
    assert mine is not library
    assert list(inspect.signature(mine).parameters) == list(inspect.signature(library).parameters)


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
    model = checks.step_cases()[0].args[0]
    before = [p.detach().clone() for p in model.parameters()]
    assert checks.check_train_step(train.train_step).passed
    assert all(torch.equal(a, p) for a, p in zip(before, model.parameters(), strict=True))


# ----------------------------------------------------------------------------- types, and why


def test_a_rate_as_a_tensor_is_refused_with_the_reason():
    verdict = checks.check_learning_rate(ch05_training.rate_as_float64_tensor)
    assert verdict.status == "wrong" and "returned a torch tensor" in verdict.message
    assert "writes the rate into the optimiser" in verdict.message


def test_a_loss_returned_as_a_float_is_refused_with_the_reason():
    verdict = checks.check_train_step(ch05_training.step_returns_a_float)
    assert verdict.status == "wrong" and verdict.mistakes == (), verdict.message
    assert "step 1 returned a number; expected a torch tensor" in verdict.message
    assert "torch.isfinite(loss)" in verdict.message


def test_a_loss_returned_with_its_graph_is_told_to_detach_it():
    verdict = checks.check_train_step(ch05_training.step_returns_the_attached_loss)
    assert verdict.status == "wrong" and verdict.mistakes == (), verdict.message
    assert "step 1 returned the loss still attached to its graph" in verdict.message
    assert "return loss.detach()" in verdict.message


def test_a_step_without_the_scaler_is_caught_where_loss_scaling_is_on():
    verdict = checks.check_train_step(ch05_training.step_without_the_scaler)
    assert verdict.mistakes == (checks.SCALER_MISTAKES[0].name,), verdict.message
    assert "the loss scaler of mixed precision on" in verdict.message
    assert "recorded 0 successful steps of the 2, expected 2" in verdict.message


def test_a_forgotten_scaler_update_is_the_scalers_own_error_with_the_learners_line():
    verdict = checks.check_train_step(ch05_training.step_scaler_without_update)
    assert verdict.status == "error" and "the loss scaler of mixed precision on" in verdict.message
    assert "step() has already been called since the last update()" in verdict.message
    assert "in step_scaler_without_update, line" in verdict.message


def test_the_right_step_passes_on_every_input_scaled_or_not():
    verdict = checks.check_train_step(solution_namespace("05_training")["train_step"])
    assert verdict.passed and "passed on 4 inputs" in verdict.message, verdict.message
    assert "the loss scaler of mixed precision on" in verdict.message


def test_rate_linear_as_a_tensor_gets_the_type_and_the_mistake():
    verdict = checks.check_learning_rate(ch05_training.rate_linear_as_tensor)
    assert "returned a torch tensor; expected a number" in verdict.message
    assert verdict.mistakes == (checks.LR_MISTAKES[0].name,), verdict.message


def test_the_per_step_decay_is_told_the_rate_changes_per_epoch():
    verdict = checks.check_learning_rate(ch05_training.rate_per_step)
    assert verdict.mistakes == (checks.LR_MISTAKES[8].name,), verdict.message
    assert "once per EPOCH" in verdict.message


def test_a_missing_return_is_named_for_the_optimiser_and_the_step():
    for checker in (checks.check_make_optimizer, checks.check_train_step):
        verdict = checker(lambda *args: None)
        assert verdict.status == "wrong" and "returned None" in verdict.message


# ----------------------------------------------------------------------------- gradients


@pytest.mark.parametrize(
    "learner",
    [
        ch05_training.step_item_before_backward,
        ch05_training.step_detached_scores,
        ch05_training.step_under_no_grad,
    ],
    ids=lambda f: f.__name__,
)
def test_a_loss_cut_off_before_backward_is_named_in_the_error(learner):
    verdict = checks.check_train_step(learner)
    assert verdict.status == "error" and verdict.mistake == checks.CUT_OFF, verdict.message
    assert f"in {learner.__name__}, line" in verdict.message
    assert "detach it only to return it" in verdict.message


def test_detached_scores_that_still_run_say_no_gradient_reached_the_weights():
    def learner(model, batch, optimizer, scaler, device):
        z, x, labels = batch
        scores = model(z, x).detach().requires_grad_()  # silences backward()'s error
        loss = logistic_loss(scores, labels[:, None])
        optimizer.zero_grad()
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        return loss.detach()

    verdict = checks.check_train_step(learner)
    assert verdict.mistake == checks.CUT_OFF, verdict.message
    assert "no gradient of the loss reached the network's weights" in verdict.message


# ----------------------------------------------------------------------------- in place


def test_train_step_may_train_the_model_but_not_change_the_batch():
    right = solution_namespace("05_training")["train_step"]

    def scales_the_images(model, batch, optimizer, scaler, device):
        batch[0].div_(255)
        return right(model, batch, optimizer, scaler, device)

    verdict = checks.check_train_step(scales_the_images)
    assert verdict.status == "wrong" and "argument `batch` in place" in verdict.message


def test_make_optimizer_must_not_change_the_model():
    def resets_the_head(model, cfg):
        with torch.no_grad():
            for p in model.parameters():
                p.zero_()
        return torch.optim.SGD(
            model.parameters(), lr=cfg.lr_initial, momentum=cfg.momentum, weight_decay=0.0005
        )

    verdict = checks.check_make_optimizer(resets_the_head)
    assert verdict.status == "wrong" and "argument `model` in place" in verdict.message


# ----------------------------------------------------------------------------- messages


def test_the_no_momentum_message_names_the_setting():
    verdict = checks.check_make_optimizer(checks.SGD_MISTAKES[3].fn)
    assert "momentum 0 for every parameter, expected 0.9" in verdict.message


def test_the_batch_norm_mistake_names_the_first_parameter_left_out():
    verdict = checks.check_make_optimizer(ch05_training.sgd_norms_undecayed)
    assert "weight_decay 0 for 8 of the 19 parameters (first: backbone.conv1.1.weight)" in (
        verdict.message
    )


def test_copied_parameters_are_refused():
    verdict = checks.check_make_optimizer(ch05_training.sgd_on_copies)
    assert verdict.status == "wrong" and "not the model's parameters" in verdict.message


def test_a_wrong_answer_raises_in_grading_mode(monkeypatch):
    monkeypatch.setenv(GRADING, "1")
    with pytest.raises(AssertionError, match="linear decay"):
        checks.check_learning_rate(ch05_training.rate_linear_interpolation)


# ----------------------------------------------------------------------------- unfinished, crashing


@pytest.mark.parametrize("name", CHECKERS)
def test_unfinished_work_says_not_implemented(name):
    def unfinished(*args, **kwargs):
        raise NotImplementedError("write this part")

    verdict = CHECKERS[name](unfinished)
    assert verdict.status == "not implemented" and "not implemented yet" in verdict.message


def test_a_division_by_zero_names_the_learners_line():
    def rate_divides_by_zero(epoch, cfg):
        ratio = cfg.lr_final / cfg.lr_initial
        return cfg.lr_initial * ratio ** (epoch / (cfg.epochs - 1))

    verdict = checks.check_learning_rate(rate_divides_by_zero)
    assert verdict.status == "error" and "\n" not in verdict.message
    assert "a 1-epoch run" in verdict.message and "ZeroDivisionError" in verdict.message
    assert "in rate_divides_by_zero, line" in verdict.message
    assert "return cfg.lr_initial * ratio ** (epoch / (cfg.epochs - 1))" in verdict.message


def test_the_learners_exception_is_one_line_with_its_line():
    def learner(model, batch, optimizer, scaler, device):
        z, x, labels = batch
        scores = model(z, x)
        loss = logistic_loss(scores, labels)  # (B, 17, 17) labels against (B, 1, 17, 17) scores
        return loss.item()

    verdict = checks.check_train_step(learner)
    assert verdict.status == "error" and "\n" not in verdict.message
    assert "in learner, line" in verdict.message
    assert "loss = logistic_loss(scores, labels)" in verdict.message


def test_the_exercise_notebook_stubs_every_function():
    import jupytext

    namespace: dict = {}
    for cell in jupytext.read(ROOT / "exercises" / "05_training.py").cells:
        source = cell.source
        defines = "def " in source or source.startswith(("import", "from"))
        if cell.cell_type == "code" and defines and "check_" not in source:
            exec(compile(source, "exercises/05_training.py", "exec"), namespace)
    for name, checker in CHECKERS.items():
        assert checker(namespace[name]).status == "not implemented", name
