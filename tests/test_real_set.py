"""The real evaluation set: hand-drawn boxes on the shipped clips, read right, bad files refused."""

import numpy as np
import pytest

from siamfc_edu.data import (
    OPENCV_VIDEOS,
    SHIPPED_VIDEOS,
    read_annotations,
    read_hard_real_set,
    read_real_set,
)
from siamfc_edu.data.real import (
    ANNOTATIONS_DIR,
    HARD_DIR,
    HARD_VALIDATION_DIR,
    VALIDATION_DIR,
    drawn_span,
    hard_real_set_files,
    real_set_files,
)
from siamfc_edu.data.split import held_out_start


def test_every_shipped_clip_has_an_annotated_object():
    clips = {key.split(":")[0] for key in real_set_files()}
    assert clips == set(SHIPPED_VIDEOS)


ALL_FILES = {**real_set_files(), **real_set_files(VALIDATION_DIR)}


@pytest.mark.parametrize("key", sorted(ALL_FILES))
def test_annotations_are_hand_drawn_every_5th_frame_inside_the_frame(key):
    clip, _ = key.split(":")
    path = ALL_FILES[key]
    width, height, frames = SHIPPED_VIDEOS[clip]
    header = [line for line in path.read_text().splitlines() if line.startswith("#")]
    assert any("hand" in line for line in header), "the header must say how the boxes were made"
    listed = np.loadtxt(path, delimiter=",", comments="#")[:, 0]
    assert np.diff(listed).max() <= 5  # a row (a box, or nan) at least every 5th frame
    boxes = read_annotations(path, frames)
    drawn = np.flatnonzero(np.isfinite(boxes).all(axis=1))
    assert len(drawn) >= 10
    assert (boxes[drawn, :2] >= 0).all() and (boxes[drawn, 2:] > 0).all()
    assert (boxes[drawn, 0] + boxes[drawn, 2] <= width).all()
    assert (boxes[drawn, 1] + boxes[drawn, 3] <= height).all()


def test_validation_objects_are_other_objects_than_the_evaluation_set():
    evaluation, validation = real_set_files(), real_set_files(VALIDATION_DIR)
    assert len(validation) >= 3 and not set(evaluation) & set(validation)
    assert {s.name for s in read_real_set(folder=VALIDATION_DIR)} == {
        key.split(":")[1] for key in validation
    }


def test_the_real_set_counts_only_hand_drawn_frames():
    sequences = {s.name: s for s in read_real_set()}
    face = sequences["carphone_face"]
    assert len(face) == 120 and isinstance(face.frames[0], np.ndarray)
    assert face.frames[0].shape == (144, 176, 3)
    assert np.isnan(face.boxes[1]).all() and np.isfinite(face.boxes[0]).all()
    held = {s.name: s for s in read_real_set("held_out")}
    assert len(held["carphone_face"]) == 30
    np.testing.assert_array_equal(held["carphone_face"].boxes, face.boxes[90:])


def test_bad_annotation_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="no annotation file"):
        read_annotations(tmp_path / "none.txt", 10)
    three = tmp_path / "three.txt"
    three.write_text("0,1,2\n")
    with pytest.raises(ValueError, match="5"):
        read_annotations(three, 10)
    late = tmp_path / "late.txt"
    late.write_text("12,1,2,3,4\n")
    with pytest.raises(ValueError, match="outside"):
        read_annotations(late, 10)
    words = tmp_path / "words.txt"
    words.write_text("zero,one,two,three,four\n")
    with pytest.raises(ValueError, match="words.txt"):
        read_annotations(words, 10)
    with pytest.raises(ValueError, match="part"):
        read_real_set("test")
    with pytest.raises(FileNotFoundError, match="no annotation files"):
        read_real_set(folder=tmp_path / "empty_dir_that_is_missing")


def test_annotations_dir_is_in_the_repository():
    assert ANNOTATIONS_DIR.name == "annotations" and ANNOTATIONS_DIR.is_dir()


