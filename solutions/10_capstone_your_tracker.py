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
# # 10 · Capstone, your tracker: exercises
#
# In the exercises of notebooks 02, 03, 04 and 06 you wrote SiamFC one function at a time, and
# a check tried each one on its own. Here they work together: your crop, your correlation and
# your tracker step run inside the library's tracker, on the hand-drawn real clips, next to the
# reference tracker.
#
# The tracker is not copied. `SiamFCTracker` takes the functions a frame is made of from one
# documented hook, `siamfc_edu.tracker.Pieces`:
#
# ```python
# tracker = SiamFCTracker(net, cfg, device, pieces=Pieces(upsample=my_upsample, damp=my_damp))
# ```
#
# Every piece you give is yours, every other one the library's; the order of the steps, the
# state from frame to frame and the network stay the library's. Same pieces, same boxes: if your
# functions are right, your tracker gets the reference's AUC (a box may move by a pixel where a
# float was rounded another way). If one of them has a small mistake that no check caught, your
# tracker leaves the reference somewhere, and the check shows where.
#
# What you do:
#
# 1. **the crop and the correlation** (about 10 min): paste your `crop_and_resize` with mean
#    padding (notebook 04, exercise 2) as it is, and your batched correlation (notebook 02,
#    exercises 2 and 3) with the signature of the library's `cross_correlation`;
# 2. **the tracker step** (about 10 min): paste your six functions of notebook 06 that are
#    pieces of a frame: `upsample`, `penalise`, `normalise`, `apply_window`, `displacement`,
#    `damped_scale`;
# 3. **the labels and the loss** (about 5 min): paste your three functions of notebook 03 and
#    check them on real training pairs (the tracker does not use the loss: training does);
# 4. **your tracker** (about 5 min): run it next to the reference on the real set: both AUCs, a
#    verdict, both trackers on a strip of frames;
# 5. **read the verdict** (about 15 min): if your tracker leaves the reference, find the piece
#    and fix it; then plant a mistake on purpose and watch what it does.
#
# **Time:** about 45 minutes.
#
# **How the checks work.** Write (or paste) your code where the solution goes: replace the
# `raise NotImplementedError(...)` line (its message is a hint). Each function has the name and
# the signature of the library function it replaces, so `Pieces` takes it as it is. The check of
# step 3 compares your loss with the library's on several inputs and prints
# "passed", or what differs and the likely mistake. The check of step 4 first calls each of your
# pieces once on a real frame: while a piece still raises `NotImplementedError`, it says which
# ones are "not implemented yet" and tracks nothing, so the notebook runs to the end either way.
# Then it tracks and prints "passed" when every box of yours is the reference's, or where your
# tracker first leaves the reference and which of your pieces, swapped in alone, already does it.

# %%
import cv2
import numpy as np
import torch
import torch.nn.functional as F

from siamfc_edu.config import SiamFCConfig, quick_mode

_ = torch.manual_seed(0)  # nothing here is random; a habit of the course

# %% [markdown]
# ## Step 1 · The crop and the correlation
#
# ### Your crop with mean padding (notebook 04, exercise 2)
#
# The square of `side` frame pixels centred on $(c_x, c_y)$, as the paper cuts the exemplar and
# the search regions (Fig. 2), resized to `out_size` $\times$ `out_size`:
#
# - the square has $s$ = `round(side)` pixels a side (at least 1), its top-left pixel at
#   $x_1$ = `round(cx - (s - 1) / 2)`, $y_1$ = `round(cy - (s - 1) / 2)`;
# - where it leaves the frame it is filled with `pad_color`, rounded, one value per channel
#   (when `pad_color` is `None`, the frame's **mean colour**); the part inside the frame is
#   copied in;
# - then `cv2.resize(patch, (out_size, out_size), interpolation=cv2.INTER_LINEAR)`.
#
# The tracker computes the frame's mean colour once per frame and passes it to every crop as
# `pad_color` (a tuple of 3 floats, `cv2.mean(image)[:3]`); training's crops pass none. Your
# function of notebook 04 has the library's signature, `pad_color=None` included: paste it as it
# is. If notebook 04's exercises are not there yet, write it from this description.


