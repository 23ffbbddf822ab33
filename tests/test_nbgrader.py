"""Grading with nbgrader, end to end, with nbgrader's own commands.

- The solution notebooks carry the nbgrader metadata that `siamfc-edu make-exercises` writes
  from the markers (`siamfc_edu.exercises.nbgrader_cells`), and nbgrader accepts it.
- `nbgrader generate_assignment` writes the student version that `make-exercises` writes.
- A throw-away course (sqlite gradebook, the `nbgrader_config.py` of docs/instructors.md)
  autogrades three students: the untouched student version scores 0, the solutions full marks,
  one planted mistake per notebook exactly the points of the other checks, and the feedback page
  shows the check's message.

The autograde test runs nbgrader's real commands in quick mode on 02_correlation and
03_labels_and_loss, the two fastest chapters (about 8 s of CPU each per run; 6 checks): three
learners, six notebook runs. The capstone would add two full tracker comparisons (about 95 s of
CPU each); its metadata and its student version are tested here, and its checks pass in grading
mode under nbval (solutions/). Marked slow all the same (nbgrader starts a kernel per notebook).
"""

from __future__ import annotations

import csv
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from siamfc_edu.exercises import make_exercises, nbgrader_cells, solution_notebook

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.py"))
GUIDE = ROOT / "docs" / "instructors.md"
ASSIGNMENT = "ps"
# notebook -> (a line of a solution, the same line with a typical mistake, the check it fails)
PLANTED = {
    "02_correlation": (
        "return 0.001 * cross_correlation_batched(z_embed, x_embed) + bias",
        "return cross_correlation_batched(z_embed, x_embed) + bias",
        "check_score",
    ),
    "03_labels_and_loss": (
        "return torch.where(distance <= radius_cells, 1.0, -1.0)",
        "return torch.where(distance < radius_cells, 1.0, -1.0)",
        "check_label_map",
    ),
}
# which nbgrader metadata a release notebook may carry beyond what make-exercises writes
NBGRADER_KEYS = {"nbgrader", "editable", "deletable"}

SAMPLE = '''# %% [markdown]
# ## Exercise 1: twice x

# %%
import math


# %%
def double(x):
    """Twice x."""
    # HINT: multiply by two
    ### BEGIN SOLUTION
    return x * 2
    ### END SOLUTION


# %%
from checks import check_double

check_double(double)
'''


def roles(notebook) -> list[tuple[str, str, dict | None]]:
    """Each cell's type, text and nbgrader metadata."""
    return [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in notebook.cells]


def nbgrader_config() -> str:
    """The course's nbgrader_config.py, as docs/instructors.md gives it."""
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)
    config = [block for block in blocks if "c.GenerateAssignment.preprocessors" in block]
    assert len(config) == 1, f"{GUIDE.name} lost its nbgrader_config.py block"
    return config[0]


def nbgrader(course: Path, *args: str) -> None:
    """Run one nbgrader command in the course, in quick mode, grading mode left to the config."""
    env = {k: v for k, v in os.environ.items() if k != "SIAMFC_EDU_GRADING"}
    env["SIAMFC_EDU_QUICK"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
    )
    log = f"nbgrader {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    # nbgrader carries on without a config file it cannot load: that must fail here
    assert done.returncode == 0 and "Exception while loading config" not in log, log


def new_course(tmp_path: Path, names: list[str]) -> Path:
    """A course folder with the config and the solution notebooks as the assignment's source."""
    course = tmp_path / "course"
    source = course / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(nbgrader_config())
    for name in names:
        shutil.copy(ROOT / "solutions" / f"{name}.ipynb", source)
    return course


# ----------------------------------------------------------------------------- the metadata


def test_cells_get_their_roles_from_the_markers():
    import jupytext

    notebook = jupytext.reads(SAMPLE, fmt="py:percent")
    for cell in notebook.cells:
        cell.id = f"c{len(cell.source)}"
    nbgrader_cells(notebook)
    statement, imports, solution, check = (c.metadata.get("nbgrader") for c in notebook.cells)
    assert statement == {"grade": False, "grade_id": f"text-{notebook.cells[0].id}",
                         "locked": True, "schema_version": 3, "solution": False}  # fmt: skip
    assert imports is None
    assert solution == {"grade": False, "grade_id": "double", "locked": False,
                        "schema_version": 3, "solution": True}  # fmt: skip
    assert check == {"grade": True, "grade_id": "check_double", "locked": True, "points": 1,
                     "schema_version": 3, "solution": False}  # fmt: skip


@pytest.mark.parametrize(
    "text, message",
    [
        ("# %%\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n", "inside a function body"),
        (SAMPLE + "\n# %%\ncheck_double(double)\n", "two cells would be named 'check_double'"),
    ],
)
def test_cells_nbgrader_cannot_grade_are_refused(text, message):
    import jupytext

    notebook = jupytext.reads(text, fmt="py:percent")
    with pytest.raises(ValueError, match=message):
        nbgrader_cells(notebook, "solutions/99_x.py")


@pytest.mark.parametrize("source", SOLUTIONS, ids=lambda p: p.stem)
def test_solution_notebook_carries_the_metadata_make_exercises_writes(source: Path):
    committed = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    assert roles(committed) == roles(solution_notebook(source)), (
        f"the nbgrader metadata of solutions/{source.stem}.ipynb is out of date: "
        "run `siamfc-edu make-exercises`"
    )


