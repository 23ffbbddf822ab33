"""Issue 14, data readers and evaluation: truncated JPEGs, corrupt sequences, messages, the CLI.

Every bad input below either gives the correct result or a message naming the sequence and file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from siamfc_edu import evaluate
from siamfc_edu.baselines import NCCTracker
from siamfc_edu.cli import main
from siamfc_edu.data import (
    VidObject,
    read_got10k,
    read_otb,
    read_vid,
    write_got10k_sequence,
    write_otb_sequence,
    write_vid_snippet,
)
from siamfc_edu.data.tracks import tracks_from_sequences
from siamfc_edu.evaluate import report
from siamfc_edu.images import read_image


def textured_frames(n: int, width: int = 160, height: int = 120) -> list[np.ndarray]:
    """n frames of smooth noise: JPEGs of a realistic size, not a few hundred bytes."""
    rng = np.random.default_rng(0)
    noise = [rng.integers(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(n)]
    return [cv2.GaussianBlur(frame, (5, 5), 0) for frame in noise]


def truncate(path: Path, fraction: float = 0.6) -> None:
    """Cut a file to `fraction` of its bytes, as an interrupted copy does."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])


def square(x: float, y: float, side: float = 30) -> np.ndarray:
    return np.array([x, y, side, side], float)


@pytest.fixture
def otb_copy(tmp_path: Path, generated_data: Path) -> Path:
    """A copy of the generated OTB split (2 sequences of 16 frames) that a test may damage."""
    return Path(shutil.copytree(generated_data / "OTB", tmp_path / "OTB"))


# ----------------------------------------------------------------------------- 19: truncated JPEG


