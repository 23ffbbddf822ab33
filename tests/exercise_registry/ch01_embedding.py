"""Chapter 01 (the embedding phi): conv_output_size, layer_sizes, receptive_field,
build_embedding."""

import math

import torch
import torch.nn.functional as F
from torch import nn

from siamfc_edu.checks import embedding as checks
from tests.exercise_registry import Entry

# ----------------------------------------------------------------------------- exercises 1 to 3


def size_by_counting_positions(n, kernel, stride):
    """The kernel's positions counted with range: 0, s, 2s, ... while it fits."""
    return len(range(0, n - kernel + 1, stride))


def size_by_math_floor(n, kernel, stride):
    """math.floor of a true division, then + 1."""
    return math.floor((n - kernel) / stride) + 1


def sizes_by_running_layers(side):
    """Table 1's layers run on zeros, as the library does: PyTorch gives the sides."""
    x, sides = torch.zeros(1, 1, side, side), []
    for kernel, stride in checks.KERNELS_STRIDES:
        x = F.max_pool2d(x, kernel, stride)
        sides.append(x.shape[-1])
    return sides


def sizes_in_place_formula(side):
    """The formula written inline, in a list built with +=."""
    sides = []
    for kernel, stride in checks.KERNELS_STRIDES:
        side = (side - kernel) // stride + 1
        sides += [side]
    return sides


def field_from_the_output_back(layers):
    """Walked from the last layer back: one cell needs (r - 1) * s + k cells of the layer below."""
    field = 1
    for kernel, stride in reversed(layers):
        field = (field - 1) * stride + kernel
    return field, math.prod(stride for _, stride in layers)


def field_as_a_list(layers):
    """Right, but the pair returned as a list."""
    field, jump = 1, 1
    for kernel, stride in layers:
        field, jump = field + (kernel - 1) * jump, jump * stride
    return [field, jump]


def sizes_with_the_last_layer_twice(side):
    """conv5 appended twice: 8 sides."""
    sides = sizes_in_place_formula(side)
    return [*sides, sides[-1]]


def field_summing_strides(layers):
    """The total stride added up instead of multiplied."""
    field, jump = 1, 1
    for kernel, stride in layers:
        field += (kernel - 1) * jump
        jump += stride - 1
    return field, jump


# ----------------------------------------------------------------------------- exercise 4


def block(c_in, c_out, kernel, stride, groups, pool, conv=None):
    """conv -> batch norm -> ReLU (-> max-pool), the conv given or built."""
    layers = [conv or nn.Conv2d(c_in, c_out, kernel, stride, groups=groups)]
    layers += [nn.BatchNorm2d(c_out), nn.ReLU()]
    return layers + ([nn.MaxPool2d(3, 2)] if pool else [])


def embedding_flat(channels):
    """Every layer in one nn.Sequential, named 0, 1, 2, ...: loads by layer order."""
    c1, c2, c3, c4, c5 = channels
    return nn.Sequential(
        *block(3, c1, 11, 2, 1, True), *block(c1, c2, 5, 1, 2, True),
        *block(c2, c3, 3, 1, 1, False), *block(c3, c4, 3, 1, 2, False),
        nn.Conv2d(c4, c5, 3, groups=2),
    )  # fmt: skip


def embedding_grouped_by_hand(channels):
    """The grouped layers as two convs, each on its own half: no weights load, behaviour right."""
    c1, c2, c3, c4, c5 = channels
    return nn.Sequential(
        *block(3, c1, 11, 2, 1, True),
        *block(c1, c2, 5, 1, 2, True, checks.TwoHalves(c1, c2, 5)),
        *block(c2, c3, 3, 1, 1, False),
        *block(c3, c4, 3, 1, 2, False, checks.TwoHalves(c3, c4, 3)),
        checks.TwoHalves(c4, c5, 3),
    )


class FunctionalPools(nn.Module):
    """A module of its own, the pools and ReLUs as functions in forward: no hook sees them."""

    def __init__(self, channels):
        super().__init__()
        c1, c2, c3, c4, c5 = channels
        self.convs = nn.ModuleList([
            nn.Conv2d(3, c1, 11, 2), nn.Conv2d(c1, c2, 5, groups=2), nn.Conv2d(c2, c3, 3),
            nn.Conv2d(c3, c4, 3, groups=2), nn.Conv2d(c4, c5, 3, groups=2),
        ])  # fmt: skip
        self.norms = nn.ModuleList(nn.BatchNorm2d(c) for c in (c1, c2, c3, c4))

    def forward(self, x):
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms, strict=False)):
            x = F.relu(norm(conv(x)))
            if i < 2:
                x = F.max_pool2d(x, 3, 2)
        return self.convs[-1](x)


def embedding_instance_norm(channels):
    """InstanceNorm2d with affine weights: per-image statistics, none kept."""
    return checks._embedding_with(channels, norm=lambda c: nn.InstanceNorm2d(c, affine=True))


def embedding_without_normalisation(channels):
    """No normalisation layer at all."""
    return checks._embedding_with(channels, norm=lambda c: nn.Identity())


def embedding_conv5_same_half(channels):
    """Only conv5 written by hand, both halves on the first half of the input."""
    net = checks._embedding_with(channels)
    c4, c5 = channels[3], channels[4]
    net.conv5 = nn.Sequential(checks.TwoHalves(c4, c5, 3, own_halves=False))
    return net


ENTRIES = [
    Entry(
        "01_embedding",
        "conv_output_size",
        checks.check_conv_output_size,
        checks.CONV_OUTPUT_SIZE,
        alternatives=(size_by_counting_positions, size_by_math_floor),
    ),
    Entry(
        "01_embedding",
        "layer_sizes",
        checks.check_layer_sizes,
        checks.LAYER_SIZES,
        alternatives=(sizes_by_running_layers, sizes_in_place_formula),
        wrong_answers=((sizes_with_the_last_layer_twice, None),),
    ),
    Entry(
        "01_embedding",
        "receptive_field",
        checks.check_receptive_field,
        checks.RECEPTIVE_FIELD,
        alternatives=(field_from_the_output_back, field_as_a_list),
        wrong_answers=((field_summing_strides, None),),
    ),
    Entry(
        "01_embedding",
        "build_embedding",
        checks.check_build_embedding,
        checks.BUILD_EMBEDDING,
        alternatives=(embedding_flat, embedding_grouped_by_hand, FunctionalPools),
        wrong_answers=(
            (embedding_instance_norm, None),
            (embedding_without_normalisation, None),
            (embedding_conv5_same_half, None),
        ),
    ),
]