# %%
def crop_and_resize(
    image: np.ndarray,
    center: tuple[float, float],
    side: float,
    out_size: int,
    pad_color: tuple[float, ...] | None = None,
) -> np.ndarray:
    """The square of round(side) px centred on (cx, cy), padded with pad_color, resized."""
    # HINT: paste yours (04): pad_color-filled square, frame part in, resize
    ### BEGIN SOLUTION
    if pad_color is None:
        pad_color = image.mean(axis=(0, 1))
    side_px = max(1, round(side))
    left = round(center[0] - (side_px - 1) / 2)
    top = round(center[1] - (side_px - 1) / 2)
    height, width = image.shape[:2]
    square = np.empty((side_px, side_px, image.shape[2]), dtype=image.dtype)
    square[:] = np.round(pad_color[: image.shape[2]]).astype(image.dtype)
    x_from, y_from = max(left, 0), max(top, 0)
    x_to, y_to = min(left + side_px, width), min(top + side_px, height)
    if x_to > x_from and y_to > y_from:
        inside = image[y_from:y_to, x_from:x_to]
        square[y_from - top : y_to - top, x_from - left : x_to - left] = inside
    return cv2.resize(square, (out_size, out_size), interpolation=cv2.INTER_LINEAR)
    ### END SOLUTION


# %% [markdown]
# ### Your batched correlation (notebook 02, exercises 2 and 3)
#
# Exemplar $b$ over search map $b$ for a batch of $B$ pairs, in ONE grouped convolution: `z` of
# shape (B, C, h, w), `x` of shape (B, C, H, W), the answer a torch tensor of shape
# (B, 1, H - h + 1, W - w + 1) (before the factor 0.001 and the bias: the tracker's head adds
# them). The tracker has ONE exemplar and three search maps (the scale pyramid): when `z` holds one
# exemplar, pair a copy of it with each search map, as your `score` of notebook 02 did.


