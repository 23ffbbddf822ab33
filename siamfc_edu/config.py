"""Presets: every number of SiamFC in one frozen dataclass.

`SiamFC-3s` holds the authors' `tracker.m` defaults (the paper's fastest variant),
`SiamFC` the 5-scale variant, and `tiny` the same network, narrower, for a CPU.

>>> cfg = get_preset("tiny", scale_num=5)   # any field can be overridden by keyword
"""

from __future__ import annotations

import dataclasses
import math
import numbers
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
    # --- training (the paper's §2.2 and §4.1; the authors' experiment.m) ---------------------
    r_pos: int = 16  # positives within this radius (search-image pixels) of the centre
    max_frame_gap: int = 100  # T: exemplar and search frames at most this far apart
    epochs: int = 50
    pairs_per_epoch: int = 53_200
    batch_size: int = 8
    lr_initial: float = 1e-2
    lr_final: float = 1e-5
    momentum: float = 0.9
    weight_decay: float = 5e-4

    def __post_init__(self) -> None:
        """Refuse a preset that makes no sense, however it was made (keyword, file, replace)."""
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field_value(field, value) is None:
                kind = KINDS[type(field.default)]
                raise ValueError(f"config field {field.name} is {value!r}, not {kind}")
        problem = config_problem(self)
        if problem is not None:
            raise ValueError(f"config {self.name!r}: {problem}")

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


# ------------------------------------------------------------------ the rules a preset follows

# The rules every field's value must follow; config_problem names the first one broken.
AT_LEAST_1 = ("exemplar_size", "instance_size", "total_stride", "response_up", "epochs")
AT_LEAST_1 += ("pairs_per_epoch", "batch_size", "max_frame_gap")
POSITIVE = ("bn_eps", "scale_step", "scale_penalty", "min_scale", "max_scale", "r_pos")
POSITIVE += ("lr_initial", "lr_final")
FRACTION = ("window_influence", "scale_lr")  # from 0 to 1
NON_NEGATIVE = ("context", "weight_decay")


def config_problem(cfg: SiamFCConfig) -> str | None:
    """What makes no sense in a preset ("scale_num must be ..."), or None when nothing does."""
    c = cfg.channels
    if len(c) != 5 or any(n < 2 or n % 2 for n in c):
        return f"channels must be five even numbers >= 2 (conv1..conv5), got {c}"
    if cfg.scale_num < 1 or cfg.scale_num % 2 == 0:
        return f"scale_num must be odd and at least 1 (the middle one is 1), got {cfg.scale_num}"
    for name in AT_LEAST_1:
        if getattr(cfg, name) < 1:
            return f"{name} must be at least 1, got {getattr(cfg, name)}"
    for name in POSITIVE:
        if not getattr(cfg, name) > 0:
            return f"{name} must be above 0, got {getattr(cfg, name)}"
    for name in FRACTION:
        if not 0 <= getattr(cfg, name) <= 1:
            return f"{name} must be from 0 to 1, got {getattr(cfg, name)}"
    for name in NON_NEGATIVE:
        if getattr(cfg, name) < 0:
            return f"{name} must be at least 0, got {getattr(cfg, name)}"
    if not 0 <= cfg.momentum < 1:
        return f"momentum must be from 0 to below 1, got {cfg.momentum}"
    if cfg.pairs_per_epoch < cfg.batch_size:
        return (f"pairs_per_epoch must be at least the batch size, {cfg.batch_size} (an epoch "
                f"is pairs // batch size steps), got {cfg.pairs_per_epoch}")  # fmt: skip
    if cfg.instance_size <= cfg.exemplar_size:
        return (
            f"instance_size must exceed exemplar_size {cfg.exemplar_size}, got {cfg.instance_size}"
        )
    if cfg.max_scale < cfg.min_scale:
        return f"max_scale ({cfg.max_scale}) must be at least min_scale ({cfg.min_scale})"
    return None


KINDS = {int: "a whole number", float: "a finite number", str: "a text", tuple: "a list of ints"}


def field_value(field: dataclasses.Field, value: object) -> object:
    """A field's value read from a file, as the field's type, or None if it is not of that type."""
    kind = type(field.default)
    if isinstance(value, bool):
        return None
    if kind is tuple and isinstance(value, list | tuple):
        ok = all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in value)
        return tuple(int(n) for n in value) if ok else None
    if kind is int and isinstance(value, numbers.Integral):
        return int(value)
    if kind is float and isinstance(value, numbers.Real) and math.isfinite(value):
        return float(value)
    if kind is str and isinstance(value, str):
        return value
    return None


# ------------------------------------------------------------------ the presets

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


# ------------------------------------------------------------------ a preset read from a file


def config_from_dict(fields: object, source: str = "checkpoint") -> SiamFCConfig:
    """A preset read from a file (a checkpoint's "config"), every field checked.

    A file edited by hand, or written by another program, may hold anything: each problem is a
    one-line ValueError naming the source and the field, never a traceback from deeper down.
    """
    if not isinstance(fields, dict):
        raise ValueError(f"{source}: its config is a {type(fields).__name__}, not a dict of fields")
    known = {f.name: f for f in dataclasses.fields(SiamFCConfig)}
    unknown = sorted(str(k) for k in set(fields) - set(known))
    if unknown:
        raise ValueError(f"{source}: its config has unknown field(s) {unknown}")
    missing = [name for name in known if name not in fields]
    if missing:
        raise ValueError(f"{source}: its config lacks the field(s) {missing}")
    values = {}
    for name, field in known.items():
        values[name] = field_value(field, fields[name])
        if values[name] is None:
            kind = KINDS[type(field.default)]
            raise ValueError(f"{source}: its config's {name} is {fields[name]!r}, not {kind}")
    try:
        return SiamFCConfig(**values)
    except ValueError as error:
        raise ValueError(f"{source}: its {error}") from None
