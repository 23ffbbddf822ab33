"""Interactive widgets of the course: the score-map explorer, labels, embedding channels, pairs.

Each widget is a small class: its state and callbacks are plain methods (`show_frame`,
`set_setting`, ...) that the tests call without a browser, and `.widget` assembles the ipywidgets
around them. Pictures are JPEG bytes in `ipywidgets.Image`: fast, and no extension is needed
beyond stock ipywidgets in JupyterLab 4.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import ipywidgets as W
import numpy as np
import torch
from torch.utils.data import Dataset

from . import viz
from .config import SiamFCConfig
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


# ----------------------------------------------------------------------------- score-map explorer


@dataclass
class FrameState:
    """What the tracker knew after one frame: enough to replay the next frame exactly."""

    center: np.ndarray
    scale: float
    box: np.ndarray
    best_scale: int


class ScoreMapExplorer:
    """Track a clip from a first box; look at any frame's pyramid, score maps and chosen peak."""

    def __init__(
        self,
        frames: list[np.ndarray],
        box: object,
        tracker: SiamFCTracker | None = None,
        start: int = 0,
        truth: np.ndarray | None = None,
    ) -> None:
        self.frames, self.start, self.truth = frames, int(start), truth
        self.box = np.asarray(box, dtype=np.float64)
        self.base = tracker or SiamFCTracker.from_weights(device="cpu")
        self.cfg = self.base.cfg
        self.frame = self.start
        self.states: list[FrameState] = []
        self.images: dict[str, W.Image] = {}
        self._widget: W.Widget | None = None
        self.run()

    def tracker(self) -> SiamFCTracker:
        """A tracker with the network of `base` and the explorer's current settings."""
        if self.cfg == self.base.cfg:
            return self.base
        return SiamFCTracker(self.base.net, self.cfg, self.base.device)

    def run(self) -> None:
        """Track from the start frame to the end with the current settings."""
        tracker = self.tracker()
        tracker.init(self.frames[self.start], self.box)
        self.states = [FrameState(tracker.center.copy(), tracker.scale, self.box.copy(), -1)]
        for frame in self.frames[self.start + 1 :]:
            step = tracker.step(frame)
            self.states.append(FrameState(step.center, step.scale, step.box, step.best_scale))

    def step_at(self, t: int):
        """The TrackStep of frame t (after the start), replayed from the state before it."""
        tracker = self.tracker()
        tracker.init(self.frames[self.start], self.box)
        before = self.states[t - 1 - self.start]
        tracker.center, tracker.scale = before.center.copy(), before.scale
        return tracker.step(self.frames[t])

    def path(self) -> np.ndarray:
        """The tracked boxes from the start frame on, (N, 4)."""
        return np.array([s.box for s in self.states])

    # ---------------------------------------------------------------- what is drawn

    def frame_image(self, t: int) -> np.ndarray:
        """Frame t with the tracked box (red), the ground truth (green) and the path so far."""
        state = self.states[t - self.start]
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
        tracker = self.tracker()
        tracker.init(self.frames[self.start], self.box)
        return tracker.exemplar

    def caption(self, t: int) -> str:
        """The frame number, the box and the chosen scale, as a line of text."""
        state = self.states[t - self.start]
        box = ", ".join(f"{v:.1f}" for v in state.box)
        scale = "start" if state.best_scale < 0 else f"scale {state.best_scale + 1} chosen"
        return f"frame {t} / {len(self.frames) - 1} | box [{box}] | {scale}"

    # ---------------------------------------------------------------- callbacks

    def show_frame(self, t: int) -> None:
        """Move to frame t: redraw the frame, the pyramid and the caption."""
        self.frame = int(np.clip(t, self.start, len(self.frames) - 1))
        if self.images:
            self.images["frame"].value = viz.encode(self.frame_image(self.frame))
            self.images["pyramid"].value = viz.encode(self.pyramid_image(self.frame))
            self.caption_widget.value = self.caption(self.frame)

    def set_setting(self, name: str, value: float) -> None:
        """Change one tracker setting, track again from the start frame, redraw."""
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
        last = len(self.frames) - 1
        slider = W.IntSlider(self.frame, self.start, last, description="frame",
                             continuous_update=False, layout=W.Layout(width="420px"))  # fmt: skip
        play = W.Play(value=self.frame, min=self.start, max=last, interval=150)
        W.jslink((play, "value"), (slider, "value"))
        slider.observe(lambda change: self.show_frame(change["new"]), names="value")
        controls = []
        for name, (lo, hi, step) in SETTINGS.items():
            s = W.FloatSlider(getattr(self.cfg, name), min=lo, max=hi, step=step,
                              description=name, continuous_update=False,
                              style={"description_width": "120px"})  # fmt: skip
            s.observe(lambda change, n=name: self.set_setting(n, change["new"]), names="value")
            controls.append(s)
        self.sliders = {"frame": slider, **dict(zip(SETTINGS, controls, strict=True))}
        return column([
            W.HBox([play, slider]), self.caption_widget,
            W.HBox([self.images["frame"], column(controls)]), self.images["pyramid"],
        ])  # fmt: skip


