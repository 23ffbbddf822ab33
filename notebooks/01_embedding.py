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
# # 01 — The embedding $\varphi$
#
# SiamFC compares an exemplar image $z$ (the target, 127×127) with a search image $x$
# (255×255) by embedding both with **the same** network $\varphi$ and correlating the results:
#
# $$f(z, x) = \varphi(z) \star \varphi(x) + b\,\mathbb{1}.$$
#
# This notebook opens up $\varphi$, the AlexNet-like network of Table 1 of the paper.
#
# **Learning goals**
# - Rebuild Table 1: the activation size of every layer, for $z$ and for $x$, by running the
#   library's network.
# - Compute the receptive field (87 px) and the total stride (8 px) of $\varphi$, and check them
#   with a gradient.
# - See why a *fully-convolutional* $\varphi$ is translation equivariant: shift $x$ by $8k$ pixels
#   and the features shift by $k$ cells (and why other shifts do not work).
# - Understand the grouped convolutions of conv2, conv4, conv5: where they come from and what
#   they save.
# - Look at what the trained network sees in a real exemplar.
#
# **Assumes** notebook `00_setup_and_tour` (the environment works, you have seen the tracker run).
# **Time**: about 30–40 minutes.

# %%
import copy
import inspect

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from IPython.display import Code, display
from matplotlib.patches import Rectangle
from torch import nn

from siamfc_edu.backbone import AlexNetEmbedding, conv_block
from siamfc_edu.config import get_preset, quick_mode
from siamfc_edu.crops import exemplar_crop, search_crop
from siamfc_edu.data import read_video
from siamfc_edu.model import default_weights, load_weights
from siamfc_edu.runtime import crops_to_tensor
from siamfc_edu.viz import draw_context

QUICK = quick_mode()
torch.manual_seed(0)
rng = np.random.default_rng(0)
CPU = torch.device("cpu")
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. Read the network first
#
# $\varphi$ is five convolutional layers. Each of the first four is one *block*:
# convolution → batch norm → ReLU, and conv1 and conv2 end with a 3×3 max-pool of stride 2.
# Here is the block, as the library writes it:

# %%
display(Code(inspect.getsource(conv_block), language="python"))

# %% [markdown]
# And the network: the five rows of Table 1. Note three things as you read:
# `groups=2` on conv2, conv4 and conv5 (Section 5 below); no `padding` anywhere (Section 4);
# and conv5 is a bare convolution, with neither batch norm nor ReLU: its output *is* the embedding.

# %%
display(Code(inspect.getsource(AlexNetEmbedding.__init__), language="python"))

# %% [markdown]
# The `paper` preset has the widths of Table 1; the `tiny` preset (the shipped weights, fast on a
# CPU) has the same layers, kernels and strides with about a sixth of the channels.

# %%
paper_cfg, tiny_cfg = get_preset("paper"), get_preset("tiny")
phi = AlexNetEmbedding.from_config(paper_cfg).eval()  # random weights: shapes only, for now
print("paper channels:", paper_cfg.channels)
print("tiny  channels:", tiny_cfg.channels)

# %% [markdown]
# ## 2. Table 1, rebuilt
#
# A convolution or pooling with kernel $k$ and stride $s$ and no padding turns a side of $n$
# pixels into
#
# $$n' = \left\lfloor \frac{n - k}{s} \right\rfloor + 1 .$$
#
# Rather than trusting the formula, we *run* $\varphi$ and record the output shape of every
# convolution and pooling with PyTorch forward hooks.


# %%
def activation_shapes(net: AlexNetEmbedding, side: int) -> dict[str, tuple[int, ...]]:
    """(channels, height, width) after every conv and pool of net, for a side x side input."""
    shapes, handles = {}, []
    for block in ("conv1", "conv2", "conv3", "conv4", "conv5"):
        for layer in getattr(net, block):
            if isinstance(layer, (nn.Conv2d, nn.MaxPool2d)):
                name = block if isinstance(layer, nn.Conv2d) else "pool" + block[-1]

                def record(module, inputs, out, name=name):
                    shapes[name] = tuple(out.shape[1:])

                handles.append(layer.register_forward_hook(record))
    with torch.no_grad():
        net(torch.zeros(1, 3, side, side))
    for handle in handles:
        handle.remove()
    return shapes


