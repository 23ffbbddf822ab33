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
# # 03 · Labels and the logistic loss
#
# The network of notebooks 01 and 02 turns an exemplar $z$ and a search image $x$ into a
# $17 \times 17$ score map $v = f(z, x)$. Before it can be trained, every cell of that map needs a
# target, and we need a number that says how far the map is from its target. This notebook builds
# both, exactly as SiamFC does.
#
# **Learning goals**
# - Build the label map $y$: $+1$ within $R = 16$ search-image pixels of the centre, $-1$
#   elsewhere, on a map whose cells are $k = 8$ pixels apart; count its positives.
# - Move the labels with the target when augmentation shifts the search crop.
# - Explain why the positives and negatives are weighted, and what the weights are.
# - Write the logistic loss $\ell(y, v) = \log(1 + e^{-yv})$ and check it against PyTorch's
#   `binary_cross_entropy_with_logits`; see why the library computes it with `softplus`.
# - Read a score map the way the loss reads it: what lowers the loss, and what does not.
#
# **Assumes** notebook `02_correlation` (the score map $v$ and its stride of 8 pixels).
#
# **Time** about 25 minutes.

# %% [markdown]
# Everything here is small: label maps and loss values, no training. The only step that runs
# with `SIAMFC_EDU_QUICK=1` (as CI does) differs in the number of random score maps used to check
# the loss against PyTorch: 64 in quick mode, 1024 in a full run.

# %%
import inspect
import math
from collections import Counter

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from IPython.display import Code, display
from matplotlib.colors import SymLogNorm
from matplotlib.patches import Circle

from siamfc_edu.config import get_preset, quick_mode
from siamfc_edu.crops import search_crop
from siamfc_edu.data import read_video
from siamfc_edu.data.pairs import label_offset
from siamfc_edu.losses import balanced_weights, labels_for, logistic_labels, logistic_loss
from siamfc_edu.viz import plot_label_map

QUICK = quick_mode()
torch.manual_seed(0)
rng = np.random.default_rng(0)
cfg = get_preset()  # SiamFC-3s: the authors' code's numbers
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. One label per cell of the score map
#
# Recall from notebook 02: cell $u = (i, j)$ of the score map compares $z$ with the $127 \times
# 127$ window of the $255 \times 255$ search image $x$ centred on pixel
# $(127 + k(j - 8),\ 127 + k(i - 8))$, with the total stride $k = 8$. Neighbouring cells are 8
# search-image pixels apart.
#
# Training pairs are cut so that the target sits at the centre of $x$, under the centre cell
# $c = (8, 8)$. The paper labels every cell by its distance to $c$, measured in search-image
# pixels:
#
# $$
# y[u] = \begin{cases} +1 & \text{if } k\,\lVert u - c \rVert \le R \\
#                      -1 & \text{otherwise}\end{cases}
# \qquad k = 8,\ R = 16 .
# $$
#
# So the positives are the cells within $R / k = 2$ cells of the centre. The library's two
# functions are a few lines each:

# %%
display(Code(inspect.getsource(logistic_labels), language="python"))
display(Code(inspect.getsource(labels_for), language="python"))

# %% [markdown]
# `labels_for(cfg)` takes $R$ (`cfg.r_pos`), $k$ (`cfg.total_stride`) and the map side from the
# preset. The paper's map:

# %% tags=["nbval-check-output"]
labels = labels_for(cfg)
n_pos, n_neg = int((labels > 0).sum()), int((labels < 0).sum())
print(
    f"R = {cfg.r_pos} px, k = {cfg.total_stride} px per cell -> radius "
    f"{cfg.r_pos / cfg.total_stride:g} cells"
)
print(f"label map {tuple(labels.shape)}: {n_pos} positives (+), {n_neg} negatives (.)")
for row in labels:
    print(" ".join("+" if y > 0 else "." for y in row))

# %% [markdown]
# Why 13? Count the cells by hand: distance $0$ (the centre: 1 cell), distance $1$ (4 cells),
# distance $\sqrt 2$ (the 4 diagonals), distance $2$ (4 cells). The next ring, at $\sqrt 5
# \approx 2.24$ cells $= 17.9$ px, is already outside $R$. A plain loop over the 289 cells agrees:

