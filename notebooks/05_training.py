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
# # 05 · Training SiamFC
#
# Notebooks 01 to 04 built every piece: the embedding $\varphi$, the score map $f(z, x)$, the label
# map $y$ with its balanced logistic loss $L(y, v)$, and the pairs $(z, x)$. Training puts them
# together: find the weights $\theta$ of $\varphi$ that make the loss small over many pairs,
#
# $$ \arg\min_\theta \; \mathbb{E}_{(z, x, y)}\, L\big(y, f(z, x; \theta)\big), $$
#
# with stochastic gradient descent, as the paper sets it up (Bertinetto et al. 2016, §2.2); its
# §4.1 gives the recipe's numbers. This notebook reads that recipe in the library, runs it, stops
# and resumes it, looks at what batch norm keeps, and reads the command that trains the network of
# Table 1 on several GPUs.
#
# **Learning goals**
# - Read the recipe where the library keeps it, and where each number comes from (the paper's
#   text, the authors' code, or this course): SGD with momentum 0.9 and weight decay
#   $5 \cdot 10^{-4}$, a learning rate decayed geometrically from $10^{-2}$ to $10^{-5}$ over 50
#   epochs of 53,200 pairs, batches of 8.
# - Run a training run and read its run folder: `log.csv`, `loss.png`, `checkpoint.pth`,
#   `weights.pth`; plot its loss curve.
# - Stop a run after an epoch, `--resume` it, and check that it ends with the very same weights
#   as a run that was never stopped.
# - Say what batch-norm re-estimation does, run it, and quote what the ablation found.
# - Read the multi-GPU command: `torchrun`, DistributedDataParallel, a share of every batch per
#   process.
#
# **Assumes** notebooks `03_labels_and_loss` (the loss) and `04_training_pairs` (`PairDataset`,
# `FootagePairs`, mixing sources).
#
# **Time** about 40 minutes, plus 3 to 8 minutes of waiting for the real run of section 7 when
# quick mode is off.

# %% [markdown]
# **Quick mode and the full run.** With `SIAMFC_EDU_QUICK=1` (as CI runs it) every run here is
# small: a short run of 4 epochs x 128 pairs, three tiny runs of 32 pairs per
# epoch for resuming, a 2-process run of one tiny epoch, and batch-norm re-estimation on 8
# batches. Without quick mode the same cells run unchanged, the re-estimation uses 60 batches (as
# the model card's ablation did) and section 7 also runs a **real, reduced** version of the shipped
# training: 10 epochs x 2,000 pairs, 3 to 8 minutes on a 2-core CPU. Section 7 says how it differs
# from the 44-minute run that made the shipped weights.

# %%
import copy
import inspect
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Code, Image, display
from torch.utils.data import DataLoader

from siamfc_edu import cli
from siamfc_edu.config import get_preset, quick_mode
from siamfc_edu.crops import exemplar_crop, search_crop
from siamfc_edu.data import FootagePairs, MixedPairs, PairDataset, make_dataset, read_real_set
from siamfc_edu.model import build_model, default_weights, load_weights, read_checkpoint
from siamfc_edu.train import (
    RunOptions,
    learning_rate,
    make_optimizer,
    read_log,
    reestimate_batch_norm,
    runlog,
    train,
    train_step,
)
from siamfc_edu.train.loop import make_pairs, train_one_epoch

QUICK = quick_mode()
n_bn = 8 if QUICK else 60  # batches for batch-norm re-estimation (section 5); the ablation used 60
torch.manual_seed(0)
rng = np.random.default_rng(0)
work = Path(tempfile.mkdtemp(prefix="siamfc05_"))  # every file of this notebook goes here
paper, tiny = get_preset("paper"), get_preset("tiny")
print("quick mode:", QUICK, "| files under", work)

# %% [markdown]
# ## 1. The recipe
#
# The paper trains by minimising the mean loss over pairs with SGD (§2.2). With $\theta_t$ the
# weights after $t$ steps, $B_t$ a batch of pairs and $L_{B_t}$ its mean loss, each step is
# (PyTorch's form of SGD with momentum $\mu$ and weight decay $\lambda$):
#
# $$
# g_t = \nabla_\theta L_{B_t}(\theta_t) + \lambda\,\theta_t, \qquad
# b_t = \mu\, b_{t-1} + g_t, \qquad
# \theta_{t+1} = \theta_t - \eta_e\, b_t ,
# $$
#
# with $\mu = 0.9$, $\lambda = 5 \cdot 10^{-4}$ and a learning rate $\eta_e$ that depends only on
# the epoch $e$. The momentum buffer $b$ is a running sum of past gradients (each one weighted $0.9$
# less per step); the weight decay term pulls every weight slightly towards 0.
#
# The learning rate falls *geometrically* from $\eta_0 = 10^{-2}$ in the first epoch to
# $\eta_{E-1} = 10^{-5}$ in the last of $E = 50$ epochs:
#
# $$ \eta_e = \eta_0 \left(\frac{\eta_{E-1}}{\eta_0}\right)^{e/(E-1)},
#    \qquad e = 0, 1, \dots, E-1, $$
#
# so each epoch multiplies it by the same factor $(10^{-3})^{1/49} \approx 0.8685$.
#
# The paper's text and the authors' code (`experiment.m` of their public SiamFC repository) are
# two sources, and they differ in places. Where each number comes from:
#
# | quantity | paper's text (§4.1) | authors' code (`experiment.m`) | `paper` preset | `tiny` |
# |---|---|---|---|---|
# | epochs | 50 | 50 | 50 | 50 |
# | pairs per epoch | 50,000 | 53,200 (`numPairs = 5.32e4`) | 53,200 | 53,200 |
# | batch size | 8 | 8 | 8 | 16 |
# | learning rate | $10^{-2} \to 10^{-5}$, geometric, per epoch | the same | the same | the same |
# | optimiser | SGD (§2.2) | SGD | SGD | SGD |
# | momentum | not given | 0.9 | 0.9 | 0.9 |
# | weight decay | not given | $5 \cdot 10^{-4}$ | $5 \cdot 10^{-4}$ | $5 \cdot 10^{-4}$ |
# | label radius $R$ | $R$ (§2.2) | 16 px | 16 px | 16 px |
# | frame gap $T$ | $T$ (§2.2) | 100 frames | 100 frames | 100 frames |
#
# So "the paper's recipe" below means the paper's schedule with the authors' code's numbers, as
# the `paper` preset holds them; the one number where the two sources disagree is the pairs per
# epoch. Every number is a field of the preset:

