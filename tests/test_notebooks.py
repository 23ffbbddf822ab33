"""The course notebooks are stored as the design says: jupytext pairs in sync, without outputs.

nbval itself executes every notebook (`pytest` collects notebooks/*.ipynb, see pyproject.toml);
these tests check what a commit holds, so a notebook edited on one side only, or committed with
outputs, fails CI with a message that says which file and what to run.
"""

from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ["notebooks", "solutions", "exercises"]
PAIRS = sorted(p for folder in FOLDERS for p in (ROOT / folder).glob("[0-9][0-9]_*.py"))
NOTEBOOKS = sorted(p for folder in FOLDERS for p in (ROOT / folder).glob("*.ipynb"))


def test_there_are_notebooks():
    assert PAIRS, "no paired notebooks found in notebooks/"


@pytest.mark.parametrize("script", PAIRS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_pair_is_in_sync(script: Path):
    notebook = script.with_suffix(".ipynb")
    assert notebook.is_file(), f"{notebook.name} is missing: run `jupytext --sync {script}`"
    from_script = jupytext.read(script)
    from_notebook = nbformat.read(notebook, as_version=4)
    sources = [(c.cell_type, c.source) for c in from_script.cells]
    stored = [(c.cell_type, c.source) for c in from_notebook.cells]
    assert sources == stored, f"{notebook.name} and {script.name} differ: run `jupytext --sync`"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_committed_notebook_has_no_outputs_and_a_kernel(notebook: Path):
    nb = nbformat.read(notebook, as_version=4)
    with_outputs = [i for i, c in enumerate(nb.cells) if c.get("outputs")]
    counted = [i for i, c in enumerate(nb.cells) if c.get("execution_count")]
    assert not with_outputs and not counted, (
        f"{notebook.name} holds outputs in cells {with_outputs or counted}: "
        f"run `jupyter nbconvert --clear-output --inplace {notebook}`"
    )
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    assert kernel == "python3", f"{notebook.name} needs kernelspec python3 (got {kernel!r})"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_checked_cell_has_a_recorded_output(notebook: Path):
    from tests.notebook_outputs import expected_path, is_marked, read_expected

    expected = read_expected(notebook)
    marked = [c.source for c in nbformat.read(notebook, as_version=4).cells if is_marked(c)]
    missing = [source.splitlines()[1:2] for source in marked if source not in expected]
    assert not missing, (
        f"{len(missing)} cells of {notebook.name} tagged nbval-check-output have no recorded "
        f"output in {expected_path(notebook).name} (first lines: {missing[:3]}): run "
        f"`SIAMFC_EDU_QUICK=1 python -m tests.notebook_outputs {notebook.relative_to(ROOT)}`"
    )


def test_nbval_reads_notebooks_through_the_recorded_outputs_hook():
    """The root conftest hands nbval the recorded outputs by replacing the `nbformat` that
    `nbval.plugin` reads notebooks with. An nbval that reads them another way would compare the
    tagged cells with nothing: fail here, by name, instead."""
    import inspect

    import nbval.plugin

    assert type(nbval.plugin.nbformat).__name__ == "_NotebookReader", (
        "the root conftest.py no longer replaces nbval.plugin.nbformat"
    )
    source = inspect.getsource(nbval.plugin.IPyNbFile)
    assert "nbformat.read(" in source, (
        f"nbval {nbval.__version__} reads notebooks without `nbformat.read`: the recorded outputs "
        "of tests/notebook_outputs would be ignored; adapt the root conftest.py to it"
    )
