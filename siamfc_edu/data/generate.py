"""A generated ImageNet VID: real textures moving over real footage, written in the real layouts.

`make_dataset` renders short videos (deterministic for a seed) and writes them where the real
data sets would be, so that the same readers serve both:

    OUT/ILSVRC2015/Data/VID/train/ILSVRC2015_VID_train_0000/<snippet>/000000.JPEG
    OUT/ILSVRC2015/Annotations/VID/train/ILSVRC2015_VID_train_0000/<snippet>/000000.xml
    OUT/ILSVRC2015/Data/VID/val/<snippet>/...   (and Annotations/VID/val/...)
    OUT/OTB/<seq>/img/0001.jpg + groundtruth_rect.txt            (held-out evaluation split)
    OUT/GOT-10k/val/list.txt + <seq>/00000001.jpg + groundtruth.txt, absence.label, cover.label

Each video has one target (track 0) and maybe a look-alike distractor and other objects; textures
are patches of the shipped footage or procedural patterns; backgrounds are frames of the footage.
Every sequence lists its attributes (OTB's codes, see ATTRIBUTES) in `attributes.txt`.
"""

from __future__ import annotations

import json
import math
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from ..boxes import xywh_to_otb, xywh_to_xyxy
from .footage import read_video

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
TEXTURES = ("footage", "checker", "stripes", "noise", "rings")
JPEG_QUALITY = 90
HELD_OUT_FRACTION = 0.25  # the last quarter of every clip is kept for the evaluation split
OCCLUDED_BELOW = 0.9  # VID's `occluded` flag: less than 90% of the target visible
ABSENT_BELOW = 0.02  # less than 2% visible counts as absent (full occlusion)


# ----------------------------------------------------------------------------- real content


@lru_cache(maxsize=2)
def footage_pool(held_out: bool) -> tuple[np.ndarray, ...]:
    """Frames of the shipped clips (at most 512 px wide): first 3/4 for training, or the rest."""
    clips = []
    for name in ("bikes", "bigbuckbunny", "carphone_pristine"):
        frames = read_video(name, step=2, max_side=512)
        cut = int(len(frames) * (1 - HELD_OUT_FRACTION))
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


# ----------------------------------------------------------------------------- motion


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


# ----------------------------------------------------------------------------- rendering


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


def choose_design(rng: np.random.Generator) -> set[str]:
    """The attributes a video is built to have: each with probability 0.35, at least one."""
    chosen = {a for a in DESIGNED if rng.random() < 0.35}
    return chosen or {str(rng.choice(DESIGNED))}


