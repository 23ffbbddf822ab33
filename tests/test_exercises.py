"""Exercises are generated from solutions, exactly; no solution reaches them; checks that teach."""

import time
from pathlib import Path

import numpy as np
import pytest

from siamfc_edu.checks import Case, Mistake, check
from siamfc_edu.exercises import make_exercises, solution_lines, strip_solutions

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.py"))

SAMPLE = '''# %%
def double(x):
    """Twice x."""
    # HINT: multiply by two
    ### BEGIN SOLUTION
    result = x * 2
    return result
    ### END SOLUTION


# %%
check_double(double)
'''


def test_a_region_becomes_a_stub_with_its_hint():
    text = strip_solutions(SAMPLE)
    assert "result = x * 2" not in text and "BEGIN SOLUTION" not in text
    assert "    raise NotImplementedError('multiply by two')" in text
    assert text.endswith("check_double(double)\n")
    namespace: dict = {}
    exec(text.split("# %%\ncheck_double")[0], namespace)
    with pytest.raises(NotImplementedError, match="multiply by two"):
        namespace["double"](3)


@pytest.mark.parametrize(
    "text, message",
    [
        ("### BEGIN SOLUTION\nx = 1\n", "line 1: ### BEGIN SOLUTION is never closed"),
        ("x = 1\n### END SOLUTION\n", "line 2: ### END SOLUTION without"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n", "line 2: ### BEGIN SOLUTION inside"),
    ],
)
def test_unbalanced_markers_are_named(text, message):
    with pytest.raises(ValueError, match=message):
        strip_solutions(text, "solutions/99_x.py")


def test_exercises_are_what_make_exercises_writes(tmp_path):
    if not SOLUTIONS:
        pytest.skip("no solution notebooks yet")
    make_exercises(ROOT / "solutions", tmp_path)
    for source in SOLUTIONS:
        committed = ROOT / "exercises" / source.name
        assert committed.is_file(), f"{committed} is missing: run `siamfc-edu make-exercises`"
        assert committed.read_text() == (tmp_path / source.name).read_text(), (
            f"{committed} is out of date: run `siamfc-edu make-exercises`"
        )


@pytest.mark.parametrize("source", SOLUTIONS, ids=lambda p: p.name)
def test_no_solution_line_reaches_the_exercises(source):
    exercise = (ROOT / "exercises" / source.name).read_text()
    leaked = [line for line in solution_lines(source.read_text()) if line in exercise]
    assert not leaked, f"solution lines of {source.name} appear in exercises/: {leaked[:3]}"


# ----------------------------------------------------------------------------- the checker


def reference(x):
    return np.cumsum(x)


CASES = [Case("a short list", ([1, 2, 3],)), Case("one value", ([5],))]
MISTAKES = [
    Mistake(
        "summing from the right", "start at the first value", lambda x: np.cumsum(x[::-1])[::-1]
    )
]


def run(learner, **kwargs):
    return check("cumulative sum", learner, reference, CASES, MISTAKES, **kwargs)


def test_a_right_answer_passes():
    verdict = run(lambda x: np.cumsum(np.asarray(x)))
    assert verdict.passed and "passed on 2 inputs (a short list, one value)" in verdict.message


def test_unfinished_work_says_not_implemented():
    def learner(x):
        raise NotImplementedError("hint")

    verdict = run(learner)
    assert verdict.status == "not implemented" and "not implemented yet" in verdict.message


def test_the_learners_exception_is_one_line_with_its_line():
    def learner(x):
        values = list(x)
        return values[10]

    verdict = run(learner)
    assert verdict.status == "error" and "\n" not in verdict.message
    assert "IndexError" in verdict.message and "return values[10]" in verdict.message


def test_a_shape_error_is_described():
    verdict = run(lambda x: np.cumsum(x)[None])
    assert verdict.status == "wrong" and "shape (1, 3), expected (3,)" in verdict.message


def test_a_typical_mistake_is_named():
    verdict = run(lambda x: np.cumsum(np.asarray(x)[::-1])[::-1])
    assert verdict.mistake == "summing from the right"
    assert "Likely mistake: summing from the right" in verdict.message


def test_a_wrong_value_is_located():
    verdict = run(lambda x: np.cumsum(x) + np.array([0, 0, 1])[: len(x)])
    assert "at index (2,)" in verdict.message and "expected 6" in verdict.message


def test_a_function_that_hangs_is_stopped():
    def learner(x):
        while True:
            time.sleep(0.01)

    start = time.perf_counter()
    verdict = run(learner, timeout=0.3)
    assert verdict.status == "timeout" and "stopped after 0.3 s" in verdict.message
    assert time.perf_counter() - start < 5
