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
# # 02 · The correlation layer g: from two embeddings to a score map
#
# SiamFC compares an exemplar image $z$ (the target, 127×127) with a larger search image $x$
# (255×255) by embedding both with the same network $\varphi$ and sliding one embedding over the
# other. This notebook is about that sliding: the layer $g$ of
# $f(z, x) = g(\varphi(z), \varphi(x))$.
#
# **Learning goals**
# - Compute a score map by hand as a sliding dot product, for one channel and for several.
# - Read `siamfc_edu.head.cross_correlation` and see why one grouped convolution equals a loop
#   over the batch and every position (and how much faster it is).
# - Explain why the score is multiplied by 0.001 before the logistic loss.
# - Map a cell of the 17×17 score map to pixels of the search image, and check that the trained
#   network's peak lands on the face it was shown.
#
# **Assumes** notebook `01_embedding` (what $\varphi$ is, 127 → 6×6 and 255 → 22×22, stride 8).
#
# **Time:** about 30 minutes.

# %%
import inspect
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib import patheffects
from matplotlib.patches import Rectangle

import siamfc_edu
from siamfc_edu.boxes import box_center
from siamfc_edu.config import get_preset, quick_mode
from siamfc_edu.crops import exemplar_crop, search_crop, search_side
from siamfc_edu.data import read_annotations, read_video
from siamfc_edu.data.real import real_set_files
from siamfc_edu.head import CorrelationHead, cross_correlation
from siamfc_edu.losses import labels_for, logistic_loss
from siamfc_edu.model import build_model, default_weights, load_weights
from siamfc_edu.runtime import crops_to_tensor
from siamfc_edu.tracker import upsample
from siamfc_edu.viz import draw_context, draw_score_map

QUICK = quick_mode()
torch.manual_seed(0)
rng = np.random.default_rng(0)
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. The formula
#
# The paper (Section 2.1, eq. 2) defines the score map as
#
# $$f(z, x) = \varphi(z) \star \varphi(x) + b\,\mathbb{1},$$
#
# where $\star$ is **cross-correlation** and $b\,\mathbb{1}$ is a map that holds the same bias
# $b \in \mathbb{R}$ in every cell. With $\varphi(z)$ of size $C \times h \times w$ and
# $\varphi(x)$ of size $C \times H \times W$, the cell $u = (u_1, u_2)$ of the map is a dot
# product between $\varphi(z)$ and the window of $\varphi(x)$ that starts at $u$:
#
# $$\big(\varphi(z) \star \varphi(x)\big)[u] = \sum_{c=1}^{C} \sum_{i=0}^{h-1} \sum_{j=0}^{w-1}
#   \varphi(z)[c, i, j]\; \varphi(x)[c, u_1 + i, u_2 + j].$$
#
# The map has $(H - h + 1) \times (W - w + 1)$ cells. For SiamFC, $\varphi(z)$ is 6×6 and
# $\varphi(x)$ is 22×22, so $22 - 6 + 1 = 17$: the 17×17 score map of the paper. The same number
# comes from the image side: $(255 - 127)/8 + 1 = 17$ positions of the exemplar, 8 pixels (the
# total stride of $\varphi$) apart.
#
# (The paper writes $*$ and calls it cross-correlation: the exemplar is **not** flipped. That is
# exactly what deep-learning libraries call a "convolution", `torch.nn.functional.conv2d`.)

