"""The schema of the ``model:`` config section of ``srgan3d`` (no torch here).

Everything the network and its task need lives in this one section because the builder only
sees ``cfg.model``: the degradation that makes low-resolution inputs from high-resolution
volumes and the sliding-window settings of whole-volume inference describe the task the
weights were trained for, so they travel with the weights' config.
"""

from __future__ import annotations

from dataclasses import dataclass

DEGRADATIONS = ("gaussian", "kspace", "area")
RESIDUALS = ("none", "trilinear")
BLEND_MODES = ("gaussian", "constant")


@dataclass
class SRGAN3DConfig:
    """Sizes from Sánchez & Vilaplana (2017), section 2; defaults are the paper's."""

    channels: int = 1
    #: Integer up-sampling factor per axis (the paper's default 2; 3 works too).
    scale_factor: int = 2
    #: Edge of the high-resolution training patches the discriminator judges; its dense
    #: layers are sized from it, and it must be a multiple of ``scale_factor``.
    patch_size: int = 64
    #: Edge of the low-resolution windows of sliding-window inference (input voxels).
    block_size: int = 32
    #: Generator: filters of every 3x3x3 convolution and number of residual blocks.
    gen_filters: int = 32
    residual_blocks: int = 6
    #: Discriminator: first width (doubled every second layer), number of 3x3x3 conv layers
    #: and width of the first dense layer.
    disc_filters: int = 64
    disc_layers: int = 8
    disc_dense: int = 1024
    leaky_slope: float = 0.2
    #: none (the paper: tanh output) or trilinear (not in the paper: the output is the
    #: trilinear up-sampling plus the network's correction, no tanh).
    residual: str = "none"
    #: Training only, not in the paper: random gamma, intensity scale, bias field and input
    #: noise on every patch (zoo_srgan3d.augment), so the model holds on other scanners,
    #: contrasts and noise levels than its training volumes'.
    augment_intensity: bool = False
    #: How training pairs are made from high-resolution patches: ``gaussian`` (blur with a
    #: Gaussian of ``blur_fwhm`` high-resolution voxels, then average each scale^3 block),
    #: ``kspace`` (keep the central 1/scale of k-space per axis) or ``area`` (block average).
    degradation: str = "gaussian"
    #: FWHM of the Gaussian blur in high-resolution voxels; null means ``scale_factor``.
    blur_fwhm: float | None = None
    #: Sliding-window inference: window overlap (fraction) and blending (gaussian|constant).
    inference_overlap: float = 0.25
    inference_mode: str = "gaussian"
    #: Context voxels around each window, cropped off again (0: none). At the generator's
    #: receptive radius (16 voxels at the paper's depth) windows leave no seams, at
    #: ((block_size + 2 margin) / block_size)^3 the compute.
    inference_margin: int = 0
    sw_batch_size: int = 1
