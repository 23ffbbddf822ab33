"""Chapter-specific checks of exercise notebook 04 (training pairs). The generic ones (the library
and the solution pass, every named mistake is named, alternatives pass, inputs tell the mistakes
apart, in-place changes and a missing return) run in tests/test_checks.py for every chapter."""

import inspect
import math
from pathlib import Path

import jupytext
import numpy as np
import pytest

from siamfc_edu.checks import pairs as checks
from siamfc_edu.crops import context_size, crop_and_resize, search_side
from tests.exercise_registry import ch04_pairs, solution_namespace

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "04_training_pairs.py"
CHECKERS = {entry.function: entry.checker for entry in ch04_pairs.ENTRIES}


def functions_of(path: Path) -> dict:
    """The functions a notebook defines: every code cell that calls no check and draws nothing."""
    namespace: dict = {}
    for cell in jupytext.read(path).cells:
        source = cell.source
        if cell.cell_type == "code" and "check_" not in source and "plt.show" not in source:
            exec(compile(source, str(path), "exec"), namespace)
    return namespace


def test_the_mistakes_crop_is_the_library_crop_when_no_knob_is_turned():
    verdict = checks.check_crop_and_resize(checks._crop)
    assert verdict.passed, verdict.message


def test_the_exercise_crop_has_the_library_signature():
    """Names, order and defaults: the tracker's Pieces(crop=...) takes it as it is."""
    mine = solution_namespace("04_training_pairs")["crop_and_resize"]
    assert mine is not crop_and_resize
    mine_parameters = inspect.signature(mine).parameters.values()
    library = inspect.signature(crop_and_resize).parameters.values()
    assert [(p.name, p.default) for p in mine_parameters] == [(p.name, p.default) for p in library]


def test_a_given_pad_color_is_used_and_one_left_unused_is_named():
    cases = checks.crop_cases()
    assert any(len(c.args) == 5 for c in cases) and any("pad_color" in c.kwargs for c in cases)
    verdict = checks.check_crop_and_resize(ch04_pairs.crop_pad_color_unused)
    assert verdict.mistakes == (checks.CROP_MISTAKES[11].name,), verdict.message
    assert "compute the mean only when pad_color is None" in verdict.message


def test_a_pad_color_without_its_default_is_told_at_the_call():
    verdict = checks.check_crop_and_resize(ch04_pairs.crop_pad_color_required)
    assert verdict.status == "error", verdict.message
    assert "missing 1 required positional argument: 'pad_color'" in verdict.message


def test_the_library_draws_exactly_the_pairs_the_rules_allow():
    for case in checks.PAIR_CASES:
        ids, limit = case.args
        allowed = {
            (z, x)
            for z in range(len(ids))
            for x in range(len(ids))
            if 0 < abs(int(ids[x]) - int(ids[z])) <= limit
        }
        alone = {(z, z) for z in range(len(ids)) if not any(a == z for a, _ in allowed)}
        assert checks.reference_pick_pair(ids, limit).pairs == allowed | alone, case.name


def test_the_crop_inputs_hold_a_fraction_above_a_half_and_a_tie():
    sides = [case.args[2] for case in checks.crop_cases()]
    assert any(round(s) != int(s) for s in sides)  # int() truncates where round() goes up
    assert any(s % 1 == 0.5 and round(s) != math.floor(s + 0.5) for s in sides)  # a tie


def crop_float_result(image, center, side, out_size, pad_color=None):
    """Right pixels, but resized as float: the crop is not uint8."""
    return crop_and_resize(image.astype(np.float32), center, side, out_size, pad_color)


@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_a_crop_that_is_not_uint8_is_told_why(dtype):
    verdict = checks.check_crop_and_resize(lambda *a, **k: crop_and_resize(*a, **k).astype(dtype))
    assert verdict.status == "wrong", verdict.message
    assert f"dtype {np.dtype(dtype).name}; expected uint8" in verdict.message
    assert "to_tensor reads H x W x 3 uint8 images" in verdict.message


def test_a_float_crop_is_told_to_keep_uint8():
    verdict = checks.check_crop_and_resize(crop_float_result)
    assert verdict.status == "wrong" and "expected uint8" in verdict.message, verdict.message


