"""Checks for the exercises of chapter 02, the correlation layer g (`exercises/02_correlation`).

- `check_score_map_loop` (exercise 1, warm-up): one exemplar embedding (C,h,w) slid over one
  search embedding (C,H,W) with plain loops, against `siamfc_edu.head.cross_correlation` on a
  batch of one;
- `check_cross_correlation_batched` (exercise 2): B exemplars over their own B search embeddings
  in ONE grouped `conv2d`, against `cross_correlation`;
- `check_score` (exercise 3): f = 0.001 * corr + b, for a training batch and for the tracker's
  scale pyramid (one exemplar over several search maps), against `CorrelationHead`.

Besides the values, the first two checks count the learner's calls of `conv2d` (with a torch
function mode): the warm-up is the loop (none), the batched version is one call, not a loop over
the batch.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

from ..head import CorrelationHead, cross_correlation
from . import Case, Exercise, Mistake, Verdict, check, graded

# ----------------------------------------------------------------------------- inputs


def randn(seed: int, *shape: int, scale: float = 1.0) -> torch.Tensor:
    """Seeded normal values in float64 (sums of thousands of products stay exact enough)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=generator, dtype=torch.float64) * scale


def small_integers(seed: int, *shape: int) -> torch.Tensor:
    """Seeded integers in -2..2 as float64: answers a learner can verify by hand."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(-2, 3, shape, generator=generator).to(torch.float64)


# the worked example of notebook 02: a 3x3 blob and a 6x6 map that holds it once
BLOB = torch.tensor([[0, 1, 0], [1, 2, 1], [0, 1, 0]], dtype=torch.float64)[None]
BLOB_MAP = torch.tensor(
    [[0, 0, 1, 0, 0, 0],
     [0, 0, 0, 0, 1, 0],
     [0, 0, 1, 0, 0, 0],
     [0, 1, 2, 1, 0, 0],
     [0, 0, 1, 0, 0, 1],
     [1, 0, 0, 0, 0, 1]], dtype=torch.float64)[None]  # fmt: skip


# ----------------------------------------------------------------------------- counting conv2d


class CountConv2d(TorchFunctionMode):
    """Counts the calls of conv2d (F.conv2d, torch.conv2d, nn.Conv2d) while it is active."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func is F.conv2d or func is torch.conv2d:
            self.calls += 1
        return func(*args, **(kwargs or {}))


def counting(fn: Callable) -> tuple[Callable, list[int]]:
    """fn wrapped so that each call appends its number of conv2d calls to the returned list."""
    counts: list[int] = []

    def counted(*args, **kwargs):
        mode = CountConv2d()
        try:
            with mode:
                return fn(*args, **kwargs)
        finally:
            counts.append(mode.calls)

    return counted, counts


# ----------------------------------------------------------------------------- exercise 1

LOOP_TITLE = "score_map_loop"
CONV_IN_THE_LOOP = "conv2d instead of the loops"


