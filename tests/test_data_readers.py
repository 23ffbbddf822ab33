"""Every reader on a generated miniature of its layout, and every kind of bad input."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from siamfc_edu.data import (
    VidObject,
    read_got10k,
    read_image_folder,
    read_otb,
    read_vid,
    read_vot,
    vot_polygon_to_box,
    write_got10k_sequence,
    write_otb_sequence,
    write_vid_snippet,
    write_vot_sequence,
)
from siamfc_edu.data.layouts.vid import authors_box_filter


def frames(n: int, width: int = 160, height: int = 120) -> list[np.ndarray]:
    """n plain frames of different greys."""
    return [np.full((height, width, 3), 10 * k, np.uint8) for k in range(n)]


def box(x: float, y: float, w: float, h: float) -> np.ndarray:
    return np.array([x, y, w, h], float)


# ----------------------------------------------------------------------------- ImageNet VID


@pytest.fixture
def two_object_vid(tmp_path: Path) -> Path:
    """A snippet with object 0 in every frame and object 1 absent from frames 1 and 2."""
    annotations = [
        [VidObject(0, "n01", box(10, 10, 30, 40)), VidObject(1, "n02", box(80, 50, 40, 30), True)],
        [VidObject(0, "n01", box(12, 11, 30, 40))],
        [VidObject(0, "n01", box(14, 12, 30, 40))],
        [VidObject(0, "n01", box(16, 13, 30, 40)), VidObject(1, "n02", box(70, 50, 40, 30))],
    ]
    write_vid_snippet(tmp_path, "train", "snip", frames(4), annotations, ["OCC"], group="grp_0000")
    return tmp_path


def test_vid_splits_objects_by_trackid(two_object_vid: Path) -> None:
    sequences = read_vid(two_object_vid, "train")
    assert [s.name for s in sequences] == ["snip.0", "snip.1"]
    first, second = sequences
    assert len(first) == len(second) == 4
    np.testing.assert_array_equal(first.boxes[3], [16, 13, 30, 40])
    assert first.frames[0].endswith("Data/VID/train/grp_0000/snip/000000.JPEG")
    np.testing.assert_array_equal(second.absent, [False, True, True, False])
    assert np.isnan(second.boxes[1]).all()
    assert first.attributes == ["OCC"]


def test_vid_inclusive_corners_become_xywh(two_object_vid: Path) -> None:
    xml = (two_object_vid / "Annotations/VID/train/grp_0000/snip/000000.xml").read_text()
    assert "<xmin>10</xmin>" in xml and "<xmax>39</xmax>" in xml  # 30 px wide: 10..39
    assert read_vid(two_object_vid)[0].boxes[0].tolist() == [10, 10, 30, 40]


def test_vid_val_subset_without_groups(tmp_path: Path) -> None:
    write_vid_snippet(
        tmp_path, "val", "v0", frames(2), [[VidObject(0, "a", box(5, 5, 25, 25))]] * 2
    )
    assert [s.name for s in read_vid(tmp_path, "val")] == ["v0.0"]


def test_vid_degenerate_boxes_are_skipped_counted_and_absent(tmp_path: Path) -> None:
    annotations = [
        [VidObject(0, "a", box(10, 10, 30, 30))],
        [VidObject(0, "a", box(10, 10, 0, 30))],  # zero width
        [VidObject(0, "a", box(500, 10, 30, 30))],  # outside the 160x120 frame
        [VidObject(0, "a", box(10, 10, 30, 30))],
    ]
    write_vid_snippet(tmp_path, "train", "s", frames(4), annotations)
    with pytest.warns(UserWarning, match="skipped 2 defective"):
        (seq,) = read_vid(tmp_path)
    np.testing.assert_array_equal(seq.absent, [False, True, True, False])


def test_vid_authors_filter_drops_tiny_and_thin_boxes(tmp_path: Path) -> None:
    annotations = [
        [VidObject(0, "a", box(10, 10, 30, 30))],
        [VidObject(0, "a", box(10, 10, 8, 8))],  # smaller than 20 px
        [VidObject(0, "a", box(10, 10, 100, 22))],  # aspect 4.5 and 62% of the width
    ]
    write_vid_snippet(tmp_path, "train", "s", frames(3), annotations)
    np.testing.assert_array_equal(read_vid(tmp_path)[0].absent, [False, True, True])
    np.testing.assert_array_equal(read_vid(tmp_path, filter_boxes=False)[0].absent, [False] * 3)
    assert authors_box_filter(box(0, 0, 30, 30), (160, 120))
    assert not authors_box_filter(box(0, 0, 19, 30), (160, 120))


def test_vid_corrupt_xml_names_the_file(two_object_vid: Path) -> None:
    bad = two_object_vid / "Annotations/VID/train/grp_0000/snip/000002.xml"
    bad.write_text("<annotation><size><width>16")
    with pytest.raises(ValueError, match="000002.xml"):
        read_vid(two_object_vid)


def test_vid_missing_frame_is_a_counted_defect(two_object_vid: Path) -> None:
    (two_object_vid / "Data/VID/train/grp_0000/snip/000001.JPEG").unlink()
    with pytest.warns(UserWarning, match="no frame"):
        sequences = read_vid(two_object_vid)
    assert sequences[0].absent.tolist() == [False, True, False, False]


def test_vid_missing_root_and_wrong_layout(tmp_path: Path, generated_data: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere"):
        read_vid(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="not an ImageNet VID"):
        read_vid(generated_data / "OTB")
    with pytest.raises(ValueError, match="subsets"):
        read_vid(generated_data, "test")


# ----------------------------------------------------------------------------- GOT-10k


def test_got10k_train_val_test_with_labels(tmp_path: Path) -> None:
    boxes = np.array([box(10, 10, 30, 30), box(12, 10, 30, 30), box(14, 10, 30, 30)])
    for subset in ("train", "val"):
        write_got10k_sequence(
            tmp_path, subset, f"{subset}_1", frames(3), boxes, [0, 1, 0], [8, 0, 3], ["SV"]
        )
    write_got10k_sequence(tmp_path, "test", "test_1", frames(3), boxes[:1], [0, 0, 0], [8, 8, 8])
    (seq,) = read_got10k(tmp_path, "train")
    assert seq.name == "train_1" and seq.attributes == ["SV"]
    np.testing.assert_array_equal(seq.absent, [False, True, False])
    np.testing.assert_array_equal(seq.boxes[2], boxes[2])
    assert read_got10k(tmp_path, "val")[0].frames[0].endswith("val/val_1/00000001.jpg")
    (test,) = read_got10k(tmp_path, "test")  # only the first box is given
    np.testing.assert_array_equal(test.boxes[0], boxes[0])
    assert np.isnan(test.boxes[1:]).all()


def test_got10k_file_is_one_based(tmp_path: Path) -> None:
    write_got10k_sequence(tmp_path, "val", "s", frames(1), [box(0, 0, 30, 30)], [0], [8])
    assert (tmp_path / "val/s/groundtruth.txt").read_text().strip() == "1,1,30,30"


def test_got10k_bad_inputs(tmp_path: Path, generated_data: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_got10k(tmp_path / "none")
    with pytest.raises(ValueError, match="not a GOT-10k layout"):
        read_got10k(generated_data / "OTB", "val")
    write_got10k_sequence(
        tmp_path, "val", "s", frames(2), [box(0, 0, 30, 30)] * 3, [0] * 2, [8] * 2
    )
    with pytest.raises(ValueError, match="groundtruth.txt"):  # 3 boxes for 2 frames
        read_got10k(tmp_path, "val")


# ----------------------------------------------------------------------------- OTB


@pytest.mark.parametrize("delimiter", [",", "\t", " "])
def test_otb_any_separator_one_based(tmp_path: Path, delimiter: str) -> None:
    boxes = np.array([box(0, 5, 30, 20), box(2.5, 6, 31, 21)])
    write_otb_sequence(tmp_path, "Seq", frames(2), boxes, ["IV"], delimiter=delimiter)
    (seq,) = read_otb(tmp_path)
    np.testing.assert_array_equal(seq.boxes, boxes)
    assert seq.frames[1].endswith("Seq/img/0002.jpg") and seq.attributes == ["IV"]


def test_otb_two_targets_and_defective_rows(tmp_path: Path) -> None:
    folder = write_otb_sequence(tmp_path, "Jogging", frames(3), np.array([box(1, 1, 30, 30)] * 3))
    shutil.move(folder / "groundtruth_rect.txt", folder / "groundtruth_rect.1.txt")
    (folder / "groundtruth_rect.2.txt").write_text("1,1,20,20\n0,0,0,0\n900,900,20,20\n")
    with pytest.warns(UserWarning, match="skipped 2"):
        one, two = read_otb(tmp_path)
    assert (one.name, two.name) == ("Jogging.1", "Jogging.2")
    np.testing.assert_array_equal(two.absent, [False, True, True])


def test_otb_bad_inputs(tmp_path: Path, generated_data: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_otb(tmp_path / "none")
    with pytest.raises(ValueError, match="not an OTB layout"):
        read_otb(generated_data / "GOT-10k")
    folder = write_otb_sequence(tmp_path, "S", frames(2), np.array([box(1, 1, 30, 30)] * 2))
    (folder / "groundtruth_rect.txt").write_text("1,1,30\n")
    with pytest.raises(ValueError, match="groundtruth_rect.txt, line 1"):
        read_otb(tmp_path)


# ----------------------------------------------------------------------------- VOT


def rotated_polygon(cx: float, cy: float, w: float, h: float, degrees: float) -> np.ndarray:
    """The 4 corners (outermost pixel centres) of a w x h box turned about its centre."""
    a = math.radians(degrees)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    half = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * [(w - 1) / 2, (h - 1) / 2]
    return (half @ rot.T + [cx, cy]).reshape(-1)


def test_vot_polygon_to_box_keeps_centre_and_area() -> None:
    np.testing.assert_allclose(
        vot_polygon_to_box(rotated_polygon(50, 40, 31, 21, 0)), [35, 30, 31, 21]
    )
    for degrees in (10, 30, 45, 70):
        x, y, w, h = vot_polygon_to_box(rotated_polygon(50, 40, 31, 21, degrees))
        np.testing.assert_allclose([x + (w - 1) / 2, y + (h - 1) / 2], [50, 40])
        np.testing.assert_allclose((w - 1) * (h - 1), 30 * 20)  # the authors' area rule
    np.testing.assert_array_equal(vot_polygon_to_box([1, 2, 3, 4]), [1, 2, 3, 4])


def test_vot_reader_on_a_miniature(tmp_path: Path) -> None:
    polygons = np.array([rotated_polygon(60, 50, 31, 21, 5 * k) for k in range(3)])
    folder = write_vot_sequence(tmp_path, "ball", frames(3), polygons, ["SV"])
    (folder / "occlusion.tag").write_text("0\n1\n0\n")
    (folder / "size_change.tag").write_text("0\n0\n0\n")
    (seq,) = read_vot(tmp_path)
    assert seq.name == "ball" and seq.attributes == ["SV", "occlusion"]
    expected = [vot_polygon_to_box(np.round(p, 2)) for p in polygons]
    np.testing.assert_allclose(seq.boxes, expected)
    assert seq.frames[0].endswith("ball/color/00000001.jpg")


def test_vot_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_vot(tmp_path / "none")
    with pytest.raises(ValueError, match="not a VOT layout"):
        read_vot(tmp_path)
    folder = write_vot_sequence(tmp_path, "s", frames(2), np.zeros((2, 8)) + 5)
    (folder / "groundtruth.txt").write_text("1,2,3,4,5,6\n1,2,3,4,5,6\n")
    with pytest.raises(ValueError, match="4 or 8 values"):
        read_vot(tmp_path)


@pytest.mark.parametrize("entry", ["../ball", "/data/vot/ball", "sub/ball", ".."])
def test_vot_list_entries_that_are_paths_are_refused_naming_the_line(tmp_path, entry) -> None:
    polygons = np.array([rotated_polygon(60, 50, 31, 21, 0)] * 2)
    write_vot_sequence(tmp_path, "ball", frames(2), polygons)
    (tmp_path / "list.txt").write_text(f"ball\n{entry}\n")
    with pytest.raises(ValueError, match=r"list\.txt, line 2: .* is a path"):
        read_vot(tmp_path)


# ----------------------------------------------------------------------------- image folder


def test_image_folder(generated_data: Path) -> None:
    folder = generated_data / "OTB/Gen0001/img"
    seq = read_image_folder(folder, init_box=[10, 10, 30, 30])
    assert len(seq) == 16 and seq.frames[0].endswith("0001.jpg")
    assert seq.boxes[0].tolist() == [10, 10, 30, 30] and np.isnan(seq.boxes[1:]).all()
    with pytest.raises(ValueError, match="unusable"):
        read_image_folder(folder, init_box=[10, 10, 0, 30])
    with pytest.raises(FileNotFoundError):
        read_image_folder(folder / "missing")
