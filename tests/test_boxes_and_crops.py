"""Box conventions, mean-padded crops against a naive reference, frames, bad boxes."""

import cv2
import numpy as np
import pytest

from siamfc_edu import boxes as B
from siamfc_edu import crops, images


def naive_crop(image, center, side, out_size, pad_color):
    """The obvious way: pad the whole frame generously with the colour, then cut and resize."""
    margin = 1000  # larger than any crop in these tests
    padded = np.empty((image.shape[0] + 2 * margin, image.shape[1] + 2 * margin, 3), np.uint8)
    padded[:] = np.round(pad_color).astype(np.uint8)
    padded[margin:-margin, margin:-margin] = image
    x1, y1, side_px = crops.crop_window(center, side)
    patch = padded[y1 + margin : y1 + margin + side_px, x1 + margin : x1 + margin + side_px]
    return cv2.resize(patch, (out_size, out_size), interpolation=cv2.INTER_LINEAR)


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)


def test_box_conversions_round_trip():
    rng = np.random.default_rng(1)
    boxes = np.column_stack([rng.uniform(-5, 100, (50, 2)), rng.uniform(1, 60, (50, 2))])
    for to, back in [
        (B.xywh_to_cxcywh, B.cxcywh_to_xywh),
        (B.xywh_to_xyxy, B.xyxy_to_xywh),
        (B.xywh_to_otb, B.otb_to_xywh),
    ]:
        np.testing.assert_allclose(back(to(boxes)), boxes)
        np.testing.assert_allclose(back(to(boxes[0])), boxes[0])


def test_box_conventions_on_a_known_box():
    box = [10, 20, 5, 4]  # pixels 10..14 across, 20..23 down
    np.testing.assert_allclose(B.xywh_to_cxcywh(box), [12, 21.5, 5, 4])
    np.testing.assert_allclose(B.xywh_to_xyxy(box), [10, 20, 14, 23])
    np.testing.assert_allclose(B.xywh_to_otb(box), [11, 21, 5, 4])
    with pytest.raises(ValueError, match="4 numbers"):
        B.xywh_to_xyxy([1, 2, 3])


def test_context_size_is_the_papers_formula():
    w, h = 40, 20
    p = 0.5 * (w + h)
    assert crops.context_size(w, h) == pytest.approx(np.sqrt((w + p) * (h + p)))


@pytest.mark.parametrize(
    "center, side",
    [
        ((60, 45), 40),
        ((60, 45), 40.4),
        ((2, 3), 50),
        ((118, 88), 50),
        ((60, 0), 30),
        ((-10, 45), 40),
        ((60, 45), 300),
        ((200, 200), 20),
    ],
    ids=[
        "inside",
        "fractional",
        "top-left",
        "bottom-right",
        "top",
        "left-outside",
        "leaves-every-side",
        "fully-outside",
    ],
)
def test_crop_equals_naive_pad_then_crop(frame, center, side):
    pad = images.mean_color(frame)
    ours = crops.crop_and_resize(frame, center, side, 64, pad)
    np.testing.assert_array_equal(ours, naive_crop(frame, center, side, 64, pad))


def test_crop_is_padded_with_the_frame_mean(frame):
    crop = crops.crop_and_resize(frame, (60, 45), 400, 127)
    expected = np.round(frame.reshape(-1, 3).mean(axis=0))
    np.testing.assert_allclose(crop[0, 0], expected, atol=1)
    np.testing.assert_allclose(crop[-1, -1], expected, atol=1)


def test_crop_centres_the_target():
    image = np.zeros((100, 100, 3), np.uint8)
    image[40:51, 30:41] = 255  # an 11x11 white square centred at (35, 45)
    crop = crops.crop_and_resize(image, (35, 45), 33, 33)
    ys, xs = np.nonzero(crop[:, :, 0] > 127)
    assert (xs.mean(), ys.mean()) == (16, 16)


def test_frames_are_converted_or_refused(frame):
    gray = frame[:, :, 0]
    assert images.as_rgb_frame(gray).shape == (90, 120, 3)
    assert images.as_rgb_frame(gray[:, :, None]).shape == (90, 120, 3)
    rgba = np.dstack([frame, np.full((90, 120), 255, np.uint8)])
    np.testing.assert_array_equal(images.as_rgb_frame(rgba), frame)
    with pytest.raises(ValueError, match="uint8"):
        images.as_rgb_frame(frame.astype(np.float32))
    with pytest.raises(ValueError, match="numpy array"):
        images.as_rgb_frame([[1, 2, 3]])
    with pytest.raises(ValueError, match="H x W x 3"):
        images.as_rgb_frame(np.zeros((4, 4, 2), np.uint8))


@pytest.mark.parametrize(
    "box, message",
    [
        ([10, 10, 0, 5], "zero or negative"),
        ([10, 10, 5, -3], "zero or negative"),
        ([np.nan, 10, 5, 5], "NaN"),
        ([10, 10, np.inf, 5], "NaN or infinite"),
        ([500, 10, 5, 5], "outside"),
        ([-20, -20, 5, 5], "outside"),
        ([1, 2, 3], "4 numbers"),
    ],
)
def test_bad_boxes_are_refused(frame, box, message):
    with pytest.raises(ValueError, match=message):
        B.check_box(box, frame.shape)
