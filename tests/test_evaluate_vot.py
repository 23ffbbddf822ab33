"""VOT's supervised protocol (`evaluate.vot`): the polygon overlap against shapely, the EAO
against its definition and vot-toolkit 0.7, re-initialisation and accuracy against got10k."""

from pathlib import Path

import numpy as np
import pytest

from siamfc_edu.baselines import NCCTracker
from siamfc_edu.boxes import box_center
from siamfc_edu.data import read_image, read_otb
from siamfc_edu.data.layouts.vot import read_vot_regions, vot_polygon_to_box
from siamfc_edu.evaluate import vot
from siamfc_edu.evaluate.report import format_sequence_table, format_vot_table, load_supervised
from siamfc_edu.interface import Tracker
from tests.evaluation_data import generate


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """3 generated evaluation sequences of 30 frames, in OTB's and VOT's layouts."""
    return generate(tmp_path_factory.mktemp("gen"))


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
        theirs[name] = load_supervised(tmp_path / "results" / "VOT2015", name, seqs)
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
    assert np.abs(box_center(seq.sequence.boxes[0]) - box_center(otb_box)).max() < 2


def test_table2_layout(generated):
    seqs = vot.read_vot_set(generated / "VOT")[:2]
    runs = vot.evaluate_supervised(NCCTracker(), seqs, "NCC")
    with pytest.warns(UserWarning, match="undefined|single N"):
        summaries = vot.summarize_supervised(runs)
    table = format_vot_table(summaries)
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
    assert "NCC" in format_sequence_table(runs)


def test_a_ground_truth_line_with_the_wrong_count_names_the_file(tmp_path, generated):
    import shutil

    root = tmp_path / "VOT"
    shutil.copytree(generated / "VOT", root)
    gt = root / "gen0002" / "groundtruth.txt"
    lines = gt.read_text().splitlines()
    gt.write_text("\n".join([lines[0], "1,2,3,4,5,6", *lines[2:]]) + "\n")
    with pytest.raises(ValueError, match=r"gen0002/groundtruth.txt, line 2: expected 4 or 8"):
        vot.read_vot_set(root)


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


def test_a_vot_sequence_that_cannot_be_run_is_reported_and_skipped(generated):
    sequences = vot.read_vot_set(generated / "VOT")[:2]
    sequences[0].polygons[:] = np.nan
    failures = []
    runs = vot.evaluate_supervised(NCCTracker(), sequences, "NCC", failures)
    assert [r.sequence for r in runs] == [sequences[1].name]
    assert str(failures[0]) == f"{sequences[0].name} (NCC): no frame has a usable true region"
