"""The fast tracker gives the reference tracker's boxes: on the host path, on the device path
(forced on the CPU) and batched over many sequences; its pieces equal the reference's pieces."""

import os

import numpy as np
import pytest
import torch

from siamfc_edu import SiamFCTracker
from siamfc_edu.crops import crop_and_resize, crop_window
from siamfc_edu.data import read_video, render_video
from siamfc_edu.device_crops import crop_batch, crop_windows, frames_to_device, upsample_maps
from siamfc_edu.evaluate.runs import track_together
from siamfc_edu.fast_tracker import (
    FastOptions,
    FastSiamFCTracker,
    correlate_per_sequence,
    to_host,
    uses_cuda_graph,
)
from siamfc_edu.head import cross_correlation
from siamfc_edu.images import mean_color
from siamfc_edu.model import build_model
from siamfc_edu.runtime import full_float32
from siamfc_edu.tracker import Pieces, inference_embedding, upsample

CARPHONE_BOX = [63, 42, 42, 54]
# The CPU in CI; SIAMFC_EDU_TEST_DEVICE=cuda runs them on a GPU (benchmarks/device_check.sh)
DEVICE = os.environ.get("SIAMFC_EDU_TEST_DEVICE", "cpu")


@pytest.fixture(scope="module")
def carphone() -> list[np.ndarray]:
    return list(read_video("carphone_pristine"))


@pytest.fixture(scope="module")
def generated() -> list[tuple[list[np.ndarray], np.ndarray]]:
    """Three short held-out generated evaluation sequences: (frames, first box)."""
    runs = []
    for seed in range(3):
        video = render_video(np.random.default_rng(1000 + seed), 20, held_out=True)
        runs.append((video.frames, video.boxes[0][0]))
    return runs


@pytest.fixture(scope="module")
def reference() -> SiamFCTracker:
    return SiamFCTracker.from_weights(device="cpu")


def fast(
    ops: str | None = None, precision: str = "fp32", cuda_graph: bool | None = None
) -> FastSiamFCTracker:
    """The fast tracker under test, on DEVICE; the reference it is compared with is on the CPU."""
    options = FastOptions(precision, ops, cuda_graph)
    return FastSiamFCTracker.from_weights(device=DEVICE, options=options)


# ----------------------------------------------------------------------------- the pieces


def test_device_crops_equal_opencv_crops_bit_for_bit():
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (60, 90, 3), dtype=np.uint8), np.full((40, 30, 3), 7, np.uint8)]
    frames[1][5:20, 3:9] = 200
    batch = frames_to_device(frames, torch.device("cpu"))
    sizes = torch.tensor([f.shape[:2] for f in frames])
    centers = np.array([[45.3, -8.0], [14.5, 19.7]])  # the first square leaves its frame
    sides = np.array([[1.0, 127.0, 254.0], [33.4, 255.0, 510.0]])  # 1 px, 2x down, same size
    for out_size in (127, 255):
        got = crop_batch(batch, sizes, crop_windows(centers, sides), out_size)
        got = got.permute(0, 2, 3, 1).numpy()
        for i, (frame, center, side) in enumerate(
            (f, c, s) for f, c, row in zip(frames, centers, sides, strict=True) for s in row
        ):
            want = crop_and_resize(frame, center, side, out_size, mean_color(frame))
            np.testing.assert_array_equal(got[i], want, err_msg=f"crop {i}, out {out_size}")


def test_crop_windows_are_crop_window_on_arrays():
    """Halves too: np.rint and Python's round both round them to even."""
    rng = np.random.default_rng(0)
    centers, sides = rng.uniform(-50, 300, (300, 2)), rng.uniform(0.2, 600, (300, 3))
    centers[:60], sides[:60] = np.round(centers[:60] * 2) / 2, np.round(sides[:60] * 2) / 2
    want = [[crop_window(c, side) for side in row] for c, row in zip(centers, sides, strict=True)]
    np.testing.assert_array_equal(crop_windows(centers, sides), np.array(want, dtype=float))


