"""SiamFC for the official VOT toolkit: a TraX server (the `siamfc-edu-vot` command).

The VOT toolkit (`vot evaluate`) runs a tracker as a separate process and talks to it through
the TraX protocol: it sends a frame and the target's region to initialise, then one frame at a
time, and reads back a region for each; after a failure it initialises the tracker again. This is
how the authors' MATLAB code ran in the toolkit. A workspace's trackers.ini names the command:

    [SiamFC]
    label = SiamFC
    protocol = trax
    command = siamfc-edu-vot --preset tiny

The region arrives as VOT's rotated polygon (or a box); the tracker starts from the polygon's
axis-aligned box of the same area, the rule our VOT reader uses (`vot_polygon_to_box`, the
authors' get_axis_aligned_BB), and reports an axis-aligned rectangle [x, y, w, h] per frame.
Needs vot-trax (TraX's Python binding, with its native libtrax): pip install "siamfc-edu[vot]".
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from .data.layouts.vot import vot_polygon_to_box
from .images import read_image
from .interface import Tracker

INSTALL_HINT = 'the VOT toolkit integration needs vot-trax: pip install "siamfc-edu[vot]"'
NO_CLIENT = (
    "no TraX client answered ({reason}). siamfc-edu-vot is a TraX server that the VOT toolkit "
    "starts itself: name it in your workspace's trackers.ini (protocol = trax, command = "
    "siamfc-edu-vot --preset tiny) and run `vot evaluate SiamFC`; to track a video by hand, "
    "use `siamfc-edu track`"
)


def region_to_box(region: object) -> np.ndarray:
    """A TraX region (a polygon or a rectangle) as the box [x, y, w, h] the tracker starts from."""
    import trax

    if region.type == trax.Region.RECTANGLE:
        return vot_polygon_to_box(region.bounds())
    if region.type == trax.Region.POLYGON:
        return vot_polygon_to_box([value for point in region for value in point])
    raise ValueError(f"the VOT toolkit sent a {region.type} region; SiamFC needs a polygon or box")


def serve(tracker: Tracker, server: object) -> int:
    """Answer the toolkit until it quits: init on a region, update on a frame, a box for each.

    Returns how many requests it answered (0: no client ever spoke).
    """
    import trax

    answered = 0
    while True:
        try:
            request = server.wait()
        except trax.TraxException as error:
            raise ConnectionError(
                NO_CLIENT.format(reason=error) if not answered else error
            ) from None
        if request.type == trax.TraxStatus.QUIT:
            return answered
        image = read_image(request.image["color"].path())
        if request.type == trax.TraxStatus.INITIALIZE:
            box = region_to_box(request.objects[0][0])
            tracker.init(image, box)
        else:
            box = tracker.update(image)
        x, y, w, h = (float(v) for v in box)
        server.status([(trax.Rectangle.create(x, y, w, h), {})])
        answered += 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command's options: which weights, preset and device the tracker uses."""
    parser = argparse.ArgumentParser(
        prog="siamfc-edu-vot",
        description="SiamFC as a TraX server, for the VOT toolkit's trackers.ini (protocol = trax)",
    )
    parser.add_argument("--weights", help="a checkpoint (default: the shipped weights of --preset)")
    parser.add_argument("--preset", default="tiny", help="tiny, paper (SiamFC-3s) or SiamFC")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 (default: the GPU when there is one)")
    parser.add_argument(
        "--precision",
        default="auto",
        metavar="{fp32,bf16,auto}",
        help="fp32, bf16 or auto (default: bf16 where the CPU or GPU computes it natively and the "
        "preset keeps its accuracy in it, else fp32; as siamfc-edu track)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Load the tracker, then serve the VOT toolkit over TraX (stdin/stdout or TRAX_SOCKET)."""
    args = parse_args(argv)
    try:
        import trax
    except ImportError:
        print(f"siamfc-edu-vot: error: {INSTALL_HINT}", file=sys.stderr)
        return 2
    from .config import get_preset
    from .fast_tracker import in_precision
    from .runtime import check_precision
    from .tracker import SiamFCTracker

    try:
        get_preset(args.preset)  # an unknown preset is named before a missing weights file
        check_precision(args.precision)
        tracker = SiamFCTracker.from_weights(args.weights, preset=args.preset, device=args.device)
        tracker, precision = in_precision(tracker, args.precision)
    except (ValueError, OSError, RuntimeError) as error:
        print(f"siamfc-edu-vot: error: {error}", file=sys.stderr)
        return 1
    server = trax.Server(
        [trax.Region.POLYGON, trax.Region.RECTANGLE],
        [trax.Image.PATH],
        ["color"],
        tracker_name="SiamFC",
        tracker_description=f"siamfc-edu, preset {args.preset}, precision {precision}",
        tracker_family="Siamese",
    )
    try:
        serve(tracker, server)
    except (trax.TraxException, ConnectionError) as error:  # no toolkit, or it went away
        print(f"siamfc-edu-vot: error: {error}", file=sys.stderr)
        return 1
    except (ValueError, OSError, RuntimeError) as error:  # the toolkit shows the reason
        print(f"siamfc-edu-vot: error: {error}", file=sys.stderr)
        server.quit(reason=str(error))
        return 1
    server.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
