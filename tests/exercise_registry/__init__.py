"""The registry of every exercise check: one `Entry` per exercise, gathered from one module per
chapter (`ch01_embedding.py`, ...), for the one harness in tests/test_checks.py.

An entry names the solution notebook and its function, the public checker, the `Exercise` it
runs (reference, inputs, named mistakes), and what a learner might write beyond the named
mistakes: `alternatives` (right answers written differently: each must pass) and
`wrong_answers` (realistic wrong answers: each must fail, naming the given mistake, or naming
none when the given name is None).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jupytext

from siamfc_edu.checks import Exercise

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Entry:
    """One exercise: where its solution is, how it is checked, and answers to try on it."""

    notebook: str  # the solution notebook's stem, e.g. "02_correlation"
    function: str  # the function the learner writes
    checker: Callable  # the public check_* function the notebook's check cell calls
    exercise: Exercise  # the check's reference, inputs and named mistakes
    alternatives: Sequence[Callable] = ()
    wrong_answers: Sequence[tuple[Callable, str | None]] = ()

    @property
    def id(self) -> str:
        """A short test id: notebook number and function."""
        return f"{self.notebook[:2]}:{self.function}"


@cache
def solution_namespace(notebook: str) -> dict:
    """The solution notebook's code cells that call no check, run in one namespace."""
    namespace: dict = {}
    for cell in jupytext.read(ROOT / "solutions" / f"{notebook}.py").cells:
        if cell.cell_type == "code" and "check_" not in cell.source:
            exec(compile(cell.source, f"solutions/{notebook}.py", "exec"), namespace)
    return namespace


def solution(entry: Entry) -> Callable:
    """The solution notebook's function for an entry."""
    return solution_namespace(entry.notebook)[entry.function]


def all_entries() -> list[Entry]:
    """Every chapter module's ENTRIES, in chapter order."""
    entries: list[Entry] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        entries += importlib.import_module(f"{__name__}.{info.name}").ENTRIES
    return entries
