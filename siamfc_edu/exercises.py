"""Student exercises from the solutions: one command, `siamfc-edu make-exercises`.

`solutions/NN_name.py` (jupytext percent format) is the only hand-written copy. Inside it, the
code a learner writes sits between nbgrader's markers, inside a function body:

    # HINT: one line that tells the learner where to start
    ### BEGIN SOLUTION
    ... the solution ...
    ### END SOLUTION

`exercises/NN_name.py` and `.ipynb` are the same notebook with every region replaced by
`raise NotImplementedError("<the hint>")`: the notebook still runs to the end, and each check cell
says "not implemented yet".

The solutions' own `.ipynb` are written from their `.py` too (`write_solution_notebooks`, which
`siamfc-edu make-exercises` runs first), with nbgrader's cell metadata made from the markers
(`nbgrader_cells`): an instructor copies them into an nbgrader course and runs
`nbgrader generate_assignment` as they are. A region's cell is a solution cell, a cell ending in a
`check_*` call an autograded test worth one point, a markdown cell read-only. The `.py` never
shows that metadata (jupytext.toml filters it out). `nbgrader_preprocessors` gives nbgrader our
stub, so that its student version is the one in exercises/.
"""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

BEGIN, END, HINT = "### BEGIN SOLUTION", "### END SOLUTION", "# HINT:"
DEFAULT_HINT = "write this part"
POINTS = 1  # what each check cell is worth in nbgrader


def solution_regions(text: str, source: str = "solution") -> list[tuple[int, int]]:
    """(first, last) line indices of every region, markers included; clear errors if unbalanced."""
    regions, start = [], None
    for i, line in enumerate(text.splitlines()):
        marker = line.strip()
        if marker == BEGIN:
            if start is not None:
                raise ValueError(f"{source}, line {i + 1}: {BEGIN} inside another region")
            start = i
        elif marker == END:
            if start is None:
                raise ValueError(f"{source}, line {i + 1}: {END} without {BEGIN}")
            regions.append((start, i))
            start = None
    if start is not None:
        raise ValueError(f"{source}, line {start + 1}: {BEGIN} is never closed by {END}")
    return regions


def hint_before(lines: list[str], index: int) -> str:
    """The text of the `# HINT:` line just above a region (the default hint when there is none)."""
    above = lines[index - 1].strip() if index > 0 else ""
    return above[len(HINT) :].strip() if above.startswith(HINT) else DEFAULT_HINT


def strip_solutions(text: str, source: str = "solution") -> str:
    """The exercise text: every solution region replaced by a stub carrying its hint."""
    lines = text.splitlines()
    out, done = [], 0
    for first, last in solution_regions(text, source):
        indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
        out += lines[done:first]
        out += [f"{indent}# YOUR CODE HERE",
                f"{indent}raise NotImplementedError({hint_before(lines, first)!r})"]  # fmt: skip
        done = last + 1
    return "\n".join(out + lines[done:]) + "\n"


def solution_lines(text: str) -> set[str]:
    """The distinctive lines of all regions: stripped, without blanks, comments and short ones."""
    lines = text.splitlines()
    found = set()
    for first, last in solution_regions(text):
        for line in lines[first + 1 : last]:
            code = line.strip()
            if len(code) >= 10 and not code.startswith("#"):
                found.add(code)
    return found


