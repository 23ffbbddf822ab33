"""Chapter 01's own checks beyond the harness (tests/test_checks.py): the references give
Table 1, and build_embedding's behaviour probes say what they find, in words."""

import pytest
import torch
from torch import nn

from siamfc_edu.backbone import AlexNetEmbedding
from siamfc_edu.checks import embedding as checks
from siamfc_edu.config import get_preset
from tests.exercise_registry import solution_namespace

CHANNELS = (4, 8, 12, 10, 6)
CHECKERS = {
    "conv_output_size": checks.check_conv_output_size,
    "layer_sizes": checks.check_layer_sizes,
    "receptive_field": checks.check_receptive_field,
    "build_embedding": checks.check_build_embedding,
}


def mistake(name: str):
    """The typical mistake of build_embedding whose name starts with `name`."""
    return next(m for m in checks.EMBEDDING_MISTAKES if m.name.startswith(name))


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
def test_unfinished_work_says_not_implemented(name):
    def unfinished(*args):
        raise NotImplementedError("write this part")

    verdict = CHECKERS[name](unfinished)
    assert verdict.status == "not implemented"
    assert verdict.message == f"{name}: not implemented yet."


def test_layer_sizes_describes_the_layer_that_differs():
    verdict = checks.check_layer_sizes(lambda side: [59, 29, 25, 12, 10, 8, 6])  # hard-coded
    assert "wrong on the search image (255): conv1 is 59, expected 123" in verdict.message
    verdict = checks.check_layer_sizes(lambda side: checks.layer_sizes_reference(side)[::2])
    assert "4 sides, expected 7" in verdict.message


# ----------------------------------------------------------------------------- build_embedding


def test_the_probes_see_table_1_in_the_library():
    behaviour = checks.Behaviour(checks.randomise(AlexNetEmbedding(CHANNELS)).eval())
    keys = behaviour.keys
    reads = [behaviour.halves(keys[a], keys[b]) for _, a, b in checks.PROBED]
    assert reads == [checks.OWN_HALVES, ((0, 1), (0, 1)), checks.OWN_HALVES, checks.OWN_HALVES]
    assert behaviour.eval_independent and not behaviour.train_independent
    assert behaviour.updates_statistics and behaviour.equivariant


@pytest.mark.parametrize(
    "name, words",
    [
        ("both halves", "in conv2, its first half of filters reads the first half of the input "
         "channels, its second half the first half of the input channels"),
        ("a batch norm that keeps", "in eval mode an image's embedding changes with the other"),
        ("GroupNorm", "in train mode an image's output does not depend on the rest of its batch"),
        ("groups=2 in conv3", "parameters, expected"),  # the count tells, before any probe
    ],
)  # fmt: skip
def test_what_a_probe_finds_is_said_in_words(name, words):
    problem = checks.compare_embeddings(mistake(name).fn(CHANNELS), AlexNetEmbedding(CHANNELS))
    assert words in problem, problem


def test_no_running_statistics_is_found_without_loading_the_weights():
    """The learner's own layers, which the library's weights cannot enter: still named."""
    verdict = checks.check_build_embedding(mistake("a batch norm that keeps").fn)
    assert verdict.mistake == mistake("a batch norm that keeps").name
    assert "running statistics" in verdict.message


def test_other_layer_names_still_get_their_outputs_compared():
    """A flat nn.Sequential passes; its mistakes are found once weights load by layer order."""
    flat = nn.Sequential(
        *[layer for block in mistake("ReLU before").fn(CHANNELS) for layer in block]
    )
    problem = checks.compare_embeddings(flat, AlexNetEmbedding(CHANNELS))
    assert problem.startswith("with the library's weights loaded into your layers (by layer order)")


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
    net = solution_namespace("01_embedding")["build_embedding"](CHANNELS)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    assert checks.compare_embeddings(net, AlexNetEmbedding(CHANNELS)) == ""
    assert net.training
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