# %%
naive = sum(
    1
    for i in range(17)
    for j in range(17)
    if cfg.total_stride * math.hypot(i - 8, j - 8) <= cfg.r_pos
)
assert labels.shape == (cfg.score_size, cfg.score_size) == (17, 17)
assert n_pos == naive == 1 + 4 + 4 + 4 == 13 and n_neg == 17 * 17 - 13 == 276
assert torch.equal(labels_for(get_preset("tiny")), labels)  # same geometry in the tiny preset
print(f"ok: {n_pos} positives, {n_neg} negatives, the tiny preset has the same map")

# %% [markdown]
# The same labels in two pictures. Left: the $17 \times 17$ map, with the circle of radius
# $R/k = 2$ cells. Right: a real search image (the face in `carphone`, cut the way the tracker
# cuts it), with a dot at the centre of every cell's window, filled where $y = +1$, and the
# circle of radius $R = 16$ pixels. The 13 positive positions all lie on the face: a window
# centred there still shows the target, give or take two cells.

# %%
frames = read_video("carphone_pristine", max_frames=1)
face = [63, 42, 42, 54]  # 0-based x, y, w, h in frame 0
x_img = search_crop(frames[0], face, cfg)
centre = (cfg.instance_size - 1) / 2  # pixel 127 of the 255-pixel search image
k = cfg.total_stride


def draw_labels(ax, y, offset=(0.0, 0.0), title=""):
    """A label map as an image, its cell grid, and the circle of radius R/k around the target."""
    ax.imshow(y, cmap="viridis", vmin=-1, vmax=1)
    ax.set_xticks(np.arange(-0.5, 17, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, 17, 1), minor=True)
    ax.grid(which="minor", color="w", lw=0.3)
    ax.tick_params(which="minor", length=0)
    ax.set_xticks(range(0, 17, 4))
    ax.set_yticks(range(0, 17, 4))
    target = (8 + offset[0], 8 + offset[1])
    ax.add_patch(Circle(target, cfg.r_pos / k, fill=False, color="r", lw=1.5))
    ax.plot(*target, "r+", ms=10)
    ax.set_title(title, fontsize=10)


def draw_cells(ax, image, y, offset=(0.0, 0.0), title=""):
    """The search image, a dot per score-map cell (filled where y = +1), the circle of radius R."""
    ax.imshow(image)
    pos = np.arange(17) * k + centre - 8 * k  # the window centre of cell 0..16, in pixels
    px, py = np.meshgrid(pos, pos)
    on = y.numpy() > 0
    ax.scatter(px[~on], py[~on], s=6, facecolors="none", edgecolors="w", lw=0.6)
    ax.scatter(px[on], py[on], s=14, c="yellow", edgecolors="k", lw=0.4)
    target = (centre + k * offset[0], centre + k * offset[1])
    ax.add_patch(Circle(target, cfg.r_pos, fill=False, color="r", lw=1.5))
    ax.set_title(title, fontsize=10)
    ax.axis("off")


fig, axes = plt.subplots(1, 2, figsize=(9, 4.4))
draw_labels(axes[0], labels, title=f"label map y: {n_pos} cells +1 (yellow), {n_neg} cells -1")
draw_cells(axes[1], x_img, labels, title="search image x (255 px): a dot per cell, R = 16 px")
plt.tight_layout()
plt.show()

# %% [markdown]
# Notice on the right that the 289 dots cover only the middle $128 \times 128$ pixels of $x$:
# each dot is the *centre* of a $127 \times 127$ window, and those windows fill the whole image.

# %% [markdown]
# ## 2. Labels that follow the target: the offset
#
# To make the network see the target away from the centre too, training augments each pair by
# moving the crop window of $x$ by a few pixels, `shift` $= (s_x, s_y)$ (the pair sampler in
# notebook 04 draws $|s_x|, |s_y| \le 4$). The target then sits $-s / k$ cells from the centre of
# the score map, and the disc of positives moves with it: that is the `offset` argument.

# %%
display(Code(inspect.getsource(label_offset), language="python"))

# %% [markdown]
# A large shift first, so that it shows: the window moves 24 px right and 16 px up, so the face
# lands 3 cells left of and 2 cells below the centre.