z_shapes, x_shapes = activation_shapes(phi, 127), activation_shapes(phi, 255)
print("exemplar:", z_shapes)

# %% [markdown]
# The numbers of the paper's Table 1: kernel, stride, the activation side for the exemplar and
# for the search image, and the output channels (see the quirk of its last column below).

# %%
PAPER = {  # layer: (kernel, stride, exemplar side, search side, channels)
    "conv1": (11, 2, 59, 123, 96),
    "pool1": (3, 2, 29, 61, 96),
    "conv2": (5, 1, 25, 57, 256),
    "pool2": (3, 2, 12, 28, 256),
    "conv3": (3, 1, 10, 26, 384),
    "conv4": (3, 1, 8, 24, 384),
    "conv5": (3, 1, 6, 22, 256),
}
tiny_shapes = activation_shapes(AlexNetEmbedding.from_config(tiny_cfg), 127)

# %% tags=["nbval-check-output"]
print(
    f"{'layer':6} {'k':>3} {'s':>2} | {'exemplar':>9} {'paper':>9} | {'search':>9} {'paper':>9}"
    f" | {'chans':>5} {'paper':>5} | {'tiny':>4}"
)
for name, (k, s, pz, px, pc) in PAPER.items():
    c, h, w = z_shapes[name]
    _, hx, wx = x_shapes[name]
    print(
        f"{name:6} {k:>3} {s:>2} | {f'{h}x{w}':>9} {f'{pz}x{pz}':>9} | {f'{hx}x{wx}':>9}"
        f" {f'{px}x{px}':>9} | {c:>5} {pc:>5} | {tiny_shapes[name][0]:>4}"
    )

# %%
for name, (_, _, pz, px, pc) in PAPER.items():
    assert z_shapes[name] == (pc, pz, pz), (name, z_shapes[name])
    assert x_shapes[name] == (pc, px, px), (name, x_shapes[name])
assert {n: s[1] for n, s in x_shapes.items()} == phi.layer_sizes(255)  # the library's own helper
assert tiny_shapes["conv5"] == (tiny_cfg.channels[-1], 6, 6)
print("ok: every activation size matches Table 1, for the exemplar and for the search image")
print("ok: the tiny preset has the same sizes, only fewer channels")

# %% [markdown]
# **Check one by hand**: conv1 on the exemplar is $\lfloor(127 - 11)/2\rfloor + 1 = 59$, and
# pool1 is $\lfloor(59 - 3)/2\rfloor + 1 = 29$.
#
# **The "channel map" column** of Table 1 is the shape of each weight tensor,
# (output channels) × (input channels each filter sees). With 2 groups, a filter of conv2 sees
# only 96/2 = 48 of conv1's channels:

# %% tags=["nbval-check-output"]
for block in ("conv1", "conv2", "conv3", "conv4", "conv5"):
    conv = getattr(phi, block)[0]
    print(
        f"{block}: weight {tuple(conv.weight.shape)}  groups={conv.groups}"
        f"  -> channel map {conv.out_channels}x{conv.in_channels // conv.groups}"
    )

# %% [markdown]
# > A quirk of the printed paper: its last column says ×192, ×192, ×128 for conv3, conv4, conv5.
# > Those are the channels *per group* (per GPU in the original AlexNet); the layers output
# > 384, 384 and 256 channels, as the channel-map column and the released weights show.

