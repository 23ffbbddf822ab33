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
# # 02 · The correlation layer g: exercises
#
# Notebook `02_correlation` showed the layer $g$ of $f(z, x) = g(\varphi(z), \varphi(x))$: a
# sliding dot product of the exemplar embedding over the search embedding, computed for a whole
# batch by one grouped convolution, then scaled by 0.001 and shifted by a bias $b$. Here you
# write it yourself, in three steps:
#
# 1. **Warm-up** (about 8 min): `score_map_loop`, the formula with plain loops, for one pair.
# 2. **Hard** (about 15 min): `cross_correlation_batched`, B pairs in ONE grouped `conv2d`.
# 3. **Easy** (about 7 min): `score`, the head $f = 0.001 \cdot (\varphi(z) \star \varphi(x)) + b$,
#    for a training batch and for the tracker's scale pyramid.
#
# **Time:** about 30 minutes.
#
# **How the checks work.** Each exercise is one function to complete (replace the
# `raise NotImplementedError(...)` line; its message is a hint). Run the check cell under it: it
# calls your function on several inputs (edge cases included), compares each answer with the
# library `siamfc_edu`, and prints one line: "passed", with the inputs it tried; or what differs
# (the shape, or the worst value and where), the likely mistake when your answer equals a typical
# wrong one, and a hint. An unfinished exercise says "not implemented yet"; the notebook runs to
# the end either way.

# %%
import torch
import torch.nn.functional as F

# %% [markdown]
# ## Exercise 1 (warm-up): the sliding dot product, with loops
#
# For an exemplar embedding $\varphi(z)$ of size $C \times h \times w$ and a search embedding
# $\varphi(x)$ of size $C \times H \times W$, cell $u = (u_1, u_2)$ of the score map is
#
# $$\big(\varphi(z) \star \varphi(x)\big)[u] = \sum_{c=0}^{C-1} \sum_{i=0}^{h-1} \sum_{j=0}^{w-1}
#   \varphi(z)[c, i, j]\; \varphi(x)[c, u_1 + i, u_2 + j],$$
#
# for every position where the whole exemplar fits: the map is $(H - h + 1) \times (W - w + 1)$.
#
# Write `score_map_loop(z, x)` with Python loops over the positions $(u_1, u_2)$ (a slice of `x`
# and a sum per position is fine; no `conv2d` here, that is exercise 2). Return a tensor of
# shape (H - h + 1, W - w + 1). The check compares it with `siamfc_edu.head.cross_correlation`
# on a batch of one.


