"""Expected outputs of the notebook cells tagged `nbval-check-output`, kept beside the notebooks.

Committed notebooks carry no outputs, and nbval compares a cell only with the outputs stored in
its notebook. So the outputs of marked cells are recorded here, one JSON file per notebook
(`<folder>/<name>.json`: cell source -> outputs), and the root `conftest.py` hands them to nbval:
a marked cell whose value changes fails. A cell is marked with nbval's cell tag, which jupytext
writes in the `.py` as `# %% tags=["nbval-check-output"]` (no comment in the learner's code).
Record after changing a marked cell on purpose:

    SIAMFC_EDU_QUICK=1 python -m tests.notebook_outputs notebooks/06_tracker.ipynb [...]
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TAG = "nbval-check-output"  # nbval's own tag: it compares the outputs of the cells that carry it
KEPT = ("output_type", "name", "text", "data")  # what nbval compares (metadata is skipped)


def is_marked(cell: nbformat.NotebookNode) -> bool:
    """True for a code cell whose output nbval must compare (tagged `nbval-check-output`)."""
    return cell.cell_type == "code" and TAG in cell.get("metadata", {}).get("tags", [])


def expected_path(notebook: Path) -> Path:
    """Where a notebook's expected outputs are recorded."""
    relative = Path(notebook).resolve().relative_to(ROOT)
    return HERE / relative.parent / f"{relative.stem}.json"


def read_expected(notebook: Path) -> dict[str, list]:
    """{cell source: outputs} recorded for a notebook ({} when none were)."""
    path = expected_path(notebook)
    return json.loads(path.read_text()) if path.is_file() else {}


def plain(output: dict) -> dict:
    """An output without what changes from run to run (execution counts, metadata)."""
    kept = {k: v for k, v in output.items() if k in KEPT}
    if "data" in kept:  # images are not compared (nbval skips them too)
        kept["data"] = {k: v for k, v in kept["data"].items() if not k.startswith("image/")}
    return kept


def with_expected_outputs(nb: nbformat.NotebookNode, notebook: Path) -> nbformat.NotebookNode:
    """The notebook with the recorded outputs put into its marked cells, for nbval to compare."""
    expected = read_expected(notebook)
    for cell in nb.cells:
        if is_marked(cell) and cell.source in expected:
            cell.outputs = [nbformat.from_dict(o) for o in expected[cell.source]]
            cell.execution_count = 1
    return nb


def record(notebook: Path, timeout: int = 600) -> Path:
    """Execute a notebook and record the outputs of its marked cells."""
    from nbconvert.preprocessors import ExecutePreprocessor

    nb = nbformat.read(notebook, as_version=4)
    ExecutePreprocessor(timeout=timeout, kernel_name="python3").preprocess(
        nb, {"metadata": {"path": str(Path(notebook).parent)}}
    )
    outputs = {c.source: [plain(o) for o in c.outputs] for c in nb.cells if is_marked(c)}
    path = expected_path(notebook)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(outputs, indent=1, sort_keys=True) + "\n")
    return path
