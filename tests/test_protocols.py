"""The paper's protocols: OTB's OPE / TRE / SRE and VOT's supervised protocol (accuracy, failures,
EAO), against their published definitions, hand computations, shapely and the got10k toolkit."""

import json
from pathlib import Path

import numpy as np
import pytest

from siamfc_edu import evaluate as ev
from siamfc_edu.baselines import NCCTracker
from siamfc_edu.boxes import otb_to_xywh, xywh_to_otb
from siamfc_edu.data import make_dataset, read_image, read_otb
from siamfc_edu.data.layouts.vot import read_vot_regions, vot_polygon_to_box
from siamfc_edu.data.sequence import Sequence
from siamfc_edu.interface import Tracker
from siamfc_edu.protocols import otb, results, vot


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """3 generated evaluation sequences of 30 frames, in OTB's and VOT's layouts."""
    root = tmp_path_factory.mktemp("gen")
    make_dataset(root, videos=1, seed=0, eval_videos=3, val_videos=0, frames_per_video=30,
                 verbose=False, vot=True)  # fmt: skip
    return root


def moving_square(n=24, size=(64, 48)):
    """A sequence of RGB arrays: a bright square moving right one pixel per frame."""
    frames, boxes = [], []
    for t in range(n):
        frame = np.full((size[1], size[0], 3), 40, np.uint8)
        frame[15:27, 10 + t : 22 + t] = 220
        frames.append(frame)
        boxes.append([10 + t, 15, 12, 12])
    return Sequence("square", frames, np.array(boxes, float))


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
    assert [(r.start, r.label) for r in otb.protocol_runs(seq, "ope")] == [(0, "first")]
    tre = otb.protocol_runs(seq, "tre")
    assert [r.start for r in tre] == otb.tre_start_frames(seq.boxes)
    assert all(np.array_equal(r.box, seq.boxes[r.start]) for r in tre)
    sre = otb.protocol_runs(seq, "sre")
    assert [r.label for r in sre] == list(otb.SRE_SHIFTS) and {r.start for r in sre} == {0}
    with pytest.raises(ValueError, match="unknown OTB protocol 'vot'"):
        otb.protocol_runs(seq, "vot")


def test_tre_on_a_short_sequence_names_it():
    with pytest.raises(ValueError, match="sequence square: TRE needs a true box at least 20"):
        otb.protocol_runs(moving_square(12), "tre")


def test_a_sequence_without_a_first_box_names_its_folder(generated):
    seq = read_otb(generated / "OTB")[0]
    seq.boxes[0] = np.nan
    with pytest.raises(ValueError, match=r"Gen0001 \(.*Gen0001/img\): no usable true box"):
        otb.protocol_runs(seq, "sre")


def test_runs_are_deterministic_and_scored_otb_style():
    seq = moving_square(24)
    first = otb.evaluate_protocol(NCCTracker(), [seq], "tre", "NCC")
    second = otb.evaluate_protocol(NCCTracker(), [seq], "tre", "NCC")
    assert [r.sequence for r in first] == [f"square@start {s}" for s in otb.tre_start_frames(
        seq.boxes)]  # fmt: skip
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a.boxes, b.boxes)
        assert a.ious[0] == pytest.approx(1.0)  # the given box is scored, as in OTB
    summary = otb.summarize_runs(first)
    pooled = np.concatenate([r.ious for r in first])  # one sequence: its runs pooled
    np.testing.assert_allclose(summary.success_curve, ev.success_curve(pooled))
    assert summary.sequences == 1 and summary.frames == sum(len(r.ious) for r in first)


def test_summaries_pool_runs_within_a_sequence_then_average_sequences():
    gt = np.tile([0.0, 0, 10, 10], (4, 1))
    shifted = gt + [5, 0, 0, 0]  # IoU 1/3
    make = ev.SequenceResult
    runs = [
        make("T", "a@1", gt[:2], gt[:2], np.ones(2)),
        make("T", "a@2", shifted, gt, np.ones(4)),
        make("T", "b@1", shifted[:3], gt[:3], np.ones(3)),
    ]
    summary = otb.summarize_runs(runs)
    a = ev.success_curve([1, 1, 1 / 3, 1 / 3, 1 / 3, 1 / 3])
    b = ev.success_curve([1 / 3] * 3)
    np.testing.assert_allclose(summary.success_curve, (a + b) / 2)
    assert summary.sequences == 2 and summary.auc == pytest.approx(np.mean((a + b) / 2))


