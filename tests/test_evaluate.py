"""OTB / GOT-10k metrics: hand-computed cases, absent frames, got10k cross-checks, tables, plots."""

from types import SimpleNamespace

import numpy as np
import pytest

from siamfc_edu.data.sequence import Sequence
from siamfc_edu.evaluate import (
    PRECISION_THRESHOLDS,
    SUCCESS_THRESHOLDS,
    SequenceResult,
    area_under_curve,
    attribute_table,
    average_overlap,
    center_error,
    evaluate_multistart,
    evaluate_tracker,
    format_attribute_table,
    format_report,
    format_table,
    iou,
    plot_precision,
    plot_success,
    precision_at,
    precision_curve,
    protocol_name,
    save_plots,
    start_frames,
    success_curve,
    success_rate,
    summarize,
    without_failed,
)


def random_boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    """n random boxes in a 200 x 200 frame, some overlapping, some not."""
    xy = rng.uniform(0, 150, size=(n, 2))
    wh = rng.uniform(5, 60, size=(n, 2))
    return np.hstack([xy, wh])


def jitter(rng: np.random.Generator, boxes: np.ndarray, pixels: float) -> np.ndarray:
    """The boxes moved and resized by up to `pixels`: a plausible tracker's output."""
    noisy = boxes + rng.uniform(-pixels, pixels, size=boxes.shape)
    noisy[:, 2:] = np.maximum(noisy[:, 2:], 1)
    return noisy


# ----------------------------------------------------------------------------- per frame


def test_iou_by_hand():
    gt = np.array([[10, 10, 10, 10]] * 4, float)
    pred = np.array(
        [
            [10, 10, 10, 10],  # identical
            [30, 30, 10, 10],  # disjoint
            [10, 10, 10, 5],  # the top half of gt: 50 / 100
            [15, 10, 10, 10],  # shifted by half a width: 50 / 150
        ],
        float,
    )
    np.testing.assert_allclose(iou(pred, gt), [1.0, 0.0, 0.5, 1 / 3])


def test_iou_of_touching_boxes_is_zero():
    # pixels 0..9 and 10..19: adjacent, no shared pixel
    assert iou([0, 0, 10, 10], [10, 0, 10, 10])[0] == 0.0


def test_center_error_by_hand():
    gt = np.array([[0, 0, 10, 10], [0, 0, 10, 10]], float)
    pred = np.array([[3, 4, 10, 10], [0, 0, 20, 20]], float)
    # centres (4.5, 4.5) vs (7.5, 8.5): a 3-4-5 triangle; a box twice as big moves its centre by 5
    np.testing.assert_allclose(center_error(pred, gt), [5.0, np.hypot(5, 5)])


def test_absent_ground_truth_is_nan_and_missing_prediction_is_a_miss():
    gt = np.array([[0, 0, 10, 10], [np.nan] * 4, [0, 0, 10, 10]])
    pred = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [np.nan] * 4])
    ious, errors = iou(pred, gt), center_error(pred, gt)
    assert ious[0] == 1.0 and np.isnan(ious[1]) and ious[2] == 0.0
    assert errors[0] == 0.0 and np.isnan(errors[1]) and errors[2] == np.inf


