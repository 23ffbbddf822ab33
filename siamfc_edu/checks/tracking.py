"""Checks of exercise notebook 06 (the tracker's step, Section 2.4 of the paper).

Every exercise has the signature of the library function it rebuilds, and is compared with that
function itself (`siamfc_edu.tracker`): so the capstone puts the learner's functions into the
tracker's `Pieces` as they are.

- exercise 1, `scale_factors(cfg)`: the scale pyramid's factors s^k;
- exercise 2, `upsample(scores, size)`: every score map resized with bicubic interpolation;
- exercise 3, `scale_penalties(cfg)` and `penalise(maps, penalty)`: one factor per scale, 1 for
  the current one, and each map multiplied by its scale's factor;
- exercise 4, `hann_window(size)`, `normalise(score_map)` and
  `apply_window(normalised, window, influence)`: the cosine window, the chosen map shifted to a
  minimum of 0 and scaled to sum 1, and that map mixed with the window;
- exercise 5, `displacement(row, col, side, cfg)`: the peak's (dx, dy) from the centre in
  score-map cells, search-crop pixels and frame pixels;
- exercise 6, `damped_scale(scale, factor, cfg)`: the new size after the damped update.

Each exercise is an `Exercise` (the reference, the inputs, the typical mistakes) and a `check_*`
function that runs it. Several inputs come from a real frame: the shipped weights tracking the
face of carphone on the CPU, frame 3 (`carphone_step`, computed once).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial

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
    apply_window,
    damped_scale,
    displacement,
    hann_window,
    normalise,
    penalise,
    scale_factors,
    scale_penalties,
    upsample,
)
from . import Case, Exercise, Mistake, Verdict, compare_arrays, graded, same_kind

CLIP, OBJECT, FRAME = "carphone_pristine", "carphone_face", 3
PAPER, FIVE, TINY = get_preset("SiamFC-3s"), get_preset("SiamFC"), get_preset("tiny")


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


def typed(reason: str, compare: Callable = compare_arrays) -> Callable[[object, object], str]:
    """A comparison that first checks the type and dtype, and says why the tracker needs them."""

    def run(got: object, expected: object) -> str:
        problem = same_kind(got, expected)
        return f"{problem}: {reason}" if problem else compare(got, expected)

    return run


def rng(seed: int) -> np.random.Generator:
    """A seeded random generator: the same inputs on every run."""
    return np.random.default_rng(seed)


def bump(size: int, row: float, col: float, width: float = 3.0) -> np.ndarray:
    """A smooth score map (float32) whose peak is at (row, col)."""
    rows, cols = np.mgrid[0:size, 0:size]
    return np.exp(-((rows - row) ** 2 + (cols - col) ** 2) / (2 * width**2)).astype(np.float32)


def centred(n: int) -> np.ndarray:
    """The exponents k = -(n-1)/2 .. (n-1)/2."""
    return np.arange(n) - (n - 1) / 2


# ----------------------------------------------------------------------------- exercise 1

PYRAMID_MISTAKES = [
    Mistake(
        "exponents k = 0 .. n-1 instead of centred on 0",
        "the middle scale keeps the size (s^0 = 1): k runs from -(n-1)/2 to (n-1)/2",
        lambda cfg: cfg.scale_step ** np.arange(cfg.scale_num),
    ),
    Mistake(
        "linear steps 1 + k (s - 1) instead of powers s^k",
        "the pyramid is geometric: each scale is s times the one before, so the factor is s**k",
        lambda cfg: 1 + centred(cfg.scale_num) * (cfg.scale_step - 1),
    ),
    Mistake(
        "evenly spaced factors (np.linspace) between the smallest and the largest",
        "evenly spaced factors are not powers: the middle one is then not 1; use s**k",
        lambda cfg: np.linspace(*cfg.scale_step ** centred(cfg.scale_num)[[0, -1]], cfg.scale_num),
    ),
    Mistake(
        "the order reversed (the largest factor first)",
        "k increases along the pyramid: the smallest factor s^-(n-1)/2 comes first",
        lambda cfg: cfg.scale_step ** (-centred(cfg.scale_num)),
    ),
    Mistake(
        "exponents from -n // 2 (Python reads it as (-n) // 2, which is -2 for n = 3)",
        "unary minus binds before //: -3 // 2 == -2; write -(n // 2), or (n - 1) / 2",
        lambda cfg: cfg.scale_step ** np.arange(-cfg.scale_num // 2, cfg.scale_num // 2),
    ),
]


def pyramid_cases() -> list[Case]:
    """The paper's 3 scales, the shipped tiny preset, SiamFC's 5 scales, one scale, 7 scales."""
    return [
        Case("SiamFC-3s: 3 scales, step 1.0375", (PAPER,)),
        Case("the shipped tiny preset: 3 scales, step 1.06", (TINY,)),
        Case("SiamFC (5 scales, step 1.0255)", (FIVE,)),
        Case("one scale (no pyramid)", (PAPER.replace(scale_num=1),)),
        Case("7 scales, step 1.1", (PAPER.replace(scale_num=7, scale_step=1.1),)),
    ]


SCALE_FACTORS = Exercise(
    "scale_factors",
    scale_factors,
    pyramid_cases,
    PYRAMID_MISTAKES,
    compare=typed("the tracker multiplies the search side by them, a numpy array of float64"),
    hint="factor k is cfg.scale_step ** k for k = -(n-1)/2, ..., (n-1)/2, in increasing order",
)


@graded
def check_scale_factors(fn: Callable) -> Verdict:
    """Exercise 1: `fn(cfg)` -> the cfg.scale_num factors s^k, smallest first."""
    return SCALE_FACTORS.check(fn)


# ----------------------------------------------------------------------------- exercise 2

MAPS_TYPE = ("the tracker needs the maps as one numpy array of float32 (it reshapes them, "
             "multiplies them by a numpy penalty and keeps them in the TrackStep)")  # fmt: skip


def resize_all(scores: np.ndarray, size: int, interpolation: int) -> np.ndarray:
    """Each map resized to size x size with one of OpenCV's interpolations."""
    return np.stack([cv2.resize(m, (size, size), interpolation=interpolation) for m in scores])


