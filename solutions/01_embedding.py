# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · The embedding $\varphi$: exercises
#
# Notebook `01_embedding` ran the library's $\varphi$ and read Table 1 off it. Here you write
# the pieces yourself:
#
# 1. **warm-up** `conv_output_size(n, kernel, stride)`: the side after one layer;
# 2. `layer_sizes(side)`: the side after every layer of Table 1 (127 → 6, 255 → 22);
# 3. `receptive_field(layers)`: the receptive field (87 px) and total stride (8 px) of a stack;
# 4. **hard** `build_embedding(channels)`: $\varphi$ itself, as a PyTorch module.
#
# **Time**: about 30 minutes.
#
# **How the checks work.** Under each exercise, a check cell runs your function on several
# inputs (edge cases included) and compares it with the library (`siamfc_edu.backbone`). It
# prints one line: "passed" with the inputs it tried, or the first input where your answer
# differs, what differs, and, when your answer is a typical mistake, its name and a hint. Until you
# write a function, its check says "not implemented yet", and the notebook still runs to the end.

# %%
import torch
from torch import nn

_ = torch.manual_seed(0)  # your networks' initial weights: the same at every run

# %% [markdown]
# ## Exercise 1 (warm-up): the side after one layer
#
# A convolution or a pooling with a $k \times k$ kernel and stride $s$, **without padding**,
# places its kernel at $0, s, 2s, \dots$ as long as it fits inside the $n$ input pixels. The
# output side is
#
# $$n' = \left\lfloor \frac{n - k}{s} \right\rfloor + 1 .$$
#
# For instance conv1 on the exemplar: $\lfloor (127 - 11) / 2 \rfloor + 1 = 59$. Return an `int`.

# %%
def conv_output_size(n: int, kernel: int, stride: int) -> int:
    """The output side of a k x k conv or pool of stride s, no padding, on an n x n input."""
    # HINT: integer division // floors; do not forget the first position of the kernel
    ### BEGIN SOLUTION
    positions_after_the_first = (n - kernel) // stride
    return positions_after_the_first + 1
    ### END SOLUTION


# %%
from siamfc_edu.checks.embedding import check_conv_output_size

check_conv_output_size(conv_output_size)

# %% [markdown]
# ## Exercise 2: Table 1, layer by layer
#
# $\varphi$ is seven layers that change the side (batch norms and ReLUs do not): five
# convolutions and the two max-pools after conv1 and conv2. Their kernels and strides, in order:

# %%
TABLE1 = {  # layer: (kernel, stride)
    "conv1": (11, 2),
    "pool1": (3, 2),
    "conv2": (5, 1),
    "pool2": (3, 2),
    "conv3": (3, 1),
    "conv4": (3, 1),
    "conv5": (3, 1),
}

# %% [markdown]
# Write `layer_sizes(side)`: the list of the 7 activation sides, after conv1, pool1, conv2, pool2,
# conv3, conv4 and conv5, for a `side` × `side` input. Table 1 says
# `layer_sizes(127) == [59, 29, 25, 12, 10, 8, 6]` and
# `layer_sizes(255) == [123, 61, 57, 28, 26, 24, 22]`. Use your `conv_output_size`.

# %%
def layer_sizes(side: int) -> list[int]:
    """The activation side after conv1, pool1, conv2, pool2, conv3, conv4, conv5."""
    # HINT: start from side and apply conv_output_size for each (kernel, stride) of TABLE1
    ### BEGIN SOLUTION
    sides, current = [], side
    for kernel, stride in TABLE1.values():
        current = conv_output_size(current, kernel, stride)
        sides.append(current)
    return sides
    ### END SOLUTION


# %%
from siamfc_edu.checks.embedding import check_layer_sizes

check_layer_sizes(layer_sizes)

# %% [markdown]
# ## Exercise 3: receptive field and total stride
#
# One output cell of a stack of layers sees an $r \times r$ square of input pixels (its
# receptive field), and moving one cell moves that square by $j$ pixels (the total stride).
# Before any layer $r_0 = 1$ and $j_0 = 1$; a layer $l$ of kernel $k_l$ and stride $s_l$ gives
#
# $$r_l = r_{l-1} + (k_l - 1)\, j_{l-1}, \qquad j_l = j_{l-1}\, s_l .$$
#
# (Each extra tap of the kernel reaches one cell further in the layer's input, and one cell
# there is $j_{l-1}$ input pixels.) Write `receptive_field(layers)` for a list of
# `(kernel, stride)` pairs; return the pair `(r, j)`. For Table 1,
# `receptive_field(list(TABLE1.values()))` is `(87, 8)`: $127 = 87 + 8 \cdot 5$ is why
# $\varphi(z)$ is 6×6.

