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
# # 06 · The tracker: exercises
#
# Notebook `06_tracker` took one frame of SiamFC apart (`SiamFCTracker.step`, §2.4 of the
# paper). Here you write each step of it yourself, in the order the tracker runs them. Each
# function has the name and the signature of the library function it rebuilds (in
# `siamfc_edu.tracker`), so that in the capstone (notebook 10) the tracker can run on yours:
#
# 1. **warm-up** `scale_factors(cfg)`: the scale pyramid's factors $s^k$;
# 2. **warm-up** `upsample(scores, size)`: every $17\times17$ score map upsampled to
#    $272\times272$, bicubic;
# 3. **easy** `scale_penalties(cfg)` and `penalise(maps, penalty)`: the scale penalty on every
#    scale but the current one;
# 4. **medium** `hann_window(size)`, `normalise(score_map)` and
#    `apply_window(normalised, window, influence)`: the cosine window, the chosen map normalised
#    (minimum 0, sum 1), and that map mixed with the window;
# 5. **medium** `displacement(row, col, side, cfg)`: from the peak to a displacement in
#    score-map cells, search-crop pixels and frame pixels;
# 6. **hard** `damped_scale(scale, factor, cfg)`: the damped, clipped size update.
#
# `cfg` is the tracker's configuration, a `SiamFCConfig` (`siamfc_edu.config`): its fields hold
# the numbers of §2.4 (`cfg.scale_num`, `cfg.scale_step`, `cfg.scale_penalty`, ...). The last
# cell runs your functions on a real frame (the face of carphone, the shipped weights) and
# compares every intermediate with the tracker's own `TrackStep`.
#
# **Time** about 40 minutes.
#
# **How the checks work.** Below each exercise a check cell calls your function on several inputs
# (edge cases included, and a real frame: carphone's face, frame 3) and compares every answer with
# the library's `siamfc_edu.tracker`. It prints one line: "passed" with the inputs it tried, or
# the first input where your answer differs, what differs (a shape, a value and where), and, when
# your answer matches a typical mistake, its name and a hint. While a function still says
# `raise NotImplementedError`, its check prints "not implemented yet" and the notebook runs on.
# Write your code where it says `# YOUR CODE HERE` (delete the `raise` line), then run the cell
# and its check again. Do not call the library function you are rewriting: the point is to write
# it.

# %%
import cv2
import numpy as np

from siamfc_edu.config import SiamFCConfig, get_preset

print(get_preset("tiny"))  # the shipped weights' preset: every number of the tracker

# %% [markdown]
# ## Exercise 1 (warm-up) · The scale pyramid
#
# The target may have grown or shrunk since the last frame, so the tracker searches $S$ regions
# (`scale_num`): the last size times
#
# $$ s^k, \qquad k = -\tfrac{S-1}{2},\ \dots,\ \tfrac{S-1}{2} \quad\text{(steps of 1)}, $$
#
# with $s$ = `scale_step` (1.0375 in the authors' code, 1.06 for the shipped tiny weights). For
# $S = 3$, $k \in \{-1, 0, 1\}$: the factors are $[1/s,\ 1,\ s]$. The middle factor is always 1
# (keep the size). $S$ is odd (a preset with an even `scale_num` is refused), so $k$ runs over
# whole numbers.
#
# `cfg.scale_num` is $S$, `cfg.scale_step` is $s$. Return the $S$ factors as a numpy array of
# float64 (numpy's default), smallest first: the tracker multiplies the search side by them.


# %%
def scale_factors(cfg: SiamFCConfig) -> np.ndarray:
    """The scale pyramid's factors s^k, k = -(n-1)/2 .. (n-1)/2, smallest first: shape (n,)."""
    # HINT: exponents k: np.arange(cfg.scale_num) centred on 0; then cfg.scale_step**k
    # YOUR CODE HERE
    raise NotImplementedError('exponents k: np.arange(cfg.scale_num) centred on 0; then cfg.scale_step**k')


# %%
from siamfc_edu.checks.tracking import check_scale_factors