def test_read_image_refuses_a_truncated_jpeg_and_accepts_padding(tmp_path: Path) -> None:
    frame = textured_frames(1)[0]
    path = tmp_path / "frame.jpg"
    assert cv2.imwrite(str(path), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    whole = path.read_bytes()
    (tmp_path / "padded.jpg").write_bytes(whole + b"\0" * 100)  # padding after the end marker
    (tmp_path / "appended.jpg").write_bytes(whole + b"\1" * 5000)  # more data than JPEG_TAIL
    for name in ("padded.jpg", "appended.jpg"):
        np.testing.assert_array_equal(read_image(tmp_path / name), read_image(path))
    truncate(path)
    assert cv2.imread(str(path)) is not None  # OpenCV alone decodes it, grey at the bottom
    with pytest.raises(ValueError, match=r"truncated JPEG: .*frame\.jpg"):
        read_image(path)


def test_vid_truncated_frames_are_absent_in_one_counted_warning(tmp_path: Path) -> None:
    annotations = [[VidObject(0, "a", square(10 + 5 * k, 20))] for k in range(5)]
    write_vid_snippet(tmp_path, "train", "s", textured_frames(5), annotations)
    frames = tmp_path / "Data/VID/train/s"
    truncate(frames / "000001.JPEG")
    truncate(frames / "000003.JPEG")
    with pytest.warns(UserWarning) as record:
        (seq,) = read_vid(tmp_path)
    (warning,) = [str(w.message) for w in record]  # one warning for both frames
    assert "skipped 2 defective frame(s)" in warning and "marked absent" in warning
    assert "truncated JPEG" in warning and "000001.JPEG" in warning
    assert seq.absent.tolist() == [False, True, False, True, False]
    (track,) = tracks_from_sequences([seq])  # what the pair sampler and curation draw from
    assert [Path(f).name for f in track.frames] == ["000000.JPEG", "000002.JPEG", "000004.JPEG"]


def test_got10k_truncated_frame_is_absent(tmp_path: Path) -> None:
    boxes = np.array([square(10, 10), square(12, 10), square(14, 10)])
    write_got10k_sequence(tmp_path, "train", "g", textured_frames(3), boxes, [0] * 3, [8] * 3)
    truncate(tmp_path / "train/g/00000002.jpg")
    with pytest.warns(UserWarning, match=r"skipped 1 .*truncated JPEG: .*00000002\.jpg"):
        (seq,) = read_got10k(tmp_path, "train")
    assert seq.absent.tolist() == [False, True, False] and np.isnan(seq.boxes[1]).all()


# ----------------------------------------------------------------------------- 20: corrupt sequence


def test_evaluation_goes_on_past_a_sequence_with_a_corrupt_frame(otb_copy: Path) -> None:
    bad = otb_copy / "Gen0001/img/0008.jpg"
    truncate(bad)
    sequences = read_otb(otb_copy)
    failures = []
    results = evaluate.evaluate_tracker(NCCTracker(), sequences, "ncc", failures)
    assert [r.sequence for r in results] == ["Gen0002"]
    (failure,) = failures
    assert failure.sequence == "Gen0001" and f"truncated JPEG: {bad}" in failure.reason
    with pytest.warns(UserWarning, match=r"Gen0001 \(ncc\): truncated JPEG.*left out"):
        assert len(evaluate.evaluate_multistart(NCCTracker(), sequences, 2, "ncc")) == 2


def test_evaluate_cli_names_the_failed_sequence_and_scores_the_rest(otb_copy, tmp_path, capsys):
    truncate(otb_copy / "Gen0002/img/0005.jpg")
    out = tmp_path / "eval"
    assert main(["evaluate", "--data", str(otb_copy), "--trackers", "ncc", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "evaluating ncc on 2 sequences (OPE)" in printed and "| ncc" in printed
    assert "1 sequence(s) failed and are left out of every average" in printed
    assert "Gen0002 (ncc): truncated JPEG" in printed and "0005.jpg" in printed
    assert "Gen0002 (ncc)" in (out / "results.txt").read_text()


# ----------------------------------------------------------------------------- 21: messages


def test_binary_ground_truth_names_the_file(tmp_path: Path) -> None:
    folder = write_otb_sequence(tmp_path, "Bin", textured_frames(2), np.array([square(5, 5)] * 2))
    (folder / "groundtruth_rect.txt").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    with pytest.raises(ValueError, match=r"Bin/groundtruth_rect\.txt: not a text file of boxes"):
        read_otb(tmp_path)


def test_got10k_label_with_text_names_the_file_and_line(tmp_path: Path) -> None:
    boxes = np.array([square(10, 10)] * 3)
    write_got10k_sequence(tmp_path, "val", "g", textured_frames(3), boxes, [0] * 3, [8] * 3)
    (tmp_path / "val/g/absence.label").write_text("0\nyes\n0\n")
    with pytest.raises(ValueError, match=r"g/absence\.label, line 2: not a number: 'yes'"):
        read_got10k(tmp_path, "val")


def test_nan_first_box_is_named_and_evaluation_starts_at_the_first_true_box(tmp_path):
    boxes = np.array([square(40 + 2 * k, 40) for k in range(4)])
    folder = write_otb_sequence(tmp_path, "Late", textured_frames(4), boxes)
    rows = (folder / "groundtruth_rect.txt").read_text().splitlines()
    (folder / "groundtruth_rect.txt").write_text("\n".join(["nan,nan,nan,nan", *rows[1:]]))
    with pytest.warns(UserWarning, match=r"Late/groundtruth_rect\.txt, frame 1: .*NaN"):
        (seq,) = read_otb(tmp_path)
    failures = []
    (result,) = evaluate.evaluate_tracker(NCCTracker(), [seq], "ncc", failures)
    assert failures == [] and len(result.boxes) == 3  # frames 2..4, from the box of frame 2
    np.testing.assert_array_equal(result.boxes[0], boxes[1])
    seq.absent[:] = True  # no true box anywhere: that sequence fails, named
    assert evaluate.evaluate_tracker(NCCTracker(), [seq], "ncc", failures) == []
    assert str(failures[0]) == "Late (ncc): no frame has a true box to start from"


def test_fewer_rows_than_frames_says_what_it_does(tmp_path: Path) -> None:
    write_otb_sequence(tmp_path, "Short", textured_frames(4), np.array([square(5, 5)] * 4))
    gt = tmp_path / "Short/groundtruth_rect.txt"
    gt.write_text("".join(gt.read_text().splitlines(keepends=True)[:3]))
    with pytest.warns(UserWarning) as record:
        (seq,) = read_otb(tmp_path)
    (message,) = [str(w.message) for w in record]
    assert (
        "OTB sequence Short" in message
        and "groundtruth_rect.txt has 3 boxes for 4 frames" in message
    )
    assert "using only the first 3 frames" in message and "not marked absent" in message
    assert len(seq) == 3 and not seq.absent.any()


# ----------------------------------------------------------------------------- 25: evaluate CLI


def test_evaluate_cli_progress_results_folder_and_protocol(otb_copy, tmp_path, capsys, monkeypatch):
    for attributes in otb_copy.glob("*/attributes.txt"):
        attributes.unlink()  # like the real set: no attribute labels
    titles = []
    plot_success = report.plot_success

    def recording_plot(summaries, ax=None, title=""):
        titles.append(title)
        return plot_success(summaries, ax, title)

    monkeypatch.setattr(report, "plot_success", recording_plot)
    out = tmp_path / "eval"
    args = ["evaluate", "--data", str(otb_copy), "--trackers", "ncc", "--starts", "2"]
    assert main([*args, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"tables and plots go to {out}/" in captured.out
    assert "no attribute labels in this data set" in captured.out
    assert "per attribute" not in captured.out
    assert "ncc: 100%" in captured.err and "sequence" in captured.err  # the progress bar
    assert titles == ["Success plots (2 starts per sequence)"]
    assert (out / "results.csv").read_text().splitlines()[0].startswith("protocol,tracker,auc,")
    assert "| ncc" in (out / "results.txt").read_text()
    assert main(["evaluate", "--help"]) == 0
    assert "./evaluation/" in capsys.readouterr().out


# ----------------------------------------------------------------------------- bad input, round 3


def test_vid_frame_without_annotation_is_kept_absent_in_a_counted_warning(tmp_path: Path) -> None:
    annotations = [[VidObject(0, "a", square(10 + 5 * k, 20))] for k in range(4)]
    write_vid_snippet(tmp_path, "train", "s", textured_frames(4), annotations)
    (tmp_path / "Annotations/VID/train/s/000002.xml").unlink()
    with pytest.warns(UserWarning, match=r"skipped 1 .*no annotation .*000002\.xml"):
        (seq,) = read_vid(tmp_path)
    assert len(seq.frames) == 4 and seq.absent.tolist() == [False, False, True, False]


@pytest.mark.parametrize("grouped", [False, True], ids=["snippet", "group/snippet"])
def test_vid_root_without_any_annotation_is_a_clear_error(tmp_path: Path, grouped: bool) -> None:
    annotations = [[VidObject(0, "a", square(10 + 5 * k, 20))] for k in range(2)]
    write_vid_snippet(tmp_path, "train", "s", textured_frames(2), annotations)
    for kind in ("Annotations", "Data"):
        base = tmp_path / kind / "VID/train"
        if grouped:  # train's layout: ILSVRC2015_VID_train_0000/<snippet>
            (base / "group").mkdir()
            (base / "s").rename(base / "group/s")
    for xml in (tmp_path / "Annotations/VID/train").rglob("*.xml"):
        xml.unlink()
    with pytest.raises(ValueError, match=r"no VID (annotation|snippet).* under .*Annotations/VID"):
        read_vid(tmp_path)
