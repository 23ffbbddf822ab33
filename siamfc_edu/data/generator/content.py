"""What generated videos are made of: real footage, textures, silhouettes and backgrounds.

The footage pool: frames of the shipped clips, their first 3/4 for training, the rest held out.
A texture is a patch of that footage or a pattern (checker, stripes, smooth noise, rings).
A silhouette is a filled rectangle or ellipse.
A background is consecutive footage frames seen through a window that pans across them.
"""

from __future__ import annotations

import math
from functools import lru_cache

import cv2
import numpy as np

from ..footage import read_video
from ..split import held_out_start

TEXTURES = ("footage", "checker", "stripes", "noise", "rings")


@lru_cache(maxsize=2)
def footage_pool(held_out: bool) -> tuple[np.ndarray, ...]:
    """Frames of the shipped clips (at most 512 px wide): first 3/4 for training, or the rest."""
    clips = []
    for name in ("bikes", "bigbuckbunny", "carphone_pristine"):
        frames = read_video(name, step=2, max_side=512)
        cut = held_out_start(len(frames))
        clips.append(frames[cut:] if held_out else frames[:cut])
    return tuple(clips)


def _footage_patch(rng: np.random.Generator, pool: tuple[np.ndarray, ...]) -> np.ndarray:
    """A random square patch of a random footage frame: a real texture."""
    clip = pool[rng.integers(len(pool))]
    frame = clip[rng.integers(len(clip))]
    height, width = frame.shape[:2]
    side = int(rng.integers(24, min(height, width) // 2 + 1))
    y, x = int(rng.integers(0, height - side + 1)), int(rng.integers(0, width - side + 1))
    return frame[y : y + side, x : x + side]


def procedural_texture(kind: str, rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A height x width RGB pattern: checker, stripes, smooth noise or rings in random colours."""
    c1, c2 = rng.integers(0, 256, size=(2, 3)).astype(np.float32)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    period = float(rng.uniform(6, 16))
    if kind == "checker":
        t = ((xs // period + ys // period) % 2).astype(np.float32)
    elif kind == "stripes":
        angle = rng.uniform(0, math.pi)
        t = 0.5 + 0.5 * np.sin((xs * math.cos(angle) + ys * math.sin(angle)) * 2 * math.pi / period)
    elif kind == "rings":
        r = np.hypot(xs - width / 2, ys - height / 2)
        t = 0.5 + 0.5 * np.sin(r * 2 * math.pi / period)
    elif kind == "noise":
        coarse = rng.random((max(2, height // 8), max(2, width // 8))).astype(np.float32)
        t = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC).clip(0, 1)
    else:
        raise ValueError(f"unknown texture {kind!r}; choose one of {TEXTURES[1:]}")
    image = c1 * t[..., None] + c2 * (1 - t[..., None])
    return image.clip(0, 255).astype(np.uint8)


def object_texture(
    kind: str, rng: np.random.Generator, pool: tuple[np.ndarray, ...], height: int, width: int
) -> np.ndarray:
    """The appearance of an object: a footage patch or a procedural pattern, height x width RGB."""
    if kind == "footage":
        patch = _footage_patch(rng, pool)
        return cv2.resize(patch, (width, height), interpolation=cv2.INTER_LINEAR)
    return procedural_texture(kind, rng, height, width)


def object_mask(shape: str, height: int, width: int) -> np.ndarray:
    """The silhouette of an object: a filled rectangle or ellipse, float32 0/1."""
    mask = np.zeros((height, width), np.float32)
    if shape == "rect":
        mask[:] = 1
    else:
        centre = ((width - 1) / 2, (height - 1) / 2)
        cv2.ellipse(mask, (centre, (width, height), 0), 1.0, thickness=-1)
    return mask


def background_frames(
    rng: np.random.Generator, pool: tuple[np.ndarray, ...], n: int, size: tuple[int, int]
) -> list[np.ndarray]:
    """n real backgrounds: consecutive frames of a footage clip seen through a panning window."""
    width, height = size
    clip = pool[rng.choice(len(pool), p=[0.45, 0.45, 0.10])]
    fh, fw = clip.shape[1:3]
    win_h = min(fh, fw * height / width) * rng.uniform(0.6, 1.0)
    win_w = win_h * width / height
    start = rng.uniform([0, 0], [fw - win_w, fh - win_h])
    end = rng.uniform([0, 0], [fw - win_w, fh - win_h])
    first = int(rng.integers(len(clip)))
    frames = []
    for t in range(n):
        k = first + t
        k = k % (2 * len(clip) - 2 or 1)
        k = k if k < len(clip) else 2 * len(clip) - 2 - k  # play back and forth
        x, y = start + (end - start) * t / max(1, n - 1)
        m = np.array(
            [[width / win_w, 0, -x * width / win_w], [0, height / win_h, -y * height / win_h]]
        )
        frames.append(
            cv2.warpAffine(
                clip[k], m, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
            )
        )
    return frames
