"""The checks of exercise notebook 04 (training pairs): right answers pass, typical mistakes are
named, unfinished work says "not implemented yet", a crash is one line with the learner's line."""

import math
from pathlib import Path

import cv2
import jupytext
import numpy as np
import pytest

from siamfc_edu.checks import pairs as checks
from siamfc_edu.crops import context_size, crop_and_resize
from siamfc_edu.data.pairs import sample_frame_pair

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "04_training_pairs.py"

# name of the function the learner writes -> (checker, the library's reference, typical mistakes)
EXERCISES = {
    "context_side": (checks.check_context_side, context_size, checks.CONTEXT_MISTAKES),
    "search_side": (
        checks.check_search_side,
        checks.reference_search_side,
        checks.SEARCH_MISTAKES,
    ),
    "crop_with_padding": (
        checks.check_crop_with_padding,
        crop_and_resize,
        checks.CROP_MISTAKES,
    ),
    "exemplar_from_box": (
        checks.check_exemplar_from_box,
        checks.reference_exemplar_from_box,
        checks.EXEMPLAR_MISTAKES,
    ),
    "pick_pair": (checks.check_pick_pair, sample_frame_pair, checks.PAIR_MISTAKES),
}
MISTAKES = [(name, m) for name, (_, _, ms) in EXERCISES.items() for m in ms]


def functions_of(path: Path) -> dict:
    """The functions a notebook defines: every code cell that calls no check and draws nothing."""
    namespace: dict = {}
    for cell in jupytext.read(path).cells:
        source = cell.source
        if cell.cell_type == "code" and "check_" not in source and "plt.show" not in source:
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


def test_the_mistakes_crop_is_the_library_crop_when_no_knob_is_turned():
    verdict = checks.check_crop_with_padding(checks._crop)
    assert verdict.passed, verdict.message


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


# ----------------------------------------------------------------------------- written by hand
# other right answers, and the same mistakes as a learner would write them


def context_side_paper(w, h, context=0.5):
    """The paper's form: (w + 2p')(h + 2p') with p' = context (w + h) / 2: right."""
    margin = context * (w + h) / 2
    return float(np.sqrt((w + 2 * margin) * (h + 2 * margin)))


def crop_copy_make_border(image, center, side, out_size):
    """cv2.copyMakeBorder with the (unrounded) mean as a constant: cv2 rounds it, so right."""
    s = max(1, round(side))
    x1, y1 = round(center[0] - (s - 1) / 2), round(center[1] - (s - 1) / 2)
    big = s + abs(x1) + abs(y1)
    mean = image.reshape(-1, 3).mean(axis=0).tolist()
    padded = cv2.copyMakeBorder(image, big, big, big, big, cv2.BORDER_CONSTANT, value=mean)
    square = padded[y1 + big : y1 + big + s, x1 + big : x1 + big + s]
    return cv2.resize(square, (out_size, out_size), interpolation=cv2.INTER_LINEAR)


def crop_np_pad(image, center, side, out_size, mode="edge"):
    s = max(1, round(side))
    x1, y1 = round(center[0] - (s - 1) / 2), round(center[1] - (s - 1) / 2)
    big = s + abs(x1) + abs(y1)
    padded = np.pad(image, ((big, big), (big, big), (0, 0)), mode=mode)
    square = padded[y1 + big : y1 + big + s, x1 + big : x1 + big + s]
    return cv2.resize(square, (out_size, out_size), interpolation=cv2.INTER_LINEAR)


def crop_float_mean(image, center, side, out_size):
    """The float mean assigned into a uint8 array: numpy truncates it."""
    s = max(1, round(side))
    x1, y1 = round(center[0] - (s - 1) / 2), round(center[1] - (s - 1) / 2)
    square = np.zeros((s, s, 3), np.uint8)
    square[:] = image.mean(axis=(0, 1))
    h, w = image.shape[:2]
    left, top, right, bottom = max(x1, 0), max(y1, 0), min(x1 + s, w), min(y1 + s, h)
    if right > left and bottom > top:
        square[top - y1 : bottom - y1, left - x1 : right - x1] = image[top:bottom, left:right]
    return cv2.resize(square, (out_size, out_size), interpolation=cv2.INTER_LINEAR)


def crop_float_result(image, center, side, out_size):
    """Right pixels, but resized as float: the values between pixels are not rounded."""
    return crop_and_resize(image.astype(np.float32), center, side, out_size)


def exemplar_without_conversion(image, box):
    x, y, w, h = box
    return crop_and_resize(image, (x + (w - 1) / 2, y + (h - 1) / 2), context_size(w, h), 127)


def pick_pair_by_gap(frame_ids, max_gap, rng):
    """A different valid sampler: x by rejection over random frames (other rng calls)."""
    z = int(rng.integers(len(frame_ids)))
    near = np.abs(frame_ids - frame_ids[z])
    if not np.any((near > 0) & (near <= max_gap)):
        return z, z
    while True:
        x = int(rng.integers(len(frame_ids)))
        if 0 < abs(int(frame_ids[x]) - int(frame_ids[z])) <= max_gap:
            return z, x


