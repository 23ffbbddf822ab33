"""Checks of exercise notebook 01 (the embedding phi of Table 1).

- `check_conv_output_size`  exercise 1: the side after one conv or pool, floor((n - k) / s) + 1;
- `check_layer_sizes`       exercise 2: the side after every layer of Table 1, for one input side;
- `check_receptive_field`   exercise 3: receptive field and total stride of a stack of layers;
- `check_build_embedding`   exercise 4: phi itself, an nn.Module per Table 1.

The references are the library's (`siamfc_edu.backbone.AlexNetEmbedding`) or PyTorch's own
layers, run on zeros: never a second copy of the solutions. `build_embedding` is judged by
behaviour, not by code, so that any way of writing Table 1 passes and no wrong one does:
output shapes; what each half of a grouped layer reads (probed with forward hooks); batch norm's
behaviour (eval mode independent of the rest of the batch, train mode normalising over it and
updating running statistics); translation equivariance (no padding); the sign of the output;
the parameter count; and the output itself once the library's weights load into the layers.
"""

from __future__ import annotations

import copy
import functools
import math
import weakref
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..backbone import AlexNetEmbedding
from ..config import get_preset
from . import Case, Exercise, Mistake, Verdict, compare_arrays, graded, one_line

# The rows of Table 1 in order: (name, kernel, stride).
LAYERS = ("conv1", "pool1", "conv2", "pool2", "conv3", "conv4", "conv5")
KERNELS_STRIDES = ((11, 2), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1))


# ============================================================================= exercise 1


def conv_output_size_reference(n: int, kernel: int, stride: int) -> int:
    """PyTorch's answer: the length after a pooling of that kernel and stride (no padding)."""
    return F.avg_pool1d(torch.zeros(1, 1, n), kernel, stride).shape[-1]


CONV_OUTPUT_CASES = [
    Case("conv1 on the exemplar (n=127, k=11, s=2)", (127, 11, 2)),
    Case("pool1 on the exemplar (n=59, k=3, s=2)", (59, 3, 2)),
    Case("conv3 on the exemplar (n=12, k=3, s=1)", (12, 3, 1)),
    Case("a side the stride does not divide (n=10, k=3, s=2)", (10, 3, 2)),
    Case("a remainder under half a stride (n=12, k=3, s=4)", (12, 3, 4)),
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
        "round() instead of floor",
        "round() goes up from a remainder of half a stride (and breaks ties to the even number): "
        "a window that does not fit is dropped, whatever the remainder, so floor with //",
        lambda n, k, s: round((n - k) / s) + 1,
    ),
    Mistake(
        "the stride-1 count divided by the stride, floor((n - k + 1) / s)",
        "the first window is at 0, then one more every s pixels: floor((n - k) / s) + 1, "
        "not (n - k + 1) // s",
        lambda n, k, s: (n - k + 1) // s,
    ),
    Mistake(
        "'same' padding (n / s)",
        "SiamFC pads nothing: the kernel must fit inside the n pixels, floor((n - k) / s) + 1",
        lambda n, k, s: math.ceil(n / s),
    ),
]
CONV_OUTPUT_SIZE = Exercise(
    "conv_output_size",
    conv_output_size_reference,
    CONV_OUTPUT_CASES,
    CONV_OUTPUT_MISTAKES,
    hint="count the positions of a k-wide window that steps by s inside n pixels",
)


@graded
def check_conv_output_size(fn: Callable) -> Verdict:
    """Exercise 1: conv_output_size(n, kernel, stride) = floor((n - k) / s) + 1."""
    return CONV_OUTPUT_SIZE.check(fn)


# ============================================================================= exercise 2


@functools.lru_cache(maxsize=1)
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


def _sizes_with(side: int, rule: Callable[[int, int, int, int], int]) -> list[int]:
    """The sides of Table 1's layers, each computed by rule(n, kernel, stride, index)."""
    sizes, n = [], side
    for i, (k, s) in enumerate(KERNELS_STRIDES):
        n = rule(n, k, s, i)
        sizes.append(n)
    return sizes


