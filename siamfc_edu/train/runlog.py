"""The run folder: what a training run leaves on disk, and how a stopped run continues.

    RUN_DIR/log.csv          one row per epoch: learning rate, losses, validation peak distance
    RUN_DIR/loss.png         the curves of log.csv, redrawn every epoch
    RUN_DIR/checkpoint.pth   the last finished epoch: weights, optimiser and scaler (--resume)
    RUN_DIR/checkpoint_previous.pth   the epoch before: --resume falls back to it
    RUN_DIR/weights.pth      the final weights, written once every epoch is done

One process (rank 0) writes them all. Checkpoints are written atomically (see save_weights):
a crash mid-write keeps the previous one. An epoch's log row is written before its
checkpoint, so --resume first cuts the log back to the checkpoint's epoch: a run killed between
the two redoes that epoch and logs it once.
"""

from __future__ import annotations

import csv
import dataclasses
import os
import sys
from pathlib import Path

import torch

from ..config import SiamFCConfig
from ..model import (
    SiamFCNet,
    check_state_dict,
    checkpoint_config,
    checkpoint_state,
    read_checkpoint,
    save_weights,
)
from .recipe import learning_rate

LOG, CURVE, WEIGHTS = "log.csv", "loss.png", "weights.pth"
CHECKPOINT, PREVIOUS, NEW = "checkpoint.pth", "checkpoint_previous.pth", "checkpoint_new.pth"
DAMAGED = "checkpoint_damaged.pth"  # a newest checkpoint that --resume could not read
# val_center_error_px is the mean validation peak distance (recipe.peak_distance): the column
# keeps the name that earlier logs use
LOG_FIELDS = ["epoch", "lr", "train_loss", "val_loss", "val_center_error_px", "pairs_per_s", "s"]


class TrainingError(RuntimeError):
    """Training cannot go on (a non-finite loss, a bad resume): the message says why."""


def note(text: str) -> None:
    """A line for the user on stderr, from one process only (rank 0 under torchrun)."""
    if int(os.environ.get("RANK", "0")) == 0:
        print(text, file=sys.stderr)


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
    epochs = [r["epoch"] for r in rows]  # 0-based, as in the log
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


def cut_log(out: Path, last_epoch: int) -> None:
    """Keep the log's rows up to last_epoch (the checkpoint's), and redraw the curve."""
    path = out / LOG
    if not path.is_file():
        return
    with path.open(newline="") as f:
        rows = [row for row in csv.DictReader(f) if float(row["epoch"]) <= last_epoch]
    tmp = path.with_name(LOG + ".tmp")
    with tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=LOG_FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)
    if rows:
        plot_loss_curve(read_log(path), out / CURVE)


def save_checkpoint(
    out: Path,
    model: SiamFCNet,
    cfg: SiamFCConfig,
    epoch: int,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    run: dict,
) -> Path:
    """Save everything --resume needs to continue after this epoch as if never stopped.

    The new checkpoint is written whole (atomically) before the last one becomes
    checkpoint_previous.pth: two are kept, so a damaged newest one falls back to the one before.
    `run` holds the options that change the result but are not in the preset (seed, ...).
    """
    latest, new = out / CHECKPOINT, out / NEW
    extra = {"optimizer": optimizer.state_dict(), "scaler": scaler.state_dict(), "run": run}
    save_weights(model, cfg, new, epoch=epoch, **extra)
    if latest.is_file():
        os.replace(latest, out / PREVIOUS)
    os.replace(new, latest)
    return latest


def read_training_checkpoint(path: Path, cfg: SiamFCConfig) -> dict:
    """A checkpoint --resume can use: one of this preset with everything a run saves."""
    ckpt = read_checkpoint(path)
    missing = [k for k in ("config", "model", "epoch", "optimizer", "scaler") if k not in ckpt]
    if missing:
        raise ValueError(
            f"{path} is not a training checkpoint: it has no {missing} (a run's final "
            "weights.pth cannot be resumed; track or evaluate with it, --weights)"
        )
    saved = checkpoint_config(ckpt, source=str(path))
    if saved.channels != cfg.channels:
        raise TrainingError(
            f"{path} is a checkpoint of preset {saved.name!r} {saved.channels}; "
            f"this run is {cfg.name!r} {cfg.channels}: use another --out or the same preset"
        )
    if not isinstance(ckpt["epoch"], int) or ckpt["epoch"] < 0:
        raise ValueError(f"{path}: its epoch is {ckpt['epoch']!r}, not a count from 0")
    if not isinstance(ckpt.get("run", {}), dict):
        raise ValueError(f"{path}: its 'run' is a {type(ckpt['run']).__name__}, not a dict")
    return ckpt