def test_device_crops_equal_opencv_crops_for_random_squares():
    """Squares of every size, in and out of the frame, centres on half pixels too."""
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)
    centers = rng.uniform(-40, 160, (40, 2))
    centers[:10] = np.round(centers[:10] * 2) / 2
    sides = rng.choice([1.0, 2.0, 3.0, 17.5, 64.0, 127.0, 254.5, 255.0, 256.0, 600.3], (40, 2))
    images = frames_to_device([frame] * 40, torch.device(DEVICE))
    sizes = torch.tensor([frame.shape[:2]] * 40, device=DEVICE)
    for out_size in (127, 255):
        got = crop_batch(images, sizes, crop_windows(centers, sides), out_size)
        got = got.permute(0, 2, 3, 1).cpu().numpy()
        pad = mean_color(frame)
        squares = [(c, side) for c, row in zip(centers, sides, strict=True) for side in row]
        for i, (center, side) in enumerate(squares):
            want = crop_and_resize(frame, center, side, out_size, pad)
            np.testing.assert_array_equal(got[i], want, err_msg=f"square {i}, out {out_size}")


def test_bicubic_upsampling_on_the_device_matches_opencv():
    scores = torch.randn(2, 3, 17, 17) * 5
    want = upsample(scores.reshape(6, 17, 17).numpy(), 272).reshape(2, 3, 272, 272)
    np.testing.assert_allclose(upsample_maps(scores, 272).numpy(), want, atol=1e-5)


def test_folded_batch_norm_equals_the_network_it_folds():
    torch.manual_seed(0)
    backbone = build_model().backbone
    for m in backbone.modules():  # batch norms with statistics of their own
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    backbone.eval()
    x = torch.rand(2, 3, 127, 127) * 255
    with torch.no_grad():
        want, got = backbone(x), inference_embedding(backbone, torch.device("cpu"))(x)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4 * want.abs().max().item())


def test_correlation_per_sequence_equals_one_sequence_at_a_time():
    kernels, x = torch.randn(4, 8, 6, 6), torch.randn(12, 8, 22, 22)
    got = correlate_per_sequence(kernels, x)
    assert got.shape == (4, 3, 17, 17)
    for b in range(4):
        want = cross_correlation(kernels[b : b + 1], x[3 * b : 3 * b + 3])[:, 0]
        torch.testing.assert_close(got[b], want, rtol=1e-5, atol=1e-4)


# ----------------------------------------------------------------------------- whole tracks


def test_fast_tracker_gives_the_reference_boxes_on_every_frame_of_carphone(carphone, reference):
    want, _ = reference.track(carphone, CARPHONE_BOX)
    got, _ = fast().track(carphone, CARPHONE_BOX)
    assert np.abs(got - want).max() <= 1.0  # measured: 0 (the same arithmetic on the CPU)


@pytest.mark.parametrize("ops", ["host", "device"])
def test_fast_tracker_gives_the_reference_boxes_on_generated_sequences(generated, reference, ops):
    tracker = fast(ops)
    for frames, box in generated:
        want, _ = reference.track(frames, box)
        got, _ = tracker.track(frames, box)
        assert np.abs(got - want).max() <= 1.0


def test_the_device_path_gives_the_reference_boxes_on_carphone(carphone, reference):
    frames = carphone[:30]  # the device path on the CPU is slow: a part of the clip
    want, _ = reference.track(frames, CARPHONE_BOX)
    got, _ = fast("device").track(frames, CARPHONE_BOX)
    assert np.abs(got - want).max() <= 1.0


@pytest.mark.parametrize("ops", ["host", "device"])
def test_batched_tracking_equals_tracking_one_by_one(carphone, generated, ops):
    runs = [
        (carphone[:12], CARPHONE_BOX),  # 176 x 144 frames beside 320 x 240 ones
        (generated[0][0][:9], generated[0][1]),
        (carphone[40:41], [60, 40, 40, 50]),  # a single frame: only the given box
        (generated[1][0][:15], generated[1][1]),
        (generated[2][0][:6], generated[2][1]),
    ]
    tracker = fast(ops)
    one_by_one = [tracker.track(frames, box)[0] for frames, box in runs]
    batched = track_together(tracker.batch_engine(), runs, batch=3)
    for (boxes, times), want in zip(batched, one_by_one, strict=True):
        assert boxes.shape == want.shape and times.shape == (len(want),)
        np.testing.assert_allclose(boxes, want, atol=1e-4, rtol=0)