def _input_side_first(side: int) -> list[int]:
    """The list started with the input side: 8 sides, the input's and seven layers' but conv5."""
    return [side, *layer_sizes_reference(side)]


def _each_layer_on_the_input(side: int) -> list[int]:
    """Every layer applied to the input side, not to the previous layer's output."""
    return [_valid(side, k, s) for k, s in KERNELS_STRIDES]


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
    names = [*LAYERS, *(f"side {i + 1}" for i in range(len(LAYERS), len(expected)))]
    for name, g, e in zip(names, got, expected, strict=False):
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
    Mistake(
        "the input side listed first",
        "list the side AFTER each of the 7 layers: append after computing, and leave the "
        "input side out",
        _input_side_first,
    ),
    Mistake(
        "every layer applied to the input side",
        "chain the layers: each one's input is the previous layer's output (update `side`, "
        "or a `current` variable, in the loop)",
        _each_layer_on_the_input,
    ),
]
LAYER_SIZES = Exercise(
    "layer_sizes",
    layer_sizes_reference,
    LAYER_SIZES_CASES,
    LAYER_SIZES_MISTAKES,
    compare=compare_sizes,
    hint="apply conv_output_size to each row of TABLE1 in turn, starting from side",
)


@graded
def check_layer_sizes(fn: Callable) -> Verdict:
    """Exercise 2: layer_sizes(side), the side after conv1, pool1, ..., conv5."""
    return LAYER_SIZES.check(fn)


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


def _field_with(
    layers: Sequence[tuple[int, int]], update: Callable[[int, int, int, int], tuple[int, int]]
) -> tuple[int, int]:
    """(r, j) from r = j = 1 with one rule per layer: the mistakes change the rule."""
    r, j = 1, 1
    for k, s in layers:
        r, j = update(r, j, k, s)
    return r, j


def _field_jump_first(layers: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """The stride updated before the receptive field, which then uses j_l, not j_{l-1}."""
    r, j = 1, 1
    for k, s in layers:
        j = j * s
        r = r + (k - 1) * j
    return r, j


def _field_from_zero(layers: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """The receptive field started at 0 instead of 1 pixel."""
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
        "widening by k * j instead of (k - 1) * j",
        "a k-wide kernel adds k - 1 taps beyond the one the field already has: r += (k - 1) * j",
        lambda layers: _field_with(layers, lambda r, j, k, s: (r + k * j, j * s)),
    ),
    Mistake(
        "returning (stride, receptive field)",
        "return the pair in the order (receptive field, total stride)",
        lambda layers: _field_with(layers, lambda r, j, k, s: (r + (k - 1) * j, j * s))[::-1],
    ),
]
RECEPTIVE_FIELD = Exercise(
    "receptive_field",
    receptive_field_reference,
    RECEPTIVE_FIELD_CASES,
    RECEPTIVE_FIELD_MISTAKES,
    compare=compare_field,
    hint="start from r = 1, j = 1; for each layer r += (k - 1) * j, then j *= s",
)


@graded
def check_receptive_field(fn: Callable) -> Verdict:
    """Exercise 3: receptive_field(layers) -> (r, j) for a list of (kernel, stride)."""
    return RECEPTIVE_FIELD.check(fn)


# ============================================================================= exercise 4

# (batch, side) of the inputs whose output shapes must match
SHAPE_INPUTS = ((3, 127), (1, 255))
PROBE_SIDE = 87  # the smallest input (a 1x1 embedding): the behaviour probes run on it, fast
PROBE_LIMIT = 500_000  # parameters: wider networks (the paper's) skip the behaviour probes


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


def images(batch: int, side: int, seed: int = 0) -> torch.Tensor:
    """Seeded random images (B, 3, side, side)."""
    return torch.randn(batch, 3, side, side, generator=torch.Generator().manual_seed(seed))


def run_net(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The network's output without gradients; a TypeError when it is not a tensor."""
    with torch.no_grad():
        out = net(x)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"the network returned a {type(out).__name__}, not a tensor")
    return out