def test_a_nan_or_empty_box_is_a_miss_not_a_crash():
    class Broken(Tracker):
        def init(self, image, box):
            self.t = 0

        def update(self, image):
            self.t += 1
            return [np.nan] * 4 if self.t % 2 else [10.0, 15, 0, 0]

    r = otb.evaluate_protocol(Broken(), [moving_square(22)], "ope", "broken")[0]
    assert r.ious[0] == pytest.approx(1.0) and np.all(r.ious[1:] == 0)


def test_batched_trackers_plug_in_through_track_sequences():
    class Batched(NCCTracker):
        calls = 0

        def track_sequences(self, jobs):
            Batched.calls += 1
            return [NCCTracker().track(frames, box) for frames, box in jobs]

    seq = moving_square(22)
    plain = otb.evaluate_protocol(NCCTracker(), [seq], "sre", "NCC")
    batched = otb.evaluate_protocol(Batched(), [seq], "sre", "NCC")
    assert Batched.calls == 1
    for a, b in zip(plain, batched, strict=True):
        np.testing.assert_array_equal(a.boxes, b.boxes)


def test_fig3_and_table(generated):
    seqs = read_otb(generated / "OTB")[:2]
    summaries = {p: otb.summarize_protocol(otb.evaluate_protocol(NCCTracker(), seqs, p, "NCC"))
                 for p in ("ope", "sre")}  # fmt: skip
    fig = otb.plot_protocols(summaries)
    assert [ax.get_title() for ax in fig.axes] == ["Success plots of OPE", "Success plots of SRE"]
    assert (
        fig.axes[1].get_legend().get_texts()[0].get_text() == f"NCC [{summaries['sre'][0].auc:.3f}]"
    )
    table = otb.format_protocol_table(summaries)
    assert "OPE AUC" in table and f"{summaries['ope'][0].auc:.3f}" in table


# ----------------------------------------------------------------------------- polygon overlap


def test_region_overlap_matches_shapely_and_a_pixel_count():
    pytest.importorskip("shapely")
    from shapely.geometry import Polygon
    from shapely.geometry import box as shapely_box

    rng = np.random.default_rng(0)
    size = (80, 60)
    frame = shapely_box(0, 0, *size)
    for _ in range(200):
        cx, cy, w, h = rng.uniform(-10, 90), rng.uniform(-10, 70), *rng.uniform(2, 40, 2)
        a = rng.uniform(0, np.pi)
        u, v = np.array([np.cos(a), np.sin(a)]) * w / 2, np.array([-np.sin(a), np.cos(a)]) * h / 2
        polygon = np.array([[cx, cy] - u - v, [cx, cy] + u - v, [cx, cy] + u + v, [cx, cy] - u + v])
        b = [rng.uniform(-10, 80), rng.uniform(-10, 60), *rng.uniform(1, 40, 2)]
        g = Polygon(polygon).intersection(frame)
        p = shapely_box(b[0], b[1], b[0] + b[2], b[1] + b[3]).intersection(frame)
        union = g.union(p).area
        want = g.intersection(p).area / union if union > 0 else 0.0
        assert vot.region_overlap(polygon.reshape(-1), b, size) == pytest.approx(want, abs=1e-9)
    # a 45-degree square against a box, by counting 1/20-pixel cells
    diamond = np.array([20, 10, 30, 20, 20, 30, 10, 20], float)
    xs, ys = np.meshgrid(np.arange(0, 40, 0.05) + 0.025, np.arange(0, 40, 0.05) + 0.025)
    inside_d = np.abs(xs - 20) + np.abs(ys - 20) <= 10
    inside_b = (xs >= 15) & (xs <= 35) & (ys >= 12) & (ys <= 22)
    count = np.sum(inside_d & inside_b) / np.sum(inside_d | inside_b)
    assert vot.region_overlap(diamond, [15, 12, 20, 10], (40, 40)) == pytest.approx(count, abs=2e-3)


