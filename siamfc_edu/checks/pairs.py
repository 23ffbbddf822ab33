"""Checks of exercise notebook 04 (training pairs, Section 2.4 and Fig. 2 of the paper).

- `check_context_size` serves exercise 1a, `context_size(w, h, context=0.5)`, the library's
  signature: the side sqrt((w + p)(h + p)), p = context (w + h), of the exemplar's square,
  compared with `siamfc_edu.crops.context_size` itself;
- `check_search_side` serves exercise 1b, `search_side(w, h, cfg)`, the library's signature:
  that side (context cfg.context) times cfg.instance_size / cfg.exemplar_size (255/127 in every
  preset), compared with `siamfc_edu.crops.search_side` itself, on SiamFC-3s and on configs
  with another context and other crop sizes (so that hard-coded numbers are caught);
- `check_crop_and_resize` serves exercise 2, `crop_and_resize(image, center, side, out_size,
  pad_color=None)`, the library's signature (the tracker's `Pieces.crop`): the square of `side`
  px centred on (cx, cy), padded with `pad_color` (None: the frame's mean colour), resized
  (bilinear), compared with `siamfc_edu.crops.crop_and_resize` itself. A crop must be uint8,
  like the frame; each value may be 1 grey level off on a few values (`compare_crops`: OpenCV
  resizes uint8 in fixed point, a right crop computed in floating point differs there);
- `check_exemplar_from_box` serves exercise 3, `exemplar_from_box(image, box)`: the 127 x 127
  exemplar z of a box in OTB's 1-based convention, compared with `siamfc_edu.crops.exemplar_crop`
  of `siamfc_edu.boxes.otb_to_xywh(box)`;
- `check_pick_pair` serves exercise 4, `pick_pair(frame_ids, max_gap, rng)`: two frame indices
  at most T frames apart. Any way of drawing that follows the rules passes: the learner's function
  and the library's `siamfc_edu.data.pairs.sample_frame_pair` are each drawn `N_DRAWS` times on
  every track, and the sets of pairs they give must be equal (no pair the rules forbid, every
  pair they allow), and the same seed must give the same pairs. So this exercise compares
  `Draws`: its reference and its mistakes are functions of (frame_ids, max_gap) that draw.

Several inputs come from a real frame: frame 0 of the shipped clip carphone with the hand-drawn
box of the face. Each exercise is a public `Exercise` (`CONTEXT_SIZE`, ..., `PICK_PAIR`) with its
inputs and typical mistakes (`CONTEXT_MISTAKES`, ...), so that the tests can make every mistake
and see it named; each `check_*` runs one in grading mode too (`graded`).
"""

from __future__ import annotations

import math
import operator
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from ..boxes import otb_to_xywh, xywh_to_otb
from ..config import SiamFCConfig, get_preset
from ..crops import context_size, crop_and_resize, exemplar_crop, search_side
from ..data.pairs import sample_frame_pair
from ..images import mean_color
from . import (
    Case,
    Exercise,
    Mistake,
    Verdict,
    as_array,
    compare_arrays,
    graded,
    same_kind,
    type_name,
)

CFG = get_preset()  # SiamFC-3s: context 0.5, z 127 px, x 255 px
N_DRAWS = 3000  # pairs drawn per track in exercise 4
CLIP, OBJECT = "carphone_pristine", "carphone_face"


@lru_cache(maxsize=1)
def carphone() -> tuple[np.ndarray, np.ndarray]:
    """Frame 0 of carphone (144 x 176 RGB) and the face's hand-drawn 0-based [x, y, w, h] box."""
    from ..data.footage import SHIPPED_VIDEOS, read_video
    from ..data.real import read_annotations, real_set_files

    frame = read_video(CLIP, max_frames=1)[0]
    boxes = read_annotations(real_set_files()[f"{CLIP}:{OBJECT}"], SHIPPED_VIDEOS[CLIP][2])
    return frame, boxes[0]