# %% tags=["nbval-check-output"]
shift = (24, -16)
offset = label_offset(shift, cfg)
shifted = labels_for(cfg, offset)
print(
    "shift",
    shift,
    "px -> offset",
    offset,
    "cells;",
    int((shifted > 0).sum()),
    "positives, centred on cell (row, col) =",
    (8 + int(offset[1]), 8 + int(offset[0])),
)
assert offset == (-3.0, 2.0) and shifted[10, 5] == 1 and shifted[8, 8] == -1
assert torch.equal(shifted, logistic_labels(17, 2.0, offset))  # labels_for is logistic_labels
print("ok: the disc moved to row 10, column 5")

# %% [markdown]
# The shifts used in training are small, at most half a cell, and then the disc does not sit on
# a cell centre: it holds 10 to 14 cells depending on the shift. Over all $9 \times 9$ shifts the
# sampler can draw:

# %% tags=["nbval-check-output"]
counts = Counter(
    int((labels_for(cfg, label_offset((sx, sy), cfg)) > 0).sum())
    for sx in range(-4, 5)
    for sy in range(-4, 5)
)
for n in sorted(counts):
    print(f"{n} positives: {counts[n]:2d} of 81 shifts")
assert sum(counts.values()) == 81 and min(counts) == 10 and max(counts) == 14

# %%
x_shifted = search_crop(frames[0], face, cfg, shift=shift)
half = label_offset((4, 2), cfg)
fig, axes = plt.subplots(1, 3, figsize=(12, 4.2))
draw_cells(
    axes[0], x_shifted, shifted, offset, title=f"x cut with shift {shift} px: the face moved"
)
draw_labels(axes[1], shifted, offset, title=f"labels_for(cfg, offset={offset})")
draw_labels(
    axes[2],
    labels_for(cfg, half),
    half,
    title=f"shift (4, 2) px, offset {half}: {int((labels_for(cfg, half) > 0).sum())} positives",
)
plt.tight_layout()
plt.show()

# %% [markdown]
# The number of positives changes from pair to pair. Keep that in mind: the class weights of
# section 4 are computed from each label map, not fixed once.

# %% [markdown]
# ## 3. The logistic loss
#
# For one cell with score $v \in \mathbb{R}$ and label $y \in \{+1, -1\}$ the paper (§2.2) uses
# the logistic loss
#
# $$ \ell(y, v) = \log\left(1 + e^{-yv}\right). $$
#
# It depends only on the *margin* $yv$: a score with the right sign ($yv > 0$) costs less than
# $\log 2$ and tends to 0; a score with the wrong sign costs more and grows like $|v|$. The loss of
# a whole score map is the mean over its cells $u \in D$:
#
# $$ L(y, v) = \frac{1}{|D|} \sum_{u \in D} \ell(y[u], v[u]). $$
#
# This is binary cross-entropy in disguise. With the target $t = (y + 1)/2 \in \{0, 1\}$ and the
# sigmoid $\sigma(v) = 1/(1 + e^{-v})$, cross-entropy is $-t \log \sigma(v) - (1 - t)\log(1 -
# \sigma(v))$: for $y = +1$ that is $-\log\sigma(v) = \log(1 + e^{-v})$, and for $y = -1$ it is
# $-\log\sigma(-v) = \log(1 + e^{v})$. Both are $\ell(y, v)$. Let us check it on random score maps,
# computing $\ell$ literally as the formula reads:

# %%
n_maps = 64 if QUICK else 1024
scores = torch.randn(n_maps, 1, 17, 17) * 3  # B x 1 x 17 x 17, like the network's output
y = labels.expand_as(scores)

l_literal = torch.log(1 + torch.exp(-y * scores))  # l(y, v), cell by cell
bce = F.binary_cross_entropy_with_logits(scores, (y + 1) / 2, reduction="none")
print(f"{n_maps} maps, scores in [{scores.min():.1f}, {scores.max():.1f}]")
print(f"largest |l - bce| over {l_literal.numel()} cells: {(l_literal - bce).abs().max():.1e}")

# %% [markdown]
# The differences are float32 rounding (7 significant digits), so we compare to $10^{-6}$, in
# absolute terms plus $10^{-6}$ of the value. The map loss $L$, the plain mean, is PyTorch's
# default `reduction="mean"`:

