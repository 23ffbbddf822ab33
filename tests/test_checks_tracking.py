"""The checks of exercise notebook 06 (the tracker's step): they pass the library and the
solutions, name every typical mistake, and say "not implemented yet" or the learner's line."""

from pathlib import Path

import jupytext
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from siamfc_edu.checks import tracking as checks

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "06_tracker.py"

# name of the function the learner writes -> (checker, the library's reference, typical mistakes)
EXERCISES = {
    "pyramid_factors": (
        checks.check_pyramid_factors,
        checks.reference_pyramid_factors,
        checks.PYRAMID_MISTAKES,
    ),
    "upsample_maps": (
        checks.check_upsample_maps,
        checks.reference_upsample_maps,
        checks.UPSAMPLE_MISTAKES,
    ),
    "penalise": (checks.check_penalise, checks.reference_penalise, checks.PENALTY_MISTAKES),
    "windowed_map": (
        checks.check_windowed_map,
        checks.reference_windowed_map,
        checks.WINDOW_MISTAKES,
    ),
    "displacement": (
        checks.check_displacement,
        checks.reference_displacement,
        checks.DISPLACEMENT_MISTAKES,
    ),
    "damped_scale": (
        checks.check_damped_scale,
        checks.reference_damped_scale,
        checks.DAMPING_MISTAKES,
    ),
}
MISTAKES = [(name, m) for name, (_, _, ms) in EXERCISES.items() for m in ms]


@pytest.fixture(scope="module")
def solution() -> dict:
    """The solution notebook's functions: every code cell but the checks and the real-frame run."""
    namespace: dict = {}
    for cell in jupytext.read(SOLUTION).cells:
        if cell.cell_type == "code" and "check_" not in cell.source:
            if "tracker.step(" not in cell.source:
                exec(cell.source, namespace)
    return namespace


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


@pytest.mark.parametrize("name, mistake", MISTAKES, ids=[m.name for _, m in MISTAKES])
def test_each_typical_mistake_is_named(name, mistake):
    checker, _, _ = EXERCISES[name]
    verdict = checker(mistake.fn)
    assert verdict.status == "wrong"
    assert verdict.mistake == mistake.name, verdict.message
    assert f"Likely mistake: {mistake.name}. Hint: {mistake.hint}" in verdict.message


@pytest.mark.parametrize("name", EXERCISES)
def test_unfinished_work_says_not_implemented(name):
    def unfinished(*args):
        raise NotImplementedError("write this part")

    checker, _, _ = EXERCISES[name]
    verdict = checker(unfinished)
    assert verdict.status == "not implemented"
    assert verdict.message == f"{name}: not implemented yet."


def test_the_learners_exception_is_one_line_with_its_line():
    def penalise(maps, scale_penalty):
        per_scale = np.full(len(maps) + 1, scale_penalty)
        return maps * per_scale[:, None, None]

    verdict = checks.check_penalise(penalise)
    assert verdict.status == "error" and "\n" not in verdict.message
    assert "ValueError" in verdict.message
    assert "return maps * per_scale[:, None, None]" in verdict.message


def test_a_map_changed_in_place_is_reported_and_the_real_frame_kept():
    _, _, step = checks.carphone_step()
    before = step.upsampled.copy()

    def penalise(maps, scale_penalty):
        maps[0] *= scale_penalty
        maps[-1] *= scale_penalty
        return maps

    verdict = checks.check_penalise(penalise)
    assert verdict.status == "wrong" and "changed its argument `maps` in place" in verdict.message
    np.testing.assert_array_equal(step.upsampled, before)


def test_torch_bicubic_with_pixel_centres_passes_too():
    def upsample_maps(raw, factor):
        size = raw.shape[-1] * factor
        maps = torch.from_numpy(raw)[:, None]
        return F.interpolate(maps, size=(size, size), mode="bicubic", align_corners=False)[:, 0]

    verdict = checks.check_upsample_maps(upsample_maps)
    assert verdict.passed, verdict.message


def test_a_displacement_that_is_not_three_arrays_is_described():
    verdict = checks.check_displacement(lambda *args: np.zeros(2))
    assert verdict.status == "wrong"
    assert "expected a tuple (cells, crop_px, frame_px), got a ndarray" in verdict.message
    verdict = checks.check_displacement(lambda *args: checks.reference_displacement(*args)[:2])
    assert "got a tuple of length 2" in verdict.message


def test_a_wrong_unit_is_named():
    def displacement(*args):
        cells, crop, frame = checks.reference_displacement(*args)
        return cells, crop, frame * 2

    verdict = checks.check_displacement(displacement)
    assert "the displacement in frame pixels" in verdict.message and verdict.mistake is None


def test_the_real_frame_is_a_frame_where_the_scale_changes():
    cfg, scale, step = checks.carphone_step()
    assert step.best_scale != cfg.scale_num // 2  # every step of the pyramid matters on it
    assert step.scale != scale
