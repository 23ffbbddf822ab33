"""The checks of exercise notebook 06 (the tracker's step), beyond what the one harness
(tests/test_checks.py) tries on every exercise: each exercise has the library's signature and is
compared with the library function itself; the learner's exception is one line with its line; a
map changed in place leaves the real frame intact; the displacement's messages name the unit."""

import inspect

import numpy as np
import pytest
import torch

from siamfc_edu import tracker
from siamfc_edu.checks import tracking as checks
from tests.exercise_registry import ch06_tracking, solution_namespace

ENTRIES = ch06_tracking.ENTRIES


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.function for e in ENTRIES])
def test_each_exercise_is_the_library_function_with_its_signature(entry):
    library = getattr(tracker, entry.function)
    assert entry.exercise.reference is library  # compared with the library, not a wrapper
    learners = solution_namespace(entry.notebook)[entry.function]
    assert inspect.signature(learners).parameters.keys() == (
        inspect.signature(library).parameters.keys()
    )


def test_the_pieces_of_the_tracker_are_exercises_of_06():
    """Every `Pieces` slot that 06 rebuilds defaults to the function its exercise checks."""
    checked = {e.exercise.reference for e in ENTRIES}
    slots = {"upsample", "penalise", "normalise", "window", "displacement", "damp"}
    assert {getattr(tracker.Pieces(), slot) for slot in slots} <= checked


def test_the_learners_exception_is_one_line_with_its_line():
    def penalise(maps, penalty):
        per_scale = np.append(penalty, 1.0)
        return maps * per_scale[:, None, None]

    verdict = checks.check_penalise(penalise)
    assert verdict.status == "error" and "\n" not in verdict.message
    assert "ValueError" in verdict.message
    assert "return maps * per_scale[:, None, None]" in verdict.message


def test_a_map_changed_in_place_is_reported_and_the_real_frame_kept():
    _, _, step = checks.carphone_step()
    before = step.upsampled.copy()

    def penalise(maps, penalty):
        maps *= penalty[:, None, None]
        return maps

    verdict = checks.check_penalise(penalise)
    assert verdict.status == "wrong" and "changed its argument `maps` in place" in verdict.message
    np.testing.assert_array_equal(step.upsampled, before)


def test_a_tensor_of_upsampled_maps_is_refused_saying_why():
    def upsample(scores, size):
        return torch.from_numpy(tracker.upsample(scores, size))

    verdict = checks.check_upsample(upsample)
    assert verdict.status == "wrong" and verdict.mistake is None
    assert "returned a torch tensor; expected a numpy array: the tracker needs" in verdict.message


def test_a_displacement_that_is_not_three_arrays_is_described():
    verdict = checks.check_displacement(lambda *args: np.zeros(2))
    assert verdict.status == "wrong"
    assert "expected a tuple (cells, crop_px, frame_px), got a ndarray" in verdict.message
    verdict = checks.check_displacement(lambda *args: tracker.displacement(*args)[:2])
    assert "got a tuple of length 2" in verdict.message


def test_a_wrong_unit_is_named():
    def displacement(*args):
        cells, crop, frame = tracker.displacement(*args)
        return cells, crop, frame * 2

    verdict = checks.check_displacement(displacement)
    assert "the displacement in frame pixels" in verdict.message and verdict.mistake is None


def test_the_real_frame_is_a_frame_where_the_scale_changes():
    cfg, scale, step = checks.carphone_step()
    assert step.best_scale != cfg.scale_num // 2  # every step of the pyramid matters on it
    assert step.scale != scale
