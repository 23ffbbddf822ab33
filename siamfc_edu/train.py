"""Training SiamFC (Section 3): exemplar/search pairs, the balanced logistic loss, SGD.

    siamfc-edu train --preset tiny --data DIR --out RUN_DIR          # one process
    torchrun --nproc_per_node 2 -m siamfc_edu.train --preset tiny --data DIR --out RUN_DIR

The recipe is the paper's: SGD with momentum 0.9 and weight decay 5e-4, a learning rate
decayed geometrically from 1e-2 to 1e-5 over the epochs, batches of 8 pairs. Every number is a
field of the preset and can be overridden. Each epoch ends with a validation loss and centre
error on held-out pairs, a row in RUN_DIR/log.csv, a loss curve RUN_DIR/loss.png and an atomic
checkpoint RUN_DIR/checkpoint.pth that `--resume` continues from, with the same result as an
unbroken run.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from .config import SiamFCConfig, get_preset, quick_mode
from .data import FootagePairs, MixedPairs, PairDataset, read_vid
from .data.footage import IMAGE_SUFFIXES
from .losses import logistic_loss
from .model import (
    SiamFCNet,
    build_model,
    checkpoint_config,
    read_checkpoint,
    save_weights,
)

LOG_FIELDS = ["epoch", "lr", "train_loss", "val_loss", "val_center_error_px", "pairs_per_s", "s"]


class TrainingError(RuntimeError):
    """Training cannot go on (a non-finite loss, a bad resume): the message says why."""


@dataclass
class RunOptions:
    """Where and how to run; the recipe's numbers live in the preset (SiamFCConfig)."""

    data: str | Path  # a source, or weighted sources: see parse_data
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


# ----------------------------------------------------------------------------- the recipe


def learning_rate(epoch: int, cfg: SiamFCConfig) -> float:
    """Geometric decay from lr_initial (first epoch) to lr_final (last epoch)."""
    if cfg.epochs <= 1:
        return cfg.lr_initial
    ratio = cfg.lr_final / cfg.lr_initial
    return cfg.lr_initial * ratio ** (epoch / (cfg.epochs - 1))


def make_optimizer(model: torch.nn.Module, cfg: SiamFCConfig) -> torch.optim.SGD:
    """SGD with momentum and weight decay, as in the paper."""
    return torch.optim.SGD(
        model.parameters(), lr=cfg.lr_initial, momentum=cfg.momentum, weight_decay=cfg.weight_decay
    )