# %%
def cross_correlation(z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Exemplar b over search map b (one exemplar: over every one): -> (B,1,H-h+1,W-w+1)."""
    # HINT: paste yours (02): one exemplar expanded; x as one image of B*C channels, groups=B
    ### BEGIN SOLUTION
    if len(z) == 1:
        z = z.expand(len(x), -1, -1, -1)
    pairs, channels, rows, cols = x.shape
    one_image = x.reshape(1, pairs * channels, rows, cols)
    maps = F.conv2d(one_image, z, groups=pairs)
    return maps.reshape(pairs, 1, maps.shape[-2], maps.shape[-1])
    ### END SOLUTION


# %% [markdown]
# ## Step 2 · The tracker step (notebook 06, exercises 2 to 6)
#
# Paste your six functions of notebook 06 that are pieces of a frame, one per cell. As a
# reminder, what each one does:
#
# - `upsample(scores, size)`: each $n \times n$ map of `scores` (S, n, n) resized to `size`
#   $\times$ `size` with **bicubic** interpolation (`cv2.INTER_CUBIC`), one numpy array of
#   float32;


# %%
def upsample(scores: np.ndarray, size: int) -> np.ndarray:
    """Each (n x n) map of scores (S, n, n) resized to size x size, bicubic: (S, size, size)."""
    # HINT: paste yours (06): cv2.resize each map, cv2.INTER_CUBIC; np.stack
    ### BEGIN SOLUTION
    bigger = [cv2.resize(one, (size, size), interpolation=cv2.INTER_CUBIC) for one in scores]
    return np.stack(bigger)
    ### END SOLUTION


# %% [markdown]
# - `penalise(maps, penalty)`: map $k$ multiplied by `penalty[k]` (the tracker's penalty holds
#   `scale_penalty` for every scale but the middle one, which has 1); a new array, `maps` left
#   as it is;


# %%
def penalise(maps: np.ndarray, penalty: np.ndarray) -> np.ndarray:
    """The maps (S, N, N), map k multiplied by penalty[k]: a new array."""
    # HINT: paste yours (06): penalty shaped (S, 1, 1) broadcasts over each map
    ### BEGIN SOLUTION
    return maps * penalty.reshape(-1, 1, 1)
    ### END SOLUTION


# %% [markdown]
# - `normalise(score_map)`: the chosen map $r$ shifted to a minimum of 0 and scaled to sum 1,
#   $\frac{r - \min r}{\sum (r - \min r)}$, a new array of the map's dtype;


# %%
def normalise(score_map: np.ndarray) -> np.ndarray:
    """The map shifted to a minimum of 0 and scaled to sum 1, like the window: a new array."""
    # HINT: paste yours (06): shift to min 0, divide by the sum
    ### BEGIN SOLUTION
    from_zero = score_map - score_map.min()
    return from_zero / from_zero.sum()
    ### END SOLUTION


# %% [markdown]
# - `apply_window(normalised, window, influence)`: the normalised map mixed with the cosine
#   window, $r' = (1 - \lambda)\,\text{normalised} + \lambda H$ (no second normalisation);


# %%
def apply_window(normalised: np.ndarray, window: np.ndarray, influence: float) -> np.ndarray:
    """The normalised map mixed with the cosine window: weight influence on the window."""
    # HINT: paste yours (06): weights 1 - influence and influence
    ### BEGIN SOLUTION
    return (1 - influence) * normalised + influence * window
    ### END SOLUTION


# %% [markdown]
# - `displacement(row, col, side, cfg)`: the peak's $(d_x, d_y)$ from the centre $(N - 1)/2$ of
#   the upsampled map, in score-map cells ($/$ `cfg.response_up`), search-crop pixels
#   ($\times$ `cfg.total_stride`) and frame pixels ($\times$ `side` $/$ `cfg.instance_size`);


# %%
def displacement(
    row: int, col: int, side: float, cfg: SiamFCConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The peak's (dx, dy) from the map's centre: in score-map cells, crop pixels, frame pixels."""
    # HINT: paste yours (06): (dx, dy) from (N - 1) / 2, three unit changes
    ### BEGIN SOLUTION
    middle = (cfg.upscale_size - 1) / 2
    in_cells = np.array([col - middle, row - middle]) / cfg.response_up
    in_crop = in_cells * cfg.total_stride
    return in_cells, in_crop, in_crop * side / cfg.instance_size
    ### END SOLUTION


# %% [markdown]
# - `damped_scale(scale, factor, cfg)`: the scale times the factor moved only `cfg.scale_lr`
#   of the way from 1 to the winning scale's factor, then kept within [`cfg.min_scale`,
#   `cfg.max_scale`].


# %%
def damped_scale(scale: float, factor: float, cfg: SiamFCConfig) -> float:
    """The new scale: the current one times the damped factor, within [min_scale, max_scale]."""
    # HINT: paste yours (06): scale_lr of the way from 1 to factor; clip
    ### BEGIN SOLUTION
    new_scale = scale * (1 - cfg.scale_lr + cfg.scale_lr * factor)
    return float(np.clip(new_scale, cfg.min_scale, cfg.max_scale))
    ### END SOLUTION


# %% [markdown]
# ### Your functions as the tracker's pieces
#
# Each piece of `Pieces` has the signature of the library function it defaults to, and so has
# each of your functions: they go in as they are.
#
# Want to track before every piece is done? Leave a piece out of `Pieces(...)`: the library's
# is used in its place.

# %%
from siamfc_edu.tracker import Pieces

my_pieces = Pieces(
    crop=crop_and_resize,
    correlate=cross_correlation,
    upsample=upsample,
    penalise=penalise,
    normalise=normalise,
    window=apply_window,
    displacement=displacement,
    damp=damped_scale,
)

# %% [markdown]
# ## Step 3 · The labels and the loss (notebook 03)
#
# The tracker never computes a loss: it is what training minimised to make the shipped
# network's score maps peak on the target. Paste your three functions of notebook 03:
# `label_map` (+1 within `radius_cells` of the centre $(\text{size} - 1)/2$ moved by
# `offset` $= (d_x, d_y)$, else -1), `balance_weights` (a positive $\frac{1}{2 n_+}$, a
# negative $\frac{1}{2 n_-}$, counted per map) and `logistic_loss` (the balanced mean of
# $\log(1 + e^{-yv})$ per map, computed with `F.softplus`, averaged over the batch). Here your
# `logistic_loss` uses your own `balance_weights`.


# %%
def label_map(
    size: int, radius_cells: float, offset: tuple[float, float] = (0.0, 0.0)
) -> torch.Tensor:
    """+1 within radius_cells of the centre (size - 1) / 2 moved by offset = (dx, dy), else -1."""
    # HINT: paste yours (03): distances from the centre, meshgrid "ij"
    ### BEGIN SOLUTION
    centre = (size - 1) / 2
    row, col = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    far = torch.sqrt((col - centre - offset[0]) ** 2 + (row - centre - offset[1]) ** 2)
    return torch.where(far <= radius_cells, 1.0, -1.0)
    ### END SOLUTION


# %%
def balance_weights(labels: torch.Tensor) -> torch.Tensor:
    """Per-cell weights: the positives of each map share 1/2, its negatives share 1/2."""
    # HINT: paste yours (03): count each class over dim=(-2, -1)
    ### BEGIN SOLUTION
    is_pos, is_neg = (labels > 0).float(), (labels < 0).float()
    count_pos = is_pos.sum(dim=(-2, -1), keepdim=True).clamp(min=1)
    count_neg = is_neg.sum(dim=(-2, -1), keepdim=True).clamp(min=1)
    return 0.5 * is_pos / count_pos + 0.5 * is_neg / count_neg
    ### END SOLUTION


# %%
def logistic_loss(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Balanced mean of log(1 + exp(-y v)) over each map, averaged over the batch (a scalar)."""
    # HINT: paste yours (03), with your balance_weights
    ### BEGIN SOLUTION
    y = labels.to(scores.dtype).expand_as(scores)
    weighted = balance_weights(y) * F.softplus(-y * scores)
    return weighted.sum(dim=(-2, -1)).mean()
    ### END SOLUTION


# %% [markdown]
# The check takes 8 training pairs cut from carphone's training frames (label-free footage
# pairs, shifted by up to 4 pixels as in training, the labels with them), scores them with the
# shipped network, and compares your loss of your labels with the library's.

# %%
from siamfc_edu.checks.capstone import check_your_loss

check_your_loss(label_map, logistic_loss)

# %% [markdown]
# ## Step 4 · Your tracker on the real set
#
# `compare_trackers` runs SiamFC with the shipped weights twice on the same runs, once with the
# library's pieces (the reference) and once with yours, on the hand-drawn real set (three
# clips, one object each, a box drawn every 5th frame). Multi-start, as in notebook 07: each
# clip is tracked from several start frames spread over it. In quick mode 2 starts and the first
# 40 frames after each (about 20 seconds on a laptop's CPU); otherwise 4 starts, each to the end
# of its clip, the README's evaluation (2 to 3 minutes). Short runs drift less: the quick AUC is
# higher than the README's 0.758. The reference's boxes are kept: running this cell again only
# tracks with yours.

# %%
from siamfc_edu.checks.capstone import compare_trackers

result = compare_trackers(my_pieces)
print(f"quick mode: {quick_mode()}")
print(result.table())

# %% [markdown]
# The verdict: "passed" when every box of yours is the reference's box (IoU at least 0.9 with
# it, in every frame; a float rounded another way may move a box by a pixel) and the AUCs are
# equal. Otherwise: the AUCs, the frame where your tracker first leaves the reference (it
# *drifts* when the IoU of the two boxes falls below 0.5), and which of your pieces, swapped in
# alone, already makes that run leave it.

# %%
from siamfc_edu.checks.capstone import check_your_tracker

check_your_tracker(result)

# %% [markdown]
# Both trackers on a strip of frames of one run: where yours first leaves the reference (that
# frame is in the strip), or the longest run when it never does. Blue the reference, red yours,
# green the hand-drawn box; below, the IoU of your box with the reference's, frame by frame (1:
# the same box), and each tracker's IoU with the hand-drawn boxes.

# %%
import matplotlib.pyplot as plt

from siamfc_edu.checks.capstone import plot_both_trackers

plot_both_trackers(result)
plt.show()

# %% [markdown]
# ## Step 5 · Read the verdict, then plant a mistake
#
# **If your tracker left the reference**, the verdict names the run, the frame and the piece:
# every check of that piece passed, so the mistake hides in a case no check tried (an input
# bigger than the checks', a dtype, a map changed in place, a pad colour computed again
# differently...). Call the piece on the inputs of that frame, compare with the library's
# function of the same name, fix it, run the cells again.
#
# **If it passed**, see what the check does with a small mistake. Plant one in a copy of your
# pieces (in a new cell) and compare again, for instance bilinear instead of bicubic
# upsampling:
#
# ```python
# import dataclasses
#
# def bilinear(maps, size):
#     return np.stack([cv2.resize(m, (size, size), interpolation=cv2.INTER_LINEAR) for m in maps])
#
# planted = dataclasses.replace(my_pieces, upsample=bilinear)
# planted_result = compare_trackers(planted)
# print(planted_result.table())
# check_your_tracker(planted_result)
# ```
#
# On the quick runs its AUC is *higher* than the reference's (0.798 against 0.797), yet its boxes
# leave the reference's two frames after the first start: an AUC up or down by 0.001 says nothing
# about a tracker's correctness, the boxes do. Try the others: no damping
# (`damp=lambda scale, factor, cfg: scale * factor`), the map left unnormalised
# (`normalise=lambda score_map: score_map`: the window, at most $5.4 \cdot 10^{-5}$ a cell, then
# weighs nothing against scores up to about 8), no scale penalty. Which one drifts, which one
# only moves the boxes a little?

# %% [markdown]
# ## Recap
# - `Pieces` is the tracker's hook: any function with the signature of the library's piece
#   replaces it; the order of the steps and the state stay the library's. Same pieces, same
#   boxes, same AUC.
# - The pieces of SiamFC that you wrote: the mean-padded crop, the batched correlation, the
#   bicubic upsampling, the scale penalty, the normalisation and the cosine window, the
#   displacement, the damped scale; and for training, the labels and the balanced logistic loss.
# - A check of one function tries the inputs someone thought of; a tracker run tries thousands
#   of real ones, and a small difference in one frame is carried into all the next ones. An AUC
#   alone hides that: compare the boxes.
