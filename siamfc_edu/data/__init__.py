"""Data for SiamFC: real footage, a generated VID, readers of the real layouts, pairs, curation.

The paper's pair sampler is `pairs` (footage pairs: `footage_pairs`); `split`: the held-out quarter.
`layouts/`: one module per data-set layout (VID, GOT-10k, OTB, VOT), holding its reader and writer.
`generator/`: the generated VID (textures, motion, scenes, rendering, `make_dataset`).
Layering: this package uses `config`, `boxes`, `images`, `crops`, `losses` and nothing above them.
"""

from .curate import CROP_SIZE, curate, is_curated, load_curated
from .footage import (
    OPENCV_VIDEOS,
    SHIPPED_VIDEOS,
    footage_dir,
    footage_path,
    iter_video,
    list_footage,
    list_images,
    read_image,
    read_video,
)
from .footage_pairs import FootagePairs, measure_motion
from .generator.make import make_dataset
from .generator.render import render_video
from .generator.scene import ATTRIBUTES
from .image_folder import read_image_folder
from .layouts.got10k import read_got10k, write_got10k_sequence
from .layouts.otb import read_otb, write_otb_sequence
from .layouts.vid import (
    VidObject,
    authors_box_filter,
    find_vid_root,
    read_vid,
    write_vid_snippet,
)
from .layouts.vot import read_vot, vot_polygon_to_box, write_vot_sequence
from .pairs import PairDataset
from .real import read_annotations, read_hard_real_set, read_real_set
from .sequence import Sequence
from .sources import MixedPairs
from .tracks import Track, tracks_from_sequences

__all__ = [
    "ATTRIBUTES",
    "CROP_SIZE",
    "OPENCV_VIDEOS",
    "SHIPPED_VIDEOS",
    "FootagePairs",
    "MixedPairs",
    "PairDataset",
    "Sequence",
    "Track",
    "VidObject",
    "authors_box_filter",
    "curate",
    "find_vid_root",
    "footage_dir",
    "footage_path",
    "is_curated",
    "iter_video",
    "list_footage",
    "list_images",
    "load_curated",
    "make_dataset",
    "measure_motion",
    "read_annotations",
    "read_got10k",
    "read_hard_real_set",
    "read_image",
    "read_image_folder",
    "read_otb",
    "read_real_set",
    "read_video",
    "read_vid",
    "read_vot",
    "render_video",
    "tracks_from_sequences",
    "vot_polygon_to_box",
    "write_got10k_sequence",
    "write_otb_sequence",
    "write_vid_snippet",
    "write_vot_sequence",
]
