"""Chapter 02 (the correlation layer g): score_map_loop, cross_correlation_batched, score."""

import torch
import torch.nn.functional as F

from siamfc_edu.checks import correlation as checks
from tests.exercise_registry import Entry


def loop_by_unfold(z, x):
    """The windows of x by unfold, one einsum: a right answer without Python loops or conv2d."""
    h, w = z.shape[-2:]
    windows = x.unfold(1, h, 1).unfold(2, w, 1)  # (C, H', W', h, w)
    return torch.einsum("cij,cuvij->uv", z, windows)


def loop_by_matmul(z, x):
    """F.unfold and a matrix product: each window flattened, dotted with the flattened z."""
    h, w = z.shape[-2:]
    columns = F.unfold(x[None], (h, w))[0]  # (C*h*w, H'*W')
    return (z.reshape(1, -1) @ columns).reshape(x.shape[-2] - h + 1, x.shape[-1] - w + 1)


def loop_by_stacking(z, x):
    """One row of dot products per u1, stacked: loops, no preallocated map."""
    h, w = z.shape[-2:]
    rows = []
    for u1 in range(x.shape[-2] - h + 1):
        windows = [x[:, u1 : u1 + h, u2 : u2 + w] for u2 in range(x.shape[-1] - w + 1)]
        rows.append(torch.stack([(z * window).sum() for window in windows]))
    return torch.stack(rows)


def loop_over_channels_summed(z, x):
    """Per channel first, then summed over the channels: the same sum in another order."""
    h, w = z.shape[-2:]
    out = torch.zeros(x.shape[-2] - h + 1, x.shape[-1] - w + 1, dtype=x.dtype)
    for c in range(z.shape[0]):
        for u1 in range(out.shape[0]):
            for u2 in range(out.shape[1]):
                out[u1, u2] += (z[c] * x[c, u1 : u1 + h, u2 : u2 + w]).sum()
    return out


def loop_channels_averaged(z, x):
    """Per-channel maps, averaged over the channels."""
    return torch.stack([loop_by_unfold(z[c : c + 1], x[c : c + 1]) for c in range(len(z))]).mean(0)


def batched_with_the_exemplars_as_input(z, x):
    """The roles swapped: the search maps as filters: fails to run (filters larger than input)."""
    b, c, h, w = z.shape
    out = F.conv2d(z.reshape(1, b * c, h, w), x, groups=b)
    return out.reshape(b, 1, *out.shape[-2:])


def batched_by_einsum_fold(z, x):
    """The batch folded with a view, groups=B, and the maps stacked back with unsqueeze."""
    b, c, height, width = x.shape
    out = F.conv2d(x.view(1, b * c, height, width), z, groups=b)
    return out[0].unsqueeze(1)


def score_broadcasting(z_embed, x_embed, bias):
    """One exemplar repeated with repeat() instead of expand(): a copy, the same numbers."""
    if len(z_embed) == 1:
        z_embed = z_embed.repeat(len(x_embed), 1, 1, 1)
    b, c, height, width = x_embed.shape
    out = F.conv2d(x_embed.reshape(1, b * c, height, width), z_embed, groups=b)
    return out.reshape(b, 1, *out.shape[-2:]) * 0.001 + bias


def score_bias_in_conv2d(z_embed, x_embed, bias):
    """The 0.001 folded into the filters and the bias given to conv2d, one per map."""
    z_embed = z_embed.expand(len(x_embed), -1, -1, -1)
    b, c, height, width = x_embed.shape
    biases = torch.as_tensor(bias, dtype=x_embed.dtype).reshape(-1).expand(b)
    out = F.conv2d(x_embed.reshape(1, b * c, height, width), 0.001 * z_embed, biases, groups=b)
    return out.reshape(b, 1, *out.shape[-2:])


def score_scaled_bias(z_embed, x_embed, bias):
    """0.001 * corr + 0.001 * b: the bias scaled too, written out."""
    z_embed = z_embed.expand(len(x_embed), -1, -1, -1)
    b, c, height, width = x_embed.shape
    out = F.conv2d(x_embed.reshape(1, b * c, height, width), z_embed, groups=b)
    return 0.001 * out.reshape(b, 1, *out.shape[-2:]) + 0.001 * bias


ENTRIES = [
    Entry(
        "02_correlation",
        "score_map_loop",
        checks.check_score_map_loop,
        checks.SCORE_MAP_LOOP,
        alternatives=(loop_by_unfold, loop_by_matmul, loop_by_stacking, loop_over_channels_summed),
        wrong_answers=((loop_channels_averaged, "the channels averaged instead of summed"),),
    ),
    Entry(
        "02_correlation",
        "cross_correlation_batched",
        checks.check_cross_correlation_batched,
        checks.CROSS_CORRELATION_BATCHED,
        alternatives=(batched_by_einsum_fold,),
        wrong_answers=((batched_with_the_exemplars_as_input, None),),
    ),
    Entry(
        "02_correlation",
        "score",
        checks.check_score,
        checks.SCORE,
        alternatives=(score_broadcasting, score_bias_in_conv2d),
        wrong_answers=((score_scaled_bias, "the bias added before scaling (0.001 * (corr + b))"),),
    ),
]
