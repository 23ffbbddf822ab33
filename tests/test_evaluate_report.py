"""Tables, plots, result files and `run_evaluation` (`evaluate.report`): one folder per protocol,
runs written whole as they end, and a killed evaluation resumed to the same scores."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from siamfc_edu.baselines import NCCTracker
from siamfc_edu.data import make_dataset, read_otb
from siamfc_edu.evaluate import otb, vot
from siamfc_edu.evaluate.metrics import summarize
from siamfc_edu.evaluate.report import (
    load_runs,
    load_supervised,
    plot_precision,
    plot_success,
    run_evaluation,
    save_plots,
    save_runs,
    save_supervised,
)
from siamfc_edu.evaluate.runs import evaluate_runs
from tests.evaluation_data import generate, two_tracker_results


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """3 generated evaluation sequences of 30 frames, in OTB's and VOT's layouts."""
    return generate(tmp_path_factory.mktemp("gen"))


def test_plots_have_one_curve_per_tracker_with_scores_in_the_legend(tmp_path):
    summaries = summarize(two_tracker_results())
    for plot, score in [(plot_success, "auc"), (plot_precision, "precision20")]:
        fig = plot(summaries)
        (ax,) = fig.axes
        curves = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
        assert len(curves) == 2
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels[0] == f"good [{getattr(summaries[0], score):.3f}]"
    paths = save_plots({"OPE": summaries}, tmp_path / "plots")
    assert [p.name for p in paths] == ["success_plot.png", "precision_plot.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)


# ----------------------------------------------------------------------------- result files


def test_results_round_trip_and_refuse_another_protocol(tmp_path, generated):
    seqs = read_otb(generated / "OTB")[:1]
    runs = evaluate_runs(NCCTracker(), seqs, otb.SRE, "NCC")
    folder = save_runs(runs, tmp_path / "sre", "sre")
    back = load_runs(folder, "sre", seqs)
    assert sorted(r.sequence for r in back) == sorted(r.sequence for r in runs)
    assert summarize(back, pooled=True)[0].auc == summarize(runs, pooled=True)[0].auc  # exact
    with pytest.raises(
        ValueError, match=r"sre/protocol.json: this folder holds sre results, not tre"
    ):
        load_runs(folder, "tre", seqs)
    with pytest.raises(ValueError, match="holds sre results, not vot"):
        load_supervised(folder, "NCC", vot.read_vot_set(generated / "VOT"))
    with pytest.raises(ValueError, match="unknown OTB protocol 'vot'"):
        load_runs(folder, "vot", seqs)
    with pytest.raises(FileNotFoundError, match="no protocol.json in .*: not a tre results folder"):
        load_runs(tmp_path, "tre", seqs)
    vseqs = vot.read_vot_set(generated / "VOT")[:1]
    vruns = vot.evaluate_supervised(NCCTracker(), vseqs, "NCC")
    vfolder = save_supervised(vruns, tmp_path / "vot")
    assert json.loads((vfolder / "protocol.json").read_text()) == {"protocol": "vot"}
    vback = load_supervised(vfolder, "NCC", vseqs)[0]
    np.testing.assert_array_equal(vback.states, vruns[0].states)
    assert vback.accuracy == pytest.approx(vruns[0].accuracy, abs=1e-4)
    (vfolder / "NCC" / "baseline" / "gen0001" / "gen0001_001.txt").write_text("1\n")
    with pytest.raises(ValueError, match=r"gen0001_001.txt: 1 lines for 30 frames"):
        load_supervised(vfolder, "NCC", vseqs)


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
    for name in ("results.txt", "success_plot.png", "eao.png", "ope/protocol.json",
                 "vot/ncc/baseline/gen0001/gen0001_001.txt"):  # fmt: skip
        assert (out / name).is_file(), name
    assert main([*argv, "--protocol", "ope,xyz"]) == 2
    err = capsys.readouterr().err
    assert "error: argument --protocol: unknown xyz; choose from ope, tre, sre, vot" in err
    assert main([*argv[:2], str(tmp_path), *argv[3:], "--protocol", "vot"]) == 2
    assert f"no VOT layout at {tmp_path}" in capsys.readouterr().err


# ----------------------------------------------------------------------------- resuming


class CountingNCC(NCCTracker):
    """NCC that counts its runs and, like a killed process, stops for good after `stop_after`."""

    def __init__(self, stop_after=None):
        super().__init__()
        self.runs, self.stop_after = 0, stop_after

    def track(self, img_files, box):
        if self.runs == self.stop_after:
            raise KeyboardInterrupt  # what Ctrl-C raises: no failure, the evaluation stops
        self.runs += 1
        return super().track(img_files, box)


PROTOCOLS, SETTINGS = "ope,sre,vot", {"data": "generated", "weights": None}
RUNS = 2 + 2 * 12 + 2  # OPE, SRE and VOT on 2 sequences


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """2 generated sequences of 20 frames, in OTB's and VOT's layouts."""
    root = tmp_path_factory.mktemp("small")
    make_dataset(root, videos=1, seed=0, eval_videos=2, val_videos=0, frames_per_video=20,
                 verbose=False, vot=True)  # fmt: skip
    return root


def evaluate(data, out, tracker, settings=SETTINGS) -> list[str]:
    """run_evaluation of one NCC tracker, named 'ncc'; what it said, line by line."""
    said = []
    with pytest.warns(UserWarning):  # VOT's EAO on short sequences
        run_evaluation({"ncc": lambda: tracker}, data, out, PROTOCOLS, settings=settings,
                       say=said.append, progress=False)  # fmt: skip
    return "\n".join(said).splitlines()


def run_files(out) -> dict:
    """Every run's boxes (not times) in an evaluation folder, by path: what it is scored on."""
    found = sorted(
        p for p in out.rglob("*.txt") if p.parent != out and not p.name.endswith("_time.txt")
    )
    return {p.relative_to(out): p.read_text() for p in found}


