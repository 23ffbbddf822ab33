"""The scores (`evaluate.metrics`): hand-computed cases, absent frames, got10k cross-checks,
summaries per tracker (runs alone, or pooled per sequence as OTB does)."""

import ast
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from siamfc_edu.evaluate import metrics
from siamfc_edu.evaluate.metrics import (
    PRECISION_THRESHOLDS,
    SUCCESS_THRESHOLDS,
    SequenceResult,
    area_under_curve,
    attribute_table,
    average_overlap,
    center_error,
    iou,
    precision_at,
    precision_curve,
    success_curve,
    success_rate,
    summarize,
)
from siamfc_edu.evaluate.report import format_attribute_table, format_table
from tests.evaluation_data import jitter, random_boxes, two_tracker_results

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


# ----------------------------------------------------------------------------- per tracker


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


def test_summaries_pool_runs_within_a_sequence_then_average_sequences():
    gt = np.tile([0.0, 0, 10, 10], (4, 1))
    shifted = gt + [5, 0, 0, 0]  # IoU 1/3
    make = SequenceResult
    runs = [
        make("T", "a@1", gt[:2], gt[:2], np.ones(2)),
        make("T", "a@2", shifted, gt, np.ones(4)),
        make("T", "b@1", shifted[:3], gt[:3], np.ones(3)),
    ]
    (summary,) = summarize(runs, pooled=True)
    a = success_curve([1, 1, 1 / 3, 1 / 3, 1 / 3, 1 / 3])
    b = success_curve([1 / 3] * 3)
    np.testing.assert_allclose(summary.success_curve, (a + b) / 2)
    assert summary.sequences == 2 and summary.auc == pytest.approx(np.mean((a + b) / 2))

    (alone,) = summarize(runs)  # each run scored on its own: three points to average
    assert alone.sequences == 3 and alone.auc == pytest.approx(
        np.mean([success_curve(r.ious) for r in runs], axis=0).mean()
    )
    table = attribute_table(runs, pooled=True)
    assert table == {}  # no attributes: no table


def test_ao_and_sr_leave_out_each_runs_given_first_box():
    """GOT-10k's rule, for every protocol: a run's first frame (the box it was given) is not
    in AO and SR, while OTB's curves score it (`runs.scored_truth`)."""
    gt = np.tile([0.0, 0, 10, 10], (3, 1))
    pred = gt + [[0, 0, 0, 0], [20, 0, 0, 0], [20, 0, 0, 0]]  # right only where it was told
    (s,) = summarize([SequenceResult("T", "a", pred, gt, np.ones(3))])
    assert s.ao == 0.0 and s.sr50 == 0.0
    assert s.success_curve[0] == pytest.approx(1 / 3)  # the given frame counts in the curve


def test_the_metrics_need_no_tracker_and_no_torch():
    tree = ast.parse(Path(metrics.__file__).read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not {m for m in imported if m.split(".")[0] == "torch" or "tracker" in m}
