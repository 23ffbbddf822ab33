"""Footage pairs: motion measured right or not at all, deterministic pairs, sources, bad footage."""

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from siamfc_edu.config import get_preset
from siamfc_edu.data import FootagePairs, MixedPairs, footage_pairs, measure_motion, read_video
from siamfc_edu.data.footage import OPENCV_VIDEOS, SHIPPED_VIDEOS
from siamfc_edu.data.footage_pairs import STRICT_MARGIN, FootageClip, load_clip, random_box
from siamfc_edu.data.sources import pair_source, pair_sources
from siamfc_edu.data.split import held_out_start

CFG = get_preset("tiny")


@pytest.fixture(scope="module")
def bikes_frame() -> np.ndarray:
    """A textured real frame: a bicycle against a wall (frame 200 of bikes)."""
    return read_video("bikes", max_frames=201)[200]


def panning_frames(image: np.ndarray, steps: list[tuple[int, int]], size=(320, 200)) -> list:
    """Windows of a real image moved by known steps: content moves by minus the window's move."""
    x, y, frames = 40, 30, []
    for dx, dy in [(0, 0), *steps]:
        x, y = x + dx, y + dy
        frames.append(np.ascontiguousarray(image[y : y + size[1], x : x + size[0]]))
    return frames


def test_motion_of_a_real_texture_is_measured_exactly(bikes_frame):
    a, b = panning_frames(bikes_frame, [(7, -3)])
    box = np.array([150.0, 80.0, 40.0, 50.0])
    moved = measure_motion(a, b, box)
    assert moved is not None
    np.testing.assert_allclose(moved, box + [-7, 3, 0, 0])


