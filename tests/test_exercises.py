"""Exercises are generated from solutions, exactly and reproducibly; no solution reaches them."""

from pathlib import Path

import pytest

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
        notebook = committed.with_suffix(".ipynb")
        assert notebook.read_text() == (tmp_path / notebook.name).read_text(), (
            f"{notebook} is out of date: run `siamfc-edu make-exercises`"
        )


def test_regenerating_changes_no_line(tmp_path):
    if not SOLUTIONS:
        pytest.skip("no solution notebooks yet")
    first, second = tmp_path / "first", tmp_path / "second"
    make_exercises(ROOT / "solutions", first)
    make_exercises(ROOT / "solutions", second)
    for path in sorted(first.iterdir()):
        assert path.read_text() == (second / path.name).read_text(), f"{path.name} differs"


@pytest.mark.parametrize("source", SOLUTIONS, ids=lambda p: p.name)
def test_no_solution_line_reaches_the_exercises(source):
    exercise = (ROOT / "exercises" / source.name).read_text()
    leaked = [line for line in solution_lines(source.read_text()) if line in exercise]
    assert not leaked, f"solution lines of {source.name} appear in exercises/: {leaked[:3]}"
