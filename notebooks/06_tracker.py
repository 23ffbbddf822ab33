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
# # 06 · The tracker: one frame of SiamFC, step by step
#
# **Learning goals**
# - follow one frame of SiamFC through `SiamFCTracker.step`: the scale pyramid, the raw
#   $17\times17$ maps, the $\times16$ bicubic upsampling, the scale penalty, the cosine window,
#   the peak and its displacement in score-map cells, search-crop pixels and frame pixels, and the
#   damped scale update;
# - check each step against its formula;
# - see where the tracker fails on real and generated footage, and why.
#
# **Assumes:** 01 (the embedding $\varphi$), 02 (the score map), 04 (crops with context).
# **Time:** about 45 minutes.
#
# The paper (§2.4) tracks with a network trained once and never updated: the exemplar $z$ is cut
# from the first frame, and every later frame is searched for it.

# %%
import inspect

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Code, display

from siamfc_edu import SiamFCTracker, viz
from siamfc_edu.config import quick_mode
from siamfc_edu.data import read_real_set

QUICK = quick_mode()
face = next(s for s in read_real_set() if s.name == "carphone_face")
frames, first_box = face.frames, face.boxes[0]
tracker = SiamFCTracker.from_weights(device="cpu")
cfg = tracker.cfg
print(cfg)

# %% [markdown]
# ## 1. The first frame: the exemplar $z$
# `init` cuts the context square of side $\sqrt{(w+p)(h+p)}$, $p = (w+h)/2$, around the target,
# resizes it to $127\times127$ and embeds it once: $\varphi(z)$ is the kernel every later frame is
# correlated with. Yellow: the exemplar's square; blue: the search region, $255/127$ times larger.

# %%
tracker.init(frames[0], first_box)
fig, axes = plt.subplots(1, 2, figsize=(8, 3.5))
axes[0].imshow(viz.draw_context(frames[0], first_box, cfg))
axes[0].set_title("frame 0: target, exemplar square, search square")
axes[1].imshow(tracker.exemplar)
axes[1].set_title(f"exemplar z {tracker.exemplar.shape[:2]}")
for ax in axes:
    ax.axis("off")
plt.show()
print("phi(z):", tuple(tracker.kernel.shape))

# %% [markdown]
# ## 2. One frame through `step`
# We track up to frame 80, then look inside frame 81, where the face moves: between its
# hand-drawn boxes of frames 75 and 85, its centre moves about 1.5 px left and 1 px down a frame.
# This is the code we are about to take apart; read it top to bottom: it is the paper's §2.4 in
# order. Steps 4 to 6 (the scale penalty, the cosine window, the peak) are one function,
# `locate_peak`, shown below `step`: the GPU tracker of notebook 08 runs the same function on
# batches of maps.

# %%
from siamfc_edu.tracker import locate_peak

display(Code(inspect.getsource(SiamFCTracker.step), language="python"))
display(Code(inspect.getsource(locate_peak), language="python"))

# %%
from siamfc_edu.boxes import box_center

T = 81  # a frame where the face moves
moved = (box_center(face.boxes[85]) - box_center(face.boxes[75])) / 10
print("hand-drawn motion of the face, frames 75 -> 85:", moved.round(2), "px a frame (x, y)")
for frame in frames[1:T]:
    tracker.update(frame)
before_center, before_scale = tracker.center.copy(), tracker.scale
step = tracker.step(frames[T])
print("fields of a TrackStep:", ", ".join(step.__dataclass_fields__))

