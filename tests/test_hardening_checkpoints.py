"""Checkpoints from anywhere (issue 14, cases 1-6): a bad file is one clear error, good ones load.

A learner loads weights found on the internet: a file that would run code, a malformed one,
broken weights, a bare state_dict of another preset, an export without batch-norm counters.
Training keeps its last two checkpoints and falls back to the older one when the newest is damaged.
"""

import builtins
import dataclasses
import os
from pathlib import Path

import pytest
import torch

from siamfc_edu.cli import make_tracker
from siamfc_edu.config import get_preset
from siamfc_edu.model import CHECKPOINT_FORMAT, build_model, load_weights, read_checkpoint
from siamfc_edu.tracker import SiamFCTracker
from siamfc_edu.train import RunOptions, train


def tiny_state() -> dict:
    torch.manual_seed(0)
    return {k: v.detach().clone() for k, v in build_model(get_preset("tiny")).state_dict().items()}


def write_checkpoint(path: Path, config: object = None, model: object = None) -> Path:
    """A siamfc-edu checkpoint as torch.save writes it, with whatever config and weights."""
    if config is None:
        config = dataclasses.asdict(get_preset("tiny"))
    model = tiny_state() if model is None else model
    torch.save({"format": CHECKPOINT_FORMAT, "config": config, "model": model}, path)
    return path


# ----------------------------------------------------------------- 1. files that would run code


class CallsOsSystem:
    def __reduce__(self):
        return (os.system, ("echo this would have run",))


class CallsExec:
    def __reduce__(self):
        return (builtins.exec, ("print('this would have run')",))


class CallsEval:
    def __reduce__(self):
        return (builtins.eval, ("print('this would have run')",))


class CallsPrint:
    def __reduce__(self):
        return (print, ("this would have run",))


@pytest.mark.parametrize(
    ("payload", "name"),
    [
        (CallsOsSystem(), r"(posix|nt)\.system"),  # torch: "... whose module posix is blocked"
        (CallsExec(), "exec"),  # torch: "Unsupported global: GLOBAL exec ..."
        (CallsEval(), "eval"),
        (CallsPrint(), "print"),
    ],
)
def test_a_file_that_would_run_code_is_refused_as_such(tmp_path, payload, name):
    path = tmp_path / "evil.pth"
    torch.save({"model": payload}, path)
    expected = rf"refused to load .*evil\.pth: it calls {name}, i\.e\. it would run code"
    with pytest.raises(ValueError, match=expected) as err:
        load_weights(path)
    assert "\n" not in str(err.value)


def test_a_damaged_file_is_not_said_to_run_code(tmp_path):
    path = tmp_path / "noise.pth"
    path.write_bytes(b"not a checkpoint at all, nor a pickle")
    with pytest.raises(ValueError, match=r"cannot read .*noise\.pth: it is corrupt") as err:
        read_checkpoint(path)
    assert "run code" not in str(err.value)


def test_the_cli_reports_a_file_that_would_run_code_in_one_line(tmp_path, carphone_video, capsys):
    from siamfc_edu.cli import main

    path = tmp_path / "evil.pth"
    torch.save({"model": CallsOsSystem()}, path)
    argv = ["track", str(carphone_video), "--box", "63", "42", "42", "54", "--weights", str(path)]
    assert main(argv + ["--boxes", str(tmp_path / "b.txt")]) == 2
    err = capsys.readouterr().err
    assert "would run code" in err and "Traceback" not in err
    assert not (tmp_path / "b.txt").exists()


# ----------------------------------------------------------------- 2. malformed checkpoints


def config_with(**changes) -> dict:
    return {**dataclasses.asdict(get_preset("tiny")), **changes}


def config_without(name: str) -> dict:
    config = config_with()
    del config[name]
    return config


@pytest.mark.parametrize(
    ("config", "model", "expected"),
    [
        (config_with(colour="red"), None, r"unknown field\(s\) \['colour'\]"),
        (config_without("channels"), None, r"lacks the field\(s\) \['channels'\]"),
        ("tiny", None, "its config is a str, not a dict"),
        (config_with(scale_num=0), None, "scale_num must be odd and at least 1.*got 0"),
        (config_with(channels=[16, 48, 64, 64]), None, "channels must be five even numbers"),
        (config_with(channels="16,48"), None, "channels is '16,48', not a list of ints"),
        (config_with(epochs=2.5), None, "epochs is 2.5, not a whole number"),
        (config_with(scale_step=float("nan")), None, "scale_step is nan, not a finite number"),
        (None, {k: 3 for k in tiny_state()}, r"'backbone\.conv1\.0\.weight' is '3', not a tensor"),
        (None, [1, 2, 3], "its 'model' is a list, not a state_dict"),
    ],
)
def test_a_malformed_checkpoint_is_one_line_naming_file_and_problem(
    tmp_path, config, model, expected
):
    path = write_checkpoint(tmp_path / "odd.pth", config, model)
    with pytest.raises(ValueError, match=rf"odd\.pth.*{expected}") as err:
        load_weights(path)
    assert "\n" not in str(err.value)


