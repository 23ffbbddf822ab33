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
# 1. **warm-up** `learning_rate(epoch, epochs, lr_initial, lr_final)`: the learning rate of an
#    epoch, decayed geometrically from $10^{-2}$ to $10^{-5}$;
# 2. **medium** `make_sgd(model, lr, momentum, weight_decay)`: the optimiser, SGD with momentum
#    0.9 and weight decay $5 \cdot 10^{-4}$ (the authors' code's values);
# 3. **harder** `train_step(model, optimizer, z, x, labels)`: one SGD step of SiamFC on a batch
#    of pairs, returning its loss.
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
# The epochs of a run are numbered $e = 0, 1, \dots, E - 1$. The rate starts at
# $\eta_0$ = `lr_initial` in the first epoch and falls *geometrically* (by the same factor every
# epoch) to exactly $\eta_{E-1}$ = `lr_final` in the last one:
#
# $$ \eta_e = \eta_0 \left(\frac{\eta_{E-1}}{\eta_0}\right)^{e/(E-1)} . $$
#
# For the paper ($E = 50$, $10^{-2} \to 10^{-5}$) each epoch multiplies the rate by
# $(10^{-3})^{1/49} \approx 0.8685$; a run of 30 epochs between the same ends falls faster per
# epoch. A run of a single epoch ($E = 1$) has no decay: it trains at `lr_initial` (and must not
# divide by zero). Return a Python `float`, not a tensor: the training loop writes the rate into
# the optimiser's settings and into its log.


# %%
def learning_rate(epoch: int, epochs: int, lr_initial: float, lr_final: float) -> float:
    """The rate of epoch `epoch` (0 .. epochs - 1): lr_initial first, lr_final last."""
    # HINT: lr_initial * (lr_final / lr_initial) ** f, f from 0 to 1
    # YOUR CODE HERE
    raise NotImplementedError('lr_initial * (lr_final / lr_initial) ** f, f from 0 to 1')


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
# and gives neither). Write `make_sgd`, which returns
# a `torch.optim.SGD` over **every** parameter of `model` (the embedding's convolutions and batch
# norms, and the correlation head's bias $b$), with the rate, momentum and weight decay it is
# given: the same settings for every parameter, the weight decay on the batch norms and biases
# too, as the library does. The momentum is the plain kind of the formula above: no `nesterov`,
# no `dampening`. Read the signature of `torch.optim.SGD` with `help(torch.optim.SGD)` before you
# pass anything by position.


# %%
def make_sgd(
    model: torch.nn.Module, lr: float, momentum: float, weight_decay: float
) -> torch.optim.SGD:
    """SGD over all of model's parameters with this rate, momentum and weight decay."""
    # HINT: torch.optim.SGD(model.parameters(), ...): name each setting
    # YOUR CODE HERE
    raise NotImplementedError('torch.optim.SGD(model.parameters(), ...): name each setting')


# %%
from siamfc_edu.checks.training import check_make_sgd

check_make_sgd(make_sgd)

# %% [markdown]
# ## Exercise 3 (harder) · One training step
#
# One step of SiamFC on a batch of $B$ pairs: exemplars `z` $(B, 3, 127, 127)$, search images
# `x` $(B, 3, 255, 255)$ (values 0..255) and their label maps `labels` $(B, 17, 17)$ of $\pm 1$.
# In this order:
#
# 1. switch the network to training mode (its `.train()`): it may arrive in eval mode (right
#    after a validation, say), and batch norm must normalise with this batch's statistics and
#    update its running averages;
# 2. compute the score maps $v = f(z, x)$ = `model(z, x)`, shape $(B, 1, 17, 17)$;
# 3. the balanced logistic loss of notebook 03, `logistic_loss(scores, labels[:, None])` (the
#    labels get the channel dimension of the scores);
# 4. the three calls of every PyTorch step: the optimiser's `zero_grad()`, the loss's
#    `backward()`, the optimiser's `step()`. `backward()` **adds** each gradient to `.grad`:
#    without `zero_grad()` every step would also use the gradients of all the steps before it;
# 5. return the loss, the one computed before the update, as a Python `float` (`loss.item()`),
#    not a tensor: the training loop adds up an epoch's losses. Take `.item()` only after
#    `backward()`: until then the loss must stay the tensor computed from `model(z, x)`, with
#    nothing detached, so that its gradient reaches the weights.
#
# The check runs your step and the library's `train_step` twice each, on copies of the same
# seeded tiny network and batch, and compares the two losses, whether the gradient reached the
# weights, how every weight moved and the batch-norm statistics. Your step is meant to change
# `model` and `optimizer`; it must leave `z`, `x` and `labels` as they are. A batch first, to see
# the shapes:

# %%
net = build_model(tiny)
z_demo, x_demo = 255 * torch.rand(2, 3, 127, 127), 255 * torch.rand(2, 3, 255, 255)
labels_demo = torch.stack([labels_for(tiny), labels_for(tiny, offset=(1.0, -1.0))])
with torch.no_grad():
    print("score maps:", tuple(net(z_demo, x_demo).shape), "| labels:", tuple(labels_demo.shape))

# %%
from siamfc_edu.losses import logistic_loss  # the loss of notebook 03: use it below


def train_step(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    z: torch.Tensor,
    x: torch.Tensor,
    labels: torch.Tensor,
) -> float:
    """One SGD step on the balanced logistic loss of f(z, x); the loss before the update."""
    # HINT: .train() first, the loss of model(z, x), then 3 calls
    # YOUR CODE HERE
    raise NotImplementedError('.train() first, the loss of model(z, x), then 3 calls')


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
epochs = 3
try:
    torch.manual_seed(0)
    net = build_model(tiny)
    optimizer = make_sgd(net, tiny.lr_initial, tiny.momentum, tiny.weight_decay)
    for epoch in range(epochs):
        rate = learning_rate(epoch, epochs, tiny.lr_initial, tiny.lr_final)
        for group in optimizer.param_groups:
            group["lr"] = rate
        losses = [train_step(net, optimizer, z_demo, x_demo, labels_demo) for _ in range(2)]
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
# `[learning_rate(e, 50, 1e-2, 1e-5) for e in (0, 1, 48, 49)]` should start at 0.01 and end at
# 1e-05 exactly.
#
# Next: notebook `06_tracker` runs the trained network as a tracker.