# %% [markdown]
# ### 2.1 The scale pyramid
# The target may have grown or shrunk, so the search region is cut at $S = 3$ sizes: the last
# size times $s^k$, $k \in \{-1, 0, 1\}$, $s = $ `scale_step`. Each is resized to $255\times255$:
# a larger region shrinks the target in the crop, a smaller one enlarges it.
#
# The numbers of this section and the next come from three sources. The paper's text describes
# the tracker (§2.4) and gives some values (§4.1); the authors' code (`tracker.m` of their public
# SiamFC repository, its SiamFC-3s defaults) gives the rest, and differs from the text in places;
# this course's presets (`siamfc_edu/config.py`) copy the code, except `tiny`, whose tracker
# settings were tuned for the shipped weights:
#
# | quantity | the paper's text | authors' code (`tracker.m`) | `SiamFC-3s` preset | `tiny` |
# |---|---|---|---|---|
# | scales | 5: $1.025^{\{-2,-1,0,1,2\}}$; SiamFC-3s: 3 (§4.1) | 3 | 3 | 3 |
# | scale step $s$ | 1.025 (for the 5 scales) | 1.0375 | 1.0375 | 1.06 |
# | scale penalty | a scale change is penalised (§2.4): no value | 0.9745 | 0.9745 | 0.9745 |
# | scale update | linear interpolation, factor 0.35 (§4.1) | factor 0.59 | 0.59 | 0.59 |
# | displacement | penalised by a cosine window (§2.4): no weight | 0.176 | 0.176 | 0.35 |
# | upsampling | bicubic, $17 \to 272$ (§4.1) | $\times 16$ | $\times 16$ | $\times 16$ |
# | context | margin $p = (w+h)/4$ on each side (§2.4) | $0.5\,(w+h)$ in all | 0.5 | 0.5 |
#
# (The two context rules give the same square: $(w + 2\cdot\frac{w+h}{4})(h + 2\cdot\frac{w+h}{4})
# = (w + p)(h + p)$ with $p = \frac{w+h}{2}$, notebook 04.) The 5-scale `SiamFC` preset holds step
# 1.0255, penalty 0.962, update factor 0.34 and window 0.168. This notebook runs the shipped
# weights with the `tiny` preset.

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 3.8))
for k, ax in enumerate(axes):
    ax.imshow(step.search_crops[k])
    factor, side = step.scale_factors[k], step.search_sides[k]
    ax.set_title(f"$s^{{{k - 1}}}$ = {factor:.4f}: side {side:.1f} px")
    ax.axis("off")
plt.show()
expected_sides = tracker.target.base_x_side * before_scale * cfg.scale_step ** np.array([-1, 0, 1])
np.testing.assert_allclose(step.search_sides, expected_sides)
print("ok: sides = base side x scale x s^k")

# %% [markdown]
# ### 2.2 Raw score maps, and the $\times16$ bicubic upsampling
# Each crop gives a $17\times17$ map $f(z, x)$. One cell is one step of the network's total
# stride: 8 pixels of the search crop. Upsampling $\times16$ with bicubic interpolation
# ($17 \to 272$) places the peak to within $8/16 = 0.5$ crop pixel instead of 8.

# %%
fig, axes = plt.subplots(2, 3, figsize=(11, 7))
for k in range(3):
    axes[0, k].imshow(step.raw_scores[k], cmap="viridis")
    axes[0, k].set_title(f"raw {step.raw_scores[k].shape}, max {step.raw_scores[k].max():.2f}")
    axes[1, k].imshow(step.upsampled[k], cmap="viridis")
    axes[1, k].set_title(f"upsampled {step.upsampled[k].shape}")
for ax in axes.flat:
    ax.axis("off")
plt.show()

# %% [markdown]
# ### 2.3 The scale penalty: which scale wins
# A change of size must earn it: the maps of the scales $k \neq 0$ are multiplied by
# `scale_penalty` (0.9745 in the authors' code and here; the paper's text gives no value) before
# the peaks are compared.

# %% tags=["nbval-check-output"]
print("penalty per scale:", step.penalty)

# %%
for k in range(3):
    print(
        f"scale {step.scale_factors[k]:.4f}: peak {step.upsampled[k].max():.3f} -> "
        f"penalised {step.penalised[k].max():.3f}"
    )
print("chosen scale:", step.best_scale, f"({step.scale_factors[step.best_scale]:.4f})")
assert step.best_scale == np.argmax(step.penalised.reshape(3, -1).max(axis=1))

