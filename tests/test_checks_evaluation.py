"""Chapter-specific checks of exercise notebook 07 (evaluation). The generic ones (the library and
the solution pass, every named mistake is named, alternatives pass, inputs tell the mistakes apart,
in-place changes and a missing return) run in tests/test_checks.py for every chapter."""

from pathlib import Path

import jupytext
import numpy as np
import pytest

from siamfc_edu import evaluate as ev
from siamfc_edu.checks import evaluation as checks
from tests.exercise_registry import ch07_evaluation

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "07_evaluation.py"
CHECKERS = {entry.function: entry.checker for entry in ch07_evaluation.ENTRIES}
MISTAKES = [m for entry in ch07_evaluation.ENTRIES for m in entry.exercise.mistakes]
HINT_LENGTH = 65  # a hint is one short line


def notebook_functions(path: Path) -> dict:
    """A notebook's functions: every code cell but the checks and the closing tracker run."""
    namespace: dict = {}
    for cell in jupytext.read(path).cells:
        if (
            cell.cell_type == "code"
            and "check_" not in cell.source
            and ".track(" not in cell.source
        ):
            exec(compile(cell.source, str(path), "exec"), namespace)
    return namespace


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.name for m in MISTAKES])
def test_hints_are_short(mistake):
    assert len(mistake.hint) <= HINT_LENGTH, mistake.hint


def test_the_stub_hints_are_short():
    stubs = [
        line for line in SOLUTION.read_text().splitlines() if line.strip().startswith("# HINT:")
    ]
    assert len(stubs) == len(CHECKERS)
    assert all(len(line.strip()) - len("# HINT: ") <= HINT_LENGTH for line in stubs), stubs


def iou_in_place(pred, gt):
    """Right, but it turns its inputs into corners in place: the caller's boxes are spoiled."""
    pred[:, 2:] += pred[:, :2]
    gt[:, 2:] += gt[:, :2]
    w = np.clip(np.minimum(pred[:, 2], gt[:, 2]) - np.maximum(pred[:, 0], gt[:, 0]), 0, None)
    h = np.clip(np.minimum(pred[:, 3], gt[:, 3]) - np.maximum(pred[:, 1], gt[:, 1]), 0, None)
    inter = w * h
    area = (pred[:, 2] - pred[:, 0]) * (pred[:, 3] - pred[:, 1])
    area_gt = (gt[:, 2] - gt[:, 0]) * (gt[:, 3] - gt[:, 1])
    out = inter / (area + area_gt - inter)
    out[np.isnan(pred).any(axis=1)] = 0
    out[np.isnan(gt).any(axis=1)] = np.nan
    return out


def center_error_in_place(pred, gt):
    """Right, but it moves the tracker's boxes to their centres in place (spoiling a later iou)."""
    pred[:, :2] += (pred[:, 2:] - 1) / 2
    errors = np.hypot(*(pred[:, :2] - gt[:, :2] - (gt[:, 2:] - 1) / 2).T)
    errors[np.isnan(pred).any(axis=1)] = np.inf
    errors[np.isnan(gt).any(axis=1)] = np.nan
    return errors


@pytest.mark.parametrize(
    "checker, learner, argument",
    [
        (checks.check_iou, iou_in_place, "`pred`"),
        (checks.check_center_error, center_error_in_place, "`pred`"),
    ],
    ids=["iou", "center_error"],
)
def test_an_input_changed_in_place_is_named(checker, learner, argument):
    verdict = checker(learner)
    assert verdict.status == "wrong", verdict.message
    assert f"changed its argument {argument} in place" in verdict.message


def test_a_float32_answer_is_told_why_float64():
    verdict = checks.check_iou(ch07_evaluation.iou_float32)
    assert verdict.status == "wrong" and verdict.mistake is None, verdict.message
    assert "dtype float32; expected float64: keep float64" in verdict.message


def test_a_wrong_answer_outside_the_list_says_what_differs():
    verdict = checks.check_precision_at(ch07_evaluation.precision_percent)
    assert verdict.status == "wrong" and verdict.mistake is None
    assert "the score is 70, expected 0.7" in verdict.message
    assert "Hint: drop the NaN errors" in verdict.message


def test_a_score_array_is_told_to_be_one_number():
    verdict = checks.check_auc(lambda curve: np.asarray(curve)[None].mean(axis=1))
    assert verdict.status == "wrong" and "expected one number" in verdict.message


def test_the_frame_of_a_wrong_nan_is_named():
    verdict = checks.check_iou(ch07_evaluation.iou_nan_to_num)
    assert "frame 1 gives 0 where the reference gives nan" in verdict.message
    assert "not scored" in verdict.message


def test_a_fixed_grid_of_thresholds_is_caught_on_got10k_thresholds():
    verdict = checks.check_success_curve(ch07_evaluation.success_fixed_grid)
    assert "GOT-10k's thresholds" in verdict.message and "shape (21,), expected (2,)" in (
        verdict.message
    )


def test_the_real_case_has_both_kinds_of_missing_frame():
    truth = checks.carphone_truth()
    errors = ev.center_error(checks.jittered_tracker(truth), truth)
    assert np.isnan(errors).sum() > 50 and np.isinf(errors).sum() == len(checks.NO_BOX)
    assert np.nanmax(errors[np.isfinite(errors)]) > 20  # the lost stretch fails precision@20
    ious = ev.iou(checks.jittered_tracker(truth), truth)
    assert 0 < ev.area_under_curve(ev.success_curve(ious)) < 0.9


# ----------------------------------------------------------------------------- unfinished, crashing


@pytest.mark.parametrize("name", CHECKERS)
def test_unfinished_work_says_not_implemented(name):
    def unfinished(*args, **kwargs):
        raise NotImplementedError("write this part")

    verdict = CHECKERS[name](unfinished)
    assert verdict.status == "not implemented" and "not implemented yet" in verdict.message


def test_the_learners_exception_is_one_line_with_its_line():
    def learner(pred, gt):
        x, y, w, h = pred
        return np.minimum(x + w, gt[:, 0] + gt[:, 2])

    verdict = checks.check_iou(learner)
    assert verdict.status == "error" and "\n" not in verdict.message
    assert "in learner, line" in verdict.message
    assert "x, y, w, h = pred" in verdict.message


def test_the_exercise_notebook_stubs_every_function():
    namespace = notebook_functions(ROOT / "exercises" / SOLUTION.name)
    for name, checker in CHECKERS.items():
        assert checker(namespace[name]).status == "not implemented", name
