"""Checks of exercise notebook 06 (the tracker's step, Section 2.4 of the paper).

- `check_pyramid_factors` serves exercise 1, `pyramid_factors(scale_num, scale_step)`: the scale
  pyramid's factors s^k, compared with `siamfc_edu.tracker.scale_factors`;
- `check_upsample_maps` serves exercise 2, `upsample_maps(raw, factor)`: every score map resized
  x factor with bicubic interpolation, compared with `siamfc_edu.tracker.upsample`;
- `check_penalise` serves exercise 3, `penalise(maps, scale_penalty)`: every scale but the middle
  one multiplied by the penalty, compared with `siamfc_edu.tracker.scale_penalties`;
- `check_windowed_map` serves exercise 4, `windowed_map(score_map, window, influence)`: the map
  normalised (minimum 0, sum 1) and mixed with the cosine window, compared with
  `siamfc_edu.tracker.normalise` and the mix of `SiamFCTracker.step`;
- `check_displacement` serves exercise 5, `displacement(peak_row, peak_col, upscale_size,
  response_up, total_stride, side, instance_size)`: the peak's (dx, dy) from the centre in
  score-map cells, search-crop pixels and frame pixels, compared with
  `siamfc_edu.tracker.displacement`;
- `check_damped_scale` serves exercise 6, `damped_scale(scale, factor, scale_lr, min_scale,
  max_scale)`: the new size after the damped update, clipped, compared with
  `siamfc_edu.tracker.damped_scale`.

Several inputs come from a real frame: the shipped weights tracking the face of carphone on the
CPU, frame 3 (`carphone_step`, computed once). Each list of typical mistakes (`PYRAMID_MISTAKES`,
...) is public so that the tests can make every mistake and see it named.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial
from types import SimpleNamespace

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from ..config import SiamFCConfig, get_preset
from ..data.footage import SHIPPED_VIDEOS, read_video
from ..data.real import read_annotations, real_set_files
from ..tracker import (
    SiamFCTracker,
    TrackStep,
    damped_scale,
    displacement,
    hann_window,
    normalise,
    scale_factors,
    scale_penalties,
    upsample,
)
from . import Case, Mistake, Verdict, check, compare_arrays

CLIP, OBJECT, FRAME = "carphone_pristine", "carphone_face", 3


@lru_cache(maxsize=1)
def carphone_step() -> tuple[SiamFCConfig, float, TrackStep]:
    """The shipped tracker on carphone's face (CPU): (its config, the scale before, frame 3's step).

    Frame 3 is a frame where the larger scale wins, so every step of the pyramid matters.
    """
    frames = read_video(CLIP, max_frames=FRAME + 1)
    boxes = read_annotations(real_set_files()[f"{CLIP}:{OBJECT}"], SHIPPED_VIDEOS[CLIP][2])
    tracker = SiamFCTracker.from_weights(device="cpu")
    tracker.init(frames[0], boxes[0])
    for image in frames[1:FRAME]:
        tracker.update(image)
    scale = tracker.scale
    return tracker.cfg, scale, tracker.step(frames[FRAME])


# ----------------------------------------------------------------------------- shared


class ChangedInPlace:
    """What a learner's function 'returned' when it changed one of its input arrays in place."""

    def __init__(self, argument: str):
        self.argument = argument


def on_copies(fn: Callable, names: tuple[str, ...]) -> Callable:
    """fn called on copies of its array arguments; ChangedInPlace when it modified one of them.

    The tracker keeps every intermediate (`TrackStep`), so a function that overwrites its input
    corrupts the step before it; the copies also keep the cached real frame intact.
    """

    def run(*args: object) -> object:
        copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        result = fn(*copies)
        for name, before, after in zip(names, args, copies, strict=False):
            if isinstance(before, np.ndarray) and not np.array_equal(before, after):
                return ChangedInPlace(name)
        return result

    return run


def guarded(compare: Callable[[object, object], str]) -> Callable[[object, object], str]:
    """A compare that first reports an input changed in place."""

    def run(got: object, expected: object) -> str:
        if isinstance(got, ChangedInPlace):
            return (f"your function changed its argument `{got.argument}` in place (the tracker "
                    "still needs it: it is a field of the TrackStep); compute a new array "
                    "instead (`a * b`, not `a *= b`)")  # fmt: skip
        return compare(got, expected)

    return run


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _bump(size: int, row: float, col: float, width: float = 3.0) -> np.ndarray:
    """A smooth score map (float32) whose peak is at (row, col)."""
    rows, cols = np.mgrid[0:size, 0:size]
    return np.exp(-((rows - row) ** 2 + (cols - col) ** 2) / (2 * width**2)).astype(np.float32)


