"""The SiamFC tracker (Section 2.4): search a scale pyramid for the exemplar, frame after frame.

Per frame: crop the search region at 3 scales around the last position, embed the crops, correlate
them with the exemplar embedding computed once in the first frame, upsample the 17x17 score maps
x16 (bicubic), penalise scale changes, add a cosine window, and move to the peak.
The interface is the got10k toolkit's: `init(image, box)`, `update(image) -> box`, `track(...)`.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import torch

from .backbone import AlexNetEmbedding, fuse_for_inference
from .boxes import check_box, xywh_to_cxcywh
from .config import SiamFCConfig, get_preset
from .crops import context_size, crop_and_resize
from .images import as_rgb_frame, mean_color
from .interface import Tracker
from .model import SiamFCNet, build_model, default_weights, load_weights


def default_device() -> torch.device:
    """CUDA when there is a GPU, the CPU otherwise."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def crops_to_tensor(crops: list[np.ndarray], device: torch.device) -> torch.Tensor:
    """H x W x 3 uint8 crops -> a (B, 3, H, W) float32 batch with values 0..255.

    The batch stays channels-last in memory (the layout the crops already have), which the
    convolutions of PyTorch run faster on, on the CPU as on the GPU.
    """
    batch = torch.from_numpy(np.stack(crops)).to(device)
    return batch.permute(0, 3, 1, 2).float().contiguous(memory_format=torch.channels_last)


def hann_window(size: int) -> np.ndarray:
    """A 2-D cosine (Hann) window of size x size that sums to 1: the tracker's motion prior."""
    h = np.hanning(size)
    window = np.outer(h, h)
    return window / window.sum()


class SiamFCTracker(Tracker):
    """SiamFC-3s (or any preset): a fixed exemplar, a scale pyramid, a cosine window."""

    name = "SiamFC"

    def __init__(
        self,
        net: SiamFCNet | None = None,
        cfg: SiamFCConfig | None = None,
        device: str | torch.device | None = None,
    ):
        self.cfg = cfg or get_preset()
        self.device = torch.device(device) if device is not None else default_device()
        self.net = (net or build_model(self.cfg)).to(self.device).eval()
        backbone = self.net.backbone
        fused = isinstance(backbone, AlexNetEmbedding)
        if fused:  # batch norm folded into the convolutions, weights in channels-last layout
            backbone = fuse_for_inference(backbone).to(
                self.device, memory_format=torch.channels_last
            )
        self.embed = backbone
        n = self.cfg.scale_num
        self.scale_factors = self.cfg.scale_step ** (np.arange(n) - (n - 1) / 2)
        self.window = hann_window(self.cfg.upscale_size)
        self.last_response: np.ndarray | None = None  # for figures: the chosen, windowed map

    @classmethod
    def from_weights(
        cls, path: str | None = None, preset: str = "tiny", device: str | None = None, **overrides
    ) -> SiamFCTracker:
        """A tracker with trained weights (the project's shipped ones by default)."""
        model, cfg = load_weights(path or default_weights(preset))
        return cls(model, cfg.replace(**overrides), device)

    # ------------------------------------------------------------------ first frame

    @torch.inference_mode()
    def init(self, image: np.ndarray, box: Sequence[float]) -> None:
        """Remember the target: its centre, its size and the embedding of its exemplar crop."""
        image = as_rgb_frame(image)
        cx, cy, w, h = xywh_to_cxcywh(check_box(box, image.shape))
        self.center = np.array([cx, cy])
        self.base_size = np.array([w, h])  # the target's size in the first frame
        self.scale = 1.0  # current size = base_size * scale
        self.base_z_side = context_size(w, h, self.cfg.context)
        self.base_x_side = self.base_z_side * self.cfg.instance_size / self.cfg.exemplar_size
        z = crop_and_resize(
            image, self.center, self.base_z_side, self.cfg.exemplar_size, mean_color(image)
        )
        self.kernel = self.embed(crops_to_tensor([z], self.device))

    # ------------------------------------------------------------------ every other frame

    @torch.inference_mode()
    def update(self, image: np.ndarray) -> np.ndarray:
        """Locate the target in a new frame; return its box, 0-based [x, y, w, h]."""
        image = as_rgb_frame(image)
        responses = self.score_maps(image)
        best = self.pick_scale(responses)
        dx, dy = self.peak_displacement(responses[best], self.scale_factors[best])
        self.move(dx, dy, self.scale_factors[best], image.shape)
        return self.box()

    def search_crops(self, image: np.ndarray) -> list[np.ndarray]:
        """The search region at every scale of the pyramid, each resized to 255 x 255."""
        pad = mean_color(image)
        sides = self.base_x_side * self.scale * self.scale_factors
        return [crop_and_resize(image, self.center, s, self.cfg.instance_size, pad) for s in sides]

    @torch.inference_mode()
    def score_maps(self, image: np.ndarray) -> np.ndarray:
        """One upsampled (272 x 272) score map per scale, with the scale penalty applied."""
        x = crops_to_tensor(self.search_crops(image), self.device)
        scores = self.net.head(self.kernel, self.embed(x))[:, 0].float().cpu().numpy()
        size = (self.cfg.upscale_size, self.cfg.upscale_size)
        penalty = np.full(self.cfg.scale_num, self.cfg.scale_penalty, dtype=np.float32)
        penalty[self.cfg.scale_num // 2] = 1.0  # no penalty for keeping the current size
        maps = [cv2.resize(score, size, interpolation=cv2.INTER_CUBIC) for score in scores]
        return np.stack(maps) * penalty[:, None, None]

    def pick_scale(self, responses: np.ndarray) -> int:
        """The scale whose (penalised) score map has the highest peak."""
        return int(responses.reshape(len(responses), -1).max(axis=1).argmax())

    def peak_displacement(self, response: np.ndarray, scale_factor: float) -> tuple[float, float]:
        """Where the peak of the windowed map lies, relative to the centre, in frame pixels."""
        response = response - response.min()
        response = response / (response.sum() + 1e-16)
        wi = self.cfg.window_influence
        response = (1 - wi) * response + wi * self.window
        self.last_response = response
        row, col = np.unravel_index(response.argmax(), response.shape)
        disp = np.array([col, row]) - (self.cfg.upscale_size - 1) / 2  # in upsampled cells
        disp = disp * self.cfg.total_stride / self.cfg.response_up  # in search-crop pixels
        disp = disp * self.base_x_side * self.scale * scale_factor / self.cfg.instance_size
        return float(disp[0]), float(disp[1])

    def move(self, dx: float, dy: float, scale_factor: float, frame_shape: tuple) -> None:
        """Shift the centre to the peak and damp the size change (scale learning rate)."""
        height, width = frame_shape[:2]
        self.center = np.clip(self.center + [dx, dy], 0, [width - 1, height - 1])
        damped = (1 - self.cfg.scale_lr) + self.cfg.scale_lr * scale_factor
        self.scale = float(np.clip(self.scale * damped, self.cfg.min_scale, self.cfg.max_scale))

    def box(self) -> np.ndarray:
        """The current target box, 0-based [x, y, w, h]."""
        w, h = self.base_size * self.scale
        return np.array([self.center[0] - (w - 1) / 2, self.center[1] - (h - 1) / 2, w, h])
