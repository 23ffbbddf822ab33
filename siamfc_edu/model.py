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
from .config import PRESETS, SiamFCConfig, config_from_dict, get_preset
from .files import writing
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
        with writing(path):
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
        raise ValueError(unsafe_file_message(path, str(err))) from None
    except Exception as err:  # truncated, or not a torch file at all
        reason = f"{type(err).__name__}: {str(err).split('. ')[0]}".rstrip(": ")
        raise ValueError(
            f"cannot read {path}: it is truncated, corrupt or not a PyTorch checkpoint ({reason})"
        ) from None
    if not isinstance(obj, dict):
        raise ValueError(f"{path} holds a {type(obj).__name__}, not a state_dict or checkpoint")
    if "format" in obj and obj["format"] != CHECKPOINT_FORMAT:  # bare state_dicts have no format
        raise ValueError(
            f"{path} is a checkpoint of format {obj['format']!r}; this siamfc-edu reads "
            f"{CHECKPOINT_FORMAT!r}"
        )
    return obj


def unsafe_file_message(path: Path, torch_error: str) -> str:
    """Why torch's safe loader refused a file, in one line.

    weights_only=True rebuilds only tensors and plain containers. A file that names a function
    to call while loading is refused, worded by torch as "Unsupported global: GLOBAL print ..."
    or "unsupported GLOBAL posix.system whose module posix is blocked": code it would run. Any
    other refusal ("Unsupported operand 110") is a damaged file or not a pickle at all.
    """
    found = re.search(r"GLOBAL (\S+)|unrecognized function (\S+)", torch_error)
    if found is None:
        return f"cannot read {path}: it is corrupt or not a checkpoint"
    return (
        f"refused to load {path}: it calls {found.group(1) or found.group(2)}, i.e. it would "
        "run code when loaded; only plain weights are accepted (torch.load with weights_only=True)"
    )


def checkpoint_config(ckpt: dict, source: str = "checkpoint") -> SiamFCConfig | None:
    """The preset saved in a siamfc-edu checkpoint, checked (None for a bare state_dict)."""
    if "config" not in ckpt:
        return None
    return config_from_dict(ckpt["config"], source)


def checkpoint_state(ckpt: dict, source: str = "checkpoint") -> dict:
    """The weights of a checkpoint (its "model"), or the checkpoint itself if it is bare."""
    if "format" in ckpt and "model" not in ckpt:
        raise ValueError(f"{source} is a siamfc-edu checkpoint without weights (no 'model')")
    state = ckpt.get("model", ckpt)
    if not isinstance(state, dict):
        raise ValueError(f"{source}: its 'model' is a {type(state).__name__}, not a state_dict")
    return state


def check_state_dict(model: nn.Module, state: dict, source: str = "checkpoint") -> None:
    """A ValueError naming the first key missing, not a tensor, of another shape or not finite."""
    expected = model.state_dict()
    for key, value in expected.items():
        if key not in state:
            raise ValueError(f"{source} has no {key!r} (shape {tuple(value.shape)})")
        if not isinstance(state[key], torch.Tensor):
            raise ValueError(f"{source}: {key!r} is {str(state[key])[:40]!r}, not a tensor")
        if tuple(state[key].shape) != tuple(value.shape):
            raise ValueError(
                f"{source}: {key!r} has shape {tuple(state[key].shape)}, "
                f"the model expects {tuple(value.shape)}"
            )
    unexpected = [k for k in state if k not in expected]
    if unexpected:
        raise ValueError(f"{source} has keys the model does not: {unexpected[:5]}")
    broken = [k for k, v in state.items() if v.is_floating_point() and not v.isfinite().all()]
    if broken:
        raise ValueError(
            f"{source}: {', '.join(broken[:5])}{' ...' if len(broken) > 5 else ''} hold NaN or "
            f"inf ({len(broken)} tensor(s)): broken weights, e.g. from a run whose loss diverged"
        )


def complete_state(model: nn.Module, state: dict) -> dict:
    """The state with what others' exports leave out, filled from the fresh model.

    siamfc-pytorch's head has a fixed bias of 0, and batch norm's step counters
    (num_batches_tracked) only count training steps: evaluation never reads them.
    """
    state = dict(state)
    for key, value in model.state_dict().items():
        if key == "head.bias" or key.endswith(".num_batches_tracked"):
            state.setdefault(key, torch.zeros_like(value))
    return state


def load_weights(
    path: str | Path, cfg: SiamFCConfig | None = None, preset: str | None = None
) -> tuple[SiamFCNet, SiamFCConfig]:
    """Build the network and load weights: our checkpoints or siamfc-pytorch's released ones.

    Which preset: `cfg` when given (it must have the checkpoint's channels); else a siamfc-edu
    checkpoint's own, which wins over `preset`; `preset` (default: the paper's SiamFC-3s) only
    says how to read a bare state_dict, which carries no preset.
    """
    ckpt = read_checkpoint(path)
    saved_cfg = checkpoint_config(ckpt, source=str(path))
    state = checkpoint_state(ckpt, source=str(path))
    if cfg is None:
        cfg = saved_cfg or get_preset(preset or "SiamFC-3s")
    elif saved_cfg is not None and saved_cfg.channels != cfg.channels:
        raise ValueError(
            f"{path} was trained with preset {saved_cfg.name!r} (channels {saved_cfg.channels}), "
            f"not {cfg.name!r} (channels {cfg.channels})"
        )
    source = str(path) if saved_cfg else f"{path} (a bare state_dict, read as preset {cfg.name!r})"
    model = build_model(cfg)
    state = complete_state(model, state)
    try:
        check_state_dict(model, state, source)
    except ValueError as err:
        raise ValueError(f"{err}{matching_presets(state, cfg)}") from None
    model.load_state_dict(state)
    return model.eval(), cfg


def matching_presets(state: dict, tried: SiamFCConfig) -> str:
    """Which other presets' networks the state fits: "; its shapes fit preset 'tiny' ..."."""
    names = []
    for name, cfg in PRESETS.items():
        if name != "paper" and cfg.channels != tried.channels:
            expected = build_model(cfg).state_dict()
            if all(
                isinstance(state.get(k), torch.Tensor) and state[k].shape == v.shape
                for k, v in expected.items()
            ):
                names.append(repr(name))
    return f"; its shapes fit preset {' or '.join(names)}: give that preset" if names else ""


def default_weights(preset: str = "tiny") -> Path:
    """Where the project's shipped weights for a preset live (siamfc_edu/assets/weights/)."""
    name = {"tiny": "siamfc_tiny.pth"}.get(preset, f"siamfc_{preset}.pth")
    return Path(os.environ.get("SIAMFC_EDU_WEIGHTS_DIR", WEIGHTS_DIR)) / name