# %% tags=["nbval-check-output"]
cfg = get_preset("tiny")
print("score map side from the embeddings:", 22 - 6 + 1)
print("score map side from the images:    ", (cfg.instance_size - cfg.exemplar_size) // 8 + 1)
assert cfg.score_size == 22 - 6 + 1 == 17
print("ok: 6x6 over 22x22 gives the paper's 17x17 map")

# %% [markdown]
# ## 2. A worked example: one channel
#
# Take a 3×3 exemplar (a small blob) and a 6×6 search map that contains the same blob once, plus
# some clutter. Slide the exemplar over every position, multiply cell by cell and add up:
# $(6 - 3 + 1)^2 = 16$ positions, so a 4×4 score map. The library does it with
# `cross_correlation` on tensors shaped (batch, channels, height, width).

# %% tags=["nbval-check-output"]
z1 = np.array([[0, 1, 0], [1, 2, 1], [0, 1, 0]])
x1 = np.array(
    [
        [0, 0, 1, 0, 0, 0],
        [0, 0, 0, 0, 1, 0],
        [0, 0, 1, 0, 0, 0],
        [0, 1, 2, 1, 0, 0],
        [0, 0, 1, 0, 0, 1],
        [1, 0, 0, 0, 0, 1],
    ]
)
score1 = cross_correlation(torch.tensor(z1[None, None]), torch.tensor(x1[None, None]))[0, 0]
print(score1.numpy())

# %% [markdown]
# One position by hand: the peak. Every term of the sum is written out, so you can check it
# against the figure below.

# %% tags=["nbval-check-output"]
r, c = np.unravel_index(score1.argmax().item(), score1.shape)
window = x1[r : r + 3, c : c + 3]
terms = " + ".join(f"{a}*{b}" for a, b in zip(z1.ravel(), window.ravel(), strict=True) if a * b)
print(f"peak at cell ({r}, {c}): {terms} = {(z1 * window).sum()}")
assert (z1 * window).sum() == score1.max() == 8 and (r, c) == (2, 1)
print("ok: the peak is where the search map holds a copy of the exemplar")

# %% [markdown]
# A small helper draws a matrix with its numbers; then the figure: the exemplar, the search map
# with the peak's window in red, and the score map with every position's product sum.


# %%
def show_numbers(ax, a, title, box=None, cmap="Blues"):
    """A matrix as an image with its values written in; box = (row, col, side) in red."""
    lim = max(np.abs(a).max(), 1)
    lo, hi = (-lim, lim) if cmap == "coolwarm" else (min(a.min(), 0), lim)  # 0 = white / pale
    ax.imshow(a, cmap=cmap, vmin=lo, vmax=hi)
    outline = [patheffects.withStroke(linewidth=3, foreground="white")]
    for (i, j), v in np.ndenumerate(a):
        ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=11, path_effects=outline)
    if box is not None:
        ax.add_patch(
            Rectangle((box[1] - 0.5, box[0] - 0.5), box[2], box[2], fill=False, ec="red", lw=3)
        )
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])


fig, axes = plt.subplots(1, 3, figsize=(11, 3.8), gridspec_kw={"width_ratios": [3, 6, 4]})
show_numbers(axes[0], z1, "exemplar $\\varphi(z)$, 3x3")
show_numbers(axes[1], x1, "search $\\varphi(x)$, 6x6", box=(r, c, 3))
show_numbers(
    axes[2],
    score1.numpy(),
    "score map $\\varphi(z)\\star\\varphi(x)$, 4x4",
    box=(r, c, 1),
    cmap="viridis",
)
fig.tight_layout()
plt.show()

# %% [markdown]
# Two things to notice:
# - The score map is smaller than the search map: a cell exists only where the whole exemplar
#   fits (no padding). Cell $(u_1, u_2)$ belongs to the window whose **top-left** corner is
#   $(u_1, u_2)$.
# - The sum is not normalised. A flat patch of 2s would score $2 \cdot 6 = 12$, more than the
#   exact copy (8). Plain correlation rewards *large* features as much as *matching* ones; it is
#   $\varphi$'s job to learn features for which the target's own window wins. (Section 8 shows an
#   untrained $\varphi$ falling into exactly this trap.)
#
# ## 3. Several channels
#
# Real embeddings have $C$ channels (48 in the tiny preset, 256 in the paper). The exemplar then
# has $C$ channels too, and the score of a position is the sum over channels: correlate channel
# by channel, then add the $C$ maps. Here $C = 2$: channel 0 is the blob above, channel 1 a
# vertical edge detector over random values in $\{-1, 0, 1\}$.

# %% tags=["nbval-check-output"]
z2 = np.stack([z1, np.array([[1, 0, -1]] * 3)])  # (C=2, 3, 3)
x2 = np.stack([x1, rng.integers(-1, 2, size=(6, 6))])  # (C=2, 6, 6)
zt, xt = torch.tensor(z2[None]), torch.tensor(x2[None])
per_channel = [cross_correlation(zt[:, k : k + 1], xt[:, k : k + 1])[0, 0] for k in range(2)]
score2 = cross_correlation(zt, xt)[0, 0]
print("channel 0:\n", per_channel[0].numpy(), "\nchannel 1:\n", per_channel[1].numpy())
print("both channels at once:\n", score2.numpy())
assert torch.equal(score2, per_channel[0] + per_channel[1])
print("ok: the C-channel score map is the sum of the per-channel maps")

