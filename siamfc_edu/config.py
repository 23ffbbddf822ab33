"""Presets: every number of SiamFC in one frozen dataclass.

`SiamFC-3s` holds the authors' `tracker.m` defaults (the paper's fastest variant),
`SiamFC` the 5-scale variant, and `tiny` the same network, narrower, for a CPU.

>>> cfg = get_preset("tiny", scale_num=5)   # any field can be overridden by keyword
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass


@dataclass(frozen=True)
class SiamFCConfig:
    """All hyper-parameters of SiamFC: the embedding, the tracker and the training recipe."""

    name: str = "SiamFC-3s"
    # --- embedding phi (Table 1): output channels of conv1..conv5 -------------------------
    channels: tuple[int, int, int, int, int] = (96, 256, 384, 384, 256)
    exemplar_size: int = 127  # side of the exemplar crop z
    instance_size: int = 255  # side of the search crop x
    total_stride: int = 8  # stride of phi: one score-map cell is 8 search-image pixels
    bn_eps: float = 1e-6  # batch-norm epsilon of the released weights
    # --- correlation layer g ----------------------------------------------------------------
    out_scale: float = 0.001  # the score map is multiplied by this
    # --- tracking (the authors' tracker.m) --------------------------------------------------
    context: float = 0.5  # context margin p = context * (w + h)
    scale_num: int = 3
    scale_step: float = 1.0375
    scale_penalty: float = 0.9745  # multiplies the peak of every scale but the current one
    scale_lr: float = 0.59  # damping of the scale update
    response_up: int = 16  # bicubic upsampling of the score map (17 -> 272)
    window_influence: float = 0.176  # weight of the cosine (Hann) window in the final score
    min_scale: float = 0.2  # the target never shrinks below this fraction of its first size
    max_scale: float = 5.0  # ... nor grows beyond this multiple
    # --- training (Section 3 of the paper) --------------------------------------------------
    r_pos: int = 16  # positives within this radius (search-image pixels) of the centre
    max_frame_gap: int = 100  # T: exemplar and search frames at most this far apart
    epochs: int = 50
    pairs_per_epoch: int = 53_200
    batch_size: int = 8
    lr_initial: float = 1e-2
    lr_final: float = 1e-5
    momentum: float = 0.9
    weight_decay: float = 5e-4

    @property
    def score_size(self) -> int:
        """Side of the score map: (search side - exemplar side) / stride + 1 = 17."""
        return (self.instance_size - self.exemplar_size) // self.total_stride + 1

    @property
    def upscale_size(self) -> int:
        """Side of the upsampled score map (17 * 16 = 272)."""
        return self.score_size * self.response_up

    def replace(self, **overrides: object) -> SiamFCConfig:
        """A copy with some fields changed; unknown names raise a clear error."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown config field(s) {unknown}; known fields: {sorted(known)}")
        return dataclasses.replace(self, **overrides)

    def __str__(self) -> str:
        lines = [f"{self.name}:"]
        for f in dataclasses.fields(self):
            if f.name != "name":
                lines.append(f"  {f.name:<17} = {getattr(self, f.name)}")
        lines.append(f"  {'score_size':<17} = {self.score_size}  (derived)")
        return "\n".join(lines)


PRESETS: dict[str, SiamFCConfig] = {
    "SiamFC-3s": SiamFCConfig(),
    "SiamFC": SiamFCConfig(
        name="SiamFC",
        scale_num=5,
        scale_step=1.0255,
        scale_penalty=0.962,
        scale_lr=0.34,
        window_influence=0.168,
    ),
    # Same structure and geometry (127/255 crops, stride 8, 17x17 map), a sixth of the channels:
    # 17x fewer multiply-adds per search image. See README "The tiny preset".
    # Its tracker leans more on the motion prior (window 0.35) and searches wider scales (1.06):
    # chosen for the shipped weights on a generated validation split, not on the evaluation one
    # (siamfc_edu/assets/weights/MODEL_CARD.md).
    "tiny": SiamFCConfig(
        name="tiny",
        channels=(16, 48, 64, 64, 48),
        batch_size=16,
        window_influence=0.35,
        scale_step=1.06,
    ),
}
PRESETS["paper"] = PRESETS["SiamFC-3s"]


def get_preset(name: str = "SiamFC-3s", **overrides: object) -> SiamFCConfig:
    """The named preset (`SiamFC-3s`/`paper`, `SiamFC`, `tiny`), with fields overridden."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}")
    return PRESETS[name].replace(**overrides)


def quick_mode() -> bool:
    """True when SIAMFC_EDU_QUICK=1: every long step shrinks so the course runs in minutes."""
    return os.environ.get("SIAMFC_EDU_QUICK", "0").strip().lower() not in ("", "0", "false", "no")
