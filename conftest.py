"""nbval compares the cells marked # NBVAL_CHECK_OUTPUT with outputs recorded in tests/.

Committed notebooks carry no outputs; `tests/notebook_outputs` keeps the expected ones and this
hook gives them to nbval when it reads a notebook (see that package's docstring).
"""

from pathlib import Path

import nbformat
import nbval.plugin

from tests.notebook_outputs import with_expected_outputs


class _NotebookReader:
    """nbformat, whose `read` also puts the recorded outputs into the marked cells."""

    def __getattr__(self, name: str) -> object:
        return getattr(nbformat, name)

    @staticmethod
    def read(path: str, as_version: int) -> nbformat.NotebookNode:
        return with_expected_outputs(nbformat.read(path, as_version=as_version), Path(path))


nbval.plugin.nbformat = _NotebookReader()
