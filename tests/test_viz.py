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


def test_captions_stay_legible_on_yellow():
    yellow = np.full((40, 200, 3), (255, 255, 0), np.uint8)
    out = viz.draw_caption(yellow, "weights", origin=(4, 16))
    box = out[2:20, 2:60]
    text = (box == (255, 255, 0)).all(axis=2) | (box.sum(axis=2) > 100)
    assert (box.sum(axis=2) < 30).mean() > 0.5, "a dark box behind the text"
    assert 0.02 < text.mean() < 0.5, "the text is drawn on the box"
    assert (out[30:] == yellow[30:]).all() and (yellow == (255, 255, 0)).all()


def test_colorbar_marks_each_tick():
    bar = viz.draw_colorbar(100, 0.0, 0.04, [0.0018, 0.0385], "magma")
    assert bar.shape == (100, 16 + 72, 3)
    np.testing.assert_array_equal(
        bar[0, 0], viz.colorize(np.array([[0.04]]), "magma", 0, 0.04)[0, 0]
    )
    rows = np.flatnonzero((bar[:, 16:20] == 0).all(axis=(1, 2)))  # the tick marks, in black
    np.testing.assert_array_equal(rows, [round((0.04 - t) / 0.04 * 99) for t in (0.0385, 0.0018)])


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
    step = tracker.step(carphone_frames[2])
    titles = [ax.get_title() for ax in viz.plot_track_step(step, tracker.cfg).axes]
    assert f"windowed: peak (row, col) {step.peak}" in titles  # the order TrackStep.peak has
    fig = viz.plot_label_map(np.ones((17, 17)), np.ones((17, 17)))
    assert len(fig.axes) == 4  # two maps and their colour bars
    context = viz.draw_context(carphone_frames[0], [63, 42, 42, 54], get_preset("tiny"))
    assert context.shape == carphone_frames[0].shape
