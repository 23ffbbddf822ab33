"""The run folder: what a training run leaves on disk, and how a stopped run continues.

    RUN_DIR/log.csv          one row per epoch: learning rate, losses, validation peak distance
    RUN_DIR/loss.png         the curves of log.csv, redrawn every epoch
    RUN_DIR/checkpoint.pth   the last finished epoch: weights, optimiser and scaler (--resume)
    RUN_DIR/weights.pth      the final weights, written once every epoch is done

One process (rank 0) writes them all. Checkpoints are written atomically (see save_weights):
a crash mid-write keeps the previous one.
"""

from __future__ import annotations

import csv
from pathlib import Path

import torch

from ..config import SiamFCConfig
from ..model import SiamFCNet, checkpoint_config, read_checkpoint, save_weights

LOG, CURVE, CHECKPOINT, WEIGHTS = "log.csv", "loss.png", "checkpoint.pth", "weights.pth"
# val_center_error_px is the mean validation peak distance (recipe.peak_distance): the column
# keeps the name that earlier logs use
LOG_FIELDS = ["epoch", "lr", "train_loss", "val_loss", "val_center_error_px", "pairs_per_s", "s"]


class TrainingError(RuntimeError):
    """Training cannot go on (a non-finite loss, a bad resume): the message says why."""


def write_log_row(path: Path, row: dict) -> None:
    """Append one epoch to the CSV log (with a header the first time)."""
    new = not path.exists()
    with path.open("a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=LOG_FIELDS)
        if new:
            writer.writeheader()
        writer.writerow(row)


def read_log(path: Path) -> list[dict]:
    """The CSV log as a list of rows of floats."""
    with path.open() as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


def plot_loss_curve(rows: list[dict], path: Path) -> None:
    """Training and validation loss, and the validation peak distance, per epoch, as a PNG."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.5))
    ax_loss, ax_err = fig.subplots(1, 2)
    epochs = [r["epoch"] + 1 for r in rows]
    ax_loss.plot(epochs, [r["train_loss"] for r in rows], "o-", label="training")
    ax_loss.plot(epochs, [r["val_loss"] for r in rows], "s-", label="validation")
    ax_loss.set(xlabel="epoch", ylabel="balanced logistic loss", title="Loss")
    ax_loss.legend()
    ax_err.plot(epochs, [r["val_center_error_px"] for r in rows], "s-", color="C2")
    ax_err.set(
        xlabel="epoch",
        ylabel="pixels (search image)",
        title="Validation: score peak to true centre",
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def log_epoch(out: Path, row: dict) -> None:
    """Append the epoch's row to RUN_DIR/log.csv and redraw RUN_DIR/loss.png from the whole log."""
    write_log_row(out / LOG, row)
    plot_loss_curve(read_log(out / LOG), out / CURVE)


def clear_log(out: Path) -> None:
    """Delete the log of an earlier run: a fresh run starts a fresh log."""
    (out / LOG).unlink(missing_ok=True)


def save_checkpoint(
    out: Path,
    model: SiamFCNet,
    cfg: SiamFCConfig,
    epoch: int,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
) -> Path:
    """Save everything --resume needs to continue after this epoch as if never stopped."""
    return save_weights(
        model,
        cfg,
        out / CHECKPOINT,
        epoch=epoch,
        optimizer=optimizer.state_dict(),
        scaler=scaler.state_dict(),
    )


def resume_state(out: Path, cfg: SiamFCConfig) -> dict | None:
    """The last checkpoint of a run, checked to be of the same preset (None when there is none)."""
    path = out / CHECKPOINT
    if not path.is_file():
        return None
    ckpt = read_checkpoint(path)
    saved = checkpoint_config(ckpt)
    if saved is None or saved.channels != cfg.channels:
        name = saved.name if saved else "unknown"
        raise TrainingError(
            f"{path} is a checkpoint of preset {name!r} {saved.channels if saved else ''}; "
            f"this run is {cfg.name!r} {cfg.channels}: use another --out or the same preset"
        )
    return ckpt


def resume(
    out: Path,
    cfg: SiamFCConfig,
    model: SiamFCNet,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
) -> int:
    """Load the run's last checkpoint into model, optimiser and scaler; return the next epoch.

    Without a checkpoint nothing is loaded and training starts at epoch 0.
    """
    ckpt = resume_state(out, cfg)
    if ckpt is None:
        return 0
    model.load_state_dict(ckpt["model"])
    optimizer.load_state_dict(ckpt["optimizer"])
    scaler.load_state_dict(ckpt["scaler"])
    return int(ckpt["epoch"]) + 1


def save_final_weights(
    out: Path, model: SiamFCNet, cfg: SiamFCConfig, seed: int, bn_batches: int
) -> Path:
    """Write RUN_DIR/weights.pth: the trained network, its preset and how it was made."""
    return save_weights(
        model, cfg, out / WEIGHTS, epochs=cfg.epochs, seed=seed, bn_batches=bn_batches
    )
