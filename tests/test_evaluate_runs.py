"""The runner (`evaluate.runs`): planners, one rule for failures and first boxes, batch engines."""

import numpy as np
import pytest

from siamfc_edu.baselines import NCCTracker
from siamfc_edu.evaluate.metrics import success_curve, summarize
from siamfc_edu.evaluate.otb import SRE, TRE, tre_start_frames
from siamfc_edu.evaluate.report import format_report
from siamfc_edu.evaluate.runs import (
    OPE,
    evaluate_multistart,
    evaluate_runs,
    evaluate_tracker,
    multistart,
    start_frames,
    track_runs,
    track_together,
    without_failed,
)
from siamfc_edu.interface import Tracker
from tests.evaluation_data import make_sequence, moving_square


class ReplayTracker:
    """A tracker that answers with boxes given in advance (to test the evaluation loop alone)."""

    def __init__(self, answers: dict[str, np.ndarray]):
        self.answers = answers

    def track(self, img_files, box):
        boxes = self.answers[img_files[0]].copy()
        boxes[0] = box
        return boxes, np.full(len(img_files), 0.01)


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
    report = format_report(summarize(kept), kept, failures, multistart(2).title)
    assert report.startswith("1 sequences, 2 starts per sequence")
    assert "1 sequence(s) failed" in report and "  bad (fails): truncated JPEG" in report


def test_runs_are_deterministic_and_scored_otb_style():
    seq = moving_square(24)
    first = evaluate_runs(NCCTracker(), [seq], TRE, "NCC")
    second = evaluate_runs(NCCTracker(), [seq], TRE, "NCC")
    assert [r.sequence for r in first] == [f"square@start {s}" for s in tre_start_frames(
        seq.boxes)]  # fmt: skip
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a.boxes, b.boxes)
        assert a.ious[0] == pytest.approx(1.0)  # the given box is scored, as in OTB
    (summary,) = summarize(first, pooled=True)
    pooled = np.concatenate([r.ious for r in first])  # one sequence: its runs pooled
    np.testing.assert_allclose(summary.success_curve, success_curve(pooled))
    assert summary.sequences == 1 and summary.frames == sum(len(r.ious) for r in first)


def test_a_nan_or_empty_box_is_a_miss_not_a_crash():
    class Broken(Tracker):
        def init(self, image, box):
            self.t = 0

        def update(self, image):
            self.t += 1
            return [np.nan] * 4 if self.t % 2 else [10.0, 15, 0, 0]

    r = evaluate_runs(Broken(), [moving_square(22)], OPE, "broken")[0]
    assert r.ious[0] == pytest.approx(1.0) and np.all(r.ious[1:] == 0)


# ----------------------------------------------------------------------------- first boxes


def test_a_run_starts_at_the_first_true_box_and_scores_it_only_under_otb_protocols():
    seq = moving_square(24)
    seq.boxes[:2] = np.nan  # no true box in the first two frames
    for protocol, scored in [(OPE, True), (SRE, True), (multistart(1), False)]:
        runs = protocol.plan(seq)
        assert {r.start for r in runs} == {2}, protocol.title
        (r, *_) = evaluate_runs(NCCTracker(), [seq], protocol, "NCC")
        assert len(r.boxes) == 22 and np.isnan(r.ious[0]) != scored, protocol.title


# ----------------------------------------------------------------------------- failures


def test_every_protocol_reports_and_skips_a_sequence_it_cannot_run():
    short, fine = moving_square(12, name="short"), moving_square(24, name="fine")
    empty = moving_square(24, name="empty")
    empty.boxes[:] = np.nan
    for protocol, failed in [(OPE, ["empty"]), (TRE, ["short", "empty"]), (SRE, ["empty"])]:
        failures = []
        results = evaluate_runs(NCCTracker(), [short, fine, empty], protocol, "NCC", failures)
        assert [f.sequence for f in failures] == failed, protocol.title
        assert {r.sequence.split("@")[0] for r in results} == {"short", "fine"} - set(failed)
    failures = []
    evaluate_runs(NCCTracker(), [short], TRE, "NCC", failures)
    assert str(failures[0]) == (
        "short (NCC): TRE needs a true box at least 20 frames before the end; "
        "the sequence has 12 frames"
    )
    with pytest.warns(UserWarning, match=r"empty \(NCC\): no frame has a true box.*left out"):
        assert evaluate_runs(NCCTracker(), [empty], OPE) == []


def test_a_bug_in_a_tracker_is_not_a_failure_but_an_error():
    class Buggy(NCCTracker):
        def update(self, image):
            raise ZeroDivisionError("a bug")

    with pytest.raises(ZeroDivisionError):
        evaluate_runs(Buggy(), [moving_square(22)], OPE, "buggy", [])


# ----------------------------------------------------------------------------- batch engines


class NCCTarget:
    """One run in `NCCBatch`: an NCC tracker, its frame shape and its last box."""

    def __init__(self, image, box):
        self.tracker, self.frame_shape, self.last = NCCTracker(), image.shape, np.asarray(box)
        self.tracker.init(image, box)

    def box(self):
        return self.last