def reference_score_map(z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The library's correlation of one exemplar (C,h,w) over one search map (C,H,W)."""
    return cross_correlation(z[None], x[None])[0, 0]


LOOP_MISTAKES = [
    Mistake(
        "the exemplar flipped (a true convolution, not a correlation)",
        "correlation slides z as it is: z[c, i, j] multiplies x[c, u1 + i, u2 + j], no flip.",
        lambda z, x: reference_score_map(z.flip(-2, -1), x),
    ),
    Mistake(
        "only one channel summed",
        "the score of a position is the sum over ALL C channels, not over channel 0 alone.",
        lambda z, x: reference_score_map(z[:1], x[:1]),
    ),
    Mistake(
        "one position too few in each direction (H - h instead of H - h + 1)",
        "the last window starts at row H - h, so there are H - h + 1 positions: range(H - h + 1).",
        lambda z, x: reference_score_map(z, x)[:-1, :-1],
    ),
    Mistake(
        "the products averaged instead of summed",
        "the paper's correlation is a plain sum: no division by C * h * w.",
        lambda z, x: reference_score_map(z, x) / z.numel(),
    ),
    Mistake(
        "the channels averaged instead of summed",
        "each channel's sliding products are summed over the C channels too: .sum(), "
        "not a mean over the channels.",
        lambda z, x: reference_score_map(z, x) / z.shape[0],
    ),
    Mistake(
        "the map transposed (out[u2, u1])",
        "u1 moves down the rows, u2 along the columns: out[u1, u2] for the window "
        "x[:, u1:u1 + h, u2:u2 + w]; the map is (H - h + 1) x (W - w + 1).",
        lambda z, x: reference_score_map(z, x).T,
    ),
]


def loop_cases() -> list[Case]:
    """Notebook 02's blob, a non-square 2-channel pair, a 1x1 map, and the real sizes."""
    return [
        Case("the notebook's 3x3 blob over its 6x6 map (1 channel)", (BLOB, BLOB_MAP)),
        Case(
            "2 channels, a 2x3 exemplar over a 5x7 map",
            (small_integers(1, 2, 2, 3), small_integers(2, 2, 5, 7)),
        ),
        Case(
            "an exemplar as large as the search map (a 1x1 map)",
            (small_integers(3, 3, 4, 4), small_integers(4, 3, 4, 4)),
        ),
        Case(
            "the real sizes, 6x6 over 22x22 (8 channels)", (randn(5, 8, 6, 6), randn(6, 8, 22, 22))
        ),
    ]


SCORE_MAP_LOOP = Exercise(
    LOOP_TITLE,
    reference_score_map,
    loop_cases,
    LOOP_MISTAKES,
    hint="score[u1, u2] = (z * x[:, u1:u1 + h, u2:u2 + w]).sum(), for every u1, u2.",
)


@graded
def check_score_map_loop(fn: Callable) -> Verdict:
    """Exercise 1: the sliding dot product with loops, against the library on a batch of one."""
    counted, counts = counting(fn)
    verdict = SCORE_MAP_LOOP.check(counted)
    if verdict.passed and any(counts):
        return Verdict(
            "wrong",
            f"{LOOP_TITLE}: the values are right, but your function calls conv2d. "
            f"Likely mistake: {CONV_IN_THE_LOOP}. Hint: this warm-up is the formula itself: "
            "loop over the positions (u1, u2) and sum the products; conv2d is exercise 2.",
            CONV_IN_THE_LOOP,
        )
    return verdict


# ----------------------------------------------------------------------------- exercise 2

BATCH_TITLE = "cross_correlation_batched"
LOOP_OVER_BATCH = "a loop over the batch (one convolution per pair)"


def forgot_groups(z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Each search map correlated with all B exemplars, the B maps summed."""
    return F.conv2d(x, z).sum(1, keepdim=True)


def first_search_map(z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Every exemplar over search map 0."""
    return F.conv2d(x[:1], z).transpose(0, 1)


def transposed_fold(z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The batch folded into the channels as (C, B): each group mixes several search maps."""
    b, c, h, w = x.shape
    out = F.conv2d(x.transpose(0, 1).reshape(1, b * c, h, w), z, groups=b)
    return out.reshape(b, 1, out.shape[-2], out.shape[-1])


def flipped_exemplars(z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The exemplars flipped, as if conv2d were a true convolution to undo."""
    return cross_correlation(z.flip(-2, -1), x)


def channels_not_summed(z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A depthwise correlation (groups=B*C): one map per channel, never summed."""
    b, c, h, w = x.shape
    out = F.conv2d(x.reshape(1, b * c, h, w), z.reshape(b * c, 1, *z.shape[-2:]), groups=b * c)
    return out.reshape(b, c, out.shape[-2], out.shape[-1])


def no_final_reshape(z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The grouped convolution's own output: one image with B channels."""
    b, c, h, w = x.shape
    return F.conv2d(x.reshape(1, b * c, h, w), z, groups=b)


BATCH_MISTAKES = [
    Mistake(
        "the groups forgotten: each search map correlated with every exemplar, the maps summed",
        "with groups=B, filter b sees only channels b*C .. (b+1)*C - 1: search map b alone.",
        forgot_groups,
    ),
    Mistake(
        "every exemplar correlated with the first search map",
        "pair exemplar b with search map b: fold ALL B search maps into one image of B*C channels.",
        first_search_map,
    ),
    Mistake(
        "the batch folded into the channels in the wrong order (a transposed reshape)",
        "x.reshape(1, B * C, H, W) keeps the C channels of each search map together; "
        "transposing B and C first interleaves the search maps.",
        transposed_fold,
    ),
    Mistake(
        "the exemplars flipped (conv2d taken for a true convolution)",
        "F.conv2d already correlates (no flip): pass z as it is.",
        flipped_exemplars,
    ),
    Mistake(
        "one map per channel (groups=B*C), the channels never summed",
        "SiamFC's score sums the products over ALL C channels: C channels per group, groups=B, "
        "z as B filters of shape (C, h, w).",
        channels_not_summed,
    ),
    Mistake(
        "the final reshape missing (an answer of shape (1, B, H', W'))",
        "conv2d returns one image with B channels: reshape it to (B, 1, H', W').",
        no_final_reshape,
    ),
]


def batch_cases() -> list[Case]:
    """A batch of one, odd sizes, a non-square exemplar, and the paper's batch of 8 at 6 over 22."""
    return [
        Case(
            "a batch of one (4 channels, 3x3 over 7x7)",
            (randn(11, 1, 4, 3, 3), randn(12, 1, 4, 7, 7)),
        ),
        Case(
            "a batch of 3 with odd sizes (2 channels, 5x5 over 13x13)",
            (randn(13, 3, 2, 5, 5), randn(14, 3, 2, 13, 13)),
        ),
        Case(
            "a batch of 2 with a non-square exemplar (3 channels, 3x5 over 8x11)",
            (randn(15, 2, 3, 3, 5), randn(16, 2, 3, 8, 11)),
        ),
        Case(
            "the real sizes: a batch of 8, 48 channels, 6x6 over 22x22",
            (randn(17, 8, 48, 6, 6), randn(18, 8, 48, 22, 22)),
        ),
    ]


CROSS_CORRELATION_BATCHED = Exercise(
    BATCH_TITLE,
    cross_correlation,
    batch_cases,
    BATCH_MISTAKES,
    hint="fold the batch into the channels, x.reshape(1, B * C, H, W), and use groups=B.",
)


@graded
def check_cross_correlation_batched(fn: Callable) -> Verdict:
    """Exercise 2: B pairs in one grouped conv2d, against the library's cross_correlation."""
    counted, counts = counting(fn)
    cases = CROSS_CORRELATION_BATCHED.inputs()
    verdict = check(
        BATCH_TITLE,
        counted,
        cross_correlation,
        cases,
        BATCH_MISTAKES,
        hint=CROSS_CORRELATION_BATCHED.hint,
    )
    if not verdict.passed:
        return verdict
    for case, calls in zip(cases, counts, strict=False):
        if calls != 1:
            pairs = case.args[0].shape[0]
            name = LOOP_OVER_BATCH if calls == pairs > 1 else None
            advice = f"Likely mistake: {LOOP_OVER_BATCH}. " if name else ""
            return Verdict(
                "wrong",
                f"{BATCH_TITLE}: the values are right, but on {case.name} your function called "
                f"conv2d {calls} times, not once. {advice}Hint: fold the whole batch into the "
                "channels and let groups=B keep the pairs apart: ONE call for all B maps.",
                name,
            )
    return verdict


# ----------------------------------------------------------------------------- exercise 3

SCORE_TITLE = "score"
OUT_SCALE = 0.001


def reference_score(z: torch.Tensor, x: torch.Tensor, bias: float | torch.Tensor) -> torch.Tensor:
    """The library's head, CorrelationHead (out_scale 0.001), with its bias set to `bias`."""
    head = CorrelationHead(OUT_SCALE)
    with torch.no_grad():
        head.bias.fill_(float(bias))
        return head(z, x)


SCORE_MISTAKES = [
    Mistake(
        "the factor 0.001 missing",
        "the raw correlation is a sum of C*h*w products, far too large for the loss: "
        "multiply it by 0.001.",
        lambda z, x, b: cross_correlation(z, x) + float(b),
    ),
    Mistake(
        "the bias added before scaling (0.001 * (corr + b))",
        "scale the correlation first, then add b: f = 0.001 * corr + b.",
        lambda z, x, b: OUT_SCALE * (cross_correlation(z, x) + float(b)),
    ),
    Mistake(
        "the bias multiplied instead of added",
        "b shifts the whole map: add it to every cell, f = 0.001 * corr + b.",
        lambda z, x, b: OUT_SCALE * cross_correlation(z, x) * float(b),
    ),
    Mistake(
        "the bias forgotten",
        "the paper's f(z, x) = corr + b*1: add b to every cell after the 0.001.",
        lambda z, x, b: OUT_SCALE * cross_correlation(z, x),
    ),
]


def score_cases() -> list[Case]:
    """A training batch, a batch of one with the bias as the head's tensor, the scale pyramid."""
    return [
        Case(
            "a training batch (2 pairs, 16 channels, 6x6 over 22x22), b = -3",
            (randn(21, 2, 16, 6, 6, scale=4.0), randn(22, 2, 16, 22, 22, scale=4.0), -3.0),
        ),
        Case(
            "a batch of one with b = 0.5 given as a tensor of shape (1,), like the head's bias",
            (
                randn(23, 1, 8, 6, 6, scale=4.0),
                randn(24, 1, 8, 22, 22, scale=4.0),
                torch.tensor([0.5], dtype=torch.float64),
            ),
        ),
        Case(
            "the tracker's scale pyramid (one exemplar over 3 search maps), b = -1.25",
            (randn(25, 1, 16, 6, 6, scale=4.0), randn(26, 3, 16, 22, 22, scale=4.0), -1.25),
        ),
    ]


SCORE = Exercise(
    SCORE_TITLE,
    reference_score,
    score_cases,
    SCORE_MISTAKES,
    hint="f = 0.001 * corr + b; with ONE exemplar and several search maps, pair a copy of "
    "the exemplar with each (z.expand(len(x), -1, -1, -1)).",
)


@graded
def check_score(fn: Callable) -> Verdict:
    """Exercise 3: f = 0.001 * corr + b, against CorrelationHead (paired batch and pyramid)."""
    return SCORE.check(fn)