# ----------------------------------------------------------------------------- exercise 1


def reference_pyramid_factors(scale_num: int, scale_step: float) -> np.ndarray:
    """The library's factors for a config with these two numbers."""
    return scale_factors(get_preset(scale_num=scale_num, scale_step=scale_step))


def _centred(n: int) -> np.ndarray:
    return np.arange(n) - (n - 1) / 2


PYRAMID_MISTAKES = [
    Mistake(
        "exponents k = 0 .. n-1 instead of centred on 0",
        "the middle scale keeps the size (s^0 = 1): k runs from -(n-1)/2 to (n-1)/2",
        lambda scale_num, scale_step: scale_step ** np.arange(scale_num),
    ),
    Mistake(
        "linear steps 1 + k (s - 1) instead of powers s^k",
        "the pyramid is geometric: each scale is s times the one before, so the factor is s**k",
        lambda scale_num, scale_step: 1 + _centred(scale_num) * (scale_step - 1),
    ),
    Mistake(
        "the order reversed (the largest factor first)",
        "k increases along the pyramid: the smallest factor s^-(n-1)/2 comes first",
        lambda scale_num, scale_step: scale_step ** (-_centred(scale_num)),
    ),
    Mistake(
        "integer exponents -(n // 2) .. n // 2 (wrong for an even number of scales)",
        "with 4 scales k is -1.5, -0.5, 0.5, 1.5: subtract (n - 1) / 2, a float, from 0 .. n-1",
        lambda scale_num, scale_step: (
            scale_step ** np.arange(-(scale_num // 2), scale_num // 2 + 1)
        ),
    ),
]


def pyramid_cases() -> list[Case]:
    """The paper's 3 scales, the shipped tiny preset, 5 scales, one scale, an even number."""
    return [
        Case("SiamFC-3s: 3 scales, step 1.0375", (3, 1.0375)),
        Case("the shipped tiny preset: 3 scales, step 1.06", (3, 1.06)),
        Case("the 5-scale SiamFC: step 1.0255", (5, 1.0255)),
        Case("one scale (no pyramid)", (1, 1.0375)),
        Case("an even number: 4 scales, step 1.05", (4, 1.05)),
    ]


def check_pyramid_factors(fn: Callable) -> Verdict:
    """Exercise 1: `fn(scale_num, scale_step)` -> the n factors s^k, smallest first."""
    return check(
        "pyramid_factors",
        fn,
        reference_pyramid_factors,
        pyramid_cases(),
        PYRAMID_MISTAKES,
        hint="factor k is scale_step ** k for k = -(n-1)/2, ..., (n-1)/2, in increasing order",
    )


# ----------------------------------------------------------------------------- exercise 2


def reference_upsample_maps(raw: np.ndarray, factor: int) -> np.ndarray:
    """The library's upsampling to a side of factor times the map's side."""
    return upsample(raw, raw.shape[-1] * factor)


def _resize_all(raw: np.ndarray, size: int, interpolation: int) -> np.ndarray:
    return np.stack([cv2.resize(m, (size, size), interpolation=interpolation) for m in raw])


def _torch_corners(raw: np.ndarray, factor: int) -> np.ndarray:
    size = raw.shape[-1] * factor
    maps = torch.from_numpy(np.ascontiguousarray(raw))[:, None]
    return F.interpolate(maps, size=(size, size), mode="bicubic", align_corners=True)[:, 0].numpy()


UPSAMPLE_MISTAKES = [
    Mistake(
        "bilinear instead of bicubic interpolation",
        "the paper upsamples with bicubic interpolation: interpolation=cv2.INTER_CUBIC",
        lambda raw, factor: _resize_all(raw, raw.shape[-1] * factor, cv2.INTER_LINEAR),
    ),
    Mistake(
        "nearest-neighbour instead of bicubic interpolation",
        "nearest copies each cell into a 16 x 16 block and places the peak no better than "
        "before: interpolation=cv2.INTER_CUBIC",
        lambda raw, factor: _resize_all(raw, raw.shape[-1] * factor, cv2.INTER_NEAREST),
    ),
    Mistake(
        "resizing to 17 x 16 - 1 = 271 instead of 17 x 16 = 272",
        "the new side is the old side times the factor: 17 * 16 = 272 (cfg.upscale_size)",
        lambda raw, factor: _resize_all(raw, raw.shape[-1] * factor - 1, cv2.INTER_CUBIC),
    ),
    Mistake(
        "align_corners=True in torch's interpolate",
        "cv2.resize (the reference) aligns pixel centres, like align_corners=False in torch",
        _torch_corners,
    ),
]


def upsample_cases() -> list[Case]:
    """Carphone's 3 raw maps, a batch of one, a peak on the border, 5 noisy maps x 8."""
    _, _, step = carphone_step()
    return [
        Case("the 3 raw 17 x 17 maps of carphone frame 3, x16", (step.raw_scores, 16)),
        Case("a batch of one map, x16", (_bump(17, 7.3, 9.6)[None], 16)),
        Case(
            "a map whose peak is on the border (row 0, col 16), x16", (_bump(17, 0, 16)[None], 16)
        ),
        Case(
            "5 noisy 17 x 17 maps (seed 6), x8",
            (_rng(6).normal(0, 1, (5, 17, 17)).astype(np.float32), 8),
        ),
    ]


def check_upsample_maps(fn: Callable) -> Verdict:
    """Exercise 2: `fn(raw, factor)` -> (S, n * factor, n * factor), bicubic."""
    return check(
        "upsample_maps",
        on_copies(fn, ("raw", "factor")),
        reference_upsample_maps,
        upsample_cases(),
        UPSAMPLE_MISTAKES,
        compare=guarded(compare_arrays),
        hint="resize every map to (n * factor) x (n * factor) with cv2.INTER_CUBIC; "
        "return an array of shape (S, n * factor, n * factor)",
    )


# ----------------------------------------------------------------------------- exercise 3


def reference_penalise(maps: np.ndarray, scale_penalty: float) -> np.ndarray:
    """The library's penalties (scale_penalty, with 1 for the middle scale) times the maps."""
    cfg = get_preset(scale_num=len(maps), scale_penalty=scale_penalty)
    return maps * scale_penalties(cfg)[:, None, None]


def _penalised(maps: np.ndarray, factors: np.ndarray) -> np.ndarray:
    return maps * np.asarray(factors, dtype=np.float64)[:, None, None]


def _middle_only(maps: np.ndarray, penalty: float) -> np.ndarray:
    factors = np.ones(len(maps))
    factors[len(maps) // 2] = penalty
    return _penalised(maps, factors)


def _ends_only(maps: np.ndarray, penalty: float) -> np.ndarray:
    factors = np.ones(len(maps))
    factors[[0, -1]] = penalty
    return _penalised(maps, factors)


def _divided(maps: np.ndarray, penalty: float) -> np.ndarray:
    factors = np.full(len(maps), 1 / penalty)
    factors[len(maps) // 2] = 1.0
    return _penalised(maps, factors)


PENALTY_MISTAKES = [
    Mistake(
        "penalising the middle scale (the current size) instead of the others",
        "a change of size must earn it: the scales k != 0 are multiplied by the penalty, the "
        "middle one (index S // 2) by 1",
        _middle_only,
    ),
    Mistake(
        "penalising every scale, the middle one too",
        "the middle scale (index S // 2) keeps the current size: it is multiplied by 1",
        lambda maps, scale_penalty: maps * scale_penalty,
    ),
    Mistake(
        "dividing by the penalty instead of multiplying",
        "the penalty 0.9745 < 1 must lower the other scales' scores: multiply by it",
        _divided,
    ),
    Mistake(
        "penalising only the first and the last map (right for 3 scales only)",
        "with 5 scales, every scale but the middle one (index S // 2) is penalised",
        _ends_only,
    ),
]


def penalty_cases() -> list[Case]:
    """Carphone's 3 upsampled maps, 5 scales, one scale."""
    _, _, step = carphone_step()
    rng = _rng(3)
    return [
        Case("the 3 upsampled maps of carphone frame 3, penalty 0.9745", (step.upsampled, 0.9745)),
        Case(
            "5 scales (SiamFC), penalty 0.962",
            (rng.normal(1, 1, (5, 17, 17)).astype(np.float32), 0.962),
        ),
        Case(
            "one scale (nothing to penalise)",
            (rng.normal(1, 1, (1, 17, 17)).astype(np.float32), 0.9),
        ),
    ]


def check_penalise(fn: Callable) -> Verdict:
    """Exercise 3: `fn(maps, scale_penalty)` -> the maps, all but the middle one penalised."""
    return check(
        "penalise",
        on_copies(fn, ("maps", "scale_penalty")),
        reference_penalise,
        penalty_cases(),
        PENALTY_MISTAKES,
        compare=guarded(compare_arrays),
        hint="one factor per scale: scale_penalty, and 1 at index S // 2; multiply each map by "
        "its scale's factor",
    )


# ----------------------------------------------------------------------------- exercise 4


def reference_windowed_map(score_map: np.ndarray, window: np.ndarray, influence: float) -> object:
    """The library's normalisation, mixed with the window as `SiamFCTracker.step` does."""
    return (1 - influence) * normalise(score_map) + influence * window


def _sum_only(score_map: np.ndarray) -> np.ndarray:
    return score_map / score_map.sum()


def _by_max(score_map: np.ndarray) -> np.ndarray:
    shifted = score_map - score_map.min()
    return shifted / shifted.max()


WINDOW_MISTAKES = [
    Mistake(
        "the window added before normalising",
        "normalise the score map first (minimum 0, sum 1): the window already sums to 1, and "
        "mixing first changes how much weight it gets",
        lambda score_map, window, influence: normalise(
            (1 - influence) * score_map + influence * window
        ),
    ),
    Mistake(
        "not subtracting the minimum before dividing by the sum",
        "scores can be negative: shift the map to a minimum of 0, then divide by its sum",
        lambda score_map, window, influence: (
            (1 - influence) * _sum_only(score_map) + influence * window
        ),
    ),
    Mistake(
        "the weights swapped: influence on the map, 1 - influence on the window",
        "influence is the window's weight: (1 - influence) * map + influence * window",
        lambda score_map, window, influence: (
            influence * normalise(score_map) + (1 - influence) * window
        ),
    ),
    Mistake(
        "dividing by the maximum instead of the sum",
        "the map must sum to 1, like the window: divide the shifted map by its sum",
        lambda score_map, window, influence: (
            (1 - influence) * _by_max(score_map) + influence * window
        ),
    ),
    Mistake(
        "the map not weighted by 1 - influence",
        "the two weights sum to 1: (1 - influence) * map + influence * window",
        lambda score_map, window, influence: normalise(score_map) + influence * window,
    ),
]

# the values are about 1 / 272^2 = 1.4e-5: the default absolute tolerance would hide everything
compare_small = partial(compare_arrays, atol=1e-10, rtol=1e-4)


def window_cases() -> list[Case]:
    """Carphone's chosen map with two influences and none, a small map, a negative map."""
    cfg, _, step = carphone_step()
    chosen, window = step.penalised[step.best_scale], hann_window(cfg.upscale_size)
    noisy = _rng(4).normal(0, 1, (17, 17)).astype(np.float32) + _bump(17, 5, 11)
    return [
        Case("the chosen map of carphone frame 3, influence 0.35 (tiny)", (chosen, window, 0.35)),
        Case("the same map, influence 0.176 (the paper)", (chosen, window, 0.176)),
        Case("influence 0 (the map alone)", (chosen, window, 0.0)),
        Case("a noisy 17 x 17 map, its own window, influence 0.3", (noisy, hann_window(17), 0.3)),
        Case("a map of negative scores only, influence 0.2", (noisy - 10, hann_window(17), 0.2)),
    ]


def check_windowed_map(fn: Callable) -> Verdict:
    """Exercise 4: `fn(score_map, window, influence)` -> the normalised map, window mixed in."""
    return check(
        "windowed_map",
        on_copies(fn, ("score_map", "window", "influence")),
        reference_windowed_map,
        window_cases(),
        WINDOW_MISTAKES,
        compare=guarded(compare_small),
        hint="(score_map - min) / its sum, then (1 - influence) * that + influence * window",
    )


# ----------------------------------------------------------------------------- exercise 5

UNITS = ("score-map cells", "search-crop pixels", "frame pixels")


def reference_displacement(
    peak_row: int,
    peak_col: int,
    upscale_size: int,
    response_up: int,
    total_stride: int,
    side: float,
    instance_size: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The library's `displacement`, with a config holding exactly these numbers."""
    cfg = SimpleNamespace(upscale_size=upscale_size, response_up=response_up,
                          total_stride=total_stride, instance_size=instance_size)  # fmt: skip
    return displacement(peak_row, peak_col, side, cfg)


def _displacement(
    row, col, upscale_size, response_up, total_stride, side, instance_size,
    centre=None, swap=False, stride=None, ratio=None, up=None,
):  # fmt: skip
    """A displacement like the library's, with the knobs the typical mistakes turn."""
    c = (upscale_size - 1) / 2 if centre is None else centre
    offset = np.array([row, col] if swap else [col, row]) - c
    cells = offset / (response_up if up is None else up)
    crop = cells * (total_stride if stride is None else stride)
    frame = crop * (side / instance_size if ratio is None else ratio(side, instance_size))
    return cells, crop, frame


DISPLACEMENT_MISTAKES = [
    Mistake(
        "an off-by-one centre: upscale_size / 2 instead of (upscale_size - 1) / 2",
        "cells are numbered 0 .. 271, so the centre of the 272 x 272 map is 135.5, not 136",
        lambda r, c, n, u, k, s, i: _displacement(r, c, n, u, k, s, i, centre=n / 2),
    ),
    Mistake(
        "(row, col) order: (dy, dx) returned instead of (dx, dy)",
        "x is the column, y the row: dx comes from peak_col, dy from peak_row",
        lambda r, c, n, u, k, s, i: _displacement(r, c, n, u, k, s, i, swap=True),
    ),
    Mistake(
        "forgetting the total stride: score-map cells used as crop pixels",
        "one score-map cell is total_stride = 8 pixels of the search crop",
        lambda r, c, n, u, k, s, i: _displacement(r, c, n, u, k, s, i, stride=1),
    ),
    Mistake(
        "forgetting to divide by response_up: upsampled cells used as score-map cells",
        "the peak is found on the map upsampled x16: divide its offset by response_up",
        lambda r, c, n, u, k, s, i: _displacement(r, c, n, u, k, s, i, up=1),
    ),
    Mistake(
        "scaling by the exemplar side 127 instead of the instance size 255",
        "the search crop is instance_size = 255 pixels wide for `side` frame pixels: "
        "multiply by side / instance_size",
        lambda r, c, n, u, k, s, i: _displacement(r, c, n, u, k, s, i, ratio=lambda a, b: a / 127),
    ),
    Mistake(
        "the crop-to-frame ratio upside down: instance_size / side",
        "a crop pixel is side / instance_size frame pixels (the region was resized to 255)",
        lambda r, c, n, u, k, s, i: _displacement(r, c, n, u, k, s, i, ratio=lambda a, b: b / a),
    ),
    Mistake(
        "the search side in frame pixels left out: crop pixels returned as frame pixels",
        "the crop was resized from `side` frame pixels to instance_size: multiply by "
        "side / instance_size",
        lambda r, c, n, u, k, s, i: _displacement(r, c, n, u, k, s, i, ratio=lambda a, b: 1.0),
    ),
]


def displacement_cases() -> list[Case]:
    """The centre, the cells nearest it, both borders, a corner, odd places, carphone's peak."""
    cfg, _, step = carphone_step()
    geometry = (cfg.upscale_size, cfg.response_up, cfg.total_stride)
    best, (row, col) = step.best_scale, step.peak
    real = (row, col, *geometry, float(step.search_sides[best]), cfg.instance_size)
    return [
        Case("the peak at the centre of a 17 x 17 map (x1)", (8, 8, 17, 1, 8, 200.0, 255)),
        Case("a peak next to the centre: (135, 136)", (135, 136, 272, 16, 8, 200.0, 255)),
        Case("a peak on the top border: (0, 140)", (0, 140, 272, 16, 8, 180.5, 255)),
        Case("a peak on the right border: (100, 271)", (100, 271, 272, 16, 8, 180.5, 255)),
        Case("the bottom-left corner: (271, 0)", (271, 0, 272, 16, 8, 96.0, 255)),
        Case("an odd place: (37, 201), side 311.7", (37, 201, 272, 16, 8, 311.7, 255)),
        Case("the peak of carphone frame 3", real),
    ]  # fmt: skip


def compare_displacement(got: object, expected: tuple) -> str:
    """'' when the three (dx, dy) pairs match, else which unit is wrong and how."""
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        kind = f"a {type(got).__name__} of length {len(got)}" if isinstance(got, (tuple, list)) \
            else f"a {type(got).__name__}"  # fmt: skip
        return f"expected a tuple (cells, crop_px, frame_px), got {kind}"
    for unit, mine, theirs in zip(UNITS, got, expected, strict=True):
        problem = compare_arrays(mine, theirs)
        if problem:
            return f"the displacement in {unit}: {problem}"
    return ""


def check_displacement(fn: Callable) -> Verdict:
    """Exercise 5: `fn(...)` -> (cells, crop_px, frame_px), each an array (dx, dy)."""
    return check(
        "displacement",
        fn,
        reference_displacement,
        displacement_cases(),
        DISPLACEMENT_MISTAKES,
        compare=compare_displacement,
        hint="offset from the centre (upscale_size - 1) / 2 as (col, row); / response_up gives "
        "cells, x total_stride crop pixels, x side / instance_size frame pixels",
    )


# ----------------------------------------------------------------------------- exercise 6


def reference_damped_scale(
    scale: float, factor: float, scale_lr: float, min_scale: float, max_scale: float
) -> float:
    """The library's `damped_scale`, with a config holding exactly these numbers."""
    cfg = SimpleNamespace(scale_lr=scale_lr, min_scale=min_scale, max_scale=max_scale)
    return damped_scale(scale, factor, cfg)


DAMPING_MISTAKES = [
    Mistake(
        "no damping: the scale multiplied by the whole factor",
        "the size moves only part of the way: scale * ((1 - scale_lr) + scale_lr * factor)",
        lambda scale, factor, lr, lo, hi: float(np.clip(scale * factor, lo, hi)),
    ),
    Mistake(
        "damping towards the factor's inverse: scale_lr / factor instead of scale_lr * factor",
        "a larger search region (factor > 1) means a larger target: multiply by the factor",
        lambda scale, factor, lr, lo, hi: float(np.clip(scale * ((1 - lr) + lr / factor), lo, hi)),
    ),
    Mistake(
        "no clipping to [min_scale, max_scale]",
        "the size stays between min_scale and max_scale times the first one: np.clip",
        lambda scale, factor, lr, lo, hi: scale * ((1 - lr) + lr * factor),
    ),
    Mistake(
        "mixing the old scale with the factor, (1 - lr) * scale + lr * factor",
        "damp the factor, then multiply: scale * ((1 - scale_lr) + scale_lr * factor)",
        lambda scale, factor, lr, lo, hi: float(np.clip((1 - lr) * scale + lr * factor, lo, hi)),
    ),
    Mistake(
        "the weights swapped: scale_lr on 1, 1 - scale_lr on the factor",
        "scale_lr is the learning rate of the change: (1 - scale_lr) + scale_lr * factor",
        lambda scale, factor, lr, lo, hi: float(np.clip(scale * (lr + (1 - lr) * factor), lo, hi)),
    ),
]


def damping_cases() -> list[Case]:
    """Growing, shrinking, unchanged, clipped at both ends, no damping, carphone's frame 3."""
    cfg, before, step = carphone_step()
    factor = float(step.scale_factors[step.best_scale])
    return [
        Case("a larger scale wins (factor 1.06) from scale 1", (1.0, 1.06, 0.59, 0.2, 5.0)),
        Case("a smaller scale wins (factor 1/1.0375) from scale 1.3",
             (1.3, 1 / 1.0375, 0.59, 0.2, 5.0)),
        Case("the current scale wins (factor 1) at scale 0.8", (0.8, 1.0, 0.59, 0.2, 5.0)),
        Case("growing past max_scale 5 (clipped)", (4.95, 1.06, 0.59, 0.2, 5.0)),
        Case("shrinking below min_scale 0.2 (clipped)", (0.201, 1 / 1.06, 0.59, 0.2, 5.0)),
        Case("scale_lr 1 (no damping), SiamFC's 5 scales", (2.0, 1.0255**2, 1.0, 0.2, 5.0)),
        Case("carphone frame 3", (before, factor, cfg.scale_lr, cfg.min_scale, cfg.max_scale)),
    ]  # fmt: skip


def check_damped_scale(fn: Callable) -> Verdict:
    """Exercise 6: `fn(scale, factor, scale_lr, min_scale, max_scale)` -> the new scale."""
    return check(
        "damped_scale",
        fn,
        reference_damped_scale,
        damping_cases(),
        DAMPING_MISTAKES,
        hint="scale * ((1 - scale_lr) + scale_lr * factor), kept within [min_scale, max_scale]",
    )
