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
# # 04 · Training pairs: exercises
#
# Notebook `04_training_pairs` cut the pairs $(z, x)$ SiamFC trains on: the exemplar with context
# around the target, the search image around the same target in another frame, mean-colour
# padding where a crop leaves the frame, two frames at most $T$ apart. Here you write those
# pieces yourself:
#
# 1. **warm-up** `context_size(w, h, context)` and `search_side(w, h, cfg)`: the sides of the two
#    squares, $s_z = \sqrt{(w+p)(h+p)}$ and $s_x = s_z \cdot 255/127$;
# 2. **harder** `crop_and_resize(image, center, side, out_size, pad_color=None)`: cut a square
#    around a point, fill what lies outside the frame with the frame's mean colour, resize;
# 3. **medium** `exemplar_from_box(image, box)`: the $127 \times 127$ exemplar $z$ of a box
#    written in OTB's 1-based convention;
# 4. **harder** `pick_pair(frame_ids, max_gap, rng)`: the two frames of a training pair, at most
#    $T$ frames apart, in a track with holes.
#
# **Time** about 35 minutes.
#
# **How the checks work.** Below each exercise a check cell calls your function on several inputs
# (edge cases included) and compares every answer with the library (`siamfc_edu.crops`,
# `siamfc_edu.data.pairs`). It prints one line: "passed" with the inputs it tried, or the first
# input where your answer differs, what differs (a number, a pixel and where, a pair of frames),
# and, when your answer matches a typical mistake, its name and a hint. While a function still
# says `raise NotImplementedError`, its check prints "not implemented yet" and the notebook runs
# on. Write your code where it says `# YOUR CODE HERE` (delete the `raise` line), then run the
# cell and its check again. Do not call the library function you are rewriting: the point is to
# write it.

# %%
import math

import cv2
import matplotlib.pyplot as plt
import numpy as np

from siamfc_edu.boxes import box_center, xywh_to_otb
from siamfc_edu.config import SiamFCConfig, get_preset
from siamfc_edu.crops import context_size as library_context_size
from siamfc_edu.crops import exemplar_crop
from siamfc_edu.crops import search_side as library_search_side
from siamfc_edu.data import SHIPPED_VIDEOS, read_annotations, read_video
from siamfc_edu.data.real import real_set_files

cfg = get_preset()  # SiamFC-3s: context 0.5, z 127 x 127, x 255 x 255, T = 100
rng = np.random.default_rng(0)  # nothing below is random but exercise 4; a habit of the course


def attempt(fn, *args):
    """fn(*args), or None while fn still raises NotImplementedError (for the figures)."""
    try:
        return fn(*args)
    except NotImplementedError:
        return None


# %% [markdown]
# ## Exercise 1 (warm-up) · The two squares
#
# Write the library's `siamfc_edu.crops.context_size`, with its signature:
#
# ```python
# context_size(w: float, h: float, context: float = 0.5) -> float
# ```
#
# For a target box of width $w$ and height $h$ the exemplar region is a square with a margin of
# context around the box. With $p = \text{context} \cdot (w + h)$ its side is
#
# $$ s_z = \sqrt{(w + p)(h + p)}, $$
#
# the side of the square whose **area** is that of the box grown by $p$ in width and in height.
# The paper (§2.2) writes the same square as $(w + 2p')(h + 2p')$ with $p' = (w + h)/4$, the
# margin on each side: $2p' = p$ for context $= 0.5$, the default here and the value of the
# authors' code (`p.contextAmount = 0.5` in tracker.m; `cfg.context` in this course). Return
# $s_z$, one Python `float`.


# %%
def context_size(w: float, h: float, context: float = 0.5) -> float:
    """Side of the exemplar's square: sqrt((w + p)(h + p)) with p = context * (w + h)."""
    # HINT: p = context * (w + h) is the whole margin; then math.sqrt
    ### BEGIN SOLUTION
    margin = context * (w + h)
    return math.sqrt((w + margin) * (h + margin))
    ### END SOLUTION


# %%
from siamfc_edu.checks.pairs import check_context_size

check_context_size(context_size)

