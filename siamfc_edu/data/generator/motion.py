"""How things move in a generated video: position, scale, angle and brightness, frame by frame.

Positions are a random walk that bounces off the frame's borders, at a chosen speed.
Scale swings slowly (SV) or stays nearly constant; the angle spins (IPR) or wobbles a little.
The whole frame's brightness swings (IV) or stays constant.
"""

from __future__ import annotations

import math

import numpy as np


def trajectory(
    rng: np.random.Generator, n: int, size: tuple[int, int], speed: float, margin: float
) -> np.ndarray:
    """(n, 2) centres of a random walk at about `speed` px/frame that bounces off the borders."""
    width, height = size
    lo = np.array([margin, margin])
    hi = np.array([width - 1 - margin, height - 1 - margin])
    hi = np.maximum(hi, lo + 1)
    pos = lo + rng.random(2) * (hi - lo)
    heading = rng.uniform(0, 2 * math.pi)
    centres = np.empty((n, 2))
    for t in range(n):
        centres[t] = pos
        heading += rng.normal(0, 0.25)
        step = speed * rng.uniform(0.7, 1.3) * np.array([math.cos(heading), math.sin(heading)])
        pos = pos + step
        for axis in range(2):  # bounce off a border: mirror the position, turn around
            if pos[axis] < lo[axis]:
                pos[axis] = min(2 * lo[axis] - pos[axis], hi[axis])
            elif pos[axis] > hi[axis]:
                pos[axis] = max(2 * hi[axis] - pos[axis], lo[axis])
            else:
                continue
            heading = math.pi - heading if axis == 0 else -heading
    return centres


def scale_curve(rng: np.random.Generator, n: int, varies: bool) -> np.ndarray:
    """(n,) scale factors: a slow swing between about 0.65x and 1.45x (SV) or nearly constant."""
    t = np.arange(n)
    phase = rng.uniform(0, 2 * math.pi)
    if varies:
        period = rng.uniform(0.8, 1.6) * n
        return np.exp(math.log(1.45) * np.sin(2 * math.pi * t / period + phase))
    return 1 + 0.03 * np.sin(2 * math.pi * t / n + phase)


def angle_curve(rng: np.random.Generator, n: int, rotates: bool) -> np.ndarray:
    """(n,) in-plane angles in degrees: a steady spin (IPR) or a small wobble."""
    t = np.arange(n)
    if rotates:
        return rng.choice([-1, 1]) * rng.uniform(3, 8) * t
    return 4 * np.sin(2 * math.pi * t / n + rng.uniform(0, 2 * math.pi))


def gain_curve(rng: np.random.Generator, n: int, varies: bool) -> np.ndarray:
    """(n,) brightness factors of the whole frame: a strong swing (IV) or constant 1."""
    if not varies:
        return np.ones(n)
    t = np.arange(n)
    return 1 + rng.uniform(0.35, 0.5) * np.sin(2 * math.pi * t / rng.uniform(0.5, 1.0) / n)
