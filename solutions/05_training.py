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
# # 05 · Training: exercises
#
# Notebook `05_training` read the training recipe (the paper's §2.2 and §4.1, with the numbers of
# the authors' code) in the library and ran it.
# Here you write its three pieces yourself:
#
# 1. **warm-up** `learning_rate(epoch, cfg)`: the learning rate of an epoch, decayed
#    geometrically from $10^{-2}$ to $10^{-5}$;
# 2. **medium** `make_optimizer(model, cfg)`: the optimiser, SGD with momentum 0.9 and weight
#    decay $5 \cdot 10^{-4}$ (the authors' code's values);
# 3. **harder** `train_step(model, batch, optimizer, scaler, device)`: one SGD step of SiamFC on
#    a batch of pairs, returning its loss.
#
# Each has the signature of the library function of `siamfc_edu.train` that it rebuilds, so that
# the library's training loop could call yours in its place. `cfg` is a preset
# (`siamfc_edu.config.SiamFCConfig`): your functions read the recipe's numbers from its fields.
#
# **Time** about 30 minutes.
#
# **How the checks work.** Below each exercise a check cell calls your function on several inputs
# (edge cases included) and compares every answer with the library's `siamfc_edu.train`. It
# prints one line: "passed" with the inputs it tried, or the first input where your answer
# differs, what differs (a rate, an optimiser's setting, a loss, how a weight moved), and, when
# your answer matches a typical mistake, its name and a hint. While a function still says
# `raise NotImplementedError`, its check prints "not implemented yet" and the notebook runs on.
# Write your code where it says `# YOUR CODE HERE` (delete the `raise` line), then run the cell
# and its check again. Do not call the library function you are rewriting: the point is to
# write it. The check of exercise 3 trains a small network for a few steps: it takes several
# seconds.

# %%
import torch

from siamfc_edu.config import get_preset
from siamfc_edu.losses import labels_for
from siamfc_edu.model import build_model

_ = torch.manual_seed(0)
paper, tiny = get_preset("paper"), get_preset("tiny")
print(
    f"the paper's recipe: {paper.epochs} epochs, lr {paper.lr_initial:g} -> {paper.lr_final:g}, "
    f"momentum {paper.momentum:g}, weight decay {paper.weight_decay:g}, batch {paper.batch_size}"
)

# %% [markdown]
# ## Exercise 1 (warm-up) · The learning rate of an epoch
#
# ```python
# learning_rate(epoch: int, cfg: SiamFCConfig) -> float
# ```
#
# The epochs of a run are numbered $e = 0, 1, \dots, E - 1$ ($E$ = `cfg.epochs`). The rate starts
# at $\eta_0$ = `cfg.lr_initial` in the first epoch and falls *geometrically* (by the same factor
# every epoch) to exactly $\eta_{E-1}$ = `cfg.lr_final` in the last one:
#
# $$ \eta_e = \eta_0 \left(\frac{\eta_{E-1}}{\eta_0}\right)^{e/(E-1)} . $$
#
# The rate changes once per **epoch**: the training loop sets it before the epoch's steps, and
# every step of the epoch uses it (not a decay per step). For the paper ($E = 50$,
# $10^{-2} \to 10^{-5}$) each epoch multiplies the rate by $(10^{-3})^{1/49} \approx 0.8685$; a
# run of 30 epochs between the same ends falls faster per epoch. A run of a single epoch
# ($E = 1$) has no decay: it trains at `cfg.lr_initial` (and must not divide by zero). Return a
# number (a Python `float`), not a tensor: the training loop writes the rate into the
# optimiser's settings and into its log.


# %%
from siamfc_edu.config import SiamFCConfig


def learning_rate(epoch: int, cfg: SiamFCConfig) -> float:
    """The rate of epoch `epoch` (0 .. cfg.epochs - 1): cfg.lr_initial first, cfg.lr_final last."""
    # HINT: cfg.lr_initial * ratio ** f, f from 0 to 1
    ### BEGIN SOLUTION
    if cfg.epochs <= 1:
        return float(cfg.lr_initial)
    progress = epoch / (cfg.epochs - 1)  # 0 in the first epoch, 1 in the last
    return cfg.lr_initial * (cfg.lr_final / cfg.lr_initial) ** progress
    ### END SOLUTION


