"""The `siamfc-edu` command as a user runs it."""

import subprocess
import sys

import cv2
import numpy as np
import pytest

from siamfc_edu.cli import build_parser, main


def test_track_writes_boxes_and_an_annotated_video(tmp_path, capsys, carphone_video):
    out = tmp_path / "carphone.mp4"
    assert (
        main(["track", str(carphone_video), "--box", "60", "30", "50", "60", "--out", str(out)])
        == 0
    )
    boxes = np.loadtxt(tmp_path / "carphone.txt", delimiter=",")
    assert boxes.shape == (120, 4) and np.isfinite(boxes).all()
    np.testing.assert_allclose(boxes[0], [60, 30, 50, 60])
    capture = cv2.VideoCapture(str(out))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 120
    assert "120 frames tracked" in capsys.readouterr().out


def test_track_an_image_folder(tmp_path, carphone_frames):
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, frame in enumerate(carphone_frames[:5]):
        cv2.imwrite(str(folder / f"{i:05d}.jpg"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    boxes_file = tmp_path / "boxes.txt"
    assert (
        main(["track", str(folder), "--box", "60", "30", "50", "60", "--boxes", str(boxes_file)])
        == 0
    )
    assert np.loadtxt(boxes_file, delimiter=",").shape == (5, 4)


@pytest.mark.parametrize(
    "args, message",
    [
        (["track", "/no/such/video.mp4", "--box", "1", "2", "3", "4"], "no video at"),
        (["track", "{video}", "--box", "10", "10", "0", "5"], "zero or negative size"),
        (["track", "{video}", "--box", "900", "900", "5", "5"], "outside"),
        (["track", "{notvideo}", "--box", "1", "2", "3", "4"], "OpenCV cannot"),
        (
            ["track", "{video}", "--box", "1", "1", "5", "5", "--weights", "/no/weights.pth"],
            "no weights",
        ),
    ],
)
def test_bad_input_is_one_line_not_a_traceback(tmp_path, args, message, carphone_video):
    not_video = tmp_path / "notes.mp4"
    not_video.write_text("this is not a video")
    args = [a.format(video=carphone_video, notvideo=not_video) for a in args]
    result = subprocess.run(
        [sys.executable, "-m", "siamfc_edu.cli", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_make_data_train_evaluate_end_to_end(tmp_path, capsys):
    """The three commands a practitioner chains: data, a (very short) training run, evaluation."""
    data, run = tmp_path / "data", tmp_path / "run"
    assert (
        main(
            [
                "make-data",
                "--out",
                str(data),
                "--videos",
                "3",
                "--frames",
                "12",
                "--eval-videos",
                "2",
            ]
        )
        == 0
    )
    assert (data / "ILSVRC2015" / "Data" / "VID" / "train").is_dir()
    assert (
        main(
            [
                "train",
                "--preset",
                "tiny",
                "--data",
                str(data),
                "--out",
                str(run),
                "--epochs",
                "1",
                "--pairs-per-epoch",
                "16",
                "--workers",
                "0",
                "--val-pairs",
                "8",
            ]
        )
        == 0
    )
    assert (run / "weights.pth").is_file() and (run / "loss.png").is_file()
    capsys.readouterr()
    assert (
        main(
            [
                "evaluate",
                "--data",
                str(data),
                "--weights",
                str(run / "weights.pth"),
                "--trackers",
                "siamfc,ncc",
                "--out",
                str(tmp_path / "eval"),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "| siamfc" in printed and "| ncc" in printed and "AUC" in printed
    assert (tmp_path / "eval" / "success_plot.png").is_file()


def test_evaluate_refuses_an_unknown_tracker(tmp_path, capsys):
    assert main(["evaluate", "--data", str(tmp_path), "--trackers", "siamfc,kcf"]) == 2
    line = capsys.readouterr().err.splitlines()[-1]
    assert line == "siamfc-edu evaluate: error: argument --trackers: unknown kcf; choose from " + (
        "siamfc, ncc, mil"
    )


@pytest.mark.parametrize(
    "options, message",
    [
        (["--batch", "0"], "argument --batch: must be at least 1, got 0"),
        (["--starts", "-2"], "argument --starts: must be at least 1, got -2"),
        (["--starts", "two"], "argument --starts: invalid at_least_one value: 'two'"),
        (
            ["--protocol", "ope,otb"],
            "argument --protocol: unknown otb; choose from ope, tre, sre, vot",
        ),
        (["--trackers", ","], "argument --trackers: unknown ','; choose from siamfc, ncc, mil"),
    ],
)
def test_evaluate_refuses_a_bad_option_before_any_work(tmp_path, capsys, options, message):
    assert main(["evaluate", "--data", str(tmp_path), *options]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"siamfc-edu evaluate: error: {message}"


def test_the_protocol_choices_are_the_evaluations():
    from siamfc_edu.cli import PROTOCOLS
    from siamfc_edu.evaluate.report import ALL

    assert PROTOCOLS == ALL


def test_comma_lists_are_parsed_once_in_order_without_repeats():
    args = build_parser().parse_args(
        ["evaluate", "--data", "d", "--trackers", "NCC, siamfc,ncc", "--protocol", "tre,ope"]
    )
    assert args.trackers == ["ncc", "siamfc"] and args.protocol == ["tre", "ope"]
    assert build_parser().parse_args(["evaluate", "--data", "d"]).trackers == [
        "siamfc",
        "ncc",
        "mil",
    ]


def test_a_negative_box_coordinate_is_a_number_not_an_option():
    args = build_parser().parse_args(["track", "clip", "--box", "-5", "-0.5", "40", "40"])
    assert args.box == [-5.0, -0.5, 40.0, 40.0]