# %%
fig, axes = plt.subplots(2, 4, figsize=(14, 6.6), gridspec_kw={"width_ratios": [3, 6, 4, 4]})
for k in range(2):
    show_numbers(axes[k, 0], z2[k], f"$\\varphi(z)$, channel {k}", cmap="coolwarm")
    show_numbers(axes[k, 1], x2[k], f"$\\varphi(x)$, channel {k}", box=(r, c, 3), cmap="coolwarm")
    show_numbers(axes[k, 2], per_channel[k].numpy(), f"channel {k} alone", cmap="viridis")
show_numbers(
    axes[0, 3],
    score2.numpy(),
    "sum over channels\n= $\\varphi(z)\\star\\varphi(x)$",
    box=(r, c, 1),
    cmap="viridis",
)
axes[1, 3].set_visible(False)
fig.tight_layout()
plt.show()

# %% [markdown]
# The edge channel moved the peak's neighbours up and down, but the blob's match still wins.
# With 48 or 256 channels, every position's score is a vote of all the channels together.
#
# ## 4. The library's version: a whole batch in one grouped convolution
#
# During training, the network sees a batch of $B$ pairs $(z_b, x_b)$ and needs $B$ score maps,
# each exemplar over **its own** search image. Read the code:

# %%
print(inspect.getsource(siamfc_edu.head.cross_correlation))

# %% [markdown]
# Two cases:
# - **One exemplar, many search images** (`z` has batch 1): this is plain `conv2d(x, z)`, the
#   exemplar embedding used as the one filter, applied to every search image. The tracker uses
#   it for its scale pyramid (one $\varphi(z)$, three search crops at three scales).
# - **B exemplars, B search images, paired**: the batch is folded into the channels. The search
#   batch becomes a single image with $B \cdot C$ channels; the $B$ exemplars become $B$ filters
#   of $C$ channels each; `groups=B` lets filter $b$ see only channels
#   $bC, \dots, (b+1)C - 1$, which are exactly search image $b$. One call, $B$ independent maps.
#
# We check both against the slowest, plainest code there is: a Python loop over the batch and
# every position, with random embeddings of the real sizes (6×6 and 22×22, 256 channels).


# %%
def loop_correlation(z, x):
    """The formula of section 1, one position at a time (slow on purpose: a reference)."""
    h, w = z.shape[-2:]
    out = torch.zeros(len(x), 1, x.shape[-2] - h + 1, x.shape[-1] - w + 1, dtype=x.dtype)
    for b in range(len(x)):
        zb = z[b] if len(z) == len(x) else z[0]  # one exemplar for all, or one per image
        for i in range(out.shape[-2]):
            for j in range(out.shape[-1]):
                out[b, 0, i, j] = (zb * x[b, :, i : i + h, j : j + w]).sum()
    return out


# %% tags=["nbval-check-output"]
B = 4
z_feat = torch.randn(B, 256, 6, 6, dtype=torch.float64)
x_feat = torch.randn(B, 256, 22, 22, dtype=torch.float64)
fast = cross_correlation(z_feat, x_feat)
slow = loop_correlation(z_feat, x_feat)
print("phi(z)", tuple(z_feat.shape), "phi(x)", tuple(x_feat.shape), "-> maps", tuple(fast.shape))
assert fast.shape == (B, 1, 17, 17)
assert (fast - slow).abs().max() < 1e-5
print("ok: the grouped convolution equals the loop to 1e-5 (float64)")

# %% [markdown]
# In float32, the precision the network runs in, the sums of $256 \cdot 36 = 9216$ products
# carry rounding: the two agree to about $10^{-6}$ of the map's size, not to the last digit.

# %% tags=["nbval-check-output"]
fast32 = cross_correlation(z_feat.float(), x_feat.float()).double()
relative = ((fast32 - slow).abs().max() / slow.abs().max()).item()
assert relative < 1e-5
print("ok: in float32 the difference is below 1e-5 of the largest score")