def torch_corners(scores: np.ndarray, size: int) -> np.ndarray:
    """torch's bicubic interpolation with align_corners=True (corner pixels aligned)."""
    maps = torch.from_numpy(np.ascontiguousarray(scores))[:, None]
    return F.interpolate(maps, size=(size, size), mode="bicubic", align_corners=True)[:, 0].numpy()


UPSAMPLE_MISTAKES = [
    Mistake(
        "bilinear instead of bicubic interpolation",
        "the paper upsamples with bicubic interpolation: interpolation=cv2.INTER_CUBIC",
        lambda scores, size: resize_all(scores, size, cv2.INTER_LINEAR),
    ),
    Mistake(
        "nearest-neighbour instead of bicubic interpolation",
        "nearest copies each cell into a 16 x 16 block and places the peak no better than "
        "before: interpolation=cv2.INTER_CUBIC",
        lambda scores, size: resize_all(scores, size, cv2.INTER_NEAREST),
    ),
    Mistake(
        "resizing to size - 1 (271 instead of 272)",
        "the new side is `size` itself (cfg.upscale_size = 17 * 16 = 272)",
        lambda scores, size: resize_all(scores, size - 1, cv2.INTER_CUBIC),
    ),
    Mistake(
        "align_corners=True in torch's interpolate",
        "cv2.resize (the reference) aligns pixel centres, like align_corners=False in torch",
        torch_corners,
    ),
]


def upsample_cases() -> list[Case]:
    """Carphone's 3 raw maps, a batch of one, a peak on the border, 5 noisy maps, 9 -> 40."""
    _, _, step = carphone_step()
    return [
        Case("the 3 raw 17 x 17 maps of carphone frame 3, to 272", (step.raw_scores, 272)),
        Case("a batch of one map, to 272", (bump(17, 7.3, 9.6)[None], 272)),
        Case("a map whose peak is on the border (row 0, col 16), to 272",
             (bump(17, 0, 16)[None], 272)),
        Case("5 noisy 17 x 17 maps (seed 6), to 136",
             (rng(6).normal(0, 1, (5, 17, 17)).astype(np.float32), 136)),
        Case("2 maps of 9 x 9, to 40 (not a multiple)",
             (rng(7).normal(0, 1, (2, 9, 9)).astype(np.float32), 40)),
    ]  # fmt: skip