check_scale_factors(scale_factors)

# %% [markdown]
# ## Exercise 2 (warm-up) · Upsampling the score maps
#
# Each search region gives a $17\times17$ score map $f(z, x)$; one cell is one step of the
# network's total stride, 8 pixels of the search crop. The tracker upsamples every map by
# `response_up` $= 16$ with **bicubic** interpolation ($17 \to 272$), which places the peak to
# within half a crop pixel instead of 8.
#
# `scores` is a float32 numpy array of shape $(S, n, n)$ and `size` the new side
# (`cfg.upscale_size` $= 17 \cdot 16 = 272$ in the tracker). Return the $S$ maps resized to
# `size` $\times$ `size` as **one numpy array of float32**, shape $(S,\ \text{size},\
# \text{size})$: the tracker reshapes it, multiplies it by a numpy array of penalties and keeps it
# in the `TrackStep` (a list or a torch tensor would not do). Use OpenCV:
# `cv2.resize(image, (width, height), interpolation=...)` resizes one 2-D map (mind the order:
# width first; a float32 map stays float32), and `np.stack` makes one array of the $S$ maps.


# %%
def upsample(scores: np.ndarray, size: int) -> np.ndarray:
    """Each (n x n) map of scores (S, n, n) resized to size x size, bicubic: (S, size, size)."""
    # HINT: cv2.resize each map to (size, size) with cv2.INTER_CUBIC; np.stack
    # YOUR CODE HERE
    raise NotImplementedError('cv2.resize each map to (size, size) with cv2.INTER_CUBIC; np.stack')


# %%
from siamfc_edu.checks.tracking import check_upsample

check_upsample(upsample)

# %% [markdown]
# ## Exercise 3 · The scale penalty
#
# A change of size must earn it. Before the peaks of the $S$ maps are compared, every scale but
# the middle one (index $S /\!/ 2$, the factor $s^0 = 1$) is multiplied by the penalty $p$
# (`scale_penalty`, 0.9745 in the authors' code; the paper's text gives no value):
#
# $$ \tilde r_k = \begin{cases} r_k & k = 0 \\ p\, r_k & k \neq 0. \end{cases} $$
#
# The tracker does it in two functions: `scale_penalties(cfg)` makes the $S$ factors once (when
# the tracker is built), and `penalise(maps, penalty)` applies them in every frame.
#
# **3a.** `scale_penalties(cfg)`: return the factors as a numpy array of shape $(S,)$ and dtype
# **float32** (the score maps are float32; float64 factors would turn them into float64):
# `cfg.scale_penalty` for every scale, 1 for the middle one.


# %%
def scale_penalties(cfg: SiamFCConfig) -> np.ndarray:
    """One factor per scale, float32: 1 for the middle scale (keep the size), else the penalty."""
    # HINT: np.full(S, penalty, dtype=np.float32); 1 at index S // 2
    # YOUR CODE HERE
    raise NotImplementedError('np.full(S, penalty, dtype=np.float32); 1 at index S // 2')


# %%
from siamfc_edu.checks.tracking import check_scale_penalties

check_scale_penalties(scale_penalties)

# %% [markdown]
# **3b.** `penalise(maps, penalty)`: `maps` has shape $(S, N, N)$ and `penalty` holds one factor
# per scale, shape $(S,)$ (what `scale_penalties` returns); multiply map $k$ by `penalty[k]` and
# return the penalised maps, same shape and dtype. Return a **new** array: the tracker keeps the
# unpenalised maps too (`TrackStep.upsampled`), so do not change `maps` in place.


# %%
def penalise(maps: np.ndarray, penalty: np.ndarray) -> np.ndarray:
    """The maps (S, N, N), map k multiplied by penalty[k]: a new array."""
    # HINT: give penalty the shape (S, 1, 1) so that it broadcasts over each map
    # YOUR CODE HERE
    raise NotImplementedError('give penalty the shape (S, 1, 1) so that it broadcasts over each map')


# %%
from siamfc_edu.checks.tracking import check_penalise

check_penalise(penalise)

