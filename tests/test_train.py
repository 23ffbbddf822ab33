"""Training: the recipe, a run end to end, resume, bad input, and two processes with gloo."""

import csv
import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import siamfc_edu.data.sources as sources
import siamfc_edu.model as model_module
import siamfc_edu.train.recipe as recipe_module
from siamfc_edu.config import get_preset
from siamfc_edu.model import CHECKPOINT_FORMAT, build_model, load_weights, read_checkpoint
from siamfc_edu.train import (
    RunOptions,
    TrainingError,
    learning_rate,
    reestimate_batch_norm,
    train,
)
from siamfc_edu.train.command import train_main


def tiny(**overrides):
    return get_preset("tiny", **{"epochs": 2, "pairs_per_epoch": 32, "batch_size": 8, **overrides})


def options(data, out, **kw):
    return RunOptions(data=data, out=out, workers=0, val_pairs=16, progress=False, **kw)


def log_rows(run: Path) -> list[dict]:
    with (run / "log.csv").open() as f:
        return list(csv.DictReader(f))


def test_learning_rate_decays_geometrically_from_1e_2_to_1e_5():
    cfg = get_preset("SiamFC-3s")
    rates = [learning_rate(e, cfg) for e in range(cfg.epochs)]
    assert rates[0] == pytest.approx(1e-2) and rates[-1] == pytest.approx(1e-5)
    ratios = [b / a for a, b in zip(rates, rates[1:], strict=False)]
    assert max(ratios) == pytest.approx(min(ratios))


def test_a_run_writes_log_curve_checkpoint_and_weights(generated_data, tmp_path):
    final = train(tiny(), options(generated_data, tmp_path / "run"))
    rows = log_rows(tmp_path / "run")
    assert [int(r["epoch"]) for r in rows] == [0, 1]
    assert all(float(r["train_loss"]) > 0 and float(r["val_center_error_px"]) >= 0 for r in rows)
    assert (tmp_path / "run" / "loss.png").stat().st_size > 1000
    assert read_checkpoint(tmp_path / "run" / "checkpoint.pth")["epoch"] == 1
    model, cfg = load_weights(final)
    assert cfg.name == "tiny" and cfg.pairs_per_epoch == 32


def test_training_lowers_the_loss(generated_data, tmp_path):
    cfg = tiny(epochs=4, pairs_per_epoch=64, lr_final=1e-3)
    train(cfg, options(generated_data, tmp_path / "run"))
    rows = log_rows(tmp_path / "run")
    assert float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])


def test_resume_gives_the_same_result_as_an_unbroken_run(generated_data, tmp_path):
    cfg = tiny(epochs=3)
    unbroken = train(cfg, options(generated_data, tmp_path / "a"))
    train(cfg, options(generated_data, tmp_path / "b", stop_after=1))  # "killed" after epoch 1
    assert not (tmp_path / "b" / "weights.pth").exists()
    resumed = train(cfg, options(generated_data, tmp_path / "b", resume=True))
    a, b = read_checkpoint(unbroken)["model"], read_checkpoint(resumed)["model"]
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6)
    assert [r["train_loss"] for r in log_rows(tmp_path / "a")] == [
        r["train_loss"] for r in log_rows(tmp_path / "b")
    ]


def test_checkpoint_of_another_preset_is_refused(generated_data, tmp_path):
    train(tiny(epochs=1), options(generated_data, tmp_path / "run"))
    paper = get_preset("SiamFC-3s", epochs=1, pairs_per_epoch=8)
    with pytest.raises(TrainingError, match="preset 'tiny'.*'SiamFC-3s'"):
        train(paper, options(generated_data, tmp_path / "run", resume=True))


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(
    generated_data, tmp_path, monkeypatch
):
    run = tmp_path / "run"
    train(tiny(), options(generated_data, run, stop_after=1))
    good = read_checkpoint(run / "checkpoint.pth")
    monkeypatch.setattr(recipe_module, "logistic_loss", lambda s, y: (s * float("nan")).mean())
    with pytest.raises(TrainingError, match="loss became nan.*last good checkpoint"):
        train(tiny(), options(generated_data, run, resume=True))
    kept = read_checkpoint(run / "checkpoint.pth")
    assert kept["epoch"] == good["epoch"] == 0
    torch.testing.assert_close(kept["model"], good["model"])