def test_region_overlap_of_bad_boxes():
    square = [0, 0, 10, 0, 10, 10, 0, 10]
    assert vot.region_overlap(square, [0, 0, 10, 10], (20, 20)) == pytest.approx(1.0)
    assert vot.region_overlap(square, [np.nan, 0, 10, 10], (20, 20)) == 0.0
    assert vot.region_overlap(square, [0, 0, 0, 10], (20, 20)) == 0.0
    assert vot.region_overlap(square, [30, 30, 5, 5], (20, 20)) == 0.0  # outside the frame
    assert np.isnan(vot.region_overlap([np.nan] * 8, [0, 0, 5, 5], (20, 20)))


# ----------------------------------------------------------------------------- EAO


def eao_curve_by_definition(segments, n_max):
    """Φ(N) straight from Kristan et al.: zero-pad failed segments, drop short finished ones."""
    curve = []
    for n in range(1, n_max):
        values = []
        for o, failed in segments:
            if not failed and len(o) <= n:
                continue
            padded = list(o[1:]) + [0.0] * n
            values.append(sum(padded[:n]) / n)
        curve.append(np.mean(values))
    return np.array(curve)


def test_eao_curve_equals_the_definition():
    segments = [(np.array([1, 0.5, 0.5]), True), (np.array([1, 0.8]), False)]
    curve = vot.eao_curve(segments)
    assert np.isnan(curve[0])
    np.testing.assert_allclose(curve[1:], [(0.5 + 0.8) / 2, 0.5])  # by hand
    rng = np.random.default_rng(1)
    segments = [(np.r_[1, rng.uniform(0.05, 1, n - 1)], bool(rng.random() < 0.5))
                for n in rng.integers(2, 60, 25)]  # fmt: skip
    segments.append((np.r_[1, rng.uniform(0.05, 1, 79)], False))
    curve = vot.eao_curve(segments)
    np.testing.assert_allclose(curve[1:], eao_curve_by_definition(segments, 80), atol=1e-12)
    assert vot.expected_average_overlap(curve, (10, 40)) == pytest.approx(np.mean(curve[10:41]))


def toolkit_eao_curve(overlaps, success):
    """vot-toolkit 0.7's compute_eao_curve, written out (weights all 1)."""
    longest = max(len(o) for o in overlaps)
    values, mask = np.zeros((len(overlaps), longest)), np.zeros((len(overlaps), longest))
    for i, (o, ok) in enumerate(zip(overlaps, success, strict=True)):
        values[i, : len(o)] = o
        mask[i, :] = 1 if not ok else 0
        mask[i, : len(o)] = 1
    averaged = values.copy()
    for j in range(1, longest):
        averaged[:, j] = np.mean(values[:, 1 : j + 1], axis=1)
    return np.sum(averaged * mask, axis=0) / np.sum(mask, axis=0)


@pytest.mark.parametrize("longest", [150, 196, 400])
def test_eao_is_the_toolkits_over_vot2015s_interval_cut_at_the_longest_segment(longest):
    rng = np.random.default_rng(longest)
    segments = [(np.r_[1, rng.uniform(0.05, 1, n - 1)], bool(rng.random() < 0.5))
                for n in rng.integers(2, longest, 30)]  # fmt: skip
    segments.append((np.r_[1, rng.uniform(0.05, 1, longest - 1)], False))
    theirs = toolkit_eao_curve([o for o, _ in segments], [not f for _, f in segments])
    eao, used = vot.toolkit_eao(segments)
    assert used == (108, min(371, longest - 1))
    assert eao == pytest.approx(float(np.mean(theirs[108:372])), abs=1e-12)


def test_eao_on_sequences_shorter_than_the_interval_is_nan_with_a_warning():
    with pytest.warns(UserWarning, match=r"longest segment has 60 frames.*undefined"):
        eao, _ = vot.toolkit_eao([(np.ones(60), True), (np.ones(40), False)])
    assert np.isnan(eao)


