"""The training loop: `train(cfg, opts)` runs a whole run, on one process or several (torchrun).

    siamfc-edu train --preset tiny --data DIR --out RUN_DIR          # one process
    torchrun --nproc_per_node 2 -m siamfc_edu.train --preset tiny --data DIR --out RUN_DIR

Every epoch draws new training pairs and takes the recipe's SGD steps; then one process (rank 0)
measures loss and peak distance on fixed held-out pairs, logs a row and saves a checkpoint that
`--resume` continues from, with the same result as an unbroken run. With several processes,
DistributedDataParallel gives each a share of every batch and averages their gradients.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler
from tqdm.auto import tqdm  # a widget bar in a notebook, text on stderr in a terminal

from ..config import SiamFCConfig
from ..data.sources import pair_sources
from ..model import SiamFCNet, build_model
from ..runtime import training_device
from . import runlog
from .recipe import (
    learning_rate,
    make_optimizer,
    reestimate_batch_norm,
    set_learning_rate,
    train_step,
    validate,
)
from .runlog import TrainingError


@dataclass
class RunOptions:
    """Where and how to run; the recipe's numbers live in the preset (SiamFCConfig)."""

    data: str | Path  # a source, or weighted sources: see siamfc_edu.data.sources
    out: Path
    seed: int = 0
    workers: int = 2
    val_pairs: int = 256
    resume: bool = False
    device: str | None = None
    amp: bool = True  # mixed precision, on CUDA only
    stop_after: int | None = None  # stop after this many epochs, as if killed (resume later)
    bn_batches: int = 0  # re-estimate batch-norm statistics on this many batches at the end
    progress: bool = True


def check_options(opts: RunOptions) -> None:
    """Refuse run options that make no sense before any work: one line naming the option.

    The recipe's numbers (epochs, learning rates, momentum, ...) are the preset's, checked when
    the preset is made (`config.config_problem`): one set of rules for the API, files and CLI.
    """
    rules = [  # (option, value, whether it makes sense, what it must be)
        ("--val-pairs", opts.val_pairs, opts.val_pairs >= 1, "at least 1 (used every epoch)"),
        ("--workers", opts.workers, opts.workers >= 0, "at least 0"),
        (
            "--stop-after",
            opts.stop_after,
            opts.stop_after is None or opts.stop_after >= 1,
            "at least 1",
        ),
        ("--bn-batches", opts.bn_batches, opts.bn_batches >= 0, "at least 0"),
    ]
    for option, value, makes_sense, must_be in rules:
        if not makes_sense:
            raise ValueError(f"{option} must be {must_be}, got {value}")


def run_record(opts: RunOptions) -> dict:
    """The options that change a run's result but are not in the preset: --resume checks them."""
    return {"seed": opts.seed, "val_pairs": opts.val_pairs}


# ----------------------------------------------------------------------------- processes


@dataclass(frozen=True)
class Process:
    """This process's place in the run: its rank among `world` processes, and its device."""

    rank: int
    world: int
    device: torch.device


def distributed_rank() -> tuple[int, int]:
    """(rank, world size): started by torchrun when WORLD_SIZE > 1, else (0, 1)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
    return (dist.get_rank(), world) if world > 1 else (0, 1)


def start_process(requested_device: str | None) -> Process:
    """Join the other processes (under torchrun) and pick this one's device."""
    rank, world = distributed_rank()
    local_rank = os.environ.get("LOCAL_RANK")
    device = training_device(
        requested_device, rank, None if local_rank is None else int(local_rank)
    )
    return Process(rank, world, device)


def mean_over_processes(value: torch.Tensor, world: int) -> float:
    """The value averaged over all processes (itself when there is one)."""
    if world > 1:
        value = value.clone()
        dist.all_reduce(value)
        value /= world
    return float(value)


def wait_for_all(world: int) -> None:
    """Wait until every process gets here (nothing to wait for with one)."""
    if world > 1:
        dist.barrier()


def end_processes() -> None:
    """Leave the process group, if this process joined one."""
    if dist.is_initialized():
        dist.destroy_process_group()


# ----------------------------------------------------------------------------- what is trained


