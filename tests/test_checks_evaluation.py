"""The checks of exercise notebook 07 (evaluation): they pass the library and the solutions, name
every typical mistake, and say "not implemented yet" or the learner's line."""

from pathlib import Path

import jupytext
import numpy as np
import pytest

from siamfc_edu import evaluate as ev
from siamfc_edu.checks import evaluation as checks

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "07_evaluation.py"

# name of the function the learner writes -> (checker, the library's reference, typical mistakes)
EXERCISES = {
    "iou": (checks.check_iou, ev.iou, checks.IOU_MISTAKES),
    "iou_with_otb_truth": (
        checks.check_iou_with_otb_truth,
        checks.reference_iou_with_otb_truth,
        checks.OTB_MISTAKES,
    ),
    "success_curve": (checks.check_success_curve, ev.success_curve, checks.SUCCESS_MISTAKES),
    "auc": (checks.check_auc, ev.area_under_curve, checks.AUC_MISTAKES),
    "center_error": (checks.check_center_error, ev.center_error, checks.ERROR_MISTAKES),
    "precision_at": (checks.check_precision_at, ev.precision_at, checks.PRECISION_MISTAKES),
}
MISTAKES = [(name, m) for name, (_, _, ms) in EXERCISES.items() for m in ms]
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


@pytest.fixture(scope="module")
def solution() -> dict:
    return notebook_functions(SOLUTION)


@pytest.mark.parametrize("name", EXERCISES)
def test_the_library_passes(name):
    checker, reference, _ = EXERCISES[name]
    verdict = checker(reference)
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("name", EXERCISES)
def test_the_solution_passes(name, solution):
    verdict = EXERCISES[name][0](solution[name])
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("name", EXERCISES)
def test_every_checker_has_three_mistakes_or_more(name):
    mistakes = EXERCISES[name][2]
    assert len(mistakes) >= 3 and len({m.name for m in mistakes}) == len(mistakes)


@pytest.mark.parametrize("name, mistake", MISTAKES, ids=[f"{n}: {m.name}" for n, m in MISTAKES])
def test_each_typical_mistake_is_named(name, mistake):
    verdict = EXERCISES[name][0](mistake.fn)
    assert verdict.status == "wrong", verdict.message
    assert verdict.mistake == mistake.name, verdict.message
    assert f"Likely mistake: {mistake.name}. Hint: {mistake.hint}" in verdict.message
    assert "\n" not in verdict.message


@pytest.mark.parametrize("name, mistake", MISTAKES, ids=[f"{n}: {m.name}" for n, m in MISTAKES])
def test_hints_are_short(name, mistake):
    assert len(mistake.hint) <= HINT_LENGTH, mistake.hint


def test_the_stub_hints_are_short():
    stubs = [
        line for line in SOLUTION.read_text().splitlines() if line.strip().startswith("# HINT:")
    ]
    assert len(stubs) == len(EXERCISES)
    assert all(len(line.strip()) - len("# HINT: ") <= HINT_LENGTH for line in stubs), stubs


# ----------------------------------------------------------------------------- written by hand
# the same mistakes as a learner would write them, not as the checks module makes them


def iou_clipped_at_the_end(pred, gt):
    """No clamp per axis, only np.clip of the result: boxes apart on both axes still overlap."""
    bx, by, bw, bh = pred.T
    gx, gy, gw, gh = gt.T
    inter = (np.minimum(bx + bw, gx + gw) - np.maximum(bx, gx)) * (
        np.minimum(by + bh, gy + gh) - np.maximum(by, gy)
    )
    out = np.clip(inter / (bw * bh + gw * gh - inter), 0, 1)
    out[np.isnan(pred).any(axis=1)] = 0
    out[np.isnan(gt).any(axis=1)] = np.nan
    return out


def iou_voc(pred, gt):
    """PASCAL VOC's code on inclusive corners x2 = x + w (one pixel too many everywhere)."""
    x1 = np.maximum(pred[:, 0], gt[:, 0])
    y1 = np.maximum(pred[:, 1], gt[:, 1])
    x2 = np.minimum(pred[:, 0] + pred[:, 2], gt[:, 0] + gt[:, 2])
    y2 = np.minimum(pred[:, 1] + pred[:, 3], gt[:, 1] + gt[:, 3])
    inter = np.maximum(x2 - x1 + 1, 0) * np.maximum(y2 - y1 + 1, 0)
    union = (pred[:, 2] + 1) * (pred[:, 3] + 1) + (gt[:, 2] + 1) * (gt[:, 3] + 1) - inter
    out = inter / union
    out[np.isnan(pred).any(axis=1)] = 0
    out[np.isnan(gt).any(axis=1)] = np.nan
    return out


def iou_nan_to_num(pred, gt):
    """Right geometry, then every NaN turned into 0."""
    return np.nan_to_num(ev.iou(np.nan_to_num(pred, nan=0.0), gt), nan=0.0)


def iou_in_place(pred, gt):
    """Right, but it overwrites its inputs (corners in place): the checks hand it copies."""
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


def otb_minus_ones(pred, gt_otb):
    """Right: the conversion written by hand."""
    return ev.iou(pred, gt_otb - np.array([1, 1, 0, 0]))