# %%
assert torch.allclose(l_literal, bce, rtol=1e-6, atol=1e-6)
L_plain = l_literal.mean(dim=(-2, -1)).mean()  # (1/|D|) sum_u l, averaged over the batch
L_bce = F.binary_cross_entropy_with_logits(scores, (y + 1) / 2)
assert torch.allclose(L_plain, L_bce, rtol=1e-6, atol=1e-6)
print(
    f"ok: l(y, v) = BCE with logits and targets (y+1)/2, cell by cell and as a mean "
    f"(L = {float(L_plain):.4f})"
)

# %% [markdown]
# ## 4. 13 positives against 276 negatives: balancing the classes
#
# With the plain mean, each of the 276 negative cells weighs as much as each of the 13 positive
# ones: the background makes up 95.5% of the loss. A network can then score well by saying
# "background" everywhere. The paper adds one sentence for this: the losses of the positive and
# negative examples are weighted to eliminate the class imbalance. With $D^+$ the positive cells
# and $D^-$ the negative ones, the weights are
#
# $$
# w[u] = \begin{cases} \dfrac{1}{2\,|D^+|} & y[u] = +1 \\[2mm]
#                      \dfrac{1}{2\,|D^-|} & y[u] = -1 \end{cases}
# \qquad\text{so}\qquad \sum_{u \in D^+} w[u] = \sum_{u \in D^-} w[u] = \tfrac12,
# $$
#
# and the balanced loss is $L = \sum_{u} w[u]\, \ell(y[u], v[u])$: half the mean loss of the
# positives plus half the mean loss of the negatives. The library:

# %%
display(Code(inspect.getsource(balanced_weights), language="python"))

# %% tags=["nbval-check-output"]
w = balanced_weights(labels)
w_pos, w_neg = w[labels > 0], w[labels < 0]
print(f"positive cells: weight 1/(2*{n_pos}) = {float(w_pos[0]):.6f}, sum {float(w_pos.sum()):.4f}")
print(f"negative cells: weight 1/(2*{n_neg}) = {float(w_neg[0]):.6f}, sum {float(w_neg.sum()):.4f}")
print(f"one positive weighs as much as {float(w_pos[0] / w_neg[0]):.1f} negatives (276/13)")

# %%
assert torch.allclose(w_pos, torch.tensor(1 / 26)) and torch.allclose(w_neg, torch.tensor(1 / 552))
assert math.isclose(float(w_pos.sum()), 0.5, rel_tol=1e-6)
assert math.isclose(float(w_neg.sum()), 0.5, rel_tol=1e-6)
w_shifted = balanced_weights(labels_for(cfg, half))  # 14 positives: still 1/2 per class
assert math.isclose(float(w_shifted[labels_for(cfg, half) > 0].sum()), 0.5, rel_tol=1e-6)
print("ok: each class sums to 1/2, whatever the number of positives")

# %% [markdown]
# `siamfc_edu.viz.plot_label_map` draws the labels beside their weights: the 13 bright cells
# of the right panel carry as much weight together as the whole dark background.

# %%
plot_label_map(labels, w)
plt.show()

# %% [markdown]
# Counted per class, the weights turn 13 against 276 into one half against one half:

# %%
fig, axes = plt.subplots(1, 2, figsize=(7, 2.6))
axes[0].bar(["+1", "-1"], [n_pos, n_neg], color=["gold", "indigo"])
axes[0].set_title("cells per class", fontsize=10)
axes[1].bar(["+1", "-1"], [float(w_pos.sum()), float(w_neg.sum())], color=["gold", "indigo"])
axes[1].set_title("total weight per class", fontsize=10)
for ax in axes:
    ax.bar_label(ax.containers[0], fmt="%g")
    ax.margins(y=0.2)
plt.tight_layout()
plt.show()

# %% [markdown]
# The library's loss puts the pieces together: $\ell$ computed as `softplus(-y * v)` (section 5
# says why), weighted by `balanced_weights`, summed over each map and averaged over the batch.
# The labels may be one $17 \times 17$ map for the whole batch or one map per pair (the trainer
# passes one per pair, since each pair has its own shift).

# %%
display(Code(inspect.getsource(logistic_loss), language="python"))

# %% [markdown]
# Check it twice on the random maps of section 3: against the paper's formula weighted by hand,
# and against PyTorch's cross-entropy given the weights (`reduction="sum"` adds the weighted
# cells, then we divide by the number of maps).

