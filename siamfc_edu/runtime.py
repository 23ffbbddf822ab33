"""Where and how the tracker computes: the device, its precision, full float32 on a GPU, frames.

Plumbing, kept out of the paper's files so that `tracker.py` opens with the paper's first idea.
The tracker, the fast tracker and training all choose their device here (`resolve_device`); the
fast tracker's precision (float32 or bfloat16) is chosen here too (`choose_precision`), from the
CPU's features (`cpu_flags`) or the GPU's generation.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch


def default_device() -> torch.device:
    """CUDA when there is a GPU, the CPU otherwise."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def resolve_device(device: str | torch.device | None) -> torch.device:
    """The device to run on (the default one for None); a device this torch cannot use says why."""
    if device is None:
        return default_device()
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"unknown device {device!r}: use cpu, cuda or cuda:N") from None
    if device.type == "cuda":
        if torch.version.cuda is None:
            raise ValueError(
                f"CUDA is not available in this torch build (torch {torch.__version__}); "
                "use --device cpu (device='cpu')"
            )
        count = torch.cuda.device_count()
        if count == 0 or (device.index or 0) >= count:
            raise ValueError(
                f"no GPU {device} here: torch {torch.__version__} sees {count} GPU(s); "
                "use --device cpu (device='cpu')"
            )
    return device


@contextmanager
def full_float32(device: torch.device) -> Iterator[None]:
    """cuDNN's float32 convolutions in IEEE float32 inside the block, not TF32 (a GPU's default).

    TF32 keeps 10 bits of mantissa: on a GPU it is faster, and its maps move the peaks of the
    reference tracker (a CPU computes in float32) by a cell now and then. Nothing on the CPU.
    """
    if device.type != "cuda":
        yield
        return
    conv = getattr(torch.backends.cudnn, "conv", None)
    if hasattr(conv, "fp32_precision"):  # torch >= 2.9
        flags, name, value = conv, "fp32_precision", "ieee"
    else:
        flags, name, value = torch.backends.cudnn, "allow_tf32", False
    old = getattr(flags, name)
    setattr(flags, name, value)
    try:
        yield
    finally:
        setattr(flags, name, old)


def check_frame_size(image: np.ndarray, first_shape: tuple[int, ...]) -> None:
    """Refuse a frame whose size differs from the first frame's: the coordinates would be wrong."""
    if image.shape[:2] != tuple(first_shape[:2]):
        (height, width), (first_h, first_w) = image.shape[:2], first_shape[:2]
        raise ValueError(
            f"the frame is {width}x{height} but the sequence started at {first_w}x{first_h}: "
            "the tracker's boxes are in first-frame pixels (resize the frames, or init again)"
        )


def crops_to_tensor(crops: list[np.ndarray] | np.ndarray, device: torch.device) -> torch.Tensor:
    """H x W x 3 uint8 crops -> a (B, 3, H, W) float32 batch with values 0..255.

    The batch stays channels-last in memory (the layout the crops already have), which the
    convolutions of PyTorch run faster on, on the CPU as on the GPU.
    """
    batch = torch.from_numpy(np.stack(crops)).to(device)
    return batch.permute(0, 3, 1, 2).float().contiguous(memory_format=torch.channels_last)


def training_device(
    requested: str | None, rank: int, local_rank: int | None = None
) -> torch.device:
    """A training process's device: the requested one (checked), else its GPU, else the CPU.

    Under torchrun each process takes the GPU of its LOCAL_RANK (or its rank).
    """
    if requested:
        return resolve_device(requested)
    if torch.cuda.is_available():
        torch.cuda.set_device(
            (rank if local_rank is None else local_rank) % torch.cuda.device_count()
        )
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


# ----------------------------------------------------------------------------- precision