def test_the_fast_version_of_the_reference_tracks_like_it(carphone, reference):
    engine = FastSiamFCTracker.like(reference).batch_engine()
    ((boxes, _),) = track_together(engine, [(carphone[:5], CARPHONE_BOX)], batch=4)
    np.testing.assert_allclose(boxes, reference.track(carphone[:5], CARPHONE_BOX)[0], atol=1e-4)


def test_mixed_precision_stays_close(carphone, reference):
    want, _ = reference.track(carphone[:8], CARPHONE_BOX)
    got, _ = fast(precision="bf16").track(carphone[:8], CARPHONE_BOX)
    assert np.abs(got - want).mean() <= 2.0


def test_step_gives_the_reference_track_step(carphone, reference):
    tracker = fast("device")
    tracker.init(carphone[0], CARPHONE_BOX)
    reference.init(carphone[0], CARPHONE_BOX)
    step, want = to_host(tracker.step(carphone[1])), reference.step(carphone[1])
    np.testing.assert_array_equal(step.search_crops, want.search_crops)
    for name in ("raw_scores", "upsampled", "penalised", "normalised", "windowed"):
        got_map, want_map = getattr(step, name), getattr(want, name)
        np.testing.assert_allclose(got_map, want_map, atol=1e-5 * np.abs(want_map).max())
    assert (step.best_scale, step.peak) == (want.best_scale, want.peak)
    for name in ("search_sides", "displacement_frame", "center", "box"):
        np.testing.assert_allclose(getattr(step, name), getattr(want, name))
    assert tracker.update(carphone[2]).shape == (4,)
    assert tracker.exemplar.shape == (127, 127, 3)


# ----------------------------------------------------------------------------- on a GPU

on_cuda = pytest.mark.skipif(DEVICE != "cuda", reason="SIAMFC_EDU_TEST_DEVICE=cuda runs it")


def test_cuda_graphs_by_default_for_one_sequence_on_cuda_only():
    cuda, cpu = torch.device("cuda"), torch.device("cpu")
    assert uses_cuda_graph(None, cuda, "device", 1)
    assert not uses_cuda_graph(None, cuda, "device", 2)  # a batch: eager
    assert not uses_cuda_graph(None, cuda, "host", 1)  # crops on the host: nothing to record
    assert not uses_cuda_graph(None, cpu, "device", 1)
    assert uses_cuda_graph(True, cuda, "device", 32)  # as asked
    assert not uses_cuda_graph(False, cuda, "device", 1)


@on_cuda
def test_float32_on_a_gpu_is_not_tf32():
    """TF32 keeps 10 mantissa bits (errors near 1e-3); IEEE float32 keeps 23 (near 1e-6)."""
    tracker = fast("device")
    x = torch.rand(3, 3, 255, 255, device=DEVICE) * 255
    with torch.inference_mode():
        folded = inference_embedding(tracker.net.backbone, torch.device("cpu")).double()
        want = folded(x.cpu().double())
        with full_float32(tracker.device):
            got = tracker.batch.embedding(x).cpu().double()
    error = ((got - want).abs().max() / want.abs().max()).item()
    assert error < 1e-4, f"relative error {error:.1e}: TF32?"


@on_cuda
@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_cuda_graph_gives_the_boxes_of_the_eager_step(carphone, precision):
    want, _ = fast(precision=precision, cuda_graph=False).track(carphone, CARPHONE_BOX)
    got, _ = fast(precision=precision, cuda_graph=True).track(carphone, CARPHONE_BOX)
    np.testing.assert_allclose(got, want, atol=1e-4, rtol=0)


@on_cuda
def test_cuda_graph_steps_keep_their_own_maps(carphone):
    tracker = fast(cuda_graph=True)
    tracker.init(carphone[0], CARPHONE_BOX)
    first, second = tracker.step(carphone[1]), tracker.step(carphone[2])
    assert not torch.equal(first.search_crops, second.search_crops)
    eager = fast(cuda_graph=False)
    eager.init(carphone[0], CARPHONE_BOX)
    torch.testing.assert_close(first.upsampled, eager.step(carphone[1]).upsampled)