# %% [markdown]
# **The scale pyramid.** One exemplar against three search images must give the same maps as
# pairing three copies of that exemplar with them (the grouped path), and as the loop.

# %% tags=["nbval-check-output"]
one_z = z_feat[:1]  # a single exemplar, (1, 256, 6, 6)
pyramid = x_feat[:3]  # three search images, as for 3 scales
shared = cross_correlation(one_z, pyramid)  # conv2d(x, z)
paired = cross_correlation(one_z.expand(3, -1, -1, -1), pyramid)  # grouped, 3 copies of z
assert shared.shape == paired.shape == (3, 1, 17, 17)
assert (shared - paired).abs().max() < 1e-5
assert (shared - loop_correlation(one_z, pyramid)).abs().max() < 1e-5
print("ok: one exemplar over 3 search images = 3 paired copies = the loop")

# %% [markdown]
# **How much faster?** Both on the same inputs (the paper's batch of 8 pairs), best of several
# runs each. The loop pays Python's overhead at each of the $B \cdot 17 \cdot 17$ positions;
# the library hands all the sums to one convolution call. The ratio depends on your CPU, your
# PyTorch build and how busy the machine is (on the project's busy 2-core CPU it was between 2
# and 4): run the cell twice and compare.

# %%
repeats, B_time = (3, 8) if QUICK else (10, 8)
z_t, x_t = torch.randn(B_time, 256, 6, 6), torch.randn(B_time, 256, 22, 22)