# %%
L_lib = logistic_loss(scores, labels)
L_by_hand = (balanced_weights(y) * l_literal).sum(dim=(-2, -1)).mean()
L_bce_weighted = (
    F.binary_cross_entropy_with_logits(
        scores, (y + 1) / 2, weight=balanced_weights(y), reduction="sum"
    )
    / n_maps
)
assert torch.allclose(L_lib, L_by_hand, rtol=1e-6, atol=1e-6)
assert torch.allclose(L_lib, L_bce_weighted, rtol=1e-6, atol=1e-6)
print(f"ok: logistic_loss = sum_u w[u] l(y[u], v[u]) = weighted BCE  (L = {float(L_lib):.4f})")

# %% [markdown]
# What the weights change, in one experiment: give every cell the same score $v = a$ and vary
# $a$. A constant map says nothing about where the target is. With the plain mean the best
# constant is $a = \log(13/276) \approx -3.06$, "background everywhere", and it costs only 0.18, a
# quarter of the $\log 2$ of a map of zeros. With the weights the best constant is $a = 0$, at
# $\log 2$: saying nothing earns nothing.

# %%
a = torch.linspace(-8, 8, 321)
const = a[:, None, None, None].expand(-1, 1, 17, 17)
t = ((labels + 1) / 2).expand_as(const)
plain = F.binary_cross_entropy_with_logits(const, t, reduction="none").mean(dim=(1, 2, 3))
balanced = torch.stack([logistic_loss(m[None], labels) for m in const])

best_plain, best_bal = a[plain.argmin()], a[balanced.argmin()]
assert abs(best_plain - math.log(13 / 276)) < 0.05 and abs(best_bal) < 0.05
assert math.isclose(float(balanced.min()), math.log(2), rel_tol=1e-4)

fig, ax = plt.subplots(figsize=(6.5, 3.6))
ax.plot(a, plain, label="plain mean (1/|D|) sum l")
ax.plot(a, balanced, label="balanced: logistic_loss")
ax.plot(best_plain, plain.min(), "o", color="C0")
ax.plot(best_bal, balanced.min(), "o", color="C1")
ax.annotate(
    f"best a = {best_plain:.2f}, L = {plain.min():.2f}",
    (best_plain, plain.min()),
    xytext=(-2, 2.5),
    arrowprops={"arrowstyle": "->"},
)
ax.annotate(
    f"best a = 0, L = log 2 = {balanced.min():.3f}",
    (best_bal, balanced.min()),
    xytext=(1.5, 1.5),
    arrowprops={"arrowstyle": "->"},
)
ax.set(
    xlabel="constant score a on every cell",
    ylabel="loss of the map",
    ylim=(0, 5),
    title="A constant score map: the plain mean rewards 'background everywhere'",
)
ax.legend()
plt.tight_layout()
plt.show()
print(
    f"ok: best constant {float(best_plain):.2f} (plain mean), {abs(float(best_bal)):.2f} (balanced)"
)

# %% [markdown]
# ## 5. Numerical stability: why `softplus`
#
# Written literally, $\log(1 + e^{-yv})$ breaks in float32 long before the scores get absurd:
#
# - for a **wrong** sign, $e^{-yv}$ overflows to `inf` once $-yv > 88.7$: the loss is `inf`, and
#   its gradient `inf / inf` is `nan`, which then spreads to every weight of the network;
# - for a **right** sign, $1 + e^{-yv}$ rounds to exactly 1 once $yv > 16.6$: the loss is 0 where
#   it should be a small positive number.
#
# The cure is an identity. For any $a$, $\log(1 + e^{a}) = \max(a, 0) + \log(1 + e^{-|a|})$:
# the exponential now only ever sees $-|a| \le 0$, so it cannot overflow, and for a wrong sign
# the loss is $|v|$ plus a vanishing term, exactly. PyTorch's `F.softplus(a)` $= \log(1+e^a)$ is
# computed this way, and `logistic_loss` calls it with $a = -yv$. Here are both, with $y = +1$:

# %% tags=["nbval-check-output"]
v_test = torch.tensor([-1e4, -100.0, -20.0, -1.0, 0.0, 1.0, 20.0, 1e4])
y_test = torch.ones_like(v_test)

v_naive = v_test.clone().requires_grad_()
naive = torch.log(1 + torch.exp(-y_test * v_naive))
naive.sum().backward()
v_safe = v_test.clone().requires_grad_()
safe = F.softplus(-y_test * v_safe)  # what logistic_loss computes per cell
safe.sum().backward()