# %% [markdown]
# Now write the library's `siamfc_edu.crops.search_side`, with its signature:
#
# ```python
# search_side(w: float, h: float, cfg: SiamFCConfig) -> float
# ```
#
# The search region $x$ is cut **at the same scale** as $z$: $z$'s square of $s_z$ frame pixels
# becomes `cfg.exemplar_size` pixels (127 in the paper, §2.2), so $x$, which is
# `cfg.instance_size` pixels (255), covers
#
# $$ s_x = s_z \cdot \frac{255}{127} $$
#
# frame pixels. Read three fields of `cfg` (a `SiamFCConfig`, like the `cfg` above):
# `cfg.context` for $s_z$, `cfg.instance_size` and `cfg.exemplar_size` for the ratio. Do not
# write 0.5, 255 or 127 in: the check also tries configs with other values. For $s_z$ use the
# library's `context_size`, imported at the top as `library_context_size`, so that this check
# does not depend on the one above. Return the exact side, a Python `float` (not rounded): the
# crop rounds it to whole pixels itself.


# %%
def search_side(w: float, h: float, cfg: SiamFCConfig) -> float:
    """Side of the search square in frame pixels: the exemplar's square times 255/127."""
    # HINT: context_size(w, h, cfg.context) * instance_size / exemplar_size
    ### BEGIN SOLUTION
    exemplar = library_context_size(w, h, cfg.context)
    return exemplar * cfg.instance_size / cfg.exemplar_size
    ### END SOLUTION


# %%
from siamfc_edu.checks.pairs import check_search_side

check_search_side(search_side)

# %% [markdown]
# ## Exercise 2 (harder) · A crop with mean padding
#
# Write the library's `siamfc_edu.crops.crop_and_resize`, with its signature:
#
# ```python
# crop_and_resize(image, center, side, out_size, pad_color=None) -> np.ndarray
# ```
#
# Cut the square of `side` pixels centred on `center` $= (c_x, c_y)$ out of `image` (an
# $H \times W \times 3$ uint8 RGB frame), fill the part of the square that lies **outside** the
# frame with `pad_color`, and resize the square to `out_size` $\times$ `out_size`. `pad_color`
# is a colour of 3 floats; when it is `None` (the default, as in training) use the frame's mean
# colour. The tracker computes that mean once per frame and passes it to each of its crops: the
# capstone (notebook 10) puts this very function into the tracker. The library's conventions,
# which the check follows to the pixel:
#
# - pixel (row $i$, column $j$) is the point $(x = j, y = i)$: pixel centres sit on integers;
# - the square has $s = \max(1, \mathrm{round}(\texttt{side}))$ pixels a side, columns
#   $x_1 \ldots x_1 + s - 1$ and rows $y_1 \ldots y_1 + s - 1$, with
#   $x_1 = \mathrm{round}\!\left(c_x - \frac{s - 1}{2}\right)$ and
#   $y_1 = \mathrm{round}\!\left(c_y - \frac{s - 1}{2}\right)$ (Python's `round`), so that its
#   middle $x_1 + \frac{s-1}{2}$ is the centre. `round`, not `int()`, which cuts 36.7 down to
#   36; and on a tie `round` goes to the even neighbour, `round(40.5) == 40` (as `np.round`), not
#   up like `int(v + 0.5)`;
# - the padding colour is `pad_color`, or when it is `None` the mean of each channel over the
#   whole frame, rounded to the nearest integer (three numbers);
# - the resizing is `cv2.resize(square, (out_size, out_size), interpolation=cv2.INTER_LINEAR)`.
#
# Return a numpy array of shape (`out_size`, `out_size`, 3) and dtype **uint8**, like the frame:
# the colour jitter of the training pairs (`siamfc_edu.data.pairs.jitter`) saturates at 0 and
# 255 on uint8, and `to_tensor` reads uint8 images. Computing in floating point is fine if you
# round back to uint8: OpenCV resizes uint8 images in fixed point, so the check accepts 1 grey
# level of difference on a few values. Leave `image` as it is (build the square as a new array):
# the check names an argument your function changes in place.
#
# The square may leave the frame on any side, on every side, or lie wholly outside it (the target
# left the frame). One way: make an $s \times s \times 3$ square of the mean colour, work out the
# rectangle where the square and the frame overlap, and copy the frame's pixels there.