# %% [markdown]
# ## 3. Receptive field and total stride
#
# One output cell of conv5 depends on a square of input pixels: its **receptive field** $r$.
# Moving one cell to the right moves that square by the **total stride** $j$ (the "jump").
# Layer by layer, with $r_0 = 1$, $j_0 = 1$:
#
# $$r_l = r_{l-1} + (k_l - 1)\, j_{l-1}, \qquad j_l = j_{l-1}\, s_l .$$
#
# We read $k_l$ and $s_l$ from the network's own layers:


# %% tags=["nbval-check-output"]
def single(v):
    """PyTorch stores conv kernels and strides as pairs, pooling ones as ints."""
    return v[0] if isinstance(v, tuple) else v


r, j = 1, 1
for block in ("conv1", "conv2", "conv3", "conv4", "conv5"):
    for layer in getattr(phi, block):
        if isinstance(layer, (nn.Conv2d, nn.MaxPool2d)):
            k, s = single(layer.kernel_size), single(layer.stride)
            r, j = r + (k - 1) * j, j * s
            name = block if isinstance(layer, nn.Conv2d) else "pool" + block[-1]
            print(f"{name}: k={k:2d} s={s}  ->  receptive field {r:2d} px, stride {j} px")
RF, STRIDE = r, j

# %%
assert STRIDE == paper_cfg.total_stride == 8
assert RF == 87
# the crops are exactly "one receptive field plus a whole number of strides" wide:
assert 127 == RF + STRIDE * (6 - 1) and 255 == RF + STRIDE * (22 - 1)
assert 22 - 6 + 1 == paper_cfg.score_size == 17
print(f"ok: total stride {STRIDE} px (the paper's 8), receptive field {RF} x {RF} px")
print("ok: 127 = 87 + 8*5 and 255 = 87 + 8*21: no input pixel is left over")
print("ok: sliding the 6x6 phi(z) over the 22x22 phi(x) gives the 17x17 score map")

# %% [markdown]
# So conv5 cell $(i, j)$ of the search image sees the input square with rows $8i \dots 8i + 86$
# and columns $8j \dots 8j + 86$, centred on pixel $(8i + 43,\ 8j + 43)$.
#
# **Check it empirically.** The gradient $\partial \varphi(x)_{i,j} / \partial x$ is zero outside
# the pixels the cell depends on. We back-propagate from one cell, summed over a few random
# images (one image could, by chance, hide an edge pixel behind a max-pool or a dead ReLU),
# and find the box of non-zero gradient.

# %%
CELL = (5, 14)  # (row, column) of one conv5 cell of the 22 x 22 search features
n_images = 2 if QUICK else 8
noise = torch.rand(n_images, 3, 255, 255, generator=torch.Generator().manual_seed(0)) * 255
noise.requires_grad_(True)
phi(noise)[:, :, CELL[0], CELL[1]].abs().sum().backward()
rows, cols = torch.nonzero(noise.grad.abs().sum((0, 1)), as_tuple=True)
print(
    "gradient is non-zero on rows",
    rows.min().item(),
    "..",
    rows.max().item(),
    "and columns",
    cols.min().item(),
    "..",
    cols.max().item(),
)

# %%
top, left = STRIDE * CELL[0], STRIDE * CELL[1]
assert (rows.min().item(), rows.max().item()) == (top, top + RF - 1)
assert (cols.min().item(), cols.max().item()) == (left, left + RF - 1)
print(
    f"ok: the empirical receptive field of cell {CELL} is the {RF} x {RF} square at ({top}, {left})"
)

# %% [markdown]
# Now on a real search image, with the trained (tiny) network. Take the face in the first frame
# of the `carphone` clip, and cut the exemplar $z$ and search image $x$ around it with the library
# (notebook 04 explains the crops; here we only use them).