@dataclass
class Learner:
    """The network being trained and what updates it."""

    model: SiamFCNet  # the network itself: checkpoints save this
    net: torch.nn.Module  # what the steps call: the model, or its DistributedDataParallel wrapper
    optimizer: torch.optim.Optimizer
    scaler: torch.amp.GradScaler  # loss scaling for mixed precision (disabled off CUDA)


@dataclass
class Pairs:
    """The training pairs (a new draw every epoch) and the fixed held-out validation pairs."""

    train_set: Dataset  # PairDataset, FootagePairs or MixedPairs: all have set_epoch
    train: DataLoader  # this process's share of every batch
    val: DataLoader


def make_pairs(cfg: SiamFCConfig, opts: RunOptions, proc: Process) -> Pairs:
    """The data loaders of a run; with several processes each loads its share of a batch."""
    train_set = pair_sources(opts.data, cfg, cfg.pairs_per_epoch, opts.seed)
    val_set = pair_sources(opts.data, cfg, opts.val_pairs, 10_000 + opts.seed, validation=True)
    if cfg.batch_size % proc.world:
        raise TrainingError(
            f"batch size {cfg.batch_size} does not split over {proc.world} processes"
        )
    sampler = None
    if proc.world > 1:
        sampler = DistributedSampler(train_set, proc.world, proc.rank, shuffle=False)
    train = DataLoader(
        train_set,
        cfg.batch_size // proc.world,
        sampler=sampler,
        num_workers=opts.workers,
        drop_last=True,
    )
    return Pairs(train_set, train, DataLoader(val_set, 32, num_workers=opts.workers))


def from_worker(error: Exception) -> Exception:
    """An error from a DataLoader worker as the worker raised it: one line, not torch's "Caught
    ValueError in DataLoader worker process 0. Original Traceback ..." (others stay as they are)."""
    text = str(error)
    if not text.startswith("Caught ") or "DataLoader worker" not in text:
        return error
    last = [line for line in text.splitlines() if line.strip()][-1].strip()
    prefix = f"{type(error).__name__}: "
    try:
        return type(error)(last.removeprefix(prefix))
    except Exception:  # an exception type that needs other arguments: keep torch's
        return error


@contextmanager
def batches_of(loader: DataLoader) -> Iterator[Iterator]:
    """The loader's batches; on leaving, even by an error, its worker processes end at once.

    Otherwise they would live on as long as the error's traceback keeps the loader's iterator.
    """
    batches = iter(loader)
    try:
        yield batches
    except Exception as error:
        raise from_worker(error) from None
    finally:
        end_workers = getattr(batches, "_shutdown_workers", None)  # there only with workers
        if end_workers is not None:
            end_workers()


# ----------------------------------------------------------------------------- the loop


def train(cfg: SiamFCConfig, opts: RunOptions) -> Path:
    """Train (or resume) a run; return the path of the final weights."""
    check_options(opts)
    proc = start_process(opts.device)
    opts.out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(opts.seed)
    model = build_model(cfg).to(proc.device, memory_format=torch.channels_last)  # faster convs
    optimizer = make_optimizer(model, cfg)
    scaler = torch.amp.GradScaler("cuda", enabled=opts.amp and proc.device.type == "cuda")
    run = run_record(opts)
    first, resumed_from = 0, None
    if opts.resume:
        first, resumed_from = runlog.resume(opts.out, cfg, model, optimizer, scaler, run)
    if proc.rank == 0:
        runlog.restart_at(opts.out, first, resumed_from)
    net = DistributedDataParallel(model) if proc.world > 1 else model
    learner = Learner(model=model, net=net, optimizer=optimizer, scaler=scaler)
    pairs = make_pairs(cfg, opts, proc)
    last = min(cfg.epochs, opts.stop_after if opts.stop_after is not None else cfg.epochs)
    for epoch in range(first, last):
        train_one_epoch(epoch, cfg, opts, learner, pairs, proc)
    if proc.rank == 0 and last >= cfg.epochs:
        finish(cfg, opts, learner.model, pairs, proc.device)
    wait_for_all(proc.world)
    return opts.out / runlog.WEIGHTS