# %% [markdown]
# ### 2.4 The cosine window
# Objects move little between frames, so a cosine window penalises large displacements (§2.4).
# The authors' code (`tracker.m`) does it in two steps, and so does the library:
# - `normalise`: the chosen map $r$ is shifted to a minimum of 0 and scaled to sum 1;
# - `apply_window`: it is mixed with a Hann window $H$ of the same size, also summing to 1:
# $$ r' = (1 - \lambda)\,\frac{r - \min r}{\sum (r - \min r)} + \lambda H,
#    \qquad \lambda = \text{window\_influence} = $$
# 0.176 in the authors' code; the tiny preset used here has 0.35 (the paper's text gives no
# value).
#
# Why normalise first? The raw scores $0.001\,\varphi(z) \star \varphi(x) + b$ have no fixed
# scale: on this clip the chosen map's peak is between 5.2 and 8.0 depending on the frame, its
# minimum between -8.4 and -6.8, while the window's largest cell is $5.4 \cdot 10^{-5}$. Mixed as
# they are, the window would change nothing, and its weight would change with the scores from
# frame to frame. Shifted to 0 and summing to 1, the map and the window are on one scale, and
# $\lambda$ is the window's share of the mix in every frame.

# %%
from siamfc_edu.tracker import apply_window, normalise

chosen = step.penalised[step.best_scale]
normalised = normalise(chosen)
windowed = apply_window(normalised, step.window, cfg.window_influence)
print(f"chosen map: min {chosen.min():.2f}, max {chosen.max():.2f}, sum {chosen.sum():.0f}")
print(f"normalised: min {normalised.min():.2f}, sum {normalised.sum():.3f}")
print(f"window:     max {step.window.max():.1e}, sum {step.window.sum():.3f}")
np.testing.assert_array_equal(normalised, step.normalised)  # what the tracker's step computed
np.testing.assert_array_equal(windowed, step.windowed)

# %%
fig, axes = plt.subplots(1, 3, figsize=(11, 3.6))
panels = [(step.normalised, "normalised"), (step.window, "window"), (step.windowed, "windowed")]
for ax, (image, name) in zip(axes, panels, strict=True):
    ax.imshow(image, cmap="viridis")
    ax.set_title(name)
    ax.axis("off")
axes[2].plot(step.peak[1], step.peak[0], "w+", markersize=16, markeredgewidth=2)
plt.show()
wi = cfg.window_influence
np.testing.assert_allclose(step.windowed, (1 - wi) * step.normalised + wi * step.window)
print(f"ok: windowed = {1 - wi:.2f} x normalised + {wi:.2f} x window; peak (row, col) {step.peak}")

# %% [markdown]
# ### 2.5 From the peak to a displacement
# The peak's offset from the centre of the $272\times272$ map is in upsampled cells. Three unit
# changes bring it to the frame:
# $$ d_\text{cells} = \frac{d_\text{up}}{16}, \qquad d_\text{crop} = 8\, d_\text{cells},
#    \qquad d_\text{frame} = d_\text{crop} \cdot \frac{\text{side of the chosen region}}{255}. $$

# %%
row, col = step.peak
d_up = np.array([col, row]) - (cfg.upscale_size - 1) / 2
print("upsampled cells :", d_up)
print("score-map cells :", step.displacement_cells)
print("search-crop px  :", step.displacement_crop)
print("frame px        :", step.displacement_frame.round(2))
np.testing.assert_allclose(step.displacement_cells, d_up / 16)
np.testing.assert_allclose(step.displacement_crop, step.displacement_cells * 8)
side = step.search_sides[step.best_scale]
np.testing.assert_allclose(step.displacement_frame, step.displacement_crop * side / 255)
assert step.displacement_frame[0] < -1 < 1 < step.displacement_frame[1]  # left and down
print("ok: each unit follows from the one before; the box follows the face left and down")