# %%
model, cfg = load_weights(default_weights("tiny"))
phi_tiny = model.backbone  # the trained embedding; load_weights returns it in eval mode
frame = read_video("carphone_pristine", max_frames=1)[0]
box = [63, 42, 42, 54]  # the face: 0-based x, y, w, h
z_img, x_img = exemplar_crop(frame, box, cfg), search_crop(frame, box, cfg)
z, x = crops_to_tensor([z_img], CPU), crops_to_tensor([x_img], CPU)  # (1, 3, H, W), 0..255
print("frame", frame.shape, "| z", tuple(z.shape), "| x", tuple(x.shape), "| preset", cfg.name)

# %% [markdown]
# On the left: the grid of the 22×22 conv5 cell centres, 8 px apart, and the receptive field
# of cell `CELL`. On the right: how strongly each pixel of $x$ influences that cell (the gradient
# of $\tfrac12\|\varphi(x)_{i,j}\|^2$, log scale). Every pixel in the square counts a little, but
# the centre counts most: the *effective* receptive field is smaller than the 87 px square.

# %%
x_grad = x.clone().requires_grad_(True)
(phi_tiny(x_grad)[0, :, CELL[0], CELL[1]] ** 2 / 2).sum().backward()
influence = x_grad.grad[0].abs().sum(0).numpy()
centres = 43 + STRIDE * np.arange(22)

fig, axes = plt.subplots(1, 2, figsize=(11, 5.5))
log_influence = np.log10(influence + 1e-12)
axes[0].imshow(x_img)
axes[1].imshow(log_influence, cmap="magma", vmin=log_influence.max() - 3)  # 3 decades
for ax in axes:
    ax.add_patch(Rectangle((left - 0.5, top - 0.5), RF, RF, fill=False, ec="cyan", lw=2))
    ax.plot(43 + STRIDE * CELL[1], 43 + STRIDE * CELL[0], "c+", ms=14, mew=2)
cx, cy = np.meshgrid(centres, centres)
axes[0].plot(cx, cy, ".", color="yellow", ms=2.5)
axes[0].set_title(f"x (255 px): 22 x 22 cell centres, 8 px apart\nreceptive field of cell {CELL}")
axes[1].set_title(f"log10 |d phi(x)[{CELL[0]},{CELL[1]}] / dx|: zero outside the square")
plt.tight_layout()
plt.show()

# %%
outside = influence.copy()
outside[top : top + RF, left : left + RF] = 0
assert outside.max() == 0 and influence.max() > 0
print("ok: with the trained weights too, nothing outside the 87 x 87 square reaches the cell")

# %% [markdown]
# ## 4. Fully convolutional means translation equivariant
#
# Write $L_\tau$ for "translate by $\tau$". Section 2.1 of the paper: a function with integer
# stride $k$ is *fully convolutional* if
#
# $$\varphi(L_{k\tau}\, x) = L_\tau\, \varphi(x) \quad \text{for any translation } \tau .$$
#
# $\varphi$ has it because every layer does: convolutions and max-pools slide the same weights
# everywhere, ReLU acts on each value, batch norm **in eval mode** is a fixed per-channel
# $a\,v + b$, and there is no padding (a zero border would travel with the window) and no fully
# connected layer. With $k = 8$: move the input by 8 px and the features move by one cell.
#
# **Test 1.** Cut 127-px windows out of $x$ at offsets $(8u, 8v)$: $\varphi$ of the window must
# equal the 6×6 block of $\varphi(x)$ at cell $(v, u)$, i.e. one pass over $x$ gives the
# embedding of every candidate window at once.

# %%
if QUICK:  # nine offsets: corners, edges, centre
    offsets = [(v, u) for v in (0, 8, 16) for u in (0, 8, 16)]
else:  # all 17 x 17 candidate positions of the score map
    offsets = [(v, u) for v in range(17) for u in range(17)]
windows = torch.cat([x[..., 8 * v : 8 * v + 127, 8 * u : 8 * u + 127] for v, u in offsets])
with torch.no_grad():
    phi_windows, phi_x = phi_tiny(windows), phi_tiny(x)
