"""Chapter 04 (training pairs): context_size, search_side, crop_and_resize, exemplar_from_box,
pick_pair."""

import math
import random

import cv2
import numpy as np

from siamfc_edu.boxes import otb_to_xywh
from siamfc_edu.checks import pairs as checks
from siamfc_edu.crops import context_size, crop_and_resize
from tests.exercise_registry import Entry

# ------------------------------------------------------------------- right, written otherwise


def context_size_paper(w, h, context=0.5):
    """The paper's form: (w + 2p')(h + 2p') with p' = context (w + h) / 2."""
    margin = context * (w + h) / 2
    return float(np.sqrt((w + 2 * margin) * (h + 2 * margin)))


def search_side_with_pad(w, h, cfg):
    """The authors' tracker.m: s_x = s_z + 2 * pad, pad = (255 - 127) / 2 in z's scale."""
    s_z = context_size(w, h, cfg.context)
    pad = (cfg.instance_size - cfg.exemplar_size) / 2 * s_z / cfg.exemplar_size
    return s_z + 2 * pad


def search_side_scale_first(w, h, cfg):
    """The scale z's crop is resized by, 127 / s_z, inverted for x's 255 px."""
    scale = cfg.exemplar_size / context_size(w, h, cfg.context)
    return cfg.instance_size / scale


def crop_copy_make_border(image, center, side, out_size, pad_color=None):
    """cv2.copyMakeBorder with the (unrounded) colour as a constant: cv2 rounds it."""
    s = max(1, round(side))
    x1, y1 = round(center[0] - (s - 1) / 2), round(center[1] - (s - 1) / 2)
    big = s + abs(x1) + abs(y1)
    color = image.reshape(-1, 3).mean(axis=0).tolist() if pad_color is None else list(pad_color)
    padded = cv2.copyMakeBorder(image, big, big, big, big, cv2.BORDER_CONSTANT, value=color)
    square = padded[y1 + big : y1 + big + s, x1 + big : x1 + big + s]
    return cv2.resize(square, (out_size, out_size), interpolation=cv2.INTER_LINEAR)


def crop_in_float(image, center, side, out_size, pad_color=None):
    """np.rint for the pixels, the square resized in float32 and rounded back to uint8."""
    s = max(1, int(np.rint(side)))
    x1, y1 = (int(np.rint(c - (s - 1) / 2)) for c in center)
    square = np.empty((s, s, 3), np.float32)
    square[:] = np.rint(image.mean(axis=(0, 1)) if pad_color is None else pad_color[:3])
    h, w = image.shape[:2]
    left, top, right, bottom = max(x1, 0), max(y1, 0), min(x1 + s, w), min(y1 + s, h)
    if right > left and bottom > top:
        square[top - y1 : bottom - y1, left - x1 : right - x1] = image[top:bottom, left:right]
    resized = cv2.resize(square, (out_size, out_size), interpolation=cv2.INTER_LINEAR)
    return np.clip(np.rint(resized), 0, 255).astype(np.uint8)


def crop_np_pad_per_channel(image, center, side, out_size, pad_color=None):
    """np.pad with one constant per channel (cv2.mean's colour), then the square sliced out."""
    color = np.round(cv2.mean(image)[:3] if pad_color is None else pad_color[:3])
    s = max(1, round(side))
    x1, y1 = round(center[0] - (s - 1) / 2), round(center[1] - (s - 1) / 2)
    big = s + abs(x1) + abs(y1)
    channels = [
        np.pad(image[..., c], big, mode="constant", constant_values=color[c]) for c in range(3)
    ]
    padded = np.stack(channels, axis=-1)
    square = padded[y1 + big : y1 + big + s, x1 + big : x1 + big + s]
    return cv2.resize(square, (out_size, out_size), interpolation=cv2.INTER_LINEAR)


def exemplar_by_hand(image, box):
    """The conversion written by hand (x - 1, y - 1), the centre by box_center's formula."""
    x, y, w, h = np.asarray(box, dtype=float) - [1, 1, 0, 0]
    return crop_and_resize(image, (x + (w - 1) / 2, y + (h - 1) / 2), context_size(w, h), 127)


