"""Training with bad options, changed recipes and kills (issue 14, cases 14-18).

Options that make no sense are refused before any work; --resume refuses another recipe but
may change the schedule; a kill between an epoch's log row and its checkpoint logs the epoch
once; the nan-loss message says what is kept; no data-loader worker outlives an error.
"""

import argparse
import csv
import multiprocessing
from pathlib import Path

import pytest
import torch
from torch.utils.data import Dataset

import siamfc_edu.train.loop as loop_module
import siamfc_edu.train.recipe as recipe_module
import siamfc_edu.train.runlog as runlog
from siamfc_edu.config import get_preset
from siamfc_edu.model import read_checkpoint
from siamfc_edu.train import RunOptions, TrainingError, train
from siamfc_edu.train.command import add_train_arguments, train_main


def tiny_run(**overrides):
    return get_preset("tiny", **{"epochs": 2, "pairs_per_epoch": 8, "batch_size": 8, **overrides})


def run_options(data, out, **kw):
    return RunOptions(data=data, out=out, **{"workers": 0, "val_pairs": 4, "progress": False, **kw})


def log_rows(run: Path) -> list[dict]:
    with (run / "log.csv").open() as f:
        return list(csv.DictReader(f))


def worker_pids() -> set[int]:
    return {p.pid for p in multiprocessing.active_children()}


# ----------------------------------------------------------------- 14. options checked first


@pytest.mark.parametrize(
    ("recipe", "options", "expected"),
    [
        ({"epochs": 0}, {}, "epochs must be at least 1, got 0"),
        ({"epochs": -1}, {}, "epochs must be at least 1, got -1"),
        ({"batch_size": 0, "pairs_per_epoch": 8}, {}, "batch_size must be at least 1, got 0"),
        ({"pairs_per_epoch": 4}, {}, "pairs_per_epoch must be at least the batch size, 8"),
        ({}, {"val_pairs": 0}, "--val-pairs must be at least 1 .*got 0"),
        ({"lr_initial": 0.0}, {}, "lr_initial must be above 0, got 0.0"),
        ({"lr_final": float("nan")}, {}, "lr_final is nan, not a finite number"),
        ({"momentum": 1.0}, {}, "momentum must be from 0 to below 1, got 1.0"),
        ({"weight_decay": -1e-4}, {}, "weight_decay must be at least 0"),
        ({"max_frame_gap": 0}, {}, "max_frame_gap must be at least 1"),
        ({"r_pos": 0}, {}, "r_pos must be above 0"),
        ({}, {"workers": -1}, "--workers must be at least 0"),
        ({}, {"stop_after": 0}, "--stop-after must be at least 1"),
        ({}, {"bn_batches": -2}, "--bn-batches must be at least 0"),
    ],
)
def test_an_option_that_makes_no_sense_is_refused_before_any_work(
    tmp_path, recipe, options, expected
):
    out = tmp_path / "run"
    with pytest.raises(ValueError, match=expected):
        train(tiny_run(**recipe), run_options(tmp_path / "no data read", out, **options))
    assert not out.exists()


def test_the_cli_names_the_bad_option_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SIAMFC_EDU_QUICK", raising=False)  # its note would be a second line
    for argv, expected in [
        (["--epochs", "0"], "--epochs must be at least 1, got 0"),
        (["--val-pairs", "0"], "--val-pairs must be at least 1"),
        (["--pairs-per-epoch", "4", "--batch-size", "8"], "--pairs-per-epoch must be at least"),
    ]:
        code = train_main([*argv, "--data", str(tmp_path), "--out", str(tmp_path / "run")])
        err = capsys.readouterr().err
        assert code == 2 and expected in err and err.count("\n") == 1, err
    assert not (tmp_path / "run").exists()


def test_help_says_what_val_pairs_and_resume_accept():
    parser = argparse.ArgumentParser()
    add_train_arguments(parser)
    text = " ".join(parser.format_help().split())
    assert "at least 1; there is no run without" in text  # --val-pairs 0 is refused
    assert "only --epochs, --lr-initial and --lr-final may change" in text


# ----------------------------------------------------------------- 15. --resume, another recipe


def test_resume_refuses_another_recipe_listing_the_differences(generated_data, tmp_path):
    run = tmp_path / "run"
    train(tiny_run(), run_options(generated_data, run, stop_after=1))
    for recipe, options, expected in [
        ({}, {"seed": 1}, "seed: 0 in the checkpoint vs 1 given"),
        ({}, {"val_pairs": 3}, "val_pairs: 4 in the checkpoint vs 3 given"),
        ({"batch_size": 4}, {}, "batch_size: 8 in the checkpoint vs 4 given"),
        ({"momentum": 0.5, "r_pos": 8}, {}, "r_pos: 16 .* vs 8 given; momentum: 0.9 .* vs 0.5"),
    ]:
        opts = run_options(generated_data, run, resume=True, **options)
        with pytest.raises(TrainingError, match=f"another recipe .*{expected}"):
            train(tiny_run(**recipe), opts)
    assert [int(r["epoch"]) for r in log_rows(run)] == [0]  # nothing was lost