# %% tags=["nbval-check-output"]
recipe = ["epochs", "pairs_per_epoch", "batch_size", "lr_initial", "lr_final", "momentum"]
recipe += ["weight_decay", "r_pos", "max_frame_gap"]
print(f"{'field':<16} {'paper':>8} {'tiny':>8}")
for name in recipe:
    print(f"{name:<16} {getattr(paper, name):>8g} {getattr(tiny, name):>8g}")

# %%
assert (paper.momentum, paper.weight_decay, paper.batch_size) == (0.9, 5e-4, 8)
schedule = (paper.lr_initial, paper.lr_final, paper.epochs, paper.pairs_per_epoch)
assert schedule == (1e-2, 1e-5, 50, 53_200)
assert (paper.r_pos, paper.max_frame_gap) == (16, 100)  # R = 16 px, T = 100 frames (notebook 04)
print("ok: the paper preset holds the authors' experiment.m recipe; tiny differs in its batch (16)")

# %% [markdown]
# The two functions that hold the recipe are a few lines each:

# %%
display(Code(inspect.getsource(learning_rate), language="python"))
display(Code(inspect.getsource(make_optimizer), language="python"))

# %% [markdown]
# The learning rate over the epochs, on a log scale, where a geometric decay is a straight line.
# Three schedules: the paper's 50 epochs, the 30 epochs of the run that made the shipped tiny
# weights, and the 4 epochs of the short run of section 3. They share their end points: a shorter
# run decays faster per epoch.

# %%
short_epochs = 4
fig, ax = plt.subplots(figsize=(7, 3.6))
for epochs, style, label in [
    (50, "o-", "paper: 50 epochs"),
    (30, "s-", "shipped tiny: 30"),
    (short_epochs, "D-", f"short run: {short_epochs}"),
]:
    cfg_e = get_preset("paper", epochs=epochs)
    e = np.arange(epochs)
    ax.semilogy(e, [learning_rate(int(i), cfg_e) for i in e], style, ms=3, label=label)
ax.axhline(1e-2, color="gray", ls=":", lw=1)
ax.axhline(1e-5, color="gray", ls=":", lw=1)
ax.set(
    xlabel="epoch $e$ (from 0)",
    ylabel="learning rate $\\eta_e$ (log scale)",
    title="learning_rate(epoch, cfg): $10^{-2} \\to 10^{-5}$, geometric",
)
ax.legend()
plt.tight_layout()
plt.show()

# %% tags=["nbval-check-output"]
rates = np.array([learning_rate(e, paper) for e in range(paper.epochs)])
ratios = rates[1:] / rates[:-1]
print(f"epoch 0: {rates[0]:.3g}   epoch 24: {rates[24]:.3g}   epoch 49: {rates[-1]:.3g}")
print(f"factor per epoch: {ratios.mean():.4f} = (1e-3)^(1/49) = {1e-3 ** (1 / 49):.4f}")
assert math.isclose(rates[0], 1e-2) and math.isclose(rates[-1], 1e-5, rel_tol=1e-9)
assert np.allclose(ratios, 1e-3 ** (1 / 49), rtol=1e-9)
steps = paper.pairs_per_epoch // paper.batch_size
print(
    f"{paper.pairs_per_epoch:,} pairs / batch {paper.batch_size} = {steps:,} steps per epoch, "
    f"{steps * paper.epochs:,} SGD steps and {paper.pairs_per_epoch * paper.epochs:,} pairs "
    "in all"
)
print("ok: the end points are the paper's 1e-2 and 1e-5, with one factor per epoch")

# %% [markdown]
# 2.66 million pairs. The README measured the paper preset at about 18 training pairs per second
# on this project's 2-core CPU: about 41 hours for the whole recipe. That is why the course trains
# the `tiny` preset (a sixth of the channels) on the CPU and leaves the paper preset to a GPU
# (section 6).
#
# Does `make_optimizer` really apply $\mu$ and $\lambda$ as the update rule above says? A worked
# example on a two-weight "network": three steps with a fixed gradient, by the formula and by the
# library's optimiser.

# %%
toy = torch.nn.Linear(2, 1, bias=False)
with torch.no_grad():
    toy.weight.copy_(torch.tensor([[1.0, -2.0]]))
optimizer = make_optimizer(toy, paper)
grad = torch.tensor([[0.5, 0.25]])
theta, buffer = toy.weight.detach().clone(), torch.zeros(1, 2)
eta, mu, lam = paper.lr_initial, paper.momentum, paper.weight_decay
for t in range(3):
    toy.weight.grad = grad.clone()
    optimizer.step()  # the library's SGD
    buffer = mu * buffer + (grad + lam * theta)  # the formula, by hand
    theta = theta - eta * buffer
    print(f"step {t + 1}: SGD {toy.weight.data.numpy().round(6)}  formula {theta.numpy().round(6)}")
assert torch.allclose(toy.weight.data, theta, atol=1e-7)
print("ok: make_optimizer is SGD with momentum 0.9 and weight decay 5e-4")

# %% [markdown]
# ## 2. One step: `train_step`
#
# One SGD step on one batch. Read it: the crops go to the device, the score maps $v = f(z, x)$
# are computed (under mixed precision on a GPU only), the loss of notebook 03 compares them with
# the labels, and the optimiser takes the step of section 1. On a CPU the `GradScaler` is
# disabled and passes the loss through unchanged.

# %%
display(Code(inspect.getsource(train_step), language="python"))

# %% [markdown]
# We need pairs. As for the shipped weights, half of them come from a generated ImageNet-VID
# data set (notebook 04), written into the temporary folder, and half are label-free pairs cut
# from the real footage (`FootagePairs`), mixed with `MixedPairs`. The generated set here is
# tiny: 8 videos of 20 frames, a second or two.

