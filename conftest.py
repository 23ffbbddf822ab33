"""Two hooks for the whole suite: recorded notebook outputs for nbval, and quick mode.

Committed notebooks carry no outputs; `tests/notebook_outputs` keeps the expected ones and the
first hook gives them to nbval when it reads a notebook (see that package's docstring).
Quick mode (SIAMFC_EDU_QUICK=1) skips the tests marked `slow`; `pytest -m slow` runs just them.
"""

from pathlib import Path

import nbformat
import nbval.plugin

from tests.notebook_outputs import with_expected_outputs
from tests.quick_mode import pytest_collection_modifyitems  # noqa: F401 (a pytest hook)


class _NotebookReader:
    """nbformat, whose `read` also puts the recorded outputs into the marked cells."""

    def __getattr__(self, name: str) -> object:
        return getattr(nbformat, name)

    @staticmethod
    def read(path: str, as_version: int) -> nbformat.NotebookNode:
        return with_expected_outputs(nbformat.read(path, as_version=as_version), Path(path))


nbval.plugin.nbformat = _NotebookReader()