def pick_pair_python_loop(frame_ids, max_gap, rng):
    z = int(rng.integers(len(frame_ids)))
    options = [i for i, f in enumerate(frame_ids) if i != z and abs(f - frame_ids[z]) <= max_gap]
    return (z, z) if not options else (z, options[int(rng.integers(len(options)))])


def pick_pair_strict(frame_ids, max_gap, rng):
    z = int(rng.integers(len(frame_ids)))
    options = [i for i, f in enumerate(frame_ids) if 0 < abs(f - frame_ids[z]) < max_gap]
    return (z, z) if not options else (z, int(rng.choice(options)))


def pick_pair_positions(frame_ids, max_gap, rng):
    z = int(rng.integers(len(frame_ids)))
    low, high = max(0, z - max_gap), min(len(frame_ids) - 1, z + max_gap)
    if low == high:
        return z, z
    x = z
    while x == z:
        x = int(rng.integers(low, high + 1))
    return z, x


def pick_pair_stdlib(frame_ids, max_gap, rng):
    import random

    z = random.randrange(len(frame_ids))
    options = [i for i, f in enumerate(frame_ids) if 0 < abs(f - frame_ids[z]) <= max_gap]
    return (z, z) if not options else (z, random.choice(options))


@pytest.mark.parametrize(
    "checker, learner",
    [
        (checks.check_context_side, context_side_paper),
        (checks.check_crop_with_padding, crop_copy_make_border),
        (checks.check_pick_pair, pick_pair_by_gap),
        (checks.check_pick_pair, pick_pair_python_loop),
    ],
    ids=lambda x: getattr(x, "__name__", ""),
)
def test_other_right_answers_pass(checker, learner):
    verdict = checker(learner)
    assert verdict.passed, verdict.message


@pytest.mark.parametrize(
    "checker, learner, name",
    [
        (checks.check_crop_with_padding, crop_np_pad, checks.CROP_MISTAKES[3].name),
        (checks.check_crop_with_padding, crop_float_mean, checks.CROP_MISTAKES[4].name),
        (
            checks.check_exemplar_from_box,
            exemplar_without_conversion,
            checks.EXEMPLAR_MISTAKES[0].name,
        ),
        (checks.check_pick_pair, pick_pair_strict, checks.PAIR_MISTAKES[0].name),
        (checks.check_pick_pair, pick_pair_positions, checks.PAIR_MISTAKES[2].name),
        (checks.check_pick_pair, pick_pair_stdlib, checks.PAIR_MISTAKES[5].name),
    ],
    ids=lambda x: getattr(x, "__name__", None) or "",
)
def test_a_mistake_written_differently_is_still_named(checker, learner, name):
    verdict = checker(learner)
    assert verdict.status == "wrong" and verdict.mistake == name, verdict.message


def test_a_float_crop_is_told_to_keep_uint8():
    verdict = checks.check_crop_with_padding(crop_float_result)
    assert verdict.status == "wrong", verdict.message
    assert "at (row, col, channel)" in verdict.message
    assert "your crop is float32: keep the frame's uint8" in verdict.message


def test_zero_padding_is_caught_on_the_frame_left_on_every_side():
    verdict = checks.check_crop_with_padding(checks.CROP_MISTAKES[0].fn)
    assert "leaving a 64 x 48 frame on every side" in verdict.message


def test_a_missing_return_is_named():
    verdict = checks.check_context_side(lambda w, h, context=0.5: None)
    assert verdict.status == "wrong" and "returned None" in verdict.message


def test_a_pair_that_is_not_two_indices_is_described():
    verdict = checks.check_pick_pair(lambda frame_ids, max_gap, rng: 3)
    assert verdict.status == "wrong"
    assert "returned 3 (int); expected two integer indices (z, x)" in verdict.message


def test_a_pair_beyond_t_names_the_frames():
    def too_far(frame_ids, max_gap, rng):
        z = int(rng.integers(len(frame_ids)))
        others = [i for i in range(len(frame_ids)) if i != z]
        return (z, z) if not others else (z, int(rng.choice(others)))

    verdict = checks.check_pick_pair(too_far)
    assert verdict.status == "wrong" and verdict.mistake is None, verdict.message
    assert "more than T = 5" in verdict.message


# ----------------------------------------------------------------------------- unfinished, crashing


@pytest.mark.parametrize("name", EXERCISES)
def test_unfinished_work_says_not_implemented(name):
    def unfinished(*args, **kwargs):
        raise NotImplementedError("write this part")

    verdict = EXERCISES[name][0](unfinished)
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
    for name, (checker, _, _) in EXERCISES.items():
        assert checker(namespace[name]).status == "not implemented", name


def test_the_stub_lines_stay_short():
    exercise = (ROOT / "exercises" / SOLUTION.name).read_text()
    stubs = [line for line in exercise.splitlines() if "raise NotImplementedError(" in line]
    assert len(stubs) == len(EXERCISES)
    assert all(len(line) < 100 for line in stubs), stubs


def test_a_one_pixel_square_and_the_paper_numbers():
    """Sanity of the inputs: s_z of a 1 x 1 box is 2, and the search square is 255/127 of it."""
    assert math.isclose(context_size(1, 1), 2.0)
    assert math.isclose(checks.reference_search_side(1, 1), 2.0 * 255 / 127)