# %%
from siamfc_edu.checks.training import check_learning_rate

check_learning_rate(learning_rate)

# %% [markdown]
# ## Exercise 2 · The optimiser
#
# With $\theta_t$ the weights after $t$ steps and $L_{B_t}$ the mean loss of batch $t$, PyTorch's
# SGD with momentum $\mu$ and weight decay $\lambda$ takes the step
#
# $$
# g_t = \nabla_\theta L_{B_t}(\theta_t) + \lambda\,\theta_t, \qquad
# b_t = \mu\, b_{t-1} + g_t, \qquad
# \theta_{t+1} = \theta_t - \eta_e\, b_t ,
# $$
#
# with $\mu = 0.9$ and $\lambda = 5 \cdot 10^{-4}$ (the authors' code; the paper's text says SGD
# and gives neither). Write
#
# ```python
# make_optimizer(model: torch.nn.Module, cfg: SiamFCConfig) -> torch.optim.SGD
# ```
#
# which returns a `torch.optim.SGD` over **every** parameter of `model` (the embedding's
# convolutions and batch norms, and the correlation head's bias $b$), with the rate
# `cfg.lr_initial` (the loop then sets each epoch's rate), the momentum `cfg.momentum` and the
# weight decay `cfg.weight_decay`: the same settings for every parameter, the weight decay on
# the batch norms and biases too, as the library does. The momentum is the plain kind of the
# formula above: no `nesterov`, no `dampening`. Read the signature of `torch.optim.SGD` with
# `help(torch.optim.SGD)` before you pass anything by position. Leave `model` as it is: the
# optimiser only holds its parameters.


# %%
def make_optimizer(model: torch.nn.Module, cfg: SiamFCConfig) -> torch.optim.SGD:
    """SGD over all of model's parameters with cfg's initial rate, momentum and weight decay."""
    # HINT: torch.optim.SGD(model.parameters(), ...): name each setting
    ### BEGIN SOLUTION
    every_parameter = list(model.parameters())
    return torch.optim.SGD(
        every_parameter, lr=cfg.lr_initial, momentum=cfg.momentum, weight_decay=cfg.weight_decay
    )
    ### END SOLUTION


# %%
from siamfc_edu.checks.training import check_make_optimizer

check_make_optimizer(make_optimizer)

# %% [markdown]
# ## Exercise 3 (harder) · One training step
#
# One step of SiamFC on a batch of $B$ pairs, with the signature of the library's
# `siamfc_edu.train.train_step`:
#
# ```python
# train_step(model, batch, optimizer, scaler, device) -> torch.Tensor
# ```
#
# - `batch` is `(z, x, labels)` as the data loader gives it: exemplars `z` $(B, 3, 127, 127)$,
#   search images `x` $(B, 3, 255, 255)$ (values 0..255) and their label maps `labels`
#   $(B, 17, 17)$ of $\pm 1$;
# - `optimizer` is the SGD of exercise 2, `device` where the network is
#   (`torch.device("cpu")` here, `"cuda"` on a GPU);
# - `scaler` is a `torch.amp.GradScaler`, the loss scaling of mixed precision (the library's,
#   not the paper's: on a GPU the library computes the scores in float16, whose small gradients
#   would round to 0). It multiplies the loss by a large scale before `backward()` and divides
#   the gradients by it again before the step. Its three methods replace the plain calls:
#   `scale` the loss before calling `backward()` on it, let the scaler `step` the optimizer, then
#   `update` the scaler (PyTorch's "Automatic Mixed Precision" recipe). A disabled scaler, as on
#   the CPU, makes them the plain calls.
#
# In this order:
#
# 1. move `z`, `x` and `labels` to `device` (`.to(device)`);
# 2. compute the score maps $v = f(z, x)$ = `model(z, x)`, shape $(B, 1, 17, 17)$. The
#    training loop switches the network to training mode (`model.train()`) once per epoch,
#    before its steps: your step gets it in training mode and must leave it there (batch norm
#    normalises with this batch's statistics and updates its running averages);
# 3. the balanced logistic loss of notebook 03, `logistic_loss(scores, labels[:, None])` (the
#    labels get the channel dimension of the scores);
# 4. the optimiser's `zero_grad()`, then the three calls of the scaler above. `backward()`
#    **adds** each gradient to `.grad`: without `zero_grad()` every step would also use the
#    gradients of all the steps before it;
# 5. return the loss computed before the update as a **float32 torch tensor of shape ()**,
#    detached from its graph: `loss.detach()`. The training loop checks it with
#    `torch.isfinite(loss)` and adds it to the epoch's total, which both need a tensor; detached,
#    so that the total does not keep every step's graph in memory. Detach only what you return:
#    the loss you call `backward()` on must stay the tensor computed from `model(z, x)`, so that
#    its gradient reaches the weights.
#
# (On a GPU the library also runs the network under `torch.autocast` and stores the crops
# channels-last, for speed; on the CPU neither changes a number, so leave them out.)
#
# Your step is meant to change `model` (its weights and batch-norm statistics), `optimizer` (its
# momentum) and `scaler` (its state); it must leave `batch` as it is. The check runs your step
# and the library's `train_step` twice each, on copies of the same seeded tiny network and
# batch, once with the loss scaling on, and compares the two losses, whether the gradient
# reached the weights, how every weight moved, the batch-norm statistics and the scaler's state.
# A batch first, to see the shapes:

# %%
net = build_model(tiny)
z_demo, x_demo = 255 * torch.rand(2, 3, 127, 127), 255 * torch.rand(2, 3, 255, 255)
labels_demo = torch.stack([labels_for(tiny), labels_for(tiny, offset=(1.0, -1.0))])
batch_demo = (z_demo, x_demo, labels_demo)
with torch.no_grad():
    print("score maps:", tuple(net(z_demo, x_demo).shape), "| labels:", tuple(labels_demo.shape))

# %%
from siamfc_edu.losses import logistic_loss  # the loss of notebook 03: use it below


def train_step(
    model: torch.nn.Module,
    batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    device: torch.device,
) -> torch.Tensor:
    """One SGD step on the balanced logistic loss of f(z, x); the loss before it, detached."""
    # HINT: batch to device, loss of model(z, x), zero_grad, the scaler's calls
    ### BEGIN SOLUTION
    z, x, labels = (tensor.to(device) for tensor in batch)
    scores = model(z, x)
    loss = logistic_loss(scores, labels[:, None])
    optimizer.zero_grad()
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.detach()
    ### END SOLUTION


# %%
from siamfc_edu.checks.training import check_train_step

check_train_step(train_step)

# %% [markdown]
# ## Putting them together
#
# Your three functions are a training loop: a rate per epoch, one optimiser, steps. Three short
# epochs of two steps each on the batch above, the rate set at the start of every epoch as the
# library's loop does. On one fixed batch the loss falls from about $\log 2 \approx 0.693$ (the
# loss of a flat score map), and moves less and less as the rate decays to $10^{-5}$. The cell
# tells you when an exercise is still unfinished.

# %%
short = tiny.replace(epochs=3)
scaler = torch.amp.GradScaler("cpu", enabled=False)  # off: the loop enables it on CUDA only
cpu = torch.device("cpu")
try:
    torch.manual_seed(0)
    net = build_model(tiny)
    optimizer = make_optimizer(net, short)
    for epoch in range(short.epochs):
        rate = learning_rate(epoch, short)
        for group in optimizer.param_groups:
            group["lr"] = rate
        net.train()  # once per epoch, as the library's loop does
        losses = [float(train_step(net, batch_demo, optimizer, scaler, cpu)) for _ in range(2)]
        print(f"epoch {epoch}: lr {rate:.3g}, losses {losses[0]:.4f}, {losses[1]:.4f}")
except NotImplementedError as unfinished:
    print(f"finish the exercises first ({unfinished})")

# %% [markdown]
# ## What you built
#
# The whole of the training's optimisation (the paper's §2.2 and §4.1): the schedule $\eta_e$,
# the optimiser with momentum and weight decay, and the step that turns a batch of pairs into a
# change of the weights. The
# library's `train(cfg, opts)` (notebook 05) wraps the same three around a data loader, a
# validation and a checkpoint every epoch. Try your `learning_rate` on the paper's numbers:
# `[learning_rate(e, paper) for e in (0, 1, 48, 49)]` should start at 0.01 and end at
# 1e-05 exactly.
#
# Next: notebook `06_tracker` runs the trained network as a tracker.