def best_time(fn):
    """The fastest of `repeats` runs, in seconds (the least disturbed by other programs)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


t_loop = best_time(lambda: loop_correlation(z_t, x_t))
t_lib = best_time(lambda: cross_correlation(z_t, x_t))
print(f"B={B_time}: loop {t_loop * 1e3:.1f} ms, cross_correlation {t_lib * 1e3:.2f} ms")
print(f"loop time / library time = {t_loop / t_lib:.1f}")

# %% [markdown]
# ## 5. A real exemplar and a real search image
#
# Now the trained network shipped with the course (the `tiny` preset: the paper's geometry with
# 48 channels in $\varphi$ instead of 256). The target is the face in `carphone_pristine`, box
# $[63, 42, 42, 54]$ (0-based $x, y, w, h$) in frame 0.
#
# - $z$: the exemplar crop of frame 0 (the context square around the face, resized to 127×127);
# - $x$: the search crop of frame 30, cut around the **frame-0** box (resized to 255×255), as the
#   tracker would cut it if it had not moved yet.
#
# The search square is about 192 frame pixels wide, more than this 176×144 frame: the part
# outside is filled with the frame's mean colour (the grey border of $x$ below).
#
# The network takes float tensors (B, 3, H, W) with values 0..255 (no normalisation);
# `crops_to_tensor` does that conversion.

# %%
frames = read_video("carphone_pristine")
face_boxes = read_annotations(real_set_files()["carphone_pristine:carphone_face"], len(frames))
box0 = face_boxes[0]  # [63, 42, 42, 54], drawn by hand
model, cfg = load_weights(default_weights("tiny"))
z_img = exemplar_crop(frames[0], box0, cfg)
x_img = search_crop(frames[30], box0, cfg)

fig, axes = plt.subplots(1, 4, figsize=(14, 3.6))
panels = [
    (draw_context(frames[0], box0, cfg), "frame 0: face (green), z's square (yellow)"),
    (z_img, "exemplar z (127x127)"),
    (frames[30], "frame 30"),
    (x_img, "search image x (255x255), frame 30"),
]
for ax, (image, title) in zip(axes, panels, strict=True):
    ax.imshow(image)
    ax.set_title(title, fontsize=10)
    ax.axis("off")
fig.tight_layout()
plt.show()

# %% tags=["nbval-check-output"]
z = crops_to_tensor([z_img], "cpu")
x = crops_to_tensor([x_img], "cpu")
with torch.no_grad():
    phi_z, phi_x = model.backbone(z), model.backbone(x)
    score = model(z, x)  # = head(phi(z), phi(x))
print("z", tuple(z.shape), "-> phi(z)", tuple(phi_z.shape))
print("x", tuple(x.shape), "-> phi(x)", tuple(phi_x.shape))
print("score map f(z, x):", tuple(score.shape))
assert score.shape == (1, 1, 17, 17)
print("ok: 48-channel 6x6 over 48-channel 22x22 gives the 17x17 map")

# %% [markdown]
# ## 6. Why ×0.001
#
# The head the network uses is `CorrelationHead`: the correlation times `out_scale` (0.001, as in
# the authors' code), plus the learnable bias $b$.

# %%
print(inspect.getsource(CorrelationHead))

# %% [markdown]
# Why the factor? Each raw score is a sum of $C \cdot 6 \cdot 6$ products (1,728 for the tiny
# preset, 9,216 for the paper's), of features computed from pixels in 0..255. Look at the raw
# correlation of these two real embeddings, and at the scores after ×0.001 and $+b$:

# %%
raw = cross_correlation(phi_z, phi_x)  # phi(z) * phi(x), no scale, no bias
bias = model.head.bias.item()
print(f"raw correlation:        {raw.min().item():9.1f} .. {raw.max().item():9.1f}")
print(f"0.001 * raw + b (b={bias:.2f}): {score.min().item():6.2f} .. {score.max().item():6.2f}")
assert torch.allclose(score, raw * 0.001 + bias, atol=1e-4)
assert raw.abs().max() > 1000 and score.abs().max() < 20
print("ok: raw scores are in the thousands, the network's scores are a few units")

# %% [markdown]
# The scores feed the logistic loss of Section 2.2 (notebook 03),
# $\ell(y, v) = \log(1 + e^{-yv})$ with labels $y \in \{+1, -1\}$. Its gradient is
#
# $$\frac{\partial \ell}{\partial v} = -y\,\sigma(-yv), \qquad \sigma(t) = \frac{1}{1+e^{-t}},$$
#
# and $\sigma$ only *changes* for $|v|$ up to about 5. Beyond, $\sigma(v)$ is 0 or 1, the loss is
# either 0 or the straight line $-yv$, and the gradient is 0 or $\pm 1$: it says which side a
# cell is on, never how sure. Below, every cell of our map, placed on the sigmoid, with the factor
# and without it (the same trained $\varphi$ and bias, only the 0.001 dropped).

# %%
y = labels_for(cfg).flatten()  # +1 near the centre, -1 elsewhere (notebook 03)
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
for ax, v, name in (
    (axes[0], score.flatten(), "0.001 * raw + b"),
    (axes[1], (raw + bias).flatten(), "raw + b"),
):
    t = torch.linspace(1.3 * v.min().item(), 1.3 * v.max().item(), 400)
    ax.plot(t, torch.sigmoid(t), color="gray", label="$\\sigma(v)$")
    for label, color in ((-1, "tab:blue"), (1, "tab:orange")):
        cells = v[y == label]
        ax.plot(
            cells,
            torch.sigmoid(cells),
            "o",
            ms=4,
            alpha=0.5,
            color=color,
            label=f"cells with y = {label:+d}",
        )
    saturated = (v.abs() > 6.9).sum().item()  # sigma(v) within 0.001 of 0 or 1
    ax.set_title(f"v = {name}: {saturated} of {v.numel()} cells saturated", fontsize=10)
    ax.set_xlabel("score v")
    ax.legend(loc="upper left", fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# With the factor, the cells spread along the curve: the positives (orange) near 1, most
# negatives (blue) near 0, some in between where the loss still pushes. (A cell's gradient
# $|\partial \ell / \partial v|$ is the distance from its dot to its label's end of the curve:
# $1 - \sigma(v)$ for $y = +1$, $\sigma(v)$ for $y = -1$.) Without the factor, nearly every cell
# sits at 0 or 1, so every gradient is 0 or 1.
# The gradients tell the same story. Score the pair with the balanced logistic loss (the labels:
# +1 within $R = 16$ px of the centre) and compare the gradient that reaches the last layer of
# $\varphi$ (conv5's weights):


# %%
def conv5_gradient(out_scale):
    """Loss and |dL/d conv5 weights| for this pair, with the head's factor set to out_scale."""
    model.zero_grad()
    v = cross_correlation(model.backbone(z), model.backbone(x)) * out_scale + model.head.bias
    loss = logistic_loss(v, labels_for(cfg))
    loss.backward()
    return loss.item(), model.backbone.conv5[0].weight.grad.norm().item()