PRECISIONS = ("fp32", "bf16", "auto")
# The /proc/cpuinfo flags of a CPU that computes in bfloat16 natively: AVX512-BF16 (recent AMD
# and Intel) and AMX (recent Xeons). Without them, bf16 convolutions are emulated (slower).
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
# The presets `auto` may run in bf16: those whose success AUC moved by at most 0.005 in bf16 on
# the real sets and the generated set (README, "Precision"). The paper's presets have no trained
# weights to measure it with, so `auto` keeps them in float32.
BF16_PRESETS = ("tiny",)


@dataclass(frozen=True)
class Precision:
    """The precision a tracker runs its network in, 'fp32' or 'bf16', and why it was chosen."""

    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name} ({self.reason})"


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as /proc/cpuinfo lists them (Linux); empty where unknown."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith(("flags", "Features")):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo on Linux, else what `platform` knows)."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def native_bf16(flags: Iterable[str] | None = None) -> list[str]:
    """Which of the native-bfloat16 flags the CPU has (`cpu_flags()` unless flags are given)."""
    flags = cpu_flags() if flags is None else set(flags)
    return [flag for flag in NATIVE_BF16_FLAGS if flag in flags]


def describe_cpu(flags: Iterable[str] | None = None) -> str:
    """One line for a benchmark's header: the CPU model and its native bfloat16 features."""
    found = native_bf16(flags)
    if found:
        return f"{cpu_model()}, native bfloat16: {', '.join(found)}"
    if flags is None and not sys.platform.startswith("linux"):
        return f"{cpu_model()}, native bfloat16: unknown on {sys.platform} (not looked for)"
    return f"{cpu_model()}, native bfloat16: none (no {' or '.join(NATIVE_BF16_FLAGS)} flag)"


def gpu_has_native_bf16(device: torch.device) -> bool:
    """Whether the GPU computes in bfloat16 natively: NVIDIA Ampere (compute 8.0) and later."""
    return torch.cuda.get_device_capability(device)[0] >= 8


def native_bf16_here(device: torch.device, flags: Iterable[str] | None = None) -> tuple[bool, str]:
    """Whether the device computes in bfloat16 natively, and the reason in words."""
    if device.type == "cuda":
        native = gpu_has_native_bf16(device)
        return native, f"this GPU {'computes' if native else 'does not compute'} bf16 natively"
    if device.type != "cpu":
        return False, f"bfloat16 is not tried on {device.type}"
    found = native_bf16(flags)
    if found:
        return True, f"this CPU has native bfloat16 ({', '.join(found)})"
    if flags is None and not sys.platform.startswith("linux"):
        return False, f"native bfloat16 is not looked for on {sys.platform}"
    return False, f"this CPU has no native bfloat16 (no {' or '.join(NATIVE_BF16_FLAGS)} flag)"


def check_precision(requested: str) -> str:
    """The request itself if it is fp32, bf16 or auto; anything else is a one-line error."""
    if requested not in PRECISIONS:
        raise ValueError(f"unknown precision {requested!r}: choose fp32, bf16 or auto")
    return requested


def choose_precision(
    requested: str,
    device: torch.device,
    preset: str | None = None,
    flags: Iterable[str] | None = None,
) -> Precision:
    """'fp32' or 'bf16' for a request of fp32, bf16 or auto; an unknown request is an error.

    auto means bf16 where it is native, on a preset whose accuracy it keeps (`BF16_PRESETS`):
    a CPU with avx512_bf16 or amx_bf16 (read from /proc/cpuinfo, or the `flags` given; elsewhere
    than Linux the features are unknown, so float32), or a GPU of compute capability 8.0 or more.
    """
    if check_precision(requested) != "auto":
        if requested == "bf16" and device.type == "cpu" and not native_bf16(flags):
            return Precision(requested, "asked for; emulated: this CPU has no native bfloat16")
        return Precision(requested, "asked for")
    native, where = native_bf16_here(device, flags)
    if native and preset is not None and preset not in BF16_PRESETS:
        native, where = False, f"{where}, but bf16 is not measured to keep {preset}'s accuracy"
    return Precision("bf16" if native else "fp32", f"auto: {where}")