def test_final_weights_given_to_resume_say_they_are_not_a_training_checkpoint(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    cfg = get_preset("tiny", epochs=2, pairs_per_epoch=8, batch_size=8)
    weights = write_checkpoint(tmp_path / "weights.pth")  # what a finished run writes
    weights.rename(run / "checkpoint.pth")
    opts = RunOptions(data=tmp_path / "no data needed", out=run, workers=0, resume=True)
    with pytest.raises(ValueError, match=r"checkpoint\.pth is not a training checkpoint.*'optim"):
        train(cfg, opts)


# ----------------------------------------------------------------- 3. weights holding NaN or inf


def test_weights_holding_nan_or_inf_are_refused_naming_them(tmp_path):
    state = tiny_state()
    state["backbone.conv1.0.weight"][0, 0, 0, 0] = float("nan")
    state["backbone.conv3.0.bias"][5] = float("inf")
    path = write_checkpoint(tmp_path / "broken.pth", model=state)
    expected = r"broken\.pth: backbone\.conv1\.0\.weight, backbone\.conv3\.0\.bias hold NaN or inf"
    with pytest.raises(ValueError, match=expected):
        load_weights(path)
    with pytest.raises(ValueError, match=expected):
        SiamFCTracker.from_weights(path, device="cpu")


# ----------------------------------------------------------------- 4. bare state_dicts and presets


def test_a_bare_state_dict_of_the_tiny_preset_loads_with_that_preset(tmp_path):
    state = tiny_state()
    path = tmp_path / "bare_tiny.pth"
    torch.save(state, path)  # no format, no preset: how others share weights
    model, cfg = load_weights(path, preset="tiny")
    assert cfg.name == "tiny"
    torch.testing.assert_close(model.state_dict(), state)
    assert SiamFCTracker.from_weights(path, preset="tiny", device="cpu").cfg.name == "tiny"
    assert make_tracker(str(path), "tiny", "cpu").cfg.name == "tiny"  # track --preset tiny


def test_a_bare_state_dict_of_another_preset_names_parameter_shapes_and_the_fitting_preset(
    tmp_path,
):
    path = tmp_path / "bare_tiny.pth"
    torch.save(tiny_state(), path)
    expected = (
        r"bare_tiny\.pth \(a bare state_dict, read as preset 'SiamFC-3s'\): "
        r"'backbone\.conv1\.0\.weight' has shape \(16, 3, 11, 11\), "
        r"the model expects \(96, 3, 11, 11\); its shapes fit preset 'tiny'"
    )
    with pytest.raises(ValueError, match=expected):
        load_weights(path, preset="paper")
    with pytest.raises(ValueError, match="read as preset 'SiamFC-3s'"):
        load_weights(path)  # no preset given: a bare state_dict is read as the paper's


def test_a_checkpoint_with_its_own_preset_wins_over_the_preset_given(tmp_path):
    path = write_checkpoint(tmp_path / "tiny.pth")
    _, cfg = load_weights(path, preset="paper")
    assert cfg.name == "tiny"
    assert SiamFCTracker.from_weights(path, preset="SiamFC", device="cpu").cfg.name == "tiny"


# ----------------------------------------------------------------- 5. no num_batches_tracked


def test_a_checkpoint_without_batch_norm_counters_loads_and_computes_the_same(tmp_path):
    state = tiny_state()
    exported = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    assert len(exported) < len(state)
    full = load_weights(write_checkpoint(tmp_path / "full.pth", model=state))[0]
    lean = load_weights(write_checkpoint(tmp_path / "lean.pth", model=exported))[0]
    z, x = torch.rand(1, 3, 127, 127) * 255, torch.rand(1, 3, 255, 255) * 255
    with torch.no_grad():
        torch.testing.assert_close(lean(z, x), full(z, x), rtol=0, atol=0)


# ----------------------------------------------------------------- 6. two checkpoints, atomically


def tiny_run(**overrides):
    return get_preset("tiny", **{"epochs": 2, "pairs_per_epoch": 8, "batch_size": 8, **overrides})


def run_options(data, out, **kw):
    return RunOptions(data=data, out=out, workers=0, val_pairs=4, progress=False, **kw)


def test_training_keeps_two_checkpoints_and_falls_back_to_the_older_when_the_newest_is_damaged(
    generated_data, tmp_path, capsys
):
    unbroken = train(tiny_run(), run_options(generated_data, tmp_path / "a"))
    run = tmp_path / "b"
    train(tiny_run(), run_options(generated_data, run))
    assert read_checkpoint(run / "checkpoint.pth")["epoch"] == 1
    assert read_checkpoint(run / "checkpoint_previous.pth")["epoch"] == 0
    names = ["checkpoint.pth", "checkpoint_previous.pth", "weights.pth"]
    assert sorted(p.name for p in run.glob("*.pth*")) == names  # no temporary file left

    newest = run / "checkpoint.pth"
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])  # truncated
    capsys.readouterr()
    resumed = train(tiny_run(), run_options(generated_data, run, resume=True))
    err = capsys.readouterr().err
    assert "checkpoint.pth: it is truncated" in err
    assert "resuming from" in err and "checkpoint_previous.pth (the damaged one is set aside" in err
    assert (run / "checkpoint_damaged.pth").is_file()  # kept, not deleted, and not "previous"
    assert read_checkpoint(run / "checkpoint_previous.pth")["epoch"] == 0
    a, b = read_checkpoint(unbroken)["model"], read_checkpoint(resumed)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)  # epoch 2 redone: the same weights

    (run / "checkpoint.pth").unlink()  # as if killed between the two renames of a save
    capsys.readouterr()
    train(tiny_run(), run_options(generated_data, run, resume=True))
    assert "no weights file at" in capsys.readouterr().err
    assert read_checkpoint(run / "checkpoint.pth")["epoch"] == 1