# %% [markdown]
# ## Exercise 4 · The cosine window
#
# The scale whose penalised map has the highest peak wins. Objects move little between frames, so
# the paper penalises large displacements with a cosine window (§2.4): the winner's map $r$ is
# mixed with a Hann window $H$ (`window`, highest in the centre). How they are mixed is the
# authors' code (`tracker.m`), not the paper's text: $r$ is first shifted to a minimum of 0 and
# scaled to sum 1, like $H$, then mixed with it, with $\lambda$ = `influence`
# (`window_influence`: 0.176 in `tracker.m`, 0.35 for tiny; the paper's text gives no value):
#
# $$ r' = (1 - \lambda)\,\frac{r - \min r}{\sum (r - \min r)} + \lambda H. $$
#
# The tracker does it in three functions, as the library does: `hann_window` builds $H$ once,
# `normalise` brings $r$ to sum 1, `apply_window` mixes the two.
#
# **4a.** `hann_window(size)`: the window $H$ the tracker builds once, of `size` $\times$ `size`
# (`cfg.upscale_size`, 272). The 1-D Hann window of $N$ points is
# $h_n = \tfrac12 - \tfrac12 \cos\frac{2\pi n}{N - 1}$, $n = 0 \dots N-1$ (0 at both ends, 1 in the
# middle: `np.hanning(N)`; the authors' tracker.m calls MATLAB's `hann`, the same window); the
# 2-D window is its outer product with itself, divided by its sum so that it sums to 1, like the
# normalised map (the division is `tracker.m`'s). Return a numpy array of float64 (numpy's
# default), shape (size, size).


# %%
def hann_window(size: int) -> np.ndarray:
    """The 2-D cosine (Hann) window of size x size, summing to 1: the tracker's motion prior."""
    # HINT: the outer product of two 1-D Hann windows (np.hanning), divided by its sum
    # YOUR CODE HERE
    raise NotImplementedError('the outer product of two 1-D Hann windows (np.hanning), divided by its sum')


# %%
from siamfc_edu.checks.tracking import check_hann_window

check_hann_window(hann_window)

# %% [markdown]
# **4b.** `normalise(score_map)`: `score_map` is the winner's map $r$, a 2-D numpy array
# $(H, W)$ of float32. Return
#
# $$ \frac{r - \min r}{\sum (r - \min r)}, $$
#
# a **new** numpy array of the same shape and dtype (float32 stays float32), `score_map` left as it
# is. Why first: the raw scores have no fixed scale (0.001 times a correlation, plus a bias;
# negative in places), while $H$ sums to 1. Shifted to 0 and summing to 1, the map is on the
# window's scale, so that $\lambda$ is the same share of the mix in every frame. (The library's
# `normalise` also takes a stack of maps $(\dots, H, W)$, one minimum and one sum per map; here
# one map is enough.)


# %%
def normalise(score_map: np.ndarray) -> np.ndarray:
    """The map shifted to a minimum of 0 and scaled to sum 1, like the window: a new array."""
    # HINT: subtract the map's minimum, then divide by the sum of the shifted map
    # YOUR CODE HERE
    raise NotImplementedError("subtract the map's minimum, then divide by the sum of the shifted map")


# %%
from siamfc_edu.checks.tracking import check_normalise

check_normalise(normalise)

# %% [markdown]
# **4c.** `apply_window(normalised, window, influence)`: `normalised` is what your `normalise`
# returns, `window` what your `hann_window` returns (same shape), `influence` is $\lambda$, a
# number in $[0, 1]$. Return
#
# $$ r' = (1 - \lambda)\, \text{normalised} + \lambda H $$
#
# as a new numpy array of the same shape, without normalising again: both parts sum to 1, so
# $r'$ does too. numpy makes a float32 map mixed with the float64 window float64: leave it so.


# %%
def apply_window(normalised: np.ndarray, window: np.ndarray, influence: float) -> np.ndarray:
    """The normalised map mixed with the cosine window: weight influence on the window."""
    # HINT: the two weights, 1 - influence and influence, sum to 1
    # YOUR CODE HERE
    raise NotImplementedError('the two weights, 1 - influence and influence, sum to 1')