def success_nanmean(ious, thresholds=ev.SUCCESS_THRESHOLDS):
    """np.nanmean over a boolean array: the NaN frames are already False, so they count."""
    return np.nanmean(np.asarray(ious)[:, None] > thresholds, axis=0)


def success_loop(ious, thresholds=ev.SUCCESS_THRESHOLDS):
    """Right: a loop over the thresholds."""
    scored = [v for v in ious if not np.isnan(v)]
    return np.array([sum(v > t for v in scored) / len(scored) for t in thresholds])


def auc_np_trapezoid(curve):
    return float(np.trapezoid(curve, np.linspace(0, 1, len(curve))))


def centre_half_width(pred, gt):
    """Right: x + w / 2 gives the same differences as x + (w - 1) / 2."""
    d = (pred[:, :2] + pred[:, 2:] / 2) - (gt[:, :2] + gt[:, 2:] / 2)
    out = np.sqrt((d**2).sum(axis=1))
    out[np.isnan(pred).any(axis=1)] = np.inf
    out[np.isnan(gt).any(axis=1)] = np.nan
    return out


def centre_manhattan_loop(pred, gt):
    out = []
    for b, g in zip(pred, gt, strict=True):
        if np.isnan(g).any():
            out.append(np.nan)
        elif np.isnan(b).any():
            out.append(np.inf)
        else:
            cb, cg = b[:2] + (b[2:] - 1) / 2, g[:2] + (g[2:] - 1) / 2
            out.append(abs(cb - cg).sum())
    return np.array(out)


def precision_finite_only(errors, pixels=20.0):
    """np.isfinite drops the inf errors with the NaN ones."""
    errors = np.asarray(errors)
    return float(np.mean(errors[np.isfinite(errors)] <= pixels))


def precision_percent(errors, pixels=20.0):
    """A percentage: not a typical mistake of the list, but a wrong score all the same."""
    errors = np.asarray(errors)
    return 100 * float(np.mean(errors[~np.isnan(errors)] <= pixels))


@pytest.mark.parametrize(
    "checker, learner, name",
    [
        (checks.check_iou, iou_clipped_at_the_end, checks.IOU_MISTAKES[2].name),
        (checks.check_iou, iou_voc, checks.IOU_MISTAKES[3].name),
        (checks.check_iou, iou_nan_to_num, checks.IOU_MISTAKES[5].name),
        (checks.check_success_curve, success_nanmean, checks.SUCCESS_MISTAKES[1].name),
        (checks.check_auc, auc_np_trapezoid, checks.AUC_MISTAKES[0].name),
        (checks.check_center_error, centre_manhattan_loop, checks.ERROR_MISTAKES[2].name),
        (checks.check_precision_at, precision_finite_only, checks.PRECISION_MISTAKES[2].name),
    ],
    ids=lambda x: getattr(x, "__name__", None) or str(x)[:30],
)
def test_a_mistake_written_differently_is_still_named(checker, learner, name):
    verdict = checker(learner)
    assert verdict.status == "wrong" and verdict.mistake == name, verdict.message


@pytest.mark.parametrize(
    "checker, learner",
    [
        (checks.check_iou, iou_in_place),
        (checks.check_iou_with_otb_truth, otb_minus_ones),
        (checks.check_success_curve, success_loop),
        (checks.check_center_error, centre_half_width),
    ],
    ids=lambda x: getattr(x, "__name__", None) or "",
)
def test_other_right_answers_pass(checker, learner):
    verdict = checker(learner)
    assert verdict.passed, verdict.message


def test_a_wrong_answer_outside_the_list_says_what_differs():
    verdict = checks.check_precision_at(precision_percent)
    assert verdict.status == "wrong" and verdict.mistake is None
    assert "the score is 70, expected 0.7" in verdict.message
    assert "Hint: drop the NaN errors" in verdict.message


def test_a_score_array_is_told_to_be_one_number():
    verdict = checks.check_auc(lambda curve: np.asarray(curve)[None].mean(axis=1))
    assert verdict.status == "wrong" and "expected one number" in verdict.message


def test_the_frame_of_a_wrong_nan_is_named():
    verdict = checks.check_iou(iou_nan_to_num)
    assert "frame 1 gives 0 where the reference gives nan" in verdict.message
    assert "not scored" in verdict.message


def test_the_real_case_has_both_kinds_of_missing_frame():
    truth = checks.carphone_truth()
    errors = ev.center_error(checks.jittered_tracker(truth), truth)
    assert np.isnan(errors).sum() > 50 and np.isinf(errors).sum() == len(checks.NO_BOX)
    assert np.nanmax(errors[np.isfinite(errors)]) > 20  # the lost stretch fails precision@20
    ious = ev.iou(checks.jittered_tracker(truth), truth)
    assert 0 < ev.area_under_curve(ev.success_curve(ious)) < 0.9


# ----------------------------------------------------------------------------- unfinished, crashing


@pytest.mark.parametrize("name", EXERCISES)
def test_unfinished_work_says_not_implemented(name):
    def unfinished(*args, **kwargs):
        raise NotImplementedError("write this part")

    verdict = EXERCISES[name][0](unfinished)
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
    for name, (checker, _, _) in EXERCISES.items():
        assert checker(namespace[name]).status == "not implemented", name
