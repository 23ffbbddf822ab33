"""The tracker on a moving, growing textured square, on real frames, and on bad input."""

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from siamfc_edu.config import get_preset
from siamfc_edu.head import CorrelationHead
from siamfc_edu.model import SiamFCNet, build_model
from siamfc_edu.tracker import SiamFCTracker, hann_window


class PixelBlockEmbedding(nn.Module):
    """A hand-made phi: every 8x8 block of centred pixels becomes one 192-channel cell (stride 8).

    127 -> 15 cells and 255 -> 31 cells, so the score map is 17 x 17 as with the real network,
    and correlating these features is plain template matching on an 8-pixel grid.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[-1] // 8 * 8
        return F.pixel_unshuffle(x[..., :n, :n] / 255 - 0.5, 8)


def hand_made_tracker(**overrides) -> SiamFCTracker:
    net = SiamFCNet(PixelBlockEmbedding(), CorrelationHead(out_scale=1.0))
    return SiamFCTracker(net, get_preset("SiamFC-3s", **overrides), device="cpu")


def moving_square_scene(n_frames: int = 40, seed: int = 0):
    """A square of coloured tiles that drifts right and down and grows, over grey noise."""
    rng = np.random.default_rng(seed)
    tiles = rng.integers(0, 256, (4, 4, 3)).astype(np.uint8)
    frames, boxes = [], []
    for t in range(n_frames):
        image = rng.normal(128, 30, (240, 320, 3)).clip(0, 255).astype(np.uint8)
        side = int(round(40 + 0.6 * t))  # grows from 40 to ~63 px
        x, y = int(40 + 3.5 * t), int(50 + 2.0 * t)
        image[y : y + side, x : x + side] = cv2.resize(
            tiles, (side, side), interpolation=cv2.INTER_NEAREST
        )
        frames.append(image)
        boxes.append([x, y, side, side])
    return frames, np.array(boxes, dtype=float)


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x1, y1 = np.maximum(a[:, 0], b[:, 0]), np.maximum(a[:, 1], b[:, 1])
    x2 = np.minimum(a[:, 0] + a[:, 2], b[:, 0] + b[:, 2])
    y2 = np.minimum(a[:, 1] + a[:, 3], b[:, 1] + b[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    return inter / (a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter)


def test_follows_a_moving_growing_square():
    frames, truth = moving_square_scene()
    tracker = hand_made_tracker()
    tracker.init(frames[0], truth[0])
    boxes = np.array([truth[0]] + [tracker.update(f) for f in frames[1:]])
    overlap = iou(boxes, truth)
    assert overlap.mean() > 0.65, overlap.round(2)
    assert overlap[-1] > 0.6
    # the scale pyramid followed the growth (damped and penalised, so with some lag)
    assert boxes[-1, 2] > 1.2 * truth[0, 2]
    centre_error = np.hypot(*(boxes[:, :2] + boxes[:, 2:] / 2 - truth[:, :2] - truth[:, 2:] / 2).T)
    assert centre_error.max() < 8


def test_track_reads_files_and_times_every_frame(tmp_path):
    frames, truth = moving_square_scene(10)
    files = []
    for i, image in enumerate(frames):
        files.append(str(tmp_path / f"{i:04d}.png"))
        cv2.imwrite(files[-1], cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    boxes, times = hand_made_tracker().track(files, truth[0])
    assert boxes.shape == (10, 4) and times.shape == (10,) and (times > 0).all()
    np.testing.assert_allclose(boxes[0], truth[0])
    assert iou(boxes, truth).mean() > 0.65


def test_without_window_or_penalty_the_peak_wins():
    """With no window and no penalty the box lands on the best match.

    The 17x17 map reaches +-8 cells = +-64 search pixels = +-40 frame pixels here.
    """
    frames, truth = moving_square_scene(2)
    tracker = hand_made_tracker(window_influence=0.0, scale_penalty=1.0, scale_num=1)
    tracker.init(frames[0], truth[0])
    jump = frames[0].copy()
    jump[:] = 128
    x, y, w, h = truth[0].astype(int)
    jump[y + 16 : y + 16 + h, x + 24 : x + 24 + w] = frames[0][y : y + h, x : x + w]
    box = tracker.update(jump)
    np.testing.assert_allclose(box[:2], truth[0, :2] + [24, 16], atol=1.0)


@pytest.mark.parametrize("preset", ["SiamFC-3s", "SiamFC", "tiny"])
def test_real_network_runs_on_a_real_frame(preset, carphone_frames):
    cfg = get_preset(preset)
    torch.manual_seed(0)
    tracker = SiamFCTracker(build_model(cfg), cfg, device="cpu")
    tracker.init(carphone_frames[0], [60, 30, 50, 60])
    box = tracker.update(carphone_frames[1])
    assert box.shape == (4,) and np.isfinite(box).all()
    assert tracker.last_response.shape == (cfg.upscale_size, cfg.upscale_size)


def test_gray_and_rgba_frames_are_accepted():
    frames, truth = moving_square_scene(3)
    tracker = hand_made_tracker()
    tracker.init(cv2.cvtColor(frames[0], cv2.COLOR_RGB2GRAY), truth[0])
    box = tracker.update(np.dstack([frames[1], np.full(frames[1].shape[:2], 255, np.uint8)]))
    assert np.isfinite(box).all()


@pytest.mark.parametrize(
    "box, message",
    [
        ([10, 10, 0, 20], "zero or negative"),
        ([10, 10, -5, 20], "zero or negative"),
        ([np.nan, 10, 20, 20], "NaN"),
        ([400, 300, 20, 20], "outside"),
    ],
)
def test_bad_boxes_raise_a_clear_error(box, message):
    frames, _ = moving_square_scene(1)
    with pytest.raises(ValueError, match=message):
        hand_made_tracker().init(frames[0], box)


def test_missing_frame_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found: .*nope.jpg"):
        hand_made_tracker().track([str(tmp_path / "nope.jpg")], [1, 1, 5, 5])


def test_hann_window():
    w = hann_window(272)
    assert w.shape == (272, 272)
    assert w.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(w, w.T)
    np.testing.assert_allclose(w, w[::-1, ::-1])
    assert w[0, 0] == 0 and w[135, 135] == w.max()
