"""The widgets' callbacks, headless: set a value, check that what is drawn changed as it should."""

import numpy as np
import pytest

from siamfc_edu import SiamFCTracker, get_preset, widgets
from siamfc_edu.crops import exemplar_crop, search_crop
from siamfc_edu.model import default_weights, load_weights
from siamfc_edu.widgets import EmbeddingExplorer, LabelExplorer, PairExplorer, ScoreMapExplorer

FACE = [63, 42, 42, 54]


@pytest.fixture(scope="module")
def explorer(carphone_frames) -> ScoreMapExplorer:
    explorer = ScoreMapExplorer(carphone_frames, FACE, SiamFCTracker.from_weights(device="cpu"))
    _ = explorer.widget  # builds the images the callbacks redraw
    return explorer


def test_explorer_path_is_the_trackers(explorer, carphone_frames):
    tracker = SiamFCTracker.from_weights(device="cpu")
    tracker.init(carphone_frames[0], FACE)
    expected = [tracker.update(frame) for frame in carphone_frames[1:]]
    np.testing.assert_allclose(explorer.path()[1:], expected)


def test_replayed_step_is_the_tracked_one(explorer, carphone_frames):
    tracker = SiamFCTracker.from_weights(device="cpu")
    tracker.init(carphone_frames[0], FACE)
    for frame in carphone_frames[1:6]:
        step = tracker.step(frame)
    replay = explorer.step_at(5)
    np.testing.assert_array_equal(replay.box, step.box)
    np.testing.assert_array_equal(replay.raw_scores, step.raw_scores)


def test_frame_slider_changes_the_pictures_and_the_caption(explorer):
    explorer.show_frame(1)
    before = (explorer.images["frame"].value, explorer.images["pyramid"].value)
    caption = explorer.caption_widget.value
    explorer.show_frame(7)
    assert explorer.images["frame"].value != before[0]
    assert explorer.images["pyramid"].value != before[1]
    assert explorer.caption_widget.value.startswith("frame 7 / 9")
    assert explorer.caption_widget.value != caption


def test_a_setting_re_tracks_from_the_start(explorer):
    old_path = explorer.path().copy()
    explorer.set_setting("scale_lr", 1.0)
    assert explorer.cfg.scale_lr == 1.0
    assert not np.allclose(explorer.path()[1:, 2:], old_path[1:, 2:])  # sizes follow at once
    np.testing.assert_array_equal(explorer.path()[0], old_path[0])  # the same first box
    explorer.set_setting("scale_lr", explorer.base.cfg.scale_lr)
    np.testing.assert_allclose(explorer.path(), old_path)


def test_a_setting_re_tracks_the_frame_shown_first_and_says_so(explorer, carphone_frames):
    explorer.show_frame(4)
    said = []
    explorer.status.observe(lambda change: said.append(change["new"]), names="value")
    explorer.set_setting("window_influence", 1.0)
    assert said[0] == widgets.BUSY and said[-1] == ""  # "tracking…" first, cleared when shown
    assert len(explorer.states) == 5, "frames 0-4 re-tracked, the later ones not yet"
    assert explorer.caption_widget.value.startswith("frame 4 / 9")
    tracker = SiamFCTracker.from_weights(device="cpu", window_influence=1.0)
    tracker.init(carphone_frames[0], FACE)
    expected = [tracker.update(frame) for frame in carphone_frames[1:]]
    np.testing.assert_allclose(explorer.path()[1:], expected)  # the rest follows when asked
    explorer.set_setting("window_influence", explorer.base.cfg.window_influence)


def test_a_long_re_track_shows_its_progress(explorer, monkeypatch):
    monkeypatch.setattr(widgets, "PROGRESS_S", 0.0)  # as if every frame took longer than that
    explorer.show_frame(9)
    pictures, said = [], []
    explorer.images["frame"].observe(lambda c: pictures.append(c["new"]), names="value")
    explorer.status.observe(lambda change: said.append(change["new"]), names="value")
    explorer.set_setting("scale_lr", 0.0)
    assert [s for s in said if s.startswith(widgets.BUSY + " frame")] == [
        f"{widgets.BUSY} frame {k}, on to frame 9" for k in range(1, 9)
    ]
    assert len(set(pictures)) == 9, "frames 1-8 while tracking, then frame 9"
    assert explorer.images["frame"].value == widgets.viz.encode(explorer.frame_image(9))
    explorer.set_setting("scale_lr", explorer.base.cfg.scale_lr)


def test_the_explorer_leaves_the_given_tracker_alone(carphone_frames):
    tracker = SiamFCTracker.from_weights(device="cpu")
    explorer = ScoreMapExplorer(carphone_frames, FACE, tracker)
    explorer.path()
    assert tracker.kernel is None, "the explorer tracks with a tracker of its own"


def test_readouts_show_every_step():
    assert [widgets.readout_format(s) for s in (0.0025, 0.01, 0.1, 0.5, 1.0, 2)] == [
        ".4f",
        ".2f",
        ".1f",
        ".1f",
        ".0f",
        ".0f",
    ]
    for preset in ("tiny", "paper"):
        for name, (lo, hi, step) in widgets.SETTINGS.items():
            value = getattr(get_preset(preset), name)
            slider = widgets.float_slider(value, lo, hi, step)
            shown = format(value, slider.readout_format)
            assert float(shown) == value, (preset, name, shown)  # 0.9745 is not 0.97
            assert format(value + step, slider.readout_format) != shown, (preset, name)


