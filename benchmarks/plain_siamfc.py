"""The plain reference the benchmarks compare against: SiamFC written the obvious way.

As siamfc-pytorch does it: each scale cropped on its own after padding the whole frame with
OpenCV, the network run as trained (batch norm not folded) under no_grad, each score map
upsampled with cv2.resize, the peak searched in NumPy. It shares nothing with the library's
tracker but the preset, so a speed ratio against it measures the library's whole design, and
equal boxes check it. `track_speed.py` and `gpu_speed.py` import it from here.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

from siamfc_edu.config import SiamFCConfig
from siamfc_edu.crops import context_size, crop_window
from siamfc_edu.model import SiamFCNet


class PlainSiamFC:
    """The reference: the same tracker, each step done the obvious way."""

    def __init__(self, net: SiamFCNet, cfg: SiamFCConfig, device: torch.device):
        self.net, self.cfg, self.device = net.to(device).eval(), cfg, device
        n = cfg.scale_num
        self.factors = cfg.scale_step ** (np.arange(n) - (n - 1) / 2)
        hann = np.hanning(cfg.upscale_size)
        self.window = np.outer(hann, hann) / np.outer(hann, hann).sum()

    def crop(self, image, center, side, out_size):
        """Pad the frame with its mean colour as far as the square needs, then cut and resize."""
        avg = image.mean(axis=(0, 1))
        x1, y1, s = crop_window(center, side)
        pad = max(0, -x1, -y1, x1 + s - image.shape[1], y1 + s - image.shape[0])
        if pad > 0:
            image = cv2.copyMakeBorder(
                image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=tuple(np.round(avg).tolist())
            )
        patch = image[y1 + pad : y1 + pad + s, x1 + pad : x1 + pad + s]
        return cv2.resize(patch, (out_size, out_size), interpolation=cv2.INTER_LINEAR)

    def to_tensor(self, crop):
        return torch.from_numpy(crop).permute(2, 0, 1).float()[None].to(self.device)

    def init(self, image, box):
        x, y, w, h = box
        self.center = np.array([x + (w - 1) / 2, y + (h - 1) / 2])
        self.size = np.array([w, h], dtype=float)
        self.base_size, self.scale = self.size.copy(), 1.0
        self.z_side = context_size(w, h, self.cfg.context)
        self.x_side = self.z_side * self.cfg.instance_size / self.cfg.exemplar_size
        with torch.no_grad():
            z = self.crop(image, self.center, self.z_side, self.cfg.exemplar_size)
            self.kernel = self.net.backbone(self.to_tensor(z))

    def update(self, image):
        cfg = self.cfg
        crops = [
            self.to_tensor(self.crop(image, self.center, self.x_side * f, cfg.instance_size))
            for f in self.factors
        ]
        with torch.no_grad():
            scores = self.net.head(self.kernel, self.net.backbone(torch.cat(crops)))
        scores = scores[:, 0].cpu().numpy()
        up = cfg.upscale_size
        responses = np.stack(
            [cv2.resize(s, (up, up), interpolation=cv2.INTER_CUBIC) for s in scores]
        )
        mid = cfg.scale_num // 2
        responses[:mid] *= cfg.scale_penalty
        responses[mid + 1 :] *= cfg.scale_penalty
        best = int(np.argmax(np.amax(responses, axis=(1, 2))))
        r = responses[best] - responses[best].min()
        r /= r.sum() + 1e-16
        r = (1 - cfg.window_influence) * r + cfg.window_influence * self.window
        row, col = np.unravel_index(r.argmax(), r.shape)
        disp = (np.array([col, row]) - (up - 1) / 2) * cfg.total_stride / cfg.response_up
        disp = disp * self.x_side * self.factors[best] / cfg.instance_size
        self.center = np.clip(self.center + disp, 0, [image.shape[1] - 1, image.shape[0] - 1])
        damped = (1 - cfg.scale_lr) + cfg.scale_lr * self.factors[best]
        new_scale = float(np.clip(self.scale * damped, cfg.min_scale, cfg.max_scale))
        ratio, self.scale = new_scale / self.scale, new_scale
        self.size, self.z_side, self.x_side = (
            self.size * ratio,
            self.z_side * ratio,
            self.x_side * ratio,
        )
        w, h = self.size
        return np.array([self.center[0] - (w - 1) / 2, self.center[1] - (h - 1) / 2, w, h])