@on_cuda
def test_cuda_graph_batches_of_changing_shapes_equal_one_by_one(carphone, generated):
    runs = [(carphone[:7], CARPHONE_BOX), (generated[0][0][:12], generated[0][1])]
    runs += [(generated[1][0][:4], generated[1][1])]
    tracker = fast(cuda_graph=True)
    batched = track_together(tracker.batch_engine(), runs, batch=2)  # shapes change 3 times
    for (boxes, _), (frames, box) in zip(batched, runs, strict=True):
        want = fast(cuda_graph=False).track(frames, box)[0]
        np.testing.assert_allclose(boxes, want, atol=1e-4, rtol=0)


# ----------------------------------------------------------------------------- bad input


def test_bad_input_is_refused_like_the_reference(carphone):
    tracker = fast()
    with pytest.raises(RuntimeError, match="no target yet: call init"):
        tracker.update(carphone[0])
    with pytest.raises(ValueError, match="zero or negative size"):
        tracker.init(carphone[0], [10, 10, 0, 5])
    with pytest.raises(ValueError, match="lies outside the 176x144 frame"):
        tracker.init(carphone[0], [500, 10, 20, 20])
    tracker.init(carphone[0], CARPHONE_BOX)
    with pytest.raises(ValueError, match="NaN or infinite"):
        tracker.init(carphone[0], [np.nan, 1, 2, 3])
    assert tracker.update(carphone[1]).shape == (4,)  # the failed init kept the target
    with pytest.raises(ValueError, match="uint8"):
        tracker.update(carphone[1].astype(np.float32))
    with pytest.raises(ValueError, match="the frame is 88x72 but the sequence started at 176x144"):
        tracker.update(carphone[1][::2, ::2])
    with pytest.raises(ValueError, match="ops must be one of"):
        FastSiamFCTracker(device="cpu", options=FastOptions(ops="gpu"))
    with pytest.raises(ValueError, match="cuda_graph=True needs a CUDA device and ops='device'"):
        FastSiamFCTracker(device="cpu", options=FastOptions(cuda_graph=True))


def test_pieces_of_your_own_are_refused_by_the_fast_tracker_not_ignored(reference):
    mine = SiamFCTracker(reference.net, reference.cfg, "cpu", Pieces(penalise=lambda m, p: m))
    with pytest.raises(ValueError, match="pieces of your own.*track with the SiamFCTracker"):
        FastSiamFCTracker.like(mine)


# ----------------------------------------------------------------------------- evaluate --batch


def test_evaluate_batch_gives_the_same_scores_as_one_by_one(generated_data, tmp_path, capsys):
    """`siamfc-edu evaluate --batch 2`: every run tracked two at a time, the same results."""
    from siamfc_edu.cli import main

    tables = {}
    for batch in ("1", "2"):
        out = tmp_path / batch
        args = ["evaluate", "--data", str(generated_data), "--trackers", "siamfc", "--out"]
        assert main([*args, str(out), "--starts", "2", "--batch", batch, "--device", "cpu"]) == 0
        rows = (out / "results.csv").read_text().splitlines()
        tables[batch] = [row.split(",")[:-2] + row.split(",")[-1:] for row in rows]  # not fps
    capsys.readouterr()
    assert tables["1"][0][-1] == "sequences" and tables["1"] == tables["2"]
    assert main(["evaluate", "--data", str(generated_data), "--batch", "0"]) == 2
    assert "argument --batch: must be at least 1, got 0" in capsys.readouterr().err


def test_a_corrupt_run_in_a_batch_fails_alone(generated_data, tmp_path):
    """A bad frame stops the batch; the runs are tracked again one by one and only it fails."""
    import shutil

    from siamfc_edu import evaluate
    from siamfc_edu.data import read_otb

    root = shutil.copytree(generated_data / "OTB", tmp_path / "OTB")
    bad = root / "Gen0001/img/0008.jpg"
    bad.write_bytes(bad.read_bytes()[:300])
    sequences, failures = read_otb(root), []
    fast_reference = FastSiamFCTracker.like(SiamFCTracker.from_weights(device="cpu"))
    results = evaluate.evaluate_tracker(fast_reference, sequences, "SiamFC", failures, batch=2)
    alone = evaluate.evaluate_tracker(SiamFCTracker.from_weights(device="cpu"), sequences[1:])
    assert [f.sequence for f in failures] == ["Gen0001"] and "0008.jpg" in failures[0].reason
    assert [r.sequence for r in results] == ["Gen0002"]
    np.testing.assert_array_equal(results[0].boxes, alone[0].boxes)
