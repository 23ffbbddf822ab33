"""Small sequences and a generated data set for the evaluation tests (test_evaluate_*)."""

from pathlib import Path

import numpy as np

from siamfc_edu.data import make_dataset
from siamfc_edu.data.sequence import Sequence
from siamfc_edu.evaluate.metrics import SequenceResult


def random_boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    """n random boxes in a 200 x 200 frame, some overlapping, some not."""
    xy = rng.uniform(0, 150, size=(n, 2))
    wh = rng.uniform(5, 60, size=(n, 2))
    return np.hstack([xy, wh])


def jitter(rng: np.random.Generator, boxes: np.ndarray, pixels: float) -> np.ndarray:
    """The boxes moved and resized by up to `pixels`: a plausible tracker's output."""
    noisy = boxes + rng.uniform(-pixels, pixels, size=boxes.shape)
    noisy[:, 2:] = np.maximum(noisy[:, 2:], 1)
    return noisy


def make_sequence(name: str, gt: np.ndarray, attributes=(), absent=None) -> Sequence:
    """A sequence whose frames are file names only (for trackers that never read them)."""
    frames = [f"{name}/{i:04d}.jpg" for i in range(len(gt))]
    return Sequence(name, frames, gt, list(attributes), absent)


def moving_square(n=24, size=(64, 48), name="square"):
    """A sequence of RGB arrays: a bright square moving right one pixel per frame."""
    frames, boxes = [], []
    for t in range(n):
        frame = np.full((size[1], size[0], 3), 40, np.uint8)
        frame[15:27, 10 + t : 22 + t] = 220
        frames.append(frame)
        boxes.append([10 + t, 15, 12, 12])
    return Sequence(name, frames, np.array(boxes, float))


def generate(root: Path) -> Path:
    """3 generated evaluation sequences of 30 frames, in OTB's and VOT's layouts."""
    make_dataset(root, videos=1, seed=0, eval_videos=3, val_videos=0, frames_per_video=30,
                 verbose=False, vot=True)  # fmt: skip
    return root


def two_tracker_results() -> list:
    """Two trackers, a good and a poor one, on three sequences with attributes."""
    rng = np.random.default_rng(3)
    results = []
    for i, attributes in enumerate([["blur"], ["blur", "scale"], ["scale"]]):
        gt = random_boxes(rng, 40)
        for name, noise in [("good", 2.0), ("poor", 30.0)]:
            pred = jitter(rng, gt, noise)
            results.append(SequenceResult(name, f"seq{i}", pred, gt, np.full(40, 0.02), attributes))
    return results
