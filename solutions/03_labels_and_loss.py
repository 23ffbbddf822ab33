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
# # 03 · Labels and the logistic loss: exercises
#
# Notebook `03_labels_and_loss` built the training target of SiamFC and the number that measures
# a score map against it. Here you write the three pieces yourself:
#
# 1. **warm-up** `label_map(size, radius_cells, offset)`: the $\pm 1$ label map;
# 2. **medium** `balance_weights(labels)`: the per-cell weights that give each class half of the
#    loss;
# 3. **harder** `logistic_loss(scores, labels)`: the balanced logistic loss of a batch of score
#    maps, exact even for scores of $\pm 10^4$.
#
# **Time** about 25 minutes.
#
# **How the checks work.** Below each exercise a check cell calls your function on several inputs
# (edge cases included) and compares every answer with the library's `siamfc_edu.losses`. It
# prints one line: "passed" with the inputs it tried, or the first input where your answer
# differs, what differs (a shape, a value and where), and, when your answer matches a typical
# mistake, its name and a hint. While a function still says `raise NotImplementedError`, its check
# prints "not implemented yet" and the notebook runs on. Write your code where it says
# `# YOUR CODE HERE` (delete the `raise` line), then run the cell and its check again. Do not call
# the library function you are rewriting: the point is to write it.

# %%
import torch
import torch.nn.functional as F

_ = torch.manual_seed(0)  # nothing here is random; a habit of the course

# %% [markdown]
# ## Exercise 1 (warm-up) · The label map
#
# The score map has `size` $\times$ `size` cells $u = (i, j)$ (row $i$, column $j$, both from 0).
# Its centre is $c = \left(\frac{\text{size} - 1}{2}, \frac{\text{size} - 1}{2}\right)$, moved by
# `offset` $= (d_x, d_y)$ cells when augmentation shifted the search crop: $d_x$ moves the centre
# along a row (to higher column indices $j$), $d_y$ down a column (to higher row indices $i$).
# The label of a cell is
#
# $$
# y[u] = \begin{cases} +1 & \text{if } \sqrt{(j - c_x - d_x)^2 + (i - c_y - d_y)^2} \le r \\
#                      -1 & \text{otherwise}\end{cases}
# $$
#
# with $r$ = `radius_cells` $= R / k$, already in cells (the paper: $R = 16$ px, $k = 8$, so
# $r = 2$ and 13 positives). Return a **float32 torch tensor** of shape (`size`, `size`)
# (`torch.where(inside, 1.0, -1.0)` gives one): the loss of exercise 3 multiplies it with the
# network's float32 scores, so a numpy array, a bool or an int64 tensor is refused.

# %%
def label_map(
    size: int, radius_cells: float, offset: tuple[float, float] = (0.0, 0.0)
) -> torch.Tensor:
    """+1 within radius_cells of the centre (size - 1) / 2 moved by offset = (dx, dy), else -1."""
    # HINT: rows, cols from torch.meshgrid(..., indexing="ij"), then distances
    ### BEGIN SOLUTION
    middle = (size - 1) / 2
    rows, cols = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    distance = torch.hypot(cols - middle - offset[0], rows - middle - offset[1])
    return torch.where(distance <= radius_cells, 1.0, -1.0)
    ### END SOLUTION


# %%
from siamfc_edu.checks.losses import check_label_map

check_label_map(label_map)

# %% [markdown]
# ## Exercise 2 · The balance weights
#
# A $17 \times 17$ map has 13 positives and 276 negatives: with a plain mean the background would
# make up 95% of the loss. SiamFC weights every cell so that each class carries half of it. For a
# label map with $n_+$ positive and $n_-$ negative cells,
#
# $$
# w[u] = \begin{cases} \dfrac{1}{2 n_+} & \text{if } y[u] = +1 \\[2mm]
#                      \dfrac{1}{2 n_-} & \text{if } y[u] = -1\end{cases}
# \qquad\text{so}\qquad \sum_{y[u] = +1} w[u] = \sum_{y[u] = -1} w[u] = \tfrac{1}{2}.
# $$
#
# `labels` may be one map (H, W) or a batch (B, H, W) or (B, 1, H, W): count $n_+$ and $n_-$
# **per map**, over the last two dimensions. A map with no positive cell at all (the target left
# it) must not give NaN: its (absent) positives get weight 0 and its negatives still share 1/2.
# Return the weights as a float32 torch tensor, same shape as `labels`.

