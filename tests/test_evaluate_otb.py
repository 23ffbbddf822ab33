"""OTB's protocols (`evaluate.otb`): TRE's starts against splitSeqTRE, SRE's boxes against
shiftInitBB (both transliterated from OTB's MATLAB code), the planners, the paper's Fig. 3."""

import numpy as np
import pytest

from siamfc_edu.baselines import NCCTracker
from siamfc_edu.boxes import otb_to_xywh, xywh_to_otb
from siamfc_edu.data import read_otb
from siamfc_edu.evaluate import otb
from siamfc_edu.evaluate.metrics import summarize
from siamfc_edu.evaluate.report import format_protocol_table, plot_protocols
from siamfc_edu.evaluate.runs import OPE, evaluate_runs
from tests.evaluation_data import generate, moving_square


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """3 generated evaluation sequences of 30 frames, in OTB's and VOT's layouts."""
    return generate(tmp_path_factory.mktemp("gen"))


# ----------------------------------------------------------------------------- TRE / SRE


def splitseq_tre(gt, seg_num=20, min_num=20):
    """OTB's splitSeqTRE.m written out with its 1-based indices (initOmit files aside)."""
    n = len(gt)
    idx = [i for i in range(1, n + 1) if np.all(np.isfinite(gt[i - 1]))]
    end_seg_idx = max(k for k, i in enumerate(idx, start=1) if n - i + 1 >= min_num)
    step = end_seg_idx / (seg_num - 1)
    ones, v = [], 1.0
    while v <= end_seg_idx + 1e-9:  # MATLAB's 1:step:end_seg_idx
        ones.append(int(np.floor(v)))
        v = 1 + len(ones) * step
    return [idx[k - 1] - 1 for k in [*ones, end_seg_idx]]  # 0-based frames


@pytest.mark.parametrize("n", [20, 21, 30, 38, 39, 40, 58, 100, 777])
def test_tre_start_frames_match_otb_split(n):
    gt = np.tile([5.0, 5, 10, 10], (n, 1))
    gt[3:6] = np.nan  # frames without a true box never start a run
    starts = otb.tre_start_frames(gt)
    assert starts == splitseq_tre(gt)
    assert len(starts) == 20 or n < 42  # 20 starts once 19 frames can start a run
    assert all(n - s >= 20 for s in starts) and not set(starts) & {3, 4, 5}


def test_tre_start_frames_by_hand():
    assert otb.tre_start_frames(np.ones((20, 4))) == [0, 0]  # one candidate: OTB runs it twice
    assert otb.tre_start_frames(np.ones((100, 4))) == [
        0, 4, 8, 12, 17, 21, 25, 29, 34, 38, 42, 46, 51, 55, 59, 63, 68, 72, 76, 80,
    ]  # fmt: skip


def shift_init_bb(r, shift_type, img_h, img_w):
    """OTB's shiftInitBB.m, line by line on its 1-based box r = [x, y, w, h] (MATLAB's round)."""

    def mround(v):
        return float(np.sign(v) * np.floor(abs(v) + 0.5))

    r = [float(v) for v in r]
    center = [r[0] + r[2] / 2, r[1] + r[3] / 2]
    br_x, br_y = r[0] + r[2] - 1, r[1] + r[3] - 1
    ratios = {"scale_0.8": 0.8, "scale_0.9": 0.9, "scale_1.1": 1.1, "scale_1.2": 1.2}
    if shift_type in ratios:
        w, h = ratios[shift_type] * r[2], ratios[shift_type] * r[3]
        r = [mround(v) for v in (center[0] - w / 2, center[1] - h / 2, w, h)]
    elif shift_type == "left":
        r[0] = r[0] - np.ceil(0.1 * r[2])
    elif shift_type == "right":
        r[0] = r[0] + np.ceil(0.1 * r[2])
    elif shift_type == "up":
        r[1] = r[1] - np.ceil(0.1 * r[3])
    elif shift_type == "down":
        r[1] = r[1] + np.ceil(0.1 * r[3])
    elif shift_type == "top_left":
        r[0] = mround(r[0] - 0.1 * r[2])
        r[1] = mround(r[1] - 0.1 * r[3])
        r[2], r[3] = br_x - r[0] + 1, br_y - r[1] + 1
    elif shift_type == "top_right":
        br_x = mround(br_x + 0.1 * r[2])
        r[1] = mround(r[1] - 0.1 * r[3])
        r[2], r[3] = br_x - r[0] + 1, br_y - r[1] + 1
    elif shift_type == "bottom_left":
        r[0] = mround(r[0] - 0.1 * r[2])
        br_y = mround(br_y + 0.1 * r[3])
        r[2], r[3] = br_x - r[0] + 1, br_y - r[1] + 1
    elif shift_type == "bottom_right":
        br_x = mround(br_x + 0.1 * r[2])
        br_y = mround(br_y + 0.1 * r[3])
        r[2], r[3] = br_x - r[0] + 1, br_y - r[1] + 1
    if r[0] < 1:
        r[0] = 1
    if r[1] < 1:
        r[1] = 1
    if r[0] + r[2] - 1 > img_w:
        r[2] = img_w - r[0] + 1
    if r[1] + r[3] - 1 > img_h:
        r[3] = img_h - r[1] + 1
    return r


