"""Baseline trackers (NCC template matching, OpenCV's MIL) on a synthetic moving square."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from siamfc_edu.baselines import MILTracker, NCCTracker, Tracker, crop_with_border
from siamfc_edu.evaluate import iou
from siamfc_edu.images import read_image as read_rgb

HEIGHT, WIDTH, SIDE, FRAMES = 120, 160, 24, 15


def square_path(t: int) -> tuple[int, int]:
    """Top-left corner of the square in frame t: right 5 px and down 2 px per frame."""
    return 20 + 5 * t, 30 + 2 * t


@pytest.fixture(scope="module")
def synthetic_sequence(tmp_path_factory) -> tuple[list[str], np.ndarray]:
    """PNG frames of a textured square moving over a noisy background, and its true boxes."""
    rng = np.random.default_rng(0)
    folder = tmp_path_factory.mktemp("square")
    texture = rng.integers(0, 256, size=(SIDE, SIDE, 3), dtype=np.uint8)
    files, boxes = [], []
    for t in range(FRAMES):
        frame = rng.integers(80, 150, size=(HEIGHT, WIDTH, 3), dtype=np.uint8)
        x, y = square_path(t)
        frame[y : y + SIDE, x : x + SIDE] = texture
        path = folder / f"{t:04d}.png"
        cv2.imwrite(str(path), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        files.append(str(path))
        boxes.append([x, y, SIDE, SIDE])
    return files, np.array(boxes, dtype=np.float64)


def first_frame(files: list[str]) -> np.ndarray:
    return read_rgb(files[0])


# ----------------------------------------------------------------------------- tracking


@pytest.mark.parametrize("tracker", [NCCTracker(), NCCTracker(template_lr=0.1)])
def test_ncc_follows_the_square(synthetic_sequence, tracker):
    files, gt = synthetic_sequence
    boxes, times = tracker.track(files, gt[0])
    assert boxes.shape == (FRAMES, 4) and boxes.dtype == np.float64
    assert times.shape == (FRAMES,) and np.all(times >= 0)
    np.testing.assert_array_equal(boxes[0], gt[0])
    assert iou(boxes, gt).mean() > 0.8
    assert tracker.response is not None and tracker.response.ndim == 2


def test_ncc_keeps_the_target_size(synthetic_sequence):
    files, gt = synthetic_sequence
    boxes, _ = NCCTracker().track(files, [20.0, 30.0, 23.6, 24.4])
    np.testing.assert_array_equal(boxes[1:, 2:], [[24.0, 24.0]] * (FRAMES - 1))


def test_mil_runs_and_returns_finite_boxes(synthetic_sequence):
    files, gt = synthetic_sequence
    boxes, times = MILTracker().track(files, gt[0])
    assert boxes.shape == (FRAMES, 4) and times.shape == (FRAMES,)
    assert np.all(np.isfinite(boxes)) and np.all(boxes[:, 2:] > 0)
    np.testing.assert_array_equal(boxes[0], gt[0])


def test_mil_keeps_the_last_box_when_opencv_fails(synthetic_sequence):
    files, gt = synthetic_sequence
    tracker = MILTracker()
    tracker.init(first_frame(files), gt[0])

    class Lost:
        def update(self, image):
            return False, (0, 0, 0, 0)

    tracker.cv_tracker = Lost()
    np.testing.assert_array_equal(tracker.update(read_rgb(files[1])), gt[0])


def test_ncc_near_the_frame_border():
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, size=(60, 80, 3), dtype=np.uint8)
    tracker = NCCTracker()
    tracker.init(frame, [-5, -5, 20, 20])  # partly outside the frame: still a valid target
    box = tracker.update(frame)
    np.testing.assert_allclose(box, [-5, -5, 20, 20])


def test_crop_with_border_repeats_the_edge_pixels():
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    patch = crop_with_border(image, -1, 1, 3, 3)
    np.testing.assert_array_equal(patch, [[4, 4, 5], [8, 8, 9], [8, 8, 9]])


def test_tracker_is_an_interface():
    with pytest.raises(TypeError):
        Tracker()


# ----------------------------------------------------------------------------- bad input

BAD_BOXES = {
    "zero size": ([10, 10, 0, 20], "zero or negative size"),
    "negative size": ([10, 10, 20, -3], "zero or negative size"),
    "NaN": ([10, np.nan, 20, 20], "NaN"),
    "outside the frame": ([500, 10, 20, 20], "outside"),
    "not four numbers": ([10, 10, 20], "4 numbers"),
}


@pytest.mark.parametrize("make", [NCCTracker, MILTracker])
@pytest.mark.parametrize("case", list(BAD_BOXES))
def test_bad_boxes_are_refused_clearly(synthetic_sequence, make, case):
    box, message = BAD_BOXES[case]
    with pytest.raises(ValueError, match=message):
        make().init(first_frame(synthetic_sequence[0]), box)


@pytest.mark.parametrize("make", [NCCTracker, MILTracker])
def test_gray_and_rgba_frames_are_accepted(synthetic_sequence, make):
    files, gt = synthetic_sequence
    rgb = [read_rgb(f) for f in files[:2]]
    gray = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in rgb]
    rgba = [cv2.cvtColor(f, cv2.COLOR_RGB2RGBA) for f in rgb]
    for frames in (gray, rgba):
        tracker = make()
        tracker.init(frames[0], gt[0])
        box = tracker.update(frames[1])
        assert box.shape == (4,) and np.all(np.isfinite(box))


@pytest.mark.parametrize("make", [NCCTracker, MILTracker])
def test_bad_frames_are_refused_clearly(make):
    with pytest.raises(ValueError, match="uint8"):
        make().init(np.zeros((50, 50, 3), dtype=np.float32), [10, 10, 10, 10])


def test_missing_file_names_the_path(synthetic_sequence, tmp_path):
    files, gt = synthetic_sequence
    missing = str(tmp_path / "no_such_frame.png")
    with pytest.raises(FileNotFoundError, match="no_such_frame.png"):
        NCCTracker().track([files[0], missing], gt[0])


def test_unreadable_file_names_the_path(tmp_path):
    not_an_image = Path(tmp_path / "notes.png")
    not_an_image.write_text("not a picture")
    with pytest.raises(ValueError, match="notes.png"):
        read_rgb(not_an_image)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="search_factor"):
        NCCTracker(search_factor=0.5)
    with pytest.raises(ValueError, match="template_lr"):
        NCCTracker(template_lr=2)


@pytest.mark.parametrize("make", [NCCTracker, MILTracker])
def test_a_trackers_boxes_do_not_depend_on_what_ran_before(make, carphone_frames):
    def run():
        tracker = make()
        tracker.init(carphone_frames[0], [63, 42, 42, 54])
        return np.array([tracker.update(f) for f in carphone_frames[1:]])

    first = run()
    other = MILTracker()  # another run in between consumes the random generators
    other.init(carphone_frames[3], [50, 30, 40, 40])
    other.update(carphone_frames[4])
    np.testing.assert_array_equal(run(), first)
