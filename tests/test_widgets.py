"""The widgets' callbacks, headless: set a value, check that what is drawn changed as it should."""

import numpy as np
import pytest

from siamfc_edu import SiamFCTracker, get_preset
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


def test_label_radius_changes_the_positives():
    labels = LabelExplorer(get_preset("paper"))
    assert int((labels.maps()[0] > 0).sum()) == 13
    before = labels.image.value
    labels.set_value("radius", 32)
    assert int((labels.maps()[0] > 0).sum()) > 13
    assert labels.image.value != before
    labels.set_value("stride", 16)
    assert int((labels.maps()[0] > 0).sum()) == 13  # R/stride is the same 2 cells


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


def test_pair_explorer_browses_sources_and_context(red_square_vid):
    from siamfc_edu.data import PairDataset

    cfg = get_preset("tiny")
    sources = {
        "plain": lambda c: PairDataset(c, red_square_vid, length=5, augment=False),
        "augmented": lambda c: PairDataset(c, red_square_vid, length=5, seed=1),
    }
    pairs = PairExplorer(sources, cfg)
    before = pairs.image.value
    pairs.set_value("index", 3)
    assert pairs.image.value != before
    pairs.set_value("source", "augmented")
    shown = pairs.image.value
    pairs.set_value("context", 1.0)
    assert pairs.cfg.context == 1.0 and pairs.dataset().cfg.context == 1.0
    assert pairs.image.value != shown  # more context: the target is smaller in z
