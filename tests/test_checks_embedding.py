"""The checks of exercise notebook 01 (the embedding): they pass the library and the solutions,
and every typical mistake fails with a verdict that names it (mutation tests)."""

from pathlib import Path

import jupytext
import pytest
import torch
from torch import nn

from siamfc_edu.backbone import AlexNetEmbedding
from siamfc_edu.checks import embedding as checks
from siamfc_edu.config import get_preset

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "01_embedding.py"

CHECKERS = {
    "conv_output_size": (checks.check_conv_output_size, checks.CONV_OUTPUT_MISTAKES),
    "layer_sizes": (checks.check_layer_sizes, checks.LAYER_SIZES_MISTAKES),
    "receptive_field": (checks.check_receptive_field, checks.RECEPTIVE_FIELD_MISTAKES),
    "build_embedding": (checks.check_build_embedding, checks.EMBEDDING_MISTAKES),
}
REFERENCES = {
    "conv_output_size": checks.conv_output_size_reference,
    "layer_sizes": checks.layer_sizes_reference,
    "receptive_field": checks.receptive_field_reference,
    "build_embedding": AlexNetEmbedding,
}
RELU_FIRST = next(m for m in checks.EMBEDDING_MISTAKES if m.name == "ReLU before the batch norm")
MUTANTS = [(name, m) for name, (_, mistakes) in CHECKERS.items() for m in mistakes]


@pytest.fixture(scope="module")
def solution() -> dict:
    """The solution notebook's functions: every code cell but the check cells, run in one dict."""
    namespace: dict = {}
    for cell in jupytext.read(SOLUTION).cells:
        if cell.cell_type == "code" and "check_" not in cell.source:
            exec(compile(cell.source, str(SOLUTION), "exec"), namespace)
    return namespace


# ----------------------------------------------------------------------------- the references


def test_the_references_give_table_1():
    assert checks.layer_sizes_reference(127) == [59, 29, 25, 12, 10, 8, 6]
    assert checks.layer_sizes_reference(255) == [123, 61, 57, 28, 26, 24, 22]
    assert checks.conv_output_size_reference(127, 11, 2) == 59
    assert checks.table1_layers() == list(checks.KERNELS_STRIDES)
    assert checks.receptive_field_reference(checks.table1_layers()) == (
        87,
        get_preset("paper").total_stride,
    )
    assert checks.receptive_field_reference([]) == (1, 1)


@pytest.mark.parametrize("name", CHECKERS)
def test_the_library_passes(name):
    checker, _ = CHECKERS[name]
    verdict = checker(REFERENCES[name])
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("name", CHECKERS)
def test_the_solution_passes(name, solution):
    checker, _ = CHECKERS[name]
    verdict = checker(solution[name])
    assert verdict.passed, verdict.message
    assert "passed on" in verdict.message


# ----------------------------------------------------------------------------- mutation tests


@pytest.mark.parametrize("name, mistake", MUTANTS, ids=[f"{name}: {m.name}" for name, m in MUTANTS])
def test_a_typical_mistake_is_named(name, mistake):
    checker, _ = CHECKERS[name]
    verdict = checker(mistake.fn)
    assert verdict.status == "wrong", verdict.message
    assert verdict.mistake == mistake.name, verdict.message
    assert f"Likely mistake: {mistake.name}. Hint: {mistake.hint}" in verdict.message


@pytest.mark.parametrize("name", CHECKERS)
def test_unfinished_work_says_not_implemented(name):
    def unfinished(*args):
        raise NotImplementedError("write this part")

    checker, _ = CHECKERS[name]
    verdict = checker(unfinished)
    assert verdict.status == "not implemented"
    assert verdict.message == f"{name}: not implemented yet."


@pytest.mark.parametrize("name", CHECKERS)
def test_the_learners_exception_is_one_line_with_its_line(name):
    def broken(*args):
        values = list(args)
        return values[0] / 0

    checker, _ = CHECKERS[name]
    verdict = checker(broken)
    assert verdict.status == "error" and "\n" not in verdict.message
    assert "return values[0] / 0" in verdict.message


# ----------------------------------------------------------------------------- build_embedding


def flatten(net: nn.Module) -> nn.Sequential:
    """The same layers in one nn.Sequential: names 0, 1, 2, ... instead of conv1.0, ..."""
    return nn.Sequential(*[layer for block in net for layer in block])


def test_other_layer_names_still_get_their_outputs_compared(solution):
    """A flat nn.Sequential passes; its mistakes are found once weights load by layer order."""
    channels = (4, 8, 12, 10, 6)
    flat = flatten(solution["build_embedding"](channels))
    assert checks.compare_embeddings(flat, AlexNetEmbedding(channels)) == ""
    relu_first = flatten(RELU_FIRST.fn(channels))
    problem = checks.compare_embeddings(relu_first, AlexNetEmbedding(channels))
    assert problem.startswith("with the library's weights loaded into your layers (by layer order)")
    verdict = checks.check_build_embedding(lambda c: flatten(RELU_FIRST.fn(c)))
    assert verdict.mistake == "ReLU before the batch norm"


def test_a_network_that_cannot_run_is_one_line():
    """Wrong wiring raises inside the forward pass: one line that says so, not a traceback."""

    def miswired(channels):
        c1, c2, c3, c4, c5 = channels
        return nn.Sequential(nn.Conv2d(3, c1, 11, 2), nn.Conv2d(c2, c5, 5))  # c2 for c1

    verdict = checks.check_build_embedding(miswired)
    assert verdict.status == "wrong" and "\n" not in verdict.message
    assert "your network raised RuntimeError" in verdict.message


def test_hard_coded_widths_and_non_modules_fail():
    verdict = checks.check_build_embedding(
        lambda channels: AlexNetEmbedding(get_preset("tiny").channels)
    )
    assert verdict.status == "wrong" and "output 6x6x48 for a 127 input, expected 6x6x6" in (
        verdict.message
    )
    verdict = checks.check_build_embedding(lambda channels: torch.zeros(1, channels[-1], 6, 6))
    assert "expected an nn.Module, got Tensor" in verdict.message


def test_the_check_leaves_the_learners_network_as_it_was():
    net = AlexNetEmbedding((4, 8, 12, 10, 6))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    assert checks.compare_embeddings(net, AlexNetEmbedding((4, 8, 12, 10, 6))) == ""
    assert net.training
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_layer_sizes_describes_the_layer_that_differs():
    verdict = checks.check_layer_sizes(lambda side: [59, 29, 25, 12, 10, 8, 6])  # hard-coded
    assert "wrong on the search image (255): conv1 is 59, expected 123" in verdict.message
    verdict = checks.check_layer_sizes(lambda side: checks.layer_sizes_reference(side)[::2])
    assert "4 sides, expected 7" in verdict.message
