"""Chapter 06 (the tracker's step): scale_factors, upsample, scale_penalties, penalise,
hann_window, normalise, apply_window, displacement, damped_scale, each with the library's
signature."""

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from siamfc_edu.checks import tracking as checks
from tests.exercise_registry import Entry

# ----------------------------------------------------------------------------- alternatives


def factors_by_logspace(cfg):
    """np.logspace with base s: the powers s^k in one call."""
    half = (cfg.scale_num - 1) / 2
    return np.logspace(-half, half, cfg.scale_num, base=cfg.scale_step)


def factors_by_loop(cfg):
    """A list of powers, one per scale, made an array."""
    n = cfg.scale_num
    return np.array([cfg.scale_step ** (i - (n - 1) / 2) for i in range(n)])


def upsample_by_torch(scores, size):
    """torch's bicubic with pixel centres aligned (align_corners=False), back to numpy."""
    maps = torch.from_numpy(scores)[:, None]
    out = F.interpolate(maps, size=(size, size), mode="bicubic", align_corners=False)
    return out[:, 0].numpy()


def upsample_as_channels(scores, size):
    """The S maps as the channels of one image: one cv2.resize call."""
    image = np.ascontiguousarray(scores.transpose(1, 2, 0))
    resized = cv2.resize(image, (size, size), interpolation=cv2.INTER_CUBIC)
    return resized.reshape(size, size, -1).transpose(2, 0, 1)


def penalties_by_where(cfg):
    """np.where on the exponents: 1 where k = 0."""
    k = np.arange(cfg.scale_num) - cfg.scale_num // 2
    return np.where(k == 0, 1.0, cfg.scale_penalty).astype(np.float32)


def penalise_by_einsum(maps, penalty):
    """One factor per map with einsum."""
    return np.einsum("s,sij->sij", penalty, maps)


def penalise_by_reshape(maps, penalty):
    """The factors reshaped to (S, 1, 1) and broadcast."""
    return penalty.reshape(-1, 1, 1) * maps


def hann_by_formula(size):
    """The Hann formula 0.5 - 0.5 cos(2 pi n / (N - 1)), broadcast to 2-D."""
    h = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(size) / (size - 1))
    window = h[:, None] * h[None, :]
    return window / window.sum()


def hann_normalised_per_axis(size):
    """Each 1-D window summing to 1: their outer product sums to 1 too."""
    h = np.hanning(size)
    h = h / h.sum()
    return np.outer(h, h)


def normalise_in_one_line(score_map):
    """The shift written twice, in one expression."""
    return (score_map - score_map.min()) / (score_map - score_map.min()).sum()


def normalise_by_sum_identity(score_map):
    """The shifted map's sum as sum(r) - n min(r): no second shifted array."""
    return (score_map - score_map.min()) / (score_map.sum() - score_map.size * score_map.min())


def normalise_per_map(score_map):
    """Per-map statistics over the last two axes, broadcast with keepdims (batches work too)."""
    shifted = score_map - score_map.min(axis=(-2, -1), keepdims=True)
    return shifted / shifted.sum(axis=(-2, -1), keepdims=True)


def normalise_in_place_on_a_copy(score_map):
    """In place, but on its own copy: the caller's map stays as it was."""
    shifted = score_map.copy()
    shifted -= shifted.min()
    shifted /= shifted.sum()
    return shifted


def window_by_lerp(normalised, window, influence):
    """The map moved `influence` of the way towards the window."""
    return normalised + influence * (window - normalised)


def window_by_average(normalised, window, influence):
    """np.average of the two maps, weighted 1 - influence and influence."""
    return np.average(np.stack([normalised, window]), axis=0, weights=[1 - influence, influence])


def displacement_by_subtract(row, col, side, cfg):
    """The peak's offset with np.subtract, the units one product each."""
    offset = np.subtract([col, row], (cfg.upscale_size - 1) / 2)
    cells = offset / cfg.response_up
    return cells, cells * cfg.total_stride, cells * cfg.total_stride * side / cfg.instance_size


