"""The shipped weights (siamfc_edu/assets/weights/): safe to load, small, they track a face."""

import numpy as np
import pytest

from siamfc_edu.data import read_video
from siamfc_edu.evaluate import iou
from siamfc_edu.model import WEIGHTS_DIR, default_weights, load_weights
from siamfc_edu.tracker import SiamFCTracker

ANNOTATIONS = WEIGHTS_DIR.parent / "annotations" / "carphone_face.txt"


def test_tiny_weights_are_small_and_load_safely():
    path = default_weights("tiny")
    assert path.is_file(), f"missing {path}: see its MODEL_CARD.md to rebuild it"
    assert path.stat().st_size < 10 * 2**20
    model, cfg = load_weights(path)  # weights_only=True inside
    assert cfg.name == "tiny" and not model.training


def test_tiny_weights_track_the_face_in_carphone_through_all_120_frames():
    """Hand-drawn boxes on 25 frames (assets/annotations/carphone_face.txt); init on the first."""
    annotated = np.loadtxt(ANNOTATIONS, delimiter=",", comments="#")
    frames = read_video("carphone_pristine")
    assert len(frames) == 120
    tracker = SiamFCTracker.from_weights(device="cpu")
    tracker.init(frames[0], annotated[0, 1:])
    boxes = np.array([annotated[0, 1:]] + [tracker.update(f) for f in frames[1:]])
    overlap = iou(boxes[annotated[:, 0].astype(int)], annotated[:, 1:])
    assert overlap.min() > 0.5, overlap.round(2)


@pytest.mark.parametrize("preset", ["tiny"])
def test_the_cli_uses_the_shipped_weights_by_default(preset, capsys, tmp_path, carphone_video):
    from siamfc_edu.cli import main

    assert (
        main(
            [
                "track",
                str(carphone_video),
                "--box",
                "63",
                "42",
                "42",
                "54",
                "--boxes",
                str(tmp_path / "b.txt"),
                "--preset",
                preset,
            ]
        )
        == 0
    )
    assert "random network" not in capsys.readouterr().err