def test_a_full_disk_while_saving_keeps_the_previous_checkpoint(
    generated_data, tmp_path, monkeypatch
):
    run = tmp_path / "run"
    train(tiny(), options(generated_data, run, stop_after=1))
    real_save = torch.save

    def disk_full(obj, path):
        Path(path).write_bytes(b"half a checkp")  # a partial write, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(model_module.torch, "save", disk_full)
    with pytest.raises(OSError, match=r"cannot write .*checkpoint.*: no space left on device"):
        train(tiny(), options(generated_data, run, resume=True))
    monkeypatch.setattr(model_module.torch, "save", real_save)
    assert read_checkpoint(run / "checkpoint.pth")["epoch"] == 0
    assert not list(run.glob("*.tmp"))


def test_wrong_layout_and_empty_split_are_clear_errors(tmp_path, capsys):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"")
    code = train_main(["--data", str(tmp_path / "photos"), "--out", str(tmp_path / "r")])
    assert code == 2
    assert "error" in capsys.readouterr().err
    code = train_main(["--data", str(tmp_path / "missing"), "--out", str(tmp_path / "r")])
    assert code == 2
    assert "missing" in capsys.readouterr().err


def test_an_empty_split_is_a_clear_error(tmp_path, capsys):
    root = tmp_path / "ILSVRC2015"
    for part in ("Data", "Annotations"):
        (root / part / "VID" / "train").mkdir(parents=True)
        (root / part / "VID" / "val").mkdir(parents=True)
    assert train_main(["--data", str(tmp_path), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "no VID snippet" in err and "Traceback" not in err


@pytest.mark.slow  # end to end; quick mode skips it, `pytest -m slow` runs it
def test_two_processes_with_gloo_match_one_process(generated_data, tmp_path):
    """torchrun, 2 CPU processes: DDP with a distributed sampler, one process writes."""
    args = [
        "--preset",
        "tiny",
        "--data",
        str(generated_data),
        "--epochs",
        "2",
        "--pairs-per-epoch",
        "32",
        "--batch-size",
        "8",
        "--workers",
        "0",
        "--val-pairs",
        "16",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    single = subprocess.run(
        [sys.executable, "-m", "siamfc_edu.train", *args, "--out", str(tmp_path / "one")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert single.returncode == 0, single.stderr[-2000:]
    double = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node",
            "2",
            "--master_port",
            "29533",
            "-m",
            "siamfc_edu.train",
            *args,
            "--out",
            str(tmp_path / "two"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert double.returncode == 0, double.stderr[-2000:]
    one, two = log_rows(tmp_path / "one"), log_rows(tmp_path / "two")
    assert len(two) == 2  # one process wrote the log, once per epoch
    for a, b in zip(one, two, strict=True):
        assert float(b["train_loss"]) == pytest.approx(float(a["train_loss"]), rel=0.05)
    assert (tmp_path / "two" / "weights.pth").is_file()


def test_batch_norm_reestimation_averages_fresh_batches():
    """Running means become the plain average of the batch means the final weights produce."""
    torch.manual_seed(0)
    cfg = get_preset("tiny")
    model = build_model(cfg).eval()
    batches = [
        (torch.rand(2, 3, 127, 127) * 255, torch.rand(2, 3, 255, 255) * 255, None) for _ in range(3)
    ]
    conv1 = model.backbone.conv1[0]
    with torch.no_grad():
        means = [conv1(t).mean(dim=(0, 2, 3)) for z, x, _ in batches[:2] for t in (z, x)]
    reestimate_batch_norm(model, batches, batches=2, device=torch.device("cpu"))
    bn = model.backbone.conv1[1]
    torch.testing.assert_close(bn.running_mean, torch.stack(means).mean(0), rtol=1e-4, atol=1e-3)
    assert bn.momentum == 0.05 and not model.training


@pytest.mark.slow  # end to end; quick mode skips it, `pytest -m slow` runs it
def test_training_can_end_with_batch_norm_reestimation(generated_data, tmp_path):
    plain = train(tiny(epochs=1), options(generated_data, tmp_path / "a"))
    fresh = train(tiny(epochs=1), options(generated_data, tmp_path / "b", bn_batches=2))
    a, b = read_checkpoint(plain), read_checkpoint(fresh)
    assert b["bn_batches"] == 2
    torch.testing.assert_close(
        a["model"]["backbone.conv1.0.weight"], b["model"]["backbone.conv1.0.weight"]
    )
    assert not torch.allclose(
        a["model"]["backbone.conv1.1.running_mean"], b["model"]["backbone.conv1.1.running_mean"]
    )


def test_data_specs_name_sources_and_weights(tmp_path):
    assert sources.parse_data("data/g:0.5,footage:0.5") == [("data/g", 0.5), ("footage", 0.5)]
    assert sources.parse_data(tmp_path) == [(str(tmp_path), 1.0)]
    assert sources.parse_data("footage") == [("footage", 1.0)]
    with pytest.raises(ValueError, match="empty"):
        sources.parse_data("footage:0.5,:0.5")
    assert sources.is_footage("footage") and not sources.is_footage(str(tmp_path))


def test_footage_only_training_runs_and_validates_on_held_out_frames(tmp_path):
    cfg = tiny(epochs=1)
    train(cfg, options("footage", tmp_path / "run"))
    val_set = sources.pair_sources("footage", cfg, 8, 0, validation=True)
    assert all(c.first > 0 for c in val_set.clips)  # the last quarter of each clip
    assert len(log_rows(tmp_path / "run")) == 1
    load_weights(tmp_path / "run" / "weights.pth")


@pytest.mark.slow  # end to end; quick mode skips it, `pytest -m slow` runs it
def test_mixed_training_then_multistart_evaluation_end_to_end(generated_data, tmp_path, capsys):
    """The shipped pipeline, quick: mix generated and footage pairs, score on the real clips."""
    from siamfc_edu.cli import main

    run = tmp_path / "run"
    argv = ["train", "--data", f"{generated_data}:0.5,footage:0.5", "--out", str(run)]
    argv += ["--epochs", "1", "--pairs-per-epoch", "32", "--workers", "0", "--val-pairs", "16"]
    assert main(argv + ["--bn-batches", "2"]) == 0
    weights = run / "weights.pth"
    assert read_checkpoint(weights)["bn_batches"] == 2
    capsys.readouterr()
    argv = ["evaluate", "--data", "real-held-out", "--starts", "2", "--weights", str(weights)]
    assert main(argv + ["--trackers", "siamfc", "--out", str(tmp_path / "eval")]) == 0
    printed = capsys.readouterr().out
    assert "2 starts" in printed and "siamfc" in printed  # the run is named, multi-start


def test_a_checkpoint_of_another_format_is_refused_and_bare_state_dicts_load(tmp_path):
    model = build_model(tiny())
    state = {k: v.detach() for k, v in model.state_dict().items()}
    torch.save({"format": "siamfc-edu/0", "model": state}, tmp_path / "old.pth")
    with pytest.raises(ValueError, match=f"old.pth.*'siamfc-edu/0'.*'{CHECKPOINT_FORMAT}'"):
        read_checkpoint(tmp_path / "old.pth")
    with pytest.raises(ValueError, match="siamfc-edu/0"):
        load_weights(tmp_path / "old.pth", tiny())
    torch.save(state, tmp_path / "bare.pth")  # siamfc-pytorch's way: no format, no preset
    loaded, _ = load_weights(tmp_path / "bare.pth", tiny())
    torch.testing.assert_close(loaded.state_dict(), model.state_dict())