def scores(out) -> list[list[str]]:
    """results.csv without the fps column (time, not a score)."""
    rows = (out / "results.csv").read_text().splitlines()
    return [row.split(",")[:-2] + row.split(",")[-1:] for row in rows]


def vot_scores(data, out) -> list:
    """Accuracy, failures and the EAO estimate, read back from the VOT result files."""
    runs = load_supervised(out / "vot", "ncc", vot.read_vot_set(data / "VOT"))
    with pytest.warns(UserWarning):
        (s,) = vot.summarize_supervised(runs)
    return [s.accuracy, s.failures, s.eao_estimate]


@pytest.fixture(scope="module")
def unbroken(small, tmp_path_factory):
    """The evaluation run once, uninterrupted: what a resumed one must equal."""
    out = tmp_path_factory.mktemp("unbroken")
    said = evaluate(small, out, CountingNCC())
    assert not any("kept" in line for line in said)  # a fresh folder: nothing to keep
    return out


def test_a_stopped_evaluation_keeps_its_finished_runs_and_ends_alike(small, tmp_path, unbroken):
    out = tmp_path / "eval"
    with pytest.raises(KeyboardInterrupt):
        evaluate(small, out, CountingNCC(stop_after=10))  # OPE's 2 runs, then 8 of SRE's
    assert not (out / "results.csv").exists()
    again = CountingNCC()
    said = evaluate(small, out, again)
    assert f"kept 10 finished runs of {RUNS} from {out}/" in said
    assert again.runs == 2 + 24 - 10  # only the others were tracked
    assert run_files(out) == run_files(unbroken)
    assert scores(out) == scores(unbroken)
    assert vot_scores(small, out) == vot_scores(small, unbroken)
    said = evaluate(small, out, CountingNCC(stop_after=0))  # all kept: nothing is tracked
    assert f"kept {RUNS} finished runs of {RUNS} from {out}/" in said


def test_a_half_written_or_corrupt_result_file_is_tracked_again(small, tmp_path, unbroken):
    out = tmp_path / "eval"
    with pytest.raises(KeyboardInterrupt):
        evaluate(small, out, CountingNCC(stop_after=10))
    sre = sorted((out / "sre" / "ncc").glob("*.txt"))
    lines = sre[0].read_text().splitlines()
    sre[0].write_text("\n".join(lines[:10]) + "\n1.5,2")  # cut in the middle of a line
    sre[1].with_suffix(".time").unlink()  # killed between its two files
    (out / "sre" / "ncc" / f".{sre[2].name}.tmp").write_text("1,2")  # a write never renamed
    said = evaluate(small, out, CountingNCC())
    assert f"kept 8 finished runs of {RUNS} from {out}/" in said
    assert run_files(out) == run_files(unbroken) and scores(out) == scores(unbroken)


def test_runs_made_with_other_settings_are_not_kept(small, tmp_path):
    out = tmp_path / "eval"
    with pytest.raises(KeyboardInterrupt):
        evaluate(small, out, CountingNCC(stop_after=5))
    again = CountingNCC()
    said = evaluate(small, out, again, {**SETTINGS, "weights": "other.pth"})
    assert f"{out}/ holds runs made with other settings: every run is tracked again" in said
    assert not any("kept" in line for line in said) and again.runs == 26
    assert json.loads((out / "evaluation.json").read_text())["settings"]["weights"] == "other.pth"


KILLED = """
import sys, time
from siamfc_edu.baselines import NCCTracker
from siamfc_edu.evaluate.report import run_evaluation


class SlowNCC(NCCTracker):
    def update(self, image):
        time.sleep(0.01)
        return super().update(image)


run_evaluation({"ncc": SlowNCC}, sys.argv[1], sys.argv[2], "ope,sre,vot",
               settings={"data": "generated", "weights": None}, progress=False)
"""


@pytest.mark.slow  # a process started and killed: about 15 s
def test_an_evaluation_killed_in_a_subprocess_resumes_where_it_was(small, tmp_path, unbroken):
    out = tmp_path / "eval"
    script = tmp_path / "evaluate.py"
    script.write_text(KILLED)
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    process = subprocess.Popen([sys.executable, str(script), str(small), str(out)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 120
    while len(list(out.glob("sre/ncc/*.txt"))) < 3 and process.poll() is None:
        assert time.monotonic() < deadline, "no run finished in 2 minutes"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)  # no chance to clean up: as a killed job
    process.wait()
    assert process.returncode == -signal.SIGKILL, process.stderr.read().decode()
    finished = len(list(out.glob("*/ncc/*.txt")))
    assert 5 <= finished < 26  # all of OPE, some of SRE
    said = evaluate(small, out, CountingNCC())
    assert f"kept {finished} finished runs of {RUNS} from {out}/" in said
    assert run_files(out) == run_files(unbroken) and scores(out) == scores(unbroken)


def test_every_hand_boxed_set_is_reachable_by_its_name():
    """`--data real|hard[-held-out|-validation]`: each name reads its own, non-empty set."""
    from siamfc_edu.data import read_real_set
    from siamfc_edu.evaluate.report import REAL_SETS, _real_sets, read_sequences

    assert set(REAL_SETS) == set(_real_sets())
    hard = read_sequences("hard-validation")
    assert [s.name for s in hard] == ["vtest_hooded_woman"]
    assert [s.name for s in read_sequences("real")] == [s.name for s in read_real_set()]
    held_out = read_sequences("hard-held-out")
    assert held_out and all(len(s.frames) < 460 for s in held_out)