def test_label_radius_changes_the_positives():
    labels = LabelExplorer(get_preset("paper"))
    assert int((labels.maps()[0] > 0).sum()) == 13
    before = labels.image.value
    labels.set_value("radius", 32)
    assert int((labels.maps()[0] > 0).sum()) > 13
    assert labels.image.value != before
    labels.set_value("stride", 16)
    assert int((labels.maps()[0] > 0).sum()) == 13  # R/stride is the same 2 cells


def test_label_weights_are_shown_with_their_values():
    labels = LabelExplorer(get_preset("paper"))
    table = labels.table.value
    assert "0.03846 = 1/26" in table and "0.001812 = 1/552" in table
    assert table.count(">0.500</td>") == 2, "each class sums to 1/2"
    picture = labels.picture()
    assert picture.shape[1] > 2 * 17 * 12 + 4, "the weights carry a colour bar"
    labels.set_value("stride", 1)  # R = 16 cells: every cell positive, no negative to share 1/2
    assert ">289</td>" in labels.table.value and ">0</td>" in labels.table.value


def test_embedding_layer_and_channel_change_the_picture(carphone_frames):
    model, cfg = load_weights(default_weights("tiny"))
    z, x = (crop(carphone_frames[0], FACE, cfg) for crop in (exemplar_crop, search_crop))
    explorer = EmbeddingExplorer(model.backbone, z, x)
    assert explorer.activations["conv5"][0].shape == (48, 6, 6)
    assert explorer.activations["conv5"][1].shape == (48, 22, 22)
    before = explorer.image.value
    explorer.set_value("channel", 3)
    assert explorer.image.value != before
    explorer.set_value("channel", 60)  # conv1 of tiny has 16 channels: clipped, not an error
    assert explorer.channel == 15
    explorer.set_value("layer", "conv5")
    explorer.set_value("channel", 60)
    assert explorer.channel == 47


def test_embedding_channel_slider_is_rebuilt_for_each_layer(carphone_frames):
    model, cfg = load_weights(default_weights("tiny"))
    z, x = (crop(carphone_frames[0], FACE, cfg) for crop in (exemplar_crop, search_crop))
    explorer = EmbeddingExplorer(model.backbone, z, x)
    _ = explorer.widget
    menu, before = explorer.controls.children
    assert before.max == 15
    menu.value = "conv5"
    slider = explorer.controls.children[1]
    assert slider is not before and slider.max == 47
    slider.value = 47  # what the End key sends
    assert explorer.channel == 47
    menu.value = "conv1"
    assert explorer.controls.children[1].max == 15 and explorer.channel == 15


def test_pair_explorer_browses_sources_and_context(red_square_vid):
    from siamfc_edu.data import PairDataset

    cfg = get_preset("tiny")
    sources = {
        "plain": lambda c: PairDataset(c, red_square_vid, length=5, augment=False),
        "augmented": lambda c: PairDataset(c, red_square_vid, length=5, seed=1),
    }
    pairs = PairExplorer(sources, cfg)
    said = []
    pairs.status.observe(lambda change: said.append(change["new"]), names="value")
    before = pairs.image.value
    pairs.set_value("index", 3)
    assert pairs.image.value != before
    assert said == [], "a pair of a built source: nothing to wait for"
    pairs.set_value("source", "augmented")
    assert said == ["preparing the pairs of 'augmented'…", ""]
    shown = pairs.image.value
    pairs.set_value("context", 1.0)
    assert pairs.cfg.context == 1.0 and pairs.dataset().cfg.context == 1.0
    assert pairs.image.value != shown  # more context: the target is smaller in z


# ----------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    "frames, kwargs, message",
    [
        ([], {}, r"frames must be a non-empty list .*got an empty list"),
        (None, {}, r"frames must be a non-empty list"),
        ("carphone", {}, r"frames must be a non-empty list"),
        ("four", {"start": 10}, r"start=10 is not a frame of this 4-frame clip \(0 \.\. 3"),
        ("four", {"start": -1}, r"start=-1 .*negative numbers are not counted from the end"),
        ("four", {"start": 1.5}, r"start must be a frame number"),
        ("four", {"truth": np.zeros((3, 4))}, r"truth has 3 boxes for 4 frames"),
    ],
)
def test_the_score_map_explorer_refuses_what_it_cannot_use(carphone_frames, frames, kwargs,
                                                           message):  # fmt: skip
    frames = carphone_frames[:4] if frames == "four" else frames
    with pytest.raises(ValueError, match=message):
        ScoreMapExplorer(frames, FACE, **kwargs)


def test_the_score_map_explorer_refuses_a_bad_box(carphone_frames):
    with pytest.raises(ValueError, match="zero or negative size"):
        ScoreMapExplorer(carphone_frames[:4], [63, 42, 0, 54])


@pytest.mark.parametrize(
    "cfg, scale, message",
    [
        (None, 12, r"expected a SiamFCConfig or a preset name .*got NoneType"),
        ("nonexistent", 12, r"nonexistent"),
        ("tiny", 0, r"scale \(pixels per cell\) must be a whole number of at least 1, got 0"),
        ("tiny", -3, r"at least 1, got -3"),
    ],
)
def test_the_label_explorer_refuses_what_it_cannot_use(cfg, scale, message):
    with pytest.raises(ValueError, match=message):
        LabelExplorer(cfg, scale=scale)


def test_the_label_explorer_takes_a_preset_name():
    assert LabelExplorer("tiny").radius == get_preset("tiny").r_pos


def test_the_embedding_and_pair_explorers_refuse_what_they_cannot_use():
    with pytest.raises(ValueError, match="backbone must be the embedding phi"):
        EmbeddingExplorer("tiny", np.zeros((127, 127, 3)), np.zeros((255, 255, 3)))
    with pytest.raises(ValueError, match="sources must be a non-empty dict"):
        PairExplorer({}, get_preset("tiny"))