def close(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal up to float32 rounding, relative to the larger of the two."""
    if a.shape != b.shape:
        return False
    scale = float(torch.maximum(a.abs().max(), b.abs().max())) if a.numel() else 0.0
    return bool(((a - b).abs() <= 1e-4 * scale + 1e-6).all())


# ----------------------------------------------------------------------------- what a group reads

# Table 1's layers whose halves are probed: (name, the index in LAYERS of the layer before it,
# of the layer itself); an activation is known by its (channels, side) for a PROBE_SIDE image.
PROBED = (("conv2", 1, 2), ("conv3", 3, 4), ("conv4", 4, 5), ("conv5", 5, 6))
OWN_HALVES = ((0,), (1,))  # groups=2: output half i reads input half i alone
Outputs = list[tuple[tuple[int, int], torch.Tensor]]


def every_output(
    net: nn.Module, x: torch.Tensor, change: tuple[int, Callable] | None = None
) -> Outputs:
    """Every submodule's 4-d output, as ((channels, side), copy), in the order they finish.

    `change` = (i, fn) replaces the i-th of those outputs with fn(output) as the network runs:
    the layers after it see the changed activation (a forward hook that returns a value).
    """
    outputs: Outputs = []

    def hook(module: nn.Module, inputs: object, output: object) -> torch.Tensor | None:
        if not isinstance(output, torch.Tensor) or output.dim() != 4:
            return None
        changed = change is not None and len(outputs) == change[0]
        if changed:
            output = change[1](output)
        outputs.append(((output.shape[1], output.shape[-1]), output.detach().clone()))
        return output if changed else None

    handles = [m.register_forward_hook(hook) for m in net.modules() if m is not net]
    try:
        run_net(net, x)
    finally:
        for handle in handles:
            handle.remove()
    return outputs


def bump_half(half: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """A change that adds large seeded noise to one half (0 or 1) of an activation's channels."""

    def bump(output: torch.Tensor) -> torch.Tensor:
        c = output.shape[1]
        noise = torch.randn(output.shape, generator=torch.Generator().manual_seed(half))
        mask = torch.zeros(1, c, 1, 1)
        mask[:, half * (c // 2) : c if half else c // 2] = 1.0
        return output + noise * mask * (3 * float(output.abs().max()) + 1)

    return bump


def halves_read(net: nn.Module, base: Outputs, key_in: tuple[int, int], key_out: tuple[int, int]):
    """Which input halves each output half of a layer reads, e.g. ((0,), (1,)); None if unseen.

    The layer's input is the last activation of shape key_in = (channels, side) in `base` (the
    network's outputs on the probe image), its output the first one of shape key_out after it.
    One half of the input is changed at a time, and the halves of the output that move noted.
    """
    keys = [key for key, _ in base]
    starts = [i for i, key in enumerate(keys) if key == key_in]
    ends = [i for i, key in enumerate(keys) if key == key_out and starts and i > starts[-1]]
    if not ends:
        return None
    start, end = starts[-1], ends[0]
    c_out = key_out[0]
    reads: list[list[int]] = [[], []]
    for half in (0, 1):
        changed = every_output(net, images(1, PROBE_SIDE), (start, bump_half(half)))
        moved = changed[end][1] - base[end][1]
        for i, part in enumerate((moved[:, : c_out // 2], moved[:, c_out // 2 :])):
            if not close(part, torch.zeros_like(part)):
                reads[i].append(half)
    return tuple(tuple(r) for r in reads)


def describe_reading(reads: tuple[tuple[int, ...], ...]) -> str:
    """What the two halves of a layer's filters read, in words."""
    words = {(): "nothing", (0,): "the first half of the input channels",
             (1,): "the second half", (0, 1): "all the input channels"}  # fmt: skip
    return f"its first half of filters reads {words[reads[0]]}, its second half {words[reads[1]]}"


# ----------------------------------------------------------------------------- batch norm, padding


def batch_independent(net: nn.Module, train: bool) -> bool:
    """Whether an image's output stays the same when the rest of its batch changes."""
    net = copy.deepcopy(net).train(train)
    x = images(3, PROBE_SIDE, seed=1)
    return close(run_net(net, x[:2])[0], run_net(net, x)[0])


def updates_running_statistics(net: nn.Module) -> bool:
    """Whether a forward pass in train mode changes a buffer (a batch norm's running mean)."""
    net = copy.deepcopy(net).train()
    before = [b.clone() for b in net.buffers() if b.is_floating_point()]
    run_net(net, images(2, PROBE_SIDE, seed=2))
    after = [b for b in net.buffers() if b.is_floating_point()]
    return any(not torch.equal(a, b) for a, b in zip(before, after, strict=True))


def translation_equivariant(net: nn.Module) -> bool:
    """Whether moving the image by the total stride (8 px) moves the output by one cell.

    Without padding phi is fully convolutional: the embedding of a crop is the matching window
    of the embedding of the whole image, for a crop at (0, 0) and one at (8, 8).
    """
    x = images(1, PROBE_SIDE + 8, seed=3)
    whole = run_net(net, x)
    first, moved = run_net(net, x[..., :PROBE_SIDE, :PROBE_SIDE]), run_net(net, x[..., 8:, 8:])
    h, w = first.shape[-2:]
    if whole.shape[-2:] != (h + 1, w + 1):
        return False
    return close(first, whole[..., :h, :w]) and close(moved, whole[..., 1:, 1:])


class Behaviour:
    """The behaviour probes of one network (in eval mode), each run once, when first asked."""

    def __init__(self, net: nn.Module) -> None:
        self.net = net
        self.reads: dict[tuple, tuple | None] = {}

    @functools.cached_property
    def base(self) -> Outputs:
        """Every layer's output on the probe image."""
        return every_output(self.net, images(1, PROBE_SIDE))

    @functools.cached_property
    def keys(self) -> list[tuple[int, int]]:
        """(channels, side) after each layer of LAYERS: the last output of that side."""
        last = {side: c for (c, side), _ in self.base}
        return [(last.get(side, 0), side) for side in layer_sizes_reference(PROBE_SIDE)]

    def halves(self, key_in: tuple[int, int], key_out: tuple[int, int]) -> tuple | None:
        """What each half of the layer from key_in to key_out reads (see `halves_read`)."""
        if (key_in, key_out) not in self.reads:
            self.reads[key_in, key_out] = halves_read(self.net, self.base, key_in, key_out)
        return self.reads[key_in, key_out]

    @functools.cached_property
    def eval_independent(self) -> bool:
        return batch_independent(self.net, train=False)

    @functools.cached_property
    def train_independent(self) -> bool:
        return batch_independent(self.net, train=True)

    @functools.cached_property
    def updates_statistics(self) -> bool:
        return updates_running_statistics(self.net)

    @functools.cached_property
    def equivariant(self) -> bool:
        return translation_equivariant(self.net)


_measured: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def behaviour_of(net: nn.Module) -> Behaviour:
    """The learner's network's behaviour, measured once per network (a check compares it often)."""
    if net not in _measured:
        _measured[net] = Behaviour(copy.deepcopy(net).eval())
    return _measured[net]


def grouping_problem(mine: Behaviour, ref: Behaviour) -> str:
    """'' when each half of conv2 ... conv5 reads what the reference's reads; else the first."""
    keys = ref.keys
    for name, before, at in PROBED:
        want = ref.halves(keys[before], keys[at])
        got = mine.halves(keys[before], keys[at]) if want is not None else None
        if got is None or got == want:
            continue  # a layer we could not find is judged by the output instead
        rule = ("with groups=2 each half of the filters reads its own half of the "
                f"{keys[before][0]} input channels" if want == OWN_HALVES
                else "it has one group: every filter reads all the input channels")  # fmt: skip
        return f"in {name}, {describe_reading(got)}; {rule}"
    return ""


def normalisation_problem(mine: Behaviour, ref: Behaviour) -> str:
    """'' when the network's normalisation behaves as the reference's does; else what differs."""
    if mine.eval_independent != ref.eval_independent:
        return ("in eval mode an image's embedding changes with the other images of its batch: "
                "batch norm must use its running statistics then (track_running_stats=True, "
                "the default)")  # fmt: skip
    if mine.train_independent != ref.train_independent:
        return ("in train mode an image's output does not depend on the rest of its batch: "
                "batch norm normalises each channel over the batch (GroupNorm, InstanceNorm "
                "and LayerNorm normalise within one image)")  # fmt: skip
    if mine.updates_statistics != ref.updates_statistics:
        return ("a forward pass in train mode updated no running statistics: nn.BatchNorm2d "
                "(which tracks running mean and variance) follows conv1 ... conv4")  # fmt: skip
    return ""


def behaviour_problem(mine: Behaviour, ref: Behaviour) -> str:
    """'' when groups, normalisation and translation equivariance behave as the reference's."""
    problem = grouping_problem(mine, ref) or normalisation_problem(mine, ref)
    if not problem and mine.equivariant != ref.equivariant:
        problem = ("moving the image by 8 px (the total stride) does not move the embedding by "
                   "one cell: phi pads nothing, so that it is translation equivariant")  # fmt: skip
    return problem


# ----------------------------------------------------------------------------- loading weights


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


# ----------------------------------------------------------------------------- the comparison


def describe_shape(shape: Sequence[int]) -> str:
    """(B, C, H, W) as 'HxWxC', the way Table 1 writes activations."""
    if len(shape) != 4:
        return "x".join(str(d) for d in shape) + f" ({len(shape)} dimensions)"
    return f"{shape[2]}x{shape[3]}x{shape[1]}"


def output_shape(meta: nn.Module | None, net: nn.Module, batch: int, side: int) -> tuple:
    """net's output shape for a batch of side x side images: from its copy on the meta device
    (`meta`: shapes without computing) when that runs, else computed for real."""
    if meta is not None:
        try:
            return tuple(run_net(meta, torch.empty(batch, 3, side, side, device="meta")).shape)
        except Exception:
            pass  # a layer that cannot run on meta (or a real error): run it for real
    return tuple(run_net(net, images(batch, side)).shape)


def on_meta(net: nn.Module) -> nn.Module | None:
    """A copy of net on the meta device, or None when it cannot move there."""
    try:
        return copy.deepcopy(net).to("meta")
    except Exception:
        return None


def shape_problem(mine: nn.Module, ref: nn.Module) -> str:
    """'' when the output shapes match the reference's for 127 and 255 images, batches 1 and 3."""
    mine_meta, ref_meta = on_meta(mine), on_meta(ref)
    for batch, side in SHAPE_INPUTS:
        try:
            shape = output_shape(mine_meta, mine, batch, side)
        except Exception as error:
            ran = f"on a batch of {batch} {side}x{side} images, your network raised"
            return f"{ran} {one_line(error)}"
        want = output_shape(ref_meta, ref, batch, side)
        if shape != want:
            if len(shape) == 4 and shape[0] != batch:
                return f"a batch of {batch} {side}x{side} images gave {shape[0]} outputs"
            return (f"output {describe_shape(shape)} for a {side} input, "
                    f"expected {describe_shape(want)}")  # fmt: skip
    return ""


def output_problem(mine: nn.Module, ref: nn.Module) -> str:
    """'' when sign, parameter count and (once the weights load) the output match."""
    how = load_reference_weights(mine, ref)
    x = images(2, PROBE_SIDE + 16, seed=4)  # a 3x3 embedding
    out, want = run_net(mine, x), run_net(ref, x)
    mine_negative, ref_negative = bool((out < 0).any()), bool((want < 0).any())
    if mine_negative != ref_negative:  # phi ends with a bare convolution: both signs
        if ref_negative:
            return "no value of the output is negative, while the reference's take both signs"
        return "the output has negative values, the reference's has none"
    n_mine, n_ref = n_parameters(mine), n_parameters(ref)
    if n_mine != n_ref:
        return f"{n_mine:,} parameters, expected {n_ref:,} ({n_mine - n_ref:+,})"
    if not how:  # layers we cannot map one to one: the behaviour above is all we judge
        return ""
    problem = compare_arrays(out, want, atol=1e-4 * float(want.abs().max()), rtol=1e-3)
    if problem:
        return f"with the library's weights loaded into your layers ({how}), {problem}"
    return ""


def compare_embeddings(got: object, expected: nn.Module) -> str:
    """'' when got behaves as the reference phi (or a mistake's network); else what differs.

    In order: output shapes; the sign, the parameter count and the output with the reference's
    weights loaded (when they load); then what each half of conv2 ... conv5 reads, batch norm's
    behaviour and translation equivariance, which need no loading (for networks up to
    PROBE_LIMIT parameters).
    """
    if not isinstance(got, nn.Module):
        return f"expected an nn.Module, got {type(got).__name__}"
    mine, ref = copy.deepcopy(got).eval(), randomise(expected).eval()  # expected: made for this
    problem = shape_problem(mine, ref)
    try:
        problem = problem or output_problem(mine, ref)
        if not problem and n_parameters(ref) <= PROBE_LIMIT:
            problem = behaviour_problem(behaviour_of(got), Behaviour(ref))
    except Exception as error:  # a network that runs on some inputs, not on others
        problem = f"on the inputs of the behaviour probes, your network raised {one_line(error)}"
    return problem


# ----------------------------------------------------------------------------- typical mistakes


class TwoHalves(nn.Module):
    """A 2-group convolution written by hand: one conv per half of the filters.

    With `own_halves=False` both convs read the FIRST half of the input channels: a mistake
    that the parameter count and the output shapes cannot see.
    """

    def __init__(self, c_in: int, c_out: int, kernel: int, own_halves: bool = True) -> None:
        super().__init__()
        self.first = nn.Conv2d(c_in // 2, c_out // 2, kernel)
        self.second = nn.Conv2d(c_in // 2, c_out // 2, kernel)
        self.own_halves = own_halves

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        half = x.shape[1] // 2
        second_input = x[:, half:] if self.own_halves else x[:, :half]
        return torch.cat([self.first(x[:, :half]), self.second(second_input)], dim=1)


def table1_conv(c_in: int, c_out: int, kernel: int, stride: int, groups: int) -> nn.Module:
    """A row's convolution as Table 1 has it."""
    return nn.Conv2d(c_in, c_out, kernel, stride, groups=groups)


def batch_norm(c: int) -> nn.Module:
    """The batch norm of every block but the last."""
    return nn.BatchNorm2d(c, eps=1e-6)


def _embedding_with(
    channels: Sequence[int],
    groups: tuple[int, ...] = (1, 2, 1, 2, 2),
    padding: tuple[int, ...] = (0,) * 5,
    pools: tuple[bool, bool] = (True, True),
    relu_last: bool = False,
    bn_last: bool = False,
    relu_before_bn: bool = False,
    pool_first: bool = False,
    conv: Callable[..., nn.Module] = table1_conv,
    norm: Callable[[int], nn.Module] = batch_norm,
) -> nn.Module:
    """phi with one typical mistake switched on (the defaults build Table 1 correctly)."""
    c1, c2, c3, c4, c5 = channels
    rows = [  # c_in, c_out, kernel, stride, pool
        (3, c1, 11, 2, pools[0]),
        (c1, c2, 5, 1, pools[1]),
        (c2, c3, 3, 1, False),
        (c3, c4, 3, 1, False),
        (c4, c5, 3, 1, False),
    ]
    net = nn.Sequential()
    for i, (c_in, c_out, k, s, pool) in enumerate(rows):
        last = i == len(rows) - 1
        first = conv(c_in, c_out, k, s, groups[i])
        if padding[i]:
            first = nn.Conv2d(c_in, c_out, k, s, padding=padding[i], groups=groups[i])
        layers: list[nn.Module] = [first]
        if not last or bn_last:
            layers.append(norm(c_out))
        if not last or relu_last:
            layers.insert(1 if relu_before_bn else len(layers), nn.ReLU())
        if pool:
            layers.insert(1 if pool_first else len(layers), nn.MaxPool2d(3, 2))
        net.add_module(f"conv{i + 1}", nn.Sequential(*layers))
    return net


def same_half_twice(c_in: int, c_out: int, kernel: int, stride: int, groups: int) -> nn.Module:
    """The grouped layers written by hand, both halves of the filters on the first half."""
    if groups == 1:
        return table1_conv(c_in, c_out, kernel, stride, groups)
    return TwoHalves(c_in, c_out, kernel, own_halves=False)


def no_running_statistics(c: int) -> nn.Module:
    """A batch norm that normalises with the batch's statistics, in eval mode too."""
    return nn.BatchNorm2d(c, eps=1e-6, track_running_stats=False)


def group_norm(c: int) -> nn.Module:
    """GroupNorm with 2 groups: statistics within one image, none kept."""
    return nn.GroupNorm(2, c)


TINY = get_preset("tiny").channels
EMBEDDING_CASES = [  # the cheapest first: a typical mistake is named after one small network
    Case("uneven widths (4, 8, 12, 10, 6)", ((4, 8, 12, 10, 6),)),
    Case(f"the tiny preset's widths {TINY}", (TINY,)),
]
EMBEDDING_MISTAKES = [
    Mistake(
        "forgetting groups=2 in conv2, conv4 and conv5",
        "Table 1's channel map 256x48: each filter of conv2 sees 48 of conv1's 96 channels, "
        "nn.Conv2d(..., groups=2) (the same in conv4 and conv5)",
        lambda channels: _embedding_with(channels, groups=(1,) * 5),
    ),
    Mistake(
        "groups=2 in conv3 as well",
        "Table 1's conv3 is 3x3x256 (its filters see all 256 channels of conv2): only conv2, "
        "conv4 and conv5 have 2 groups",
        lambda channels: _embedding_with(channels, groups=(1, 2, 2, 2, 2)),
    ),
    Mistake(
        "both halves of a grouped layer reading the same half of the channels",
        "written by hand, a 2-group layer is two convs: the first reads x[:, :C//2], the second "
        "x[:, C//2:] (or let nn.Conv2d(..., groups=2) do it)",
        lambda channels: _embedding_with(channels, conv=same_half_twice),
    ),
    Mistake(
        "a batch norm that keeps no running statistics (track_running_stats=False)",
        "in eval mode (tracking) batch norm uses the running mean and variance it kept in "
        "training, so that an embedding does not depend on the other images: keep the default "
        "track_running_stats=True",
        lambda channels: _embedding_with(channels, norm=no_running_statistics),
    ),
    Mistake(
        "GroupNorm instead of batch norm",
        "the paper's blocks use batch norm (nn.BatchNorm2d): statistics over the batch in "
        "training, running statistics in eval mode; GroupNorm normalises within one image",
        lambda channels: _embedding_with(channels, norm=group_norm),
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
        lambda channels: _embedding_with(channels, padding=(1,) * 5),
    ),
    Mistake(
        "padding=1 in conv1",
        "phi pads nothing: with zeros around the image, the border cells of the embedding no "
        "longer shift with the image (translation equivariance is lost), even where the sizes "
        "happen to come out right",
        lambda channels: _embedding_with(channels, padding=(1, 0, 0, 0, 0)),
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
BUILD_EMBEDDING = Exercise(
    "build_embedding",
    AlexNetEmbedding,
    EMBEDDING_CASES,
    EMBEDDING_MISTAKES,
    compare=compare_embeddings,
    hint="compare your blocks with Table 1 row by row: kernel, stride, groups, pool, BN, ReLU",
)


@graded
def check_build_embedding(fn: Callable) -> Verdict:
    """Exercise 4: build_embedding(channels) -> phi, compared with `AlexNetEmbedding(channels)`."""
    return BUILD_EMBEDDING.check(fn)