def train_one_epoch(
    epoch: int,
    cfg: SiamFCConfig,
    opts: RunOptions,
    learner: Learner,
    pairs: Pairs,
    proc: Process,
) -> None:
    """Draw this epoch's pairs, take the SGD steps, then validate, log and checkpoint."""
    lr = learning_rate(epoch, cfg)
    set_learning_rate(learner.optimizer, lr)
    pairs.train_set.set_epoch(epoch)
    learner.model.train()
    start = time.perf_counter()
    mean_loss, steps = take_steps(epoch, cfg, opts, learner, pairs.train, proc)
    seconds = time.perf_counter() - start
    row = {
        "epoch": epoch,
        "lr": lr,
        "train_loss": mean_over_processes(mean_loss, proc.world),
        "s": round(seconds, 2),
        "pairs_per_s": round(steps * cfg.batch_size / seconds, 2),
    }
    if proc.rank == 0:
        end_epoch(row, cfg, opts, learner, pairs.val, proc.device)
    wait_for_all(proc.world)


def take_steps(
    epoch: int,
    cfg: SiamFCConfig,
    opts: RunOptions,
    learner: Learner,
    loader: DataLoader,
    proc: Process,
) -> tuple[torch.Tensor, int]:
    """One SGD step per batch of the epoch, with a progress bar; return (mean loss, steps)."""
    lr, start = learning_rate(epoch, cfg), time.perf_counter()
    total, steps = torch.zeros((), device=proc.device), 0
    show = proc.rank == 0 and opts.progress
    desc = f"epoch {epoch} (last {cfg.epochs - 1})"  # 0-based, as in log.csv and the checkpoint
    with batches_of(loader) as batches:
        bar = tqdm(batches, desc, total=len(loader), unit="batch", disable=not show)
        for batch in bar:
            loss = train_step(learner.net, batch, learner.optimizer, learner.scaler, proc.device)
            if not torch.isfinite(loss):
                raise TrainingError(non_finite_loss(float(loss), epoch, steps, opts.out))
            total += loss
            steps += 1
            pairs_per_s = steps * cfg.batch_size / (time.perf_counter() - start)
            bar.set_postfix(loss=f"{float(loss):.4f}", lr=f"{lr:.1e}", pairs_s=f"{pairs_per_s:.1f}")
    return total / max(steps, 1), steps


def non_finite_loss(loss: float, epoch: int, steps: int, out: Path) -> str:
    """Why training stopped, and what is kept: the checkpoint of the epoch before, if any."""
    stopped = f"the loss became {loss} at epoch {epoch + 1}, step {steps + 1}; stopped."
    if epoch == 0:
        return (
            f"{stopped} No checkpoint was written yet (the first is at the end of epoch 1): "
            "lower the learning rate (--lr-initial) and start again"
        )
    return (
        f"{stopped} The last good checkpoint, of epoch {epoch}, is kept "
        f"({out / runlog.CHECKPOINT}): lower the learning rate (--lr-initial) and --resume"
    )


def end_epoch(
    row: dict,
    cfg: SiamFCConfig,
    opts: RunOptions,
    learner: Learner,
    val_loader: DataLoader,
    device: torch.device,
) -> None:
    """Validate, complete the epoch's log row and append it, save the checkpoint, print it."""
    with batches_of(val_loader) as batches:
        val_loss, val_distance = validate(learner.model, batches, cfg, device)
    row = {**row, "val_loss": val_loss, "val_center_error_px": val_distance}  # peak distance
    runlog.log_epoch(opts.out, row)  # then the checkpoint: --resume cuts the log back to it
    epoch, run = int(row["epoch"]), run_record(opts)
    runlog.save_checkpoint(
        opts.out, learner.model, cfg, epoch, learner.optimizer, learner.scaler, run
    )
    print(  # to stdout: progress, not an error (a notebook shows stderr in red)
        f"epoch {epoch}: train loss {row['train_loss']:.4f}, val loss {val_loss:.4f}, "
        f"val peak distance {val_distance:.1f} px",
        flush=True,
    )


def finish(
    cfg: SiamFCConfig, opts: RunOptions, model: SiamFCNet, pairs: Pairs, device: torch.device
) -> Path:
    """After the last epoch: optionally re-estimate batch norm, then write the final weights."""
    if opts.bn_batches > 0:
        pairs.train_set.set_epoch(cfg.epochs)  # pairs no epoch trained on
        reestimate_batch_norm(model, pairs.train, opts.bn_batches, device)
    return runlog.save_final_weights(opts.out, model, cfg, opts.seed, opts.bn_batches)
