"""Drawing a generated video: pose every layer, composite them, measure boxes and visibility.

Each layer is warped into the frame (rotated, scaled, moved), blurred along its motion if it has MB.
Layers are painted bottom to top; what is above hides what is below.
A box is the exact bounding box of the pixels an object covers at least half.
The visible fraction of each object is measured from the rendered masks: occlusions are tagged so.
`render_video` puts it together: one video, its frames, boxes, visibility, names and attributes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from .content import background_frames, footage_pool
from .motion import gain_curve
from .scene import DESIGNED, Layer, choose_design, look_alike, new_object, occluder

OCCLUDED_BELOW = 0.9  # VID's `occluded` flag: less than 90% of the target visible
ABSENT_BELOW = 0.02  # less than 2% visible counts as absent (full occlusion)


@dataclass
class RenderedVideo:
    """A generated video: frames plus, per track, boxes, visibility and rotated-box polygons."""

    frames: list[np.ndarray]
    boxes: dict[int, np.ndarray]  # trackid -> (n, 4) xywh of the whole object in the frame
    visible: dict[int, np.ndarray]  # trackid -> (n,) visible fraction 0..1
    polygons: dict[int, np.ndarray]  # trackid -> (n, 8) corners of the rotated object
    names: dict[int, str]
    attributes: list[str] = field(default_factory=list)

    def absent(self, trackid: int = 0) -> np.ndarray:
        """(n,) True where the track is hidden (less than ABSENT_BELOW of it visible)."""
        return self.visible[trackid] < ABSENT_BELOW


def _pose_matrix(layer: Layer, t: int) -> np.ndarray:
    """The 2x3 affine map from texture pixels to frame pixels at frame t (rotate, scale, move)."""
    h, w = layer.mask.shape
    m = cv2.getRotationMatrix2D(
        ((w - 1) / 2, (h - 1) / 2), float(layer.angles[t]), float(layer.scales[t])
    )
    m[:, 2] += layer.centres[t] - [(w - 1) / 2, (h - 1) / 2]
    return m


def _corners(layer: Layer, t: int) -> np.ndarray:
    """(4, 2) frame coordinates of the outermost pixel centres of the posed object."""
    h, w = layer.mask.shape
    corners = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float64)
    return corners @ _pose_matrix(layer, t)[:, :2].T + _pose_matrix(layer, t)[:, 2]


def motion_blur_kernel(length: float, direction: float) -> np.ndarray:
    """A normalised line kernel: what a camera's exposure does to a moving object."""
    size = int(length) | 1
    kernel = np.zeros((size, size), np.float32)
    c = (size - 1) / 2
    dx, dy = math.cos(direction) * c, math.sin(direction) * c
    cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1)
    return kernel / kernel.sum()


