"""The generated VID: layouts, determinism, held-out evaluation, round trips through the readers."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from siamfc_edu.data import ATTRIBUTES, make_dataset, read_got10k, read_otb, read_vid, render_video
from siamfc_edu.data.generator.content import footage_pool
from siamfc_edu.data.generator.make import video_rng

SNIPPET = "ILSVRC2015_VID_train_0000/ILSVRC2015_train_00000000"


def test_vid_layout_is_exact(generated_data: Path) -> None:
    vid = generated_data / "ILSVRC2015"
    assert (vid / "Data/VID/train" / SNIPPET / "000000.JPEG").is_file()
    assert (vid / "Annotations/VID/train" / SNIPPET / "000015.xml").is_file()
    assert (vid / "Data/VID/val/ILSVRC2015_val_00000000/000000.JPEG").is_file()
    xml = (vid / "Annotations/VID/train" / SNIPPET / "000000.xml").read_text()
    for tag in ("<size>", "<width>320</width>", "<trackid>", "<name>", "<xmin>", "<occluded>"):
        assert tag in xml
    assert (generated_data / "OTB/Gen0001/img/0001.jpg").is_file()
    assert (generated_data / "GOT-10k/val/GOT-10k_Val_000001/00000001.jpg").is_file()
    listed = (generated_data / "GOT-10k/val/list.txt").read_text().split()
    assert listed == ["GOT-10k_Val_000001", "GOT-10k_Val_000002"]


def test_vid_round_trip_boxes_equal_what_was_drawn(generated_data: Path) -> None:
    sequences = {s.name: s for s in read_vid(generated_data, "train", filter_boxes=False)}
    for i in range(4):
        video = render_video(video_rng(7, "train", i), 16)
        for trackid, boxes in video.boxes.items():
            visible = ~video.absent(trackid)
            name = f"ILSVRC2015_train_{i:08d}.{trackid}"
            if not visible.any():  # never seen: no annotation, so no sequence
                assert name not in sequences
                continue
            seq = sequences[name]
            np.testing.assert_array_equal(seq.absent, ~visible)
            np.testing.assert_array_equal(seq.boxes[visible], boxes[visible])
            assert seq.attributes == video.attributes


def test_eval_round_trip_otb_and_got10k(generated_data: Path) -> None:
    otb = read_otb(generated_data / "OTB")
    got = read_got10k(generated_data / "GOT-10k", "val")
    for i in range(2):
        video = render_video(video_rng(7, "eval", i), 16, held_out=True)
        np.testing.assert_array_equal(otb[i].boxes, video.boxes[0])
        present = ~video.absent(0)
        np.testing.assert_array_equal(got[i].absent, ~present)
        np.testing.assert_array_equal(got[i].boxes[present], video.boxes[0][present])
        assert otb[i].attributes == got[i].attributes == video.attributes


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path) -> None:
    a = make_dataset(
        tmp_path / "a", videos=2, seed=3, eval_videos=1, frames_per_video=4, verbose=False
    )
    b = make_dataset(
        tmp_path / "b", videos=2, seed=3, eval_videos=1, frames_per_video=4, verbose=False
    )
    c = make_dataset(
        tmp_path / "c", videos=2, seed=4, eval_videos=1, frames_per_video=4, verbose=False
    )
    files = sorted(
        p.relative_to(a) for p in a.rglob("*") if p.is_file() and p.name != "dataset.json"
    )
    assert files == sorted(
        p.relative_to(b) for p in b.rglob("*") if p.is_file() and p.name != "dataset.json"
    )
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    frame = Path("ILSVRC2015/Data/VID/train") / SNIPPET / "000000.JPEG"
    assert (a / frame).read_bytes() != (c / frame).read_bytes()


def test_eval_split_is_held_out() -> None:
    train, held_out = footage_pool(False), footage_pool(True)
    for clip_train, clip_eval in zip(train, held_out, strict=True):
        assert len(clip_eval) < len(clip_train)
        train_sums = {int(f.sum()) for f in clip_train}
        assert not any(int(f.sum()) in train_sums for f in clip_eval)
    train_video = render_video(video_rng(0, "train", 0), 3)
    eval_video = render_video(video_rng(0, "eval", 0), 3, held_out=True)
    assert not np.array_equal(train_video.frames[0], eval_video.frames[0])


def test_attributes_are_known_codes_and_match_visibility() -> None:
    seen: set[str] = set()
    for i in range(12):
        video = render_video(video_rng(1, "train", i), 12)
        assert video.attributes and set(video.attributes) <= set(ATTRIBUTES)
        assert ("FOC" in video.attributes) == bool(video.absent(0).any())
        seen |= set(video.attributes)
    assert len(seen) >= 6


def test_quick_mode_size_gives_30_training_tracks(tmp_path: Path) -> None:
    """The quick-mode data set (its time is measured by hand, see data/README.md, not here)."""
    make_dataset(tmp_path, videos=30, seed=0, verbose=False)
    assert len(read_vid(tmp_path, "train")) >= 30