def test_eao_interval_and_too_short_sequences():
    assert vot.eao_interval([40] * 6) == (39, 39)  # equal lengths: the curve's last point
    lo, hi = vot.eao_interval([50, 60, 80, 100, 120, 200, 300])
    assert 1 <= lo < 100 < hi <= 299  # around the densest lengths
    with pytest.raises(ValueError, match=r"EAO over N in \[108, 371\]: no segment reaches N = 371"):
        vot.expected_average_overlap(vot.eao_curve([(np.ones(40), False)], 372))
    failed = vot.eao_curve([(np.ones(40), True)], 372)  # a failed segment counts at every length
    assert vot.expected_average_overlap(failed) == pytest.approx(np.mean(39 / np.arange(108, 372)))


# ----------------------------------------------------------------------------- VOT supervised


class Scripted(Tracker):
    """Follows the true box 2 px off, except in the frames of `fail` (a box outside the frame)
    and of `nan` (NaN): it knows each frame's index from a table of the frames' bytes."""

    name = "scripted"
    is_deterministic = True  # for got10k

    def __init__(self, frames, polygons, fail=(), nan=()):
        self.index = {read_image(f).tobytes(): i for i, f in enumerate(frames)}
        self.boxes = [vot_polygon_to_box(p) for p in polygons]
        self.fail, self.nan = set(fail), set(nan)

    def init(self, image, box):
        pass

    def update(self, image):
        image = read_image(image) if isinstance(image, (str, Path)) else image
        t = self.index[image.tobytes()]
        if t in self.nan:
            return np.full(4, np.nan)
        return self.boxes[t] + ([1000, 0, 0, 0] if t in self.fail else [2, 0, 0, 0])


def test_supervised_reinitialises_five_frames_after_a_failure(generated):
    vs = vot.read_vot_set(generated / "VOT")[0]
    tracker = Scripted(vs.sequence.frames, vs.polygons, fail={3, 6}, nan={22})
    run = vot.run_supervised(tracker, vs)
    s = run.states
    assert list(np.flatnonzero(s == vot.INITIALISED)) == [0, 8, 27]  # 3 + 5, 22 + 5
    assert list(np.flatnonzero(s == vot.FAILED)) == [3, 22]  # the NaN box is a failure too
    assert list(np.flatnonzero(s == vot.SKIPPED)) == [4, 5, 6, 7, 23, 24, 25, 26]
    assert run.failures == 2
    mask = run.accuracy_mask()
    assert list(np.flatnonzero(mask)) == [18, 19, 20, 21]  # burn-in: 10 frames from each init
    assert run.accuracy == pytest.approx(np.mean(run.overlaps[18:22]))
    assert [(len(o), f) for o, f in run.segments()] == [(3, True), (14, True), (3, False)]
    again = vot.run_supervised(Scripted(vs.sequence.frames, vs.polygons, {3, 6}, {22}), vs)
    np.testing.assert_array_equal(again.states, run.states)  # deterministic
    np.testing.assert_array_equal(again.overlaps, run.overlaps)


