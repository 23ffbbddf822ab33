"""The embedding phi against Table 1, the released-weights layout, and bad checkpoints."""

import pickle

import pytest
import torch

from siamfc_edu.backbone import AlexNetEmbedding, fuse_for_inference
from siamfc_edu.config import get_preset
from siamfc_edu.model import build_model, load_weights, save_weights

TABLE_1 = {  # layer: (exemplar side, search side)
    "conv1": (59, 123),
    "pool1": (29, 61),
    "conv2": (25, 57),
    "pool2": (12, 28),
    "conv3": (10, 26),
    "conv4": (8, 24),
    "conv5": (6, 22),
}
# siamfc-pytorch's released siamfc_alexnet_e50.pth: conv weights of the paper's network
RELEASED_CONV_SHAPES = {
    "backbone.conv1.0.weight": (96, 3, 11, 11),
    "backbone.conv2.0.weight": (256, 48, 5, 5),
    "backbone.conv3.0.weight": (384, 256, 3, 3),
    "backbone.conv4.0.weight": (384, 192, 3, 3),
    "backbone.conv5.0.weight": (256, 192, 3, 3),
}


def released_state_dict() -> dict:
    """A state_dict laid out exactly as siamfc-pytorch's released file, built from the table."""
    state = {}
    for key, shape in RELEASED_CONV_SHAPES.items():
        block = key.rsplit(".", 2)[0]
        state[key] = torch.randn(shape) * 0.01
        state[f"{block}.0.bias"] = torch.zeros(shape[0])
        if "conv5" not in key:
            state[f"{block}.1.weight"] = torch.ones(shape[0])
            state[f"{block}.1.bias"] = torch.zeros(shape[0])
            state[f"{block}.1.running_mean"] = torch.zeros(shape[0])
            state[f"{block}.1.running_var"] = torch.ones(shape[0])
            state[f"{block}.1.num_batches_tracked"] = torch.tensor(0)
    return state


@pytest.mark.parametrize("preset", ["SiamFC-3s", "tiny"])
def test_activation_sizes_equal_table_1(preset):
    phi = AlexNetEmbedding.from_config(get_preset(preset))
    assert phi.layer_sizes(127) == {k: v[0] for k, v in TABLE_1.items()}
    assert phi.layer_sizes(255) == {k: v[1] for k, v in TABLE_1.items()}


def test_paper_channels_and_groups():
    phi = AlexNetEmbedding()
    out = phi(torch.zeros(2, 3, 255, 255))
    assert out.shape == (2, 256, 22, 22)
    assert [phi.conv2[0].groups, phi.conv4[0].groups, phi.conv5[0].groups] == [2, 2, 2]
    assert len(phi.conv5) == 1  # no batch norm, no ReLU after the last conv
    assert phi.conv1[1].eps == 1e-6


def test_translation_equivariance():
    """Shift the input by 8k pixels and the output shifts by k cells (stride 8)."""
    phi = AlexNetEmbedding(channels=(24, 64, 96, 96, 64)).eval()
    image = torch.rand(1, 3, 255 + 24, 255 + 24) * 255
    with torch.no_grad():
        base = phi(image[..., :255, :255])
        for k in (1, 2, 3):
            shifted = phi(image[..., 8 * k : 8 * k + 255, 8 * k : 8 * k + 255])
            torch.testing.assert_close(shifted[..., : 22 - k, : 22 - k], base[..., k:, k:])


def test_fused_embedding_equals_conv_bn():
    phi = AlexNetEmbedding(channels=(24, 64, 96, 96, 64))
    phi.train()
    with torch.no_grad():  # give the batch norms non-trivial statistics
        for _ in range(3):
            phi(torch.rand(4, 3, 127, 127) * 255)
    phi.eval()
    x = torch.rand(2, 3, 255, 255) * 255
    with torch.no_grad():
        torch.testing.assert_close(fuse_for_inference(phi)(x), phi(x), rtol=1e-4, atol=1e-3)


def test_state_dict_keys_match_released_weights():
    ours = build_model(get_preset("SiamFC-3s")).state_dict()
    released = released_state_dict()
    assert [k for k in ours if k.startswith("backbone.")] == list(released)


def test_released_layout_loads_unchanged(tmp_path):
    path = tmp_path / "siamfc_alexnet_e50.pth"
    released = released_state_dict()
    torch.save(released, path)
    model, cfg = load_weights(path)
    assert cfg.name == "SiamFC-3s"
    torch.testing.assert_close(model.backbone.conv3[0].weight, released["backbone.conv3.0.weight"])
    assert model.head.bias.item() == 0.0


def test_wrong_shape_names_key_and_both_shapes(tmp_path):
    state = released_state_dict()
    state["backbone.conv3.0.weight"] = torch.zeros(384, 128, 3, 3)
    path = tmp_path / "bad.pth"
    torch.save(state, path)
    expected = r"conv3\.0\.weight.*\(384, 128, 3, 3\).*\(384, 256, 3, 3\)"
    with pytest.raises(ValueError, match=expected):
        load_weights(path)


def test_checkpoint_of_another_preset_is_refused(tmp_path):
    path = save_weights(build_model(get_preset("tiny")), get_preset("tiny"), tmp_path / "t.pth")
    with pytest.raises(ValueError, match="tiny"):
        load_weights(path, get_preset("SiamFC-3s"))
    model, cfg = load_weights(path)  # without a preset, the saved one is used
    assert cfg.name == "tiny" and model.backbone.conv1[0].out_channels == 16


class RunsCode:
    def __reduce__(self):
        return (print, ("this would have run code",))


def test_file_that_would_run_code_is_refused(tmp_path):
    path = tmp_path / "evil.pth"
    with open(path, "wb") as f:
        pickle.dump({"model": RunsCode()}, f)
    torch.save({"model": RunsCode()}, path)
    with pytest.raises(ValueError, match="refused"):
        load_weights(path)


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no weights file"):
        load_weights(tmp_path / "nope.pth")
    corrupt = tmp_path / "corrupt.pth"
    corrupt.write_bytes(b"not a checkpoint at all")
    with pytest.raises(ValueError, match="cannot read"):
        load_weights(corrupt)