def stable_cell_ids(notebook: object, name: str) -> None:
    """Give every cell an id made from its notebook's name and its text, not a random one.

    So regenerating the exercises changes no line, and a cell keeps its id while cells move.
    """
    seen: dict[str, int] = {}
    for cell in notebook.cells:
        digest = hashlib.sha1(f"{name}\n{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:12]
        seen[digest] = seen.get(digest, 0) + 1
        cell.id = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"


def checked_name(source: str) -> str | None:
    """The `check_*` function that a cell's last statement calls (None for any other cell)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    call = body[-1].value if body and isinstance(body[-1], ast.Expr) else None
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name):
        return call.func.id if call.func.id.startswith("check_") else None
    return None


def region_function(source: str, where: str) -> str:
    """The name of the function whose body holds the cell's first solution region."""
    first = solution_regions(source, where)[0][0]
    above = source.splitlines()[:first]
    names = [m.group(1) for line in above if (m := re.match(r"\s*def (\w+)\(", line))]
    if not names:
        raise ValueError(f"{where}: a solution region must sit inside a function body")
    return names[-1]


def nbgrader_cells(notebook: object, source: str = "solution") -> None:
    """nbgrader's metadata (schema 3) on every cell that nbgrader grades, runs or locks.

    A cell holding a region is a solution cell named after its function; a cell whose last
    statement calls `check_x` is an autograded test `check_x` worth POINTS; a markdown cell is
    read-only, named after its stable cell id. Other code cells stay free.
    """
    names: set[str] = set()
    for cell in notebook.cells:
        cell.metadata.pop("nbgrader", None)
        if cell.cell_type == "markdown":
            role = {"grade": False, "grade_id": f"text-{cell.id}", "locked": True}
        elif solution_regions(cell.source, source):
            role = {"grade": False, "grade_id": region_function(cell.source, source)}
            role |= {"locked": False, "solution": True}
        elif check := checked_name(cell.source):
            role = {"grade": True, "grade_id": check, "locked": True, "points": POINTS}
        else:
            continue
        if role["grade_id"] in names:
            raise ValueError(f"{source}: two cells would be named {role['grade_id']!r} in nbgrader")
        names.add(role["grade_id"])
        cell.metadata["nbgrader"] = {"schema_version": 3, "solution": False} | role


def solution_notebook(source: Path) -> object:
    """The notebook of a solution .py: stable cell ids and nbgrader's metadata."""
    import jupytext
    from jupytext.config import load_jupytext_config

    # with jupytext.toml's filters recorded, as `jupytext --sync` records them
    config = load_jupytext_config(str(source.resolve().parent))
    notebook = jupytext.read(source, config=config)
    stable_cell_ids(notebook, source.stem)
    nbgrader_cells(notebook, str(source))
    return notebook


def write_solution_notebooks(solutions: str | Path = "solutions") -> list[Path]:
    """Write solutions/NN_name.ipynb from each NN_name.py, with nbgrader's metadata; the paths."""
    import jupytext

    written = []
    for source in sorted(Path(solutions).glob("[0-9][0-9]_*.py")):
        notebook = source.with_suffix(".ipynb")
        jupytext.write(solution_notebook(source), notebook)
        written.append(notebook)
    return written


def nbgrader_preprocessors() -> list[type]:
    """nbgrader's generate_assignment steps with our stub, for `c.GenerateAssignment.preprocessors`.

    nbgrader's ClearSolutions writes `raise NotImplementedError()` for every region; this one
    writes `strip_solutions`' stub, which carries the region's hint, so nbgrader's student version
    is the one in exercises/. Needs nbgrader (`pip install -e ".[instructor]"`).
    """
    from nbgrader.converters import GenerateAssignment
    from nbgrader.preprocessors import ClearSolutions

    class ClearSolutionsWithHints(ClearSolutions):
        """ClearSolutions with the stub of `strip_solutions` in code cells."""

        def _replace_solution_region(self, cell: object, language: str) -> bool:
            if cell.cell_type != "code" or not solution_regions(cell.source):
                return super()._replace_solution_region(cell, language)
            cell.source = strip_solutions(cell.source)[: None if cell.source.endswith("\n") else -1]
            return True

    steps = GenerateAssignment.class_traits()["preprocessors"].default()
    return [ClearSolutionsWithHints if step is ClearSolutions else step for step in steps]


def make_exercises(
    solutions: str | Path = "solutions", exercises: str | Path = "exercises"
) -> list[Path]:
    """Write exercises/NN_name.py and .ipynb for every solutions/NN_name.py; the paths written."""
    import jupytext

    solutions, exercises = Path(solutions), Path(exercises)
    sources = sorted(solutions.glob("[0-9][0-9]_*.py"))
    if not sources:
        raise FileNotFoundError(f"no solution notebooks (NN_name.py) in {solutions}")
    exercises.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        text = strip_solutions(source.read_text(), str(source))
        script = exercises / source.name
        script.write_text(text)
        notebook = jupytext.reads(text, fmt="py:percent")
        stable_cell_ids(notebook, source.stem)
        jupytext.write(notebook, script.with_suffix(".ipynb"))
        written += [script, script.with_suffix(".ipynb")]
    return written