def test_motion_check_refuses_repeated_texture():
    stripes = np.tile(((np.arange(200) // 6) % 2 * 255).astype(np.uint8), (160, 1))
    frame = np.dstack([stripes] * 3)
    shifted = np.roll(frame, 3, axis=1)
    assert measure_motion(frame, shifted, np.array([80.0, 60.0, 30.0, 30.0])) is None


def test_motion_check_refuses_unrelated_content_and_moves_beyond_the_search(bikes_frame):
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (200, 320, 3), dtype=np.uint8)
    a, far = panning_frames(bikes_frame, [(60, 0)])
    box = np.array([150.0, 80.0, 40.0, 40.0])
    assert measure_motion(a, noise, box) is None
    assert measure_motion(a, far, box) is None  # moved 60 px, only 20 searched


def test_pairs_have_the_paper_shapes_and_are_deterministic():
    pairs = FootagePairs(CFG, ["bikes"], length=6, seed=3)
    z, x, labels = pairs[2]
    assert z.shape == (3, 127, 127) and x.shape == (3, 255, 255) and labels.shape == (17, 17)
    assert z.dtype == torch.float32 and 0 <= float(z.min()) and float(x.max()) <= 255
    again = FootagePairs(CFG, ["bikes"], length=6, seed=3)
    for a, b in zip(pairs[2], again[2], strict=True):
        assert torch.equal(a, b)
    pairs.set_epoch(1)
    assert not torch.equal(pairs[2][0], again[2][0])


def test_labels_move_with_the_search_shift():
    pairs = FootagePairs(CFG, ["bikes"], length=40, seed=0)
    for i in range(40):
        p = pairs.plan(i)
        labels = pairs[i][2].numpy()
        rows, cols = np.nonzero(labels > 0)
        centre = 8 - p.shift[1] / CFG.total_stride, 8 - p.shift[0] / CFG.total_stride
        assert abs(rows.mean() - centre[0]) < 1 and abs(cols.mean() - centre[1]) < 1


def test_no_pair_gets_a_wrong_motion_on_footage_of_known_motion(bikes_frame, tmp_path):
    """Every pair's search box is the true moved box, or the exemplar's own frame."""
    steps = [(3, 1), (-2, 2), (5, 0), (0, -4), (4, 3), (-3, -1), (2, 2), (6, -2)]
    frames = panning_frames(bikes_frame, steps)
    folder = tmp_path / "pan"
    folder.mkdir()
    for i, f in enumerate(frames):
        cv2.imwrite(str(folder / f"{i:03d}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    origins = np.cumsum([(0, 0), *steps], axis=0)  # the window's position per frame
    pairs = FootagePairs(CFG, [folder], length=300, seed=0, part="all", augment=False)
    moving = 0
    for i in range(300):
        p = pairs.plan(i)
        frame, box = pairs.search_box(p)
        expected = p.box.copy()
        expected[:2] += origins[p.z] - origins[frame]
        # the box is rounded to whole pixels before matching
        np.testing.assert_allclose(box[:2], np.round(expected[:2]), atol=1.01)
        moving += frame != p.z
    assert moving > 60  # most moving pairs pass the check on real texture


def test_train_frames_exclude_the_held_out_quarter():
    train, held = (
        load_clip("carphone_pristine", "train"),
        load_clip("carphone_pristine", "held_out"),
    )
    assert len(train.frames) == 90 and held.first == 90 and len(held.frames) == 30


def test_random_boxes_stay_inside_the_frame_with_the_asked_area():
    rng = np.random.default_rng(0)
    boxes = np.array([random_box((272, 640, 3), rng) for _ in range(500)])
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 0] + boxes[:, 2] <= 640).all()
    assert (boxes[:, 1] + boxes[:, 3] <= 272).all()
    area = boxes[:, 2] * boxes[:, 3] / (640 * 272)
    assert area.min() > 0.003 and area.max() < 0.125


def test_mixed_pairs_follow_the_weights_deterministically():
    a = FootagePairs(CFG, ["carphone_pristine"], length=400, seed=0)
    b = FootagePairs(CFG, ["bikes"], length=400, seed=0)
    mix = MixedPairs([a, b], [0.25, 0.75], seed=1)
    picks = np.array([mix.source_of(i) for i in range(400)])
    assert 0.65 < picks.mean() < 0.85
    assert (picks == [MixedPairs([a, b], [1, 3], seed=1).source_of(i) for i in range(400)]).all()
    z, _, _ = mix[0]
    assert torch.equal(z, (a, b)[picks[0]][0][0])
    mix.set_epoch(2)
    assert a.epoch == b.epoch == 2


@pytest.mark.parametrize("weights", [[1.0], [-1.0, 2.0], [0.0, 0.0], [float("nan"), 1.0]])
def test_mixed_pairs_refuse_bad_weights(weights):
    a = FootagePairs(CFG, ["carphone_pristine"], length=4)
    with pytest.raises(ValueError, match="weights"):
        MixedPairs([a, a], weights)


def test_bad_footage_gets_a_clear_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no images"):
        FootagePairs(CFG, [empty])
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    with pytest.raises(ValueError, match="broken.mp4"):
        FootagePairs(CFG, [broken])
    with pytest.raises(FileNotFoundError):
        FootagePairs(CFG, [tmp_path / "missing.mp4"])
    small = tmp_path / "small"
    small.mkdir()
    for i in range(3):
        cv2.imwrite(str(small / f"{i}.png"), np.full((100, 120, 3), 50 * i, np.uint8))
    with pytest.raises(ValueError, match="too small"):
        FootagePairs(CFG, [small])
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    cv2.imwrite(str(mixed / "0.png"), np.zeros((200, 300, 3), np.uint8))
    cv2.imwrite(str(mixed / "1.png"), np.zeros((210, 300, 3), np.uint8))
    with pytest.raises(ValueError, match="different sizes"):
        FootagePairs(CFG, [mixed])
    with pytest.raises(ValueError, match="part"):
        FootagePairs(CFG, ["bikes"], part="test")


def test_blank_footage_is_refused_not_mislabelled(tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    for i in range(4):
        cv2.imwrite(str(flat / f"{i}.png"), np.full((200, 300, 3), 90, np.uint8))
    pairs = FootagePairs(CFG, [Path(flat)], length=2, part="all")
    with pytest.raises(ValueError, match="no textured box"):
        pairs[0]


# What the default `footage` source drew before the stricter margin existed (recorded with the code
# of that time): pair i -> (clip, frame of z, frame of x, x and y of the search box, rounded).
DEFAULT_FOOTAGE_DRAWS = [
    (1, 128, 126, 539, 5), (1, 71, 71, 413, 169), (1, 83, 84, 224, 77), (1, 182, 181, 593, 40),
    (2, 69, 69, 315, 40), (1, 114, 114, 84, 154), (0, 70, 70, 5, 60), (1, 184, 186, 41, 8),
    (2, 49, 53, 507, 158), (0, 66, 66, 68, 5), (1, 132, 135, 126, 96), (2, 45, 45, 272, 110),
]  # fmt: skip


def test_the_default_footage_source_draws_what_it_drew_before():
    pairs = pair_source("footage", CFG, 300, seed=0)
    assert [c.name for c in pairs.clips] == list(SHIPPED_VIDEOS)
    assert (pairs.min_peak, pairs.min_margin) == (0.75, 0.1)
    draws = []
    for i in range(len(DEFAULT_FOOTAGE_DRAWS)):
        p = pairs.plan(i)
        frame, box = pairs.search_box(p)
        draws.append((p.clip, p.z, frame, *np.round(box[:2]).astype(int).tolist()))
    assert draws == DEFAULT_FOOTAGE_DRAWS


class RecordedClips:
    """A stand-in for `load_clip` that records which clips and parts a source asks for."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def __call__(self, source, part="all", max_side=640) -> FootageClip:
        self.asked.append((str(source), part))
        frames = np.random.default_rng(0).integers(0, 256, (3, 130, 130, 3), dtype=np.uint8)
        return FootageClip(str(source), frames, 0)


def test_the_opencv_source_asks_for_its_clips_training_quarters(monkeypatch):
    recorded = RecordedClips()
    monkeypatch.setattr(footage_pairs, "load_clip", recorded)
    train = pair_source("footage-opencv", CFG, 8, seed=0)
    assert recorded.asked == [(name, "train") for name in OPENCV_VIDEOS]
    assert (train.min_peak, train.min_margin) == (0.75, 0.1) and train.augment
    recorded.asked.clear()
    held = pair_source("footage-opencv", CFG, 8, seed=0, validation=True)
    assert recorded.asked == [(name, "held_out") for name in OPENCV_VIDEOS]
    assert not held.augment
    recorded.asked.clear()
    pair_sources("footage:0.5,footage-opencv:0.5", CFG, 8, seed=0)
    assert recorded.asked == [(n, "train") for n in [*SHIPPED_VIDEOS, *OPENCV_VIDEOS]]


def test_an_opencv_clip_trains_on_its_first_three_quarters_only():
    train, held = load_clip("cup", "train"), load_clip("cup", "held_out")
    frames = OPENCV_VIDEOS["cup"][3]
    assert train.name == "cup" and train.first == 0
    assert len(train.frames) == held.first == held_out_start(frames) == 162
    assert len(train.frames) + len(held.frames) == frames
    pairs = FootagePairs(CFG, ["cup"], length=60, seed=0)
    assert all(max(pairs.plan(i).z, pairs.plan(i).x) < 162 for i in range(60))


def planted_frames(decoy: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A textured patch, and a frame where it moved by (5, 3), maybe with a faded copy beside it.

    The faded copy (the patch plus noise) matches the patch with a score of about 0.85: a second
    match within 0.2 of the true one, but not within 0.1.
    """
    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur(rng.normal(0, 1, (60, 30)), (0, 0), 2)
    patch = 128 + 50 * texture / texture.std()
    background = 128 + rng.normal(0, 3, (240, 320))
    src, dst = background.copy(), background.copy()
    src[80:140, 100:130] = patch
    dst[83:143, 105:135] = patch
    if decoy:
        dst[103:163, 73:103] = patch + rng.normal(0, 0.62 * patch.std(), patch.shape)
    return as_rgb(src), as_rgb(dst), np.array([100.0, 80.0, 30.0, 60.0])


def as_rgb(gray_levels: np.ndarray) -> np.ndarray:
    """A gray image as the uint8 RGB frames footage pairs are cut from."""
    return np.dstack([np.clip(gray_levels, 0, 255).astype(np.uint8)] * 3)


def test_the_strict_margin_refuses_a_planted_second_match_and_keeps_a_clean_one():
    src, dst, box = planted_frames(decoy=True)
    template = cv2.cvtColor(src[80:140, 100:130], cv2.COLOR_RGB2GRAY)
    decoy = cv2.cvtColor(dst[103:163, 73:103], cv2.COLOR_RGB2GRAY)
    score = float(cv2.matchTemplate(decoy, template, cv2.TM_CCOEFF_NORMED)[0, 0])
    assert 0.8 < score < 0.9  # the planted copy is what the test means it to be
    moved = box + [5, 3, 0, 0]
    np.testing.assert_array_equal(measure_motion(src, dst, box), moved)  # today's margin: kept
    assert measure_motion(src, dst, box, min_margin=STRICT_MARGIN) is None
    src, dst, box = planted_frames(decoy=False)
    np.testing.assert_array_equal(measure_motion(src, dst, box, min_margin=STRICT_MARGIN), moved)
