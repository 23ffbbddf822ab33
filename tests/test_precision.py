"""The tracker's precision: fp32, bf16 or auto (bf16 only where it is native), chosen in one place.

The CPU's features are faked both ways, so `auto` is tested on any machine: with and without
avx512_bf16 / amx_bf16 in /proc/cpuinfo.
"""

import numpy as np
import pytest
import torch

from siamfc_edu import SiamFCTracker, runtime
from siamfc_edu.cli import build_parser, chosen_trackers, main, make_tracker
from siamfc_edu.data import read_video
from siamfc_edu.evaluate import iou
from siamfc_edu.fast_tracker import FastOptions, FastSiamFCTracker

CPU = torch.device("cpu")
CARPHONE_BOX = [63, 42, 42, 54]
# bf16 against float32 on carphone (120 frames, shipped tiny weights), measured with bf16 forced
# on an AMD EPYC without native bf16 (emulated): mean 0.34 px, max 4.17 px, IoU at least 0.87.
BF16_MEAN_PX, BF16_MAX_PX, BF16_MIN_IOU = 1.0, 8.0, 0.85


@pytest.fixture
def bf16_cpu(monkeypatch):
    """This machine's CPU, said to compute in bfloat16 natively (AVX512-BF16)."""
    monkeypatch.setattr(runtime, "cpu_flags", lambda: frozenset({"avx2", "avx512f", "avx512_bf16"}))


@pytest.fixture
def plain_cpu(monkeypatch):
    """This machine's CPU, said to have AVX2 only: no native bfloat16."""
    monkeypatch.setattr(runtime, "cpu_flags", lambda: frozenset({"sse4_2", "avx2", "fma"}))


# ----------------------------------------------------------------------------- auto's choice


@pytest.mark.parametrize(
    ("flags", "expected"),
    [({"avx512_bf16"}, "bf16"), ({"amx_bf16", "amx_tile"}, "bf16"), ({"avx512f", "avx2"}, "fp32")],
)
def test_auto_takes_bf16_only_on_a_cpu_with_native_bf16(flags, expected):
    chosen = runtime.choose_precision("auto", CPU, "tiny", flags=flags)
    assert chosen.name == expected and chosen.reason.startswith("auto: ")


def test_auto_keeps_a_preset_whose_bf16_accuracy_is_unmeasured_in_float32():
    chosen = runtime.choose_precision("auto", CPU, "SiamFC-3s", flags={"avx512_bf16"})
    assert chosen.name == "fp32" and "SiamFC-3s" in chosen.reason


def test_fp32_and_bf16_are_taken_as_asked_whatever_the_cpu():
    for flags in ({"avx512_bf16"}, set()):
        for asked in ("fp32", "bf16"):
            assert runtime.choose_precision(asked, CPU, "SiamFC-3s", flags=flags).name == asked


def test_auto_reads_the_cpu_features(bf16_cpu):
    assert runtime.native_bf16() == ["avx512_bf16"]
    tracker = FastSiamFCTracker.from_weights(device="cpu", options=FastOptions(precision="auto"))
    assert tracker.precision.name == "bf16" == tracker.batch.options.precision
    assert "native bfloat16: avx512_bf16" in runtime.describe_cpu()


def test_auto_without_native_bf16_is_the_float32_tracker(plain_cpu):
    tracker = FastSiamFCTracker.from_weights(device="cpu", options=FastOptions(precision="auto"))
    assert tracker.precision.name == "fp32" == tracker.batch.options.precision
    assert "native bfloat16: none" in runtime.describe_cpu()


def test_the_cli_builds_the_fast_bf16_tracker_only_where_bf16_is_native(monkeypatch, capsys):
    for flags, kind in ((set(), SiamFCTracker), ({"amx_bf16"}, FastSiamFCTracker)):
        monkeypatch.setattr(runtime, "cpu_flags", lambda flags=flags: frozenset(flags))
        tracker = make_tracker(None, "tiny", "cpu", "auto")
        assert type(tracker) is kind
        (line,) = capsys.readouterr().err.strip().splitlines()  # the choice, said once
        assert line.startswith(f"siamfc-edu: precision {'bf16' if flags else 'fp32'} (auto: ")


def test_evaluate_says_the_precision_once(plain_cpu, capsys):
    args = build_parser().parse_args(["evaluate", "--data", "real", "--device", "cpu"])
    make_siamfc = chosen_trackers(args)["siamfc"]
    for _ in range(3):  # once per protocol: ope, tre, sre
        assert isinstance(make_siamfc(), SiamFCTracker)
    err = capsys.readouterr().err
    assert err.count("siamfc-edu: precision fp32 (auto: this CPU has no native bfloat16") == 1


# ----------------------------------------------------------------------------- errors


def test_an_unknown_precision_is_a_one_line_error(carphone_video, capsys):
    with pytest.raises(ValueError, match="unknown precision 'fp16': choose fp32, bf16 or auto"):
        FastSiamFCTracker.from_weights(device="cpu", options=FastOptions(precision="fp16"))
    argv = ["track", str(carphone_video), "--box", "60", "30", "50", "60", "--precision", "fp16"]
    assert main(argv) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line == "siamfc-edu: error: unknown precision 'fp16': choose fp32, bf16 or auto"


def test_bf16_boxes_stay_close_to_float32_on_carphone():
    frames = list(read_video("carphone_pristine"))
    boxes, first_maps = {}, {}
    for precision in ("fp32", "bf16"):
        tracker = FastSiamFCTracker.from_weights(
            device="cpu", options=FastOptions(precision=precision)
        )
        tracker.init(frames[0], CARPHONE_BOX)
        first_maps[precision] = tracker.step(frames[1]).raw_scores.numpy()
        boxes[precision], _ = tracker.track(frames, CARPHONE_BOX)
    assert not np.array_equal(first_maps["bf16"], first_maps["fp32"])  # bf16 did run
    diff = np.abs(boxes["bf16"] - boxes["fp32"])
    assert diff.mean() <= BF16_MEAN_PX and diff.max() <= BF16_MAX_PX, (diff.mean(), diff.max())
    assert iou(boxes["bf16"], boxes["fp32"]).min() >= BF16_MIN_IOU
