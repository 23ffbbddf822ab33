"""`siamfc-edu-vot`: SiamFC as a TraX server for the official VOT toolkit, tested offline.

Driven by vot-trax's own client (as the toolkit drives a tracker), and by `vot evaluate` itself
in a workspace written by hand (no download) on generated VOT-layout sequences with rotated
polygons: the toolkit's runs equal our supervised protocol's, its analysis agrees with ours.
"""

import importlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from siamfc_edu import trax as entry
from siamfc_edu.data import make_dataset, read_image
from siamfc_edu.data.layouts.vot import vot_polygon_to_box
from siamfc_edu.evaluate import vot
from siamfc_edu.evaluate.report import load_supervised
from siamfc_edu.tracker import SiamFCTracker

SERVER = f"{sys.executable} -m siamfc_edu.trax --device cpu --precision fp32"  # as the reference
INSTALL = 'pip install "siamfc-edu[vot]"'


def imports(module: str) -> bool:
    """Whether a module imports (vot-toolkit's does not with attributee 0.1.10)."""
    try:
        importlib.import_module(module)
    except Exception:
        return False
    return True


needs_trax = pytest.mark.skipif(not imports("trax"), reason=f"no vot-trax ({INSTALL})")


@pytest.fixture(scope="module")
def vot_toolkit() -> None:
    """Skip, saying why, where vot-toolkit is missing or is a version that cannot run the test."""
    if not imports("vot.workspace"):
        pytest.skip(f"vot-toolkit is not installed or does not import ({INSTALL})")
    version = importlib.import_module("vot").__version__
    if not version.startswith("0.7."):
        pytest.skip(f"vot-toolkit {version} cannot run the supervised experiment on a "
                    f"single-object TraX tracker: 0.7.4 can ({INSTALL})")  # fmt: skip


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """2 generated VOT-layout sequences of 30 frames (seed 1: tiny weights fail once in each)."""
    root = tmp_path_factory.mktemp("gen")
    make_dataset(root, videos=1, seed=1, eval_videos=2, val_videos=0, frames_per_video=30,
                 verbose=False, vot=True)  # fmt: skip
    return vot.read_vot_set(root / "VOT"), root / "VOT"


@pytest.fixture(scope="module")
def ours(generated):
    """Our supervised protocol, in process, with the shipped tiny weights."""
    tracker = SiamFCTracker.from_weights(preset="tiny", device="cpu")
    return vot.evaluate_supervised(tracker, generated[0], "SiamFC")


def test_without_vot_trax_the_command_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "trax", None)  # `import trax` now fails
    assert entry.main([]) == 2
    assert capsys.readouterr().err.strip() == (
        f"siamfc-edu-vot: error: the VOT toolkit integration needs vot-trax: {INSTALL}"
    )


