"""siamfc-edu: a small, readable reference implementation of the SiamFC tracker.

One module per idea of the paper (Bertinetto et al., ECCV 2016 workshops):
`config` (presets), `backbone` (the embedding phi), `head` (the correlation layer g),
`losses` (labels and the logistic loss), `ops` (boxes, crops, windows), `model` (f = g(phi, phi)
and its weights), `tracker` (the scale-pyramid tracker), `data` (footage, data sets, pairs).
"""

from .config import PRESETS, SiamFCConfig, get_preset
from .model import SiamFCNet, build_model, load_weights, save_weights
from .tracker import SiamFCTracker

__all__ = [
    "PRESETS",
    "SiamFCConfig",
    "SiamFCNet",
    "SiamFCTracker",
    "build_model",
    "get_preset",
    "load_weights",
    "save_weights",
]
__version__ = "0.1.0"