class NCCBatch:
    """A batch engine (`runs.BatchEngine`) of NCC trackers, one a run; it notes each step's size."""

    def __init__(self):
        self.targets, self.steps = [], []

    def add(self, image, box):
        self.targets.append(NCCTarget(image, box))

    def step(self, frames):
        self.steps.append(len(frames))
        for target, frame in zip(self.targets, frames, strict=True):
            target.last = target.tracker.update(frame)

    def remove(self, index):
        del self.targets[index]


class BatchedNCC(NCCTracker):
    """NCC with a batch engine: what `FastSiamFCTracker.batch_engine()` gives the runner."""

    def __init__(self):
        super().__init__()
        self.engines = []

    def batch_engine(self):
        self.engines.append(NCCBatch())
        return self.engines[-1]


def test_a_tracker_with_a_batch_engine_tracks_many_runs_at_once_with_the_same_boxes():
    seqs = [moving_square(22, name="a"), moving_square(30, name="b")]
    plain = evaluate_runs(NCCTracker(), seqs, SRE, "NCC")
    batched_tracker = BatchedNCC()
    batched = evaluate_runs(batched_tracker, seqs, SRE, "NCC", batch=5)
    assert [r.sequence for r in batched] == [r.sequence for r in plain]
    for a, b in zip(plain, batched, strict=True):
        np.testing.assert_array_equal(a.boxes, b.boxes)
    (engine,) = batched_tracker.engines
    assert max(engine.steps) == 5 and min(engine.steps) >= 1  # 24 runs, 5 places
    one_at_a_time = BatchedNCC()
    evaluate_runs(one_at_a_time, seqs, SRE, "NCC", batch=1)
    assert one_at_a_time.engines == []  # batch 1: one by one, no engine


def test_track_together_equals_one_by_one_for_runs_of_any_length_and_size():
    small, large = moving_square(9, size=(64, 48)), moving_square(15, size=(80, 60))
    jobs = [
        (small.frames, small.boxes[0]),
        (large.frames[3:], large.boxes[3]),
        (small.frames[4:5], small.boxes[4]),  # a single frame: only the given box
        (large.frames[:6], large.boxes[0]),
    ]
    ended = []
    together = track_together(NCCBatch(), jobs, 2, lambda i, outcome: ended.append(i))
    assert sorted(ended) == [0, 1, 2, 3]
    for (boxes, times), (frames, box) in zip(together, jobs, strict=True):
        want, _ = NCCTracker().track(frames, box)
        np.testing.assert_array_equal(boxes, want)
        assert times.shape == (len(frames),)


def test_track_together_refuses_bad_jobs():
    seq = moving_square(4)
    with pytest.raises(ValueError, match="batch must be at least 1"):
        track_together(NCCBatch(), [(seq.frames, seq.boxes[0])], 0)
    with pytest.raises(ValueError, match="run 1 has no frames"):
        track_together(NCCBatch(), [(seq.frames, seq.boxes[0]), ([], seq.boxes[0])], 2)
    with pytest.raises(ValueError, match="zero or negative size"):
        track_together(NCCBatch(), [(seq.frames, [1, 1, -3, 4])], 2)


def test_a_bad_frame_in_a_batch_fails_its_run_alone(tmp_path):
    seqs = [moving_square(20, name=n) for n in ("a", "b", "c")]
    seqs[1].frames[7] = str(tmp_path / "missing.jpg")  # cannot be read
    outcomes = track_runs(BatchedNCC(), [(s.frames, s.boxes[0]) for s in seqs], batch=3)
    assert isinstance(outcomes[1], OSError) and "missing.jpg" in str(outcomes[1])
    for seq, outcome in zip(seqs[::2], outcomes[::2], strict=True):
        np.testing.assert_array_equal(outcome[0], NCCTracker().track(seq.frames, seq.boxes[0])[0])
    failures = []
    results = evaluate_runs(BatchedNCC(), seqs, OPE, "NCC", failures, batch=3)
    assert [r.sequence for r in results] == ["a", "c"] and failures[0].sequence == "b"


def test_siamfcs_batch_engine_gives_the_boxes_of_one_by_one():
    """`FastSiamFCTracker.batch_engine()` (a `SiamFCBatch`) through the runner: the boxes of
    tracking each run alone, for runs of several lengths and frame sizes, two at a time."""
    from siamfc_edu.fast_tracker import FastSiamFCTracker

    tracker = FastSiamFCTracker.from_weights(device="cpu")
    seqs = [moving_square(16, name="a"), moving_square(20, size=(80, 60), name="b")]
    together = evaluate_runs(tracker, seqs, multistart(2), "SiamFC", batch=2)
    alone = evaluate_runs(tracker, seqs, multistart(2), "SiamFC", batch=1)
    assert [r.sequence for r in together] == ["a@0", "a@8", "b@0", "b@10"]
    for a, b in zip(together, alone, strict=True):
        np.testing.assert_allclose(a.boxes, b.boxes, atol=1e-4, rtol=0)