def pick_pair_by_rejection(frame_ids, max_gap, rng):
    """x by rejection over random frames (other rng calls, the same set of pairs)."""
    z = int(rng.integers(len(frame_ids)))
    near = np.abs(frame_ids - frame_ids[z])
    if not np.any((near > 0) & (near <= max_gap)):
        return z, z
    while True:
        x = int(rng.integers(len(frame_ids)))
        if 0 < abs(int(frame_ids[x]) - int(frame_ids[z])) <= max_gap:
            return z, x


def pick_pair_python_loop(frame_ids, max_gap, rng):
    """A list comprehension, and an index drawn with rng.integers."""
    z = int(rng.integers(len(frame_ids)))
    options = [i for i, f in enumerate(frame_ids) if i != z and abs(f - frame_ids[z]) <= max_gap]
    return (z, z) if not options else (z, options[int(rng.integers(len(options)))])


# ------------------------------------------------------------------------- wrong, as written


def crop_np_pad_edge(image, center, side, out_size, pad_color=None):
    """np.pad's 'edge' mode: the border replicated, like cv2.BORDER_REPLICATE."""
    s = max(1, round(side))
    x1, y1 = round(center[0] - (s - 1) / 2), round(center[1] - (s - 1) / 2)
    big = s + abs(x1) + abs(y1)
    padded = np.pad(image, ((big, big), (big, big), (0, 0)), mode="edge")
    square = padded[y1 + big : y1 + big + s, x1 + big : x1 + big + s]
    return cv2.resize(square, (out_size, out_size), interpolation=cv2.INTER_LINEAR)


def crop_float_mean_cast(image, center, side, out_size, pad_color=None):
    """The float colour assigned into a uint8 array: numpy truncates it."""
    s = max(1, round(side))
    x1, y1 = round(center[0] - (s - 1) / 2), round(center[1] - (s - 1) / 2)
    square = np.zeros((s, s, 3), np.uint8)
    square[:] = image.mean(axis=(0, 1)) if pad_color is None else pad_color
    h, w = image.shape[:2]
    left, top, right, bottom = max(x1, 0), max(y1, 0), min(x1 + s, w), min(y1 + s, h)
    if right > left and bottom > top:
        square[top - y1 : bottom - y1, left - x1 : right - x1] = image[top:bottom, left:right]
    return cv2.resize(square, (out_size, out_size), interpolation=cv2.INTER_LINEAR)


def crop_int_plus_half(image, center, side, out_size, pad_color=None):
    """int(v + 0.5) for the side and the corner: ties go up."""
    s = max(1, int(side + 0.5))
    x1, y1 = (math.floor(c - (s - 1) / 2 + 0.5) for c in center)
    return crop_and_resize(image, (x1 + (s - 1) / 2, y1 + (s - 1) / 2), s, out_size, pad_color)


def crop_nearest(image, center, side, out_size, pad_color=None):
    """cv2.INTER_NEAREST: not a named mistake, a wrong crop all the same."""
    s = max(1, round(side))
    square = crop_and_resize(image, center, s, s, pad_color)
    return cv2.resize(square, (out_size, out_size), interpolation=cv2.INTER_NEAREST)


def crop_pad_color_unused(image, center, side, out_size, pad_color=None):
    """pad_color taken, but the frame's mean computed as before: the tracker's colour is lost."""
    s = max(1, round(side))
    x1, y1 = round(center[0] - (s - 1) / 2), round(center[1] - (s - 1) / 2)
    square = np.empty((s, s, 3), np.uint8)
    square[:] = np.round(image.mean(axis=(0, 1)))
    h, w = image.shape[:2]
    left, top, right, bottom = max(x1, 0), max(y1, 0), min(x1 + s, w), min(y1 + s, h)
    if right > left and bottom > top:
        square[top - y1 : bottom - y1, left - x1 : right - x1] = image[top:bottom, left:right]
    return cv2.resize(square, (out_size, out_size), interpolation=cv2.INTER_LINEAR)


def crop_pad_color_required(image, center, side, out_size, pad_color):
    """pad_color with no default (None): a call without it, as in training, raises."""
    return crop_and_resize(image, center, side, out_size, pad_color)


def exemplar_without_conversion(image, box):
    """The OTB box used as if it were 0-based."""
    x, y, w, h = box
    return crop_and_resize(image, (x + (w - 1) / 2, y + (h - 1) / 2), context_size(w, h), 127)


