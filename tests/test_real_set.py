"""The real evaluation set: hand-drawn boxes on the shipped clips, read right, bad files refused."""

import numpy as np
import pytest

from siamfc_edu.data import SHIPPED_VIDEOS, read_annotations, read_real_set
from siamfc_edu.data.real import ANNOTATIONS_DIR, VALIDATION_DIR, real_set_files


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
