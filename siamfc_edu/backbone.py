"""The embedding phi of Table 1: an AlexNet-like fully-convolutional network.

Layer names match siamfc-pytorch (`conv1.0.weight` ... `conv5.0.bias`), so its released
weights `siamfc_alexnet_e50.pth` load unchanged (see `siamfc_edu.model.load_weights`).
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from .config import SiamFCConfig


def conv_block(
    c_in: int, c_out: int, kernel: int, stride: int, groups: int, eps: float, pool: bool
) -> nn.Sequential:
    """conv -> batch norm -> ReLU (-> 3x3 max-pool, stride 2): one row of Table 1."""
    layers: list[nn.Module] = [
        nn.Conv2d(c_in, c_out, kernel, stride, groups=groups),
        nn.BatchNorm2d(c_out, eps=eps, momentum=0.05),
        nn.ReLU(inplace=True),
    ]
    if pool:
        layers.append(nn.MaxPool2d(3, 2))
    return nn.Sequential(*layers)


class AlexNetEmbedding(nn.Module):
    """phi: 127x127 exemplar -> 6x6 features, 255x255 search -> 22x22, total stride 8."""

    def __init__(self, channels: tuple[int, ...] = (96, 256, 384, 384, 256), bn_eps: float = 1e-6):
        super().__init__()
        c1, c2, c3, c4, c5 = channels
        self.conv1 = conv_block(3, c1, 11, 2, groups=1, eps=bn_eps, pool=True)
        self.conv2 = conv_block(c1, c2, 5, 1, groups=2, eps=bn_eps, pool=True)
        self.conv3 = conv_block(c2, c3, 3, 1, groups=1, eps=bn_eps, pool=False)
        self.conv4 = conv_block(c3, c4, 3, 1, groups=2, eps=bn_eps, pool=False)
        # the last layer has neither batch norm nor ReLU: its output is the embedding
        self.conv5 = nn.Sequential(nn.Conv2d(c4, c5, 3, 1, groups=2))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming-normal convolutions and unit batch norms, as siamfc-pytorch initialises."""
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    @classmethod
    def from_config(cls, cfg: SiamFCConfig) -> AlexNetEmbedding:
        """The embedding of a preset (channel widths and batch-norm epsilon)."""
        return cls(cfg.channels, cfg.bn_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Embed a batch of RGB crops (B, 3, H, W), values 0..255."""
        return self.conv5(self.conv4(self.conv3(self.conv2(self.conv1(x)))))

    def layer_sizes(self, side: int) -> dict[str, int]:
        """The activation side after every layer of Table 1, for a side x side input."""
        sizes: dict[str, int] = {}
        x = torch.zeros(1, 3, side, side)
        with torch.no_grad():
            for name in ("conv1", "conv2", "conv3", "conv4", "conv5"):
                block = getattr(self, name)
                for layer in block:
                    x = layer(x)
                    if isinstance(layer, nn.Conv2d):
                        sizes[name] = x.shape[-1]
                    if isinstance(layer, nn.MaxPool2d):
                        sizes[f"pool{name[-1]}"] = x.shape[-1]
        return sizes


def fuse_conv_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """One conv equal to conv followed by an eval-mode batch norm: w' = w * g / sqrt(var + eps)."""
    fused = copy.deepcopy(conv)
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    fused.weight.data = conv.weight.data * scale.reshape(-1, 1, 1, 1)
    fused.bias.data = (conv.bias.data - bn.running_mean) * scale + bn.bias
    return fused


def fuse_for_inference(embedding: AlexNetEmbedding) -> nn.Sequential:
    """An inference-only copy of phi, each batch norm folded into its conv: same output, faster."""
    layers: list[nn.Module] = []
    for name in ("conv1", "conv2", "conv3", "conv4", "conv5"):
        block = list(getattr(embedding, name))
        i = 0
        while i < len(block):
            layer = block[i]
            if isinstance(layer, nn.Conv2d) and i + 1 < len(block):
                if isinstance(block[i + 1], nn.BatchNorm2d):
                    layers.append(fuse_conv_bn(layer, block[i + 1]))
                    i += 2
                    continue
            layers.append(copy.deepcopy(layer))
            i += 1
    return nn.Sequential(*layers).eval()