# %% [markdown]
# **An even map has no centre cell.** The centre of the $272\times272$ map is
# $(135.5, 135.5)$, between four cells. At `window_influence` $= 1$ the map is the window alone,
# whose four middle cells tie; `argmax` takes the first, $(135, 135)$ as (row, col), half an
# upsampled cell up and left of the centre. So the box does not stand still: each frame it moves
# $-0.5/16 \times 8 = -0.25$ search-crop px in $x$ and $y$, times side / 255 in frame pixels.

# %%
still = SiamFCTracker(tracker.net, cfg.replace(window_influence=1.0), "cpu")
still.init(frames[0], first_box)
centres = np.array([still.step(frame).center for frame in frames[1:21]])
drift = np.diff(centres, axis=0)
peak = np.unravel_index(still.window.argmax(), still.window.shape)
print("peak of the window alone (row, col):", tuple(int(v) for v in peak))
print("drift at window_influence = 1:", drift.mean(axis=0).round(3), "frame px a frame (x, y)")
assert (drift < 0).all()  # up and left, every frame

# %% [markdown]
# ### 2.6 The new state: move, and damp the size
# The centre moves by $d_\text{frame}$. The size moves only part of the way to the winning scale:
# $$ \text{scale} \leftarrow \text{scale} \cdot \big((1-\beta) + \beta\, s^{k^*}\big),
#    \qquad \beta = \text{scale\_lr} = 0.59 $$
# in the authors' code and here; the paper's text interpolates with 0.35, for its 5 scales.

# %%
damped = (1 - cfg.scale_lr) + cfg.scale_lr * step.scale_factors[step.best_scale]
np.testing.assert_allclose(step.center, before_center + step.displacement_frame)
assert np.isclose(step.scale, before_scale * damped)
print(
    f"centre {before_center.round(1)} -> {step.center.round(1)}; "
    f"scale {before_scale:.4f} -> {step.scale:.4f}; box {step.box.round(1)}"
)
fig, ax = plt.subplots(figsize=(4, 3.3))
ax.imshow(viz.draw_box(viz.draw_peak(frames[T], step.center), step.box))
ax.set_title(f"frame {T}: new box and centre")
ax.axis("off")
plt.show()

# %% [markdown]
# The whole step in one figure, as `viz.plot_track_step` draws it:

# %%
viz.plot_track_step(step, cfg)
plt.show()

# %% [markdown]
# ## 3. A whole clip
# `update(frame)` is `step(frame).box`, nothing more. Over the clip, the size of the box is the
# product of all the damped scale changes.

# %%
tracker.init(frames[0], first_box)
steps = [tracker.step(frame) for frame in frames[1:]]
scales = [1.0] + [s.scale for s in steps]
chosen = [s.best_scale for s in steps]
fig, axes = plt.subplots(1, 2, figsize=(11, 3))
axes[0].plot(scales)
axes[0].set_title("size relative to frame 0")
axes[1].plot(range(1, len(frames)), chosen, ".")
axes[1].set_yticks([0, 1, 2], ["smaller", "same", "larger"])
axes[1].set_title("chosen scale per frame")
for ax in axes:
    ax.set_xlabel("frame")
plt.show()

# %% [markdown]
# ## 4. Where it fails
# The paper's tracker has no memory beyond the first frame's exemplar, a window around the last
# position and a slowly changing size. Each of these fails somewhere. We track the hand-annotated
# objects of the shipped clips and a few generated sequences whose difficulty is known (each is
# tagged with attributes: `MB` motion blur, `FM` fast motion, `BC` a look-alike nearby, `SV` scale
# change, `OCC`/`FOC` occlusion, `IV` light change, `IPR` rotation), and show each one's worst
# frame.

# %%
from siamfc_edu.data import render_video
from siamfc_edu.evaluate import iou