def damped_by_interpolation(scale, factor, cfg):
    """The damped factor as np.interp between 1 and the factor, clipped with min/max."""
    damped = float(np.interp(cfg.scale_lr, [0, 1], [1, factor]))
    return min(max(scale * damped, cfg.min_scale), cfg.max_scale)


# ----------------------------------------------------------------------------- wrong answers


def factors_as_list(cfg):
    """A list of floats: the tracker multiplies an array by them."""
    return [float(f) for f in factors_by_loop(cfg)]


def factors_in_float32(cfg):
    """The right factors in float32."""
    return factors_by_loop(cfg).astype(np.float32)


def factors_for_three(cfg):
    """The paper's three factors whatever cfg.scale_num says."""
    return cfg.scale_step ** np.array([-1.0, 0.0, 1.0])


def upsample_as_list(scores, size):
    """The maps as a list (no np.stack)."""
    return [cv2.resize(m, (size, size), interpolation=cv2.INTER_CUBIC) for m in scores]


def upsample_as_tensor(scores, size):
    """torch's bicubic, left a tensor."""
    return torch.from_numpy(upsample_by_torch(scores, size))


def upsample_in_float64(scores, size):
    """The right maps in float64."""
    return upsample_as_channels(scores, size).astype(np.float64)


def upsample_by_fx(scores, size):
    """A factor fx = fy = size // n: wrong when size is not a multiple of n."""
    factor = size // scores.shape[-1]
    return np.stack([cv2.resize(m, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
                     for m in scores])  # fmt: skip


def penalties_in_float64(cfg):
    """The right factors in float64."""
    return penalties_by_where(cfg).astype(np.float64)


def penalties_for_three(cfg):
    """[p, 1, p] whatever cfg.scale_num says."""
    return np.array([cfg.scale_penalty, 1.0, cfg.scale_penalty], np.float32)


def penalise_in_place(maps, penalty):
    """The maps multiplied in place."""
    maps *= penalty[:, None, None]
    return maps


def penalise_in_float64(maps, penalty):
    """The factors taken as float64: the maps come back in float64."""
    return maps * penalty.astype(np.float64)[:, None, None]


def hann_in_float32(size):
    """The right window in float32."""
    return hann_by_formula(size).astype(np.float32)


def hann_as_tensor(size):
    """torch.hann_window, periodic by default, left a tensor: the periodic mistake is named."""
    h = torch.hann_window(size, dtype=torch.float64)
    return torch.outer(h, h) / torch.outer(h, h).sum()


def normalise_in_place(score_map):
    """The map shifted and divided in place."""
    score_map -= score_map.min()
    score_map /= score_map.sum()
    return score_map


def normalise_in_float64(score_map):
    """The right values in float64."""
    return normalise_in_one_line(score_map.astype(np.float64))


def normalise_per_column(score_map):
    """The minimum and the sum of each column (axis=0) instead of the whole map's."""
    shifted = score_map - score_map.min(axis=0)
    return shifted / shifted.sum(axis=0)


def normalise_by_the_norm(score_map):
    """The shifted map divided by its Euclidean norm: sum of squares 1, not sum 1."""
    shifted = score_map - score_map.min()
    return shifted / np.linalg.norm(shifted)


def window_in_place(normalised, window, influence):
    """The normalised map weighted and mixed in place."""
    normalised *= 1 - influence
    normalised += influence * window
    return normalised


def window_with_the_code_influence(normalised, window, influence):
    """The authors' 0.176 whatever influence is given."""
    return (1 - 0.176) * normalised + 0.176 * window


def window_in_float32(normalised, window, influence):
    """The right values cast to float32, the map's dtype."""
    return ((1 - influence) * normalised + influence * window).astype(np.float32)


def window_scaled_to_peak_1(normalised, window, influence):
    """The window divided by its maximum: on another scale than the map."""
    return (1 - influence) * normalised + influence * window / window.max()


def displacement_as_lists(row, col, side, cfg):
    """The right numbers as lists."""
    return tuple(list(d) for d in displacement_by_subtract(row, col, side, cfg))


def displacement_with_fixed_sizes(row, col, side, cfg):
    """The paper's sizes 272, 16, 8, 255 written in, whatever cfg says."""
    cells = (np.array([col, row]) - 135.5) / 16
    return cells, cells * 8, cells * 8 * side / 255


def damped_as_array(scale, factor, cfg):
    """np.clip of a 1-element array: an array, not a number."""
    return np.clip(np.array([scale * (1 - cfg.scale_lr + cfg.scale_lr * factor)]),
                   cfg.min_scale, cfg.max_scale)  # fmt: skip


def damped_with_the_paper_lr(scale, factor, cfg):
    """The paper's 0.59 written in, whatever cfg.scale_lr says."""
    return float(np.clip(scale * (0.41 + 0.59 * factor), cfg.min_scale, cfg.max_scale))


NOTEBOOK = "06_tracker"
PERIODIC = "a periodic Hann window (cos(2 pi n / N) instead of cos(2 pi n / (N - 1)))"
ENTRIES = [
    Entry(NOTEBOOK, "scale_factors", checks.check_scale_factors, checks.SCALE_FACTORS,
          alternatives=(factors_by_logspace, factors_by_loop),
          wrong_answers=((factors_as_list, None), (factors_in_float32, None),
                         (factors_for_three, None))),
    Entry(NOTEBOOK, "upsample", checks.check_upsample, checks.UPSAMPLE,
          alternatives=(upsample_by_torch, upsample_as_channels),
          wrong_answers=((upsample_as_list, None), (upsample_as_tensor, None),
                         (upsample_in_float64, None), (upsample_by_fx, None))),
    Entry(NOTEBOOK, "scale_penalties", checks.check_scale_penalties, checks.SCALE_PENALTIES,
          alternatives=(penalties_by_where,),
          wrong_answers=((penalties_in_float64, None), (penalties_for_three, None))),
    Entry(NOTEBOOK, "penalise", checks.check_penalise, checks.PENALISE,
          alternatives=(penalise_by_einsum, penalise_by_reshape),
          wrong_answers=((penalise_in_place, None), (penalise_in_float64, None))),
    Entry(NOTEBOOK, "hann_window", checks.check_hann_window, checks.HANN_WINDOW,
          alternatives=(hann_by_formula, hann_normalised_per_axis),
          wrong_answers=((hann_in_float32, None), (hann_as_tensor, PERIODIC))),
    Entry(NOTEBOOK, "normalise", checks.check_normalise, checks.NORMALISE,
          alternatives=(normalise_in_one_line, normalise_by_sum_identity, normalise_per_map,
                        normalise_in_place_on_a_copy),
          wrong_answers=((normalise_in_place, None), (normalise_in_float64, None),
                         (normalise_per_column, None), (normalise_by_the_norm, None))),
    Entry(NOTEBOOK, "apply_window", checks.check_apply_window, checks.APPLY_WINDOW,
          alternatives=(window_by_lerp, window_by_average),
          wrong_answers=((window_in_place, None), (window_with_the_code_influence, None),
                         (window_in_float32, None), (window_scaled_to_peak_1, None))),
    Entry(NOTEBOOK, "displacement", checks.check_displacement, checks.DISPLACEMENT,
          alternatives=(displacement_by_subtract,),
          wrong_answers=((displacement_as_lists, None), (displacement_with_fixed_sizes, None))),
    Entry(NOTEBOOK, "damped_scale", checks.check_damped_scale, checks.DAMPED_SCALE,
          alternatives=(damped_by_interpolation,),
          wrong_answers=((damped_as_array, None), (damped_with_the_paper_lr, None))),
]  # fmt: skip