# ----------------------------------------------------------------------------- labels


class LabelExplorer:
    """The label map and its balance weights for a radius R (search pixels) and a stride."""

    def __init__(self, cfg: SiamFCConfig, scale: int = 12) -> None:
        self.radius, self.stride = cfg.r_pos, cfg.total_stride
        self.size, self.scale = cfg.score_size, scale
        self.image = image_widget(self.picture())

    def maps(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(labels, weights) for the current radius and stride."""
        labels = logistic_labels(self.size, self.radius / self.stride)
        return labels, balanced_weights(labels)

    def picture(self) -> np.ndarray:
        """Labels and weights side by side, each cell `scale` pixels wide."""
        labels, weights = (m.numpy() for m in self.maps())
        tiles = [viz.colorize(labels, lo=-1, hi=1), viz.colorize(weights)]
        big = [np.kron(t, np.ones((self.scale, self.scale, 1), np.uint8)) for t in tiles]
        positives = int((labels > 0).sum())
        return viz.frame_strip(big, height=self.size * self.scale,
                               labels=[f"{positives} positives", "weights"])  # fmt: skip

    def set_value(self, name: str, value: float) -> None:
        """Change the radius or the stride and redraw."""
        setattr(self, name, value)
        self.image.value = viz.encode(self.picture())

    @property
    def widget(self) -> W.Widget:
        """Radius and stride sliders over the two maps."""
        radius = W.IntSlider(self.radius, 0, 64, description="R (px)")
        stride = W.IntSlider(self.stride, 1, 16, description="stride")
        radius.observe(lambda c: self.set_value("radius", c["new"]), names="value")
        stride.observe(lambda c: self.set_value("stride", c["new"]), names="value")
        return column([W.HBox([radius, stride]), self.image])


# ----------------------------------------------------------------------------- embedding


class EmbeddingExplorer:
    """One channel of one layer of phi, for an exemplar and a search image side by side."""

    LAYERS = ("conv1", "conv2", "conv3", "conv4", "conv5")

    def __init__(self, backbone: torch.nn.Module, z: np.ndarray, x: np.ndarray) -> None:
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

    def set_value(self, name: str, value: object) -> None:
        """Choose another layer or channel and redraw."""
        setattr(self, name, value)
        self.channel = min(self.channel, self.activations[self.layer][0].shape[0] - 1)
        self.image.value = viz.encode(self.picture())

    @property
    def widget(self) -> W.Widget:
        """A layer menu and a channel slider over the two activation maps."""
        layer = W.Dropdown(options=self.LAYERS, value=self.layer, description="layer")
        channel = W.IntSlider(0, 0, 255, description="channel")

        def on_layer(change: dict) -> None:
            channel.max = self.activations[change["new"]][0].shape[0] - 1
            self.set_value("layer", change["new"])

        layer.observe(on_layer, names="value")
        channel.max = self.activations[self.layer][0].shape[0] - 1
        channel.observe(lambda c: self.set_value("channel", c["new"]), names="value")
        return column([W.HBox([layer, channel]), self.image])


# ----------------------------------------------------------------------------- training pairs


class PairExplorer:
    """Training pairs of several sources: exemplar z, search image x with its labels over it.

    `sources` maps a name to a function that builds that source's pair dataset for a config, so
    that moving the context slider rebuilds the pairs with the new context amount.
    """

    def __init__(
        self, sources: dict[str, Callable[[SiamFCConfig], Dataset]], cfg: SiamFCConfig
    ) -> None:
        self.sources, self.cfg = sources, cfg
        self.source, self.index = next(iter(sources)), 0
        self.datasets: dict[tuple[str, float], Dataset] = {}
        self.image = image_widget(self.picture())

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
        self.index = min(self.index, len(self.dataset()) - 1)
        self.image.value = viz.encode(self.picture())

    @property
    def widget(self) -> W.Widget:
        """A source menu, a pair slider and a context slider over the pair."""
        source = W.Dropdown(options=list(self.sources), value=self.source, description="source")
        index = W.IntSlider(0, 0, len(self.dataset()) - 1, description="pair")
        context = W.FloatSlider(self.cfg.context, min=0.0, max=1.5, step=0.1,
                                description="context", continuous_update=False)  # fmt: skip
        source.observe(lambda c: self.set_value("source", c["new"]), names="value")
        index.observe(lambda c: self.set_value("index", c["new"]), names="value")
        context.observe(lambda c: self.set_value("context", c["new"]), names="value")
        return column([W.HBox([source, index, context]), self.image])
