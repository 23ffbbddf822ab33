"""Checks of exercise notebook 01 (the embedding phi of Table 1).

- `check_conv_output_size`  exercise 1: the side after one conv or pool, floor((n - k) / s) + 1;
- `check_layer_sizes`       exercise 2: the side after every layer of Table 1, for one input side;
- `check_receptive_field`   exercise 3: receptive field and total stride of a stack of layers;
- `check_build_embedding`   exercise 4: phi itself, an nn.Module per Table 1.

The references are the library's (`siamfc_edu.backbone.AlexNetEmbedding`) or PyTorch's own
layers, run on zeros: never a second copy of the solutions. `build_embedding` is compared by
behaviour, not by code: output shapes, parameter count, the sign of the output, and the output
itself once the reference's weights are loaded into the learner's layers.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import nn

from ..backbone import AlexNetEmbedding
from ..config import get_preset
from . import Case, Mistake, Verdict, check, compare_arrays

# The rows of Table 1 in order: (name, kernel, stride).
LAYERS = ("conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5")
KERNELS_STRIDES = ((11, 2), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1))


def one_line(error: BaseException) -> str:
    """An exception as `Type: first line`, at most 300 characters."""
    return f"{type(error).__name__}: {error}".strip().splitlines()[0][:300]


# ============================================================================= exercise 1


def conv_output_size_reference(n: int, kernel: int, stride: int) -> int:
    """PyTorch's answer: the length after a pooling of that kernel and stride (no padding)."""
    return F.avg_pool1d(torch.zeros(1, 1, n), kernel, stride).shape[-1]


CONV_OUTPUT_CASES = [
    Case("conv1 on the exemplar (n=127, k=11, s=2)", (127, 11, 2)),
    Case("pool1 on the exemplar (n=59, k=3, s=2)", (59, 3, 2)),
    Case("conv3 on the exemplar (n=12, k=3, s=1)", (12, 3, 1)),
    Case("a side the stride does not divide (n=10, k=3, s=2)", (10, 3, 2)),
    Case("a kernel as large as the input (n=5, k=5, s=2)", (5, 5, 2)),
    Case("conv1 on the search image (n=255, k=11, s=2)", (255, 11, 2)),
]
CONV_OUTPUT_MISTAKES = [
    Mistake(
        "forgetting the +1",
        "the first window starts at pixel 0 and counts too: floor((n - k) / s) + 1",
        lambda n, k, s: (n - k) // s,
    ),
    Mistake(
        "dividing without flooring",
        "a window that does not fit is dropped: use // (floor), not /",
        lambda n, k, s: (n - k) / s + 1,
    ),
    Mistake(
        "rounding up instead of down",
        "a window that does not fit is dropped: floor, not ceil",
        lambda n, k, s: math.ceil((n - k) / s) + 1,
    ),
    Mistake(
        "'same' padding (n / s)",
        "SiamFC pads nothing: the kernel must fit inside the n pixels, floor((n - k) / s) + 1",
        lambda n, k, s: math.ceil(n / s),
    ),
]


def check_conv_output_size(fn) -> Verdict:
    """Exercise 1: conv_output_size(n, kernel, stride) = floor((n - k) / s) + 1."""
    return check(
        "conv_output_size",
        fn,
        conv_output_size_reference,
        CONV_OUTPUT_CASES,
        CONV_OUTPUT_MISTAKES,
        hint="count the positions of a k-wide window that steps by s inside n pixels",
    )


# ============================================================================= exercise 2


@lru_cache(maxsize=1)
def _narrow_embedding() -> AlexNetEmbedding:
    """The library's phi with 2 channels per layer: the same sizes as the paper's, and fast."""
    return AlexNetEmbedding((2, 2, 2, 2, 2)).eval()


def layer_sizes_reference(side: int) -> list[int]:
    """The library's `AlexNetEmbedding.layer_sizes`, as a list in the order of Table 1."""
    sizes = _narrow_embedding().layer_sizes(side)
    return [sizes[name] for name in LAYERS]


def _valid(n: int, k: int, s: int) -> int:
    """The side after a layer without padding (for the mistakes, which get the rest wrong)."""
    return (n - k) // s + 1


def _sizes_with(side: int, rule) -> list[int]:
    """The sides of Table 1's layers, each computed by rule(n, kernel, stride, index)."""
    sizes, n = [], side
    for i, (k, s) in enumerate(KERNELS_STRIDES):
        n = rule(n, k, s, i)
        sizes.append(n)
    return sizes