blocks = torch.cat([phi_x[..., v : v + 6, u : u + 6] for v, u in offsets])
err = (phi_windows - blocks).abs().max().item() / phi_x.abs().max().item()
print(f"{len(offsets)} windows, largest difference {err:.1e} of the feature range")

# %%
assert err < 1e-4
print(f"ok: phi(window at 8*(v, u)) == phi(x)[v:v+6, u:u+6] for {len(offsets)} windows")

# %% [markdown]
# **Test 2.** Now shift by *any* number of pixels $s$: compare $\varphi$ of the window at column
# offset $s$ with the block of $\varphi(x)$ at the nearest whole cell, $\mathrm{round}(s/8)$.

# %%
shifts = np.arange(0, 17 if QUICK else 33)
errors = []
with torch.no_grad():
    for s in shifts:
        k = int(round(s / 8))
        feats = phi_tiny(x[..., 64:191, s : s + 127])  # the centre row of windows, moved by s px
        block = phi_x[..., 8:14, k : k + 6]
        errors.append(((feats - block).abs().max() / phi_x.abs().max()).item())
errors = np.array(errors)

fig, ax = plt.subplots(figsize=(8, 3))
ax.plot(shifts, errors, "o-")
ax.plot(shifts[shifts % 8 == 0], errors[shifts % 8 == 0], "o", color="green", ms=10, label="s = 8k")
ax.set_xlabel("shift s of the input (px)")
ax.set_ylabel("max |difference| / max |phi(x)|")
ax.set_title("phi(shifted input) vs phi(x) shifted by round(s/8) cells")
ax.legend()
plt.tight_layout()
plt.show()

# %%
assert np.all(errors[shifts % 8 == 0] < 1e-4)
assert np.all(errors[shifts % 8 != 0] > 0.05)
print("ok: shifts of 0, 8, 16, ... px give exactly the same features, one cell per 8 px")
off_grid = errors[shifts % 8 != 0].min()
print(f"ok: other shifts do not (smallest error off the 8-px grid: {off_grid:.2f})")

# %% [markdown]
# A 4-px shift falls between two cells: the feature grid samples the image at a different phase,
# and no whole-cell shift reproduces it. The tracker resolves positions finer than 8 px by
# upsampling the score map ×16 (notebook 06).
#
# **Batch norm in training mode breaks it**: it normalises with the mean and variance of the
# current batch, which change when the window moves. (On a copy, so the trained statistics stay.)

# %%
phi_train = copy.deepcopy(phi_tiny).train()
with torch.no_grad():
    moved = phi_train(x[..., 64:191, 72:199])  # window at column 72 = 8 * 9 -> cell 9
    whole = phi_train(x)[..., 8:14, 9:15]
train_err = ((moved - whole).abs().max() / whole.abs().max()).item()
assert train_err > 0.01
print(f"ok: in training mode the same 8-px shift is off by {train_err:.2f} of the range")

# %% [markdown]
# **Why it matters.** The score map needs $\varphi$ of all 17×17 = 289 candidate windows of $x$.
# Equivariance says one pass over $x$ computes all of them. Count the multiply-adds of each
# convolution (output values × weights per output value):