# %%
generated = make_dataset(
    work / "generated", videos=8, seed=0, eval_videos=0, frames_per_video=20, verbose=False
)
MIX = f"{generated}:0.5,footage:0.5"  # the --data of every run below: a 50/50 mix
n_pairs = 16 * n_bn  # enough for the batch-norm batches of section 5 too
pairs = MixedPairs(
    [
        PairDataset(tiny, generated, length=n_pairs, seed=0),
        FootagePairs(tiny, length=n_pairs, seed=0),
    ],
    [0.5, 0.5],
    seed=0,
)
z, x, labels = next(iter(DataLoader(pairs, batch_size=tiny.batch_size)))

# %% tags=["nbval-check-output"]
shapes = [tuple(t.shape) for t in (z, x, labels)]
print("exemplars z:", shapes[0], "search images x:", shapes[1], "labels:", shapes[2])
print(
    "sources of the 16 pairs (0 generated, 1 footage):",
    [pairs.source_of(i) for i in range(tiny.batch_size)],
)
assert z.shape == (16, 3, 127, 127) and x.shape == (16, 3, 255, 255)
assert labels.shape == (16, 17, 17)
print("ok: a batch of 16 pairs (tiny preset), 127 / 255 crops, 17 x 17 label maps")

# %% [markdown]
# Five steps on that same batch, from a freshly initialised tiny network. The loss starts near
# $\log 2 \approx 0.693$, the loss of a flat map (notebook 03): the correlation is scaled by 0.001,
# so the first scores are small. Then it falls.

# %%
torch.manual_seed(0)
net = build_model(tiny)
optimizer = make_optimizer(net, tiny)
scaler = torch.amp.GradScaler("cuda", enabled=False)  # no loss scaling on a CPU
step_losses = [
    float(train_step(net, (z, x, labels), optimizer, scaler, torch.device("cpu"))) for _ in range(5)
]
print("loss at each step (before its update):", [round(v, 4) for v in step_losses])
assert abs(step_losses[0] - math.log(2)) < 0.1 and step_losses[-1] < step_losses[0]
print("ok: the first loss is near log 2, and the steps lower it")

# %% [markdown]
# ## 3. A short run, and its run folder
#
# `train(cfg, opts)` runs a whole run: it builds the network, the optimiser and the pairs, then
# calls `train_one_epoch` for each epoch $e = 0, 1, \dots$. That function is the part to read: it
# sets the epoch's learning rate, draws that epoch's pairs (a function of seed, epoch and index),
# takes one `train_step` per batch, and then (`end_epoch`) measures loss and peak distance on
# fixed held-out pairs, logs a row and saves a checkpoint. The rest (several processes, resuming)
# is in `siamfc_edu/train/loop.py`. The recipe's numbers come from the preset; where and how to
# run is `RunOptions`:

# %%
display(Code(inspect.getsource(train_one_epoch), language="python"))
print("RunOptions fields:", ", ".join(RunOptions.__dataclass_fields__))

# %% [markdown]
# The short run: the tiny preset's recipe, shortened to 4 epochs of 128 pairs (8 steps of 16 pairs
# per epoch), on the mix; quick mode runs it unchanged. `workers=0` loads the pairs in this
# process: for a run this small, starting worker processes costs more than it saves. Each epoch
# prints one line, numbered from 0 as in the run's `log.csv`, and the run's time comes after the
# last. It took 91 s on the project's 2-core CPU with little else running (load average 0.6 when
# it started): about 6 pairs per second, validation included. Other jobs on the CPU slow it down.

# %%
cfg_short = get_preset("tiny", epochs=short_epochs, pairs_per_epoch=128)
short_run = work / "runs" / "short"
start = time.perf_counter()
train(cfg_short, RunOptions(data=MIX, out=short_run, workers=0, val_pairs=32, progress=False))
print(f"short run: {time.perf_counter() - start:.1f} s")

# %% [markdown]
# What a run leaves in its folder (`runlog.py`): `log.csv`, one row per epoch; `loss.png`, the
# curves of that log, redrawn every epoch; `checkpoint.pth`, the last finished epoch (section 4);
# `weights.pth`, the final weights, written once the last epoch is done.

# %% tags=["nbval-check-output"]
print("files:", sorted(p.name for p in short_run.iterdir()))
log = read_log(short_run / "log.csv")
print("columns:", ", ".join(runlog.LOG_FIELDS))
for row in log:
    print(f"epoch {int(row['epoch'])}: lr {row['lr']:.3g}")
assert [int(r["epoch"]) for r in log] == list(range(short_epochs))
assert all(r["lr"] == learning_rate(int(r["epoch"]), cfg_short) for r in log)
print("ok: one row per epoch, each with its learning_rate(epoch, cfg)")

# %%
for row in log:
    print(
        f"epoch {int(row['epoch'])}: train loss {row['train_loss']:.4f}, val loss "
        f"{row['val_loss']:.4f}, val peak distance {row['val_center_error_px']:.1f} px, "
        f"{row['pairs_per_s']:.0f} pairs/s"
    )
assert all(math.isfinite(r["train_loss"]) and math.isfinite(r["val_loss"]) for r in log)
assert log[-1]["train_loss"] < log[0]["train_loss"]
assert log[-1]["val_center_error_px"] < log[0]["val_center_error_px"]
print("ok: finite losses; the training loss and the validation peak distance fell")

# %% [markdown]
# The loss curve, drawn from `log.csv`. The *validation peak distance* is the library's extra
# measure (`peak_distance` in `recipe.py`): how far, in search-image pixels, the peak of the
# upsampled score map lands from the true centre, on held-out pairs. A network that knows nothing
# lands anywhere in the central part of the map; one that tracks lands within a few pixels.