# %%
def receptive_field(layers: list[tuple[int, int]]) -> tuple[int, int]:
    """(receptive field in px, total stride in px) of a stack of (kernel, stride) layers."""
    # HINT: start from r = 1, j = 1 and update both for each layer, in order
    ### BEGIN SOLUTION
    field, jump = 1, 1
    for kernel, stride in layers:
        field += (kernel - 1) * jump
        jump *= stride
    return field, jump
    ### END SOLUTION


# %%
from siamfc_edu.checks.embedding import check_receptive_field

check_receptive_field(receptive_field)

# %% [markdown]
# ## Exercise 4 (hard): build $\varphi$
#
# Write `build_embedding(channels)`, the network of Table 1 as an `nn.Module`, for the output
# channels `channels = (c1, c2, c3, c4, c5)` of conv1 … conv5 (the paper's are
# `(96, 256, 384, 384, 256)`; the tiny preset's `(16, 48, 64, 64, 48)`):
#
# | layer | kernel | stride | groups | then |
# |---|---|---|---|---|
# | conv1 | 11×11, 3 → c1 | 2 | 1 | batch norm, ReLU, max-pool 3×3 stride 2 |
# | conv2 | 5×5, c1 → c2 | 1 | **2** | batch norm, ReLU, max-pool 3×3 stride 2 |
# | conv3 | 3×3, c2 → c3 | 1 | 1 | batch norm, ReLU |
# | conv4 | 3×3, c3 → c4 | 1 | **2** | batch norm, ReLU |
# | conv5 | 3×3, c4 → c5 | 1 | **2** | nothing: its output is the embedding |
#
# No padding anywhere. Its output is $6 \times 6 \times c_5$ for a 127×127 input and
# $22 \times 22 \times c_5$ for a 255×255 one, for any batch size.
#
# The check compares **behaviour**, not code: the output shapes for 127 and 255 inputs and batches
# of 1 and 3, the number of parameters (groups change it), the sign of the output, and the output
# itself once the library's weights are loaded into your layers. Whether or not they load, it
# also checks what Table 1 implies: in conv2, conv4 and conv5 each half of the filters reads its
# own half of the input channels (conv3 reads them all); batch norm normalises over the batch in
# train mode, updating its running statistics, and uses those in eval mode, so that an image's
# embedding does not depend on the rest of its batch; and, with no padding, moving the image by
# 8 px (the total stride) moves the embedding by exactly one cell. Name the five blocks
# `conv1` … `conv5` (one `nn.Sequential` each, conv first), as the library does, and its
# weights, and siamfc-pytorch's, load into your network by name.

# %%
def build_embedding(channels: tuple[int, int, int, int, int]) -> nn.Module:
    """phi of Table 1: (B, 3, 127, 127) -> (B, c5, 6, 6), (B, 3, 255, 255) -> (B, c5, 22, 22)."""
    # HINT: one nn.Sequential per row (conv, BatchNorm2d, ReLU, MaxPool2d(3, 2) for conv1/conv2)
    ### BEGIN SOLUTION
    c1, c2, c3, c4, c5 = channels

    def block(c_in, c_out, kernel, stride, groups, pool):
        layers = [
            nn.Conv2d(c_in, c_out, kernel, stride, groups=groups),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
        ]
        if pool:
            layers.append(nn.MaxPool2d(3, 2))
        return nn.Sequential(*layers)

    phi = nn.Sequential()
    phi.add_module("conv1", block(3, c1, 11, 2, groups=1, pool=True))
    phi.add_module("conv2", block(c1, c2, 5, 1, groups=2, pool=True))
    phi.add_module("conv3", block(c2, c3, 3, 1, groups=1, pool=False))
    phi.add_module("conv4", block(c3, c4, 3, 1, groups=2, pool=False))
    phi.add_module("conv5", nn.Sequential(nn.Conv2d(c4, c5, 3, 1, groups=2)))
    return phi
    ### END SOLUTION


# %%
from siamfc_edu.checks.embedding import check_build_embedding

check_build_embedding(build_embedding)

# %% [markdown]
# ## Recap
#
# - Without padding, a layer maps $n$ to $\lfloor (n - k)/s \rfloor + 1$; chained over Table 1's
#   seven layers, 127 → 6 and 255 → 22.
# - $\varphi$'s receptive field is 87 px and its total stride 8 px, so $127 = 87 + 8 \cdot 5$ and
#   $255 = 87 + 8 \cdot 21$: no pixel of $z$ or $x$ is left over.
# - $\varphi$ is four conv → batch norm → ReLU blocks (max-pools after the first two) and a bare
#   conv5; conv2, conv4 and conv5 have 2 groups, which Table 1's channel map (256×48) shows and
#   the parameter count confirms.
#
# Next: notebook `02_correlation`, where $\varphi(z)$ slides over $\varphi(x)$.