print(
    f"{'v':>8} | {'naive l':>9} {'naive dl/dv':>11} | {'softplus l':>10} {'dl/dv':>10}"
    f" | {'exact l':>9}"
)
for i, v in enumerate(v_test.tolist()):
    exact = max(-v, 0.0) + math.log1p(math.exp(-abs(v)))  # float64, the identity above
    print(
        f"{v:8g} | {naive[i].item():9.4g} {v_naive.grad[i].item():11.4g} | "
        f"{safe[i].item():10.4g} {v_safe.grad[i].item():10.4g} | {exact:9.4g}"
    )

# %% [markdown]
# The naive column gives `inf` and `nan` for the confidently wrong scores, and 0 at $v = 20$
# where the exact loss is $2 \times 10^{-9}$ (its gradient survives there only because autograd
# differentiates `exp` on its own). `softplus` matches the exact value in every row, and for a
# wrong sign its loss is $|v|$, with slope $-1$.
#
# Now a whole score map with $|v| = 10^4$ on every cell, once with every sign wrong and once with
# every sign right:

# %%
big = 1e4
for name, sign in [("every cell wrong", -1.0), ("every cell right", +1.0)]:
    v_map = (sign * big * labels)[None, None].clone().requires_grad_()
    L = logistic_loss(v_map, labels)
    L.backward()
    v_naive_map = v_map.detach().clone().requires_grad_()
    L_naive = (balanced_weights(labels) * torch.log(1 + torch.exp(-labels * v_naive_map))).sum()
    L_naive.backward()
    print(
        f"{name}: logistic_loss = {L.item():g}, gradient finite: "
        f"{bool(torch.isfinite(v_map.grad).all())} | naive loss = {L_naive.item():g}, "
        f"naive gradient has nan: {bool(torch.isnan(v_naive_map.grad).any())}"
    )
    if sign < 0:
        assert L.item() == big  # = |v|: each class contributes 1/2 * 1e4
        # dL/dv[u] = -y[u] w[u]: each wrong cell is pushed back with its weight, no more
        assert torch.allclose(v_map.grad[0, 0], -labels * balanced_weights(labels))
        assert L_naive.item() == math.inf
    else:
        assert L.item() == 0.0 and torch.all(v_map.grad == 0)
print("ok: logistic_loss is finite and exact at |v| = 1e4, and so are its gradients")

# %% [markdown]
# The same story as curves, over a range of $v$ with $y = +1$ (log scale for the loss; a value
# that is `inf`, `nan` or 0 is simply not drawn). The naive loss vanishes on both sides: into
# `inf` left of $-88.7$, into 0 right of $16.6$.

# %%
v_line = torch.linspace(-120, 60, 1801, requires_grad=True)
naive_line = torch.log(1 + torch.exp(-v_line))
(g_naive,) = torch.autograd.grad(naive_line.sum(), v_line)
safe_line = F.softplus(-v_line)
(g_safe,) = torch.autograd.grad(safe_line.sum(), v_line)


def finite_positive(t):
    """NaN where a value cannot be drawn on a log scale (inf, nan or 0)."""
    t = t.detach().clone()
    t[~torch.isfinite(t) | (t <= 0)] = float("nan")
    return t


vv = v_line.detach()
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
axes[0].semilogy(vv, safe_line.detach(), lw=4, alpha=0.4, label="softplus(-yv) (logistic_loss)")
axes[0].semilogy(vv, finite_positive(naive_line), "k", lw=1, label="log(1 + exp(-yv)) (naive)")
axes[0].set(xlabel="score v (label y = +1)", ylabel="loss l(+1, v)")
axes[1].plot(vv, g_safe, lw=4, alpha=0.4, label="softplus")
axes[1].plot(
    vv,
    torch.where(torch.isfinite(g_naive), g_naive, float("nan")),
    "k",
    lw=1,
    label="naive (nan not drawn)",
)
axes[1].set(xlabel="score v (label y = +1)", ylabel="dl/dv", ylim=(-1.1, 0.1))
for ax in axes:
    ax.axvline(-88.72, color="r", ls=":", lw=1)
    ax.axvline(16.6, color="r", ls=":", lw=1)
    ax.legend(loc="center right", fontsize=8)