# %%
def conv_macs(net: nn.Module, side: int) -> int:
    """Multiply-adds of the convolutions of net for one side x side image (forward hooks)."""
    total, handles = [0], []

    def count(m, i, out):
        total[0] += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    handles = [m.register_forward_hook(count) for m in net.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        net(torch.zeros(1, 3, side, side))
    for handle in handles:
        handle.remove()
    return total[0]


# %% tags=["nbval-check-output"]
macs_x, macs_z = conv_macs(phi, 255), conv_macs(phi, 127)
print(f"paper phi on one 255 search image:   {macs_x / 1e9:6.2f} G multiply-adds")
print(f"paper phi on 289 separate 127 crops: {289 * macs_z / 1e9:6.2f} G multiply-adds")
print(f"one fully-convolutional pass is {289 * macs_z / macs_x:.0f}x cheaper")

# %% [markdown]
# ## 5. Grouped convolutions: two GPUs of 2012
#
# In a convolution with $g$ groups, the input channels are split into $g$ equal parts, and each
# filter sees only its own part. For conv2 of the paper: 256 filters in 2 groups of 128, each
# reading 48 of conv1's 96 channels.
#
# **Why.** AlexNet (Krizhevsky et al., 2012) was trained on two GTX 580 GPUs with 3 GB each;
# the network did not fit on one. Each GPU held half of every layer, and to save on traffic
# conv2, conv4 and conv5 read only the maps *on their own GPU*; conv3 (and the fully connected
# layers) read across. SiamFC kept that structure: the "256×48" of Table 1 is the trace of it.
#
# **Check** that a grouped conv is exactly two independent convolutions on the two halves:

# %%
conv2 = phi_tiny.conv2[0]
with torch.no_grad():
    h = phi_tiny.conv1(z)  # conv1 block output: (1, 16, 29, 29)
    half_in, half_out = conv2.in_channels // 2, conv2.out_channels // 2
    a = F.conv2d(h[:, :half_in], conv2.weight[:half_out], conv2.bias[:half_out])
    b = F.conv2d(h[:, half_in:], conv2.weight[half_out:], conv2.bias[half_out:])
    assert torch.allclose(conv2(h), torch.cat([a, b], dim=1), atol=1e-4)
print(f"ok: conv2 (groups=2) == two convs of {half_in} -> {half_out} channels, side by side")

# %% [markdown]
# Seen as a matrix of (output channel) × (input channel) connections, a grouped layer is
# **block diagonal**. Here is the strength $\|w_{o,i}\|$ of every connection of the trained tiny
# network; the white blocks are connections that do not exist.

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 4.2))
for ax, block in zip(axes, ("conv2", "conv3", "conv4"), strict=True):
    conv = getattr(phi_tiny, block)[0]
    per_group_out, per_group_in = conv.out_channels // conv.groups, conv.in_channels // conv.groups
    full = np.full((conv.out_channels, conv.in_channels), np.nan)
    strength = conv.weight.detach().flatten(2).norm(dim=2).numpy()  # (out, in / groups)
    for o in range(conv.out_channels):
        g = o // per_group_out
        full[o, g * per_group_in : (g + 1) * per_group_in] = strength[o]
    ax.imshow(full, cmap="viridis")
    ax.set_title(f"{block}: groups={conv.groups}")
    ax.set_xlabel("input channel")
axes[0].set_ylabel("output channel")
plt.tight_layout()
plt.show()

# %% [markdown]
# **What it saves.** Parameters and multiply-adds of each layer of the paper's $\varphi$, as built
# and as they would be with `groups=1`:


# %% tags=["nbval-check-output"]
def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


ROW = "{:6} {:>6} | {:>9,} {:>9,} | {:>13,} {:>13,}"
totals = np.zeros(4, dtype=np.int64)
print(f"{'layer':6} {'groups':>6} | {'params':>9} {'if g=1':>9} | {'MACs on x':>13} {'if g=1':>13}")
for block in ("conv1", "conv2", "conv3", "conv4", "conv5"):
    conv = getattr(phi, block)[0]
    dense = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride)
    side = x_shapes[block][1]
    macs = [side * side * m.weight[0].numel() * m.out_channels for m in (conv, dense)]
    counts = np.array([n_params(conv), n_params(dense), *macs])
    totals += counts
    print(ROW.format(block, conv.groups, *counts))
print(ROW.format("total", "", *totals))
print(
    f"groups save {1 - totals[0] / totals[1]:.0%} of the parameters"
    f" and {1 - totals[2] / totals[3]:.0%} of the multiply-adds"
)