@needs_trax
@pytest.mark.parametrize("stdin", ["", "garbage\n"], ids=["stdin closed", "garbage"])
def test_without_a_trax_client_it_says_it_is_started_by_the_toolkit(stdin):
    done = subprocess.run([sys.executable, "-m", "siamfc_edu.trax", "--device", "cpu"],
                          input=stdin, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert "no TraX client answered" in line and "trackers.ini" in line
    assert "vot evaluate" in line and "Traceback" not in done.stderr


@needs_trax
def test_a_missing_weights_file_is_one_line(tmp_path, capsys):
    assert entry.main(["--weights", str(tmp_path / "none.pth")]) == 1
    assert capsys.readouterr().err.strip() == (
        f"siamfc-edu-vot: error: no weights file at {tmp_path / 'none.pth'}"
    )


def start_server():
    """The entry point in its own process, connected to vot-trax's client over stdin/stdout."""
    from trax.client import Client

    process = subprocess.Popen(SERVER.split(), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    client = Client(stream=(process.stdin.fileno(), process.stdout.fileno()), log=lambda _: None)
    return process, client


def as_trax_polygon(polygon: np.ndarray):
    """An 8-value polygon as the TraX region the toolkit sends."""
    from trax import Polygon

    return Polygon.create([(float(x), float(y)) for x, y in polygon.reshape(4, 2)])


@needs_trax
def test_the_first_region_becomes_our_readers_box():
    from trax import Mask, Rectangle

    polygon = np.array([114.03, 81.63, 156.26, 84.07, 153.53, 131.21, 111.31, 128.77])
    box = entry.region_to_box(as_trax_polygon(polygon))
    np.testing.assert_allclose(box, vot_polygon_to_box(polygon), atol=1e-4)  # float32 corners
    np.testing.assert_allclose(
        entry.region_to_box(Rectangle.create(10, 20, 30, 40)), [10, 20, 30, 40]
    )
    with pytest.raises(ValueError, match="sent a mask region; SiamFC needs a polygon or box"):
        entry.region_to_box(Mask.create(np.ones((5, 5), np.uint8)))


@needs_trax
def test_the_server_tracks_as_siamfc_does(generated):
    from trax import FileImage

    vs = generated[0][0]
    frames, first = vs.sequence.frames[:8], vs.polygons[0]
    process, client = start_server()
    assert client.tracker_name == "SiamFC"
    reply, _ = client.initialize({"color": FileImage.create(frames[0])},
                                 [(as_trax_polygon(first), {})], {})  # fmt: skip
    served = [reply[0][0].bounds()]
    for frame in frames[1:]:
        reply, _ = client.frame({"color": FileImage.create(frame)}, {}, [])
        served.append(reply[0][0].bounds())
    client.quit()
    assert process.wait(timeout=30) == 0

    tracker = SiamFCTracker.from_weights(preset="tiny", device="cpu")
    box = vot_polygon_to_box(first.astype(np.float32))  # TraX carries 32-bit floats
    expected = [box]
    tracker.init(read_image(frames[0]), box)
    expected += [tracker.update(read_image(f)) for f in frames[1:]]
    np.testing.assert_allclose(served, expected, atol=1e-3)  # float32 over the wire
    assert np.ptp(np.array(served)[:, 0]) > 5  # the target moved: these are real tracks


@needs_trax
def test_a_bad_region_is_named_to_the_toolkit(generated):
    from trax import FileImage, Polygon, TraxException

    process, client = start_server()
    triangle = Polygon.create([(10.0, 10.0), (60.0, 10.0), (30.0, 50.0)])
    image = {"color": FileImage.create(generated[0][0].sequence.frames[0])}
    with pytest.raises(TraxException, match="a VOT region has 4 or 8 values, got 6"):
        client.initialize(image, [(triangle, {})], {})
    assert process.wait(timeout=30) == 1


def write_workspace(folder, sequences):
    """A VOT toolkit workspace by hand (`vot initialize` would download a data set)."""
    folder.mkdir()
    (folder / "config.yaml").write_text(
        f"stack: stack.yaml\nsequences: {sequences}\nregistry:\n- .\n"  # trackers.ini is here
    )
    (folder / "stack.yaml").write_text(
        "title: generated VOT-layout sequences, VOT-2015's supervised experiment\n"
        "experiments:\n"
        "  baseline:\n"
        "    type: supervised\n"
        "    repetitions: 1\n"  # SiamFC is deterministic (vot2015's 15 stop after 3 equal runs)
        "    skip_initialize: 5\n"
        "    analyses:\n"
        "      - type: supervised_ar\n"
        "      - type: supervised_eao_score\n"
        "        low: 10\n"
        "        high: 20\n"
    )
    (folder / "trackers.ini").write_text(
        f"[SiamFC]\nlabel = SiamFC\nprotocol = trax\ncommand = {SERVER}\n"
    )


@pytest.mark.slow  # the toolkit end to end; quick mode skips it, `pytest -m slow` runs it
def test_vot_evaluate_runs_the_tracker_and_agrees_with_our_protocol(
    vot_toolkit, generated, ours, tmp_path
):
    sequences, root = generated
    workspace = tmp_path / "workspace"
    write_workspace(workspace, root)
    env = {**os.environ, "VOT_RESULTS_BINARY": "0"}  # text result files, as ours
    for command in (["evaluate", "SiamFC"], ["analysis", "--name", "check", "SiamFC"]):
        vot_command = [sys.executable, "-m", "vot", *command, "--workspace", str(workspace)]
        done = subprocess.run(vot_command, env=env, capture_output=True, text=True, timeout=300)
        log = done.stdout + done.stderr  # the toolkit says "successful(ly)" or what went wrong
        assert done.returncode == 0 and "successful" in log, log

    # the toolkit's runs (read and scored by our reader): the same frames, the same boxes
    theirs = load_supervised(workspace / "results", "SiamFC", sequences)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a.states, b.states)  # inits, failures, skips: the same
        tracked = a.states == vot.TRACKED
        np.testing.assert_allclose(a.boxes[tracked], b.boxes[tracked], atol=1e-3)  # float32
    assert [r.failures for r in ours] == [1, 1]  # each run re-initialised through TraX

    # the toolkit's analysis: the same failures; accuracy and EAO within the difference between its
    # overlap (regions rasterised to pixels, a polygon's border pixels counted) and our exact one
    analysis = json.loads((workspace / "analysis" / "check.json").read_text())
    per_sequence, eao = analysis["results"]["baseline"]["results"]
    for run, (accuracy, failures, _, length) in zip(ours, per_sequence, strict=True):
        assert (failures, length) == (run.failures, len(run.states))
        assert accuracy == pytest.approx(run.accuracy, abs=0.02)
    summary = vot.summarize_supervised(ours, interval=(10, 20))[0]
    assert summary.interval == (10, 20)  # the toolkit's own rule, here with the check's interval
    assert eao[0][0] == pytest.approx(summary.eao, abs=0.01)