axes[0].set_title("loss: naive is inf left of -88.7, 0 right of 16.6", fontsize=10)
axes[1].set_title("gradient: naive is nan left of -88.7", fontsize=10)
plt.tight_layout()
plt.show()

# %% [markdown]
# In practice the correlation layer multiplies its scores by 0.001, so early in training scores
# are small. But a loss that is exact for any score never has to be debugged in the middle of a
# 50-epoch run, and its gradient is bounded: a wrong cell pulls with at most its weight $w[u]$.

# %% [markdown]
# ## 6. What the loss rewards
#
# Now read some score maps the way training reads them. We draw five $17 \times 17$ maps by hand,
# out of one smooth bump whose positive part covers exactly the 13 cells of the disc (height 8,
# shifted down so it crosses zero between distance 2 and $\sqrt 5$):
#
# 1. the bump at the centre: the right answer;
# 2. the same bump 5 cells away from the centre: a confident wrong answer;
# 3. a flat map of zeros: no answer;
# 4. the right bump plus a second, slightly lower one elsewhere: a distractor;
# 5. the first map upside down: every cell wrong.

# %%
rows, cols = torch.meshgrid(torch.arange(17.0), torch.arange(17.0), indexing="ij")


def bump(col, row, height=8.0):
    """A smooth peak at (col, row); minus 8/e, a peak of height 8 is positive within 2.12 cells."""
    return height * torch.exp(-((cols - col) ** 2 + (rows - row) ** 2) / 4.5)


floor = 8 / math.e
maps = {
    "peak at the centre": bump(8, 8) - floor,
    "peak off-centre": bump(12, 5) - floor,
    "flat (all zeros)": torch.zeros(17, 17),
    "centre + distractor": bump(8, 8) + bump(3, 12, height=6.5) - floor,
    "inverted": floor - bump(8, 8),
}
assert torch.equal(maps["peak at the centre"] > 0, labels > 0)  # the bump's sign = the labels
assert maps["centre + distractor"].argmax() == 8 * 17 + 8  # the target still wins the argmax

# %% [markdown]
# Their losses, balanced (`logistic_loss`) and, for comparison, the plain mean of the unweighted
# formula:

# %% tags=["nbval-check-output"]
losses, grads = {}, {}
for name, m in maps.items():
    v_map = m[None, None].clone().requires_grad_()
    L = logistic_loss(v_map, labels)
    L.backward()
    losses[name], grads[name] = L.item(), v_map.grad[0, 0]
    plain_mean = F.binary_cross_entropy_with_logits(m, (labels + 1) / 2).item()
    print(f"{name:<20} balanced L = {losses[name]:.3f}   plain mean = {plain_mean:.3f}")

# %%
order = sorted(losses, key=losses.get)
assert order == [
    "peak at the centre",
    "centre + distractor",
    "flat (all zeros)",
    "peak off-centre",
    "inverted",
], order
assert math.isclose(losses["flat (all zeros)"], math.log(2), rel_tol=1e-6)
print("ok: centre < distractor < flat (log 2) < off-centre < inverted")

# %% [markdown]
# Top row: the maps, the label circle in red, the loss in each title. Bottom row: the negative
# gradient $-\partial L / \partial v$, computed by autograd through `logistic_loss`: the direction
# in which one step of gradient descent moves each score (red: up, blue: down). Its colour scale
# is logarithmic, because a positive cell weighs 21 times more than a negative one: on a linear
# scale the pushes on the background would not show.

# %%
fig, axes = plt.subplots(2, 5, figsize=(15, 6.6), layout="constrained")
g_max = max(float(g.abs().max()) for g in grads.values())
g_norm = SymLogNorm(linthresh=1e-4, vmin=-g_max, vmax=g_max)
for col, name in enumerate(maps):
    ax = axes[0, col]
    top = ax.imshow(maps[name], cmap="viridis", vmin=-5, vmax=5)
    ax.add_patch(Circle((8, 8), cfg.r_pos / k, fill=False, color="r", lw=1.2))
    ax.set_title(f"{name}\nL = {losses[name]:.3f}", fontsize=10)
    bottom = axes[1, col].imshow(-grads[name], cmap="RdBu_r", norm=g_norm)
    axes[1, col].add_patch(Circle((8, 8), cfg.r_pos / k, fill=False, color="k", lw=0.8))
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
axes[0, 0].set_ylabel("score map v")
axes[1, 0].set_ylabel("-dL/dv: where training pushes")
fig.colorbar(top, ax=axes[0], shrink=0.8, label="score v")
fig.colorbar(bottom, ax=axes[1], shrink=0.8, label="-dL/dv (log scale)")
plt.show()

