"""Issue 14, tracking and the CLI: every bad input gets a clear answer and loses nothing.

Cases 7-13 (outputs checked first, corrupt frames and videos, a change of frame size, absurd
boxes, small mistakes, the NCC baseline leaving the frame) and 22-23 (the boxes file loads with
np.loadtxt, the annotated video plays in a browser).
"""

import re
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from siamfc_edu import cli
from siamfc_edu.baselines import NCCTracker
from siamfc_edu.boxes import MAX_BOX_SIDE, check_box
from siamfc_edu.cli import main
from siamfc_edu.config import get_preset
from siamfc_edu.data.footage import VideoEndedEarly, footage_path, iter_frames, read_video
from siamfc_edu.model import build_model
from siamfc_edu.runtime import resolve_device
from siamfc_edu.tracker import SiamFCTracker
from siamfc_edu.viz import BROWSER_CODECS, VideoWriter, video_codecs

BOX = ("60", "30", "50", "60")  # the face in carphone's first frame, 0-based x,y,w,h


@pytest.fixture
def frame_folder(tmp_path, carphone_frames) -> Path:
    """Five carphone frames as PNG files 00000.png .. 00004.png."""
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, frame in enumerate(carphone_frames[:5]):
        cv2.imwrite(str(folder / f"{i:05d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return folder


def track(capsys, *args: str) -> tuple[int, str, str]:
    """Run `siamfc-edu track ...` in this process: (exit code, stdout, stderr)."""
    code = main(["track", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def warned(read, *args: object) -> tuple[object, list[str]]:
    """What read(*args) returns, and the messages of the warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = read(*args)
    return result, [str(w.message) for w in caught]


def random_tracker() -> SiamFCTracker:
    """The tiny preset with random weights (no file read), on the CPU."""
    torch.manual_seed(0)
    cfg = get_preset("tiny")
    return SiamFCTracker(build_model(cfg), cfg, device="cpu")


# ----------------------------------------------------------------------------- 7. outputs first


@pytest.mark.parametrize(
    "options, message",
    [
        (["--out", "{tmp}/x.xyz"], "must end in .webm .* or .mp4"),
        (["--out", "{tmp}/tracked"], "must end in .webm"),
        (["--boxes", "{tmp}/a_file/boxes.txt"], "cannot write the boxes to .*a_file"),
        (["--boxes", "{tmp}"], "cannot write the boxes to .*Is a directory"),
        (["--out", "{tmp}/a_file/tracked.webm"], "cannot write the boxes to .*a_file"),
        (["--out", "{tmp}/a_folder.webm", "--boxes", "{tmp}/b.txt"], "cannot write the video"),
    ],
)
def test_outputs_are_checked_first(tmp_path, capsys, frame_folder, options, message):
    (tmp_path / "a_file").write_text("a file, not a folder")
    (tmp_path / "a_folder.webm").mkdir()
    options = [o.format(tmp=tmp_path) for o in options]
    code, out, err = track(capsys, str(frame_folder), "--box", *BOX, *options)
    assert code == 2
    assert err.startswith("siamfc-edu: error: ") and err.count("\n") == 1
    assert re.search(message, err), err
    assert "frames tracked" not in out and "%|" not in err  # no frame was tracked
    assert not (tmp_path / "b.txt").exists()  # a run that cannot start leaves nothing


@pytest.mark.parametrize(
    "options, message",
    [
        (["--box", *BOX, "--fps", "0"], "argument --fps: must be a positive number, got 0"),
        (["--box", *BOX, "--fps", "-5"], "argument --fps: must be a positive number, got -5"),
        (["--box", "60,30,50,60"], "argument --box: expected 4 arguments"),
        (["--box", "60", "30", "fifty", "60"], "argument --box: invalid float value: 'fifty'"),
    ],
)
def test_a_malformed_option_is_argparses_one_line_error(capsys, frame_folder, options, message):
    code, out, err = track(capsys, str(frame_folder), *options)
    assert code == 2 and out == ""
    assert err.splitlines()[-1] == f"siamfc-edu track: error: {message}"


def test_an_error_partway_keeps_the_boxes_so_far(tmp_path, capsys, frame_folder):
    """10. frame 4 is smaller: a one-line error naming it; the boxes of frames 1-3 are kept."""
    small = cv2.imread(str(frame_folder / "00003.png"))[:120, :160]
    cv2.imwrite(str(frame_folder / "00003.png"), small)
    boxes = tmp_path / "boxes.txt"
    code, _, err = track(capsys, str(frame_folder), "--box", *BOX, "--boxes", str(boxes))
    assert code == 2
    assert (
        "tracking stopped at frame 4: the frame is 160x120 but the sequence started at 176x144"
        in err
    )
    assert f"the boxes of frames 1-3 are in {boxes}" in err
    kept = np.loadtxt(boxes, delimiter=",")
    assert kept.shape == (3, 4) and np.isfinite(kept).all()


class InterruptedTracker:
    """A stand-in tracker: the box stays put, and Ctrl-C comes during the third frame."""

    def init(self, image: np.ndarray, box: object) -> None:
        self.box, self.frames = np.asarray(box, dtype=float), 1

    def update(self, image: np.ndarray) -> np.ndarray:
        self.frames += 1
        if self.frames == 3:
            raise KeyboardInterrupt
        return self.box


def test_ctrl_c_partway_keeps_the_boxes_so_far(tmp_path, capsys, frame_folder, monkeypatch):
    monkeypatch.setattr(cli, "make_tracker", lambda *args: InterruptedTracker())
    boxes = tmp_path / "boxes.txt"
    code, _, err = track(capsys, str(frame_folder), "--box", *BOX, "--boxes", str(boxes))
    assert code == 130 and f"boxes of frames 1-2 in {boxes}" in err and "interrupted" in err
    assert np.loadtxt(boxes, delimiter=",").shape == (2, 4)


# ----------------------------------------------------------------------------- 8. corrupt frame


def test_a_corrupt_first_frame_is_named(capsys, frame_folder):
    (frame_folder / "00000.png").write_bytes(b"garbage")
    code, _, err = track(capsys, str(frame_folder), "--box", *BOX)
    assert code == 2
    assert "cannot track from the first frame of" in err and "00000.png" in err


def test_a_corrupt_frame_in_a_folder_is_skipped_with_a_nan_box(tmp_path, capsys, frame_folder):
    (frame_folder / "00002.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    boxes = tmp_path / "boxes.txt"
    code, out, err = track(capsys, str(frame_folder), "--box", *BOX, "--boxes", str(boxes))
    assert code == 0
    assert "frame 3 skipped (1 so far), its box written as nan" in err and "00002.png" in err
    assert "1 frame(s) could not be decoded, their boxes are nan: 3" in err
    assert "5 frames tracked" in out
    rows = np.loadtxt(boxes, delimiter=",")
    assert rows.shape == (5, 4)  # one row per frame: the numbering stays the folder's
    assert np.isnan(rows[2]).all() and np.isfinite(np.delete(rows, 2, axis=0)).all()
    assert "nan,nan,nan,nan" in boxes.read_text().splitlines()[1]  # the header says so


def test_read_video_skips_a_corrupt_image_with_a_counted_warning(frame_folder):
    (frame_folder / "00001.png").write_bytes(b"garbage")
    (frame_folder / "00003.png").write_bytes(b"garbage")
    frames, messages = warned(read_video, frame_folder)
    assert frames.shape == (3, 144, 176, 3)
    assert len(messages) == 2 and re.match(
        r"frame 4 of .* skipped \(2 so far\): .*00003", messages[1]
    )
    assert [f.index for f in iter_frames(frame_folder) if f.image is None] == [1, 3]


# ----------------------------------------------------------------------------- 9. broken video


def damaged_copy(tmp_path: Path, start: float, stop: float) -> Path:
    """carphone_pristine.mp4 with the bytes from start to stop (fractions of its size) zeroed."""
    data = bytearray(footage_path("carphone_pristine").read_bytes())
    i, j = int(len(data) * start), int(len(data) * stop)
    data[i:j] = bytes(j - i)
    path = tmp_path / "damaged.mp4"
    path.write_bytes(data)
    return path


def plain_read_count(path: Path) -> int:
    """How many frames OpenCV's read() gives before its first failure (what we used to do)."""
    capture, count = cv2.VideoCapture(str(path)), 0
    while capture.read()[0]:
        count += 1
    return count


def test_a_video_damaged_in_the_middle_is_read_past_the_bad_frames(tmp_path):
    path = damaged_copy(tmp_path, 0.5, 0.5 + 20000 / 588804)
    assert plain_read_count(path) == 58  # read() stops at the first bad packet
    frames = list(iter_frames(path))
    missing = [f.index for f in frames if f.image is None]
    assert len(frames) == 120 and [f.index for f in frames] == list(range(120))
    assert len(missing) == 4 and all(58 <= i < 70 for i in missing)
    frames, messages = warned(read_video, path)
    assert len(frames) == 116 and len(messages) == 4
    assert re.match(
        r"frame \d+ of .*damaged.mp4 skipped \(4 so far\): the frame could not", messages[3]
    )


def test_a_video_that_stops_decoding_says_where(tmp_path):
    path = damaged_copy(tmp_path, 0.5, 0.98)
    with pytest.raises(VideoEndedEarly, match=r"stopped at frame 62 of 120: frames 62-120"):
        list(iter_frames(path))
    frames, messages = warned(read_video, path)
    assert len(frames) == 60 and "stopped at frame 62 of 120" in messages[-1]


def test_the_cli_reports_a_video_that_stops_early(tmp_path, capsys, frame_folder, monkeypatch):
    """The reader's VideoEndedEarly becomes a warning; the boxes read so far are all written."""
    from siamfc_edu.data import footage

    def ends_after_three(source, step=1, max_side=None):
        yield from list(iter_frames(source))[:3]
        raise VideoEndedEarly(f"the video {source} stopped at frame 4 of 5: frames 4-5 could not")

    monkeypatch.setattr(footage, "iter_frames", ends_after_three)
    boxes = tmp_path / "boxes.txt"
    code, out, err = track(capsys, str(frame_folder), "--box", *BOX, "--boxes", str(boxes))
    assert code == 0
    assert "siamfc-edu: warning: the video" in err and "stopped at frame 4 of 5" in err
    assert "3 frames tracked" in out
    assert np.loadtxt(boxes, delimiter=",").shape == (3, 4)


# ----------------------------------------------------------------------------- 10. frame size


def test_the_tracker_refuses_a_frame_of_another_size(carphone_frames):
    tracker = random_tracker()
    tracker.init(carphone_frames[0], [60, 30, 50, 60])
    with pytest.raises(
        ValueError, match="the frame is 320x240 but the sequence started at 176x144"
    ):
        tracker.step(np.zeros((240, 320, 3), np.uint8))


def test_the_video_writer_refuses_a_frame_of_another_size(tmp_path):
    with VideoWriter(tmp_path / "v.webm", 25, (64, 48)) as video:
        video.write(np.zeros((48, 64, 3), np.uint8))
        with pytest.raises(
            ValueError, match="the frame is 32x32 but the video .* started at 64x48"
        ):
            video.write(np.zeros((32, 32, 3), np.uint8))


# ----------------------------------------------------------------------------- 11. absurd boxes


@pytest.mark.parametrize(
    "box, message",
    [
        ([0, 0, 30000, 30000], "30000x30000 px, more than 10 times the 176x144 frame"),
        ([0, 0, 1e300, 1e300], "1e\\+300x1e\\+300 px, more than 10 times"),
        ([0, 0, 50, 1e308 * 10], "NaN or infinite"),
    ],
)
def test_absurd_first_boxes_are_refused_with_the_reason(carphone_frames, box, message):
    with pytest.raises(ValueError, match=message):
        random_tracker().init(carphone_frames[0], box)


def test_boxes_too_big_for_the_crops_are_refused_on_a_big_frame():
    big_frame = (4320, 7680, 3)  # 8K: the 10-frames bound alone would allow a 76800 px box
    with pytest.raises(ValueError, match=f"more than {MAX_BOX_SIDE} px"):
        check_box([0, 0, 5000, 100], big_frame)
    np.testing.assert_array_equal(check_box([0, 0, 4000, 100], big_frame), [0, 0, 4000, 100])


# ----------------------------------------------------------------------------- 12. small cases


@pytest.mark.skipif(torch.version.cuda is not None, reason="this torch has CUDA")
def test_cuda_on_a_cpu_only_torch_says_so():
    with pytest.raises(ValueError, match=r"CUDA is not available in this torch build \(torch "):
        resolve_device("cuda")
    with pytest.raises(ValueError, match=r"use --device cpu"):
        SiamFCTracker(build_model(get_preset("tiny")), get_preset("tiny"), device="cuda")


def test_a_gpu_that_is_not_there_and_a_bad_device_name_say_so():
    with pytest.raises(ValueError, match="CUDA is not available|no GPU cuda:99"):
        resolve_device("cuda:99")
    with pytest.raises(ValueError, match="unknown device 'gpu': use cpu, cuda or cuda:N"):
        resolve_device("gpu")


def test_the_cli_says_cuda_is_missing_in_one_line(capsys, frame_folder):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    code, _, err = track(capsys, str(frame_folder), "--box", *BOX, "--device", "cuda")
    assert code == 2 and "use --device cpu" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "box, message",
    [
        ({"x": 1, "y": 2, "w": 3, "h": 4}, r"4 numbers \[x, y, w, h\] .*got a dict"),
        ("60,30,50,60", r"4 numbers \[x, y, w, h\] .*got a str"),
        (["a", 1, 2, 3], r"4 numbers \[x, y, w, h\]"),
        (np.array([[63, 42], [42, 54]]), r"4 numbers \[x, y, w, h\] .*one dimension.*\(2, 2\)"),
        ([[63, 42, 42, 54]], r"4 numbers \[x, y, w, h\] .*one dimension.*\(1, 4\)"),
    ],
)
def test_a_box_in_the_wrong_form_names_the_expected_one(carphone_frames, box, message):
    with pytest.raises(ValueError, match=message):
        random_tracker().init(carphone_frames[0], box)
    with pytest.raises(ValueError, match=message):
        NCCTracker().init(carphone_frames[0], box)


def test_a_negative_box_value_works_after_box(tmp_path, capsys, frame_folder):
    boxes = tmp_path / "boxes.txt"
    code, out, err = track(
        capsys, str(frame_folder), "--box", "-5", "0", "50", "60", "--boxes", str(boxes)
    )
    assert code == 0, err
    np.testing.assert_allclose(np.loadtxt(boxes, delimiter=",")[0], [-5, 0, 50, 60])


def test_an_unknown_preset_is_named_before_any_warning(capsys, frame_folder):
    code, _, err = track(capsys, str(frame_folder), "--box", *BOX, "--preset", "nope")
    assert code == 2
    assert err.startswith("siamfc-edu: error: unknown preset 'nope'; choose one of")
    assert "random network" not in err


def test_a_bad_box_is_reported_before_a_progress_bar(capsys, frame_folder, monkeypatch):
    monkeypatch.setattr(cli, "make_tracker", lambda *a: pytest.fail("built a tracker"))
    code, _, err = track(capsys, str(frame_folder), "--box", "10", "10", "0", "5")
    assert code == 2 and "zero or negative size" in err and "%|" not in err


# ----------------------------------------------------------------------------- 13. NCC in frame


def leaving_scene(n_frames: int = 20) -> tuple[list[np.ndarray], list[list[int]]]:
    """A textured 24 px square that moves right 4 px a frame and leaves the 160x120 frame."""
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)
    frames, boxes = [], []
    for t in range(n_frames):
        frame = rng.integers(100, 130, (120, 160, 3), dtype=np.uint8)
        x = 110 + 4 * t
        visible = max(0, min(24, 160 - x))
        frame[40:64, x : x + visible] = texture[:, :visible]
        frames.append(frame)
        boxes.append([x, 40, 24, 24])
    return frames, boxes


def test_the_ncc_centre_stays_in_the_frame_when_the_target_leaves():
    """Without the clamp the centre went on to x = 170 here (the frame ends at 159)."""
    frames, boxes = leaving_scene()
    tracker = NCCTracker()
    tracker.init(frames[0], boxes[0])
    centres = np.array([tracker.update(f)[:2] + 11.5 for f in frames[1:]])
    assert (centres >= 0).all() and (centres <= [159, 119]).all()
    assert centres[:, 0].max() == 159  # it followed the target to the edge


# ----------------------------------------------------------------------------- 22. boxes file


def test_the_boxes_file_loads_with_np_loadtxt(tmp_path, capsys, frame_folder):
    boxes = tmp_path / "out" / "boxes.txt"
    assert track(capsys, str(frame_folder), "--box", *BOX, "--boxes", str(boxes))[0] == 0
    lines = boxes.read_text().splitlines()
    assert lines[0].startswith("# siamfc-edu track") and lines[1].startswith("#")
    assert "np.loadtxt(path, delimiter=',')" in lines[1]
    rows = np.loadtxt(boxes, delimiter=",")  # '#' lines are comments to np.loadtxt
    assert rows.shape == (5, 4)
    np.testing.assert_allclose(rows[0], [60, 30, 50, 60])


def test_without_out_only_the_boxes_are_written(tmp_path, capsys, frame_folder, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = track(capsys, str(frame_folder), "--box", *BOX)
    assert code == 0 and "5 frames tracked; boxes in frames_boxes.txt\n" == out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames", "frames_boxes.txt"]


# ----------------------------------------------------------------------------- 23. browser video


def read_back(path: Path) -> tuple[int, tuple[int, ...]]:
    """How many frames OpenCV decodes from a video file, and their shape."""
    capture, count, shape = cv2.VideoCapture(str(path)), 0, ()
    while True:
        ok, frame = capture.read()
        if not ok:
            return count, shape
        count, shape = count + 1, frame.shape


@pytest.mark.parametrize("name", ["clip.webm", "clip.mp4"])
def test_the_video_writer_writes_what_it_says(tmp_path, name):
    frames = [np.full((48, 64, 3), 40 * i, np.uint8) for i in range(5)]
    with VideoWriter(tmp_path / name, 25, (64, 48)) as video:
        for frame in frames:
            video.write(frame)
    assert video.codec in video_codecs(name)
    if name.endswith(".webm"):
        assert video.codec in BROWSER_CODECS  # VP8: plays in browsers and JupyterLab
    assert (tmp_path / name).stat().st_size > 0
    assert read_back(tmp_path / name) == (5, (48, 64, 3))


def test_track_writes_a_browser_playable_webm(tmp_path, capsys, frame_folder):
    out = tmp_path / "tracked.webm"
    code, printed, err = track(capsys, str(frame_folder), "--box", *BOX, "--out", str(out))
    assert code == 0 and f"boxes in {tmp_path / 'tracked.txt'}, video in {out}" in printed
    assert "note" not in err  # VP8 needs no note
    assert read_back(out) == (5, (144, 176, 3))


def test_an_mp4_without_h264_says_browsers_will_not_play_it(tmp_path, capsys, frame_folder):
    out = tmp_path / "tracked.mp4"
    code, _, err = track(capsys, str(frame_folder), "--box", *BOX, "--out", str(out))
    assert code == 0 and read_back(out) == (5, (144, 176, 3))
    probe = VideoWriter(tmp_path / "probe.mp4", 25, (64, 48))
    probe.close()
    if probe.codec == "avc1":
        assert "note" not in err
    else:
        assert "is MPEG-4 (mp4v), which browsers and JupyterLab do not play" in err
        assert "tracked.webm" in err


@pytest.mark.parametrize("shape", [(0, 5), (0, 5, 3), (5, 0, 3), (0, 0, 4)])
def test_an_empty_frame_is_named_not_blamed_on_the_box(shape):
    frame = np.zeros(shape, np.uint8)
    with pytest.raises(ValueError, match=r"the frame is empty"):
        random_tracker().init(frame, [0, 0, 2, 2])
    with pytest.raises(ValueError, match=r"the frame is empty"):
        NCCTracker().init(frame, [0, 0, 2, 2])
