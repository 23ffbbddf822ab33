"""Record the shipped weights' boxes on carphone and on one generated sequence.

The refactoring guard of the library issue: `tests/test_reference_boxes.py` checks that the
tracker still gives exactly these boxes. Re-run only when the shipped weights or the tracker's
maths change on purpose:  python tests/reference/record_boxes.py
"""

from pathlib import Path

import numpy as np

from siamfc_edu import SiamFCTracker
from siamfc_edu.data import read_video, render_video

HERE = Path(__file__).resolve().parent
CARPHONE_BOX = [63, 42, 42, 54]


def generated_sequence() -> tuple[list[np.ndarray], np.ndarray]:
    """Frames and first box of one small generated sequence (seed 3)."""
    video = render_video(np.random.default_rng(3), 40)
    return video.frames, video.boxes[0][0]


def track(frames: list[np.ndarray], box: object) -> np.ndarray:
    """Boxes of the shipped tiny tracker, first frame's box included."""
    tracker = SiamFCTracker.from_weights(device="cpu")
    tracker.init(frames[0], box)
    return np.array([np.asarray(box, float)] + [tracker.update(f) for f in frames[1:]])


def main() -> None:
    frames, box = generated_sequence()
    np.savez(
        HERE / "shipped_boxes.npz",
        carphone=track(list(read_video("carphone_pristine")), CARPHONE_BOX),
        generated=track(frames, box),
    )
    print("wrote", HERE / "shipped_boxes.npz")


if __name__ == "__main__":
    main()
