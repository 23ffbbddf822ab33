"""Dependencies run one way: the paper's pieces never import the course's tools."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "siamfc_edu"
PAPER = {"config", "ops", "backbone", "head", "losses", "model", "tracker"}
TOOLS = {"widgets", "checks", "cli", "train", "evaluate", "baselines"}
# what each layer may not import (COURSE.md, "The library")
FORBIDDEN = {
    **{name: TOOLS | {"data"} for name in PAPER},
    "data": TOOLS | {"tracker"},
    "evaluate": {"train", "cli", "widgets", "checks", "tracker"},
    "baselines": {"train", "cli", "widgets", "checks", "evaluate"},
    "train": {"cli", "widgets", "checks", "evaluate", "baselines", "tracker"},
}


def imported_modules(path: Path) -> set[str]:
    """The siamfc_edu modules a file imports, by their first name inside the package."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            parts = (node.module or "").split(".")
            if node.level == 1 and path.parent.name == "data":
                names.add("data")  # a sibling inside data/
            elif parts[0]:
                names.add(parts[0])
            else:
                names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("siamfc_edu."):
            names.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            names.update(
                a.name.split(".")[1] for a in node.names if a.name.startswith("siamfc_edu.")
            )
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_nothing_above_it(layer):
    files = (
        sorted((PACKAGE / layer).rglob("*.py")) if layer == "data" else [PACKAGE / f"{layer}.py"]
    )
    for path in files:
        bad = imported_modules(path) & FORBIDDEN[layer]
        assert not bad, f"{path.relative_to(PACKAGE.parent)} imports {sorted(bad)}"