loss_with, grad_with = conv5_gradient(0.001)
loss_without, grad_without = conv5_gradient(1.0)
model.zero_grad()
print(f"with x0.001:    loss {loss_with:8.3f}, gradient norm on conv5 {grad_with:8.3f}")
print(f"without:        loss {loss_without:8.1f}, gradient norm on conv5 {grad_without:8.1f}")
print(f"the gradient is {grad_without / grad_with:.0f}x larger without the factor")
assert loss_without > 100 * loss_with and grad_without > 100 * grad_with

# %% [markdown]
# Without the factor the loss is in the hundreds and the gradients are thousands of times
# larger: with the paper's learning rate ($10^{-2}$) one SGD step would throw the weights far
# away. The factor puts the scores where the loss is informative, and the learnable bias $b$
# shifts the whole map (here $b \approx -3$: most cells are background, so the map starts
# below 0).
#
# ## 7. Where a cell sits in the search image
#
# Cell $(i, j)$ of the map is the exemplar placed on the window of $\varphi(x)$ whose top-left
# corner is $(i, j)$. Because $\varphi$ has total stride 8 and no padding, that window sees the
# 127×127 square of the search image that starts at pixel $(8i, 8j)$ (6 features 8 px apart,
# each with the 87-px receptive field of notebook 01: $87 + 5 \cdot 8 = 127$). Its centre is at
#
# $$8i + 63 = 127 + 8\,(i - 8)$$
#
# (0-based pixels; 127 is the centre of the 255-pixel crop). So the centre cell $i = 8$ looks
# straight at the crop's centre, and each step of one cell moves 8 pixels. The 17 cell centres run
# from pixel 63 to 191, spanning the central $16 \cdot 8 = 128$ pixels; with each cell 8 pixels
# wide, the map covers the central 136×136 square of the crop (pixels 59..195).

# %%
fig, ax = plt.subplots(figsize=(5, 5))
ax.imshow(x_img)
centres = 63 + 8 * np.arange(17)
grid_r, grid_c = np.meshgrid(centres, centres)
ax.plot(grid_c, grid_r, ".", color="yellow", ms=3)
for i, color in ((0, "cyan"), (16, "red")):  # the first and the last cell
    ax.add_patch(
        Rectangle(
            (8 * i - 0.5, 8 * i - 0.5),
            127,
            127,
            fill=False,
            ec=color,
            lw=2,
            ls="--",
            label=f"window of cell ({i}, {i})",
        )
    )
    ax.plot(63 + 8 * i, 63 + 8 * i, "o", color=color, ms=8)
ax.plot(127, 127, "+", color="white", ms=14, mew=2, label="centre cell (8, 8) = pixel 127")
ax.add_patch(Rectangle((58.5, 58.5), 136, 136, fill=False, ec="white", lw=1, label="map covers"))
ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
ax.set_title("the 17x17 cell centres (yellow) on the search image", fontsize=10)
plt.show()

# %% [markdown]
# A check that needs no formula (notebook 01 did it for $\varphi$, here for the whole map): cut
# 8 pixels off the top and left of $x$. If one cell is 8 pixels, the new map must be the old one
# without its first row and column.

# %% tags=["nbval-check-output"]
with torch.no_grad():
    shifted = model(z, x[:, :, 8:, 8:])  # a 247 x 247 search image
print("map of the cut search image:", tuple(shifted.shape))
assert shifted.shape == (1, 1, 16, 16)
assert (shifted - score[:, :, 1:, 1:]).abs().max() < 1e-3
print("ok: moving the search image by 8 px moves the map by exactly one cell")

# %% [markdown]
# ## 8. The score map of the trained network
#
# Where is the face in frame 30, in search-crop pixels? The crop maps a frame point $p$ to
# $127 + (p - c_0) \cdot 255 / s$, with $c_0$ the centre of the frame-0 box and $s$ the side of
# the search square in the frame (about 192 px here). We take the face's hand-drawn box in
# frame 30, compare it with the peak of the map, and draw the map over the crop twice: as 17×17
# blocks of 8 pixels, and upsampled ×16 with bicubic interpolation as the tracker does (notebook
# 06), where one upsampled cell is half a pixel.