def test_supervised_matches_got10k(generated, tmp_path, monkeypatch):
    got10k = pytest.importorskip("got10k.experiments")
    import got10k.experiments.vot as got10k_vot

    # got10k 0.1.3 predates NumPy 2: np.NaN is gone, and its report builds an array of (1,)-arrays
    # and NaNs, now an error; give it np.NaN back and poly_iou's one value as a float
    monkeypatch.setattr(np, "NaN", np.nan, raising=False)
    poly_iou = got10k_vot.poly_iou
    monkeypatch.setattr(
        got10k_vot, "poly_iou", lambda a, b, bound=None: float(poly_iou(a, b, bound)[0])
    )
    from got10k.datasets import VOT

    # got10k's _corner2rect centres the box at cx - w/2; ours (the authors' get_axis_aligned_BB,
    # which our reader uses) at cx - (w-1)/2: give both protocols the same first box.
    monkeypatch.setattr(VOT, "_corner2rect", lambda self, corners, center=False: np.array(
        [vot_polygon_to_box(c) for c in corners]))  # fmt: skip
    sequences = vot.read_vot_set(generated / "VOT")
    first = sequences[0]
    trackers = {
        "scripted": Scripted(first.sequence.frames, first.polygons, fail={3, 6, 20}, nan=()),
        "NCC": NCCTracker(),
    }
    ours, theirs = {}, {}
    for name, tracker in trackers.items():
        seqs = sequences[:1] if name == "scripted" else sequences

        class Adapter:  # got10k calls init / update with the image path (read_image=False)
            is_deterministic = True

            def init(self, path, box, tracker=tracker):
                tracker.init(read_image(path), box)

            def update(self, path, tracker=tracker):
                return tracker.update(read_image(path))

        Adapter.name = name
        ours[name] = vot.evaluate_supervised(tracker, seqs, name)
        experiment = got10k.ExperimentVOT(
            str(generated / "VOT"), version=2015, read_image=False, experiments="supervised",
            result_dir=str(tmp_path / "results"), report_dir=str(tmp_path / "reports"))  # fmt: skip
        experiment.dataset.seq_names = [s.name for s in seqs]
        experiment.dataset.seq_dirs = [str(generated / "VOT" / s.name) for s in seqs]
        experiment.dataset.anno_files = [
            f"{d}/groundtruth.txt" for d in experiment.dataset.seq_dirs
        ]
        experiment.run_supervised(Adapter())
        theirs[name] = results.load_supervised(tmp_path / "results" / "VOT2015", name, seqs)
        report = experiment.report([name])[name]
        summary = vot.summarize_supervised(ours[name])[0]
        assert summary.failures == report["robustness"]  # no per-frame tags: the total
        assert summary.accuracy == pytest.approx(report["accuracy"], abs=1e-4)  # pooled frames
        for a, b in zip(ours[name], theirs[name], strict=True):
            np.testing.assert_array_equal(a.states, b.states)
            assert a.failures == b.failures and a.accuracy == pytest.approx(b.accuracy, abs=1e-4)
    assert ours["scripted"][0].failures == 2  # frame 6 is skipped, frame 20 fails
    assert sum(r.failures for r in ours["NCC"]) >= 1  # the real tracker fails somewhere too


def test_vot_layout_polygons_round_trip(generated):
    folder = generated / "VOT" / "gen0001"
    assert (folder / "00000001.jpg").is_file() and not (folder / "color").exists()
    polygons = read_vot_regions(folder)
    seq = vot.read_vot_set(generated / "VOT")[0]
    assert polygons.shape == (30, 8)
    np.testing.assert_allclose(seq.sequence.boxes[0], vot_polygon_to_box(polygons[0]))
    otb_box = read_otb(generated / "OTB")[0].boxes[0]  # the same target, OTB's exact box
    assert np.abs(ev.box_center(seq.sequence.boxes[0]) - ev.box_center(otb_box)).max() < 2


def test_table2_layout(generated):
    seqs = vot.read_vot_set(generated / "VOT")[:2]
    runs = vot.evaluate_supervised(NCCTracker(), seqs, "NCC")
    with pytest.warns(UserWarning, match="undefined|single N"):
        summaries = vot.summarize_supervised(runs)
    table = vot.format_vot_table(summaries)
    assert table.splitlines()[0].split("|")[1:6] == [
        " tracker                 ",
        " accuracy ",
        " # failures ",
        " overlap (EAO) ",
        " speed (fps) ",
    ]
    assert "SiamFC-3s (paper)       | 0.5335   | 84" in table
    assert summaries[0].estimate_interval == vot.eao_interval([30, 30])
    assert np.isnan(summaries[0].eao) and "EAO estimate" in table.splitlines()[0]
    assert "NCC" in vot.format_sequence_table(runs)


# ----------------------------------------------------------------------------- bad input, files


def test_a_ground_truth_line_with_the_wrong_count_names_the_file(tmp_path, generated):
    import shutil

    root = tmp_path / "VOT"
    shutil.copytree(generated / "VOT", root)
    gt = root / "gen0002" / "groundtruth.txt"
    lines = gt.read_text().splitlines()
    gt.write_text("\n".join([lines[0], "1,2,3,4,5,6", *lines[2:]]) + "\n")
    with pytest.raises(ValueError, match=r"gen0002/groundtruth.txt, line 2: expected 4 or 8"):
        vot.read_vot_set(root)