# %%
assert totals[2] == macs_x  # the same count as the hooks of Section 4
# the rest are the batch norms' gamma and beta, 2 per channel of conv1..conv4
assert n_params(phi) - totals[0] == 2 * sum(paper_cfg.channels[:4])
print(
    f"ok: the paper's phi has {n_params(phi):,} parameters; without groups it would have "
    f"{n_params(phi) - totals[0] + totals[1]:,}"
)

# %% [markdown]
# The cost: the two halves only mix in conv3, so half of each grouped layer cannot use features
# the other half found. Krizhevsky et al. saw the two GPUs specialise (one half's conv1 filters
# came out mostly colour-blind, the other's colourful). On one GPU today, groups are a
# design choice, not a necessity; SiamFC keeps them, and so do siamfc-pytorch's released weights
# (the library loads them unchanged).

# %% [markdown]
# ## 6. What $\varphi$ sees in a real exemplar
#
# The face of `carphone`, frame 0: the frame with the target box (green) and the exemplar
# square with its context (yellow), then $z$ and $x$ as the network gets them. The search
# square (192 px, 255/127 times the exemplar's) is larger than this 176×144 frame, so $x$ is
# filled out with the frame's mean colour.

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 4), width_ratios=[1.3, 1, 1])
for ax, img, title in zip(
    axes,
    (draw_context(frame, box, cfg), z_img, x_img),
    ("frame 0, box [63, 42, 42, 54]", "exemplar z (127 x 127)", "search image x (255 x 255)"),
    strict=True,
):
    ax.imshow(img)
    ax.set_title(title)
    ax.axis("off")
plt.show()

# %% [markdown]
# conv1's output (after batch norm and ReLU) is the block's first three layers, `conv1[:3]`;
# conv5's is the embedding itself. We show the four channels of each that vary most over $z$.

# %%
with torch.no_grad():
    conv1_z, conv1_x = phi_tiny.conv1[:3](z)[0], phi_tiny.conv1[:3](x)[0]
    phi_z = phi_tiny(z)[0]
phi_x0 = phi_x[0]
pick1 = conv1_z.flatten(1).std(1).argsort(descending=True)[:4].tolist()
pick5 = phi_z.flatten(1).std(1).argsort(descending=True)[:4].tolist()
print("conv1", tuple(conv1_z.shape), tuple(conv1_x.shape), "channels", pick1)
print("conv5", tuple(phi_z.shape), tuple(phi_x0.shape), "channels", pick5)


# %%
def colour_range(maps_z, maps_x):
    """One colour scale per channel, shared by z and x, so the two can be compared."""
    both = torch.cat([maps_z.flatten(1), maps_x.flatten(1)], dim=1)
    return both.min(1).values, both.max(1).values


range1, range5 = colour_range(conv1_z, conv1_x), colour_range(phi_z, phi_x0)


def show_maps(image, conv1_maps, conv5_maps, title, window=False):
    """Top: the image and conv1 channels. Bottom: the conv5 cell centres and conv5 channels."""
    fig, axes = plt.subplots(2, 5, figsize=(13, 5.4))
    n5 = conv5_maps.shape[-1]
    axes[0, 0].imshow(image)
    axes[1, 0].imshow(image)
    grid = 43 + STRIDE * np.arange(n5)
    axes[1, 0].plot(*np.meshgrid(grid, grid), ".", color="yellow", ms=2)
    axes[1, 0].set_title(f"the {n5} x {n5} conv5 cell centres", fontsize=9)
    rows = ((0, conv1_maps, pick1, "conv1", range1), (1, conv5_maps, pick5, "conv5", range5))
    for row, maps, pick, layer, (lo, hi) in rows:
        for ax, c in zip(axes[row, 1:], pick, strict=True):
            ax.imshow(maps[c].numpy(), cmap="viridis", vmin=lo[c].item(), vmax=hi[c].item())
            ax.set_title(f"{layer} ch {c} ({maps.shape[-1]}x{maps.shape[-1]})", fontsize=9)
            if window and layer == "conv5":  # the 6 x 6 cells of the centre window
                ax.add_patch(Rectangle((7.5, 7.5), 6, 6, fill=False, ec="red", lw=1.5))
    if window:  # the 127-px window at the centre of x, from pixel (64, 64)
        axes[1, 0].add_patch(Rectangle((63.5, 63.5), 127, 127, fill=False, ec="red", lw=1.5))
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(title)
    plt.tight_layout()
    plt.show()


