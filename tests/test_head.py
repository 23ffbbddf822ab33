"""The correlation layer g against a plain loop of per-pair convolutions."""

import pytest
import torch
import torch.nn.functional as F

from siamfc_edu.head import CorrelationHead, cross_correlation


def loop_reference(z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """One conv2d per pair: exemplar i (or the single exemplar) over search image i."""
    maps = [
        F.conv2d(x[i : i + 1], z[i if len(z) > 1 else 0 : (i if len(z) > 1 else 0) + 1])
        for i in range(len(x))
    ]
    return torch.cat(maps)


def test_one_exemplar_per_search_image():
    torch.manual_seed(0)
    z = torch.randn(8, 32, 6, 6, dtype=torch.float64)
    x = torch.randn(8, 32, 22, 22, dtype=torch.float64)
    out = cross_correlation(z, x)
    assert out.shape == (8, 1, 17, 17)
    torch.testing.assert_close(out, loop_reference(z, x), rtol=1e-10, atol=1e-10)


def test_one_exemplar_for_several_scales():
    torch.manual_seed(1)
    z = torch.randn(1, 32, 6, 6, dtype=torch.float64)
    x = torch.randn(3, 32, 22, 22, dtype=torch.float64)
    expected = loop_reference(z, x)
    torch.testing.assert_close(cross_correlation(z, x), expected, rtol=1e-10, atol=1e-10)


def test_head_equals_the_loop_to_1e_5():
    """The layer as the network uses it (float32, x 0.001, + bias) against the loop."""
    torch.manual_seed(2)
    head = CorrelationHead(out_scale=0.001)
    with torch.no_grad():
        head.bias.fill_(0.5)
    z, x = torch.randn(8, 256, 6, 6), torch.randn(8, 256, 22, 22)
    expected = loop_reference(z.double(), x.double()) * 0.001 + 0.5
    assert (head(z, x).double() - expected).abs().max() < 1e-5


def test_mismatched_batches_and_channels_are_refused():
    with pytest.raises(ValueError, match="exemplars"):
        cross_correlation(torch.randn(2, 8, 6, 6), torch.randn(3, 8, 22, 22))
    with pytest.raises(ValueError, match="equal C"):
        cross_correlation(torch.randn(1, 8, 6, 6), torch.randn(3, 4, 22, 22))
