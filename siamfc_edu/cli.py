"""The `siamfc-edu` command: track a video, make the generated data set, train, evaluate.

siamfc-edu track VIDEO --box x,y,w,h [--weights FILE] [--out tracked.mp4]
siamfc-edu make-data --out DIR --videos N --seed S
siamfc-edu train --preset tiny --data DIR --out RUN_DIR
    (also: python -m siamfc_edu.train ..., torchrun --nproc_per_node N -m siamfc_edu.train ...)
siamfc-edu evaluate --trackers siamfc,ncc,mil --data DIR
siamfc-edu make-exercises          (exercises/ from solutions/)
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from pathlib import Path

import cv2
import numpy as np


def parse_box(text: str) -> list[float]:
    """'x,y,w,h' -> four floats (0-based top-left corner, width, height)."""
    try:
        box = [float(v) for v in text.replace(" ", "").split(",")]
    except ValueError:
        box = []
    if len(box) != 4:
        raise argparse.ArgumentTypeError(f"expected x,y,w,h (four numbers), got {text!r}")
    return box


def frame_count(source: str) -> int | None:
    """How many frames a video or folder has, for the progress bar (None when unknown)."""
    from .data import SHIPPED_VIDEOS, list_images

    if source in SHIPPED_VIDEOS:
        return SHIPPED_VIDEOS[source][2]
    if Path(source).is_dir():
        return len(list_images(source))
    n = int(cv2.VideoCapture(source).get(cv2.CAP_PROP_FRAME_COUNT))
    return n if n > 0 else None


def make_tracker(weights: str | None, preset: str, device: str | None):
    """The SiamFC tracker with the given weights, or the shipped ones for the preset."""
    from .config import get_preset
    from .model import build_model, default_weights
    from .tracker import SiamFCTracker

    if weights is None and not default_weights(preset).is_file():
        print(
            f"siamfc-edu: warning: no trained weights at {default_weights(preset)}; "
            "tracking with a random network (pass --weights FILE)",
            file=sys.stderr,
        )
        return SiamFCTracker(build_model(get_preset(preset)), get_preset(preset), device)
    return SiamFCTracker.from_weights(weights, preset=preset, device=device)


def cmd_track(args: argparse.Namespace) -> None:
    """Track one object through a video from its first-frame box; write boxes and a video."""
    from tqdm import tqdm

    from . import viz
    from .data import iter_video

    frames = iter_video(args.video)
    first = next(frames, None)  # an unreadable path fails here, before the network is built
    if first is None:
        raise ValueError(f"no frames in {args.video}")
    tracker = make_tracker(args.weights, args.preset, args.device)
    out = Path(args.out) if args.out else None
    default_boxes = out.with_suffix(".txt") if out else Path(f"{Path(args.video).stem}_boxes.txt")
    boxes_file = Path(args.boxes) if args.boxes else default_boxes
    writer = None
    boxes = []
    for i, frame in enumerate(
        tqdm(itertools.chain([first], frames), total=frame_count(args.video), unit="frame")
    ):
        if i == 0:
            tracker.init(frame, args.box)
            box = np.asarray(args.box, dtype=float)
        else:
            box = tracker.update(frame)
        boxes.append(box)
        if out is not None:
            if writer is None:
                out.parent.mkdir(parents=True, exist_ok=True)
                fourcc = cv2.VideoWriter_fourcc(*"mp4v")
                writer = cv2.VideoWriter(str(out), fourcc, args.fps, frame.shape[1::-1])
            writer.write(cv2.cvtColor(viz.draw_box(frame, box), cv2.COLOR_RGB2BGR))
    if writer is not None:
        writer.release()
    boxes_file.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(boxes_file, np.array(boxes), fmt="%.2f", delimiter=",", header="x,y,w,h (0-based)")
    print(
        f"{len(boxes)} frames tracked; boxes in {boxes_file}" + (f", video in {out}" if out else "")
    )


def cmd_make_data(args: argparse.Namespace) -> None:
    """Write the generated data set in the ImageNet VID, OTB and GOT-10k layouts."""
    from .data import make_dataset

    make_dataset(args.out, args.videos, args.seed, args.eval_videos, args.frames)


def cmd_curate(args: argparse.Namespace) -> None:
    """Cut every annotated frame around its target once, so training reads small crops."""
    from .data import curate, find_vid_root

    curate(find_vid_root(args.data), args.out)


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
        kind = int if name in INT_FIELDS else float
        parser.add_argument(f"--{name.replace('_', '-')}", type=kind, help="overrides the preset")


def train_from_args(args: argparse.Namespace) -> Path:
    """Build the preset and the run options from parsed arguments, and train."""
    from .config import get_preset, quick_mode
    from .train import RunOptions, train

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


def cmd_train(args: argparse.Namespace) -> None:
    """Train a preset on a data set (see `siamfc_edu.train`)."""
    train_from_args(args)


def evaluation_sequences(root: str | Path) -> list:
    """'real', 'real-held-out', 'real-validation' (hand-drawn boxes), or OTB sequences in root."""
    from .data import read_otb, read_real_set
    from .data.real import VALIDATION_DIR

    if str(root) in ("real", "real-held-out"):
        return read_real_set("all" if str(root) == "real" else "held_out")
    if str(root) == "real-validation":
        return read_real_set(folder=VALIDATION_DIR)
    root = Path(root)
    return read_otb(root / "OTB" if (root / "OTB").is_dir() else root)


def cmd_evaluate(args: argparse.Namespace) -> None:
    """Run every tracker on every sequence; print the tables and write the plots."""
    from . import baselines, evaluate

    makers = {
        "siamfc": lambda: make_tracker(args.weights, args.preset, args.device),
        "ncc": baselines.NCCTracker,
        "mil": baselines.MILTracker,
    }
    names = [n.strip().lower() for n in args.trackers.split(",") if n.strip()]
    unknown = [n for n in names if n not in makers]
    if unknown:
        raise ValueError(f"unknown tracker(s) {unknown}; choose from {sorted(makers)}")
    sequences = evaluation_sequences(args.data)
    results = []
    for name in names:
        if args.starts > 1:
            results += evaluate.evaluate_multistart(makers[name](), sequences, args.starts, name)
        else:
            results += evaluate.evaluate_tracker(makers[name](), sequences, name=name)
    summaries = evaluate.summarize(results)
    starts = f", {args.starts} starts each" if args.starts > 1 else ""
    print(f"{len(sequences)} sequences, {sum(len(s) for s in sequences)} frames{starts}\n")
    print(evaluate.format_table(summaries))
    print("\nsuccess AUC per attribute:\n")
    print(evaluate.format_attribute_table(evaluate.attribute_table(results)))
    paths = evaluate.save_plots(summaries, args.out)
    print("\nplots: " + ", ".join(str(p) for p in paths))


def cmd_make_exercises(args: argparse.Namespace) -> None:
    """Write the student notebooks of exercises/ from solutions/ (solution regions stubbed)."""
    from .exercises import make_exercises

    written = make_exercises(args.solutions, args.out)
    print(f"{len(written) // 2} exercise notebooks written to {args.out}/")


def build_parser() -> argparse.ArgumentParser:
    """The command line: one sub-command per job."""
    parser = argparse.ArgumentParser(
        prog="siamfc-edu", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    track = sub.add_parser("track", help="track an object through a video or image folder")
    track.add_argument("video", help="a video file, a folder of images, or a shipped clip's name")
    track.add_argument("--box", type=parse_box, required=True, help="first-frame box x,y,w,h")
    track.add_argument("--weights", help="a checkpoint (default: the shipped weights)")
    track.add_argument("--preset", default="tiny", help="preset of the default weights")
    track.add_argument("--out", help="write an annotated video here (.mp4)")
    track.add_argument(
        "--boxes", help="write the boxes here (default: OUT.txt, or ./VIDEO_boxes.txt)"
    )
    track.add_argument("--fps", type=float, default=25.0, help="frame rate of the output video")
    track.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    track.set_defaults(func=cmd_track)

    make = sub.add_parser("make-data", help="write the generated VID (+ OTB, GOT-10k eval splits)")
    make.add_argument("--out", required=True, help="the data set's folder")
    make.add_argument("--videos", type=int, default=30, help="training videos")
    make.add_argument("--seed", type=int, default=0)
    make.add_argument("--eval-videos", type=int, help="held-out evaluation sequences")
    make.add_argument("--frames", type=int, default=40, help="frames per video")
    make.set_defaults(func=cmd_make_data)

    curate = sub.add_parser("curate", help="pre-crop every annotated frame once (faster training)")
    curate.add_argument("--data", required=True, help="an ImageNet VID root (real or generated)")
    curate.add_argument("--out", help="where to write the crops (default: beside the data)")
    curate.set_defaults(func=cmd_curate)

    train = sub.add_parser("train", help="train SiamFC on a VID-layout data set")
    add_train_arguments(train)
    train.set_defaults(func=cmd_train)

    evaluate = sub.add_parser("evaluate", help="OTB one-pass evaluation of several trackers")
    evaluate.add_argument(
        "--data",
        required=True,
        help="an OTB root, a generated data set, or real / real-held-out / real-validation",
    )
    evaluate.add_argument(
        "--starts", type=int, default=1, help="runs per sequence from evenly spread frames"
    )
    evaluate.add_argument("--trackers", default="siamfc,ncc,mil", help="siamfc, ncc, mil")
    evaluate.add_argument("--weights", help="SiamFC checkpoint (default: the shipped weights)")
    evaluate.add_argument("--preset", default="tiny", help="preset of the default weights")
    evaluate.add_argument("--out", default="evaluation", help="folder for the plots")
    evaluate.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    evaluate.set_defaults(func=cmd_evaluate)

    exercises = sub.add_parser("make-exercises", help="write exercises/ from solutions/")
    exercises.add_argument("--solutions", default="solutions", help="the solution notebooks")
    exercises.add_argument("--out", default="exercises", help="where the exercises go")
    exercises.set_defaults(func=cmd_make_exercises)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point: errors a user can fix are one line, not a traceback."""
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (FileNotFoundError, ValueError, OSError, RuntimeError) as err:
        print(f"siamfc-edu: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("siamfc-edu: interrupted", file=sys.stderr)
        return 130
    return 0


def train_main(argv: list[str] | None = None) -> int:
    """`python -m siamfc_edu.train ...`, also under torchrun: `siamfc-edu train` on its own."""
    from .train import TrainingError
    from .train.loop import end_processes

    parser = argparse.ArgumentParser(
        prog="siamfc_edu.train", description="Train SiamFC (Section 3 of the paper)."
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


if __name__ == "__main__":
    sys.exit(main())
