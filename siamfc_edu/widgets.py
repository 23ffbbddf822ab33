"""Interactive widgets of the course: the score-map explorer, labels, embedding channels, pairs.

Each widget is a small class: its state and callbacks are plain methods (`show_frame`,
`set_setting`, ...) that the tests call without a browser, and `.widget` assembles the ipywidgets
around them. Pictures are JPEG bytes in `ipywidgets.Image`: fast, and no extension is needed
beyond stock ipywidgets in JupyterLab 4.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import cv2
import ipywidgets as W
import numpy as np
import torch
from torch.utils.data import Dataset

from . import viz
from .config import SiamFCConfig, get_preset
from .losses import balanced_weights, logistic_labels
from .tracker import SiamFCTracker

DISPLAY_WIDTH = 480  # frames are shown at most this wide: encoding stays fast on any clip
MIN_WIDTH = 320  # ... and at least this wide: small clips are enlarged
SETTINGS = {  # the tracker's settings a learner can move: (min, max, step)
    "window_influence": (0.0, 1.0, 0.01),
    "scale_penalty": (0.90, 1.0, 0.0025),
    "scale_step": (1.0, 1.15, 0.0025),
    "scale_lr": (0.0, 1.0, 0.01),
}
PROGRESS_S = 0.2  # during a long re-track, the picture is refreshed at least this often (s)
BUSY = "tracking…"  # the status line while the clip is tracked again


def readout_format(*numbers: float) -> str:
    """A readout format with as many decimals as the most precise number: 0.0025 -> '.4f'."""
    decimals = [-Decimal(f"{n:.6g}").normalize().as_tuple().exponent for n in numbers]
    return f".{max(0, *decimals)}f"


def float_slider(value: float, lo: float, hi: float, step: float, **options) -> W.FloatSlider:
    """A FloatSlider whose readout shows every step and the start value (the default: .2f)."""
    return W.FloatSlider(
        value,
        min=lo,
        max=hi,
        step=step,
        readout_format=readout_format(step, value),
        continuous_update=False,
        **options,
    )


def status_line() -> W.Label:
    """A line of text that says what the widget is busy with (empty when idle)."""
    status = W.Label("")
    status.add_class("siamfc-status")
    return status


def column(children: list[W.Widget]) -> W.VBox:
    """Widgets one above the other, each at its own width (a plain VBox stretches images)."""
    return W.VBox(children, layout=W.Layout(align_items="flex-start"))


def image_widget(image: np.ndarray, width: int | None = None) -> W.Image:
    """An ipywidgets.Image showing an RGB array (JPEG-encoded)."""
    layout = W.Layout(width=f"{width}px") if width else W.Layout()
    return W.Image(value=viz.encode(image), format="jpeg", layout=layout)


def shrink(frame: np.ndarray) -> tuple[np.ndarray, float]:
    """The frame resized to a width between MIN_WIDTH and DISPLAY_WIDTH, and the factor used."""
    width = frame.shape[1]
    factor = DISPLAY_WIDTH / width if width > DISPLAY_WIDTH else max(1.0, MIN_WIDTH / width)
    if factor == 1.0:
        return frame, 1.0
    return viz.fit_height(frame, round(frame.shape[0] * factor)), factor


# ----------------------------------------------------------------------------- arguments


def clip_frames(frames: object) -> list:
    """The frames of a clip, or a one-line error: a non-empty list of H x W x 3 arrays."""
    if isinstance(frames, np.ndarray) and frames.ndim == 4:
        frames = list(frames)
    if not isinstance(frames, (list, tuple)) or not frames:
        what = f"an empty {type(frames).__name__}" if hasattr(frames, "__len__") else repr(frames)
        raise ValueError(f"frames must be a non-empty list of RGB frames (H x W x 3), got {what}")
    if not all(isinstance(f, np.ndarray) for f in frames):
        raise ValueError("frames must be numpy arrays (H x W x 3 uint8): read_video gives them")
    return list(frames)


def clip_start(start: object, n_frames: int) -> int:
    """The start frame, or a one-line error: a whole number in 0 .. n_frames - 1."""
    if isinstance(start, bool) or not isinstance(start, (int, np.integer)):
        raise ValueError(f"start must be a frame number (an int), got {start!r}")
    if not 0 <= start < n_frames:
        frames = f"0 .. {n_frames - 1}; negative numbers are not counted from the end"
        raise ValueError(f"start={start} is not a frame of this {n_frames}-frame clip ({frames})")
    return int(start)


def as_config(cfg: object) -> SiamFCConfig:
    """A SiamFCConfig from itself or a preset name ('tiny', 'paper', ...), or a one-line error."""
    if isinstance(cfg, str):
        return get_preset(cfg)
    if not isinstance(cfg, SiamFCConfig):
        raise ValueError(f"expected a SiamFCConfig or a preset name such as 'tiny' (see "
                         f"siamfc_edu.get_preset), got {type(cfg).__name__}: {cfg!r}")  # fmt: skip
    return cfg


def positive_int(value: object, name: str) -> int:
    """A whole number of at least 1, or a one-line error naming the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
    return int(value)