def _new_object(
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


def _look_alike(
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


def _occluder(
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


def measured_attributes(design: set[str], visible: np.ndarray, has_look_alike: bool) -> list[str]:
    """The attribute codes a video really shows (occlusions measured, the rest as designed)."""
    tags = {a for a in design if a in ("IV", "SV", "MB", "FM", "IPR")}
    if np.any((visible >= ABSENT_BELOW) & (visible < OCCLUDED_BELOW)):
        tags.add("OCC")
    if np.any(visible < ABSENT_BELOW):
        tags.add("FOC")
    if has_look_alike:
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
    target = _new_object(rng, pool, n_frames, size, design, k)
    objects = [target]
    if "BC" in design:
        objects.append(_look_alike(rng, target, n_frames, size, k))
    if rng.random() < 0.3:
        objects.append(_new_object(rng, pool, n_frames, size, set(), k))
    order = list(rng.permutation(len(objects)))  # random depth order of the objects
    layers = [objects[i] for i in order]
    if "OCC" in design:
        layers.append(_occluder(rng, pool, target, n_frames, full=False))
    if "FOC" in design:
        layers.append(_occluder(rng, pool, target, n_frames, full=True))
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


# ----------------------------------------------------------------------------- writers


@dataclass
class VidObject:
    """One object in one VID frame: what an <object> element of the XML holds."""

    trackid: int
    name: str
    box: np.ndarray  # xywh, 0-based
    occluded: bool = False


def encode_jpeg(frame: np.ndarray) -> bytes:
    """An RGB frame as JPEG bytes (quality 90)."""
    ok, data = cv2.imencode(
        ".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    )
    if not ok:
        raise ValueError("OpenCV could not encode a frame as JPEG")
    return data.tobytes()


def vid_xml(
    folder: str, filename: str, width: int, height: int, objects: list[VidObject]
) -> ET.ElementTree:
    """One VID annotation: size, then per object trackid, name, bndbox (inclusive), occluded."""
    root = ET.Element("annotation")
    ET.SubElement(root, "folder").text = folder
    ET.SubElement(root, "filename").text = filename
    source = ET.SubElement(root, "source")
    ET.SubElement(source, "database").text = "ILSVRC_2015"
    size = ET.SubElement(root, "size")
    ET.SubElement(size, "width").text = str(width)
    ET.SubElement(size, "height").text = str(height)
    for obj in objects:
        element = ET.SubElement(root, "object")
        ET.SubElement(element, "trackid").text = str(obj.trackid)
        ET.SubElement(element, "name").text = obj.name
        x1, y1, x2, y2 = (int(round(v)) for v in xywh_to_xyxy(obj.box))
        bndbox = ET.SubElement(element, "bndbox")
        for tag, value in (("xmax", x2), ("xmin", x1), ("ymax", y2), ("ymin", y1)):
            ET.SubElement(bndbox, tag).text = str(value)
        ET.SubElement(element, "occluded").text = str(int(obj.occluded))
        ET.SubElement(element, "generated").text = "0"
    ET.indent(root, space="\t")
    return ET.ElementTree(root)


def write_attributes(folder: Path, attributes: list[str]) -> None:
    """attributes.txt: one attribute code per line (our addition to every layout)."""
    (folder / "attributes.txt").write_text("".join(f"{a}\n" for a in attributes))


def write_vid_snippet(
    root: str | Path,
    subset: str,
    snippet: str,
    frames: list[np.ndarray],
    annotations: list[list[VidObject]],
    attributes: list[str] = (),
    group: str | None = None,
) -> Path:
    """Write a snippet in VID layout: Data/VID/<subset>[/<group>]/<snippet>/000000.JPEG and XML."""
    relative = Path(subset) / group / snippet if group else Path(subset) / snippet
    data_dir = Path(root) / "Data" / "VID" / relative
    anno_dir = Path(root) / "Annotations" / "VID" / relative
    data_dir.mkdir(parents=True, exist_ok=True)
    anno_dir.mkdir(parents=True, exist_ok=True)
    for index, (frame, objects) in enumerate(zip(frames, annotations, strict=True)):
        (data_dir / f"{index:06d}.JPEG").write_bytes(encode_jpeg(frame))
        folder = str(relative.relative_to(subset)) if group else snippet
        xml = vid_xml(folder, f"{index:06d}", frame.shape[1], frame.shape[0], objects)
        xml.write(anno_dir / f"{index:06d}.xml")
    write_attributes(anno_dir, list(attributes))
    return data_dir


def write_numbered_frames(
    folder: Path, frames: list[np.ndarray] | list[bytes], digits: int
) -> None:
    """Write frames as 1-based numbered JPEGs (0001.jpg, ...); bytes are already-encoded JPEGs."""
    folder.mkdir(parents=True, exist_ok=True)
    for index, frame in enumerate(frames, start=1):
        data = frame if isinstance(frame, bytes) else encode_jpeg(frame)
        (folder / f"{index:0{digits}d}.jpg").write_bytes(data)


def write_rows(path: Path, rows: np.ndarray, fmt: str = "g", delimiter: str = ",") -> None:
    """Write one line of numbers per row: a ground-truth file."""
    lines = [delimiter.join(f"{v:{fmt}}" for v in row) for row in np.asarray(rows)]
    path.write_text("\n".join(lines) + "\n")


def write_otb_sequence(
    root: str | Path,
    name: str,
    frames: list[np.ndarray] | list[bytes],
    boxes: np.ndarray,
    attributes: list[str] = (),
    delimiter: str = ",",
) -> Path:
    """Write a sequence in OTB layout: <name>/img/0001.jpg... and groundtruth_rect.txt (1-based)."""
    folder = Path(root) / name
    write_numbered_frames(folder / "img", frames, digits=4)
    write_rows(folder / "groundtruth_rect.txt", xywh_to_otb(boxes), delimiter=delimiter)
    write_attributes(folder, list(attributes))
    return folder


def cover_level(visible: np.ndarray) -> np.ndarray:
    """GOT-10k's cover label: the visible fraction in 9 levels, 0 (hidden) to 8 (fully visible)."""
    return np.clip(np.ceil(np.asarray(visible) * 8 - 1e-9), 0, 8).astype(int)


def write_got10k_sequence(
    root: str | Path,
    subset: str,
    name: str,
    frames: list[np.ndarray] | list[bytes],
    boxes: np.ndarray,
    absent: np.ndarray,
    cover: np.ndarray,
    attributes: list[str] = (),
) -> Path:
    """Write a sequence in GOT-10k layout: <subset>/<name>/00000001.jpg, groundtruth.txt, labels."""
    folder = Path(root) / subset / name
    write_numbered_frames(folder, frames, digits=8)
    write_rows(folder / "groundtruth.txt", xywh_to_otb(boxes))
    (folder / "absence.label").write_text("".join(f"{int(a)}\n" for a in absent))
    (folder / "cover.label").write_text("".join(f"{int(c)}\n" for c in cover))
    write_attributes(folder, list(attributes))
    with open(Path(root) / subset / "list.txt", "a") as listing:
        listing.write(f"{name}\n")
    return folder


def write_vot_sequence(
    root: str | Path,
    name: str,
    frames: list[np.ndarray] | list[bytes],
    polygons: np.ndarray,
    attributes: list[str] = (),
) -> Path:
    """Write a sequence in VOT layout: <name>/color/00000001.jpg and groundtruth.txt (8 values)."""
    folder = Path(root) / name
    write_numbered_frames(folder / "color", frames, digits=8)
    write_rows(folder / "groundtruth.txt", polygons, fmt=".2f")
    write_attributes(folder, list(attributes))
    with open(Path(root) / "list.txt", "a") as listing:
        listing.write(f"{name}\n")
    return folder


def vid_annotations(video: RenderedVideo) -> list[list[VidObject]]:
    """Per frame, the VID objects of a rendered video: every visible track, occluded flag set."""
    frames = []
    for t in range(len(video.frames)):
        objects = []
        for trackid, boxes in video.boxes.items():
            seen = video.visible[trackid][t]
            if seen >= ABSENT_BELOW and np.all(np.isfinite(boxes[t])):
                objects.append(
                    VidObject(trackid, video.names[trackid], boxes[t], bool(seen < OCCLUDED_BELOW))
                )
        frames.append(objects)
    return frames


# ----------------------------------------------------------------------------- the data set


def video_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The random stream of one video: a function of (seed, split, index) only."""
    return np.random.default_rng([seed, ("train", "val", "eval").index(split), index])


def make_dataset(
    out: str | Path,
    videos: int,
    seed: int,
    eval_videos: int | None = None,
    frames_per_video: int = 40,
    size: tuple[int, int] = (320, 240),
    val_videos: int | None = None,
    verbose: bool = True,
) -> Path:
    """Write a generated VID (train + val) and a held-out OTB + GOT-10k evaluation split under out.

    Deterministic for `seed`. The evaluation split uses other random streams and the held-out last
    quarter of every footage clip, so no background frame or texture patch is shared with training.
    """
    if videos < 1 or frames_per_video < 2:
        raise ValueError(
            f"need videos >= 1 and frames_per_video >= 2, got {videos}, {frames_per_video}"
        )
    start = time.perf_counter()
    out = Path(out)
    eval_videos = max(2, videos // 4) if eval_videos is None else eval_videos
    val_videos = max(1, videos // 10) if val_videos is None else val_videos
    vid_root = out / "ILSVRC2015"
    counts = {"frames": 0}

    for split, count in (("train", videos), ("val", val_videos)):
        for i in range(count):
            video = render_video(video_rng(seed, split, i), frames_per_video, size)
            snippet = f"ILSVRC2015_{split}_{i:08d}"
            group = f"ILSVRC2015_VID_train_{i // 1000:04d}" if split == "train" else None
            write_vid_snippet(
                vid_root,
                split,
                snippet,
                video.frames,
                vid_annotations(video),
                video.attributes,
                group,
            )
            counts["frames"] += len(video.frames)

    (out / "GOT-10k" / "val").mkdir(parents=True, exist_ok=True)
    (out / "GOT-10k" / "val" / "list.txt").write_text("")
    for i in range(eval_videos):
        video = render_video(video_rng(seed, "eval", i), frames_per_video, size, held_out=True)
        jpegs = [encode_jpeg(frame) for frame in video.frames]
        absent = video.absent(0)
        write_otb_sequence(out / "OTB", f"Gen{i + 1:04d}", jpegs, video.boxes[0], video.attributes)
        write_got10k_sequence(
            out / "GOT-10k",
            "val",
            f"GOT-10k_Val_{i + 1:06d}",
            jpegs,
            video.boxes[0],
            absent,
            np.where(absent, 0, cover_level(video.visible[0])),
            video.attributes,
        )
        counts["frames"] += len(video.frames)

    elapsed = time.perf_counter() - start
    summary = {
        "generator": "siamfc_edu.data.generate.make_dataset",
        "seed": seed,
        "train_videos": videos,
        "val_videos": val_videos,
        "eval_videos": eval_videos,
        "frames_per_video": frames_per_video,
        "size": list(size),
        "seconds": round(elapsed, 2),
    }
    (out / "dataset.json").write_text(json.dumps(summary, indent=2) + "\n")
    if verbose:
        print(
            f"wrote {videos} train + {val_videos} val VID snippets and {eval_videos} held-out "
            f"evaluation sequences (OTB, GOT-10k), {counts['frames']} frames of "
            f"{size[0]}x{size[1]}, under {out} in {elapsed:.1f} s"
        )
    return out