# %%
from siamfc_edu.checks.tracking import check_apply_window

check_apply_window(apply_window)

# %% [markdown]
# ## Exercise 5 · From the peak to a displacement
#
# The peak of $r'$ sits at (`row`, `col`) of an $N \times N$ map, $N$ = `cfg.upscale_size`
# (272), its cells numbered $0 \dots N-1$. Its offset from the **centre** of the map, as
# $(d_x, d_y)$ (x along a row: the column), is in upsampled cells. Three changes of unit bring it
# to the frame:
#
# $$ d_\text{cells} = \frac{d_\text{up}}{\text{response\_up}}, \qquad
#    d_\text{crop} = \text{total\_stride} \cdot d_\text{cells}, \qquad
#    d_\text{frame} = d_\text{crop} \cdot \frac{\text{side}}{\text{instance\_size}}, $$
#
# with `cfg.response_up` (16), `cfg.total_stride` (8) and `cfg.instance_size` (255); `side` is
# the side, in frame pixels, of the chosen search region, which was resized to `instance_size`
# pixels. Where exactly is the centre of 272 cells numbered from 0? When the peak is there, every
# displacement must be 0.
#
# Return a tuple `(cells, crop_px, frame_px)`, each a numpy array $(d_x, d_y)$ of float64, shape
# (2,): the tracker adds `frame_px` to its centre, an array $(c_x, c_y)$.