def test_resume_may_train_longer_and_says_how_the_schedule_changes(
    generated_data, tmp_path, capsys
):
    run = tmp_path / "run"
    train(tiny_run(epochs=1), run_options(generated_data, run))
    capsys.readouterr()
    train(tiny_run(epochs=2), run_options(generated_data, run, resume=True))
    err = capsys.readouterr().err
    assert "new schedule (epochs: 1 in the checkpoint vs 2 given)" in err
    assert "from epoch 2 the learning rate decays from 0.01 to 1e-05 over 2 epochs" in err
    assert [int(r["epoch"]) for r in log_rows(run)] == [0, 1]
    assert read_checkpoint(run / "weights.pth")["epochs"] == 2
    with pytest.raises(TrainingError, match="--epochs 1, but 2 epochs are done already"):
        train(tiny_run(epochs=1), run_options(generated_data, run, resume=True))


# ----------------------------------------------------------------- 16. kill: log row, checkpoint


class Killed(BaseException):
    """The process dies here: nothing of the run's code runs after it."""


def test_a_kill_between_the_log_row_and_the_checkpoint_logs_each_epoch_once(
    generated_data, tmp_path, monkeypatch
):
    cfg = tiny_run()
    unbroken = train(cfg, run_options(generated_data, tmp_path / "a"))
    save_checkpoint = runlog.save_checkpoint

    def killed_before_saving_epoch_1(out, model, cfg, epoch, *args):
        if epoch == 1:
            raise Killed
        return save_checkpoint(out, model, cfg, epoch, *args)

    run = tmp_path / "b"
    monkeypatch.setattr(runlog, "save_checkpoint", killed_before_saving_epoch_1)
    with pytest.raises(Killed):
        train(cfg, run_options(generated_data, run))
    assert [int(r["epoch"]) for r in log_rows(run)] == [0, 1]  # epoch 1 logged, not saved
    assert read_checkpoint(run / "checkpoint.pth")["epoch"] == 0
    monkeypatch.undo()

    resumed = train(cfg, run_options(generated_data, run, resume=True))
    timing = ("s", "pairs_per_s")  # seconds differ from run to run; nothing else may

    def results(rows):
        return [{k: v for k, v in r.items() if k not in timing} for r in rows]

    rows = log_rows(run)
    assert [int(r["epoch"]) for r in rows] == [0, 1]
    assert results(rows) == results(log_rows(tmp_path / "a"))
    a, b = read_checkpoint(unbroken)["model"], read_checkpoint(resumed)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


# ----------------------------------------------------------------- 17, 18. nan loss, workers


def test_a_nan_loss_in_the_first_epoch_says_no_checkpoint_exists_and_leaves_no_worker(
    generated_data, tmp_path, monkeypatch
):
    before = worker_pids()
    monkeypatch.setattr(recipe_module, "logistic_loss", lambda s, y: (s * float("nan")).mean())
    run = tmp_path / "run"
    with pytest.raises(TrainingError, match="loss became nan at epoch 1") as err:
        train(tiny_run(), run_options(generated_data, run, workers=2))
    assert "No checkpoint was written yet" in str(err.value)
    assert "is kept" not in str(err.value) and not (run / "checkpoint.pth").exists()
    assert worker_pids() <= before


class FailsInWorker(Dataset):
    """Validation pairs whose every read fails, inside a data-loader worker process."""

    def __init__(self, pairs: Dataset):
        self.pairs = pairs

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, i: int):
        raise ValueError("a damaged validation frame")


def test_an_error_in_a_validation_worker_leaves_no_worker_behind(
    generated_data, tmp_path, monkeypatch
):
    pair_sources = loop_module.pair_sources

    def failing_validation(*args, validation=False, **kw):
        pairs = pair_sources(*args, validation=validation, **kw)
        return FailsInWorker(pairs) if validation else pairs

    monkeypatch.setattr(loop_module, "pair_sources", failing_validation)
    before = worker_pids()
    with pytest.raises(ValueError, match="a damaged validation frame"):
        train(tiny_run(), run_options(generated_data, tmp_path / "run", workers=2))
    assert worker_pids() <= before


def test_quick_mode_says_what_it_shrinks_and_leaves_given_options(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SIAMFC_EDU_QUICK", "1")
    train_main(["--data", str(tmp_path / "none"), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert "quick mode (SIAMFC_EDU_QUICK=1) trains with --epochs 2, --pairs-per-epoch 64" in err
    train_main(["--epochs", "3", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert "trains with --pairs-per-epoch 64;" in err and "--epochs 2" not in err


def test_an_error_in_a_dataloader_worker_reaches_the_user_as_one_line():
    from torch.utils.data import DataLoader, Dataset

    from siamfc_edu.train.loop import batches_of

    class Broken(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            raise ValueError(f"pair {index}: 20 draws in a row hit unreadable frames")

    with pytest.raises(ValueError) as caught:
        with batches_of(DataLoader(Broken(), batch_size=2, num_workers=1)) as batches:
            next(batches)
    assert str(caught.value) == "pair 0: 20 draws in a row hit unreadable frames"


def test_resume_notes_come_from_rank_0_only(capsys, monkeypatch):
    from siamfc_edu.train.runlog import note

    monkeypatch.setenv("RANK", "1")
    note("resuming")
    monkeypatch.setenv("RANK", "0")
    note("resuming from rank 0")
    assert capsys.readouterr().err == "resuming from rank 0\n"