def worst_frame(frames: list, truth: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
    """Track from the first annotated box: (boxes, the frame of lowest IoU, IoU per frame)."""
    start = int(np.flatnonzero(np.isfinite(truth[:, 0]))[0])
    boxes, _ = tracker.track(frames[start:], truth[start])
    overlaps = iou(boxes, truth[start:])
    return boxes, start + int(np.nanargmin(overlaps)), overlaps


cases = []
for seq in read_real_set():
    if QUICK:  # quick mode: the first 40 frames from the first hand-drawn box
        end = int(np.flatnonzero(np.isfinite(seq.boxes[:, 0]))[0]) + 40
        seq.frames, seq.boxes = seq.frames[:end], seq.boxes[:end]
    boxes, t, overlaps = worst_frame(seq.frames, seq.boxes)
    start = len(seq.frames) - len(boxes)
    cases.append((seq.name, seq.frames[t], boxes[t - start], seq.boxes[t], np.nanmean(overlaps)))
for seed in range(3 if QUICK else 12):
    video = render_video(np.random.default_rng(1000 + seed), 30 if QUICK else 80, held_out=True)
    truth = np.where(video.absent(0)[:, None], np.nan, video.boxes[0])
    boxes, t, overlaps = worst_frame(video.frames, truth)
    name = f"generated {seed}: " + ",".join(video.attributes)
    cases.append((name, video.frames[t], boxes[t], truth[t], np.nanmean(overlaps)))

# %%
cases.sort(key=lambda case: case[-1])
shown = cases[:6]
fig, axes = plt.subplots(2, 3, figsize=(13, 7))
for ax, (name, frame, box, gt, mean_iou) in zip(axes.flat, shown, strict=False):
    ax.imshow(viz.draw_box(viz.draw_box(frame, gt, viz.TRUTH_COLOR), box))
    ax.set_title(f"{name}\nmean IoU {mean_iou:.2f}", fontsize=9)
    ax.axis("off")
plt.suptitle("worst frame of the hardest sequences (red: tracker, green: truth)")
plt.show()
for name, *_, mean_iou in cases:
    print(f"{mean_iou:5.2f}  {name}")

# %% [markdown]
# What to look for in the worst frames (each failure follows from the design of §2.4):
# - **a look-alike** (`BC`): the window only prefers the nearby peak; a distractor that passes
#   close enough wins, and the tracker follows it from then on;
# - **motion blur and fast motion** (`MB`, `FM`): the exemplar is sharp, the target is not, and it
#   may leave the search region: a region of 255/127 times the context square, about 2.5
#   target sizes;
# - **drastic change of appearance** (the rabbit turning, rotation `IPR`, light `IV`): $z$ is never
#   updated, so the score drops everywhere and the window decides;
# - **scale change** (`SV`): the size moves by at most a factor 1.06 per frame for tiny (1.0375
#   in the authors' code), damped: a fast zoom leaves the box too small or too large.

# %% [markdown]
# ## 5. Explore it yourself
# The score-map explorer (`09_score_map_explorer`) shows each frame's pyramid with its maps; here
# it is on the face. Drag the frame slider, move the settings.

# %%
from siamfc_edu.widgets import ScoreMapExplorer

explorer = ScoreMapExplorer(frames[: 40 if QUICK else len(frames)], first_box, tracker)
display(explorer.widget)

# %% [markdown]
# ## Recap
# - `init` embeds the exemplar once; `step` runs §2.4 in order and returns every intermediate.
# - The paper's text, the authors' code and the presets differ in the tracker's numbers (the
#   table of §2.1): the text describes 5 scales of step 1.025 and a scale update of 0.35; the
#   code's SiamFC-3s uses 3 scales of step 1.0375, penalty 0.9745, update 0.59, window 0.176.
# - Three scales, penalised unless unchanged; the peak of the windowed, upsampled map gives the
#   displacement, converted from cells to crop pixels ($\times 8$) to frame pixels
#   ($\times$ side / 255).
# - The size changes slowly (damping); the centre jumps to the peak.
# - The failures follow from the design: a fixed exemplar, a local window, a slow size.
#
# **Exercises:** `exercises/06_tracker.ipynb`, six of them, one per step of §2: the scale
# pyramid, the upsampling, the scale penalty, the cosine window, the displacement and the damped
# scale update; then your pieces track a clip together.