# %%
def balance_weights(labels: torch.Tensor) -> torch.Tensor:
    """Per-cell weights: the positives of each map share 1/2, its negatives share 1/2."""
    # HINT: count each class per map: .sum(dim=(-2, -1), keepdim=True)
    ### BEGIN SOLUTION
    positive = (labels > 0).float()
    negative = (labels < 0).float()
    n_positive = positive.sum(dim=(-2, -1), keepdim=True).clamp(min=1)
    n_negative = negative.sum(dim=(-2, -1), keepdim=True).clamp(min=1)
    return positive / (2 * n_positive) + negative / (2 * n_negative)
    ### END SOLUTION


# %%
from siamfc_edu.checks.losses import check_balance_weights

check_balance_weights(balance_weights)

# %% [markdown]
# ## Exercise 3 (harder) · The logistic loss, balanced and stable
#
# For one cell with score $v$ and label $y \in \{+1, -1\}$ the loss is
# $\ell(y, v) = \log\left(1 + e^{-yv}\right)$. The loss of a score map is the weighted sum
# $\sum_u w[u]\, \ell(y[u], v[u])$ with the balance weights of exercise 2, and the loss of a
# batch is the **mean** of its maps' losses: one number, as a 0-d torch tensor.
#
# - `scores` is (B, 1, H, W) or (B, H, W); `labels` holds $\pm 1$, either one (H, W) map for
#   the whole batch or one map per pair, and broadcasts against `scores`
#   (`labels.expand_as(scores)` makes it the same shape).
# - The formula as written overflows in float32: $e^{-yv}$ is `inf` once $-yv > 88.7$. The
#   check tries scores of magnitude $10^4$, where the loss of a wrong cell is exactly $|v|$. Use
#   the identity $\log(1 + e^{a}) = $ `F.softplus(a)` $=$ `torch.logaddexp(0, a)`, which PyTorch
#   computes without overflow.
#
# - Training calls `loss.backward()`: the loss must back-propagate to the scores, so keep every
#   step in torch (no `.item()`, `.detach()` or numpy on the way). The check computes the
#   gradient too.
#
# For the weights use the library's `balanced_weights` (imported below; it is what you wrote in
# exercise 2), so that this exercise does not depend on the previous one.

# %% [markdown]
# The overflow, seen once (label $y = +1$): the naive formula gives `inf` for a confidently wrong
# score and a false 0 for $v = 20$; `F.softplus` is exact in every entry.

# %%
v = torch.tensor([-1e4, -100.0, -1.0, 0.0, 1.0, 20.0, 1e4])
print("v                     :", v.tolist())
print("naive log(1 + exp(-v)):", torch.log(1 + torch.exp(-v)).tolist())
print("F.softplus(-v)        :", F.softplus(-v).tolist())

# %%
from siamfc_edu.losses import balanced_weights


def logistic_loss(scores: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Balanced mean of log(1 + exp(-y v)) over each map, averaged over the batch (a scalar)."""
    # HINT: F.softplus(-labels * scores) per cell; weight, sum per map, average
    ### BEGIN SOLUTION
    y = labels.to(scores.dtype).expand_as(scores)
    per_cell = F.softplus(-y * scores)
    per_map = (balanced_weights(y) * per_cell).sum(dim=(-2, -1))
    return per_map.mean()
    ### END SOLUTION


# %%
from siamfc_edu.checks.losses import check_logistic_loss

check_logistic_loss(logistic_loss)

# %% [markdown]
# ## What you built
#
# With the three functions a training step of SiamFC has its target and its loss: the label map
# of each pair (moved by its shift), the weights that make 13 positives count as much as 276
# negatives, and a loss that stays exact however confident the network gets. A flat map of zeros
# costs $\log 2 \approx 0.693$ under this loss whatever the labels; try it on your own
# functions, e.g. `logistic_loss(torch.zeros(1, 1, 17, 17), label_map(17, 2))`.
#
# Next: notebook `04_training_pairs` cuts the pairs $(z, x)$ these labels go with.
