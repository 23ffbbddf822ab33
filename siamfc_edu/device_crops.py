"""SiamFC's crops and its upsampling as batched tensor operations that run on any device.

`crops.crop_and_resize` cuts one square at a time with OpenCV on the host. Here every square of a
step (every scale of every sequence) is cut in one batch of integer tensor operations from frames
that are already on the device, with the same geometry (`crops.crop_window`), the same padding
(the frame's mean colour, rounded) and OpenCV's own arithmetic: INTER_LINEAR on uint8 rounds its
weights to 1/2048 and its sums with shifts, and so do we, so the crops are equal bit for bit.
Why not `grid_sample`: its float crops differ from OpenCV's by one grey level here and there,
and over a hundred frames that moves the boxes by pixels (notebook 08 shows it).
The score maps are upsampled with `F.interpolate(mode="bicubic", align_corners=False)`: the same
half-pixel convention and cubic kernel (a = -0.75) as OpenCV's INTER_CUBIC.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

COEF_ONE = 2048  # OpenCV's fixed-point 1.0 for bilinear weights (INTER_RESIZE_COEF_SCALE)


def frames_to_device(frames: list[np.ndarray], device: torch.device) -> torch.Tensor:
    """RGB uint8 frames as one (B, H, W, 3) uint8 batch on the device, zero beyond smaller frames.

    Frames of different sizes share the batch: each sits in the top-left corner of the largest.
    For a GPU the batch is assembled in pinned (page-locked) memory: the GPU copies from it
    directly and without blocking the host, where ordinary memory goes through a staging copy.
    """
    height = max(f.shape[0] for f in frames)
    width = max(f.shape[1] for f in frames)
    pinned = device.type == "cuda"
    batch = torch.zeros((len(frames), height, width, 3), dtype=torch.uint8, pin_memory=pinned)
    slots = batch.numpy()
    for slot, frame in zip(slots, frames, strict=True):
        slot[: frame.shape[0], : frame.shape[1]] = frame
    return batch.to(device, non_blocking=pinned)


def mean_colors(frames: torch.Tensor, sizes: torch.Tensor) -> torch.Tensor:
    """Each frame's mean colour, rounded as `crop_and_resize` pads: (B, 3) float32.

    The sum is exact (integers; the zeros beyond a smaller frame add nothing), then multiplied by
    1 / (height * width) in float64 as OpenCV's `cv2.mean` does.
    """
    sums = frames.sum(dim=(1, 2), dtype=torch.int64).double()
    per_pixel = 1.0 / sizes.prod(dim=1, keepdim=True).double()
    return (sums * per_pixel).round().float()


def crop_windows(centers: np.ndarray, sides: np.ndarray) -> np.ndarray:
    """The integer squares (x1, y1, side) of `crops.crop_window`: (B, K, 3), B centres, K sides.

    `crop_window`'s formula on arrays: `np.rint` rounds halves to even, as Python's `round` does.
    """
    sides = np.maximum(1, np.rint(sides))  # (B, K)
    centers = np.asarray(centers, dtype=np.float64)[:, None, :]  # (B, 1, 2)
    corners = np.rint(centers - (sides[..., None] - 1) / 2)  # (B, K, 2)
    return np.concatenate([corners, sides[..., None]], axis=2)


def linear_taps(sides: torch.Tensor, out_size: int, clamp_weights: bool) -> torch.Tensor:
    """OpenCV's INTER_LINEAR along one axis of squares of these sides: (N, 4, out) int32.

    Output pixel j reads the square at f = (j + 0.5) * side / out - 0.5 (in float32, as OpenCV
    computes it): pixels floor(f) and floor(f) + 1, weighted 1 - frac(f) and frac(f), each weight
    rounded to 1/2048. Rows: [first pixel, second pixel, first weight, second weight], the pixels
    kept inside the square. Beyond the square's edge OpenCV repeats its border pixel: along x by
    setting the weights to (1, 0) there (`clamp_weights`), along y by clamping the rows only.
    """
    sides = sides.long()[:, None]  # (N, 1)
    scale = 1.0 / (out_size / sides.double())  # OpenCV's scale_x = 1 / inv_scale_x, in float64
    j = torch.arange(out_size, device=sides.device, dtype=torch.float64)
    pos = ((j + 0.5) * scale - 0.5).float()
    first = pos.floor()
    frac = pos - first
    if clamp_weights:
        frac = torch.where((first < 0) | (first >= sides - 1), 0.0, frac)
    w_first = ((1 - frac) * COEF_ONE).round()  # rounds halves to even, as OpenCV's saturate_cast
    w_second = (frac * COEF_ONE).round()
    first = first.long()
    pixels = [first.clamp(min=0).minimum(sides - 1), (first + 1).clamp(min=0).minimum(sides - 1)]
    return torch.stack([*pixels, w_first.long(), w_second.long()], dim=1).int()


def framed(frames: torch.Tensor, sizes: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
    """The frames with a one-pixel border of their pad colour: (B, H+2, W+2, 3) uint8.

    The pad colour also fills the batch beyond a smaller frame. A square that leaves its frame,
    however far, reads the border (its coordinates are clamped to it): the mean padding.
    """
    rows = torch.arange(frames.shape[1] + 2, device=frames.device)
    cols = torch.arange(frames.shape[2] + 2, device=frames.device)
    in_rows = (rows >= 1) & (rows <= sizes[:, 0, None])  # (B, H+2)
    in_cols = (cols >= 1) & (cols <= sizes[:, 1, None])
    inside = in_rows[:, :, None, None] & in_cols[:, None, :, None]
    padded = F.pad(frames, (0, 0, 1, 1, 1, 1))
    return torch.where(inside, padded, pad.to(torch.uint8)[:, None, None, :])


def crop_batch(
    frames: torch.Tensor, sizes: torch.Tensor, windows: np.ndarray, out_size: int
) -> torch.Tensor:
    """K squares of each of B frames, resized to out_size: (B*K, 3, out, out) float32, 0..255.

    frames: (B, H, W, 3) uint8 on the device; sizes: (B, 2) each frame's (height, width);
    windows: (B, K, 3) the squares (x1, y1, side) of `crop_windows`. All B*K squares are cut
    and resized at once, in integers exactly as OpenCV's `cv2.resize(INTER_LINEAR)` does on
    uint8 (weights in 1/2048, its rounding shifts), so they equal `crop_and_resize`'s crops bit
    for bit, mean padding included.
    """
    squares = torch.from_numpy(windows.reshape(-1, 3).astype(np.int64)).to(frames.device)
    return resize_squares(frames, sizes, squares, out_size)


def resize_taps(squares: torch.Tensor, out_size: int) -> torch.Tensor:
    """Where each output pixel of each square reads, and with which weights: (N, 8, out) int32.

    squares: (N, 3) integer (x1, y1, side). Rows: x0, x1, a0, a1 (columns in the frame and their
    weights), then y0, y1, b0, b1 (rows and their weights).
    """
    x_taps = linear_taps(squares[:, 2], out_size, clamp_weights=True)
    y_taps = linear_taps(squares[:, 2], out_size, clamp_weights=False)
    x_taps[:, :2] += squares[:, 0, None, None].int()  # square -> frame coordinates
    y_taps[:, :2] += squares[:, 1, None, None].int()
    return torch.cat([x_taps, y_taps], dim=1)


def resize_squares(
    frames: torch.Tensor, sizes: torch.Tensor, squares: torch.Tensor, out_size: int
) -> torch.Tensor:
    """The (B*K, 3) integer squares, K in each of the B frames, cut and resized on the device.

    Only tensor operations of fixed shapes: the part of `crop_batch` a CUDA graph can record.
    """
    per_frame = squares.shape[0] // frames.shape[0]
    taps = resize_taps(squares, out_size)
    x0, x1, a0, a1, y0, y1, b0, b1 = taps.long().unbind(dim=1)  # each (B*K, out)
    owner = torch.arange(squares.shape[0], device=frames.device)[:, None] // per_frame
    height, width = sizes[owner, 0], sizes[owner, 1]  # (B*K, 1)
    image = framed(frames, sizes, mean_colors(frames, sizes))
    pixels = image.reshape(-1, 3)
    row_len, frame_len = image.shape[2], image.shape[1] * image.shape[2]

    def row(y: torch.Tensor) -> torch.Tensor:  # OpenCV's horizontal pass, in units of 1/2048
        start = owner * frame_len + (y.clamp(min=-1).minimum(height) + 1) * row_len  # (B*K, out)
        left = start[:, :, None] + (x0.clamp(min=-1).minimum(width) + 1)[:, None, :]
        right = start[:, :, None] + (x1.clamp(min=-1).minimum(width) + 1)[:, None, :]
        left_px = pixels[left.reshape(-1)].reshape(*left.shape, 3).int()
        right_px = pixels[right.reshape(-1)].reshape(*right.shape, 3).int()
        return left_px * a0[:, None, :, None].int() + right_px * a1[:, None, :, None].int()

    top = ((row(y0) >> 4) * b0[:, :, None, None].int()) >> 16  # the vertical pass, as its SIMD
    bottom = ((row(y1) >> 4) * b1[:, :, None, None].int()) >> 16  # code rounds
    crops = ((top + bottom + 2) >> 2).clamp(0, 255).float()  # (B*K, out, out, 3)
    return crops.permute(0, 3, 1, 2)  # channels-last in memory, like `crops_to_tensor`


def upsample_maps(scores: torch.Tensor, size: int) -> torch.Tensor:
    """Score maps (..., 17, 17) resized to size x size, bicubic like OpenCV's INTER_CUBIC."""
    lead = scores.shape[:-2]
    maps = scores.reshape(1, -1, *scores.shape[-2:])
    up = F.interpolate(maps, size=(size, size), mode="bicubic", align_corners=False)
    return up.reshape(*lead, size, size)