UPSAMPLE = Exercise(
    "upsample",
    upsample,
    upsample_cases,
    UPSAMPLE_MISTAKES,
    compare=typed(MAPS_TYPE),
    hint="resize every map to size x size with cv2.INTER_CUBIC, then np.stack them: an array "
    "of shape (S, size, size)",
)


@graded
def check_upsample(fn: Callable) -> Verdict:
    """Exercise 2: `fn(scores, size)` -> (S, size, size) float32, bicubic."""
    return UPSAMPLE.check(fn)


# ----------------------------------------------------------------------------- exercise 3a


def factors(cfg: SiamFCConfig, penalised: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """float32 factors: cfg.scale_penalty where penalised(k) (k the exponents), else 1."""
    k = centred(cfg.scale_num)
    return np.where(penalised(k), cfg.scale_penalty, 1.0).astype(np.float32)


PENALTIES_MISTAKES = [
    Mistake(
        "penalising the middle scale (the current size) instead of the others",
        "a change of size must earn it: the scales k != 0 get the penalty, the middle one "
        "(index S // 2) gets 1",
        lambda cfg: factors(cfg, lambda k: k == 0),
    ),
    Mistake(
        "penalising every scale, the middle one too",
        "the middle scale (index S // 2) keeps the current size: its factor is 1",
        lambda cfg: np.full(cfg.scale_num, cfg.scale_penalty, dtype=np.float32),
    ),
    Mistake(
        "penalising only the first and the last scale (right for 3 scales only)",
        "with 5 scales, every scale but the middle one (index S // 2) is penalised",
        lambda cfg: factors(cfg, lambda k: np.abs(k) == np.abs(k).max()),
    ),
    Mistake(
        "1 / scale_penalty for the other scales (a bonus, not a penalty)",
        "the penalty 0.9745 < 1 must lower the other scales' scores: their factor is "
        "scale_penalty itself",
        lambda cfg: np.where(centred(cfg.scale_num) == 0, 1, 1 / cfg.scale_penalty).astype(
            np.float32
        ),
    ),
    Mistake(
        "the factor 1 on the first scale (index 0) instead of the middle one",
        "the current size is the middle of the pyramid, s^0 = 1 at index S // 2",
        lambda cfg: np.r_[1.0, np.full(cfg.scale_num - 1, cfg.scale_penalty)].astype(np.float32),
    ),
    Mistake(
        "a penalty growing with the distance, scale_penalty ** |k|",
        "the authors' tracker gives every scale change the same factor scale_penalty",
        lambda cfg: (cfg.scale_penalty ** np.abs(centred(cfg.scale_num))).astype(np.float32),
    ),
]


def penalties_cases() -> list[Case]:
    """The paper's 3 scales, SiamFC's 5, one scale, 7 scales."""
    return [
        Case("SiamFC-3s: 3 scales, penalty 0.9745", (PAPER,)),
        Case("SiamFC: 5 scales, penalty 0.962", (FIVE,)),
        Case("one scale (nothing to penalise)", (PAPER.replace(scale_num=1),)),
        Case("7 scales, penalty 0.9", (PAPER.replace(scale_num=7, scale_penalty=0.9),)),
    ]


SCALE_PENALTIES = Exercise(
    "scale_penalties",
    scale_penalties,
    penalties_cases,
    PENALTIES_MISTAKES,
    compare=typed("float32 like the score maps: a float64 penalty turns the maps into float64"),
    hint="np.full(S, cfg.scale_penalty, dtype=np.float32), then 1 at the middle index S // 2",
)


@graded
def check_scale_penalties(fn: Callable) -> Verdict:
    """Exercise 3a: `fn(cfg)` -> (S,) float32, scale_penalty everywhere but 1 in the middle."""
    return SCALE_PENALTIES.check(fn)


# ----------------------------------------------------------------------------- exercise 3b

PENALISE_MISTAKES = [
    Mistake(
        "one factor for every map: the smallest, penalty.min()",
        "each scale has its own factor: multiply map k by penalty[k] (penalty[:, None, None])",
        lambda maps, penalty: maps * penalty.min(),
    ),
    Mistake(
        "dividing by the penalty instead of multiplying",
        "the factors < 1 must lower the other scales' scores: maps * penalty[:, None, None]",
        lambda maps, penalty: maps / penalty[:, None, None],
    ),
    Mistake(
        "the maps returned unpenalised",
        "multiply each map by its scale's factor: maps * penalty[:, None, None]",
        lambda maps, penalty: maps.copy(),
    ),
]


def penalise_cases() -> list[Case]:
    """Carphone's upsampled maps, SiamFC's 5 scales, one scale, three different factors."""
    _, _, step = carphone_step()
    noisy = rng(3).normal(1, 1, (5, 17, 17)).astype(np.float32)
    return [
        Case("the 3 upsampled maps of carphone frame 3 and its penalty",
             (step.upsampled, step.penalty)),
        Case("5 scales (SiamFC), penalty 0.962", (noisy, scale_penalties(FIVE))),
        Case("one scale (nothing to penalise)", (noisy[:1], np.ones(1, np.float32))),
        Case("3 scales, 3 different factors [0.9, 1, 0.8]",
             (noisy[:3], np.array([0.9, 1.0, 0.8], np.float32))),
    ]  # fmt: skip


PENALISE = Exercise(
    "penalise",
    penalise,
    penalise_cases,
    PENALISE_MISTAKES,
    compare=typed(MAPS_TYPE),
    hint="map k times penalty[k]: maps * penalty[:, None, None], a new array",
)


@graded
def check_penalise(fn: Callable) -> Verdict:
    """Exercise 3b: `fn(maps, penalty)` -> each map times its scale's factor."""
    return PENALISE.check(fn)


# ----------------------------------------------------------------------------- exercise 4a


def summing_to_1(window: np.ndarray) -> np.ndarray:
    """A window divided by its sum."""
    return window / window.sum()


HANN_MISTAKES = [
    Mistake(
        "Hamming (np.hamming) instead of Hann (np.hanning)",
        "Hamming never reaches 0 at the ends (0.08); the authors' tracker.m uses hann: np.hanning",
        lambda size: summing_to_1(np.outer(np.hamming(size), np.hamming(size))),
    ),
    Mistake(
        "the window not normalised (its peak is about 1, not its sum)",
        "the window is mixed with a map that sums to 1: divide it by its sum",
        lambda size: np.outer(np.hanning(size), np.hanning(size)),
    ),
    Mistake(
        "normalised by its maximum instead of its sum",
        "the window is mixed with a map that sums to 1: divide it by its sum",
        lambda size: (w := np.outer(np.hanning(size), np.hanning(size))) / w.max(),
    ),
    Mistake(
        "the two 1-D windows added instead of multiplied",
        "the 2-D window is the outer product np.outer(h, h): high only near the centre",
        lambda size: summing_to_1(np.hanning(size)[:, None] + np.hanning(size)[None, :]),
    ),
    Mistake(
        "a periodic Hann window (cos(2 pi n / N) instead of cos(2 pi n / (N - 1)))",
        "np.hanning(N) is symmetric, 0 at both ends; scipy's hann(N, sym=False) is periodic",
        lambda size: summing_to_1(
            np.outer(*[0.5 - 0.5 * np.cos(2 * np.pi * np.arange(size) / size)] * 2)
        ),
    ),  # fmt: skip
    Mistake(
        "MATLAB's hanning (no zeros at the ends) instead of hann",
        "the authors' tracker.m uses hann(N), 0 at both ends: np.hanning(N) is that window",
        lambda size: summing_to_1(np.outer(*[np.hanning(size + 2)[1:-1]] * 2)),
    ),
]


HANN_WINDOW = Exercise(
    "hann_window",
    hann_window,
    [
        Case("the tracker's 272 x 272 window", (272,)),
        Case("a 17 x 17 window", (17,)),
        Case("a 6 x 6 window (even)", (6,)),
    ],
    HANN_MISTAKES,
    compare=typed(
        "the tracker mixes a numpy array of float64 into the map",
        partial(compare_arrays, atol=1e-12, rtol=1e-6),
    ),  # fmt: skip
    hint="h = np.hanning(size); the outer product np.outer(h, h), divided by its sum",
)


@graded
def check_hann_window(fn: Callable) -> Verdict:
    """Exercise 4a: `fn(size)` -> the (size, size) Hann window summing to 1."""
    return HANN_WINDOW.check(fn)


# ----------------------------------------------------------------------------- exercise 4b


def ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """top / bottom, without numpy's warning where a mistake divides 0 by 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return top / bottom


NORMALISE_MISTAKES = [
    Mistake(
        "not subtracting the minimum before dividing by the sum",
        "scores can be negative: shift the map to a minimum of 0, then divide by its sum",
        lambda m: ratio(m, m.sum()),
    ),
    Mistake(
        "dividing by the sum of the map before the shift",
        "divide the shifted map by its own sum: (r - min r) / sum(r - min r)",
        lambda m: ratio(m - m.min(), m.sum()),
    ),
    Mistake(
        "min-max normalisation, (r - min r) / (max r - min r): the peak is 1, not the sum",
        "the map must sum to 1, like the window: divide the shifted map by its sum, not by its "
        "range (its maximum)",
        lambda m: ratio(m - m.min(), m.max() - m.min()),
    ),
    Mistake(
        "standardised (mean 0, standard deviation 1) instead of minimum 0 and sum 1",
        "the map must be on the window's footing, non-negative and summing to 1",
        lambda m: ratio(m - m.mean(), m.std()),
    ),
    Mistake(
        "a softmax, exp(r) / sum(exp(r)), instead of the shift and the division",
        "a softmax also sums to 1, but exp sharpens the peak: the authors' tracker.m shifts and "
        "divides, (r - min r) / sum(r - min r)",
        lambda m: ratio(np.exp(m), np.exp(m).sum()),
    ),
    Mistake(
        "the negative scores clipped to 0 (np.maximum(r, 0)) instead of the map shifted",
        "clipping makes every negative score 0 (and a map of negative scores all 0): subtract "
        "the map's minimum, so that every cell keeps its order",
        lambda m: ratio(np.maximum(m, 0), np.maximum(m, 0).sum()),
    ),
    Mistake(
        "the maximum subtracted instead of the minimum",
        "r - max r is at most 0, and dividing by its (negative) sum turns the map upside down: "
        "the peak becomes 0; subtract the minimum",
        lambda m: ratio(m - m.max(), (m - m.max()).sum()),
    ),
]


def normalise_cases() -> list[Case]:
    """Carphone's chosen map; noisy maps of mixed, negative and positive scores; a 5 x 8 map."""
    _, _, step = carphone_step()
    noisy = rng(4).normal(0, 1, (17, 17)).astype(np.float32) + bump(17, 5, 11)
    return [
        Case("the chosen (penalised) map of carphone frame 3", (step.penalised[step.best_scale],)),
        Case("a noisy 17 x 17 map of positive and negative scores", (noisy,)),
        Case("a map of negative scores only", (noisy - 10,)),
        Case("a map of positive scores only (its minimum above 0)", (noisy + 10,)),
        Case("a 5 x 8 map (not square)", (rng(5).normal(0, 1, (5, 8)).astype(np.float32),)),
    ]


NORMALISE = Exercise(
    "normalise",
    normalise,
    normalise_cases,
    NORMALISE_MISTAKES,
    # the values are about 1 / 272^2 = 1.4e-5: the default absolute tolerance would hide them
    compare=typed(
        "keep the map's dtype (a float32 map stays float32, as in the TrackStep); the tracker "
        "mixes it with the window and takes the argmax of a numpy array",
        partial(compare_arrays, atol=1e-10, rtol=1e-4),
    ),  # fmt: skip
    hint="subtract the map's minimum, then divide by the sum of the shifted map",
)


@graded
def check_normalise(fn: Callable) -> Verdict:
    """Exercise 4b: `fn(score_map)` -> the map shifted to a minimum of 0 and scaled to sum 1."""
    return NORMALISE.check(fn)


# ----------------------------------------------------------------------------- exercise 4c

WINDOW_MISTAKES = [
    Mistake(
        "the weights swapped: influence on the map, 1 - influence on the window",
        "influence is the window's weight: (1 - influence) * normalised + influence * window",
        lambda n, w, i: i * n + (1 - i) * w,
    ),
    Mistake(
        "the map not weighted by 1 - influence",
        "the two weights sum to 1: (1 - influence) * normalised + influence * window",
        lambda n, w, i: n + i * w,
    ),
    Mistake(
        "the window not weighted by influence",
        "influence is the window's weight: (1 - influence) * normalised + influence * window",
        lambda n, w, i: (1 - i) * n + w,
    ),
    Mistake(
        "the map multiplied by the window instead of mixed with it",
        "the window is added, weighted: (1 - influence) * normalised + influence * window (a "
        "product would make every cell on the border 0, whatever its score)",
        lambda n, w, i: n * w,
    ),
    Mistake(
        "the mixed map normalised again (the window mixed in before normalising)",
        "the map comes normalised and the window sums to 1, so their mix sums to 1 already: "
        "return (1 - influence) * normalised + influence * window as it is",
        lambda n, w, i: normalise((1 - i) * n + i * w),
    ),
]


def window_cases() -> list[Case]:
    """Carphone's normalised map with three influences, a noisy normalised map, the window alone."""
    cfg, _, step = carphone_step()
    window = hann_window(cfg.upscale_size)
    noisy = normalise(rng(4).normal(0, 1, (17, 17)).astype(np.float32) + bump(17, 5, 11))
    return [
        Case("the normalised map of carphone frame 3, influence 0.35 (tiny)",
             (step.normalised, window, 0.35)),
        Case("the same map, influence 0.176 (the authors' code)", (step.normalised, window, 0.176)),
        Case("influence 0 (the map alone)", (step.normalised, window, 0.0)),
        Case("a noisy 17 x 17 normalised map, its own window, influence 0.3",
             (noisy, hann_window(17), 0.3)),
        Case("influence 1 (the window alone)", (noisy, hann_window(17), 1.0)),
    ]  # fmt: skip


APPLY_WINDOW = Exercise(
    "apply_window",
    apply_window,
    window_cases,
    WINDOW_MISTAKES,
    compare=typed(
        "a float32 map mixed with the float64 window is float64 in numpy, leave it so; the "
        "tracker takes the argmax of a numpy array",
        partial(compare_arrays, atol=1e-10, rtol=1e-4),
    ),  # fmt: skip
    hint="(1 - influence) * normalised + influence * window, a new array",
)


@graded
def check_apply_window(fn: Callable) -> Verdict:
    """Exercise 4c: `fn(normalised, window, influence)` -> the map mixed with the window."""
    return APPLY_WINDOW.check(fn)


# ----------------------------------------------------------------------------- exercise 5

UNITS = ("score-map cells", "search-crop pixels", "frame pixels")


def moved(row, col, side, cfg, centre=None, swap=False, stride=None, ratio=None, up=None):
    """A displacement like the library's, with the knobs that the typical mistakes turn."""
    c = (cfg.upscale_size - 1) / 2 if centre is None else centre(cfg.upscale_size)
    offset = np.array([row, col] if swap else [col, row]) - c
    cells = offset / (cfg.response_up if up is None else up)
    crop = cells * (cfg.total_stride if stride is None else stride)
    frame = crop * (side / cfg.instance_size if ratio is None else ratio(side, cfg))
    return cells, crop, frame


DISPLACEMENT_MISTAKES = [
    Mistake(
        "an off-by-one centre: upscale_size / 2 instead of (upscale_size - 1) / 2",
        "cells are numbered 0 .. 271, so the centre of the 272 x 272 map is 135.5, not 136",
        lambda r, c, s, cfg: moved(r, c, s, cfg, centre=lambda n: n / 2),
    ),
    Mistake(
        "the centre as upscale_size // 2 (right for an odd size only)",
        "with 272 cells numbered 0 .. 271 the centre falls between two cells: (272 - 1) / 2",
        lambda r, c, s, cfg: moved(r, c, s, cfg, centre=lambda n: n // 2),
    ),
    Mistake(
        "the offset measured from the corner (0, 0) instead of the centre",
        "a peak in the middle of the map means no motion: subtract the centre (N - 1) / 2",
        lambda r, c, s, cfg: moved(r, c, s, cfg, centre=lambda n: 0),
    ),
    Mistake(
        "(row, col) order: (dy, dx) returned instead of (dx, dy)",
        "x is the column, y the row: dx comes from col, dy from row",
        lambda r, c, s, cfg: moved(r, c, s, cfg, swap=True),
    ),
    Mistake(
        "forgetting the total stride: score-map cells used as crop pixels",
        "one score-map cell is cfg.total_stride = 8 pixels of the search crop",
        lambda r, c, s, cfg: moved(r, c, s, cfg, stride=1),
    ),
    Mistake(
        "forgetting to divide by response_up: upsampled cells used as score-map cells",
        "the peak is found on the map upsampled x16: divide its offset by cfg.response_up",
        lambda r, c, s, cfg: moved(r, c, s, cfg, up=1),
    ),
    Mistake(
        "scaling by the exemplar size 127 instead of the instance size 255",
        "the search crop is cfg.instance_size = 255 pixels wide for `side` frame pixels: "
        "multiply by side / cfg.instance_size",
        lambda r, c, s, cfg: moved(r, c, s, cfg, ratio=lambda a, cfg: a / cfg.exemplar_size),
    ),
    Mistake(
        "the crop-to-frame ratio upside down: instance_size / side",
        "a crop pixel is side / instance_size frame pixels (the region was resized to 255)",
        lambda r, c, s, cfg: moved(r, c, s, cfg, ratio=lambda a, cfg: cfg.instance_size / a),
    ),
    Mistake(
        "the search side in frame pixels left out: crop pixels returned as frame pixels",
        "the crop was resized from `side` frame pixels to instance_size: multiply by "
        "side / cfg.instance_size",
        lambda r, c, s, cfg: moved(r, c, s, cfg, ratio=lambda a, cfg: 1.0),
    ),
]


def displacement_cases() -> list[Case]:
    """The centre, the cells nearest it, both borders, a corner, odd places, carphone's peak."""
    cfg, _, step = carphone_step()
    unscaled, stride4 = PAPER.replace(response_up=1), PAPER.replace(total_stride=4)
    best, (row, col) = step.best_scale, step.peak
    return [
        Case("the centre of a 17 x 17 map (response_up 1)", (8, 8, 200.0, unscaled)),
        Case("a peak off the centre of a 17 x 17 map: (3, 12)", (3, 12, 200.0, unscaled)),
        Case("a peak next to the centre: (135, 136)", (135, 136, 200.0, PAPER)),
        Case("a peak on the top border: (0, 140)", (0, 140, 180.5, PAPER)),
        Case("a peak on the right border: (100, 271)", (100, 271, 180.5, PAPER)),
        Case("the bottom-left corner: (271, 0)", (271, 0, 96.0, PAPER)),
        Case("total stride 4 (a 33 x 33 map, 528 upsampled): (37, 401), side 311.7",
             (37, 401, 311.7, stride4)),
        Case("the peak of carphone frame 3", (row, col, float(step.search_sides[best]), cfg)),
    ]  # fmt: skip


def compare_displacement(got: object, expected: tuple) -> str:
    """'' when the three (dx, dy) arrays match, else which unit is wrong and how."""
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        length = f" of length {len(got)}" if isinstance(got, (tuple, list)) else ""
        return f"expected a tuple (cells, crop_px, frame_px), got a {type(got).__name__}{length}"
    reason = "each displacement is a numpy array (dx, dy) that the tracker adds to its centre"
    for unit, mine, theirs in zip(UNITS, got, expected, strict=True):
        problem = typed(reason)(mine, theirs)
        if problem:
            return f"the displacement in {unit}: {problem}"
    return ""


DISPLACEMENT = Exercise(
    "displacement",
    displacement,
    displacement_cases,
    DISPLACEMENT_MISTAKES,
    compare=compare_displacement,
    hint="offset from the centre (cfg.upscale_size - 1) / 2 as (col, row); / response_up gives "
    "cells, x total_stride crop pixels, x side / instance_size frame pixels",
)


@graded
def check_displacement(fn: Callable) -> Verdict:
    """Exercise 5: `fn(row, col, side, cfg)` -> (cells, crop_px, frame_px), each (dx, dy)."""
    return DISPLACEMENT.check(fn)


# ----------------------------------------------------------------------------- exercise 6


def clipped(value: float, cfg: SiamFCConfig) -> float:
    """value within [cfg.min_scale, cfg.max_scale], as a float."""
    return float(np.clip(value, cfg.min_scale, cfg.max_scale))


DAMPING_MISTAKES = [
    Mistake(
        "no damping: the scale multiplied by the whole factor",
        "the size moves only part of the way: scale * ((1 - scale_lr) + scale_lr * factor)",
        lambda scale, factor, cfg: clipped(scale * factor, cfg),
    ),
    Mistake(
        "damping towards the factor's inverse: scale_lr / factor instead of scale_lr * factor",
        "a larger search region (factor > 1) means a larger target: multiply by the factor",
        lambda s, f, cfg: clipped(s * ((1 - cfg.scale_lr) + cfg.scale_lr / f), cfg),
    ),
    Mistake(
        "no clipping to [min_scale, max_scale]",
        "the size stays between min_scale and max_scale times the first one: np.clip",
        lambda s, f, cfg: s * ((1 - cfg.scale_lr) + cfg.scale_lr * f),
    ),
    Mistake(
        "mixing the old scale with the factor, (1 - lr) * scale + lr * factor",
        "damp the factor, then multiply: scale * ((1 - scale_lr) + scale_lr * factor)",
        lambda s, f, cfg: clipped((1 - cfg.scale_lr) * s + cfg.scale_lr * f, cfg),
    ),
    Mistake(
        "the weights swapped: scale_lr on 1, 1 - scale_lr on the factor",
        "scale_lr is the learning rate of the change: (1 - scale_lr) + scale_lr * factor",
        lambda s, f, cfg: clipped(s * (cfg.scale_lr + (1 - cfg.scale_lr) * f), cfg),
    ),
    Mistake(
        "the damped change added: scale + scale_lr * (factor - 1)",
        "the change is relative to the current size: multiply, scale * (1 + scale_lr * "
        "(factor - 1))",
        lambda s, f, cfg: clipped(s + cfg.scale_lr * (f - 1), cfg),
    ),
    Mistake(
        "damping in log space, factor ** scale_lr",
        "the authors' tracker damps linearly: (1 - scale_lr) + scale_lr * factor",
        lambda s, f, cfg: clipped(s * f**cfg.scale_lr, cfg),
    ),
]


def damping_cases() -> list[Case]:
    """Growing, shrinking, unchanged, clipped at both ends, no damping, carphone's frame 3."""
    cfg, before, step = carphone_step()
    factor = float(step.scale_factors[step.best_scale])
    return [
        Case("a larger scale wins (factor 1.06) from scale 1", (1.0, 1.06, TINY)),
        Case("a smaller scale wins (factor 1/1.0375) from scale 1.3", (1.3, 1 / 1.0375, PAPER)),
        Case("the current scale wins (factor 1) at scale 0.8", (0.8, 1.0, PAPER)),
        Case("growing past max_scale 5 (clipped)", (4.95, 1.06, TINY)),
        Case("shrinking below min_scale 0.2 (clipped)", (0.201, 1 / 1.06, TINY)),
        Case("scale_lr 1 (no damping), SiamFC's 5 scales",
             (2.0, 1.0255**2, FIVE.replace(scale_lr=1.0))),
        Case("carphone frame 3", (before, factor, cfg)),
    ]  # fmt: skip


DAMPED_SCALE = Exercise(
    "damped_scale",
    damped_scale,
    damping_cases,
    DAMPING_MISTAKES,
    compare=typed("the tracker's scale is a number"),
    hint="scale * ((1 - cfg.scale_lr) + cfg.scale_lr * factor), kept within "
    "[cfg.min_scale, cfg.max_scale]",
)


@graded
def check_damped_scale(fn: Callable) -> Verdict:
    """Exercise 6: `fn(scale, factor, cfg)` -> the new scale, a float."""
    return DAMPED_SCALE.check(fn)