def center_error(scores: torch.Tensor, labels: torch.Tensor, cfg: SiamFCConfig) -> torch.Tensor:
    """Distance in search-image pixels between the peak of each score map and the true centre."""
    up = F.interpolate(scores.float(), scale_factor=cfg.response_up, mode="bicubic")
    size = up.shape[-1]
    peak = up.flatten(1).argmax(dim=1)
    peak_yx = torch.stack([peak // size, peak % size], dim=1).float()
    peak_yx = (peak_yx - (size - 1) / 2) * cfg.total_stride / cfg.response_up
    cells = torch.stack(torch.meshgrid(*[torch.arange(cfg.score_size)] * 2, indexing="ij"))
    cells = cells.to(labels.device).float()
    positive = (labels > 0).float()
    true_yx = (cells[None] * positive[:, None]).sum((-2, -1)) / positive.sum((-2, -1))[:, None]
    true_yx = (true_yx - (cfg.score_size - 1) / 2) * cfg.total_stride
    return (peak_yx - true_yx).norm(dim=1)


def train_step(
    model: torch.nn.Module,
    batch: tuple[torch.Tensor, ...],
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    device: torch.device,
) -> torch.Tensor:
    """One SGD step on a batch of pairs; returns the (detached) loss."""
    z, x, labels = (t.to(device, non_blocking=True) for t in batch)
    z, x = (t.contiguous(memory_format=torch.channels_last) for t in (z, x))
    with autocast(device, scaler.is_enabled()):
        scores = model(z, x)
    loss = logistic_loss(scores.float(), labels[:, None])
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    return loss.detach()


@torch.no_grad()
def validate(
    model: SiamFCNet, loader: DataLoader, cfg: SiamFCConfig, device: torch.device
) -> tuple[float, float]:
    """Mean loss and mean centre error (pixels) on held-out pairs, network in eval mode."""
    model.eval()
    losses, errors = [], []
    for z, x, labels in loader:
        z, x, labels = z.to(device), x.to(device), labels.to(device)
        scores = model(z, x).float()
        losses.append(logistic_loss(scores, labels[:, None]) * len(z))
        errors.append(center_error(scores, labels, cfg))
    model.train()
    n = sum(len(e) for e in errors)
    return float(sum(losses) / n), float(torch.cat(errors).mean())


@torch.no_grad()
def reestimate_batch_norm(
    model: SiamFCNet, loader: DataLoader, batches: int, device: torch.device
) -> None:
    """Recompute every batch norm's running statistics with the final weights (no labels used).

    During training the running mean and variance are moving averages over weights that kept
    changing; the tracker uses them as they are. Averaging over fresh batches with the final
    weights gives statistics that match the network the tracker actually runs.
    """
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    momenta = [bn.momentum for bn in norms]
    for bn in norms:
        bn.reset_running_stats()
        bn.momentum = None  # a plain average over all the batches seen
    model.train()
    for i, (z, x, _) in enumerate(loader):
        if i >= batches:
            break
        model.backbone(z.to(device))  # the same phi embeds exemplars and search images
        model.backbone(x.to(device))
    for bn, momentum in zip(norms, momenta, strict=True):
        bn.momentum = momentum
    model.eval()


def autocast(device: torch.device, enabled: bool):
    """Mixed precision on CUDA when enabled, a no-op elsewhere."""
    if enabled and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.float16)
    return nullcontext()


# ----------------------------------------------------------------------------- processes


def distributed_rank() -> tuple[int, int]:
    """(rank, world size): started by torchrun when WORLD_SIZE > 1, else (0, 1)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
    return (dist.get_rank(), world) if world > 1 else (0, 1)


def pick_device(requested: str | None, rank: int) -> torch.device:
    """The requested device, else this process's GPU, else the CPU."""
    if requested:
        return torch.device(requested)
    if torch.cuda.is_available():
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", rank)) % torch.cuda.device_count())
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def mean_over_processes(value: torch.Tensor, world: int) -> float:
    """The value averaged over all processes (itself when there is one)."""
    if world > 1:
        value = value.clone()
        dist.all_reduce(value)
        value /= world
    return float(value)


# ----------------------------------------------------------------------------- run directory


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
    """Training and validation loss, and the validation centre error, per epoch, as a PNG."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 3.5))
    ax_loss, ax_err = fig.subplots(1, 2)
    epochs = [r["epoch"] + 1 for r in rows]
    ax_loss.plot(epochs, [r["train_loss"] for r in rows], "o-", label="training")
    ax_loss.plot(epochs, [r["val_loss"] for r in rows], "s-", label="validation")
    ax_loss.set(xlabel="epoch", ylabel="balanced logistic loss", title="Loss")
    ax_loss.legend()
    ax_err.plot(epochs, [r["val_center_error_px"] for r in rows], "s-", color="C2")
    ax_err.set(xlabel="epoch", ylabel="pixels (search image)", title="Validation centre error")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def resume_state(out: Path, cfg: SiamFCConfig) -> dict | None:
    """The last checkpoint of a run, checked to be of the same preset."""
    path = out / "checkpoint.pth"
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


# ----------------------------------------------------------------------------- the loop


def parse_data(spec: str | Path) -> list[tuple[str, float]]:
    """'data/generated:0.5,footage:0.5' -> [('data/generated', 0.5), ('footage', 0.5)].

    One source needs no weight. A source is `footage` (the shipped clips), a video file or an
    image folder (label-free footage pairs), or an ImageNet VID / GOT-10k root (boxed pairs).
    """
    sources = []
    for item in str(spec).split(","):
        name, _, weight = item.strip().rpartition(":")
        try:
            sources.append((name, float(weight)))
        except ValueError:
            sources.append((item.strip(), 1.0))  # no weight (or a ':' inside a path)
    if any(not name for name, _ in sources):
        raise ValueError(f"--data {spec!r}: an empty source name")
    return sources


def is_footage(name: str) -> bool:
    """Whether a source gives label-free footage pairs: `footage`, a video file, an image folder."""
    path = Path(name)
    if name == "footage" or path.is_file():
        return True
    return path.is_dir() and any(p.suffix.lower() in IMAGE_SUFFIXES for p in path.iterdir())


def pair_source(
    name: str, cfg: SiamFCConfig, length: int, seed: int, validation: bool = False
) -> Dataset:
    """The pairs of one source; validation pairs are unaugmented and from held-out frames."""
    if is_footage(name):
        videos = None if name == "footage" else [name]
        part = "held_out" if validation else "train"
        return FootagePairs(cfg, videos, length, seed, part=part, augment=not validation)
    if validation:
        return PairDataset(cfg, read_vid(name, "val"), length=length, seed=seed, augment=False)
    return PairDataset(cfg, name, length=length, seed=seed)


def pair_sources(
    spec: str | Path, cfg: SiamFCConfig, length: int, seed: int, validation: bool = False
) -> Dataset:
    """One source, or the weighted mix of several (deterministic for the seed)."""
    sources = parse_data(spec)
    sets = [pair_source(name, cfg, length, seed, validation) for name, _ in sources]
    if len(sets) == 1:
        return sets[0]
    return MixedPairs(sets, [weight for _, weight in sources], seed)


def make_loaders(
    cfg: SiamFCConfig, opts: RunOptions, rank: int, world: int
) -> tuple[Dataset, DataLoader, DataLoader]:
    """Training pairs (a new draw every epoch) and fixed held-out validation pairs."""
    train_set = pair_sources(opts.data, cfg, cfg.pairs_per_epoch, opts.seed)
    val_set = pair_sources(opts.data, cfg, opts.val_pairs, 10_000 + opts.seed, validation=True)
    if cfg.batch_size % world:
        raise TrainingError(f"batch size {cfg.batch_size} does not split over {world} processes")
    local_batch = cfg.batch_size // world
    sampler = DistributedSampler(train_set, world, rank, shuffle=False) if world > 1 else None
    train_loader = DataLoader(
        train_set, local_batch, sampler=sampler, num_workers=opts.workers, drop_last=True
    )
    val_loader = DataLoader(val_set, 32, num_workers=opts.workers)
    return train_set, train_loader, val_loader


def train(cfg: SiamFCConfig, opts: RunOptions) -> Path:
    """Train (or resume) a run; return the path of the final weights."""
    rank, world = distributed_rank()
    device = pick_device(opts.device, rank)
    opts.out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(opts.seed)
    model = build_model(cfg).to(device, memory_format=torch.channels_last)  # faster convolutions
    optimizer = make_optimizer(model, cfg)
    scaler = torch.amp.GradScaler("cuda", enabled=opts.amp and device.type == "cuda")
    start_epoch = 0
    ckpt = resume_state(opts.out, cfg) if opts.resume else None
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scaler.load_state_dict(ckpt["scaler"])
        start_epoch = int(ckpt["epoch"]) + 1
    elif rank == 0 and (opts.out / "log.csv").exists():
        (opts.out / "log.csv").unlink()  # a fresh run starts a fresh log
    net = DistributedDataParallel(model) if world > 1 else model
    train_set, train_loader, val_loader = make_loaders(cfg, opts, rank, world)
    last = opts.stop_after if opts.stop_after is not None else cfg.epochs
    run = Run(
        cfg,
        opts,
        model,
        net,
        optimizer,
        scaler,
        device,
        rank,
        world,
        train_set,
        train_loader,
        val_loader,
    )
    for epoch in range(start_epoch, min(cfg.epochs, last)):
        train_one_epoch(run, epoch)
    final = opts.out / "weights.pth"
    if rank == 0 and min(cfg.epochs, last) >= cfg.epochs:
        if opts.bn_batches > 0:
            run.train_set.set_epoch(cfg.epochs)  # pairs no epoch trained on
            reestimate_batch_norm(model, train_loader, opts.bn_batches, device)
        save_weights(
            model, cfg, final, epochs=cfg.epochs, seed=opts.seed, bn_batches=opts.bn_batches
        )
    if world > 1:
        dist.barrier()
    return final


@dataclass
class Run:
    """What one training process holds: the recipe, the network, its optimiser, the data."""

    cfg: SiamFCConfig
    opts: RunOptions
    model: SiamFCNet  # the network itself: checkpoints save this
    net: torch.nn.Module  # what the steps call: the model, or its DistributedDataParallel wrapper
    optimizer: torch.optim.Optimizer
    scaler: torch.amp.GradScaler
    device: torch.device
    rank: int
    world: int
    train_set: Dataset  # PairDataset, FootagePairs or MixedPairs: all have set_epoch
    train_loader: DataLoader
    val_loader: DataLoader


def train_one_epoch(run: Run, epoch: int) -> None:
    """Draw this epoch's pairs, take the SGD steps, validate, log and checkpoint."""
    from tqdm import tqdm

    cfg, opts = run.cfg, run.opts
    lr = learning_rate(epoch, cfg)
    for group in run.optimizer.param_groups:
        group["lr"] = lr
    run.train_set.set_epoch(epoch)
    run.model.train()
    start, total, n_steps = time.perf_counter(), torch.zeros((), device=run.device), 0
    bar = tqdm(
        run.train_loader,
        desc=f"epoch {epoch + 1}/{cfg.epochs}",
        unit="batch",
        disable=run.rank != 0 or not opts.progress,
        file=sys.stderr,
    )
    for batch in bar:
        loss = train_step(run.net, batch, run.optimizer, run.scaler, run.device)
        if not torch.isfinite(loss):
            raise TrainingError(
                f"the loss became {float(loss)} at epoch {epoch + 1}, step {n_steps + 1}; "
                f"stopped. The last good checkpoint ({opts.out / 'checkpoint.pth'}) is kept: "
                "lower the learning rate and --resume"
            )
        total += loss
        n_steps += 1
        pairs_per_s = n_steps * cfg.batch_size / (time.perf_counter() - start)
        bar.set_postfix(loss=f"{float(loss):.4f}", lr=f"{lr:.1e}", pairs_s=f"{pairs_per_s:.1f}")
    seconds = time.perf_counter() - start
    train_loss = mean_over_processes(total / max(n_steps, 1), run.world)
    if run.rank == 0:
        val_loss, val_error = validate(run.model, run.val_loader, cfg, run.device)
        row = {
            "epoch": epoch,
            "lr": lr,
            "train_loss": train_loss,
            "val_loss": val_loss,
            "val_center_error_px": val_error,
            "s": round(seconds, 2),
            "pairs_per_s": round(n_steps * cfg.batch_size / seconds, 2),
        }
        write_log_row(opts.out / "log.csv", row)
        plot_loss_curve(read_log(opts.out / "log.csv"), opts.out / "loss.png")
        save_weights(
            run.model,
            cfg,
            opts.out / "checkpoint.pth",
            epoch=epoch,
            optimizer=run.optimizer.state_dict(),
            scaler=run.scaler.state_dict(),
        )
        print(
            f"epoch {epoch + 1}: train loss {train_loss:.4f}, val loss {val_loss:.4f}, "
            f"val centre error {val_error:.1f} px",
            file=sys.stderr,
        )
    if run.world > 1:
        dist.barrier()


# ----------------------------------------------------------------------------- command line


RECIPE_FIELDS = (
    "epochs",
    "pairs_per_epoch",
    "batch_size",
    "lr_initial",
    "lr_final",
    "momentum",
    "weight_decay",
    "max_frame_gap",
    "r_pos",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The training options, shared by `siamfc-edu train` and `python -m siamfc_edu.train`."""
    parser.add_argument("--preset", default="tiny", help="tiny, paper (SiamFC-3s) or SiamFC")
    parser.add_argument(
        "--data",
        required=True,
        help="a VID / GOT-10k root, 'footage', a video or image folder, or weighted sources: "
        "data/generated:0.5,footage:0.5",
    )
    parser.add_argument("--out", required=True, help="the run directory")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes")
    parser.add_argument("--val-pairs", type=int, default=256)
    parser.add_argument("--resume", action="store_true", help="continue from RUN_DIR/checkpoint")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 (default: the GPU when there is one)")
    parser.add_argument("--no-amp", action="store_true", help="no mixed precision on CUDA")
    parser.add_argument("--stop-after", type=int, help="stop after this many epochs (resume later)")
    parser.add_argument(
        "--bn-batches", type=int, default=0, help="re-estimate batch norm on N batches at the end"
    )
    for name in RECIPE_FIELDS:
        kind = (
            int if name in ("epochs", "pairs_per_epoch", "batch_size", "max_frame_gap") else float
        )
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, help="overrides the preset")


def run_from_args(args: argparse.Namespace) -> Path:
    """Build the preset and the options from parsed arguments, and train."""
    overrides = {k: getattr(args, k) for k in RECIPE_FIELDS if getattr(args, k) is not None}
    if quick_mode():
        overrides.setdefault("epochs", 2)
        overrides.setdefault("pairs_per_epoch", 64)
    cfg = get_preset(args.preset, **overrides)
    opts = RunOptions(
        data=args.data,
        out=Path(args.out),
        seed=args.seed,
        workers=args.workers,
        val_pairs=args.val_pairs,
        resume=args.resume,
        device=args.device,
        amp=not args.no_amp,
        stop_after=args.stop_after,
        bn_batches=args.bn_batches,
    )
    final = train(cfg, opts)
    if final.is_file() and int(os.environ.get("RANK", "0")) == 0:
        print(f"weights: {final}  (log: {opts.out / 'log.csv'}, curve: {opts.out / 'loss.png'})")
    return final


def main(argv: list[str] | None = None) -> int:
    """`python -m siamfc_edu.train ...` (also under torchrun)."""
    parser = argparse.ArgumentParser(prog="siamfc_edu.train", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        run_from_args(args)
    except (TrainingError, FileNotFoundError, ValueError, OSError) as err:
        print(f"siamfc-edu train: error: {err}", file=sys.stderr)
        return 2
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
