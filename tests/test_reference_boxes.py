"""The shipped weights still give the boxes recorded before the library was refactored."""

from pathlib import Path

import numpy as np
import pytest

REFERENCE = Path(__file__).resolve().parent / "reference"


@pytest.fixture(scope="module")
def recorded() -> dict[str, np.ndarray]:
    with np.load(REFERENCE / "shipped_boxes.npz") as data:
        return {k: data[k] for k in data}


def test_carphone_boxes_are_unchanged(recorded):
    import record_boxes

    from siamfc_edu.data import read_video

    boxes = record_boxes.track(list(read_video("carphone_pristine")), record_boxes.CARPHONE_BOX)
    np.testing.assert_allclose(boxes, recorded["carphone"], atol=1e-6, rtol=0)


def test_generated_sequence_boxes_are_unchanged(recorded):
    import record_boxes

    frames, box = record_boxes.generated_sequence()
    np.testing.assert_allclose(record_boxes.track(frames, box), recorded["generated"], atol=1e-6)


@pytest.fixture(autouse=True)
def _importable(monkeypatch):
    monkeypatch.syspath_prepend(str(REFERENCE))