# %%
def plot_run(rows, title):
    """Loss, learning rate and validation peak distance per epoch, from a run's log rows."""
    ep = [r["epoch"] for r in rows]  # numbered from 0, as in log.csv
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.5))
    axes[0].plot(ep, [r["train_loss"] for r in rows], "o-", label="training")
    axes[0].plot(ep, [r["val_loss"] for r in rows], "s-", label="validation")
    axes[0].axhline(math.log(2), color="gray", ls=":", lw=1, label="log 2 (flat map)")
    axes[0].set(xlabel="epoch", ylabel="balanced logistic loss", title="loss")
    axes[0].legend()
    axes[1].semilogy(ep, [r["lr"] for r in rows], "D-", color="C4")
    axes[1].set(xlabel="epoch", ylabel="learning rate", title="learning rate (log)")
    axes[2].plot(ep, [r["val_center_error_px"] for r in rows], "s-", color="C2")
    axes[2].set(
        xlabel="epoch", ylabel="pixels (search image)", title="validation: peak to true centre"
    )
    for ax in axes:
        ax.set_xticks(ep if len(ep) <= 10 else ep[:: len(ep) // 10])
    fig.suptitle(title)
    plt.tight_layout()
    plt.show()


plot_run(log, f"short run: {short_epochs} epochs x {cfg_short.pairs_per_epoch} pairs")

# %% [markdown]
# Four points do not make much of a curve, and 512 pairs teach little. What this run can show:
# the training loss falls, and the validation peak falls closer to the true centre (in our run
# from 8.9 to 2.1 px). What it **cannot** show is the validation loss falling: on 32 held-out
# pairs it moves by less than its noise (in our run 0.650, 0.622, 0.633, 0.657: it ended above
# where it started). A longer run shows it: the shipped run's validation loss ends at 0.227 after
# 30 epochs x 8,000 pairs (model card; its curve is in section 7), and with quick mode off
# section 7 trains a reduced run of 10 epochs x 2,000 pairs and draws its curve. In those curves
# most of the drop comes in the first epochs, while the learning rate is large.
#
# What did those 32 steps change? The score maps of three networks with the same structure, for
# one pair the training never saw: the face in `carphone` (the hand-drawn box of frame 0 for $z$,
# of frame 100 for $x$, so the face is at the centre of $x$). Random weights, the short run, and
# the shipped weights (30 epochs x 8,000 pairs).

# %%
face = next(s for s in read_real_set() if s.name == "carphone_face")
z_img = exemplar_crop(face.frames[0], face.boxes[0], tiny)
x_img = search_crop(face.frames[100], face.boxes[100], tiny)


def score_map(model, z_image, x_image):
    """The 17 x 17 score map of one pair of crops (uint8 RGB; the network takes 0..255 floats)."""
    as_tensor = [
        torch.from_numpy(np.ascontiguousarray(im.transpose(2, 0, 1))).float()[None]
        for im in (z_image, x_image)
    ]
    with torch.no_grad():
        return model.eval()(*as_tensor)[0, 0].numpy()


torch.manual_seed(0)
networks = {
    "random weights": build_model(tiny),
    f"short run ({short_epochs} x {cfg_short.pairs_per_epoch})": load_weights(
        short_run / "weights.pth"
    )[0],
    "shipped (30 x 8,000)": load_weights(default_weights("tiny"))[0],
}
maps = {name: score_map(model, z_img, x_img) for name, model in networks.items()}

fig, axes = plt.subplots(1, 2 + len(maps), figsize=(15, 3.3))
axes[0].imshow(z_img)
axes[0].set_title("exemplar z (frame 0)")
axes[1].imshow(x_img)
axes[1].set_title("search image x (frame 100)")
for ax, (name, m) in zip(axes[2:], maps.items(), strict=True):
    ax.imshow(m, cmap="viridis")
    peak = np.unravel_index(m.argmax(), m.shape)
    ax.plot(8, 8, "w+", ms=12)
    ax.plot(peak[1], peak[0], "rx", ms=8)
    ax.set_title(f"{name}\npeak at cell {tuple(int(i) for i in peak)}", fontsize=9)
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
plt.tight_layout()
plt.show()
shipped_peak = np.unravel_index(maps["shipped (30 x 8,000)"].argmax(), (17, 17))
assert max(abs(shipped_peak[0] - 8), abs(shipped_peak[1] - 8)) <= 1
print("ok: the shipped weights peak within one cell of the centre (white +); red x: each peak")

# %% [markdown]
# Each map has its own colour scale. The random network's peak lands wherever its untrained
# features happen to respond most, far from the face. Training makes the map high where $x$ shows
# the exemplar and low elsewhere. In our run even the 32 steps of the short run put the peak on
# the face, in a rough map with other bumps (what a run this short learns depends on the random seed
# and the pairs); the shipped weights, with about 470 times more steps, give a smoother map with
# one compact peak.

# %% [markdown]
# ## 4. Checkpoints and `--resume`
#
# A long run will be stopped: a laptop closed, a cluster job out of time. After every epoch the
# run saves `checkpoint.pth`, and `--resume` continues from it. Continuing *exactly* needs three
# things, and the checkpoint holds the first:
#
# 1. the model's weights and batch-norm statistics, the optimiser's state (the momentum buffer
#    $b$ of every weight) and the gradient scaler's state, with the epoch just finished;
# 2. the learning rate, a function of the epoch only (section 1);
# 3. the pairs, a function of (seed, epoch, index) only (notebook 04).
#
# So a resumed run should end with the same weights as a run that was never stopped: not close,
# *equal*. The code that loads a checkpoint:

# %%
display(Code(inspect.getsource(runlog.resume), language="python"))

# %% [markdown]
# Two tiny runs of 3 epochs x 32 pairs (batches of 8), on the generated set only and on the CPU
# (the same arithmetic in the same order every time). Run A is never stopped, with
# `train(cfg, RunOptions(...))`. Run B goes through the command line instead (`siamfc_edu.cli.main`
# is what the `siamfc-edu` command runs): stopped after its first epoch with `--stop-after 1`, as
# if killed, then continued with `--resume`.

# %%
cfg_resume = get_preset("tiny", epochs=3, pairs_per_epoch=32, batch_size=8)
run_a, run_b = work / "runs" / "unbroken", work / "runs" / "stopped"
train(
    cfg_resume,
    RunOptions(data=generated, out=run_a, workers=0, val_pairs=16, device="cpu", progress=False),
)

cli_args = ["train", "--preset", "tiny", "--data", str(generated), "--out", str(run_b)]
cli_args += "--epochs 3 --pairs-per-epoch 32 --batch-size 8".split()
cli_args += "--workers 0 --val-pairs 16 --device cpu".split()
print("siamfc-edu", " ".join(cli_args), "--stop-after 1")
assert cli.main([*cli_args, "--stop-after", "1"]) == 0

# %% [markdown]
# Run B stopped after its first epoch, epoch 0: a checkpoint, but no final weights. What the
# checkpoint holds:

# %% tags=["nbval-check-output"]
ckpt = read_checkpoint(run_b / "checkpoint.pth")
print("files:", sorted(p.name for p in run_b.iterdir()))
print("checkpoint keys:", sorted(ckpt))
print(f"finished epoch: {ckpt['epoch']} (0-based) | preset: {ckpt['config']['name']}", end=" ")
print("| tensors in the model:", len(ckpt["model"]))
print("optimiser state of the first weight:", sorted(ckpt["optimizer"]["state"][0]))
assert not (run_b / "weights.pth").exists() and ckpt["epoch"] == 0

# %%
print("siamfc-edu", " ".join(cli_args), "--resume")
assert cli.main([*cli_args, "--resume"]) == 0

# %% [markdown]
# Now compare run A, never stopped, with run B, stopped and resumed: every tensor of the final
# weights (weights, biases, batch-norm statistics) with `torch.equal`, which demands every bit.

# %% tags=["nbval-check-output"]
weights_a = read_checkpoint(run_a / "weights.pth")["model"]
weights_b = read_checkpoint(run_b / "weights.pth")["model"]
equal = [torch.equal(weights_a[k], weights_b[k]) for k in weights_a]
print(f"{sum(equal)} of {len(equal)} tensors bit-for-bit equal")
assert weights_a.keys() == weights_b.keys() and all(equal)
log_a, log_b = read_log(run_a / "log.csv"), read_log(run_b / "log.csv")
assert [r["train_loss"] for r in log_a] == [r["train_loss"] for r in log_b]
print(f"ok: the resumed run ends with the same weights and logs the same {len(log_b)} epochs")

# %% [markdown]
# Only epochs that finished are kept: a run killed in the middle of epoch 2 resumes at the start
# of epoch 2. The last two checkpoints are kept (`checkpoint.pth` and `checkpoint_previous.pth`),
# each written atomically (a temporary file, then a rename): a crash while saving, or a damaged
# newest file, falls back to the one before. `--resume` with a checkpoint of another preset, or
# with a changed recipe (another seed, say), is refused with a message that lists the differences.
# A loss that turns `nan` stops the run, keeping the last good checkpoint: lower the learning rate
# and resume.

# %% [markdown]
# ## 5. Batch-norm re-estimation
#
# Every convolution of $\varphi$ but the last is followed by batch norm. For a channel with
# activations $a$ it computes $\hat a = \gamma\,(a - m)/\sqrt{s^2 + \epsilon} + \beta$. In training,
# $m$ and $s^2$ are the mean and variance of the current batch; the layer also keeps *running*
# estimates for later, updated at every forward pass with momentum $0.05$:
#
# $$ m_{\text{run}} \leftarrow 0.95\, m_{\text{run}} + 0.05\, m_{\text{batch}} . $$
#
# The tracker runs the network in evaluation mode, with $m_{\text{run}}$ and
# $s^2_{\text{run}}$. Those were averaged over weights that kept changing during the run, and over
# training crops, not the tracker's. **Re-estimating** them means one more pass over $N$ fresh
# batches with the final weights frozen, keeping a plain average instead of a moving one:
#
# $$ m_{\text{run}} = \frac{1}{K} \sum_{k=1}^{K} m_{\text{batch}, k} ,$$
#
# over the $K = 2N$ forward passes ($\varphi$ embeds the exemplars and the search images of every
# batch separately). The statistics then belong to the network the tracker runs. No label is used.
# (README, "Batch-norm re-estimation"; `siamfc-edu train ... --bn-batches N` does it at the end
# of a run.)
#
# Two forward passes per step show in the shipped weights: each batch norm counts its updates.

# %% tags=["nbval-check-output"]
shipped = read_checkpoint(default_weights("tiny"))
sc = shipped["config"]
updates = int(shipped["model"]["backbone.conv1.1.num_batches_tracked"])
print(
    f"shipped run: {sc['epochs']} epochs x {sc['pairs_per_epoch']:,} pairs / batch "
    f"{sc['batch_size']} = {sc['epochs'] * sc['pairs_per_epoch'] // sc['batch_size']:,} steps; "
    f"conv1's batch norm was updated {updates:,} times; bn_batches = {shipped['bn_batches']}"
)
assert updates == 2 * sc["epochs"] * sc["pairs_per_epoch"] // sc["batch_size"]
print("ok: two updates per step (z and x), and the shipped weights were not re-estimated")

# %% [markdown]
# With momentum $0.05$ an update's weight halves every $\ln 2 / (-\ln 0.95) \approx 13.5$ updates
# (about 7 steps, at two updates per step), so the running statistics mostly reflect the last few
# dozen steps. The library's function:

# %%
display(Code(inspect.getsource(reestimate_batch_norm), language="python"))

# %% [markdown]
# Re-estimate the short run's batch norms on fresh batches of the same mix. "Fresh": drawn for
# an epoch the run never trained on (epoch index 4; the run trained on epochs 0 to 3), as `train`
# does with `--bn-batches`. We keep a copy of the model to compare.

# %%
pairs.set_epoch(cfg_short.epochs)  # the mix of section 2, drawn for an epoch never trained on
bn_batches = list(DataLoader(pairs, batch_size=16))[:n_bn]  # kept, to check them below
before = load_weights(short_run / "weights.pth")[0]
after = copy.deepcopy(before)
start = time.perf_counter()
reestimate_batch_norm(after, bn_batches, n_bn, torch.device("cpu"))
print(f"re-estimated on {n_bn} batches in {time.perf_counter() - start:.1f} s")

# %% [markdown]
# Checks: only the running statistics changed (every weight and bias is bit-for-bit the same),
# each batch norm counted $2N$ updates, and conv1's new running mean is the plain average of the
# $2N$ batch means, computed here naively with conv1 itself on the same batches.

# %%
sd_before, sd_after = before.state_dict(), after.state_dict()
stats = [k for k in sd_before if "running" in k or "num_batches" in k]
assert all(torch.equal(sd_before[k], sd_after[k]) for k in sd_before if k not in stats)
assert all(int(sd_after[k]) == 2 * n_bn for k in stats if "num_batches" in k)
conv1, bn1 = after.backbone.conv1[0], after.backbone.conv1[1]
with torch.no_grad():
    means = [conv1(t).mean(dim=(0, 2, 3)) for zb, xb, _ in bn_batches for t in (zb, xb)]
naive_mean = torch.stack(means).mean(0)
print(
    f"largest |naive - running mean| in conv1: {(naive_mean - bn1.running_mean).abs().max():.2e}"
    f" (values up to {naive_mean.abs().max():.1f})"
)
assert len(means) == 2 * n_bn
assert torch.allclose(naive_mean, bn1.running_mean, rtol=1e-4, atol=1e-3)
print(f"ok: weights untouched, {2 * n_bn} updates per batch norm, conv1's mean = the plain average")

# %% [markdown]
# Every channel of the four batch norms, before and after (one dot per channel; on the grey line
# nothing changed):

# %%
norms = [n for n, m in before.named_modules() if isinstance(m, torch.nn.BatchNorm2d)]
fig, axes = plt.subplots(2, len(norms), figsize=(13, 6))
for col, name in enumerate(norms):
    for row, stat in enumerate(["running_mean", "running_var"]):
        ax = axes[row, col]
        old, new = sd_before[f"{name}.{stat}"], sd_after[f"{name}.{stat}"]
        ax.scatter(old, new, s=12, color=f"C{col}")
        lo, hi = float(min(old.min(), new.min())), float(max(old.max(), new.max()))
        ax.plot([lo, hi], [lo, hi], color="gray", lw=1, zorder=0)
        ax.set_title(
            f"{name.split('.')[1]}: {stat.replace('_', ' ')} ({len(old)} channels)", fontsize=9
        )
axes[0, 0].set_ylabel("re-estimated")
axes[1, 0].set_ylabel("re-estimated")
for ax in axes[1]:
    ax.set_xlabel("after training (moving average)")
fig.suptitle(f"short run: batch-norm statistics before and after re-estimation ({n_bn} batches)")
plt.tight_layout()
plt.show()

# %% [markdown]
# Most dots stay near the line; where they leave it (in our run, conv2's variances came out a
# little lower), the moving average had drifted from what the final weights produce. Whether
# that makes a *better tracker* cannot be read from this picture: it has to be measured. The
# model card did, and we quote it rather than re-measure it (9 training runs of 10 epochs x 2,000
# pairs, each scored twice: about an hour on this CPU). Its ablation trained the tiny preset on
# each of three sources, 3 seeds each, and scored every run without and with re-estimation on 60
# fresh batches. The score is multi-start success AUC on
# four sets (notebook 07 explains it), as mean $\pm$ spread (max $-$ min) over the 3 seeds.
#
# | configuration | real validation | real evaluation | real held-out quarter | generated |
# |---|---|---|---|---|
# | generated | 0.665 ± 0.091 | 0.645 ± 0.072 | 0.718 ± 0.060 | 0.641 ± 0.016 |
# | generated +bn | 0.686 ± 0.085 | 0.640 ± 0.055 | 0.708 ± 0.036 | 0.642 ± 0.016 |
# | footage | 0.777 ± 0.029 | 0.715 ± 0.041 | 0.818 ± 0.059 | 0.501 ± 0.031 |
# | footage +bn | 0.761 ± 0.035 | 0.712 ± 0.055 | 0.814 ± 0.063 | 0.500 ± 0.031 |
# | mix | 0.746 ± 0.069 | 0.702 ± 0.027 | 0.799 ± 0.017 | 0.608 ± 0.010 |
# | mix +bn | 0.751 ± 0.043 | 0.701 ± 0.030 | 0.799 ± 0.022 | 0.608 ± 0.007 |
#
# (from `siamfc_edu/assets/weights/MODEL_CARD.md`). The change that re-estimation makes, next to
# the spread across random seeds:

# %% tags=["nbval-check-output"]
score_sets = ["real validation", "real evaluation", "real held-out quarter", "generated"]
ablation = {  # (mean, spread) per score set, quoted from the model card's table
    "generated": [(0.665, 0.091), (0.645, 0.072), (0.718, 0.060), (0.641, 0.016)],
    "generated +bn": [(0.686, 0.085), (0.640, 0.055), (0.708, 0.036), (0.642, 0.016)],
    "footage": [(0.777, 0.029), (0.715, 0.041), (0.818, 0.059), (0.501, 0.031)],
    "footage +bn": [(0.761, 0.035), (0.712, 0.055), (0.814, 0.063), (0.500, 0.031)],
    "mix": [(0.746, 0.069), (0.702, 0.027), (0.799, 0.017), (0.608, 0.010)],
    "mix +bn": [(0.751, 0.043), (0.701, 0.030), (0.799, 0.022), (0.608, 0.007)],
}
configs = ["generated", "footage", "mix"]
delta = np.array(
    [[b[0] - a[0] for a, b in zip(ablation[c], ablation[c + " +bn"], strict=True)] for c in configs]
)
spread = np.array(
    [
        [min(a[1], b[1]) for a, b in zip(ablation[c], ablation[c + " +bn"], strict=True)]
        for c in configs
    ]
)
print(f"{'+bn minus without':<18}" + "".join(f"{s:>23}" for s in score_sets))
for c, d, s in zip(configs, delta, spread, strict=True):
    print(f"{c:<18}" + "".join(f"{v:+13.3f} (spread {w:.3f})" for v, w in zip(d, s, strict=True)))
assert np.all(np.abs(delta) <= spread)
assert np.isclose(delta[:, 0].min(), -0.016) and np.isclose(delta[:, 0].max(), 0.021)
assert np.abs(delta[:, 1:]).max() <= 0.010 + 1e-9
print(
    "ok: no change beyond the smaller seed spread; -0.016 to +0.021 on validation, "
    "at most 0.010 elsewhere"
)

# %%
fig, ax = plt.subplots(figsize=(9, 3.6))
width = 0.2
for j, name in enumerate(score_sets):
    pos = np.arange(len(configs)) + (j - 1.5) * width
    ax.bar(pos, delta[:, j], width, color=f"C{j}", label=name)
    ax.errorbar(
        pos, np.zeros(len(configs)), yerr=spread[:, j], fmt="none", ecolor="gray", capsize=3, lw=1
    )
ax.axhline(0, color="k", lw=0.8)
ax.set_xticks(np.arange(len(configs)), configs)
ax.set(
    ylabel="AUC with re-estimation minus without",
    title="batch-norm re-estimation (model card, 3 seeds each); gray: ± the spread over seeds",
)
ax.legend(fontsize=8, ncol=2)
plt.tight_layout()
plt.show()

# %% [markdown]
# What the ablation found: **re-estimation changed no configuration by more than its spread across
# random seeds**: $-0.016$ to $+0.021$ on the real validation set, at most $0.010$ on the evaluation
# sets, in both directions. Here it neither helps nor hurts measurably, so it is *off* in the
# shipped weights and stays an option (`--bn-batches N`). One plausible reason it matters little
# here: the learning rate ends at $10^{-5}$, so over the last few dozen steps that the moving
# average remembers, the weights barely change. A recipe whose weights still move at the end (a
# large final learning rate, or a fine-tuning stage) has more to gain.

# %% [markdown]
# ## 6. Several GPUs: `torchrun` and DistributedDataParallel
#
# The paper's network on ImageNet VID is a job for a GPU, or several. One command (README):
#
# ```bash
# torchrun --nproc_per_node 2 -m siamfc_edu.train --preset paper --data ILSVRC2015 --out runs/paper
# ```
#
# - `torchrun --nproc_per_node 2` starts 2 copies of the program on this machine, one per GPU,
#   and tells each its rank (0 or 1) and the world size (2) through environment variables.
# - `-m siamfc_edu.train` is the program: the same training as `siamfc-edu train`. When it sees
#   `WORLD_SIZE > 1` it joins the process group (`nccl` on GPUs, `gloo` on CPUs) and wraps the
#   network in `DistributedDataParallel` (DDP).
# - `--preset paper` is SiamFC-3s with the recipe of section 1; `--data ILSVRC2015` the root of
#   ImageNet VID 2015 (the same reader as our generated copy); `--out runs/paper` the run folder.
#
# Each process loads **its share of every batch**: with $P$ processes and a batch of 8, a
# `DistributedSampler` gives process $p$ the pairs $p, p + P, p + 2P, \dots$, in batches of
# $8 / P$ (the batch size must divide). Each computes the loss $L_p$ of its share and its
# gradient; DDP averages the gradients over the processes during `backward`,
#
# $$ \nabla_\theta L_B = \frac{1}{P} \sum_{p=1}^{P} \nabla_\theta L_{B_p}, $$
#
# which is the gradient of the whole batch of 8, so every process takes the same SGD step and the
# weights of all copies stay identical. The recipe does not change: the same batch of 8, the same
# learning rate, with the work split. One exception: batch norm normalises with the statistics of
# each process's share (4 pairs instead of 8), so $P$ processes match one process closely, not
# bit for bit. Only rank 0 validates, writes the log and saves checkpoints. The code that splits
# the data:

# %%
display(Code(inspect.getsource(make_pairs), language="python"))

# %% [markdown]
# We can try it on the CPU: two processes with the `gloo` backend, one tiny epoch of run A's
# settings (`--stop-after 1` of 3 epochs, so the learning rate is run A's), each process with 4
# of every 8 pairs. It takes several seconds, most of it starting the processes and importing
# torch in each. `python -m torch.distributed.run` is `torchrun` (this way it is the notebook's
# Python); `--standalone` lets it pick a free port on this machine; `CUDA_VISIBLE_DEVICES=""` keeps
# it on the CPU (and so on `gloo`) even on a machine with GPUs; `OMP_NUM_THREADS=1` gives each
# process one core.

# %%
run_two = work / "runs" / "two_processes"
torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
command = [*torchrun, "-m", "siamfc_edu.train", *cli_args[1:], "--stop-after", "1"]
command[command.index(str(run_b))] = str(run_two)  # its own run folder
print("torchrun", " ".join(command[3:]))
start = time.perf_counter()
done = subprocess.run(
    command,
    capture_output=True,
    text=True,
    timeout=300,
    env={**os.environ, "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1"},
)
print(f"2 processes: {time.perf_counter() - start:.1f} s, exit code {done.returncode}")
assert done.returncode == 0, done.stderr[-2000:]

# %% [markdown]
# Its first epoch against run A's first epoch, one process with whole batches:

# %%
one, two = log_a[0], read_log(run_two / "log.csv")
print(f"{'':>12} {'train loss':>10} {'val loss':>9} {'lr':>8}")
print(f"{'1 process':>12} {one['train_loss']:10.4f} {one['val_loss']:9.4f} {one['lr']:8.3g}")
print(
    f"{'2 processes':>12} {two[0]['train_loss']:10.4f} {two[0]['val_loss']:9.4f} "
    f"{two[0]['lr']:8.3g}"
)
assert len(two) == 1 and two[0]["lr"] == one["lr"]  # rank 0 alone wrote one row
assert math.isclose(two[0]["train_loss"], one["train_loss"], rel_tol=0.05)
print("ok: one log row, the same learning rate, the training loss within 5% of one process")

# %% [markdown]
# Close, not equal: the batch-norm statistics of 4-pair shares differ from those of 8-pair
# batches. To use more GPUs, change only `--nproc_per_node`: 1, 2, 4 or 8, a divisor of the batch
# of 8. At the CPU's 18 pairs per second it would take about 41 hours (section
# 1); a GPU is far faster, but this course has not been timed on one, so it gives no GPU timing
# of its own.

# %% [markdown]
# ## 7. The real tiny run
#
# The shipped weights were made by these commands (model card), in 44 minutes on the project's
# 2-core CPU (about 32 minutes with the CPU to itself):
#
# ```bash
# siamfc-edu make-data --out data/generated2 --videos 2000 --seed 0 --eval-videos 30  # 84 s, 4 GB
# siamfc-edu curate --data data/generated2                                            # 65 s
# siamfc-edu train --preset tiny --data data/generated2:0.5,footage:0.5 --out runs/ship-mix \
#     --epochs 30 --pairs-per-epoch 8000 --workers 1 --seed 0                         # 44 min
# ```
#
# **What this notebook runs instead** (only when quick mode is off): the same three commands, the
# same preset, recipe, mix and seed, **reduced**: 200 generated videos instead of 2,000 (about
# 15 s and 400 MB with their crops, in the temporary folder) and **10 epochs x 2,000 pairs instead
# of 30 x 8,000**: 12 times fewer pairs, the length of each run of the model card's ablation, whose
# runs took 169 to 463 s on the project's 2-core CPU (the slower ones sharing it with other jobs).
# So expect 3 to 8 minutes. It is a real run of the recipe, **not** the shipped run,
# and its weights are not the shipped weights. (To reproduce those, run the commands above in a
# terminal; expect 45 minutes and 4 GB of disk.) In quick mode the cell only prints the commands.

# %%
real_data, real_run = work / "generated200", work / "runs" / "real"
commands = [
    ["make-data", "--out", str(real_data), "--videos", "200", "--seed", "0", "--eval-videos", "0"],
    ["curate", "--data", str(real_data)],
    ["train", "--preset", "tiny", "--data", f"{real_data}:0.5,footage:0.5", "--out", str(real_run)]
    + "--epochs 10 --pairs-per-epoch 2000 --workers 1 --seed 0".split(),
]
for args in commands:
    print("siamfc-edu", " ".join(args))
    if not QUICK:
        start = time.perf_counter()
        assert cli.main(args) == 0
        print(f"  ... {time.perf_counter() - start:.0f} s")
if QUICK:
    print("quick mode: not run (3 to 8 minutes; turn quick mode off to run it)")

# %% [markdown]
# Without quick mode: the reduced run's curve, from its run folder's `log.csv`. In both modes,
# below it: the shipped run's curve, as the model card shows it (`siamfc_tiny_loss.png`, 30 epochs
# x 8,000 pairs; its "centre error" is the same peak distance; last epoch: training loss 0.191,
# validation loss 0.227, validation peak distance 6.8 px). It is a picture from the model card,
# not something this notebook ran, and it numbers the epochs from 1 to 30, where `log.csv` and
# the plots above number them from 0.

# %%
if not QUICK:
    real_log = read_log(real_run / "log.csv")
    assert len(real_log) == 10 and (real_run / "weights.pth").is_file()
    plot_run(real_log, "this notebook's reduced run: 10 epochs x 2,000 pairs (not the shipped run)")
    last = real_log[-1]
    print(
        f"last epoch: training loss {last['train_loss']:.3f}, validation loss "
        f"{last['val_loss']:.3f}, validation peak distance {last['val_center_error_px']:.1f} px "
        "(shipped run: 0.191, 0.227, 6.8 px)"
    )
    real_map = score_map(load_weights(real_run / "weights.pth")[0], z_img, x_img)
    peak = tuple(int(i) for i in np.unravel_index(real_map.argmax(), real_map.shape))
    print(f"score map of the face pair of section 3: peak at cell {peak}, the centre is (8, 8)")
display(Image(filename=str(default_weights("tiny").with_name("siamfc_tiny_loss.png")), width=760))

# %% [markdown]
# The validation loss is measured on other pairs (the generated validation videos and the last
# quarter of each clip) and without augmentation, which is why it can sit above or below the
# training loss. Notebook 07 scores weights the way that counts for a tracker: success and
# precision on sequences with boxes.

# %% [markdown]
# Everything this notebook wrote is in one temporary folder (about 400 MB after the real run).
# Delete it when you are done looking at the run folders:

# %%
shutil.rmtree(work, ignore_errors=True)
print("deleted", work)

# %% [markdown]
# ## Recap
#
# - The recipe lives in `siamfc_edu/train/recipe.py` and the preset: SGD with momentum 0.9 and
#   weight decay $5 \cdot 10^{-4}$ (`make_optimizer`), a learning rate decayed geometrically from
#   $10^{-2}$ to $10^{-5}$ (`learning_rate(epoch, cfg)`, one factor per epoch), batches of 8 and
#   53,200 pairs per epoch (the authors' code; the paper's text says 50,000): 332,500 steps over
#   the 50 epochs. Momentum and weight decay are the authors' code's; the paper's text gives
#   neither.
# - `train(cfg, RunOptions(...))` or `siamfc-edu train` runs it and leaves a run folder:
#   `log.csv` (loss, validation loss, peak distance per epoch), `loss.png`, `checkpoint.pth`,
#   `weights.pth`.
# - The checkpoint holds weights, batch-norm statistics, the momentum buffers and the epoch; with
#   the learning rate and the pairs functions of the epoch, `--stop-after` then `--resume` ends
#   with bit-for-bit the weights of an unbroken run.
# - Batch-norm re-estimation (`reestimate_batch_norm`, `--bn-batches N`) replaces the moving
#   averages with a plain average over fresh batches with the final weights; the model card's
#   ablation found no change beyond the spread over random seeds, so the shipped weights go
#   without it.
# - `torchrun --nproc_per_node P -m siamfc_edu.train ...` splits every batch over $P$
#   processes; DDP averages their gradients, so the recipe stays the same.
#
# Next, notebook 06 runs the trained network as a tracker, one frame at a time.
#
# Exercise: `exercises/05_training.ipynb`