# ----------------------------------------------------------------------------- score-map explorer


@dataclass
class FrameState:
    """What the tracker knew after one frame: enough to replay the next frame exactly."""

    center: np.ndarray
    scale: float
    box: np.ndarray
    best_scale: int


class ScoreMapExplorer:
    """Track a clip from a first box; look at any frame's pyramid, score maps and chosen peak.

    Frames are tracked when first needed: a settings change re-tracks up to the frame shown, at
    once, and the later frames as the learner moves on (or when `path()` asks for them all).
    """

    def __init__(
        self,
        frames: list[np.ndarray],
        box: object,
        tracker: SiamFCTracker | None = None,
        start: int = 0,
        truth: np.ndarray | None = None,
    ) -> None:
        self.frames, self.start = clip_frames(frames), clip_start(start, len(frames))
        self.truth = truth
        if truth is not None and len(truth) != len(frames):
            raise ValueError(
                f"truth has {len(truth)} boxes for {len(frames)} frames: one per frame"
            )
        self.box = np.asarray(box, dtype=np.float64)
        self.base = tracker or SiamFCTracker.from_weights(device="cpu")
        self.cfg = self.base.cfg
        self.frame = self.start
        self.images: dict[str, W.Image] = {}
        self.status = status_line()
        self._widget: W.Widget | None = None
        self.run()

    def tracker(self) -> SiamFCTracker:
        """A tracker of its own (`base` is left as it was) with the current settings."""
        return SiamFCTracker(self.base.net, self.cfg, self.base.device, self.base.pieces)

    def run(self) -> None:
        """Start again from the start frame with the current settings; track nothing further yet."""
        self._tracker = self.tracker()
        self._tracker.init(self.frames[self.start], self.box)
        first = FrameState(self._tracker.center.copy(), self._tracker.scale, self.box.copy(), -1)
        self.states = [first]
        self._last_step: tuple[int, object] | None = None  # (t, TrackStep) of the last tracked

    def track_to(self, t: int, progress: Callable[[int], None] | None = None) -> None:
        """Track on from the last tracked frame until frame t is known.

        `progress(k)` is called with the last tracked frame k at least every PROGRESS_S seconds,
        so that a long re-track shows itself while it runs.
        """
        last_shown = time.monotonic()
        while self.start + len(self.states) <= t:
            k = self.start + len(self.states)
            step = self.replay(k)
            self.states.append(FrameState(step.center, step.scale, step.box, step.best_scale))
            self._last_step = (k, step)
            if progress is not None and k < t and time.monotonic() - last_shown > PROGRESS_S:
                progress(k)
                last_shown = time.monotonic()

    def replay(self, t: int):
        """The TrackStep of frame t, computed from the state the tracker had after frame t - 1."""
        before = self.states[t - 1 - self.start]
        self._tracker.center, self._tracker.scale = before.center.copy(), before.scale
        return self._tracker.step(self.frames[t])

    def state(self, t: int) -> FrameState:
        """What the tracker knew after frame t (tracking up to it if needed)."""
        self.track_to(t)
        return self.states[t - self.start]

    def step_at(self, t: int):
        """The TrackStep of frame t (after the start), replayed from the state before it."""
        self.track_to(t - 1)
        if self._last_step is not None and self._last_step[0] == t:
            return self._last_step[1]
        return self.replay(t)

    def path(self) -> np.ndarray:
        """The tracked boxes from the start frame to the last frame, (N, 4)."""
        self.track_to(len(self.frames) - 1)
        return np.array([s.box for s in self.states])

    # ---------------------------------------------------------------- what is drawn

    def frame_image(self, t: int) -> np.ndarray:
        """Frame t with the tracked box (red), the ground truth (green) and the path so far."""
        state = self.state(t)
        frame = self.frames[t]
        if self.truth is not None and np.all(np.isfinite(self.truth[t])):
            frame = viz.draw_box(frame, self.truth[t], viz.TRUTH_COLOR)
        frame = viz.draw_box(frame, state.box)
        centers = np.array([s.center for s in self.states[: t - self.start + 1]])
        cv2.polylines(frame, [centers.round().astype(np.int32)], False, (255, 255, 0), 1)
        return shrink(frame)[0]

    def pyramid_image(self, t: int) -> np.ndarray:
        """Each scale's search crop with its penalised score map; the chosen one framed in red."""
        if t == self.start:
            return viz.frame_strip([self.base_exemplar()], height=160, labels=["exemplar z"])
        step = self.step_at(t)
        spacing = self.cfg.total_stride / self.cfg.response_up
        tiles, labels = [], []
        for k, factor in enumerate(step.scale_factors):
            tile = viz.draw_score_map(step.search_crops[k], step.penalised[k], spacing)
            if k == step.best_scale:
                row, col = step.peak
                center = (self.cfg.instance_size - 1) / 2
                middle = (self.cfg.upscale_size - 1) / 2  # the map's centre cell
                tile = viz.draw_peak(tile, (center + (col - middle) * spacing,
                                            center + (row - middle) * spacing))  # fmt: skip
                tile = viz.draw_box(tile, [0, 0, tile.shape[1], tile.shape[0]], thickness=4)
            tiles.append(tile)
            labels.append(f"x{factor:.3f} peak {step.penalised[k].max():.2f}")
        return viz.frame_strip(tiles, height=160, labels=labels)

    def base_exemplar(self) -> np.ndarray:
        """The exemplar crop z of the start frame."""
        return self._tracker.exemplar

    def caption(self, t: int) -> str:
        """The frame number, the box and the chosen scale, as a line of text."""
        state = self.state(t)
        box = ", ".join(f"{v:.1f}" for v in state.box)
        scale = "start" if state.best_scale < 0 else f"scale {state.best_scale + 1} chosen"
        return f"frame {t} / {len(self.frames) - 1} | box [{box}] | {scale}"

    # ---------------------------------------------------------------- callbacks

    def show_frame(self, t: int) -> None:
        """Move to frame t: track up to it if needed, redraw the frame, the caption, the pyramid."""
        self.frame = int(np.clip(t, self.start, len(self.frames) - 1))
        if not self.images:
            return
        self.track_to(self.frame, progress=self.show_progress)
        self.images["frame"].value = viz.encode(self.frame_image(self.frame))
        self.caption_widget.value = self.caption(self.frame)
        self.images["pyramid"].value = viz.encode(self.pyramid_image(self.frame))
        self.status.value = ""

    def show_progress(self, k: int) -> None:
        """While tracking towards the frame shown: frame k, the last one tracked, and its box."""
        self.images["frame"].value = viz.encode(self.frame_image(k))
        self.status.value = f"{BUSY} frame {k}, on to frame {self.frame}"

    def set_setting(self, name: str, value: float) -> None:
        """Change one tracker setting; track again from the start frame to the frame shown."""
        self.status.value = BUSY  # sent at once: the re-track below keeps the kernel busy
        self.cfg = self.cfg.replace(**{name: value})
        self.run()
        self.show_frame(self.frame)

    @property
    def widget(self) -> W.Widget:
        """The explorer: frame, pyramid, a frame slider with Play, and the settings sliders."""
        if self._widget is None:
            self._widget = self._build()
        return self._widget

    def _build(self) -> W.Widget:
        self.images = {
            "frame": image_widget(self.frame_image(self.frame)),
            "pyramid": image_widget(self.pyramid_image(self.frame)),
        }
        self.caption_widget = W.Label(self.caption(self.frame))
        self.caption_widget.add_class("siamfc-caption")
        last = len(self.frames) - 1
        slider = W.IntSlider(self.frame, self.start, last, description="frame",
                             continuous_update=False, layout=W.Layout(width="420px"))  # fmt: skip
        play = W.Play(value=self.frame, min=self.start, max=last, interval=150)
        W.jslink((play, "value"), (slider, "value"))
        slider.observe(lambda change: self.show_frame(change["new"]), names="value")
        controls = []
        for name, (lo, hi, step) in SETTINGS.items():
            s = float_slider(getattr(self.cfg, name), lo, hi, step, description=name,
                             style={"description_width": "120px"})  # fmt: skip
            s.observe(lambda change, n=name: self.set_setting(n, change["new"]), names="value")
            controls.append(s)
        self.sliders = {"frame": slider, **dict(zip(SETTINGS, controls, strict=True))}
        return column([
            W.HBox([play, slider]), W.HBox([self.caption_widget, self.status]),
            W.HBox([self.images["frame"], column(controls)]), self.images["pyramid"],
        ])  # fmt: skip