def test_results_round_trip_and_refuse_another_protocol(tmp_path, generated):
    seqs = read_otb(generated / "OTB")[:1]
    runs = otb.evaluate_protocol(NCCTracker(), seqs, "sre", "NCC")
    folder = results.save_runs(runs, tmp_path / "sre", "sre")
    back = results.load_runs(folder, "sre", seqs)
    assert sorted(r.sequence for r in back) == sorted(r.sequence for r in runs)
    assert otb.summarize_runs(back).auc == pytest.approx(otb.summarize_runs(runs).auc, abs=1e-4)
    with pytest.raises(
        ValueError, match=r"sre/protocol.json: this folder holds sre results, not tre"
    ):
        results.load_runs(folder, "tre", seqs)
    with pytest.raises(ValueError, match="holds sre results, not vot"):
        results.load_supervised(folder, "NCC", vot.read_vot_set(generated / "VOT"))
    with pytest.raises(FileNotFoundError, match="no protocol.json in .*: not a tre results folder"):
        results.load_runs(tmp_path, "tre", seqs)
    vseqs = vot.read_vot_set(generated / "VOT")[:1]
    vruns = vot.evaluate_supervised(NCCTracker(), vseqs, "NCC")
    vfolder = results.save_supervised(vruns, tmp_path / "vot")
    assert json.loads((vfolder / "protocol.json").read_text()) == {"protocol": "vot"}
    vback = results.load_supervised(vfolder, "NCC", vseqs)[0]
    np.testing.assert_array_equal(vback.states, vruns[0].states)
    assert vback.accuracy == pytest.approx(vruns[0].accuracy, abs=1e-4)
    (vfolder / "NCC" / "baseline" / "gen0001" / "gen0001_001.txt").write_text("1\n")
    with pytest.raises(ValueError, match=r"gen0001_001.txt: 1 lines for 30 frames"):
        results.load_supervised(vfolder, "NCC", vseqs)


# ----------------------------------------------------------------------------- the command line


def test_cli_runs_the_protocols_and_writes_their_files(generated, tmp_path, capsys):
    from siamfc_edu.cli import main

    out = tmp_path / "eval"
    argv = ["evaluate", "--data", str(generated), "--trackers", "ncc", "--out", str(out)]
    assert main([*argv, "--protocol", "ope,vot"]) == 0
    captured = capsys.readouterr()
    printed = captured.out
    assert "OPE AUC" in printed and "SiamFC-3s (paper)" in printed and "wall time: OPE" in printed
    for protocol in ("OPE", "VOT"):  # never silent: a line as each tracker starts and ends
        assert f"{protocol}: ncc on " in captured.err and f"{protocol}: ncc done in" in captured.err
    for name in ("protocols.md", "protocols.png", "eao.png", "ope/protocol.json",
                 "vot/ncc/baseline/gen0001/gen0001_001.txt"):  # fmt: skip
        assert (out / name).is_file(), name
    assert main([*argv, "--protocol", "ope,xyz"]) == 2
    assert "siamfc-edu: error: --protocol: unknown ['xyz']" in capsys.readouterr().err
    assert main([*argv[:2], str(tmp_path), *argv[3:], "--protocol", "vot"]) == 2
    assert f"no VOT layout at {tmp_path}" in capsys.readouterr().err


def test_a_nan_region_in_a_short_vot_sequence_is_named_before_what_it_leaves(tmp_path, capsys):
    from siamfc_edu.cli import main
    from siamfc_edu.data.layouts.vot import write_vot_sequence

    rng = np.random.default_rng(0)
    frames = [rng.integers(60, 200, (96, 128, 3), dtype=np.uint8) for _ in range(12)]
    polygons = np.array([[30, 30, 60, 30, 60, 50, 30, 50]] * 12, float)
    polygons[5] = np.nan
    write_vot_sequence(tmp_path / "VOT", "short", frames, polygons)
    with pytest.warns(UserWarning) as record:
        code = main(["evaluate", "--data", str(tmp_path / "VOT"), "--trackers", "ncc",
                     "--protocol", "vot", "--out", str(tmp_path / "out")])  # fmt: skip
    assert code == 0
    messages = [str(w.message) for w in record]
    assert "short, frame 6" in messages[0] and "NaN" in messages[0]  # what was skipped, first
    assert any("EAO" in m for m in messages[1:])  # then what that leaves
    assert "EAO undefined (as the toolkit)" in capsys.readouterr().out
