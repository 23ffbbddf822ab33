"""The installed package carries its shipped weights, model card and hand-drawn annotations."""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [
    "siamfc_edu/assets/weights/siamfc_tiny.pth",
    "siamfc_edu/assets/weights/MODEL_CARD.md",
    "siamfc_edu/assets/annotations/carphone_face.txt",
    "siamfc_edu/assets/annotations/bikes_parked_bicycle.txt",
    "siamfc_edu/assets/annotations/bigbuckbunny_rabbit.txt",
    "siamfc_edu/assets/annotations/validation/carphone_bowtie.txt",
    "siamfc_edu/assets/annotations/hard/vtest_red_jacket_man.txt",
    "siamfc_edu/assets/annotations/hard/box_printed_box.txt",
    "siamfc_edu/assets/annotations/hard/cup_bottle.txt",
    "siamfc_edu/assets/annotations/hard/validation/vtest_hooded_woman.txt",
]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from this checkout, as `pip install .` would build it."""
    out = tmp_path_factory.mktemp("wheel")
    source = tmp_path_factory.mktemp("source")  # a copy: building writes build/ into the source
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "siamfc_edu", source / "siamfc_edu", ignore=ignore)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(out), str(source)],
        check=True, capture_output=True,
    )  # fmt: skip
    (wheel,) = out.glob("siamfc_edu-*.whl")
    return wheel


def test_wheel_holds_the_shipped_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [f for f in SHIPPED if f not in names]
    assert not missing, f"{wheel.name} lacks {missing}"
    videos = [n for n in names if n.endswith((".mp4", ".avi"))]
    assert not videos, f"OpenCV's clips stay in the clone's data/opencv/, not the wheel: {videos}"


def test_installed_wheel_tracks_with_the_shipped_weights(wheel: Path, tmp_path: Path) -> None:
    """Installed outside the checkout (no editable link), the tracker finds its weights."""
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
         str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    script = (
        "import siamfc_edu, numpy as np\n"
        "from siamfc_edu.data import read_video, read_real_set\n"
        "assert 'site' in siamfc_edu.__file__, siamfc_edu.__file__\n"
        "t = siamfc_edu.SiamFCTracker.from_weights(device='cpu')\n"
        "f = read_video('carphone_pristine', max_frames=3)\n"
        "t.init(f[0], [63, 42, 42, 54]); print(t.update(f[1]).round(1).tolist())\n"
        "print(len(read_real_set()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(target)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[1] == "3"
