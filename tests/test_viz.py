"""Figures: the arrays they return have the geometry they claim."""

import matplotlib
import numpy as np

from siamfc_edu import SiamFCTracker, get_preset, viz

matplotlib.use("Agg")


def test_draw_box_marks_the_border_only():
    frame = np.zeros((50, 60, 3), np.uint8)
    out = viz.draw_box(frame, [10, 20, 15, 12], thickness=1)
    assert out[20, 10:25].any() and out[31, 10:25].any() and not out[25, 15].any()
    assert not frame.any(), "the input frame is left as it was"


def test_score_map_covers_the_central_region_of_the_crop():
    crop = np.zeros((255, 255, 3), np.uint8)
    out = viz.draw_score_map(crop, np.ones((17, 17)), spacing=8)  # 17 cells x 8 px = 136 px
    covered = np.flatnonzero(out[:, 127].any(axis=1))
    assert covered.min() == (255 - 136) // 2 and covered.max() == (255 - 136) // 2 + 135


def test_strip_gif_and_encoding(carphone_frames):
    strip = viz.frame_strip(carphone_frames[:3], height=72, gap=4)
    assert strip.shape == (72, 3 * 88 + 2 * 4, 3)
    gif = viz.animated_gif(carphone_frames[:3], fps=5)
    assert gif[:6] == b"GIF89a"
    assert viz.encode(carphone_frames[0])[:2] == b"\xff\xd8"


def test_to_image_round_trips_a_tensor():
    import torch

    image = np.random.default_rng(0).integers(0, 256, (8, 9, 3), dtype=np.uint8)
    tensor = torch.from_numpy(image).permute(2, 0, 1).float()
    np.testing.assert_array_equal(viz.to_image(tensor), image)


def test_track_step_figure(carphone_frames):
    tracker = SiamFCTracker.from_weights(device="cpu")
    tracker.init(carphone_frames[0], [63, 42, 42, 54])
    fig = viz.plot_track_step(tracker.step(carphone_frames[1]), tracker.cfg)
    assert len(fig.axes) == 8
    fig = viz.plot_label_map(np.ones((17, 17)), np.ones((17, 17)))
    assert len(fig.axes) == 4  # two maps and their colour bars
    context = viz.draw_context(carphone_frames[0], [63, 42, 42, 54], get_preset("tiny"))
    assert context.shape == carphone_frames[0].shape