def exemplar_as_float(image, box):
    """The right crop, returned as float32: the dtype is named."""
    x, y, w, h = otb_to_xywh(box)
    crop = crop_and_resize(image, (x + (w - 1) / 2, y + (h - 1) / 2), context_size(w, h), 127)
    return crop.astype(np.float32)


def pick_pair_strict(frame_ids, max_gap, rng):
    """0 < gap < T in a list comprehension."""
    z = int(rng.integers(len(frame_ids)))
    options = [i for i, f in enumerate(frame_ids) if 0 < abs(f - frame_ids[z]) < max_gap]
    return (z, z) if not options else (z, int(rng.choice(options)))


def pick_pair_positions(frame_ids, max_gap, rng):
    """x drawn among the list positions z - T .. z + T."""
    z = int(rng.integers(len(frame_ids)))
    low, high = max(0, z - max_gap), min(len(frame_ids) - 1, z + max_gap)
    if low == high:
        return z, z
    x = z
    while x == z:
        x = int(rng.integers(low, high + 1))
    return z, x


def pick_pair_stdlib(frame_ids, max_gap, rng):
    """Python's random module instead of the rng passed in."""
    z = random.randrange(len(frame_ids))
    options = [i for i, f in enumerate(frame_ids) if 0 < abs(f - frame_ids[z]) <= max_gap]
    return (z, z) if not options else (z, random.choice(options))


def pick_pair_too_far(frame_ids, max_gap, rng):
    """Any other frame, however far: not a named mistake."""
    z = int(rng.integers(len(frame_ids)))
    others = [i for i in range(len(frame_ids)) if i != z]
    return (z, z) if not others else (z, int(rng.choice(others)))


ENTRIES = [
    Entry(
        "04_training_pairs",
        "context_size",
        checks.check_context_size,
        checks.CONTEXT_SIZE,
        alternatives=(context_size_paper,),
        wrong_answers=((lambda w, h, context=0.5: context_size(w, h) / 2, None),),
    ),
    Entry(
        "04_training_pairs",
        "search_side",
        checks.check_search_side,
        checks.SEARCH_SIDE,
        alternatives=(search_side_with_pad, search_side_scale_first),
        wrong_answers=(
            (lambda w, h, cfg: int(context_size(w, h, cfg.context) * 255 / 127), None),
            (lambda w, h, cfg: context_size(w, h) * 255 / 127, None),
            (lambda w, h, cfg: context_size(w, h, cfg.context) * 2, None),  # "about twice"
        ),
    ),
    Entry(
        "04_training_pairs",
        "crop_and_resize",
        checks.check_crop_and_resize,
        checks.CROP_AND_RESIZE,
        alternatives=(crop_copy_make_border, crop_in_float, crop_np_pad_per_channel),
        wrong_answers=(
            (crop_np_pad_edge, checks.CROP_MISTAKES[3].name),
            (crop_float_mean_cast, checks.CROP_MISTAKES[4].name),
            (crop_int_plus_half, checks.CROP_MISTAKES[7].name),
            (crop_pad_color_unused, checks.CROP_MISTAKES[11].name),
            (crop_nearest, None),
            (crop_pad_color_required, None),
        ),
    ),
    Entry(
        "04_training_pairs",
        "exemplar_from_box",
        checks.check_exemplar_from_box,
        checks.EXEMPLAR_FROM_BOX,
        alternatives=(exemplar_by_hand,),
        wrong_answers=(
            (exemplar_without_conversion, checks.EXEMPLAR_MISTAKES[0].name),
            (exemplar_as_float, None),
        ),
    ),
    Entry(
        "04_training_pairs",
        "pick_pair",
        checks.check_pick_pair,
        checks.PICK_PAIR,
        alternatives=(pick_pair_by_rejection, pick_pair_python_loop),
        wrong_answers=(
            (pick_pair_strict, checks.PAIR_MISTAKES[0].name),
            (pick_pair_positions, checks.PAIR_MISTAKES[2].name),
            (pick_pair_stdlib, checks.PAIR_MISTAKES[6].name),
            (pick_pair_too_far, None),
        ),
    ),
]