OTB_BOXES = {  # 1-based OTB boxes in a 64x48 frame: inside, at every edge and corner, halves
    "inside": [20, 15, 21, 11],
    "odd sizes (halves to round)": [20, 15, 15, 25],
    "left edge": [1, 20, 20, 10],
    "top edge": [30, 1, 12, 16],
    "right edge": [50, 20, 15, 10],
    "bottom edge": [10, 40, 14, 9],
    "top-left corner": [1, 1, 25, 25],
    "bottom-right corner": [40, 30, 25, 19],
    "the whole frame": [1, 1, 64, 48],
    "a 1x1 box": [5, 5, 1, 1],
}


@pytest.mark.parametrize("name", OTB_BOXES)
def test_sre_boxes_are_otbs_shift_init_bb(name):
    otb_box = OTB_BOXES[name]
    for shift in otb.SRE_SHIFTS:
        want = shift_init_bb(otb_box, shift, 48, 64)
        got = otb.sre_box(otb_to_xywh(otb_box), shift, (64, 48))
        np.testing.assert_array_equal(xywh_to_otb(got), want, err_msg=f"{name}, {shift}")


def test_sre_boxes_by_hand():
    box, frame = [49.0, 39, 20, 10], (640, 480)  # OTB's [50, 40, 20, 10]
    assert xywh_to_otb(otb.sre_box(box, "left", frame)).tolist() == [48, 40, 20, 10]
    assert xywh_to_otb(otb.sre_box(box, "up", frame)).tolist() == [50, 39, 20, 10]
    assert xywh_to_otb(otb.sre_box(box, "bottom_right", frame)).tolist() == [50, 40, 22, 11]
    assert xywh_to_otb(otb.sre_box(box, "scale_0.9", frame)).tolist() == [51, 41, 18, 9]
    at_the_left = otb.sre_box([0.0, 10, 20, 10], "left", (64, 48))  # x = 1 in OTB, w kept
    assert xywh_to_otb(at_the_left).tolist() == [1, 11, 20, 10]
    with pytest.raises(ValueError, match="unknown SRE shift 'diagonal'"):
        otb.sre_box(box, "diagonal", frame)


def test_tre_leaves_out_starts_outside_otbs_image_coordinates():
    gt = np.tile([5.0, 5, 10, 10], (60, 1))
    gt[:4, 0] = -1.0  # 1-based x = 0: splitSeqTRE drops these frames
    gt[4, 1] = -3.0
    starts = otb.tre_start_frames(gt)
    assert min(starts) == 5 and starts == splitseq_tre_otb(gt)


def splitseq_tre_otb(gt):
    """splitseq_tre with splitSeqTRE's rule on the 1-based box: x, y, w, h > 0, no NaN."""
    ok = np.all(np.isfinite(gt), axis=1) & np.all(xywh_to_otb(np.nan_to_num(gt)) > 0, axis=1)
    return splitseq_tre(np.where(ok[:, None], gt, np.nan))


def test_protocol_runs_start_where_the_protocol_says():
    seq = moving_square(24)
    assert [(r.start, r.label, r.name) for r in OPE.plan(seq)] == [(0, "", "square")]
    tre = otb.TRE.plan(seq)
    assert [r.start for r in tre] == otb.tre_start_frames(seq.boxes)
    assert all(np.array_equal(r.box, seq.boxes[r.start]) for r in tre)
    assert tre[0].name == f"square@start {tre[0].start}"
    sre = otb.SRE.plan(seq)
    assert [r.label for r in sre] == list(otb.SRE_SHIFTS) and {r.start for r in sre} == {0}
    assert list(otb.PROTOCOLS) == ["ope", "tre", "sre"]


def test_tre_on_a_short_sequence_is_a_failure_that_names_it():
    with pytest.raises(ValueError, match="TRE needs a true box at least 20 frames before the end"):
        otb.tre_runs(moving_square(12))
    failures = []
    assert evaluate_runs(NCCTracker(), [moving_square(12)], otb.TRE, "NCC", failures) == []
    assert str(failures[0]).startswith("square (NCC): TRE needs a true box at least 20")


def test_sre_starts_at_the_first_true_box_and_a_sequence_without_one_fails(generated):
    seq = read_otb(generated / "OTB")[0]
    seq.boxes[0] = np.nan
    runs = otb.SRE.plan(seq)
    assert {r.start for r in runs} == {1}
    np.testing.assert_array_equal(runs[0].box, otb.sre_box(seq.boxes[1], "left", (320, 240)))
    seq.boxes[:] = np.nan
    failures = []
    assert evaluate_runs(NCCTracker(), [seq], otb.SRE, "NCC", failures) == []
    assert str(failures[0]) == "Gen0001 (NCC): no frame has a true box to start from"


def test_fig3_and_table(generated):
    seqs = read_otb(generated / "OTB")[:2]
    summaries = {p.title: summarize(evaluate_runs(NCCTracker(), seqs, p, "NCC"), pooled=True)
                 for p in (OPE, otb.SRE)}  # fmt: skip
    fig = plot_protocols(summaries)
    assert [ax.get_title() for ax in fig.axes] == ["Success plots (OPE)", "Success plots (SRE)"]
    assert (
        fig.axes[1].get_legend().get_texts()[0].get_text() == f"NCC [{summaries['SRE'][0].auc:.3f}]"
    )
    table = format_protocol_table(summaries)
    assert "OPE AUC" in table and f"{summaries['OPE'][0].auc:.3f}" in table
