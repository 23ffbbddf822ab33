"""A full disk, named: a checkpoint or a result that cannot be written says which file and why,
and the previous checkpoint stays whole (a tmpfs of 4 MiB, filled up; root only)."""

from pathlib import Path

import numpy as np
import pytest
import torch

from siamfc_edu import evaluate
from siamfc_edu.config import get_preset
from siamfc_edu.evaluate import report
from siamfc_edu.model import build_model, read_checkpoint, save_weights
from siamfc_edu.train.runlog import CHECKPOINT, save_checkpoint


def test_saving_weights_on_a_full_disk_names_the_file_and_keeps_the_old_one(small_disk):
    disk, fill = small_disk
    cfg = get_preset("tiny")
    path = save_weights(build_model(cfg), cfg, disk / "weights.pth")
    before = read_checkpoint(path)["model"]
    fill()
    with pytest.raises(OSError, match=r"cannot write .*weights\.pth: no space left on device"):
        save_weights(build_model(cfg), cfg, path)
    after = read_checkpoint(path)["model"]
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not (disk / "weights.pth.tmp").exists()


def test_a_training_checkpoint_on_a_full_disk_keeps_the_last_one(small_disk):
    disk, fill = small_disk
    cfg = get_preset("tiny")
    model = build_model(cfg)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    save_checkpoint(disk, model, cfg, 0, optimizer, scaler, {"seed": 0})
    fill()
    with pytest.raises(OSError, match=r"no space left on device"):
        save_checkpoint(disk, model, cfg, 1, optimizer, scaler, {"seed": 0})
    assert read_checkpoint(disk / CHECKPOINT)["epoch"] == 0


def result(name: str) -> evaluate.SequenceResult:
    boxes = np.tile([10.0, 10.0, 20.0, 20.0], (400, 1))
    return evaluate.SequenceResult("SiamFC", name, boxes, boxes, np.full(400, 0.01), [])


def test_evaluation_results_on_a_full_disk_name_the_file(small_disk):
    disk, fill = small_disk
    fill()
    with pytest.raises(
        OSError, match=r"cannot write .*(protocol\.json|\.txt|\.time): no space left"
    ):
        report.save_runs([result(f"seq{i}") for i in range(3)], disk / "ope", "ope")
    summaries = evaluate.summarize([result("seq0")])
    with pytest.raises(OSError, match=r"cannot write .*results\.(txt|csv): no space left"):
        report.save_results({"OPE": summaries}, "x" * 100_000, disk / "out")


def test_a_write_error_without_a_file_name_gets_one(tmp_path: Path):
    from siamfc_edu.files import writing

    with pytest.raises(OSError, match=r"cannot write .*report\.md: Permission denied"):
        with writing(tmp_path / "report.md"):
            raise PermissionError(13, "Permission denied")