def test_one_grey_level_passes_on_a_few_values_only():
    expected = np.full((10, 10, 3), 100, np.uint8)
    few, many, two = expected.copy(), expected.copy(), expected.copy()
    few[0, :5, 0] += 1  # 5 of 300 values: OpenCV's fixed point against a float computation
    many[:, :, 0] += 1  # a whole channel: a padding colour off by one
    two[0, 0, 0] += 2
    assert checks.compare_crops(few, expected) == ""
    assert "more values than OpenCV's rounding explains" in checks.compare_crops(many, expected)
    assert "is 102, expected 100" in checks.compare_crops(two, expected)


def test_a_tie_is_told_about_ties():
    verdict = checks.check_crop_and_resize(ch04_pairs.crop_int_plus_half)
    assert verdict.mistake == checks.CROP_MISTAKES[7].name, verdict.message
    assert "on a tie, round(40.5) is 40" in verdict.message


def test_zero_padding_is_caught_on_the_frame_left_on_every_side():
    verdict = checks.check_crop_and_resize(checks.CROP_MISTAKES[0].fn)
    assert "leaving a 64 x 48 frame on every side" in verdict.message


def test_a_sampler_that_changes_frame_ids_is_named():
    def sorts_in_place(frame_ids, max_gap, rng):
        frame_ids[::-1].sort()
        return solution_namespace("04_training_pairs")["pick_pair"](frame_ids, max_gap, rng)

    verdict = checks.check_pick_pair(sorts_in_place)
    assert verdict.status == "wrong", verdict.message
    assert "changed its argument `frame_ids` in place" in verdict.message


def test_a_pair_that_is_not_two_indices_is_described():
    verdict = checks.check_pick_pair(lambda frame_ids, max_gap, rng: 3)
    assert verdict.status == "wrong"
    assert "returned 3 (int); expected two integer indices (z, x)" in verdict.message


def test_a_pair_beyond_t_names_the_frames():
    verdict = checks.check_pick_pair(ch04_pairs.pick_pair_too_far)
    assert verdict.status == "wrong" and verdict.mistake is None, verdict.message
    assert "more than T = 5" in verdict.message


# ----------------------------------------------------------------------------- unfinished, crashing


@pytest.mark.parametrize("name", CHECKERS)
def test_unfinished_work_says_not_implemented(name):
    def unfinished(*args, **kwargs):
        raise NotImplementedError("write this part")

    verdict = CHECKERS[name](unfinished)
    assert verdict.status == "not implemented" and "not implemented yet" in verdict.message


def test_the_learners_exception_is_one_line_with_its_line():
    def learner(frame_ids, max_gap, rng):
        z = int(rng.integers(len(frame_ids)))
        gaps = np.abs(frame_ids - frame_ids[z])
        return z, int(rng.choice(np.flatnonzero((gaps > 0) & (gaps <= max_gap))))

    verdict = checks.check_pick_pair(learner)
    assert verdict.status == "error" and "\n" not in verdict.message
    assert "on frames with holes" in verdict.message  # frame 50 has no partner within 8
    assert "ValueError: a cannot be empty" in verdict.message
    assert "in learner, line" in verdict.message
    assert "return z, int(rng.choice(np.flatnonzero((gaps > 0) & (gaps <= max_gap))))" in (
        verdict.message
    )


def test_the_exercise_notebook_stubs_every_function():
    namespace = functions_of(ROOT / "exercises" / SOLUTION.name)
    for name, checker in CHECKERS.items():
        assert checker(namespace[name]).status == "not implemented", name


def test_the_stub_lines_stay_short():
    exercise = (ROOT / "exercises" / SOLUTION.name).read_text()
    stubs = [line for line in exercise.splitlines() if "raise NotImplementedError(" in line]
    assert len(stubs) == len(CHECKERS)
    assert all(len(line) < 100 for line in stubs), stubs


def test_a_one_pixel_square_and_the_paper_numbers():
    """Sanity of the inputs: s_z of a 1 x 1 box is 2, and the search square is 255/127 of it."""
    assert math.isclose(context_size(1, 1), 2.0)
    assert math.isclose(search_side(1, 1, checks.CFG), 2.0 * 255 / 127)
