"""Three hooks for the whole suite: recorded notebook outputs for nbval, quick mode, and grading
mode for the solution notebooks.

Committed notebooks carry no outputs; `tests/notebook_outputs` keeps the expected ones and the
first hook gives them to nbval when it reads a notebook (see that package's docstring). nbval has
no supported way to take outputs from elsewhere, so this replaces the `nbformat` that
`nbval.plugin` reads notebooks with; pyproject pins nbval to the minor version this was written
for, and tests/test_notebooks.py fails loudly if an nbval stops reading notebooks through it.
Quick mode (SIAMFC_EDU_QUICK=1) is the marker expression `-m "not slow"` when none is given;
`pytest -m slow` runs just the slow tests.
The solution notebooks run in the checks' grading mode (SIAMFC_EDU_GRADING=1, which their kernel
inherits): a check cell whose verdict is not "passed" fails there, where nbval's lax mode would
otherwise let a printed "wrong" through. Exercises and course notebooks run without it.
"""

import os
from pathlib import Path

import nbformat
import nbval.plugin
import pytest

from siamfc_edu.checks import GRADING
from siamfc_edu.config import quick_mode
from tests.notebook_outputs import with_expected_outputs


class _NotebookReader:
    """nbformat, whose `read` also puts the recorded outputs into the marked cells."""

    def __getattr__(self, name: str) -> object:
        return getattr(nbformat, name)

    @staticmethod
    def read(path: str, as_version: int) -> nbformat.NotebookNode:
        return with_expected_outputs(nbformat.read(path, as_version=as_version), Path(path))


nbval.plugin.nbformat = _NotebookReader()


def pytest_configure(config: pytest.Config) -> None:
    """Quick mode: leave the slow tests out (`-m "not slow"`), unless a -m expression was given."""
    if quick_mode() and not config.getoption("markexpr"):
        config.option.markexpr = "not slow"


SOLUTIONS = Path(__file__).resolve().parent / "solutions"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Grading mode on for the items of solutions/ (before nbval starts their kernel), else off."""
    if Path(item.path).resolve().is_relative_to(SOLUTIONS):
        os.environ[GRADING] = "1"
    else:
        os.environ.pop(GRADING, None)
