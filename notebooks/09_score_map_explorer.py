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
# # 09 · The score-map explorer
#
# **You will:** watch what the network sees, frame by frame and scale by scale, on any clip, and
# move the tracker's settings to see what each one does to the path.
#
# **Learning goals**
# - read a frame's scale pyramid: three search crops, each with its score map over it;
# - see which scale wins and where its peak lies, and how that moves the box;
# - feel the effect of the window influence, the scale penalty, the scale step and the damping.
#
# **Assumes:** `06_tracker` (what one frame of SiamFC computes). **Time:** 15 minutes or more.
#
# **How to use it.** Run every cell (Run > Run All Cells). Under the figure, the explorer has:
# - a **Play** button and a **frame** slider: the frame with the tracked box (red), the
#   hand-drawn box where there is one (green) and the path of the centre so far (yellow);
# - below it, **the pyramid** of that frame: each scale's 255 x 255 search crop with its score map
#   blended over the part of the crop it covers (the central 136 x 136 pixels: 17 cells, 8 pixels
#   apart); the chosen scale is framed in red and its peak marked with a cross;
# - four **settings** sliders; moving one tracks the clip again from the first frame with the new
#   value: "tracking…" appears beside the caption, the frame shown is tracked first (on a long
#   clip you watch the box re-track towards it), and later frames are tracked as you move on.
#
# Choose another clip in the cell marked *your clip*: a shipped clip with its hand-drawn object,
# a generated sequence, or any video file or image folder of your own with a first box.

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import display

from siamfc_edu import SiamFCTracker
from siamfc_edu.config import quick_mode
from siamfc_edu.data import read_real_set, read_video
from siamfc_edu.widgets import ScoreMapExplorer

QUICK = quick_mode()

# %% [markdown]
# ## Your clip
# `CLIP` is one of the hand-annotated objects (`carphone_face`, `bikes_parked_bicycle`,
# `bigbuckbunny_rabbit`), or the path of a video / image folder with `BOX = [x, y, w, h]` in its
# first frame. Quick mode keeps 40 frames.

# %%
CLIP = "carphone_face"  # or e.g. "/path/to/video.mp4"
BOX = None  # [x, y, w, h] for your own video; None for a shipped object

objects = {s.name: s for s in read_real_set()}
if CLIP in objects:
    sequence = objects[CLIP]
    start = int(np.flatnonzero(np.isfinite(sequence.boxes[:, 0]))[0])
    frames, truth, BOX = sequence.frames, sequence.boxes, sequence.boxes[start]
else:
    frames, truth, start = list(read_video(CLIP)), None, 0
last = min(len(frames), start + 40) if QUICK else len(frames)
print(f"{CLIP}: frames {start}..{last - 1}, first box {np.round(BOX, 1).tolist()}")

# %%
tracker = SiamFCTracker.from_weights(device="cpu")
shown_truth = None if truth is None else truth[:last]  # one true box per frame shown
explorer = ScoreMapExplorer(frames[:last], BOX, tracker, start=start, truth=shown_truth)

# %% [markdown]
# ## The same, as a still figure
# One frame of the explorer drawn with matplotlib, so an exported notebook shows something even
# where widgets do not run: the frame 20 frames in, and its pyramid.

# %%
t = min(start + 20, last - 1)
fig, axes = plt.subplots(2, 1, figsize=(10, 7), height_ratios=[3, 2])
axes[0].imshow(explorer.frame_image(t))
axes[0].set_title(explorer.caption(t))
axes[1].imshow(explorer.pyramid_image(t))
for ax in axes:
    ax.axis("off")
plt.show()

# %% [markdown]
# ## The explorer
# Press Play, or drag the frame slider. Then try, one at a time:
# - **window_influence** to 0: nothing holds the box near its last position; on a clip with
#   look-alikes it may jump. At 1 the map is the window alone, and the box should stand still,
#   yet it drifts up and to the left, about 0.2 px a frame on the face: the $272\times272$ map
#   has an even size, so no cell sits at its centre $(135.5, 135.5)$. The four middle cells tie
#   and `argmax` takes the first, $(135, 135)$ as (row, col), half an upsampled cell up-left of
#   the centre (06 §2.5 measures it).
# - **scale_penalty** to 0.90: the box almost never changes size. At 1.0, it changes often.
# - **scale_step** to 1.15: big jumps in size per frame.
# - **scale_lr** (damping) to 1: the size follows the winning scale at once; at 0 it never changes.

# %%
display(explorer.widget)

# %% [markdown]
# ## Check: the explorer shows the tracker's own boxes
# The path the explorer draws is the tracker's, frame for frame: the same boxes as `update`.

# %%
check = SiamFCTracker.from_weights(device="cpu")
check.init(frames[start], BOX)
same = [check.update(frame) for frame in frames[start + 1 : last]]
np.testing.assert_allclose(explorer.path()[1:], same)
print(f"ok: {len(same)} boxes, the same as the tracker's")

# %% [markdown]
# ## Recap
# - Each frame, three search crops are compared with the exemplar; the penalised peaks compete.
# - The cosine window keeps the box near its last position; the penalty and the damping keep its
#   size steady. Each setting trades robustness against reactivity.
# - The explorer replays any frame exactly from the state the tracker had before it.
#
# **Exercise:** none of its own: use it to check your tracker of `exercises/06_tracker.ipynb`.
