"""The whole Siamese network f(z, x) = g(phi(z), phi(x)), and its weights on disk."""

from __future__ import annotations

import dataclasses
import os
import pickle
import re
from importlib import resources
from pathlib import Path

import torch
from torch import nn

from .backbone import AlexNetEmbedding
from .config import SiamFCConfig, get_preset
from .head import CorrelationHead

# The shipped weights and their model card travel with the installed package (package data).
WEIGHTS_DIR = Path(str(resources.files("siamfc_edu") / "assets" / "weights"))
CHECKPOINT_FORMAT = "siamfc-edu/1"


class SiamFCNet(nn.Module):
    """f(z, x): embed exemplar and search crops with the same phi, then correlate them."""

    def __init__(self, backbone: nn.Module, head: CorrelationHead):
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Score maps (B,1,17,17): exemplars z (B,3,127,127) in search crops x (B,3,255,255)."""
        return self.head(self.backbone(z), self.backbone(x))


def build_model(cfg: SiamFCConfig | None = None) -> SiamFCNet:
    """A freshly initialised SiamFC network for a preset (the paper's by default)."""
    cfg = cfg or get_preset()
    return SiamFCNet(AlexNetEmbedding.from_config(cfg), CorrelationHead(cfg.out_scale))


def save_weights(model: nn.Module, cfg: SiamFCConfig, path: str | Path, **extra: object) -> Path:
    """Write the weights and the preset atomically: a crash mid-write never spoils the old file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {"format": CHECKPOINT_FORMAT, "config": dataclasses.asdict(cfg), "model": state}
    payload.update(extra)
    tmp = path.with_name(path.name + ".tmp")
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_checkpoint(path: str | Path) -> dict:
    """Load a checkpoint safely (weights_only=True): a file that would run code is refused."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no weights file at {path}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(err))
        if found is None:
            raise ValueError(f"cannot read {path}: it is corrupt or not a checkpoint") from None
        raise ValueError(
            f"refused to load {path}: it holds {found.group(1)}, i.e. it would run code when "
            "loaded; only plain weights are accepted (torch.load with weights_only=True)"
        ) from None
    except Exception as err:  # truncated or not a torch file at all
        raise ValueError(f"cannot read {path} as a PyTorch checkpoint: {err}") from None
    if not isinstance(obj, dict):
        raise ValueError(f"{path} holds a {type(obj).__name__}, not a state_dict or checkpoint")
    if "format" in obj and obj["format"] != CHECKPOINT_FORMAT:  # bare state_dicts have no format
        raise ValueError(
            f"{path} is a checkpoint of format {obj['format']!r}; this siamfc-edu reads "
            f"{CHECKPOINT_FORMAT!r}"
        )
    return obj


def checkpoint_config(ckpt: dict) -> SiamFCConfig | None:
    """The preset saved in a siamfc-edu checkpoint (None for a bare state_dict)."""
    if "config" not in ckpt:
        return None
    fields = dict(ckpt["config"])
    fields["channels"] = tuple(fields["channels"])
    return SiamFCConfig(**fields)


def check_state_dict(model: nn.Module, state: dict, source: str = "checkpoint") -> None:
    """Raise a ValueError naming the first key whose presence or shape differs from the model."""
    expected = model.state_dict()
    for key, value in expected.items():
        if key not in state:
            raise ValueError(f"{source} has no {key!r} (shape {tuple(value.shape)})")
        if tuple(state[key].shape) != tuple(value.shape):
            raise ValueError(
                f"{source}: {key!r} has shape {tuple(state[key].shape)}, "
                f"the model expects {tuple(value.shape)}"
            )
    unexpected = [k for k in state if k not in expected]
    if unexpected:
        raise ValueError(f"{source} has keys the model does not: {unexpected[:5]}")


def load_weights(
    path: str | Path, cfg: SiamFCConfig | None = None
) -> tuple[SiamFCNet, SiamFCConfig]:
    """Build the network and load weights: our checkpoints or siamfc-pytorch's released ones."""
    ckpt = read_checkpoint(path)
    saved_cfg = checkpoint_config(ckpt)
    state = ckpt.get("model", ckpt)
    if cfg is None:
        cfg = saved_cfg or get_preset("SiamFC-3s")
    elif saved_cfg is not None and saved_cfg.channels != cfg.channels:
        raise ValueError(
            f"{path} was trained with preset {saved_cfg.name!r} (channels {saved_cfg.channels}), "
            f"not {cfg.name!r} (channels {cfg.channels})"
        )
    state = dict(state)
    state.setdefault("head.bias", torch.zeros(1))  # siamfc-pytorch's head has a fixed 0 bias
    model = build_model(cfg)
    check_state_dict(model, state, source=str(path))
    model.load_state_dict(state)
    return model.eval(), cfg


def default_weights(preset: str = "tiny") -> Path:
    """Where the project's shipped weights for a preset live (siamfc_edu/assets/weights/)."""
    name = {"tiny": "siamfc_tiny.pth"}.get(preset, f"siamfc_{preset}.pth")
    return Path(os.environ.get("SIAMFC_EDU_WEIGHTS_DIR", WEIGHTS_DIR)) / name
