"""The pair sampler: crops, labels, frame gap, determinism, workers, curation, bad frames."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from siamfc_edu.boxes import xywh_to_cxcywh
from siamfc_edu.config import SiamFCConfig
from siamfc_edu.crops import context_size, crop_window
from siamfc_edu.data import PairDataset, curate, is_curated, read_vid
from siamfc_edu.losses import labels_for

CFG = SiamFCConfig()


def red_centroid(image: torch.Tensor) -> tuple[float, float]:
    """(x, y) centroid of the red object in a 3 x H x W crop, weighted by redness (R - G)."""
    weight = (image[0] - image[1]).clamp(min=0)
    weight = torch.where(weight > 40, weight, 0.0)  # ignore JPEG ringing on the grey background
    assert weight.sum() > 0, "no red pixel in the crop"
    ys, xs = torch.meshgrid(
        torch.arange(image.shape[1]), torch.arange(image.shape[2]), indexing="ij"
    )
    total = weight.sum()
    return (weight * xs).sum().item() / total.item(), (weight * ys).sum().item() / total.item()


def expected_centre(box: np.ndarray, out_size: int) -> tuple[float, float]:
    """Where the box centre lands in an un-jittered crop of out_size px (its integer window)."""
    cx, cy, w, h = xywh_to_cxcywh(box)
    side = context_size(w, h, CFG.context) * out_size / CFG.exemplar_size
    x1, y1, side_px = crop_window((cx, cy), side)
    scale = out_size / side_px  # cv2.resize maps input pixel u to (u + 0.5) * scale - 0.5
    return (cx - x1 + 0.5) * scale - 0.5, (cy - y1 + 0.5) * scale - 0.5


def test_shapes_types_and_value_range(generated_data: Path) -> None:
    dataset = PairDataset(CFG, generated_data, length=8, seed=0)
    z, x, labels = dataset[3]
    assert z.shape == (3, 127, 127) and x.shape == (3, 255, 255) and labels.shape == (17, 17)
    assert z.dtype == x.dtype == labels.dtype == torch.float32
    assert 0 <= z.min() and z.max() <= 255 and x.max() > 1  # RGB 0..255, not normalised
    assert set(labels.unique().tolist()) == {-1.0, 1.0}


def test_frame_gap_never_exceeds_t(generated_data: Path) -> None:
    cfg = CFG.replace(max_frame_gap=3)
    dataset = PairDataset(cfg, generated_data, length=2000, seed=1)
    gaps = [dataset.frame_gap(i) for i in range(2000)]
    assert max(gaps) == 3 and min(gaps) >= 0
    assert np.mean(np.array(gaps) > 0) > 0.95  # two different frames whenever possible


def test_target_at_centre_of_unjittered_crops(red_square_vid: Path) -> None:
    dataset = PairDataset(CFG, red_square_vid, length=40, seed=0, augment=False)
    for i in range(40):
        plan = dataset.plan(i)
        boxes = dataset.tracks[plan.track].boxes
        z, x, labels = dataset[i]
        # the drawn red rectangle's centroid is the ground-truth centre, at the crop's middle ...
        np.testing.assert_allclose(red_centroid(z), expected_centre(boxes[plan.z], 127), atol=0.35)
        np.testing.assert_allclose(red_centroid(x), expected_centre(boxes[plan.x], 255), atol=0.35)
        # ... up to the half frame pixel of the integer crop window
        np.testing.assert_allclose(red_centroid(z), (63, 63), atol=1.6)
        np.testing.assert_allclose(red_centroid(x), (127, 127), atol=1.6)
        torch.testing.assert_close(labels, labels_for(CFG))


def test_translation_moves_target_and_labels_together(red_square_vid: Path) -> None:
    dataset = PairDataset(
        CFG, red_square_vid, length=40, seed=0, max_translate=12, color_jitter=False
    )
    moved = 0
    for i in range(40):
        plan = dataset.plan(i)
        _, x, labels = dataset[i]
        dx, dy = plan.shift
        cx, cy = red_centroid(x)
        np.testing.assert_allclose((cx, cy), (127 - dx, 127 - dy), atol=2.0)
        ys, xs = torch.nonzero(labels > 0, as_tuple=True)  # the positives follow the target
        np.testing.assert_allclose(
            (xs.float().mean(), ys.float().mean()), (8 - dx / 8, 8 - dy / 8), atol=0.5
        )
        moved += (dx, dy) != (0, 0)
    assert moved > 30


def test_stretch_and_colour_jitter_change_the_crops(red_square_vid: Path) -> None:
    plain = PairDataset(CFG, red_square_vid, length=4, seed=0, augment=False)
    gray = PairDataset(CFG, red_square_vid, length=4, seed=0, gray_prob=1.0)
    _, x, _ = gray[0]
    assert torch.equal(x[0], x[1]) and torch.equal(x[1], x[2])
    assert not torch.equal(plain[0][1], PairDataset(CFG, red_square_vid, length=4, seed=0)[0][1])


def test_seed_reproduces_pairs_and_epoch_changes_them(generated_data: Path) -> None:
    a = PairDataset(CFG, generated_data, length=6, seed=5)
    b = PairDataset(CFG, generated_data, length=6, seed=5)
    for i in (0, 5):
        for u, v in zip(a[i], b[i], strict=True):
            assert torch.equal(u, v)
    assert not torch.equal(a[0][1], PairDataset(CFG, generated_data, length=6, seed=6)[0][1])
    before = a[0][1]
    a.set_epoch(1)
    assert not torch.equal(before, a[0][1])
    a.set_epoch(0)
    assert torch.equal(before, a[0][1])


def test_workers_give_distinct_pairs_equal_to_single_process(generated_data: Path) -> None:
    dataset = PairDataset(CFG, generated_data, length=24, seed=2)
    single = torch.cat([z for z, _, _ in DataLoader(dataset, batch_size=4, num_workers=0)])
    loader = DataLoader(dataset, batch_size=4, num_workers=2)
    multi = torch.cat([z for z, _, _ in loader])
    assert torch.equal(single, multi)  # the same pair for the same index, whichever worker
    flat = multi.flatten(1)
    assert len({tuple(row[::97].tolist()) for row in flat}) == 24  # no two pairs alike


def test_curation_is_used_when_present_and_matches_full_frames(
    generated_data: Path, tmp_path: Path
) -> None:
    vid = tmp_path / "vid"
    shutil.copytree(generated_data / "ILSVRC2015", vid)
    assert not PairDataset(CFG, vid, length=4).curated
    out = curate(vid, verbose=False)
    assert is_curated(out) and out == vid / "Curation"
    curated = PairDataset(CFG, vid, length=30, seed=3, augment=False)
    full = PairDataset(CFG, vid, length=30, seed=3, augment=False, curated=False)
    assert curated.curated and not full.curated
    assert len(curated.tracks) == len(full.tracks)
    differences = []
    for i in range(30):
        zc, xc, lc = curated[i]
        zf, xf, lf = full[i]
        assert torch.equal(lc, lf)
        differences += [(zc - zf).abs().mean().item(), (xc - xf).abs().mean().item()]
    # the same crops up to a second JPEG and a second resampling (grey levels, out of 255)
    assert np.median(differences) < 5 and max(differences) < 14


def test_curated_crops_keep_the_target_centred(red_square_vid: Path, tmp_path: Path) -> None:
    out = curate(read_vid(red_square_vid), tmp_path / "cur", verbose=False)
    dataset = PairDataset(CFG, out, length=20, seed=0, augment=False)
    assert dataset.curated
    for i in range(20):
        z, x, _ = dataset[i]
        np.testing.assert_allclose(red_centroid(z), (63, 63), atol=1.6)
        np.testing.assert_allclose(red_centroid(x), (127, 127), atol=1.6)


def test_curation_made_with_other_settings_is_refused(red_square_vid: Path, tmp_path: Path) -> None:
    out = curate(read_vid(red_square_vid), tmp_path / "cur", verbose=False)
    with pytest.raises(ValueError, match="curate again"):
        PairDataset(CFG.replace(context=0.3), out, length=2)


def test_corrupt_frame_is_skipped_with_a_warning(red_square_vid: Path, tmp_path: Path) -> None:
    root = tmp_path / "vid"
    shutil.copytree(red_square_vid, root)
    for jpeg in list((root / "Data/VID/train/snippet_0").glob("*.JPEG"))[:6]:
        jpeg.write_bytes(b"\xff\xd8 not really a jpeg")
    dataset = PairDataset(CFG, root, length=30, seed=0, augment=False)
    with pytest.warns(UserWarning, match="cannot read the image") as record:
        pairs = [dataset[i] for i in range(30)]
    assert dataset.skipped > 1 and sum(dataset.skipped_by_track.values()) == dataset.skipped
    warned = [str(w.message) for w in record if "cannot read" in str(w.message)]
    assert len(warned) == len(dataset.skipped_by_track), "one warning per sequence, not per frame"
    for _, x, _ in pairs:  # every pair that came back is a correct one
        np.testing.assert_allclose(red_centroid(x), (127, 127), atol=1.6)


def test_bad_sources(tmp_path: Path, generated_data: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere"):
        PairDataset(CFG, tmp_path / "nowhere", length=2)
    with pytest.raises(ValueError, match="not an ImageNet VID"):
        PairDataset(CFG, generated_data / "OTB", length=2)
    with pytest.raises(ValueError, match="no curated copy"):
        PairDataset(CFG, generated_data, length=2, curated=True)
    with pytest.raises(IndexError):
        PairDataset(CFG, generated_data, length=2)[2]