def resume_state(out: Path, cfg: SiamFCConfig) -> tuple[Path, dict] | None:
    """The run's newest readable checkpoint and its path: checkpoint.pth, else the one before.

    None when the run has none: training starts at epoch 0.
    """
    latest, previous = out / CHECKPOINT, out / PREVIOUS
    if not previous.is_file():
        return (latest, read_training_checkpoint(latest, cfg)) if latest.is_file() else None
    try:
        return latest, read_training_checkpoint(latest, cfg)
    except (ValueError, FileNotFoundError) as err:  # missing: killed between the two renames
        aside = f" (the damaged one is set aside as {DAMAGED})" if latest.is_file() else ""
        note(f"siamfc-edu train: {err}; resuming from {previous}{aside}")
        return previous, read_training_checkpoint(previous, cfg)


# The learning-rate schedule may change on --resume (to train longer, or slower after a loss
# that became nan); any other change of the recipe would continue a different run.
SCHEDULE = ("epochs", "lr_initial", "lr_final")


def recipe_changes(ckpt: dict, cfg: SiamFCConfig, run: dict) -> dict[str, str]:
    """What differs from the checkpoint's run: {"seed": "seed: 0 in the checkpoint vs 1 given"}."""
    saved = {**dataclasses.asdict(checkpoint_config(ckpt)), **ckpt.get("run", {})}
    given = {**dataclasses.asdict(cfg), **run}
    return {
        name: f"{name}: {saved[name]!r} in the checkpoint vs {given[name]!r} given"
        for name in given
        if name in saved and saved[name] != given[name]
    }


def check_recipe(path: Path, ckpt: dict, cfg: SiamFCConfig, run: dict) -> None:
    """Refuse to resume with another recipe, except its schedule: then say what happens."""
    changes = recipe_changes(ckpt, cfg, run)
    refused = [change for name, change in changes.items() if name not in SCHEDULE]
    if refused:
        raise TrainingError(
            f"--resume: {path} was trained with another recipe ({'; '.join(refused)}): give the "
            "same options to continue it, or use another --out"
        )
    done = ckpt["epoch"] + 1
    if cfg.epochs < done:
        raise TrainingError(f"--resume: --epochs {cfg.epochs}, but {done} epochs are done already")
    if changes:
        note(
            f"siamfc-edu train: --resume with a new schedule ({'; '.join(changes.values())}): "
            f"from epoch {done + 1} the learning rate decays from {cfg.lr_initial:g} to "
            f"{cfg.lr_final:g} over {cfg.epochs} epochs ({learning_rate(done, cfg):.2e} next); "
            "the result matches no unbroken run",
        )


def resume(
    out: Path,
    cfg: SiamFCConfig,
    model: SiamFCNet,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    run: dict,
) -> tuple[int, Path | None]:
    """Load the run's last checkpoint into model, optimiser and scaler.

    Return the next epoch and the checkpoint read; without one nothing is loaded, and training
    starts at epoch 0.
    """
    found = resume_state(out, cfg)
    if found is None:
        return 0, None
    path, ckpt = found
    check_recipe(path, ckpt, cfg, run)
    state = checkpoint_state(ckpt, source=str(path))
    check_state_dict(model, state, source=str(path))
    model.load_state_dict(state)
    try:
        optimizer.load_state_dict(ckpt["optimizer"])
        scaler.load_state_dict(ckpt["scaler"])
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise ValueError(f"{path}: its optimizer or scaler state does not fit ({err})") from None
    return ckpt["epoch"] + 1, path


def restart_at(out: Path, first: int, resumed_from: Path | None) -> None:
    """Make the run folder agree with where training goes on (one process only).

    The log keeps the epochs of the checkpoint resumed from (none for a fresh run). A newest
    checkpoint passed over as damaged is set aside as checkpoint_damaged.pth: the next save
    must not keep it as the one before.
    """
    if resumed_from is None:
        clear_log(out)
        return
    cut_log(out, first - 1)
    if resumed_from.name == PREVIOUS and (out / CHECKPOINT).is_file():
        os.replace(out / CHECKPOINT, out / DAMAGED)


def save_final_weights(
    out: Path, model: SiamFCNet, cfg: SiamFCConfig, seed: int, bn_batches: int
) -> Path:
    """Write RUN_DIR/weights.pth: the trained network, its preset and how it was made."""
    return save_weights(
        model, cfg, out / WEIGHTS, epochs=cfg.epochs, seed=seed, bn_batches=bn_batches
    )