def test_mismatched_shapes_raise_a_clear_error():
    with pytest.raises(ValueError, match="one per frame"):
        iou(np.zeros((3, 4)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        center_error(np.zeros((3, 5)), np.zeros((3, 5)))


# ----------------------------------------------------------------------------- curves and scores


def test_curves_by_hand():
    ious = np.array([0.0, 0.3, 0.5, 0.9])
    curve = success_curve(ious, thresholds=[0.0, 0.5, 0.95])
    np.testing.assert_allclose(curve, [0.75, 0.25, 0.0])  # success means IoU > threshold
    errors = np.array([0.0, 10.0, 20.0, 30.0])
    np.testing.assert_allclose(precision_curve(errors, thresholds=[0, 20, 50]), [0.25, 0.75, 1.0])
    assert precision_at(errors) == 0.75  # precision means error <= 20 px
    assert average_overlap(ious) == pytest.approx(0.425)
    assert success_rate(ious, 0.5) == 0.25
    assert success_rate(ious, 0.75) == 0.25


def test_perfect_tracker_scores():
    gt = random_boxes(np.random.default_rng(0), 30)
    ious, errors = iou(gt, gt), center_error(gt, gt)
    curve = success_curve(ious)
    # every IoU is 1, which is not > 1.0: OTB's last point is 0 and the best AUC is 20/21
    np.testing.assert_array_equal(curve, [1.0] * 20 + [0.0])
    assert area_under_curve(curve) == pytest.approx(20 / 21)
    assert precision_at(errors) == 1.0
    assert average_overlap(ious) == pytest.approx(1.0) and success_rate(ious, 0.75) == 1.0


def test_frames_without_ground_truth_are_excluded():
    rng = np.random.default_rng(1)
    gt = random_boxes(rng, 20)
    pred = jitter(rng, gt, 8)
    gt_with_gaps = gt.copy()
    gaps = [3, 4, 11]
    gt_with_gaps[gaps] = np.nan
    pred_far = pred.copy()
    pred_far[gaps] = [500, 500, 5, 5]  # would be misses if they were scored
    kept = np.setdiff1d(np.arange(20), gaps)
    np.testing.assert_allclose(
        success_curve(iou(pred_far, gt_with_gaps)), success_curve(iou(pred[kept], gt[kept]))
    )
    np.testing.assert_allclose(
        precision_curve(center_error(pred_far, gt_with_gaps)),
        precision_curve(center_error(pred[kept], gt[kept])),
    )


def test_no_ground_truth_at_all_raises():
    with pytest.raises(ValueError, match="no frame with ground truth"):
        success_curve([np.nan, np.nan])


# ----------------------------------------------------------------------------- got10k cross-check


def test_matches_got10k():
    try:  # got10k (and its shapely dependency) is only needed for this cross-check
        from got10k import experiments
        from got10k.utils import metrics
    except ImportError as error:
        pytest.skip(f"got10k is not importable ({error}); pip install got10k to cross-check")
    rng = np.random.default_rng(2)
    gt = random_boxes(rng, 300)
    pred = jitter(rng, gt, 25)
    np.testing.assert_allclose(iou(pred, gt), metrics.rect_iou(pred.copy(), gt.copy()))
    np.testing.assert_allclose(center_error(pred, gt), metrics.center_error(pred, gt))

    ious, errors = iou(pred, gt), center_error(pred, gt)
    otb = SimpleNamespace(nbins_iou=len(SUCCESS_THRESHOLDS), nbins_ce=len(PRECISION_THRESHOLDS))
    succ, prec = experiments.ExperimentOTB._calc_curves(otb, ious, errors)
    np.testing.assert_allclose(success_curve(ious), succ)
    np.testing.assert_allclose(precision_curve(errors), prec)
    assert area_under_curve(success_curve(ious)) == pytest.approx(np.mean(succ))
    assert precision_at(errors) == pytest.approx(prec[20])

    ao, sr, _, _ = experiments.ExperimentGOT10k._evaluate(None, ious, np.ones(3))
    assert average_overlap(ious) == pytest.approx(ao)
    assert success_rate(ious, 0.5) == pytest.approx(sr)


# ----------------------------------------------------------------------------- whole evaluations


class ReplayTracker:
    """A tracker that answers with boxes given in advance (to test the evaluation loop alone)."""

    def __init__(self, answers: dict[str, np.ndarray]):
        self.answers = answers

    def track(self, img_files, box):
        boxes = self.answers[img_files[0]].copy()
        boxes[0] = box
        return boxes, np.full(len(img_files), 0.01)


def make_sequence(name: str, gt: np.ndarray, attributes=(), absent=None) -> Sequence:
    frames = [f"{name}/{i:04d}.jpg" for i in range(len(gt))]
    return Sequence(name, frames, gt, list(attributes), absent)


def test_evaluate_tracker_collects_boxes_times_and_excludes_absent_frames():
    gt = np.array([[10, 10, 20, 20]] * 5, float)
    pred = gt.copy()
    pred[2] = [100, 100, 20, 20]  # lost where the target is marked absent: not counted
    absent = np.array([False, False, True, False, False])
    seq = make_sequence("a", gt, ["occlusion"], absent)
    (result,) = evaluate_tracker(ReplayTracker({"a/0000.jpg": pred}), [seq], name="replay")
    assert result.tracker == "replay" and result.sequence == "a"
    assert result.attributes == ["occlusion"]
    assert np.isnan(result.ious[2]) and np.isnan(result.gt[2]).all()
    assert not np.isnan(seq.boxes).any()  # the sequence itself is left as it was
    assert result.auc == pytest.approx(20 / 21)  # perfect on the 4 scored frames
    assert result.fps == pytest.approx(100.0)


def test_summary_averages_curves_over_sequences_and_pools_ao_over_frames():
    gt_long = np.array([[0, 0, 10, 10]] * 4, float)
    gt_short = np.array([[0, 0, 10, 10]] * 2, float)
    miss = [50, 50, 10, 10]
    pred_long = gt_long.copy()
    pred_long[1:] = miss  # 1 of 4 frames right (the first, given)
    pred_short = gt_short.copy()  # 2 of 2 frames right
    results = [
        SequenceResult("t", "long", pred_long, gt_long, np.full(4, 0.5)),
        SequenceResult("t", "short", pred_short, gt_short, np.full(2, 0.5)),
    ]
    (s,) = summarize(results)
    # OTB: mean of the per-sequence curves, (1/4 + 2/2) / 2 below IoU 1
    np.testing.assert_allclose(s.success_curve[:-1], 0.625)
    assert s.precision20 == pytest.approx(0.625)
    assert s.auc == pytest.approx(0.625 * 20 / 21)
    # GOT-10k: the frames after the first, pooled: 3 misses and 1 hit
    assert s.ao == pytest.approx(0.25) and s.sr50 == pytest.approx(0.25)
    assert s.fps == pytest.approx(6 / 3.0)
    assert (s.sequences, s.frames) == (2, 6)


def two_tracker_results() -> list:
    rng = np.random.default_rng(3)
    results = []
    for i, attributes in enumerate([["blur"], ["blur", "scale"], ["scale"]]):
        gt = random_boxes(rng, 40)
        for name, noise in [("good", 2.0), ("poor", 30.0)]:
            pred = jitter(rng, gt, noise)
            results.append(SequenceResult(name, f"seq{i}", pred, gt, np.full(40, 0.02), attributes))
    return results


def test_summaries_rank_the_better_tracker_first():
    summaries = summarize(two_tracker_results())
    assert [s.tracker for s in summaries] == ["good", "poor"]
    good, poor = summaries
    assert good.auc > poor.auc and good.precision20 > poor.precision20 and good.ao > poor.ao
    table = format_table(summaries)
    lines = table.splitlines()
    assert len(lines) == 4 and lines[0].startswith("| tracker") and set(lines[1]) <= {"|", "-"}
    assert f"{good.auc:.3f}" in lines[2] and "poor" in lines[3]


def test_attribute_table_is_the_auc_over_the_sequences_with_each_attribute():
    results = two_tracker_results()
    table = attribute_table(results)
    assert list(table) == ["blur", "scale"]
    blur_good = [r for r in results if r.tracker == "good" and "blur" in r.attributes]
    expected = area_under_curve(np.mean([r.success_curve for r in blur_good], axis=0))
    assert table["blur"]["good"] == pytest.approx(expected)
    assert table["scale"]["good"] > table["scale"]["poor"]
    text = format_attribute_table(table)
    header = [cell.strip() for cell in text.splitlines()[0].split("|")[1:-1]]
    assert header == ["attribute", "good", "poor"]
    assert len(text.splitlines()) == 4


def test_plots_have_one_curve_per_tracker_with_scores_in_the_legend(tmp_path):
    summaries = summarize(two_tracker_results())
    for plot, score in [(plot_success, "auc"), (plot_precision, "precision20")]:
        fig = plot(summaries)
        (ax,) = fig.axes
        curves = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
        assert len(curves) == 2
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels[0] == f"good [{getattr(summaries[0], score):.3f}]"
    paths = save_plots(summaries, tmp_path / "plots")
    assert [p.name for p in paths] == ["success_plot.png", "precision_plot.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)


class OracleTracker:
    """Answers the true box wherever it is known, a wrong box elsewhere, from any start."""

    def __init__(self, gt: np.ndarray, frames: list[str]):
        self.gt, self.index = gt, {f: i for i, f in enumerate(frames)}
        self.starts = []

    def track(self, img_files, box):
        start = self.index[img_files[0]]
        self.starts.append(start)
        boxes = np.nan_to_num(self.gt[start : start + len(img_files)], nan=500.0)
        return boxes, np.full(len(img_files), 0.01)


def test_start_frames_spread_over_the_annotated_span():
    gt = np.full((100, 4), np.nan)
    gt[20:81:5] = [10, 10, 20, 20]  # annotated every 5th frame from 20 to 80
    assert start_frames(gt, 4) == [20, 35, 50, 65]
    assert start_frames(gt, 1) == [20]
    assert all(s < 80 for s in start_frames(gt, 30))  # the last box is never a start
    with pytest.raises(ValueError, match="two frames"):
        start_frames(np.full((5, 4), np.nan), 2)


def test_multistart_runs_from_each_start_and_does_not_score_the_given_box():
    gt = np.full((40, 4), np.nan)
    gt[::5] = [10, 10, 20, 20]
    seq = make_sequence("s", gt)
    oracle = OracleTracker(gt, seq.frames)
    results = evaluate_multistart(oracle, [seq], starts=4, name="oracle")
    assert oracle.starts == [0, 10, 20, 30]  # 0 + k * 35 / 4, rounded up to an annotated frame
    assert [r.sequence for r in results] == [f"s@{s}" for s in oracle.starts]
    for r, s in zip(results, oracle.starts, strict=True):
        assert len(r.boxes) == 40 - s and np.isnan(r.ious[0])
        assert r.auc == pytest.approx(20 / 21)
    assert summarize(results)[0].auc == pytest.approx(20 / 21)


def test_multistart_penalises_a_tracker_that_drifts_early_less_than_one_run_does():
    """A tracker lost after its first 10 frames: one run scores it by one early failure only."""
    gt = np.tile([[10.0, 10, 20, 20]], (40, 1))

    class EarlyLoser:
        def track(self, img_files, box):
            boxes = np.tile(np.asarray(box, float), (len(img_files), 1))
            boxes[10:] = [200, 200, 20, 20]
            return boxes, np.full(len(img_files), 0.01)

    seq = make_sequence("s", gt)
    one = summarize(evaluate_tracker(EarlyLoser(), [seq]))[0].auc
    many = summarize(evaluate_multistart(EarlyLoser(), [seq], starts=4))[0].auc
    assert one < many  # later starts reach the end with fewer lost frames


def test_a_sequence_failed_by_one_tracker_is_left_out_for_every_tracker():
    gt = np.tile([[10.0, 10, 20, 20]], (6, 1))
    good, bad = make_sequence("good", gt), make_sequence("bad", gt)

    class Still:
        """Reports the given box in every frame; fails on the frames of 'bad' if asked to."""

        def __init__(self, fail: bool):
            self.fail = fail

        def track(self, img_files, box):
            if self.fail and img_files[0].startswith("bad/"):
                raise ValueError("truncated JPEG: bad/0003.jpg")
            return np.tile(box, (len(img_files), 1)), np.full(len(img_files), 0.01)

    failures = []
    results = evaluate_multistart(Still(False), [good, bad], 2, "still", failures)
    results += evaluate_multistart(Still(True), [good, bad], 2, "fails", failures)
    assert [str(f) for f in failures] == ["bad (fails): truncated JPEG: bad/0003.jpg"]
    kept = without_failed(results, failures)
    assert [r.sequence for r in kept] == ["good@0", "good@3"] * 2  # for both trackers
    report = format_report(summarize(kept), kept, failures, protocol_name(2))
    assert report.startswith("1 sequences, 2 starts per sequence")
    assert "1 sequence(s) failed" in report and "  bad (fails): truncated JPEG" in report