def synthetic_frame(height: int, width: int, seed: int) -> np.ndarray:
    """A colourful uint8 RGB frame: a gradient per channel, a wave pattern and noise (seeded)."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float64)
    red = 40 + 180 * cols / max(width - 1, 1)
    green = 30 + 200 * rows / max(height - 1, 1)
    blue = 128 + 60 * np.sin(cols / 5.0) * np.cos(rows / 7.0)
    image = np.stack([red, green, blue], axis=-1) + rng.normal(0, 12, (height, width, 3))
    return np.clip(image, 0, 255).round().astype(np.uint8)


def grayish_frame(height: int, width: int, seed: int) -> np.ndarray:
    """A small, nearly gray uint8 frame (each channel's mean a little apart, never a whole)."""
    rng = np.random.default_rng(seed)
    image = np.array([124.0, 120.0, 117.0]) + rng.normal(0, 6, (height, width, 3))
    return np.clip(image, 0, 255).round().astype(np.uint8)


# ----------------------------------------------------------------------------- exercise 1


def compare_side(got: object, expected: object) -> str:
    """'' when the two sides agree (relative 1e-6); else both numbers, or what came back instead."""
    if problem := same_kind(got, expected):
        return problem
    value = float(got)
    if not math.isfinite(value):
        return f"{value} where the reference gives {float(expected):.6g}"
    if abs(value - float(expected)) > 1e-6 * max(1.0, abs(float(expected))):
        return f"the side is {value:.6g}, expected {float(expected):.6g}"
    return ""


def _margin(w: float, h: float, context: float) -> float:
    return context * (w + h)


CONTEXT_MISTAKES = [
    Mistake(
        "the paper's p = (w + h)/4 in the formula sqrt((w + p)(h + p))",
        "the paper's (w + h)/4 is the margin on EACH side, for (w + 2p)(h + 2p); in "
        "sqrt((w + p)(h + p)) p = context * (w + h) is the whole margin",
        lambda w, h, context=0.5: math.sqrt(
            (w + _margin(w, h, context) / 2) * (h + _margin(w, h, context) / 2)
        ),
    ),
    Mistake(
        "(w + 2p)(h + 2p) with p = context (w + h): the margin counted twice",
        "p = context * (w + h) is already the margin of both sides together: "
        "the side is sqrt((w + p)(h + p))",
        lambda w, h, context=0.5: math.sqrt(
            (w + 2 * _margin(w, h, context)) * (h + 2 * _margin(w, h, context))
        ),
    ),
    Mistake(
        "no square root: the area (w + p)(h + p), not the side",
        "the square has the area (w + p)(h + p), so its side is the square root of that",
        lambda w, h, context=0.5: (w + _margin(w, h, context)) * (h + _margin(w, h, context)),
    ),
    Mistake(
        "the mean of the two sides, ((w + p) + (h + p)) / 2, not sqrt((w + p)(h + p))",
        "the square keeps the AREA of the padded box: its side is the geometric mean "
        "sqrt((w + p)(h + p))",
        lambda w, h, context=0.5: (w + h) / 2 + _margin(w, h, context),
    ),
    Mistake(
        "the argument `context` ignored (always 0.5)",
        "use the argument: p = context * (w + h)",
        lambda w, h, context=0.5: context_size(w, h, 0.5),
    ),
]

CONTEXT_CASES = [
    Case("a square 40 x 40 box", (40, 40)),
    Case("a wide 100 x 20 box", (100, 20)),
    Case("a tall 12 x 50 box", (12, 50)),
    Case("a fractional 33.5 x 17.25 box", (33.5, 17.25)),
    Case("a 60 x 30 box with context 0.3", (60, 30), {"context": 0.3}),
    Case("a 30 x 20 box with no context (context 0)", (30, 20), {"context": 0.0}),
    Case("a 1 x 1 box", (1, 1)),
]


CONTEXT_SIZE = Exercise(
    "context_size",
    context_size,
    CONTEXT_CASES,
    CONTEXT_MISTAKES,
    compare=compare_side,
    hint="p = context * (w + h); the side is math.sqrt((w + p) * (h + p))",
)


@graded
def check_context_size(fn: Callable) -> Verdict:
    """Exercise 1a: `fn(w, h, context=0.5)` against `context_size`."""
    return CONTEXT_SIZE.check(fn)


def _exemplar(w: float, h: float, cfg: SiamFCConfig) -> float:
    return context_size(w, h, cfg.context)


def _ratio(cfg: SiamFCConfig) -> float:
    return cfg.instance_size / cfg.exemplar_size


SEARCH_MISTAKES = [
    Mistake(
        "the ratio inverted: exemplar_size / instance_size (127/255)",
        "x is the LARGER crop: its square is the exemplar's times "
        "cfg.instance_size / cfg.exemplar_size (255/127, about 2)",
        lambda w, h, cfg: _exemplar(w, h, cfg) * cfg.exemplar_size / cfg.instance_size,
    ),
    Mistake(
        "the integer division instance_size // exemplar_size (255 // 127 = 2)",
        "255 // 127 is 2; the factor is the true ratio cfg.instance_size / cfg.exemplar_size",
        lambda w, h, cfg: _exemplar(w, h, cfg) * (cfg.instance_size // cfg.exemplar_size),
    ),
    Mistake(
        "instance_size - exemplar_size (128 px) added instead of a factor",
        "z and x are resized by the same factor 127/s_z, so x's square is "
        "s_z * cfg.instance_size / cfg.exemplar_size",
        lambda w, h, cfg: _exemplar(w, h, cfg) + (cfg.instance_size - cfg.exemplar_size),
    ),
    Mistake(
        "no context: sqrt(w h) * instance_size / exemplar_size",
        "start from the exemplar's square with its margin, context_size(w, h, cfg.context)",
        lambda w, h, cfg: math.sqrt(w * h) * _ratio(cfg),
    ),
    Mistake(
        "the side rounded to whole pixels",
        "return the exact side: the crop rounds it to pixels itself, once, at the end",
        lambda w, h, cfg: round(search_side(w, h, cfg)),
    ),
    Mistake(
        "the numbers 255 and 127 written in, not cfg.instance_size and cfg.exemplar_size",
        "read the crop sizes from cfg: cfg.instance_size / cfg.exemplar_size",
        lambda w, h, cfg: _exemplar(w, h, cfg) * 255 / 127,
    ),
    Mistake(
        "cfg.context ignored: context_size(w, h) with its default 0.5",
        "pass the config's context on: context_size(w, h, cfg.context)",
        lambda w, h, cfg: context_size(w, h) * _ratio(cfg),
    ),
]


def search_cases() -> list[Case]:
    """SiamFC-3s on four boxes, then configs with another context and other crop sizes."""
    wide = get_preset(context=0.3)
    small = get_preset(exemplar_size=63, instance_size=191)  # ratio 3.03: // gives 3
    return [
        Case("a square 40 x 40 box (SiamFC-3s)", (40, 40, CFG)),
        Case("a wide 100 x 20 box (SiamFC-3s)", (100, 20, CFG)),
        Case("a fractional 33.5 x 17.25 box (SiamFC-3s)", (33.5, 17.25, CFG)),
        Case("a 1 x 1 box (SiamFC-3s)", (1, 1, CFG)),
        Case("a 60 x 30 box, cfg.context = 0.3", (60, 30, wide)),
        Case("a 40 x 24 box, crops of 63 and 191 px", (40, 24, small)),
    ]


SEARCH_SIDE = Exercise(
    "search_side",
    search_side,
    search_cases,
    SEARCH_MISTAKES,
    compare=compare_side,
    hint="context_size(w, h, cfg.context) * cfg.instance_size / cfg.exemplar_size",
)


@graded
def check_search_side(fn: Callable) -> Verdict:
    """Exercise 1b: `fn(w, h, cfg)` against the library's `search_side`."""
    return SEARCH_SIDE.check(fn)


# ----------------------------------------------------------------------------- exercise 2


UINT8_WHY = (
    "a crop stays uint8 like the frame it comes from: the colour jitter of training (cv2.add) "
    "saturates at 0 and 255 on uint8, and to_tensor reads H x W x 3 uint8 images"
)
ROUNDING_SHARE = 0.2  # the share of values a float computation may put 1 grey level off


def compare_crops(got: object, expected: object, kind: bool = True) -> str:
    """'' when the crops agree within OpenCV's rounding; else the dtype, shape or worst pixel.

    OpenCV resizes uint8 images in fixed point: a crop computed in floating point and rounded
    may differ by 1 grey level on some values (here at most 12% of them). So each value may be
    1 off, on at most ROUNDING_SHARE of the values; a padding colour off by one is more.
    The type and dtype first, unless kind=False.
    """
    if kind and (problem := same_kind(got, expected)):
        return f"{problem}: {UINT8_WHY}"
    if kind and got.dtype != np.uint8:
        return f"returned a numpy array of dtype {got.dtype}; expected uint8: {UINT8_WHY}"
    try:
        got_a = as_array(got)
    except (TypeError, ValueError):
        return f"returned {type_name(got)}; expected a numpy array"
    if got_a.shape != expected.shape:
        return f"shape {got_a.shape}, expected {expected.shape}"
    off = np.abs(got_a - expected.astype(np.float64))
    if off.max() <= 1 and np.mean(off > 0) <= ROUNDING_SHARE:
        return ""
    problem = compare_arrays(got_a, expected, atol=0.5, rtol=0.0, kind=False).replace(
        "at index", "at (row, col, channel)"
    )
    if off.max() <= 1:
        problem += " (1 grey level off on more values than OpenCV's rounding explains)"
    return problem


ROUNDINGS = {"round": round, "int": int, "half up": lambda v: math.floor(v + 0.5)}


def _visible_mean(image: np.ndarray, x1: int, y1: int, side_px: int) -> np.ndarray:
    """The mean colour of the part of the square inside the frame (0 where none is: NaN cast)."""
    part = image[max(y1, 0) : max(y1 + side_px, 0), max(x1, 0) : max(x1 + side_px, 0)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nan_to_num(part.reshape(-1, 3).mean(axis=0)).round()


def _crop(
    image: np.ndarray,
    center: tuple[float, float],
    side: float,
    out_size: int,
    pad_color: tuple[float, ...] | None = None,
    pad: str = "mean",
    window: str = "centred",
    rounding: str = "round",
    swapped: bool = False,
    interpolation: int = cv2.INTER_LINEAR,
) -> np.ndarray:
    """A crop like the library's, with the knobs the typical mistakes turn.

    pad: 'mean' (pad_color, or else the frame's mean colour, rounded per channel), 'zero',
    'replicate' (cv2's border), 'truncated' (that colour cast to uint8), 'gray' (one mean over
    all channels), 'visible' (the mean of the part of the square inside the frame), 'ignored'
    (the frame's mean colour even when pad_color is given); 'gray' and 'visible' are how the
    mean is computed, so they use pad_color when it is given. window: 'centred'
    (x1 = cx - (side - 1)/2), 'corner' (the centre taken as the top-left pixel), 'half'
    (x1 = cx - side/2). rounding: a key of ROUNDINGS, for the side and the corner. swapped: the
    centre read as (row, col).
    """
    to_int = ROUNDINGS[rounding]
    cx, cy = center[::-1] if swapped else center
    side_px = max(1, to_int(side))
    offset = {"centred": (side_px - 1) / 2, "corner": 0.0, "half": side_px / 2}[window]
    x1, y1 = to_int(cx - offset), to_int(cy - offset)
    height, width = image.shape[:2]
    top, left = max(0, -y1), max(0, -x1)
    bottom, right = max(0, y1 + side_px - height), max(0, x1 + side_px - width)
    if pad == "replicate":
        padded = cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_REPLICATE)
    else:
        given = None if pad_color is None else np.asarray(pad_color[:3], dtype=np.float64)
        color = {
            "mean": lambda: image.mean(axis=(0, 1)).round(),
            "ignored": lambda: image.mean(axis=(0, 1)).round(),
            "zero": lambda: np.zeros(3),
            "truncated": lambda: np.floor(image.mean(axis=(0, 1)) if given is None else given),
            "gray": lambda: np.full(3, image.mean()).round(),
            "visible": lambda: _visible_mean(image, x1, y1, side_px),
        }[pad]()
        if given is not None and pad in ("mean", "gray", "visible"):
            color = given.round()
        padded = np.empty((height + top + bottom, width + left + right, 3), image.dtype)
        padded[:] = color.astype(image.dtype)
        padded[top : top + height, left : left + width] = image
    patch = padded[y1 + top : y1 + top + side_px, x1 + left : x1 + left + side_px]
    return cv2.resize(patch, (out_size, out_size), interpolation=interpolation)


def _turned(**knobs: object) -> Callable:
    """A crop with the library's signature and these knobs of `_crop` turned: a typical mistake."""

    def crop(image, center, side, out_size, pad_color=None):
        return _crop(image, center, side, out_size, pad_color, **knobs)

    return crop


CROP_MISTAKES = [
    Mistake(
        "zero padding instead of mean padding",
        "fill the square with pad_color, or with the frame's mean colour "
        "image.mean(axis=(0, 1)) when pad_color is None, rounded, before copying the frame's "
        "part in",
        _turned(pad="zero"),
    ),
    Mistake(
        "the centre treated as the top-left corner of the square",
        "(cx, cy) is the MIDDLE of the square: x1 = round(cx - (s - 1) / 2)",
        _turned(window="corner"),
    ),
    Mistake(
        "an off-by-one window: x1 = cx - side/2 instead of cx - (side - 1)/2",
        "pixels x1 .. x1 + s - 1 have their middle at x1 + (s - 1)/2: x1 = round(cx - (s - 1) / 2)",
        _turned(window="half"),
    ),
    Mistake(
        "cv2's border replication (BORDER_REPLICATE) instead of the mean colour",
        "outside the frame there is no edge pixel to repeat: the paper fills it with the "
        "frame's mean colour (cv2.BORDER_CONSTANT with value=the mean)",
        _turned(pad="replicate"),
    ),
    Mistake(
        "the padding colour truncated, not rounded (a float colour stored in uint8)",
        "round the colour (pad_color, or the mean) before it goes into the uint8 crop: "
        "np.round(color), e.g. 127.6 -> 128, where uint8 would keep 127",
        _turned(pad="truncated"),
    ),
    Mistake(
        "one gray mean over all channels instead of the mean colour",
        "take the mean of each channel on its own: image.mean(axis=(0, 1)) gives 3 numbers",
        _turned(pad="gray"),
    ),
    Mistake(
        "int() instead of round(): the side and the corner truncated",
        "int() cuts 36.7 down to 36; round() gives the nearest whole pixel, 37",
        _turned(rounding="int"),
    ),
    Mistake(
        "ties rounded half up (floor(v + 0.5)), not half to even like Python's round",
        "on a tie, round(40.5) is 40 and round(41.5) is 42 (half to even, as np.round too); "
        "int(v + 0.5) or math.floor(v + 0.5) always goes up",
        _turned(rounding="half up"),
    ),
    Mistake(
        "the centre read as (row, col): cx and cy swapped",
        "center is (cx, cy) = (x, y): cx picks the columns (image[:, x]), cy the rows",
        _turned(swapped=True),
    ),
    Mistake(
        "the mean colour of the part inside the square, not of the whole frame",
        "pad with the mean of the WHOLE frame, image.mean(axis=(0, 1)), as the paper does",
        _turned(pad="visible"),
    ),
    Mistake(
        "cv2.INTER_AREA instead of cv2.INTER_LINEAR",
        "the library resizes bilinearly: cv2.resize(..., interpolation=cv2.INTER_LINEAR)",
        _turned(interpolation=cv2.INTER_AREA),
    ),
    Mistake(
        "pad_color ignored: the frame's mean colour computed again",
        "pad with pad_color when it is given (the tracker computes the frame's mean once and "
        "passes it to every crop); compute the mean only when pad_color is None",
        _turned(pad="ignored"),
    ),
]
GIVEN_COLOR = (180.7, 40.2, 99.6)  # a pad_color far from the frame's mean, no .5 to round


def crop_cases() -> list[Case]:
    """The inputs of exercise 2 (the real frame is read once, on the first call)."""
    frame = synthetic_frame(96, 128, 0)
    small = grayish_frame(9, 12, 1)
    face, box = carphone()
    x, y, w, h = box
    face_center = (x + (w - 1) / 2, y + (h - 1) / 2)
    return [
        Case("a square inside a 128 x 96 frame: side 40 around (60, 45), out 64",
             (frame, (60.0, 45.0), 40, 64)),
        Case("a square leaving a 64 x 48 frame on every side: side 90, out 45",
             (frame[:48, :64], (31.5, 23.5), 90, 45)),
        Case("a fractional centre (40.3, 27.8), side 36, out 72",
             (frame, (40.3, 27.8), 36, 72)),
        Case("a side 1 px bigger (odd: 41) around (61, 44), out 41 (no resizing)",
             (frame, (61.0, 44.0), 41, 41)),
        Case("a side of 36.7 (round gives 37, int() 36) around (50.2, 40.9), out 64",
             (frame, (50.2, 40.9), 36.7, 64)),
        Case("a tie: side 40.5 around (70, 50) (Python's round gives the even 40), out 48",
             (frame, (70.0, 50.0), 40.5, 48)),
        Case("a small gray-ish 12 x 9 frame: side 20 around (5, 4), out 16",
             (small, (5.0, 4.0), 20, 16)),
        Case("the corner: side 30 around (3, 2), only part of it inside, out 60",
             (frame, (3.0, 2.0), 30, 60)),
        Case(f"carphone's frame 0 (176 x 144): the face's search square, side "
             f"{search_side(w, h, CFG):.1f}, out 255",
             (face, face_center, search_side(w, h, CFG), 255)),
        Case("a square wholly outside the frame (the target left it): side 20, out 10",
             (frame, (-30.0, 120.0), 20, 10)),
        Case(f"the tracker's first call on carphone: the face's exemplar square, side "
             f"{context_size(w, h):.1f}, out 127, pad_color = the frame's mean "
             f"{tuple(round(c, 1) for c in mean_color(face))}",
             (face, face_center, context_size(w, h), 127, mean_color(face))),
        Case(f"pad_color {GIVEN_COLOR} (not the frame's mean), the square leaving the frame at "
             "the left: side 50 around (10, 60), out 64",
             (frame, (10.0, 60.0), 50, 64, GIVEN_COLOR)),
        Case("pad_color=(12.3, 250.8, 128.0) by keyword, the corner: side 30 around (120, 90), "
             "out 30 (no resizing)",
             (frame, (120.0, 90.0), 30, 30), {"pad_color": (12.3, 250.8, 128.0)}),
    ]  # fmt: skip


CROP_AND_RESIZE = Exercise(
    "crop_and_resize",
    crop_and_resize,
    crop_cases,
    CROP_MISTAKES,
    compare=compare_crops,
    hint="a square of s = round(side) px filled with the rounded pad_color (None: the frame's "
    "mean colour), the frame's part copied in at x1 = round(cx - (s - 1) / 2), then "
    "cv2.resize (INTER_LINEAR)",
)


@graded
def check_crop_and_resize(fn: Callable) -> Verdict:
    """Exercise 2: `fn(image, center, side, out_size, pad_color=None)` against `crop_and_resize`."""
    return CROP_AND_RESIZE.check(fn)


# ----------------------------------------------------------------------------- exercise 3


def reference_exemplar_from_box(image: np.ndarray, box: object) -> np.ndarray:
    """The library's exemplar z of an OTB (1-based) box: exemplar_crop of the 0-based box."""
    return exemplar_crop(image, otb_to_xywh(box), CFG)


def _exemplar_at(image: np.ndarray, center: tuple[float, float], w: float, h: float, side=None):
    side = context_size(w, h, CFG.context) if side is None else side
    return crop_and_resize(image, center, side, CFG.exemplar_size)


def _top_left_as_centre(image, box):
    x, y, w, h = otb_to_xywh(box)
    return _exemplar_at(image, (x, y), w, h)


def _no_context(image, box):
    x, y, w, h = otb_to_xywh(box)
    return _exemplar_at(image, (x + (w - 1) / 2, y + (h - 1) / 2), w, h, math.sqrt(w * h))


def _half_size_centre(image, box):
    x, y, w, h = otb_to_xywh(box)
    return _exemplar_at(image, (x + w / 2, y + h / 2), w, h)


EXEMPLAR_MISTAKES = [
    Mistake(
        "the 1-based OTB box used as if it were 0-based",
        "OTB counts pixels from 1: convert first with boxes.otb_to_xywh(box) (x - 1, y - 1)",
        lambda image, box: exemplar_crop(image, np.asarray(box, dtype=np.float64), CFG),
    ),
    Mistake(
        "the box's top-left corner used as the centre",
        "[x, y, w, h] starts at the top-left pixel: the centre is (x + (w - 1)/2, y + (h - 1)/2)",
        _top_left_as_centre,
    ),
    Mistake(
        "no context: a square of side sqrt(w h) around the box",
        "cut the context square: side context_size(w, h) = sqrt((w + p)(h + p))",
        _no_context,
    ),
    Mistake(
        "the centre at x + w/2 instead of x + (w - 1)/2",
        "the box covers pixels x .. x + w - 1: their middle is x + (w - 1)/2 (boxes.box_center)",
        _half_size_centre,
    ),
    Mistake(
        "the box converted the wrong way (+1 instead of -1)",
        "from OTB to 0-based SUBTRACT 1: boxes.otb_to_xywh, not xywh_to_otb",
        lambda image, box: exemplar_crop(image, xywh_to_otb(box), CFG),
    ),
]


def exemplar_cases() -> list[Case]:
    """The inputs of exercise 3: OTB (1-based) boxes on a synthetic frame and on carphone."""
    frame = synthetic_frame(120, 160, 2)
    face, box = carphone()
    face_otb = xywh_to_otb(box)
    return [
        Case("a 30 x 24 box in the middle of a 160 x 120 frame, OTB [61, 41, 30, 24]",
             (frame, np.array([61.0, 41.0, 30.0, 24.0]))),
        Case(f"carphone's face in frame 0, OTB {face_otb.astype(int).tolist()}", (face, face_otb)),
        Case("an odd 17 x 13 box, OTB [50, 70, 17, 13]", (frame, np.array([50.0, 70.0, 17, 13]))),
        Case("a box at the top-left corner, OTB [1, 1, 20, 16] (z leaves the frame)",
             (frame, np.array([1.0, 1.0, 20.0, 16.0]))),
        Case("a tall 10 x 40 box at the right border, OTB [150, 60, 10, 40]",
             (frame, np.array([150.0, 60.0, 10.0, 40.0]))),
        Case("a fractional box, OTB [40.5, 30.25, 22.4, 18.6]",
             (frame, np.array([40.5, 30.25, 22.4, 18.6]))),
    ]  # fmt: skip


EXEMPLAR_FROM_BOX = Exercise(
    "exemplar_from_box",
    reference_exemplar_from_box,
    exemplar_cases,
    EXEMPLAR_MISTAKES,
    compare=compare_crops,
    hint="otb_to_xywh(box), its centre (x + (w - 1)/2, y + (h - 1)/2), then "
    "crop_and_resize(image, centre, context_size(w, h), 127)",
)


@graded
def check_exemplar_from_box(fn: Callable) -> Verdict:
    """Exercise 3: `fn(image, box)` (an OTB box) against `exemplar_crop` of the 0-based box."""
    return EXEMPLAR_FROM_BOX.check(fn)


# ----------------------------------------------------------------------------- exercise 4


@dataclass(frozen=True)
class Draws:
    """What N_DRAWS calls of a pair sampler gave on one track, summed up for the comparison."""

    frame_ids: tuple[int, ...]
    max_gap: int
    pairs: frozenset  # every (z, x) drawn at least once
    reproducible: bool  # the same seed gave the same first pairs
    problem: str = ""  # a result that is not two indices


def _as_pair(result: object) -> tuple[int, int]:
    z, x = result  # raises for anything but two values
    return operator.index(z), operator.index(x)


def _not_a_pair(result: object) -> str:
    """What a sampler returned instead of two indices, in words."""
    if result is None:
        return "your function returned None: is a `return` missing?"
    return (f"your function returned {result!r:.60} ({type(result).__name__}); "
            "expected two integer indices (z, x)")  # fmt: skip


def drawn(fn: Callable) -> Callable:
    """A function of (frame_ids, max_gap) that draws fn N_DRAWS times and returns the Draws.

    Every draw gets the caller's own `frame_ids`, so that a sampler that changes it in place is
    caught by the check. A function that is already a drawing (a named mistake) is kept as it is.
    """
    if getattr(fn, "draws_pairs", False):
        return fn

    def draw(frame_ids: np.ndarray, max_gap: int) -> Draws:
        ids = tuple(int(i) for i in frame_ids)
        rng = np.random.default_rng(0)
        pairs = []
        for _ in range(N_DRAWS):
            result = fn(frame_ids, max_gap, rng)
            try:
                pairs.append(_as_pair(result))
            except (TypeError, ValueError):
                return Draws(ids, max_gap, frozenset(), True, _not_a_pair(result))
        again_rng = np.random.default_rng(0)
        again = [_as_pair(fn(frame_ids, max_gap, again_rng)) for _ in range(20)]
        return Draws(ids, max_gap, frozenset(pairs), again == pairs[:20])

    draw.draws_pairs = True
    return draw


def drawn_once(fn: Callable) -> Callable:
    """drawn(fn), whose Draws on each track are remembered: a named mistake is drawn only once."""
    draw = drawn(fn)
    remembered: dict[tuple, Draws] = {}

    def draw_once(frame_ids: np.ndarray, max_gap: int) -> Draws:
        key = (tuple(int(i) for i in frame_ids), int(max_gap))
        if key not in remembered:
            remembered[key] = draw(frame_ids, max_gap)
        return remembered[key]

    draw_once.draws_pairs = True
    return draw_once


def _frames(d: Draws, z: int, x: int) -> str:
    first, second = d.frame_ids[z], d.frame_ids[x]
    return f"frames {first} and {second}, {abs(second - first)} apart"


def _extra(d: Draws, z: int, x: int) -> str:
    """Why the rules forbid the pair (z, x) that the learner drew."""
    n = len(d.frame_ids)
    if not (0 <= z < n and 0 <= x < n):
        return (f"drew (z, x) = ({z}, {x}), but the {n} frames have the indices 0..{n - 1}: "
                "return positions in frame_ids, not frame numbers")  # fmt: skip
    if z == x:
        return (f"drew the same frame twice, (z, x) = ({z}, {z}) (frame {d.frame_ids[z]}), "
                f"though another frame is within T = {d.max_gap}")  # fmt: skip
    gap = abs(d.frame_ids[x] - d.frame_ids[z])
    if gap > d.max_gap:
        return f"drew (z, x) = ({z}, {x}): {_frames(d, z, x)}, more than T = {d.max_gap}"
    return f"drew (z, x) = ({z}, {x}) ({_frames(d, z, x)}), which the library never draws"


def _missing(d: Draws, z: int, x: int) -> str:
    """Why the rules allow the pair (z, x) that the learner never drew."""
    if z == x:
        return (f"never returned (z, x) = ({z}, {z}), though frame {d.frame_ids[z]} has no other "
                f"frame within T = {d.max_gap}: return (z, z) when z has no partner")  # fmt: skip
    return (f"never drew (z, x) = ({z}, {x}) ({_frames(d, z, x)}) in {N_DRAWS} draws: every pair "
            f"of different frames at most T = {d.max_gap} apart must be possible")  # fmt: skip


def compare_draws(got: Draws, expected: Draws) -> str:
    """'' when both samplers drew the same set of pairs; else the first pair that differs, why."""
    if got.problem:
        return got.problem
    if got.reproducible != expected.reproducible:
        if not got.reproducible:
            return ("the same seed gave different pairs: draw only with the `rng` passed in "
                    "(rng.integers, rng.choice), not with np.random or random")  # fmt: skip
        return "the same seed gives the same pairs, unlike the sampler compared with"
    extra = sorted(got.pairs - expected.pairs)
    if extra:
        return _extra(got, *extra[0])
    missing = sorted(expected.pairs - got.pairs)
    if missing:
        return _missing(got, *missing[0])
    return ""


@lru_cache(maxsize=64)
def _library_draws(frame_ids: tuple[int, ...], max_gap: int) -> Draws:
    return drawn(sample_frame_pair)(np.array(frame_ids), max_gap)


def reference_pick_pair(frame_ids: np.ndarray, max_gap: int) -> Draws:
    """The pairs the library's `sample_frame_pair` draws on this track (computed once)."""
    return _library_draws(tuple(int(i) for i in frame_ids), int(max_gap))


def _sampler(allowed: Callable) -> Callable:
    """A sampler like the library's; x's candidates are `allowed(gaps, positions, max_gap)`.

    gaps are the signed frame gaps frame_ids - frame_ids[z], positions the signed i - z.
    """

    def sample(frame_ids, max_gap, rng):
        z = int(rng.integers(len(frame_ids)))
        gaps = frame_ids - frame_ids[z]
        positions = np.arange(len(frame_ids)) - z
        candidates = np.flatnonzero(allowed(gaps, positions, max_gap))
        if len(candidates) == 0:
            return z, z
        return z, int(rng.choice(candidates))

    return sample


def _global_random(frame_ids, max_gap, rng):
    z = int(np.random.randint(len(frame_ids)))
    gaps = np.abs(frame_ids - frame_ids[z])
    candidates = np.flatnonzero((gaps <= max_gap) & (gaps > 0))
    return (z, z) if len(candidates) == 0 else (z, int(np.random.choice(candidates)))


def _frame_numbers(frame_ids, max_gap, rng):
    z, x = sample_frame_pair(frame_ids, max_gap, rng)
    return int(frame_ids[z]), int(frame_ids[x])


PAIR_MISTAKES = [
    Mistake(
        "a strict gap < T instead of <= T",
        "frames exactly T apart are allowed: 0 < |gap| <= max_gap",
        _sampler(lambda gaps, positions, t: (abs(gaps) < t) & (gaps != 0)),
    ),
    Mistake(
        "the same frame allowed as x (gap 0)",
        "x must be another frame: leave out gap 0 (gaps > 0), and return (z, z) only "
        "when no other frame is within T",
        _sampler(lambda gaps, positions, t: abs(gaps) <= t),
    ),
    Mistake(
        "the gap measured in list positions, not in frame numbers",
        "frame_ids can have holes (frames where the target is absent): measure "
        "|frame_ids[i] - frame_ids[z]|, not |i - z|",
        _sampler(lambda gaps, positions, t: (abs(positions) <= t) & (positions != 0)),
    ),
    Mistake(
        "x only after z in time",
        "x may come before z as well: take every frame with 0 < |gap| <= T, on both sides",
        _sampler(lambda gaps, positions, t: (gaps <= t) & (gaps > 0)),
    ),
    Mistake(
        "a half-open window [t_z - T, t_z + T): the frames exactly T after z left out",
        "both ends are inclusive, as in rng.integers(low, high + 1): "
        "t_z - T <= t_x <= t_z + T, that is 0 < |gap| <= T",
        _sampler(lambda gaps, positions, t: (gaps >= -t) & (gaps < t) & (gaps != 0)),
    ),
    Mistake(
        "frame numbers returned instead of indices into frame_ids",
        "return the positions z, x in the list (0 .. len - 1); frame_ids[z] is a frame number",
        _frame_numbers,
    ),
    Mistake(
        "np.random's global generator instead of the rng passed in",
        "draw with the argument: rng.integers(n) and rng.choice(candidates), so that a seed "
        "gives the same pair every time",
        _global_random,
    ),
]

PAIR_CASES = [
    Case("frames 0..19, T = 5", (np.arange(20), 5)),
    Case("frames with holes [0 1 2 3 10 11 12 30 31 50], T = 8",
         (np.array([0, 1, 2, 3, 10, 11, 12, 30, 31, 50]), 8)),
    Case("frames 100..107, T = 100 (longer than the track)", (np.arange(100, 108), 100)),
    Case("T = 1: frames 0..9 (only neighbours)", (np.arange(10), 1)),
    Case("a track with one frame [42], T = 100", (np.array([42]), 100)),
    Case("a frame alone: [0 1 2 200], T = 100 (frame 200 has no partner)",
         (np.array([0, 1, 2, 200]), 100)),
]  # fmt: skip


PICK_PAIR = Exercise(
    "pick_pair",
    reference_pick_pair,
    PAIR_CASES,
    [Mistake(m.name, m.hint, drawn_once(m.fn)) for m in PAIR_MISTAKES],
    compare=compare_draws,
    hint="z = rng.integers(n); x = rng.choice of the indices i with "
    "0 < |frame_ids[i] - frame_ids[z]| <= max_gap; (z, z) if there is none",
)  # a sampler is judged by the pairs it draws: the exercise compares Draws, not single pairs


@graded
def check_pick_pair(fn: Callable) -> Verdict:
    """Exercise 4: the pairs `fn(frame_ids, max_gap, rng)` draws, against `sample_frame_pair`'s."""
    return PICK_PAIR.check(drawn(fn))