# %% [markdown]
# Read the two rows together:
#
# - **The right place matters, not just a peak.** The off-centre map has the same peak as the
#   centred one, yet it costs more than the flat map: it misses the 13 positives *and* raises 13
#   negatives. Note the plain mean in the table above: without the weights the off-centre map
#   (0.307) would beat the flat map (0.693). Balancing makes "peak in the wrong place" the worse
#   answer, as it should be for a tracker.
# - **Distractors cost.** The second peak is lower than the target's, so the tracker's argmax is
#   still right and on this frame it would not notice. The loss does: it rises from 0.140 to
#   0.184, and the gradient pushes exactly that bump down. This is how the network learns to tell
#   the target from things that look like it, before a distractor wins the argmax.
# - **The flat map costs $\log 2$**, whatever the labels: it is the zero point of the scale.
# - **Mistakes cost linearly, successes saturate.** On the inverted map every cell is pushed by
#   nearly its full weight (the darkest colours); on the centred map the pushes are small (pale:
#   mind the log scale) except on the disc's rim, where the scores are only just positive. A
#   right cell is left alone, a wrong one is pulled back at a constant rate. And the 13 positives
#   pull as hard as the 276 negatives together: the balancing at work, again.
#
# And confidence: multiplying a map by $\alpha > 0$ keeps the argmax but not the loss. A right map
# gets cheaper as it gets more confident, a wrong one dearer, about linearly:

# %% tags=["nbval-check-output"]
print(f"{'alpha':>5} | {'alpha * centre peak':>19} | {'alpha * inverted':>16}")
for alpha in [0.5, 1, 2, 4, 8]:
    right = logistic_loss(alpha * maps["peak at the centre"][None], labels).item()
    wrong = logistic_loss(alpha * maps["inverted"][None], labels).item()
    print(f"{alpha:5g} | {right:19.3f} | {wrong:16.3f}")

# %% [markdown]
# So the loss is lowered by a score map that is **high on the disc, low everywhere else, and
# confident about both**: the target's own position wins, distractors are pushed down, and the
# background as a whole weighs no more than the 13 cells of the target.

# %% [markdown]
# ## Explore: radius and stride
# Move $R$ (in search-image pixels) and the stride $k$: the label map (left) and the balance
# weights (right, with a colour bar of their values) are redrawn, and the table under them gives
# each class's cells, its weight per cell and its sum: $\tfrac12$ for each class, however few
# its cells. Only $R/k$, the radius in cells, matters: $R = 32$ with $k = 16$
# gives the same 13 positives as the paper's $R = 16$, $k = 8$. (The still figures above show the
# paper's setting.)

# %%
from IPython.display import display

from siamfc_edu.widgets import LabelExplorer

display(LabelExplorer(cfg).widget)

# %% [markdown]
# ## Recap
#
# - The label map has one label per score-map cell: $y[u] = +1$ if $k\lVert u - c\rVert \le R$,
#   else $-1$. With $R = 16$ px and stride $k = 8$ that is 13 positives and 276 negatives on the
#   $17 \times 17$ map (`labels_for(cfg)`).
# - When augmentation shifts the search crop by $s$ pixels, the disc moves by $-s/k$ cells
#   (`label_offset`, the `offset` of `logistic_labels`); with half-cell shifts it holds 10 to 14
#   cells.
# - `balanced_weights` gives each class half of the loss ($1/26$ per positive, $1/552$ per
#   negative), so "background everywhere" and "a peak in the wrong place" are not rewarded.
# - The loss $\ell(y, v) = \log(1 + e^{-yv})$ is binary cross-entropy with targets $(y+1)/2$;
#   `logistic_loss` is its balanced sum over each map, averaged over the batch.
# - Computed as `softplus(-yv)` it stays exact at $|v| = 10^4$ (loss $|v|$, gradient bounded by the
#   weight), where the literal formula gives `inf`, `nan` or a false 0.
#
# Next, notebook 04 cuts the training pairs $(z, x)$ that these labels go with.
#
# Exercise: `exercises/03_labels_and_loss.ipynb`
