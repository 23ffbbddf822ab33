"""What a generated video holds: the attributes it is built to have, and the things that move.

A video is designed to show some of OTB's attributes (ATTRIBUTES), each with probability 0.35.
Each moving thing is a Layer: a texture, a silhouette and a pose (centre, scale, angle) per frame.
The target (track 0) and maybe another object are textured objects with their own motion.
A look-alike distractor (BC) has the target's texture, tinted.
Occluders are unannotated patches that cross the target's path: partly (OCC) or hiding it (FOC).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .content import TEXTURES, object_mask, object_texture
from .motion import angle_curve, scale_curve, trajectory

# OTB's attribute codes (plus FOC, which GOT-10k's absence label records), tagged by measurement
ATTRIBUTES: dict[str, str] = {
    "IV": "illumination variation: the light changes",
    "SV": "scale variation: the target grows and shrinks",
    "OCC": "partial occlusion: something covers part of the target",
    "FOC": "full occlusion: the target disappears for some frames",
    "MB": "motion blur: the target is blurred along its motion",
    "FM": "fast motion: the target moves more than 8 px (a score-map cell) per frame",
    "IPR": "in-plane rotation: the target turns in the image plane",
    "BC": "background clutter: a look-alike distractor moves nearby",
}
DESIGNED = ("IV", "SV", "OCC", "FOC", "MB", "FM", "IPR", "BC")


@dataclass(eq=False)
class Layer:
    """One moving thing of a video: its texture, silhouette and per-frame pose."""

    texture: np.ndarray  # h x w x 3 uint8
    mask: np.ndarray  # h x w float32
    centres: np.ndarray  # (n, 2)
    scales: np.ndarray  # (n,)
    angles: np.ndarray  # (n,) degrees
    blur: float = 0.0  # motion-blur length in px (0: sharp)
    name: str = "object"
    present: np.ndarray | None = None  # (n,) bool: frames where the layer is drawn (None: all)


def choose_design(rng: np.random.Generator) -> set[str]:
    """The attributes a video is built to have: each with probability 0.35, at least one."""
    chosen = {a for a in DESIGNED if rng.random() < 0.35}
    return chosen or {str(rng.choice(DESIGNED))}


def new_object(
    rng: np.random.Generator,
    pool: tuple[np.ndarray, ...],
    n: int,
    size: tuple[int, int],
    design: set[str],
    k: float,
) -> Layer:
    """A textured object with its own motion, sized for a frame of min side 240 * k."""
    short, long_ = rng.uniform(36, 52) * k, rng.uniform(40, 76) * k
    w, h = (short, long_) if rng.random() < 0.5 else (long_, short)
    w, h = max(8, round(w)), max(8, round(h))
    kind = str(rng.choice(TEXTURES))
    fast = "FM" in design
    speed = (rng.uniform(9, 14) if fast else rng.uniform(0.8, 2.5)) * k
    return Layer(
        texture=object_texture(kind, rng, pool, h, w),
        mask=object_mask(str(rng.choice(["rect", "ellipse"])), h, w),
        centres=trajectory(rng, n, size, speed, margin=0.7 * max(w, h)),
        scales=scale_curve(rng, n, "SV" in design),
        angles=angle_curve(rng, n, "IPR" in design),
        blur=(rng.uniform(7, 15) * k if "MB" in design else 0.0),
        name=kind,
    )


def look_alike(
    rng: np.random.Generator, target: Layer, n: int, size: tuple[int, int], k: float
) -> Layer:
    """A distractor with the target's texture, slightly tinted, moving on its own."""
    tint = rng.uniform(0.85, 1.15, size=3)
    h, w = target.mask.shape
    return Layer(
        texture=(target.texture * tint).clip(0, 255).astype(np.uint8),
        mask=target.mask.copy(),
        centres=trajectory(rng, n, size, rng.uniform(1, 3) * k, margin=0.7 * max(w, h)),
        scales=target.scales[::-1].copy() * rng.uniform(0.85, 1.1),
        angles=angle_curve(rng, n, False),
        name=target.name,
    )


def occluder(
    rng: np.random.Generator, pool: tuple[np.ndarray, ...], target: Layer, n: int, full: bool
) -> Layer:
    """An unannotated patch that crosses the target's path: partly (OCC) or hiding it all (FOC)."""
    h, w = target.mask.shape
    meet = int(rng.integers(n // 4, max(n // 4 + 1, 3 * n // 4)))  # the frame where they meet
    extent = max(h, w) * float(target.scales.max())
    present = np.ones(n, bool)
    if full:  # a large patch that comes in front of the target for a few frames, then leaves
        oh = ow = round(1.5 * extent)
        hide = int(rng.integers(2, max(3, n // 8)))
        present = np.abs(np.arange(n) - meet) <= hide
        centres = target.centres.copy()
    else:  # a smaller patch that slides across part of the target
        oh, ow = round(rng.uniform(0.6, 1.0) * extent), round(rng.uniform(0.4, 0.7) * extent)
        offset = rng.choice([-1, 1], 2) * np.array([0.45 * w, 0.3 * h])
        velocity = rng.normal(0, 1, 2)
        velocity *= rng.uniform(2, 4) / max(float(np.linalg.norm(velocity)), 1e-6)
        centres = target.centres[meet] + offset + velocity * (np.arange(n) - meet)[:, None]
    return Layer(
        texture=object_texture(str(rng.choice(TEXTURES)), rng, pool, oh, ow),
        mask=object_mask("rect", oh, ow),
        centres=centres,
        scales=np.ones(n),
        angles=np.zeros(n),
        name="occluder",
        present=present,
    )