# %%
c0 = box_center(box0)
px_per_frame_px = cfg.instance_size / search_side(box0[2], box0[3], cfg)


def to_crop(box):
    """A frame box [x, y, w, h] in the search crop's pixels: (centre x, centre y, w, h)."""
    centre = 127 + (box_center(box) - c0) * px_per_frame_px
    return np.concatenate([centre, np.asarray(box[2:]) * px_per_frame_px])


def peak_offset(score_map):
    """(dx, dy) of the map's highest cell from the crop's centre, in crop pixels."""
    i, j = np.unravel_index(score_map.argmax(), score_map.shape)
    return 8 * (np.array([j, i]) - 8)


def plot_maps(score_map, crop, face, title):
    """The 17x17 map, the map over the crop and the x16 map over the crop, face box in green."""
    up = upsample(score_map[None], cfg.upscale_size)[0]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2))
    shown = axes[0].imshow(score_map, cmap="viridis")
    fig.colorbar(shown, ax=axes[0], fraction=0.046)
    axes[0].set_title("17x17 score map", fontsize=10)
    axes[0].set_xticks(range(0, 17, 4))
    axes[0].set_yticks(range(0, 17, 4))
    axes[1].imshow(draw_score_map(crop, score_map, cfg.total_stride))
    axes[1].set_title("the map over x (1 cell = 8 px)", fontsize=10)
    axes[2].imshow(draw_score_map(crop, up, cfg.total_stride / cfg.response_up))
    axes[2].set_title("upsampled x16 over x", fontsize=10)
    row, col = np.unravel_index(up.argmax(), up.shape)  # x16 map: half a pixel per cell
    fine = 127 + (np.array([col, row]) - (cfg.upscale_size - 1) / 2) / 2
    for ax, peak in ((axes[1], 127 + peak_offset(score_map)), (axes[2], fine)):
        cx, cy, w, h = face
        ax.add_patch(Rectangle((cx - w / 2, cy - h / 2), w, h, fill=False, ec="lime", lw=2))
        ax.plot(*peak, "w+", ms=16, mew=3)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    plt.show()


face30 = to_crop(face_boxes[30])
plot_maps(
    score[0, 0].numpy(), x_img, face30, "frame 30: peak (white +) and the hand-drawn face (green)"
)