def warp_layer(
    layer: Layer, t: int, size: tuple[int, int]
) -> tuple[tuple[int, int], np.ndarray, np.ndarray] | None:
    """The posed layer in its frame window: ((x0, y0), colour h x w x 3 float32, alpha h x w)."""
    if layer.present is not None and not layer.present[t]:
        return None
    width, height = size
    pad = int(layer.blur) + 2
    corners = _corners(layer, t)
    x0, y0 = np.floor(corners.min(axis=0)).astype(int) - pad
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + pad
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width - 1), min(y1, height - 1)
    if x1 < x0 or y1 < y0:
        return None
    m = _pose_matrix(layer, t)
    m[:, 2] -= [x0, y0]
    dsize = (x1 - x0 + 1, y1 - y0 + 1)
    colour = cv2.warpAffine(
        layer.texture, m, dsize, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    alpha = cv2.warpAffine(layer.mask, m, dsize, flags=cv2.INTER_LINEAR, borderValue=0)
    return (x0, y0), colour.astype(np.float32), alpha


def _box_of(alpha: np.ndarray, origin: tuple[int, int]) -> np.ndarray:
    """The xywh box of the pixels at least half covered by the object (NaN if none)."""
    ys, xs = np.nonzero(alpha >= 0.5)
    if len(xs) == 0:
        return np.full(4, np.nan)
    return np.array(
        [
            xs.min() + origin[0],
            ys.min() + origin[1],
            xs.max() - xs.min() + 1,
            ys.max() - ys.min() + 1,
        ],
        np.float64,
    )


def render_frame(
    background: np.ndarray, layers: list[Layer], t: int, gain: float
) -> tuple[np.ndarray, list[np.ndarray], list[float]]:
    """Composite the layers (bottom first) over the background: frame, boxes, visible fractions."""
    height, width = background.shape[:2]
    frame = background.astype(np.float32)
    warped = [warp_layer(layer, t, (width, height)) for layer in layers]
    boxes = [_box_of(w[2], w[0]) if w else np.full(4, np.nan) for w in warped]
    covered = np.zeros((height, width), bool)
    visible = [0.0] * len(layers)
    for i in reversed(range(len(layers))):  # top to bottom: what is above hides what is below
        if warped[i] is None:
            continue
        (x0, y0), _, alpha = warped[i]
        solid = alpha >= 0.5
        window = covered[y0 : y0 + alpha.shape[0], x0 : x0 + alpha.shape[1]]
        visible[i] = float((solid & ~window).sum()) / max(1, int(solid.sum()))
        window |= solid
    for layer, w in zip(layers, warped, strict=True):  # bottom to top: paint
        if w is None:
            continue
        (x0, y0), colour, alpha = w
        if layer.blur > 0:
            step = layer.centres[min(t + 1, len(layer.centres) - 1)] - layer.centres[max(t - 1, 0)]
            kernel = motion_blur_kernel(layer.blur, math.atan2(step[1], step[0]))
            colour = cv2.filter2D(colour * alpha[..., None], -1, kernel)
            alpha = cv2.filter2D(alpha, -1, kernel)
            colour = colour / np.maximum(alpha, 1e-3)[..., None]
        region = frame[y0 : y0 + alpha.shape[0], x0 : x0 + alpha.shape[1]]
        a = alpha[..., None]
        region[:] = region * (1 - a) + colour * a
    frame *= gain
    return frame.clip(0, 255).astype(np.uint8), boxes, visible


def measured_attributes(design: set[str], visible: np.ndarray, haslook_alike: bool) -> list[str]:
    """The attribute codes a video really shows (occlusions measured, the rest as designed)."""
    tags = {a for a in design if a in ("IV", "SV", "MB", "FM", "IPR")}
    if np.any((visible >= ABSENT_BELOW) & (visible < OCCLUDED_BELOW)):
        tags.add("OCC")
    if np.any(visible < ABSENT_BELOW):
        tags.add("FOC")
    if haslook_alike:
        tags.add("BC")
    return [a for a in DESIGNED if a in tags]


def render_video(
    rng: np.random.Generator,
    n_frames: int,
    size: tuple[int, int] = (320, 240),
    held_out: bool = False,
) -> RenderedVideo:
    """One generated video: a target (track 0), maybe a look-alike and another object, occluders."""
    pool = footage_pool(held_out)
    k = min(size) / 240
    design = choose_design(rng)
    target = new_object(rng, pool, n_frames, size, design, k)
    objects = [target]
    if "BC" in design:
        objects.append(look_alike(rng, target, n_frames, size, k))
    if rng.random() < 0.3:
        objects.append(new_object(rng, pool, n_frames, size, set(), k))
    order = list(rng.permutation(len(objects)))  # random depth order of the objects
    layers = [objects[i] for i in order]
    if "OCC" in design:
        layers.append(occluder(rng, pool, target, n_frames, full=False))
    if "FOC" in design:
        layers.append(occluder(rng, pool, target, n_frames, full=True))
    backgrounds = background_frames(rng, pool, n_frames, size)
    gains = gain_curve(rng, n_frames, "IV" in design)

    tracks = {i: order.index(i) for i in range(len(objects))}  # track -> depth position
    frames, boxes, visible, polygons = [], [], [], []
    for t in range(n_frames):
        frame, frame_boxes, frame_visible = render_frame(backgrounds[t], layers, t, float(gains[t]))
        frames.append(frame)
        boxes.append([frame_boxes[tracks[i]] for i in range(len(objects))])
        visible.append([frame_visible[tracks[i]] for i in range(len(objects))])
        polygons.append([_corners(layers[tracks[i]], t).reshape(-1) for i in range(len(objects))])
    boxes_a, visible_a, polygons_a = np.array(boxes), np.array(visible), np.array(polygons)
    return RenderedVideo(
        frames=frames,
        boxes={i: boxes_a[:, i] for i in range(len(objects))},
        visible={i: visible_a[:, i] for i in range(len(objects))},
        polygons={i: polygons_a[:, i] for i in range(len(objects))},
        names={i: obj.name for i, obj in enumerate(objects)},
        attributes=measured_attributes(design, visible_a[:, 0], "BC" in design),
    )