# %%
def displacement(
    row: int, col: int, side: float, cfg: SiamFCConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The peak's (dx, dy) from the map's centre: in score-map cells, crop pixels, frame pixels."""
    # HINT: (dx, dy) from the centre of N cells 0..N-1, then 3 unit changes
    # YOUR CODE HERE
    raise NotImplementedError('(dx, dy) from the centre of N cells 0..N-1, then 3 unit changes')


# %%
from siamfc_edu.checks.tracking import check_displacement

check_displacement(displacement)

# %% [markdown]
# ## Exercise 6 (hard) · The damped scale update
#
# The centre jumps to the peak, but the size is noisier: the tracker moves it only part of the
# way towards the winning scale. The target's size is `base_size * scale` (its first size times
# `scale`). When the scale with factor $f = s^{k^*}$ wins:
#
# - the change of size is damped: instead of $f$, the scale is multiplied by the point a
#   fraction $\beta$ (`cfg.scale_lr`, 0.59) of the way from 1 (keep the size) to $f$ (adopt the
#   winner);
# - the new scale is then kept within [`cfg.min_scale`, `cfg.max_scale`] (0.2 and 5: the target
#   never shrinks below a fifth of its first size, nor grows beyond five times).
#
# Write the new scale as a formula first (what is it for $\beta = 0$? for $\beta = 1$?), then the
# code. Return a number (a Python float), not a numpy array.


# %%
def damped_scale(scale: float, factor: float, cfg: SiamFCConfig) -> float:
    """The new scale: the current one times the damped factor, within [min_scale, max_scale]."""
    # HINT: damped factor: cfg.scale_lr of the way from 1 to factor; then clip
    # YOUR CODE HERE
    raise NotImplementedError('damped factor: cfg.scale_lr of the way from 1 to factor; then clip')


# %%
from siamfc_edu.checks.tracking import check_damped_scale

check_damped_scale(damped_scale)

# %% [markdown]
# ## Together: one frame of your tracker
#
# The shipped tracker follows the face of carphone to frame 3; then we run `tracker.step` on
# frame 3 and your nine functions on the same raw score maps, one after the other as §2.4 does,
# and compare each intermediate with the field of the `TrackStep`. Every line should say ok.

# %%
import matplotlib.pyplot as plt

from siamfc_edu import SiamFCTracker, viz
from siamfc_edu.data import read_annotations, read_video
from siamfc_edu.data.real import ANNOTATIONS_DIR

frames = read_video("carphone_pristine", max_frames=4)
first_box = read_annotations(ANNOTATIONS_DIR / "carphone_face.txt", 120)[0]  # 120 frames
tracker = SiamFCTracker.from_weights(device="cpu")
cfg = tracker.cfg
tracker.init(frames[0], first_box)
for frame in frames[1:3]:
    tracker.update(frame)
scale_before, center_before = tracker.scale, tracker.center.copy()
step = tracker.step(frames[3])


def same(what: str, mine: object, library: object) -> None:
    """Print ok when mine equals the tracker's value, else how they differ."""
    mine_a, library_a = np.asarray(mine, dtype=float), np.asarray(library, dtype=float)
    ok = mine_a.shape == library_a.shape and np.allclose(mine_a, library_a, 1e-4, 1e-10)
    print(f"{'ok' if ok else 'DIFFERS':8} {what}" + ("" if ok else f": {mine} vs {library}"))


try:
    mine_factors = scale_factors(cfg)
    same("scale factors", mine_factors, step.scale_factors)
    mine_up = upsample(step.raw_scores, cfg.upscale_size)
    same("upsampled maps", mine_up, step.upsampled)
    mine_penalty = scale_penalties(cfg)
    same("penalty per scale", mine_penalty, step.penalty)
    mine_pen = penalise(mine_up, mine_penalty)
    same("penalised maps", mine_pen, step.penalised)
    mine_best = int(mine_pen.reshape(len(mine_pen), -1).max(axis=1).argmax())
    same("chosen scale", mine_best, step.best_scale)
    mine_window = hann_window(cfg.upscale_size)
    same("cosine window", mine_window, step.window)
    mine_normalised = normalise(mine_pen[mine_best])
    same("normalised map", mine_normalised, step.normalised)
    mine_r = apply_window(mine_normalised, mine_window, cfg.window_influence)
    same("windowed map", mine_r, step.windowed)
    peak = np.unravel_index(mine_r.argmax(), mine_r.shape)
    same("peak (row, col)", peak, step.peak)
    moves = displacement(*peak, step.search_sides[mine_best], cfg)
    same("displacement in cells", moves[0], step.displacement_cells)
    same("displacement in crop px", moves[1], step.displacement_crop)
    same("displacement in frame px", moves[2], step.displacement_frame)
    mine_scale = damped_scale(scale_before, mine_factors[mine_best], cfg)
    same("new scale", mine_scale, step.scale)
except NotImplementedError as unfinished:
    print(f"not yet: finish the exercises above, then run this cell again ({unfinished})")
else:
    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    axes[0].imshow(mine_r, cmap="viridis")
    axes[0].plot(peak[1], peak[0], "w+", markersize=16, markeredgewidth=2)
    axes[0].set_title(f"your windowed map, scale {mine_best}: peak {tuple(map(int, peak))}")
    new_center = center_before + moves[2]
    new_size = tracker.target.base_size * mine_scale
    new_box = np.r_[new_center - new_size / 2, new_size]
    axes[1].imshow(viz.draw_box(viz.draw_peak(frames[3], new_center), new_box))
    axes[1].set_title("frame 3: your new centre and box")
    for ax in axes:
        ax.axis("off")
    plt.show()

# %% [markdown]
# ## Recap
# - The pyramid's factors are powers $s^k$ centred on $k = 0$; the maps are upsampled bicubically
#   to $N = 17 \cdot 16 = 272$ cells.
# - Every scale but the current one pays the penalty; the winner's map is normalised (minimum 0,
#   sum 1, on the window's scale: `normalise`), then mixed with the Hann window (`apply_window`).
# - The centre of $N$ cells numbered from 0 is $(N-1)/2$; a displacement goes cells $\to$ crop
#   pixels ($\times 8$) $\to$ frame pixels ($\times$ side / 255), as (column, row) = $(d_x, d_y)$.
# - The size moves only $\beta$ of the way to the winning factor, within
#   [`min_scale`, `max_scale`].
# - Your functions have the names and signatures of the library's: in the capstone (notebook 10)
#   the tracker runs with them in place of its own (`Pieces`).