# %%
def crop_and_resize(
    image: np.ndarray,
    center: tuple[float, float],
    side: float,
    out_size: int,
    pad_color: tuple[float, ...] | None = None,
) -> np.ndarray:
    """The square of `side` px around (cx, cy), padded with pad_color (or the mean), resized."""
    # HINT: an s x s square of the padding colour, then copy the overlap in
    ### BEGIN SOLUTION
    if pad_color is None:
        pad_color = image.mean(axis=(0, 1))
    s = max(1, round(side))
    x1 = round(center[0] - (s - 1) / 2)
    y1 = round(center[1] - (s - 1) / 2)
    height, width = image.shape[:2]
    square = np.empty((s, s, 3), dtype=image.dtype)
    square[:] = np.round(pad_color[:3]).astype(image.dtype)
    # the overlap of the square and the frame, in frame coordinates
    left, top = max(x1, 0), max(y1, 0)
    right, bottom = min(x1 + s, width), min(y1 + s, height)
    if right > left and bottom > top:
        square[top - y1 : bottom - y1, left - x1 : right - x1] = image[top:bottom, left:right]
    return cv2.resize(square, (out_size, out_size), interpolation=cv2.INTER_LINEAR)
    ### END SOLUTION


# %%
from siamfc_edu.checks.pairs import check_crop_and_resize

check_crop_and_resize(crop_and_resize)

# %% [markdown]
# ## Exercise 3 (medium) · The exemplar of an OTB box
#
# Benchmarks store boxes their own way. OTB's `groundtruth_rect.txt` (and GOT-10k's) writes
# $[x, y, w, h]$ **1-based**: its first pixel is $(1, 1)$. The library's boxes are 0-based, and
# `siamfc_edu.boxes.otb_to_xywh` converts. In a 0-based box the target covers columns
# $x \ldots x + w - 1$, so its centre is
#
# $$ (c_x, c_y) = \left(x + \frac{w - 1}{2},\; y + \frac{h - 1}{2}\right). $$
#
# Return the exemplar $z$: the square of side $s_z$ (exercise 1, context 0.5) around that centre,
# mean-padded and resized to $127 \times 127$. For the crop use the library's `crop_and_resize`,
# imported below as `library_crop_and_resize` (the signature of yours in exercise 2, so that this
# check does not depend on the one above), and the library's `context_size`, imported at the top as
# `library_context_size`.

# %%
from siamfc_edu.boxes import otb_to_xywh  # OTB -> 0-based: use it below
from siamfc_edu.crops import crop_and_resize as library_crop_and_resize  # the crop: use it below