def compare_sizes(got: object, expected: Sequence[int]) -> str:
    """'' when the sizes are equal, else the first layer that differs."""
    if isinstance(got, dict):  # the library's helper returns {layer: side}: accept that too
        got = [got.get(name) for name in LAYERS]
    try:
        got = list(got)
    except TypeError:
        return f"expected a list of {len(expected)} sides, got {type(got).__name__}"
    if len(got) != len(expected):
        return (f"{len(got)} sides, expected {len(expected)} (one per layer: "
                f"{', '.join(LAYERS)})")  # fmt: skip
    for name, g, e in zip(LAYERS, got, expected, strict=True):
        try:
            same = float(g) == float(e)
        except (TypeError, ValueError):
            return f"{name} is {g!r}, expected the number {e}"
        if not same:
            return f"{name} is {g}, expected {e} (yours: {got}, expected: {list(expected)})"
    return ""


LAYER_SIZES_CASES = [
    Case("the exemplar (127)", (127,)),
    Case("the search image (255)", (255,)),
    Case("the smallest input, one output cell (87)", (87,)),
    Case("one stride more than the exemplar (135)", (135,)),
    Case("a side that leaves remainders (100)", (100,)),
]
LAYER_SIZES_MISTAKES = [
    Mistake(
        "forgetting the max-pools",
        "pool1 and pool2 are layers too: 3x3, stride 2, after conv1 and after conv2",
        lambda side: _sizes_with(side, lambda n, k, s, i: n if i in (1, 3) else _valid(n, k, s)),
    ),
    Mistake(
        "'same' padding (n / s)",
        "SiamFC pads nothing: every layer uses floor((n - k) / s) + 1",
        lambda side: _sizes_with(side, lambda n, k, s, i: math.ceil(n / s)),
    ),
    Mistake(
        "forgetting the +1",
        "floor((n - k) / s) + 1: the first window counts too",
        lambda side: _sizes_with(side, lambda n, k, s, i: (n - k) // s),
    ),
    Mistake(
        "AlexNet's stride 4 in conv1",
        "SiamFC's conv1 has stride 2 (AlexNet's has 4): Table 1 says 11x11, stride 2",
        lambda side: _sizes_with(side, lambda n, k, s, i: _valid(n, k, 4 if i == 0 else s)),
    ),
    Mistake(
        "2x2 max-pools",
        "the pools are 3x3 with stride 2 (overlapping, as in AlexNet)",
        lambda side: _sizes_with(
            side, lambda n, k, s, i: n // 2 if i in (1, 3) else _valid(n, k, s)
        ),
    ),
]


def check_layer_sizes(fn) -> Verdict:
    """Exercise 2: layer_sizes(side), the side after conv1, pool1, ..., conv5."""
    return check(
        "layer_sizes",
        fn,
        layer_sizes_reference,
        LAYER_SIZES_CASES,
        LAYER_SIZES_MISTAKES,
        compare=compare_sizes,
        hint="apply conv_output_size to each row of TABLE1 in turn, starting from side",
    )


# ============================================================================= exercise 3


def single(v: int | tuple[int, ...]) -> int:
    """PyTorch stores conv kernels and strides as pairs, pooling ones as ints."""
    return v[0] if isinstance(v, tuple) else v


def table1_layers() -> list[tuple[int, int]]:
    """(kernel, stride) of every conv and pool of the library's phi, in order."""
    layers = []
    for module in _narrow_embedding().modules():
        if isinstance(module, (nn.Conv2d, nn.MaxPool2d)):
            k, s = module.kernel_size, module.stride
            layers.append((single(k), single(s)))
    return layers


def receptive_field_reference(layers: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """Measured with PyTorch, as notebook 01 does: the input pixels output cell 0 depends on.

    The stack is rebuilt with average pools of the same kernels and strides (all weights
    positive, so the gradient is non-zero exactly on the receptive field), in one dimension.
    The receptive field is the width of cell 0's gradient, the stride where cell 1's begins.
    """
    layers = [(int(k), int(s)) for k, s in layers]
    jump = math.prod(s for _, s in layers)
    side = (sum(k for k, _ in layers) + 2) * jump + 1  # room for at least two output cells
    x = torch.ones(1, 1, side, dtype=torch.float64, requires_grad=True)
    y = x
    for k, s in layers:
        y = F.avg_pool1d(y, k, s)
    first = [torch.autograd.grad(y[0, 0, i], x, retain_graph=True)[0][0, 0] for i in (0, 1)]
    field = torch.nonzero(first[0]).flatten()
    return int(field[-1] - field[0] + 1), int(torch.nonzero(first[1]).flatten()[0])


def compare_field(got: object, expected: tuple[int, int]) -> str:
    """'' when (receptive field, stride) match, else which one differs."""
    try:
        r, j = got
        r, j = float(r), float(j)
    except (TypeError, ValueError):
        return f"expected a pair (receptive field, total stride), got {got!r}"
    if r != expected[0]:
        return f"receptive field {r:g} px, expected {expected[0]} px (stride {j:g})"
    if j != expected[1]:
        return f"total stride {j:g} px, expected {expected[1]} px"
    return ""


def _field_with(layers, update) -> tuple[int, int]:
    r, j = 1, 1
    for k, s in layers:
        r, j = update(r, j, k, s)
    return r, j


def _field_jump_first(layers):
    r, j = 1, 1
    for k, s in layers:
        j = j * s
        r = r + (k - 1) * j
    return r, j


def _field_from_zero(layers):
    r, j = 0, 1
    for k, s in layers:
        r, j = r + (k - 1) * j, j * s
    return r, j


RECEPTIVE_FIELD_CASES = [
    Case("one layer: conv1 (11x11, stride 2)", ([(11, 2)],)),
    Case("conv1 then pool1", ([(11, 2), (3, 2)],)),
    Case("no layer at all", ([],)),
    Case("three 3x3 convs of stride 1", ([(3, 1)] * 3,)),
    Case("a 1x1 conv of stride 2, then a 3x3 conv", ([(1, 2), (3, 1)],)),
    Case("Table 1, read from the library's phi (conv1 ... conv5, the pools)", (table1_layers(),)),
]
RECEPTIVE_FIELD_MISTAKES = [
    Mistake(
        "updating the stride before the receptive field",
        "layer l widens the field by (k - 1) times the stride of the layers BEFORE it, j_{l-1}",
        _field_jump_first,
    ),
    Mistake(
        "starting from a receptive field of 0",
        "before any layer, one output pixel sees one input pixel: r_0 = 1",
        _field_from_zero,
    ),
    Mistake(
        "forgetting to multiply by the stride so far",
        "after a stride-2 layer, one more tap of the next kernel spans 2 input pixels: (k-1)*j",
        lambda layers: _field_with(layers, lambda r, j, k, s: (r + k - 1, j * s)),
    ),
    Mistake(
        "returning (stride, receptive field)",
        "return the pair in the order (receptive field, total stride)",
        lambda layers: _field_with(layers, lambda r, j, k, s: (r + (k - 1) * j, j * s))[::-1],
    ),
]


def check_receptive_field(fn) -> Verdict:
    """Exercise 3: receptive_field(layers) -> (r, j) for a list of (kernel, stride)."""
    return check(
        "receptive_field",
        lambda layers: fn(list(layers)),  # a copy: the cases stay as they are, whatever fn does
        receptive_field_reference,
        RECEPTIVE_FIELD_CASES,
        RECEPTIVE_FIELD_MISTAKES,
        compare=compare_field,
        hint="start from r = 1, j = 1; for each layer r += (k - 1) * j, then j *= s",
    )


# ============================================================================= exercise 4

# (batch, side) of the inputs whose output shapes must match
SHAPE_INPUTS = ((1, 127), (1, 255), (3, 127))


def n_parameters(module: nn.Module) -> int:
    """The number of learnable values of a module."""
    return sum(p.numel() for p in module.parameters())


def randomise(net: nn.Module, seed: int = 0) -> nn.Module:
    """Seeded weights everywhere and batch norms far from the identity, so that they matter."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2 / fan_in) ** 0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
            elif isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                if m.affine:  # some scales negative: a max-pool then no longer commutes with BN
                    sign = torch.where(torch.rand(c, generator=g) < 0.3, -1.0, 1.0)
                    m.weight.copy_(sign * (0.5 + torch.rand(c, generator=g)))
                    m.bias.copy_(torch.randn(c, generator=g) * 0.2)
                if m.running_mean is not None:
                    m.running_mean.copy_(torch.randn(c, generator=g) * 0.2)
                    m.running_var.copy_(0.5 + 1.5 * torch.rand(c, generator=g))
    return net


def load_by_layer_type(target: nn.Module, source: nn.Module) -> bool:
    """Copy source's convs and batch norms into target's, in order; False when they differ."""
    pairs = []
    for kind in (nn.Conv2d, nn.BatchNorm2d):
        mine = [m for m in target.modules() if isinstance(m, kind)]
        theirs = [m for m in source.modules() if isinstance(m, kind)]
        if len(mine) != len(theirs):
            return False
        pairs += zip(mine, theirs, strict=True)
    tensors = []
    for mine, theirs in pairs:
        for name in ("weight", "bias", "running_mean", "running_var"):
            a, b = getattr(mine, name, None), getattr(theirs, name, None)
            if (a is None) != (b is None) or (a is not None and a.shape != b.shape):
                return False
            if a is not None:
                tensors.append((a, b))
    with torch.no_grad():
        for a, b in tensors:
            a.copy_(b)
    return True


def load_reference_weights(target: nn.Module, source: nn.Module) -> str:
    """Load source's weights into target: by name (conv1.0.weight, ...) or else by layer type.

    Returns how it loaded ('by name', 'by layer order') or '' when the layers do not match.
    """
    try:
        target.load_state_dict(source.state_dict(), strict=True)
        return "by name"
    except RuntimeError:
        pass
    return "by layer order" if load_by_layer_type(target, source) else ""


def describe_shape(shape: Sequence[int]) -> str:
    """(B, C, H, W) as 'HxWxC', the way Table 1 writes activations."""
    if len(shape) != 4:
        return "x".join(str(d) for d in shape) + f" ({len(shape)} dimensions)"
    return f"{shape[2]}x{shape[3]}x{shape[1]}"


def run_net(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        out = net(x)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"the network returned a {type(out).__name__}, not a tensor")
    return out


def compare_embeddings(got: object, expected: nn.Module) -> str:
    """'' when got behaves as the reference phi; else the first difference, described."""
    if not isinstance(got, nn.Module):
        return f"expected an nn.Module, got {type(got).__name__}"
    mine, ref = copy.deepcopy(got).eval(), randomise(expected).eval()  # expected: made for this
    ref_meta = copy.deepcopy(ref).to("meta")  # the reference's shapes, without computing
    g = torch.Generator().manual_seed(0)
    # 1. shapes, for the exemplar and the search image, batches of 1 and 3
    ref_shapes: dict[int, torch.Size] = {}
    for batch, side in SHAPE_INPUTS:
        x = torch.randn(batch, 3, side, side, generator=g)
        try:
            out = run_net(mine, x)
        except Exception as error:
            ran = f"on a batch of {batch} {side}x{side} images, your network raised"
            return f"{ran} {one_line(error)}"
        if side not in ref_shapes:  # the reference's shape for one image of that side
            ref_shapes[side] = run_net(ref_meta, torch.empty(1, 3, side, side, device="meta")).shape
        want = (batch, *ref_shapes[side][1:])
        if tuple(out.shape) != want:
            if len(out.shape) == 4 and out.shape[0] != batch:
                return f"a batch of {batch} {side}x{side} images gave {out.shape[0]} outputs"
            return (f"output {describe_shape(out.shape)} for a {side} input, "
                    f"expected {describe_shape(want)}")  # fmt: skip
    # 2. the reference's weights in the learner's layers, when they map one to one
    how = load_reference_weights(mine, ref)
    x = torch.randn(2, 3, 127, 127, generator=g)
    out, want = run_net(mine, x), run_net(ref, x)
    # 3. the sign: phi ends with a bare convolution, so its output takes both signs
    mine_negative, ref_negative = bool((out < 0).any()), bool((want < 0).any())
    if mine_negative != ref_negative:
        if ref_negative:
            return "no value of the output is negative, while the reference's take both signs"
        return "the output has negative values, the reference's has none"
    # 4. the parameter count
    n_mine, n_ref = n_parameters(mine), n_parameters(ref)
    if n_mine != n_ref:
        return f"{n_mine:,} parameters, expected {n_ref:,} ({n_mine - n_ref:+,})"
    # 5. the output itself (layers we cannot map one to one: shapes, sign and count are all)
    if not how:
        return ""
    problem = compare_arrays(out, want, atol=1e-4 * float(want.abs().max()), rtol=1e-3)
    if problem:
        return f"with the library's weights loaded into your layers ({how}), {problem}"
    return ""


def _embedding_with(
    channels: Sequence[int],
    groups: bool = True,
    padding: int = 0,
    pools: tuple[bool, bool] = (True, True),
    relu_last: bool = False,
    bn_last: bool = False,
    relu_before_bn: bool = False,
    pool_first: bool = False,
) -> nn.Module:
    """phi with one typical mistake switched on (the defaults build Table 1 correctly)."""
    c1, c2, c3, c4, c5 = channels
    rows = [  # c_in, c_out, kernel, stride, groups, pool
        (3, c1, 11, 2, 1, pools[0]),
        (c1, c2, 5, 1, 2 if groups else 1, pools[1]),
        (c2, c3, 3, 1, 1, False),
        (c3, c4, 3, 1, 2 if groups else 1, False),
        (c4, c5, 3, 1, 2 if groups else 1, False),
    ]
    net = nn.Sequential()
    for i, (c_in, c_out, k, s, grp, pool) in enumerate(rows):
        last = i == len(rows) - 1
        layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, k, s, padding=padding, groups=grp)]
        if not last or bn_last:
            layers.append(nn.BatchNorm2d(c_out, eps=1e-6))
        if not last or relu_last:
            layers.insert(1 if relu_before_bn else len(layers), nn.ReLU())
        if pool:
            layers.insert(1 if pool_first else len(layers), nn.MaxPool2d(3, 2))
        net.add_module(f"conv{i + 1}", nn.Sequential(*layers))
    return net


TINY, PAPER = get_preset("tiny").channels, get_preset("paper").channels
EMBEDDING_CASES = [  # the cheapest first: a typical mistake is named after one small network
    Case("uneven widths (4, 8, 12, 10, 6)", ((4, 8, 12, 10, 6),)),
    Case(f"the tiny preset's widths {TINY}", (TINY,)),
    Case(f"the paper's widths {PAPER}", (PAPER,)),
]
EMBEDDING_MISTAKES = [
    Mistake(
        "forgetting groups=2 in conv2, conv4 and conv5",
        "Table 1's channel map 256x48: each filter of conv2 sees 48 of conv1's 96 channels, "
        "nn.Conv2d(..., groups=2) (the same in conv4 and conv5)",
        lambda channels: _embedding_with(channels, groups=False),
    ),
    Mistake(
        "a ReLU after conv5",
        "conv5 is a bare convolution: its output, of both signs, is the embedding",
        lambda channels: _embedding_with(channels, relu_last=True),
    ),
    Mistake(
        "a batch norm after conv5",
        "batch norm and ReLU follow every conv but the last: conv5 stands alone",
        lambda channels: _embedding_with(channels, bn_last=True),
    ),
    Mistake(
        "padding=1 in the convolutions",
        "phi pads nothing (that keeps it translation equivariant): leave padding at 0",
        lambda channels: _embedding_with(channels, padding=1),
    ),
    Mistake(
        "no max-pool after conv1",
        "conv1's block ends with nn.MaxPool2d(3, 2), as conv2's does",
        lambda channels: _embedding_with(channels, pools=(False, True)),
    ),
    Mistake(
        "no max-pool after conv2",
        "conv2's block ends with nn.MaxPool2d(3, 2), as conv1's does",
        lambda channels: _embedding_with(channels, pools=(True, False)),
    ),
    Mistake(
        "ReLU before the batch norm",
        "each block is conv -> batch norm -> ReLU (-> max-pool), in that order",
        lambda channels: _embedding_with(channels, relu_before_bn=True),
    ),
    Mistake(
        "the max-pool before batch norm and ReLU",
        "conv1's and conv2's blocks are conv -> batch norm -> ReLU -> max-pool, in that order",
        lambda channels: _embedding_with(channels, pool_first=True),
    ),
]


def check_build_embedding(fn) -> Verdict:
    """Exercise 4: build_embedding(channels) -> phi, compared with `AlexNetEmbedding(channels)`."""
    return check(
        "build_embedding",
        fn,
        AlexNetEmbedding,
        EMBEDDING_CASES,
        EMBEDDING_MISTAKES,
        compare=compare_embeddings,
        hint="compare your blocks with Table 1 row by row: kernel, stride, groups, pool, BN, ReLU",
    )
