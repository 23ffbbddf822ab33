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
    assert tracker.step(carphone_frames[2]).windowed.shape == (cfg.upscale_size, cfg.upscale_size)


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


# ----------------------------------------------------------------------------- step()


def test_update_is_the_box_of_step_over_a_whole_clip(carphone_frames):
    by_update, by_step = SiamFCTracker.from_weights(device="cpu"), None
    by_step = SiamFCTracker.from_weights(device="cpu")
    for tracker in (by_update, by_step):
        tracker.init(carphone_frames[0], [63, 42, 42, 54])
    for frame in carphone_frames[1:]:
        np.testing.assert_array_equal(by_update.update(frame), by_step.step(frame).box)


def test_step_before_init_is_refused():
    frames, _ = moving_square_scene(1)
    with pytest.raises(RuntimeError, match="call init"):
        hand_made_tracker().update(frames[0])


def test_step_fields_match_a_hand_computation():
    """On the hand-made embedding, every field of TrackStep against the paper's formulas."""
    frames, truth = moving_square_scene(2)
    tracker = hand_made_tracker()
    tracker.init(frames[0], truth[0])
    center, scale, kernel = tracker.center.copy(), tracker.scale, tracker.kernel.clone()
    step = tracker.step(frames[1])
    cfg = tracker.cfg

    # 1. the pyramid: sides s^k times the search side, crops around the old centre
    np.testing.assert_allclose(step.scale_factors, [1 / 1.0375, 1, 1.0375])
    side = np.sqrt(np.prod(truth[0, 2:] + 0.5 * truth[0, 2:].sum())) * 255 / 127
    np.testing.assert_allclose(step.search_sides, side * step.scale_factors)
    assert step.search_crops.shape == (3, 255, 255, 3) and step.search_crops.dtype == np.uint8
    # 2. raw scores: phi(z) slid over phi(x), a plain loop of dot products
    phi_z = PixelBlockEmbedding()(torch.from_numpy(tracker.exemplar).permute(2, 0, 1)[None].float())
    for k in range(3):
        x = torch.from_numpy(step.search_crops[k]).permute(2, 0, 1)[None].float()
        phi_x = PixelBlockEmbedding()(x)[0]
        expected = np.array(
            [[float((phi_z[0] * phi_x[:, i : i + 15, j : j + 15]).sum()) for j in range(17)]
             for i in range(17)]
        )  # fmt: skip
        np.testing.assert_allclose(step.raw_scores[k], expected, rtol=1e-3, atol=5e-3)  # float32
    # 3-4. upsampling and penalty
    np.testing.assert_allclose(
        step.upsampled[1], cv2.resize(step.raw_scores[1], (272, 272), interpolation=cv2.INTER_CUBIC)
    )
    np.testing.assert_allclose(step.penalty, [0.9745, 1, 0.9745])
    np.testing.assert_allclose(step.penalised, step.upsampled * step.penalty[:, None, None])
    assert step.best_scale == int(np.argmax(step.penalised.reshape(3, -1).max(axis=1)))
    # 5. normalised map and window
    chosen = step.penalised[step.best_scale]
    np.testing.assert_allclose(
        step.normalised, (chosen - chosen.min()) / (chosen - chosen.min()).sum()
    )
    wi = cfg.window_influence
    np.testing.assert_allclose(step.windowed, (1 - wi) * step.normalised + wi * step.window)
    # 6. the peak and its displacement in each unit
    row, col = np.unravel_index(step.windowed.argmax(), (272, 272))
    assert step.peak == (row, col)
    cells = (np.array([col, row]) - 135.5) / 16
    np.testing.assert_allclose(step.displacement_cells, cells)
    np.testing.assert_allclose(step.displacement_crop, cells * 8)
    best_side = step.search_sides[step.best_scale]
    np.testing.assert_allclose(step.displacement_frame, cells * 8 * best_side / 255)
    # 7. the new state, and nothing else changed
    np.testing.assert_allclose(step.center, center + step.displacement_frame)
    damped = 0.41 + 0.59 * step.scale_factors[step.best_scale]
    assert step.scale == pytest.approx(scale * damped)
    np.testing.assert_allclose(step.box[2:], truth[0, 2:] * step.scale)
    np.testing.assert_allclose(step.box[:2] + (step.box[2:] - 1) / 2, step.center)
    assert torch.equal(tracker.kernel, kernel)


def test_step_displacement_follows_a_known_jump():
    """A target moved by (24, 16) px: the displacement in frame px, and x 255/side in crop px."""
    frames, truth = moving_square_scene(2)
    tracker = hand_made_tracker(window_influence=0.0, scale_penalty=1.0, scale_num=1)
    tracker.init(frames[0], truth[0])
    jump = np.full_like(frames[0], 128)
    x, y, w, h = truth[0].astype(int)
    jump[y + 16 : y + 16 + h, x + 24 : x + 24 + w] = frames[0][y : y + h, x : x + w]
    step = tracker.step(jump)
    np.testing.assert_allclose(step.displacement_frame, [24, 16], atol=1.0)
    side = step.search_sides[0]
    np.testing.assert_allclose(step.displacement_crop, np.array([24, 16]) * 255 / side, atol=1.5)
    np.testing.assert_allclose(step.displacement_cells, step.displacement_crop / 8)


def test_pieces_swap_in_your_own_functions(carphone_frames):
    """The capstone's hook: equal pieces track the same; a wrong one (bilinear) tracks otherwise."""
    import dataclasses

    from siamfc_edu.tracker import Pieces

    def own(fn):
        return lambda *args, **kwargs: fn(*args, **kwargs)  # the same function, another object

    library = Pieces()
    same = Pieces(**{f.name: own(getattr(library, f.name)) for f in dataclasses.fields(Pieces)})

    def bilinear(maps, size):
        return np.stack([cv2.resize(m, (size, size), interpolation=cv2.INTER_LINEAR) for m in maps])

    shipped = SiamFCTracker.from_weights(device="cpu")
    paths = {}
    for name, pieces in [("library", None), ("same", same), ("wrong", Pieces(upsample=bilinear))]:
        tracker = SiamFCTracker(shipped.net, shipped.cfg, "cpu", pieces=pieces)
        tracker.init(carphone_frames[0], [63, 42, 42, 54])
        paths[name] = np.array([tracker.update(frame) for frame in carphone_frames[1:]])
    np.testing.assert_array_equal(paths["same"], paths["library"])
    assert not np.allclose(paths["wrong"], paths["library"])


def test_locate_peak_on_a_batch_equals_it_map_by_map():
    """Steps 4-6 take leading batch dimensions: (B, S, H, W) gives each (S, H, W)'s answer."""
    from siamfc_edu.config import get_preset
    from siamfc_edu.tracker import locate_peak, scale_penalties

    cfg = get_preset("tiny")
    maps = np.random.default_rng(0).normal(size=(2, 3, 272, 272)).astype(np.float32)
    penalty, window = scale_penalties(cfg), hann_window(272)
    batch = locate_peak(maps, penalty, window, cfg)
    for i in range(2):
        one = locate_peak(maps[i], penalty, window, cfg)
        peak = (batch.best_scale[i], batch.row[i], batch.col[i])
        assert (one.best_scale, one.row, one.col) == peak
        np.testing.assert_array_equal(one.windowed, batch.windowed[i])