@pytest.mark.parametrize("source", SOLUTIONS, ids=lambda p: p.stem)
def test_nbgrader_accepts_the_metadata_and_every_region_is_graded(source: Path):
    pytest.importorskip("nbgrader")
    from nbgrader.nbgraderformat import MetadataValidator

    notebook = nbformat.read(source.with_suffix(".ipynb"), as_version=4)
    MetadataValidator().validate_nb(notebook)
    kinds = [
        "test" if meta["grade"] else "solution" if meta["solution"] else "text"
        for _, _, meta in roles(notebook)
        if meta
    ]
    assert "solution" in kinds and "test" in kinds, f"{source.stem}: {kinds.count('test')} tests"
    last_solution = len(kinds) - 1 - kinds[::-1].index("solution")
    assert "test" in kinds[last_solution:], f"{source.stem}: a region after the last check cell"


# ----------------------------------------------------------------------------- nbgrader's commands


def test_generate_assignment_writes_the_exercises(tmp_path: Path):
    pytest.importorskip("nbgrader")
    names = [source.stem for source in SOLUTIONS]
    course = new_course(tmp_path, names)
    nbgrader(course, "generate_assignment", ASSIGNMENT)
    make_exercises(ROOT / "solutions", tmp_path / "exercises")
    for name in names:
        release = nbformat.read(course / "release" / ASSIGNMENT / f"{name}.ipynb", as_version=4)
        ours = nbformat.read(tmp_path / "exercises" / f"{name}.ipynb", as_version=4)
        assert len(release.cells) == len(ours.cells), name
        for index, (theirs, mine) in enumerate(zip(release.cells, ours.cells, strict=True)):
            kept = {k: v for k, v in theirs.metadata.items() if k not in NBGRADER_KEYS}
            assert (theirs.cell_type, theirs.source, kept) == (
                mine.cell_type,
                mine.source,
                mine.metadata,
            ), f"{name}, cell {index}: nbgrader's student version differs from exercises/"


@pytest.mark.slow
def test_a_course_grades_untouched_solved_and_mistaken_notebooks(tmp_path: Path):
    pytest.importorskip("nbgrader")
    from nbgrader.api import Gradebook

    course = new_course(tmp_path, list(PLANTED))
    nbgrader(course, "generate_assignment", ASSIGNMENT)
    for student in ("untouched", "solved", "planted"):
        (course / "submitted" / student / ASSIGNMENT).mkdir(parents=True)
    for name, (line, mistaken, _) in PLANTED.items():
        notebook = f"{name}.ipynb"
        shutil.copy(
            course / "release" / ASSIGNMENT / notebook,
            course / "submitted" / "untouched" / ASSIGNMENT,
        )
        solved = (course / "source" / ASSIGNMENT / notebook).read_text()
        (course / "submitted" / "solved" / ASSIGNMENT / notebook).write_text(solved)
        assert solved.count(line) == 1, f"{name}: the line to plant a mistake in has changed"
        (course / "submitted" / "planted" / ASSIGNMENT / notebook).write_text(
            solved.replace(line, mistaken)
        )
    nbgrader(course, "autograde", ASSIGNMENT)
    nbgrader(course, "generate_feedback", ASSIGNMENT)
    nbgrader(course, "export")

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for name, (_, _, check) in PLANTED.items():
            scores = {
                student: {
                    grade.name: (grade.score, grade.max_score)
                    for grade in gradebook.find_submission_notebook(
                        name, ASSIGNMENT, student
                    ).grades
                }
                for student in ("untouched", "solved", "planted")
            }
            assert all(score == 0 for score, _ in scores["untouched"].values()), scores["untouched"]
            assert all(score == most for score, most in scores["solved"].values()), scores["solved"]
            failed = {cell for cell, (score, most) in scores["planted"].items() if score < most}
            assert failed == {check}, f"{name}: the planted mistake failed {failed}, not {check}"

    for name, (_, _, check) in PLANTED.items():
        graded = nbformat.read(course / "autograded" / "planted" / ASSIGNMENT / f"{name}.ipynb", 4)
        cell = next(
            c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == check
        )
        error = next(output for output in cell.outputs if output.output_type == "error")
        assert error.ename == "AssertionError" and error.evalue, error
        page = (course / "feedback" / "planted" / ASSIGNMENT / f"{name}.html").read_text()
        text = html.unescape(re.sub(r"<[^>]+>", "", page))
        assert error.evalue in text, f"{name}: the feedback page lacks the check's message"

    with open(course / "grades.csv") as grades:
        totals = {row["student_id"]: float(row["score"]) for row in csv.DictReader(grades)}
    points = {  # the points of each check cell of the graded notebooks, from the solutions
        (name, meta["grade_id"]): meta["points"]
        for name in PLANTED
        for _, _, meta in roles(nbformat.read(ROOT / "solutions" / f"{name}.ipynb", 4))
        if meta and meta["grade"]
    }
    lost = sum(points[name, check] for name, (_, _, check) in PLANTED.items())
    full = sum(points.values())
    assert totals == {"untouched": 0, "solved": full, "planted": full - lost}, totals
