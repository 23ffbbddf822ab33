"""The held-out split, defined once: the last quarter of every clip is kept for evaluation.

The generator cuts training backgrounds and textures from the first three quarters only.
`FootagePairs(part="train")` cuts pairs from them too; `part="held_out"` from the rest.
`read_real_set("held_out")` keeps the last quarter: frames nothing was ever trained on.
"""

from __future__ import annotations

HELD_OUT_FRACTION = 0.25  # the last quarter of every clip is kept for evaluation


def held_out_start(n_frames: int) -> int:
    """The first held-out frame of a clip of n_frames: the frames before it are for training."""
    return int(n_frames * (1 - HELD_OUT_FRACTION))