# ----------------------------------------------------------------------------- labels


def html_row(tag: str, texts: list[str]) -> str:
    """A table row of `tag` cells ("td" or "th"): the first aligned left, numbers right."""
    cells = [
        f'<{tag} style="padding:1px 10px; text-align:{"right" if i else "left"}">{text}</{tag}>'
        for i, text in enumerate(texts)
    ]
    return f"<tr>{''.join(cells)}</tr>"


class LabelExplorer:
    """The label map and its balance weights for a radius R (search pixels) and a stride."""

    WEIGHTS_CMAP = "magma"  # not the labels' viridis: the weights panel must not look like labels

    def __init__(self, cfg: SiamFCConfig | str, scale: int = 12) -> None:
        cfg, scale = as_config(cfg), positive_int(scale, "scale (pixels per cell)")
        self.radius, self.stride = cfg.r_pos, cfg.total_stride
        self.size, self.scale = cfg.score_size, scale
        self.image = image_widget(self.picture())
        self.table = W.HTML(self.weights_table())

    def maps(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(labels, weights) for the current radius and stride."""
        labels = logistic_labels(self.size, self.radius / self.stride)
        return labels, balanced_weights(labels)

    def picture(self) -> np.ndarray:
        """Labels, then weights with a colour bar of their values; each cell `scale` px wide."""
        labels, weights = (m.numpy() for m in self.maps())
        cells = np.ones((self.scale, self.scale, 1), np.uint8)
        label_tile = np.kron(viz.colorize(labels, lo=-1, hi=1), cells)
        top = float(weights.max())
        weight_tile = np.kron(viz.colorize(weights, self.WEIGHTS_CMAP, lo=0, hi=top), cells)
        height = self.size * self.scale
        bar = viz.draw_colorbar(height, 0, top, sorted(set(weights.flat)), self.WEIGHTS_CMAP)
        gap = np.full((height, 6, 3), 255, np.uint8)
        positives = int((labels > 0).sum())
        return viz.frame_strip(
            [label_tile, np.concatenate([weight_tile, gap, bar], axis=1)],
            height=height,
            labels=[f"labels: {positives} positives", "weights per cell"],
        )

    def weights_table(self) -> str:
        """Each class's cells, weight per cell and total weight, as an HTML table."""
        labels, weights = self.maps()
        rows = []
        for name, cells in (("positive (y = +1)", labels > 0), ("negative (y = -1)", labels < 0)):
            count = int(cells.sum())
            each = f"{weights[cells][0].item():.4g} = 1/{2 * count}" if count else "-"
            total = weights[cells].sum().item()
            rows.append([name, str(count), each, f"{total:.3f}"])
        head = html_row("th", ["class", "cells", "weight per cell", "sum"])
        style = "border-collapse:collapse; font-family:monospace; line-height:1.4"
        return f'<table style="{style}">{head}{"".join(html_row("td", r) for r in rows)}</table>'

    def set_value(self, name: str, value: float) -> None:
        """Change the radius or the stride and redraw."""
        setattr(self, name, value)
        self.image.value = viz.encode(self.picture())
        self.table.value = self.weights_table()

    @property
    def widget(self) -> W.Widget:
        """Radius and stride sliders over the two maps."""
        radius = W.IntSlider(self.radius, 0, 64, description="R (px)")
        stride = W.IntSlider(self.stride, 1, 16, description="stride")
        radius.observe(lambda c: self.set_value("radius", c["new"]), names="value")
        stride.observe(lambda c: self.set_value("stride", c["new"]), names="value")
        return column([W.HBox([radius, stride]), self.image, self.table])


# ----------------------------------------------------------------------------- embedding


class EmbeddingExplorer:
    """One channel of one layer of phi, for an exemplar and a search image side by side."""

    LAYERS = ("conv1", "conv2", "conv3", "conv4", "conv5")

    def __init__(self, backbone: torch.nn.Module, z: np.ndarray, x: np.ndarray) -> None:
        missing = [name for name in self.LAYERS if not hasattr(backbone, name)]
        if not isinstance(backbone, torch.nn.Module) or missing:
            got = type(backbone).__name__
            raise ValueError("backbone must be the embedding phi (an nn.Module with conv1 .. "
                             f"conv5, e.g. net.backbone), got {got}")  # fmt: skip
        for name, crop in (("z", z), ("x", x)):
            if not (isinstance(crop, np.ndarray) and crop.ndim == 3 and crop.shape[2] == 3):
                shape = getattr(crop, "shape", type(crop).__name__)
                raise ValueError(f"{name} must be an H x W x 3 crop (a numpy array), got {shape}")
        self.activations = {name: [] for name in self.LAYERS}
        backbone = backbone.eval()
        with torch.inference_mode():
            for crop in (z, x):
                out = torch.from_numpy(crop).permute(2, 0, 1)[None].float()
                for name in self.LAYERS:
                    out = getattr(backbone, name)(out)
                    self.activations[name].append(out[0].numpy())
        self.layer, self.channel = "conv1", 0
        self.image = image_widget(self.picture())
        self.controls: W.HBox | None = None

    def picture(self) -> np.ndarray:
        """The chosen channel for z and for x, at the same colour scale, 200 px high."""
        z_map, x_map = (a[self.channel] for a in self.activations[self.layer])
        lo, hi = min(z_map.min(), x_map.min()), max(z_map.max(), x_map.max())
        tiles = [viz.colorize(m, lo=lo, hi=hi) for m in (z_map, x_map)]
        tiles = [
            viz.fit_height(t, 200)
            if t.shape[0] >= 200
            else np.kron(t, np.ones((200 // t.shape[0],) * 2 + (1,), np.uint8))
            for t in tiles
        ]
        labels = [f"z {self.layer}[{self.channel}] {z_map.shape[0]}x{z_map.shape[1]}",
                  f"x {x_map.shape[0]}x{x_map.shape[1]}"]  # fmt: skip
        height = min(t.shape[0] for t in tiles)
        return viz.frame_strip(tiles, height=height, labels=labels)

    def channels(self) -> int:
        """The number of channels of the current layer."""
        return self.activations[self.layer][0].shape[0]

    def set_value(self, name: str, value: object) -> None:
        """Choose another layer or channel and redraw."""
        setattr(self, name, value)
        self.channel = min(self.channel, self.channels() - 1)
        self.image.value = viz.encode(self.picture())

    def channel_slider(self) -> W.IntSlider:
        """A slider over the current layer's channels.

        Built anew for each layer: raising `max` of a shown slider leaves its keyboard range (End)
        at the old maximum in JupyterLab, so the slider is replaced instead.
        """
        slider = W.IntSlider(self.channel, 0, self.channels() - 1, description="channel")
        slider.observe(lambda c: self.set_value("channel", c["new"]), names="value")
        return slider

    def set_layer(self, layer: str) -> None:
        """Choose another layer: redraw, and put a slider over its channels in the controls."""
        self.set_value("layer", layer)
        if self.controls is not None:
            menu = self.controls.children[0]
            self.controls.children = (menu, self.channel_slider())

    @property
    def widget(self) -> W.Widget:
        """A layer menu and a channel slider over the two activation maps."""
        layer = W.Dropdown(options=self.LAYERS, value=self.layer, description="layer")
        layer.observe(lambda c: self.set_layer(c["new"]), names="value")
        self.controls = W.HBox([layer, self.channel_slider()])
        return column([self.controls, self.image])


# ----------------------------------------------------------------------------- training pairs


class PairExplorer:
    """Training pairs of several sources: exemplar z, search image x with its labels over it.

    `sources` maps a name to a function that builds that source's pair dataset for a config, so
    that moving the context slider rebuilds the pairs with the new context amount.
    """

    def __init__(
        self, sources: dict[str, Callable[[SiamFCConfig], Dataset]], cfg: SiamFCConfig
    ) -> None:
        if not isinstance(sources, dict) or not sources or not all(map(callable, sources.values())):
            raise ValueError("sources must be a non-empty dict: name -> function(cfg) -> pairs")
        self.sources, self.cfg = sources, as_config(cfg)
        self.source, self.index = next(iter(sources)), 0
        self.datasets: dict[tuple[str, float], Dataset] = {}
        self.image = image_widget(self.picture())
        self.status = status_line()

    def dataset(self) -> Dataset:
        """The current source's pairs for the current context amount (built once, then kept)."""
        key = (self.source, self.cfg.context)
        if key not in self.datasets:
            self.datasets[key] = self.sources[self.source](self.cfg)
        return self.datasets[key]

    def picture(self) -> np.ndarray:
        """z, then x with the positive labels outlined over the region the score map covers."""
        z, x, labels = self.dataset()[self.index]
        x_image = viz.draw_score_map(viz.to_image(x), labels.numpy(), self.cfg.total_stride, 0.3)
        captions = [f"z {tuple(z.shape[1:])}", f"x {tuple(x.shape[1:])}, labels over it"]
        return viz.frame_strip([viz.to_image(z), x_image], height=255, labels=captions)

    def set_value(self, name: str, value: object) -> None:
        """Choose another source, pair or context amount, and redraw."""
        if name == "context":
            self.cfg = self.cfg.replace(context=float(value))
        else:
            setattr(self, name, value)
        if (self.source, self.cfg.context) not in self.datasets:  # a build takes seconds: say so
            self.status.value = f"preparing the pairs of {self.source!r}…"
        self.index = min(self.index, len(self.dataset()) - 1)
        self.image.value = viz.encode(self.picture())
        self.status.value = ""

    @property
    def widget(self) -> W.Widget:
        """A source menu, a pair slider and a context slider over the pair."""
        source = W.Dropdown(options=list(self.sources), value=self.source, description="source")
        index = W.IntSlider(0, 0, len(self.dataset()) - 1, description="pair")
        context = float_slider(self.cfg.context, 0.0, 1.5, 0.1, description="context")
        source.observe(lambda c: self.set_value("source", c["new"]), names="value")
        index.observe(lambda c: self.set_value("index", c["new"]), names="value")
        context.observe(lambda c: self.set_value("context", c["new"]), names="value")
        return column([W.HBox([source, index, context]), self.status, self.image])
