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
"""

from __future__ import annotations

from pathlib import Path

BEGIN, END, HINT = "### BEGIN SOLUTION", "### END SOLUTION", "# HINT:"
DEFAULT_HINT = "write this part"


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
        jupytext.write(jupytext.reads(text, fmt="py:percent"), script.with_suffix(".ipynb"))
        written += [script, script.with_suffix(".ipynb")]
    return written