# %% tags=["nbval-check-output"]
off = peak_offset(score[0, 0].numpy())
face_off = face30[:2] - 127
print("peak cell (row, col):", tuple(int(v) for v in 8 + off[::-1] // 8))
print("peak offset from the centre (dx, dy) in crop px:", off)
print("face offset from the centre (dx, dy) in crop px:", face_off.round())
assert np.linalg.norm(off - face_off) <= cfg.r_pos
print(f"ok: the peak is within R = {cfg.r_pos} px of the face's centre (the positive zone)")

# %% [markdown]
# The face hardly moved between frames 0 and 30, and the peak is at the centre or one cell off.
# A harder case: by frame 85 the man has leaned about 24 frame pixels to the left, about 32 crop
# pixels, 4 cells. The search crop is still cut around the frame-0 box.

# %% tags=["nbval-check-output"]
x85_img = search_crop(frames[85], box0, cfg)
with torch.no_grad():
    score85 = model(z, crops_to_tensor([x85_img], "cpu"))[0, 0].numpy()
face85 = to_crop(face_boxes[85])
off85 = peak_offset(score85)
print("peak offset (dx, dy) in crop px:", off85, "= cells", off85 // 8)
print("face offset (dx, dy) in crop px:", (face85[:2] - 127).round())
assert np.linalg.norm(off85 - (face85[:2] - 127)) <= cfg.r_pos
print(f"ok: the peak followed the face, within R = {cfg.r_pos} px")

# %%
plot_maps(score85, x85_img, face85, "frame 85: the face moved left, so did the peak")

# %% [markdown]
# Every hand-drawn frame of the clip (every 5th), the same way: the peak's offset (steps of
# 8 px, one cell) against the face's offset from the frame-0 position.

# %%
annotated = [f for f in range(len(frames)) if np.isfinite(face_boxes[f]).all()]
x_all = crops_to_tensor([search_crop(frames[f], box0, cfg) for f in annotated], "cpu")
with torch.no_grad():
    maps = model(z, x_all)[:, 0].numpy()  # one exemplar over all the search images
peaks = np.array([peak_offset(m) for m in maps])
faces = np.array([to_crop(face_boxes[f])[:2] - 127 for f in annotated])
errors = np.linalg.norm(peaks - faces, axis=1)

fig, axes = plt.subplots(1, 2, figsize=(11, 3.4), sharey=True)
for k, (ax, name) in enumerate(zip(axes, ("dx", "dy"), strict=True)):
    ax.plot(annotated, faces[:, k], "o-", color="green", label="hand-drawn face")
    ax.step(annotated, peaks[:, k], where="mid", color="black", label="peak of the map")
    ax.set_xlabel("frame")
    ax.set_title(f"{name} from the frame-0 centre (crop px)", fontsize=10)
axes[0].legend()
fig.tight_layout()
plt.show()
print(f"{len(annotated)} frames: mean distance {errors.mean():.1f} px, largest {errors.max():.1f}")
assert errors.mean() < cfg.total_stride
print("ok: on average the peak is within one cell (8 px) of the face")

# %% [markdown]
# The peak can only move in steps of 8 pixels, and the hand-drawn boxes are good to 2-3 pixels,
# so an error of a few pixels is the best the raw map can do. The tracker's ×16 upsampling
# (notebook 06) is what gets below one cell.
#
# ## 9. For contrast: the same network with random weights
#
# Same architecture, same crops, weights as initialised before training (seeded).

# %%
torch.manual_seed(0)
random_net = build_model(cfg).eval()
with torch.no_grad():
    score_random = random_net(z, x)[0, 0].numpy()
print(f"random weights: scores {score_random.min():.1f} .. {score_random.max():.1f}")
print(f"trained:        scores {score[0, 0].min():.1f} .. {score[0, 0].max():.1f}")
print("random peak offset (dx, dy) in crop px:", peak_offset(score_random))

fig, axes = plt.subplots(1, 2, figsize=(9, 4.4))
for ax, m, name in ((axes[0], score[0, 0].numpy(), "trained"), (axes[1], score_random, "random")):
    ax.imshow(draw_score_map(x_img, m, cfg.total_stride))
    ax.plot(*(127 + peak_offset(m)), "w+", ms=16, mew=3)
    ax.set_title(f"{name} weights: {m.min():.1f} .. {m.max():.1f}", fontsize=10)
    ax.axis("off")
fig.tight_layout()
plt.show()

# %% [markdown]
# The untrained $\varphi$ produces a smooth map with its peak away from the face, here on the
# bright car window: with unnormalised correlation, the peak goes to wherever the features are
# simply largest (section 2's flat patch of 2s), not to what looks like $z$. Its scores are
# also tens, not units, even after ×0.001: nothing has yet shaped its features. Training
# (notebook 05) is what makes the face's own window win, and brings the scores into the range
# where the loss can learn.
#
# **Quick mode** (`SIAMFC_EDU_QUICK=1`) keeps the best of 3 runs when timing the loop against
# the library; the full run keeps the best of 10. Everything else is the same: the notebook
# scores about 30 search images with the tiny network, a second or two on a CPU.
#
# ## Recap
# - The correlation layer $g$ is a sliding dot product:
#   $f(z, x) = \varphi(z) \star \varphi(x) + b\,\mathbb{1}$, summed over all $C$ channels; a
#   6×6 exemplar embedding over a 22×22 search embedding gives the 17×17 score map.
# - `cross_correlation` computes a whole batch of pairs as one grouped convolution (the batch
#   folded into channels, `groups=B`), and one exemplar over a scale pyramid as a plain
#   `conv2d`; both equal a position-by-position loop, and are faster.
# - Raw correlations of real embeddings are in the thousands; ×0.001 (plus a learnable bias)
#   brings them to the few units where the logistic loss and its gradient carry information.
# - Cell $i$ of the map looks at the 127-px window centred at search pixel $127 + 8(i - 8)$; the
#   map covers the central 136 px of the 255-px search image.
# - The trained network's peak lands on the face (within one cell on average over the clip); a
#   random network's peak does not.
#
# Exercise: `exercises/02_correlation.ipynb`
