"""Figures of SiamFC as plain functions: arrays to show, or matplotlib figures.

The command line, the notebooks and the widgets all draw with these, so a figure means the same
thing everywhere. Functions named `draw_*` return a new RGB uint8 array (fast: for widgets and
videos); functions named `plot_*` return a matplotlib Figure (for notebooks and exports).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np

from .boxes import box_center
from .config import SiamFCConfig
from .crops import exemplar_side, search_side

BOX_COLOR = (255, 64, 64)  # the tracker's box
TRUTH_COLOR = (64, 220, 64)  # a ground-truth box
CAPTION_FONT = cv2.FONT_HERSHEY_SIMPLEX


def draw_box(
    frame: np.ndarray, box: object, color: tuple[int, int, int] = BOX_COLOR, thickness: int = 2
) -> np.ndarray:
    """A copy of the frame with the [x, y, w, h] box drawn on it."""
    out = np.ascontiguousarray(frame).copy()
    x, y, w, h = (int(round(v)) for v in np.asarray(box, dtype=np.float64))
    cv2.rectangle(out, (x, y), (x + w - 1, y + h - 1), color, thickness)
    return out


def encode(image: np.ndarray, fmt: str = ".jpg", quality: int = 85) -> bytes:
    """An RGB uint8 image as JPEG (or PNG) bytes: what an `ipywidgets.Image` shows quickly."""
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if fmt == ".jpg" else []
    ok, data = cv2.imencode(fmt, cv2.cvtColor(image, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise ValueError(f"OpenCV could not encode a {image.shape} image as {fmt}")
    return data.tobytes()


def to_image(tensor: object) -> np.ndarray:
    """A (3, H, W) float tensor with values 0..255 (what the network sees) -> H x W x 3 uint8."""
    array = np.asarray(tensor.detach().cpu() if hasattr(tensor, "detach") else tensor)
    return np.ascontiguousarray(array.transpose(1, 2, 0).clip(0, 255).round().astype(np.uint8))


def colorize(values: np.ndarray, cmap: str = "viridis", lo: float | None = None,
             hi: float | None = None) -> np.ndarray:  # fmt: skip
    """A 2-D array as an RGB uint8 image through a matplotlib colour map (min..max by default)."""
    from matplotlib import colormaps

    values = np.asarray(values, dtype=np.float64)
    lo = values.min() if lo is None else lo
    hi = values.max() if hi is None else hi
    scaled = (values - lo) / (hi - lo) if hi > lo else np.zeros_like(values)
    return (colormaps[cmap](scaled.clip(0, 1))[..., :3] * 255).round().astype(np.uint8)


def fit_height(image: np.ndarray, height: int) -> np.ndarray:
    """The image resized to `height` pixels, keeping its aspect ratio."""
    width = max(1, round(image.shape[1] * height / image.shape[0]))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def frame_strip(
    frames: list[np.ndarray],
    boxes: object | None = None,
    truth: object | None = None,
    height: int = 144,
    gap: int = 4,
    labels: list[str] | None = None,
) -> np.ndarray:
    """Frames side by side at one height, with tracked boxes (red) and ground truth (green)."""
    tiles = []
    for i, frame in enumerate(frames):
        tile = frame
        if truth is not None and np.all(np.isfinite(truth[i])):
            tile = draw_box(tile, truth[i], TRUTH_COLOR)
        if boxes is not None:
            tile = draw_box(tile, boxes[i])
        tile = fit_height(tile, height)
        if labels is not None:
            tile = draw_caption(tile, labels[i])
        tiles.append(tile)
        tiles.append(np.full((height, gap, 3), 255, np.uint8))
    return np.concatenate(tiles[:-1], axis=1)


def draw_caption(
    image: np.ndarray, text: str, origin: tuple[int, int] = (4, 16), color=(255, 255, 0)
) -> np.ndarray:
    """A copy of the image with `text` on a dark box: legible over bright and yellow pictures."""
    out = np.ascontiguousarray(image).copy()
    (width, height), baseline = cv2.getTextSize(text, CAPTION_FONT, 0.5, 1)
    x, y = origin
    cv2.rectangle(out, (x - 3, y - height - 3), (x + width + 2, y + baseline), (0, 0, 0), -1)
    cv2.putText(out, text, (x, y), CAPTION_FONT, 0.5, color, 1, cv2.LINE_AA)
    return out


def draw_colorbar(
    height: int, lo: float, hi: float, ticks: list[float], cmap: str = "viridis", width: int = 16
) -> np.ndarray:
    """A vertical colour bar from lo (bottom) to hi (top), with each tick's value beside it."""
    column = np.linspace(hi, lo, height)[:, None].repeat(width, axis=1)
    out = np.full((height, width + 72, 3), 255, np.uint8)
    out[:, :width] = colorize(column, cmap, lo, hi)
    for value in ticks:
        y = round((hi - value) / (hi - lo) * (height - 1)) if hi > lo else height // 2
        cv2.line(out, (width, y), (width + 4, y), (0, 0, 0), 1)
        text_y = int(np.clip(y + 4, 10, height - 3))
        label = f"{value:.4g}"
        cv2.putText(out, label, (width + 7, text_y), CAPTION_FONT, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return out


def draw_score_map(
    crop: np.ndarray, score_map: np.ndarray, spacing: float, alpha: float = 0.55
) -> np.ndarray:
    """The search crop with a score map blended over the region it covers.

    A map of n x n cells whose centres are `spacing` crop pixels apart (8 for the raw 17 x 17 map,
    8/16 = 0.5 after upsampling x16) covers the central n * spacing pixels of the crop.
    """
    side = int(round(score_map.shape[0] * spacing))
    heat = cv2.resize(colorize(score_map), (side, side), interpolation=cv2.INTER_NEAREST)
    out = crop.copy()
    top = (crop.shape[0] - side) // 2
    region = out[top : top + side, top : top + side]
    out[top : top + side, top : top + side] = cv2.addWeighted(region, 1 - alpha, heat, alpha, 0)
    cv2.rectangle(out, (top, top), (top + side - 1, top + side - 1), (255, 255, 255), 1)
    return out


def draw_peak(image: np.ndarray, xy: tuple[float, float], color=(255, 255, 255)) -> np.ndarray:
    """A copy of the image with a cross at (x, y)."""
    out = image.copy()
    cv2.drawMarker(out, (int(round(xy[0])), int(round(xy[1]))), color, cv2.MARKER_CROSS, 14, 2)
    return out


def draw_context(frame: np.ndarray, box: object, cfg: SiamFCConfig) -> np.ndarray:
    """The frame with the target box, its exemplar square (context) and its search square."""
    b = np.asarray(box, dtype=np.float64)
    cx, cy = box_center(b)
    out = draw_box(frame, b, TRUTH_COLOR)
    for side, color in ((exemplar_side(b[2], b[3], cfg), (255, 200, 0)),
                        (search_side(b[2], b[3], cfg), (0, 160, 255))):  # fmt: skip
        out = draw_box(out, [cx - (side - 1) / 2, cy - (side - 1) / 2, side, side], color)
    return out


def plot_track_step(step: object, cfg: SiamFCConfig, title: str = "") -> object:
    """One frame of SiamFC as a figure: each scale's crop and map, then the chosen map's path."""
    import matplotlib.pyplot as plt

    n = len(step.scale_factors)
    fig, axes = plt.subplots(2, max(n, 4), figsize=(3.2 * max(n, 4), 6.6))
    spacing = cfg.total_stride / cfg.response_up
    for k in range(n):
        ax = axes[0, k]
        ax.imshow(draw_score_map(step.search_crops[k], step.penalised[k], spacing))
        chosen = " (chosen)" if k == step.best_scale else ""
        peak = step.penalised[k].max()
        ax.set_title(f"scale {step.scale_factors[k]:.4f}{chosen}\npenalty {step.penalty[k]:.4f}, "
                     f"peak {peak:.2f}", fontsize=9)  # fmt: skip
    panels = [
        (step.raw_scores[step.best_scale], "raw 17x17 map"),
        (step.normalised, "upsampled x16, normalised"),
        (step.window, "cosine window"),
        (step.windowed, f"windowed: peak (row, col) {step.peak}"),
    ]
    for ax, (image, name) in zip(axes[1], panels, strict=False):
        ax.imshow(image, cmap="viridis")
        ax.set_title(name, fontsize=9)
    axes[1, 3].plot(step.peak[1], step.peak[0], "w+", markersize=14, markeredgewidth=2)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[0, n:]:
        ax.set_visible(False)
    fig.suptitle(title or f"displacement {np.round(step.displacement_frame, 1)} frame px", y=0.99)
    fig.tight_layout()
    return fig


def plot_label_map(labels: object, weights: object | None = None) -> object:
    """The label map (+1 / -1) and, if given, the balance weights beside it."""
    import matplotlib.pyplot as plt

    panels = [(np.asarray(labels), "labels y (+1 yellow, -1 purple)")]
    if weights is not None:
        panels.append((np.asarray(weights), "balance weights"))
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.4), squeeze=False)
    for ax, (image, name) in zip(axes[0], panels, strict=True):
        shown = ax.imshow(image, cmap="viridis")
        ax.set_title(name, fontsize=10)
        fig.colorbar(shown, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def animated_gif(frames: list[np.ndarray], fps: float = 10, width: int | None = None) -> bytes:
    """Frames as an animated GIF (plays in any browser, notebook exports included)."""
    import io

    from PIL import Image

    if width is not None:
        frames = [fit_height(f, round(f.shape[0] * width / f.shape[1])) for f in frames]
    images = [Image.fromarray(f) for f in frames]
    buffer = io.BytesIO()
    images[0].save(buffer, format="GIF", save_all=True, append_images=images[1:],
                   duration=round(1000 / fps), loop=0)  # fmt: skip
    return buffer.getvalue()


# ----------------------------------------------------------------------------- videos

VIDEO_CODECS = {  # extension -> the codecs to try, in order: the first OpenCV can encode wins
    ".webm": ("VP80",),  # VP8: plays in every browser and in JupyterLab
    ".mp4": ("avc1", "mp4v"),  # H.264 plays in browsers; MPEG-4 Part 2 (mp4v) does not
}
BROWSER_CODECS = ("VP80", "avc1")  # the codecs above that a browser plays


def video_codecs(path: str | Path) -> tuple[str, ...]:
    """The codecs to try for a video file, from its extension; any other extension is refused."""
    suffix = Path(path).suffix.lower()
    if suffix not in VIDEO_CODECS:
        raise ValueError(
            f"cannot write a video to {path}: its name must end in .webm (VP8, plays in "
            "browsers and JupyterLab) or .mp4 (H.264 if this OpenCV has it, else mp4v)"
        )
    return VIDEO_CODECS[suffix]


@contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence what FFmpeg prints straight to the process's stderr while OpenCV tries a codec."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to silence (some embedded interpreters)
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class VideoWriter:
    """An RGB video file being written: its codec chosen from its extension, one frame size.

    >>> with VideoWriter("tracked.webm", fps=25, size=(176, 144)) as video:
    ...     video.write(frame)
    """

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int]):
        self.path, self.size = Path(path), tuple(size)
        if not fps > 0:
            raise ValueError(f"the frame rate of {path} must be a positive number, got {fps}")
        codecs = video_codecs(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            problem = f"{err.strerror}: {err.filename}"
            raise OSError(f"cannot write the video {path}: {problem}") from None
        for codec in codecs:
            with quiet_stderr():  # a codec OpenCV lacks makes FFmpeg print errors we report below
                self.writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, size)
            if self.writer.isOpened():
                self.codec = codec
                return
        raise OSError(f"OpenCV cannot write the video {path} (tried {', '.join(codecs)})")

    def write(self, frame: np.ndarray) -> None:
        """Add one RGB frame; a frame of another size is refused (OpenCV would drop it silently)."""
        if frame.shape[1::-1] != self.size:
            raise ValueError(
                f"the frame is {frame.shape[1]}x{frame.shape[0]} but the video {self.path} "
                f"started at {self.size[0]}x{self.size[1]}"
            )
        self.writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))

    def close(self) -> None:
        """Finish the file (the frames written so far stay playable)."""
        self.writer.release()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