def test_the_real_set_keeps_exactly_its_sequences():
    """The harder set lives beside the real set, which keeps its own files and names."""
    assert sorted(real_set_files()) == [
        "bigbuckbunny:bigbuckbunny_rabbit",
        "bikes:bikes_parked_bicycle",
        "carphone_pristine:carphone_face",
    ]
    assert len(real_set_files(VALIDATION_DIR)) == 4


HARD_FILES = {**hard_real_set_files(), **hard_real_set_files(HARD_VALIDATION_DIR)}
MIN_ROWS = {"vtest_red_jacket_man": 50, "box_printed_box": 90, "cup_bottle": 44}


@pytest.mark.parametrize("key", sorted(HARD_FILES))
def test_hard_annotations_are_hand_checked_every_5th_frame_inside_the_frame(key):
    clip, name = key.split(":")
    path = HARD_FILES[key]
    _, width, height, frames = OPENCV_VIDEOS[clip]
    header = " ".join(line for line in path.read_text().splitlines() if line.startswith("#"))
    for word in ("Object:", "Convention:", "Method:", "Precision:", "by eye"):
        assert word in header, f"{path.name}: the header must say {word!r}"
    listed = np.loadtxt(path, delimiter=",", comments="#")[:, 0]
    assert np.diff(listed).max() <= 5 and (listed[:-1] % 5 == 0).all()
    boxes = read_annotations(path, frames)
    drawn = np.flatnonzero(np.isfinite(boxes).all(axis=1))
    assert len(drawn) >= MIN_ROWS.get(name, 20)
    assert (boxes[drawn, :2] >= 0).all() and (boxes[drawn, 2:] > 0).all()
    assert (boxes[drawn, 0] + boxes[drawn, 2] <= width).all()
    assert (boxes[drawn, 1] + boxes[drawn, 3] <= height).all()


def test_hard_set_has_one_object_per_opencv_clip_and_other_ones_for_validation():
    evaluation, validation = hard_real_set_files(), hard_real_set_files(HARD_VALIDATION_DIR)
    assert {key.split(":")[0] for key in evaluation} == set(OPENCV_VIDEOS)
    assert validation and not {k.split(":")[1] for k in evaluation} & {
        k.split(":")[1] for k in validation
    }
    assert not set(hard_real_set_files(HARD_DIR)) & set(real_set_files())


@pytest.fixture(scope="module")
def hard_set():
    return {s.name: s for s in read_hard_real_set()}


def test_hard_set_reads_each_object_over_its_drawn_span(hard_set):
    for key, path in hard_real_set_files().items():
        clip, name = key.split(":")
        _, width, height, frames = OPENCV_VIDEOS[clip]
        first, stop = drawn_span(path)
        seq = hard_set[name]
        assert len(seq) == stop - first and seq.frames[0].shape == (height, width, 3)
        np.testing.assert_array_equal(seq.boxes, read_annotations(path, frames)[first:stop])
        assert np.isfinite(seq.boxes[0]).all()  # a one-pass run starts from frame 0


def test_hard_set_held_out_keeps_each_clips_last_quarter(hard_set):
    held = {s.name: s for s in read_hard_real_set("held_out")}
    assert set(held) == set(hard_set)
    for key, path in hard_real_set_files().items():
        clip, name = key.split(":")
        cut = held_out_start(OPENCV_VIDEOS[clip][3])
        first, stop = drawn_span(path)
        assert len(held[name]) == stop - max(first, cut)
        np.testing.assert_array_equal(held[name].boxes, hard_set[name].boxes[-len(held[name]) :])
        np.testing.assert_array_equal(held[name].frames[0], hard_set[name].frames[-len(held[name])])


def test_hard_set_bad_input_is_named(tmp_path):
    with pytest.raises(ValueError, match="part"):
        read_hard_real_set("test")
    with pytest.raises(FileNotFoundError, match="no annotation files of OpenCV"):
        read_hard_real_set(folder=tmp_path)
    with pytest.raises(ValueError, match="held_out"):
        read_hard_real_set("held_out", HARD_VALIDATION_DIR)  # the woman leaves before it


def test_hard_dir_is_in_the_package():
    assert HARD_DIR.parent == ANNOTATIONS_DIR and HARD_VALIDATION_DIR.is_dir()