show_maps(z_img, conv1_z, phi_z, "exemplar z: conv1 (59 x 59) and conv5 = phi(z) (6 x 6)")

# %% [markdown]
# conv1 still looks like the image: edges and colour blobs at stride 2. conv5 is 6×6 cells of
# 48 numbers each (256 in the paper's network): a coarse, abstract description of the face.
#
# Now the search image, with the same channels and the same colour scales. The red squares mark
# the centre 127 px of $x$ (the window $z$ was cut from) and its 6×6 cells in $\varphi(x)$.
# In conv1, the flat mean-colour padding gives no response, except along its edge.

# %%
show_maps(
    x_img, conv1_x, phi_x0, "search x: conv1 (123 x 123) and conv5 = phi(x) (22 x 22)", window=True
)

# %% [markdown]
# $z$ is (up to resampling) the centre 127 px of $x$, which starts at pixel 64 = 8·8. By
# equivariance, $\varphi(z)$ should nearly equal the block of $\varphi(x)$ at cell (8, 8):

# %%
centre_err = ((phi_z - phi_x0[:, 8:14, 8:14]).abs().max() / phi_x0.abs().max()).item()
assert centre_err < 0.1
print(f"ok: phi(z) matches the centre block of phi(x) to {centre_err:.3f} of the feature range")

# %% [markdown]
# That match is what the correlation layer measures at every one of the 17×17 positions: it is
# notebook 02.
#
# **Quick mode** (`SIAMFC_EDU_QUICK=1`, used by CI) checks the receptive field on 2 random
# images instead of 8, test 1 on 9 window offsets instead of all 289, and sweeps shifts of
# 0–16 px instead of 0–32 px. Everything else is the same.

# %% [markdown]
# ## Explore: every channel of every layer
# Pick a layer and a channel: the activation for the exemplar $z$ (left) and for its search image
# $x$ (right), at the same colour scale. Early channels respond to edges and colours; conv5's
# respond to parts of the face, and light up at the same place in $z$ and in the centre of $x$.
# (A still of conv1, channel 0, is the first panel of the figures above.)

# %%
from siamfc_edu.widgets import EmbeddingExplorer

display(EmbeddingExplorer(phi_tiny, z_img, x_img).widget)

# %% [markdown]
# ## Recap
#
# - $\varphi$ is five conv layers (BN + ReLU after all but conv5, max-pool after conv1 and conv2):
#   127×127 → 6×6×256 and 255×255 → 22×22×256, exactly Table 1; `tiny` has the same sizes with
#   16/48/64/64/48 channels.
# - Its receptive field is 87×87 px and its total stride 8 px: $r_l = r_{l-1} + (k_l-1)j_{l-1}$,
#   $j_l = j_{l-1}s_l$; a gradient confirms the square, and shows the centre matters most.
# - No padding, no fully connected layer, BN in eval mode: $\varphi(L_{8\tau}x) = L_\tau\varphi(x)$,
#   so one pass over $x$ embeds all 289 candidate windows (~50× cheaper); shifts that are not
#   multiples of 8 are not reproduced.
# - conv2, conv4, conv5 have 2 groups, a relic of AlexNet's two 3 GB GPUs: a block-diagonal
#   weight matrix that saves 38% of the paper network's parameters and 37% of its multiply-adds.
# - The trained $\varphi(z)$ of a face is a 6×6 grid of feature vectors, and it reappears at the
#   centre of $\varphi(x)$.
#
# Exercise: `exercises/01_embedding.ipynb`