def exemplar_from_box(image: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The 127 x 127 exemplar z of a box in OTB's 1-based [x, y, w, h] convention."""
    # HINT: convert the box to 0-based first, then find its centre
    ### BEGIN SOLUTION
    x, y, w, h = otb_to_xywh(box)
    centre = (x + (w - 1) / 2, y + (h - 1) / 2)
    return library_crop_and_resize(image, centre, library_context_size(w, h), 127)
    ### END SOLUTION


# %%
from siamfc_edu.checks.pairs import check_exemplar_from_box

check_exemplar_from_box(exemplar_from_box)

# %% [markdown]
# Your two crops on a real frame: frame 0 of the shipped clip *carphone*, with the hand-drawn box
# of the face written the way OTB would store it. The search square (blue, $s_x \approx 192$ px)
# is larger than the $176 \times 144$ frame: your `crop_and_resize` fills the rest with the
# frame's mean colour. Top right, the library's $z$ for comparison.

# %%
clip = "carphone_pristine"
frame = read_video(clip, max_frames=1)[0]
face = read_annotations(real_set_files()[f"{clip}:carphone_face"], SHIPPED_VIDEOS[clip][2])[0]
face_otb = xywh_to_otb(face)
print("the face in frame 0: 0-based", face.tolist(), "| OTB (1-based)", face_otb.tolist())
x, y, w, h = face
centre = tuple(box_center(face))
s_x = library_search_side(w, h, cfg)
panels = {
    "your search crop x (255 x 255)": attempt(crop_and_resize, frame, centre, s_x, 255),
    "your exemplar z (127 x 127)": attempt(exemplar_from_box, frame, face_otb),
    "the library's z": exemplar_crop(frame, face, cfg),
}
fig, axes = plt.subplots(1, 4, figsize=(14, 3.4), gridspec_kw={"width_ratios": [1.3, 1.7, 1, 1]})
axes[0].imshow(frame)
axes[0].add_patch(plt.Rectangle((x - 0.5, y - 0.5), w, h, fill=False, ec="lime"))
search_square = plt.Rectangle(
    (centre[0] - s_x / 2, centre[1] - s_x / 2), s_x, s_x, fill=False, ec="deepskyblue", ls="--"
)
axes[0].add_patch(search_square)
axes[0].set(xlim=(-40, 216), ylim=(184, -40), title="frame 0: the box, the search square")
for ax, (title, crop) in zip(axes[1:], panels.items(), strict=True):
    if crop is None:
        ax.text(0.5, 0.5, "not written yet", ha="center", va="center")
    else:
        ax.imshow(crop)
    ax.set_title(title, fontsize=10)
for ax in axes:
    ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Exercise 4 (harder) · Two frames at most $T$ apart
#
# A track holds the frames where one object is visible; `frame_ids` (a 1-D integer array, sorted)
# are their numbers in the video. When the object is hidden for a while the numbers have holes:
# `[0, 1, 2, 3, 10, 11, ...]`. A training pair takes $z$ from one of these frames and $x$ from
# another one at most $T$ = `max_gap` frames away **in the video**:
#
# $$ 0 < |\,\text{frame\_ids}[x] - \text{frame\_ids}[z]\,| \le T. $$
#
# Return the **indices** `(z, x)` into `frame_ids` (positions in the list, not frame numbers):
#
# - draw $z$ uniformly among all the frames, with `rng.integers`;
# - draw $x$ uniformly among the frames that satisfy the rule, with `rng.choice`;
# - if no frame satisfies it (a track of one frame, or a frame far from all the others), return
#   `(z, z)`: the pair is then cut from one frame.
#
# Draw only with the generator `rng` you are given (so a seed gives the same pair every time).
# The check draws 3,000 pairs on each of six tracks and compares the set of pairs you drew with
# the library's: every pair the rule allows must come up, none it forbids.


# %%
def pick_pair(frame_ids: np.ndarray, max_gap: int, rng: np.random.Generator) -> tuple[int, int]:
    """Indices (z, x) of two different frames at most max_gap apart ((z, z) if z is alone)."""
    # HINT: the gaps |frame_ids - frame_ids[z]|, then np.flatnonzero
    ### BEGIN SOLUTION
    z = int(rng.integers(len(frame_ids)))
    gaps = np.abs(frame_ids - frame_ids[z])
    allowed = np.flatnonzero((gaps > 0) & (gaps <= max_gap))
    if len(allowed) == 0:
        return z, z
    return z, int(rng.choice(allowed))
    ### END SOLUTION


# %%
from siamfc_edu.checks.pairs import check_pick_pair

check_pick_pair(pick_pair)

# %% [markdown]
# The gaps your sampler draws on a track with a hole (frames 0-39 and 60-99, the object hidden in
# between) for $T = 25$: no gap above $T$, none of 0, and gaps across the hole come from the
# frames near it only.

# %%
track = np.concatenate([np.arange(0, 40), np.arange(60, 100)])
if attempt(pick_pair, track, 25, rng) is None:
    print("pick_pair is not written yet")
else:
    pairs = [pick_pair(track, 25, rng) for _ in range(2000)]
    gaps = np.array([abs(int(track[x]) - int(track[z])) for z, x in pairs])
    print(f"{len(gaps)} pairs: gaps {gaps.min()}..{gaps.max()}, mean {gaps.mean():.1f}")
    plt.figure(figsize=(7, 2.8))
    plt.hist(gaps, bins=np.arange(-0.5, 31.5), color="C0")
    plt.axvline(25.5, color="r", ls="--", label="T = 25")
    plt.xlabel("frame gap |t_x - t_z|")
    plt.ylabel("pairs")
    plt.legend()
    plt.show()

# %% [markdown]
# ## What you built
#
# With these pieces you can cut every training pair of the paper yourself: two frames of a track
# at most $T$ apart (`pick_pair`), $z$ around the box of the first (`exemplar_from_box`), $x$
# around the box of the second with the square of `search_side` (`crop_and_resize` with
# `out_size=255`). The target then has the same size in $z$ and in $x$, and sits at the centre of
# $x$, where the label map of notebook 03 puts its positives.
#
# Next: notebook `05_training` trains the network on these pairs.
