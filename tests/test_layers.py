"""The library's layers: no import cycle, and every import goes down the layer order.

COURSE.md, "The library": the paper's pieces never import the course's tools, the tracker never
imports training or data code, and the metrics need neither the network nor torch.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "siamfc_edu"

# Each top-level module (or subpackage) of siamfc_edu and its layer: a module may import only
# modules of a lower layer (the modules inside one subpackage may import each other).
LAYER = {
    "config": 0,
    "boxes": 1,
    "files": 1,
    "runtime": 1,  # the device, float32 on a GPU, frames into tensors (tracker's plumbing)
    "images": 1,
    "crops": 2,
    "backbone": 2,
    "head": 2,
    "losses": 2,
    "interface": 2,
    "model": 3,
    "device_crops": 3,  # the crops and upsampling as batched tensor ops (uses crops)
    "tracker": 4,
    "fast_tracker": 4.5,  # the tracker on the device, batched (uses tracker's pieces)
    "baselines": 4,
    "data": 4,
    "evaluate": 5,  # metrics, runs, the OTB and VOT protocols, reports (a subpackage)
    "train": 5,
    "viz": 5,
    "widgets": 6,
    "track_outputs": 6,  # a tracking run's boxes file and annotated video (uses viz)
    "checks": 6,
    "exercises": 6,
    "cli": 7,
    "trax": 7,  # like the cli, a tool on top: the VOT toolkit's entry point (siamfc-edu-vot)
}
# Beyond the order: what the evaluation code may not touch (its metrics serve any tracker).
FORBIDDEN = {
    "evaluate": {"tracker", "fast_tracker", "model", "backbone", "head", "train"},
    "baselines": {"tracker", "model", "backbone", "head"},
}


def module_name(path: Path) -> str:
    """'siamfc_edu.data.pairs' for siamfc_edu/data/pairs.py; packages by their folder."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def resolve(importer: str, node: ast.ImportFrom) -> list[str]:
    """The siamfc_edu modules one `from ... import ...` statement loads."""
    if node.level:
        package = (
            importer if MODULES[importer].name == "__init__.py" else importer.rsplit(".", 1)[0]
        )
        base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
        target = f"{base}.{node.module}" if node.module else base
    else:
        target = node.module or ""
    if not target.startswith("siamfc_edu"):
        return []
    found = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES]
    return found or [target]


def imports_of(name: str) -> set[str]:
    """The siamfc_edu modules a module imports, at any place in its file."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.ImportFrom):
            found.update(resolve(name, node))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("siamfc_edu."))
    return found


def top(name: str) -> str:
    """The layer a module belongs to: its first name inside the package.

    An entry point (`__main__`, run by `python -m siamfc_edu.train`) belongs to the cli's layer.
    """
    if name.endswith(".__main__"):
        return "cli"
    return name.split(".")[1] if name.count(".") else "__init__"


GRAPH = {name: imports_of(name) for name in MODULES}


def test_every_import_names_a_module_that_exists():
    for name, targets in GRAPH.items():
        missing = sorted(t for t in targets if t not in MODULES)
        assert not missing, f"{name} imports {missing}, which do not exist"


def test_the_layer_table_names_every_module_and_only_those():
    layers = {top(name) for name in MODULES} - {"__init__"}
    assert layers == set(LAYER), f"missing: {layers - set(LAYER)}, stale: {set(LAYER) - layers}"


@pytest.mark.parametrize("name", sorted(n for n in MODULES if top(n) != "__init__"))
def test_imports_go_down_the_layers(name):
    layer = top(name)
    for target in GRAPH[name]:
        other = top(target)
        if other == layer:
            continue
        assert other != "__init__", f"{name} imports the package itself; import the module"
        assert LAYER[other] < LAYER[layer], f"{name} (layer {layer}) imports {target} ({other})"
        assert other not in FORBIDDEN.get(layer, ()), f"{name} may not import {target}"


def test_no_import_cycle():
    done, path = set(), []

    def visit(name: str) -> None:
        if name in path:
            cycle = path[path.index(name) :] + [name]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        path.append(name)
        for target in sorted(GRAPH[name]):
            visit(target)
        path.pop()
        done.add(name)

    for name in sorted(MODULES):
        visit(name)