# %%
def score_map_loop(z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The correlation of one exemplar z (C, h, w) over one search map x (C, H, W)."""
    # HINT: at each (u1, u2): z times the window of x starting there, summed
    ### BEGIN SOLUTION
    h, w = z.shape[-2:]
    rows, cols = x.shape[-2] - h + 1, x.shape[-1] - w + 1
    out = torch.zeros(rows, cols, dtype=x.dtype)
    for u1 in range(rows):
        for u2 in range(cols):
            out[u1, u2] = (z * x[:, u1 : u1 + h, u2 : u2 + w]).sum()
    return out
    ### END SOLUTION


# %%
from siamfc_edu.checks.correlation import check_score_map_loop

check_score_map_loop(score_map_loop)

# %% [markdown]
# ## Exercise 2 (hard): a whole batch in one grouped convolution
#
# Training scores a batch of $B$ pairs: exemplars `z` of shape (B, C, h, w) and search embeddings
# `x` of shape (B, C, H, W); map $b$ is exemplar $b$ over search map $b$, and nothing else. The
# answer has shape (B, 1, H - h + 1, W - w + 1).
#
# `F.conv2d(input, weight, groups=G)` is already a correlation (no flip), with `input` of shape
# (N, C_in, H, W) and `weight` of shape (C_out, C_in / G, h, w). With `groups=G`, the input's
# channels are cut into G consecutive blocks and the filters into G blocks: filter block $g$ only
# sees channel block $g$. So:
#
# - fold the batch into the channels: the B search maps become ONE image with $B \cdot C$
#   channels, search map $b$ in channels $bC, \dots, (b+1)C - 1$;
# - the B exemplars are B filters of C channels each: `z` as it is;
# - with `groups=B`, filter $b$ sees only search map $b$: one call gives B maps, as one image
#   with B channels; give them back their batch axis.
#
# Use ONE call of `F.conv2d` for the whole batch (the check counts them): a Python loop over the
# pairs gives the same numbers, but not the speed that makes training practical.


# %%
def cross_correlation_batched(z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Exemplar b over search map b, for B pairs: (B,C,h,w), (B,C,H,W) -> (B,1,H-h+1,W-w+1)."""
    # HINT: x as one image of B*C channels, F.conv2d with groups=B, reshape
    ### BEGIN SOLUTION
    b, c, height, width = x.shape
    folded = F.conv2d(x.reshape(1, b * c, height, width), z, groups=b)
    return folded.reshape(b, 1, folded.shape[-2], folded.shape[-1])
    ### END SOLUTION


# %%
from siamfc_edu.checks.correlation import check_cross_correlation_batched

check_cross_correlation_batched(cross_correlation_batched)

# %% [markdown]
# ## Exercise 3: the head, $f = 0.001 \cdot \mathrm{corr} + b$
#
# The paper's score map is $f(z, x) = \varphi(z) \star \varphi(x) + b\,\mathbb{1}$; the
# network's head, `siamfc_edu.head.CorrelationHead`, also multiplies the correlation by 0.001
# (raw correlations of real embeddings are in the thousands, far beyond where the logistic loss
# is informative):
#
# $$f(z, x) = 0.001 \cdot \big(\varphi(z) \star \varphi(x)\big) + b.$$
#
# Write `score(z_embed, x_embed, bias)` for two uses:
# - **training**: B exemplars and B search embeddings, paired as in exercise 2;
# - **tracking**: ONE exemplar (`z_embed` of batch 1) over the 3 search embeddings of the scale
#   pyramid; each gets a map, so the answer is (3, 1, H', W'). Pair a copy of the exemplar with
#   each search map (`z_embed.expand(len(x_embed), -1, -1, -1)` makes the copies without
#   copying memory).
#
# `bias` is a number or a tensor of shape (1,), like the head's learnable parameter. Use your
# `cross_correlation_batched` (if exercise 2 is not passing yet, the library's
# `siamfc_edu.head.cross_correlation` does the same).


# %%
def score(z_embed: torch.Tensor, x_embed: torch.Tensor, bias) -> torch.Tensor:
    """The score maps 0.001 * (z_embed * x_embed) + bias, for paired batches and for one z."""
    # HINT: one exemplar: expand it to len(x_embed); then 0.001 * corr + bias
    ### BEGIN SOLUTION
    if len(z_embed) == 1:
        z_embed = z_embed.expand(len(x_embed), -1, -1, -1)
    return 0.001 * cross_correlation_batched(z_embed, x_embed) + bias
    ### END SOLUTION


# %%
from siamfc_edu.checks.correlation import check_score

check_score(score)

# %% [markdown]
# ## Recap
# - One cell of the score map is a dot product over all $C$ channels and the $h \times w$
#   window; the map has $(H - h + 1) \times (W - w + 1)$ cells, 17×17 for 6×6 over 22×22.
# - A grouped convolution with the batch folded into the channels computes B independent maps in
#   one call; forgetting `groups`, or folding in the wrong order, silently mixes the pairs.
# - The head scales the correlation by 0.001 and then adds the bias $b$; one exemplar over the
#   scale pyramid is the same computation with the exemplar repeated.
#
# Next: notebook `03_labels_and_loss`, which turns these score maps into a training signal.
