"""Chapter 02's own checks beyond the harness (tests/test_checks.py): the references are the
library's, and the rules of method (no conv2d in the warm-up, one conv2d for the batch) are named.
"""

import pytest
import torch
import torch.nn.functional as F

from siamfc_edu.checks.correlation import (
    CONV_IN_THE_LOOP,
    LOOP_OVER_BATCH,
    check_cross_correlation_batched,
    check_score,
    check_score_map_loop,
    reference_score,
    reference_score_map,
)
from siamfc_edu.head import cross_correlation

CHECKERS = {
    "score_map_loop": check_score_map_loop,
    "cross_correlation_batched": check_cross_correlation_batched,
    "score": check_score,
}


# ----------------------------------------------------------------------------- right answers


def loop_with_the_library(z, x):
    """Exercise 1 through the library, without conv2d (its check forbids conv2d): the unfold."""
    h, w = z.shape[-2:]
    windows = x.unfold(1, h, 1).unfold(2, w, 1)  # (C, H', W', h, w)
    return torch.einsum("cij,cuvij->uv", z, windows)


def test_the_loop_reference_is_the_library_on_a_batch_of_one():
    z, x = torch.randn(3, 2, 4, dtype=torch.float64), torch.randn(3, 7, 9, dtype=torch.float64)
    assert torch.allclose(reference_score_map(z, x), cross_correlation(z[None], x[None])[0, 0])
    assert torch.allclose(loop_with_the_library(z, x), reference_score_map(z, x))


def test_the_score_reference_is_the_head_with_its_bias():
    z, x = torch.randn(2, 4, 3, 3), torch.randn(2, 4, 9, 9)
    assert torch.allclose(reference_score(z, x, -2.0), 0.001 * cross_correlation(z, x) - 2.0)


def test_the_warm_up_with_conv2d_is_named():
    verdict = check_score_map_loop(lambda z, x: F.conv2d(x[None], z[None])[0, 0])
    assert verdict.status == "wrong" and verdict.mistake == CONV_IN_THE_LOOP
    assert "the values are right" in verdict.message


def test_a_loop_over_the_batch_is_named():
    def per_pair(z, x):
        return torch.cat([F.conv2d(x[b : b + 1], z[b : b + 1]) for b in range(len(x))])

    verdict = check_cross_correlation_batched(per_pair)
    assert verdict.status == "wrong" and verdict.mistake == LOOP_OVER_BATCH
    assert "called conv2d 3 times" in verdict.message  # the first batch of more than one: 3


def test_the_batched_version_without_conv2d_is_refused():
    def by_unfold(z, x):
        return torch.stack([loop_with_the_library(zb, xb) for zb, xb in zip(z, x, strict=True)])[
            :, None
        ]

    verdict = check_cross_correlation_batched(by_unfold)
    assert verdict.status == "wrong" and "conv2d 0 times, not once" in verdict.message


def test_the_pyramid_is_needed_for_the_score():
    def paired_only(z, x, bias):
        b, c, h, w = x.shape
        out = F.conv2d(x.reshape(1, b * c, h, w), z, groups=b)
        return 0.001 * out.reshape(b, 1, out.shape[-2], out.shape[-1]) + bias

    verdict = check_score(paired_only)
    assert verdict.status == "error" and "scale pyramid" in verdict.message
    assert "F.conv2d(x.reshape(1, b * c, h, w), z, groups=b)" in verdict.message


# ----------------------------------------------------------------------------- unfinished, errors


@pytest.mark.parametrize("name", list(CHECKERS))
def test_unfinished_work_says_not_implemented(name):
    checker = CHECKERS[name]

    def unfinished(*args):
        raise NotImplementedError("for each position, multiply and sum")

    verdict = checker(unfinished)
    assert verdict.status == "not implemented"
    assert verdict.message == f"{name}: not implemented yet."


@pytest.mark.parametrize("name", list(CHECKERS))
def test_the_learners_exception_is_one_line_with_its_line(name):
    checker = CHECKERS[name]

    def broken(z, x, *rest):
        folded = x.reshape(1, -1, x.shape[-2], x.shape[-1])
        return F.conv2d(folded, z.reshape(-1, 7, 1, 1))

    verdict = checker(broken)
    assert verdict.status == "error" and "\n" not in verdict.message, verdict.message
    assert "RuntimeError" in verdict.message
    assert "in broken, line" in verdict.message
    assert "F.conv2d(folded, z.reshape(-1, 7, 1, 1))" in verdict.message
