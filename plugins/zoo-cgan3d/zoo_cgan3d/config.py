"""Schemas of the ``model:`` and ``data:`` config sections (no torch here).

The paper (Mangalagiri et al., sections III-IV) fixes the block size (32³), the three
conditions, the generator family (a 3D U-Net fed a uniform noise vector), the loss
(adversarial + pixel-wise L1), batch 50 and 100 epochs. It gives no layer widths, no noise
vector length, no L1 weight and no Poisson level: those defaults are pix2pix's (the paper's
reference [4]) or ours, and each model card lists them under ``implementation_choices``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zoo_core.plugin_api import DataConfig

TASKS = ("autoencode", "denoise", "depixelate")


@dataclass
class CGAN3DConfig:
    """The networks and the task's condition."""

    #: autoencode (condition = block), denoise (Poisson noise), depixelate (2x nearest).
    task: str = "autoencode"
    #: Edge of the cubic blocks the networks see (the paper's 32).
    block_size: int = 32
    channels: int = 1
    #: Length of the uniform noise vector z, tiled over the block and fed with the condition.
    z_dim: int = 8
    #: Widths of the 3D U-Net levels (pix2pix's ngf=64 widths; 4 stride-2 levels: 32³ -> 2³).
    generator_channels: list[int] = field(default_factory=lambda: [64, 128, 256, 512, 512])
    generator_strides: list[int] = field(default_factory=lambda: [2, 2, 2, 2])
    generator_res_units: int = 0
    generator_dropout: float = 0.0
    #: Normalisation in the U-Net: batch (pix2pix), instance, or none (as restoration networks
    #: such as EDSR drop it: statistics of a block's content then never shift its output).
    generator_norm: str = "batch"
    #: PatchGAN discriminator: filters of its first layer and number of stride-2 layers.
    discriminator_channels: int = 64
    discriminator_layers: int = 3
    #: Poisson level s on intensities u in [0, 1]: u' = s * Poisson(u / s), so Var(u') = s * u.
    noise_level: float = 0.004
    #: Nearest-neighbour downsampling factor of the depixelate condition.
    pixelate_factor: int = 2
    #: Not in the paper: the generator adds its output to the condition (no tanh), so it
    #: learns the correction and starts from the identity (residual learning, as DnCNN).
    generator_residual: bool = False
    #: What the residual generator corrects: the condition, or (depixelate) "interpolated",
    #: the trilinear interpolation through the kept voxels, as VDSR corrects a bicubic image,
    #: "cubic" (cubic convolution through them), or (denoise) "median", the 5³ median filter.
    residual_base: str = "condition"
    #: Not in the paper (with generator_residual): instead of the U-Net, a stack of 3³
    #: convolutions of widths generator_channels on the lattice of pixelate_factor³ cells.
    #: Depixelate: it reads the voxels the pixelation keeps and returns the correction of each
    #: of the other sub-voxel positions as channels (ESPCN's sub-pixel layer in 3D); the kept
    #: voxels pass unchanged. Denoise: every voxel of a cell is an input channel and every one
    #: is corrected (FFDNet's down-sampling in 3D). The U-Net's strides, residual units,
    #: dropout and norm do not apply. See zoo_cgan3d.networks.LatticeGenerator.
    generator_lattice: bool = False
    #: Not in the paper: in training, each block's Poisson level is noise_level * exp(U(-j, j))
    #: with j = noise_level_jitter, so the denoiser holds at other dose levels (0: fixed).
    noise_level_jitter: float = 0.0
    #: Not in the paper: weight of an L1 term measured in HU (through each scan's recorded
    #: inverse equalisation, in units of half its HU range), beside the equalised L1. The
    #: evaluation scores HU, where equalisation's compressed tails turn small equalised errors
    #: into large HU errors that the equalised L1 does not see (0: off).
    hu_l1_weight: float = 0.0
    #: Not in the paper: weight of a squared-error term in HU (same units, squared): PSNR is
    #: a squared error, and where the clean value is uncertain (thin dense structures under
    #: heavy noise) L1 is minimised by the conditional median, the squared error by the mean.
    hu_mse_weight: float = 0.0
    #: Not in the paper: a second input channel, log(1 + dHU/dy) of the scan's own inverse
    #: intensity transform at each voxel's condition value, so the network knows what an
    #: error costs in HU on any scan (as FFDNet's noise-level map). Whole scans get their
    #: table from ``zoo generate``, ``zoo cgan3d reconstruct`` and ``evaluate``
    #: (``CGAN3D.condition_options``).
    slope_input: bool = False
    #: Not in the paper (denoise): the condition's 3³ median as one more input channel, so a
    #: generator correcting the 5³ median can keep the finer texture that the 3³ one keeps
    #: (on T1 MRI the 3³ median is the better filter, on the head CT the 5³).
    median_input: bool = False
    #: Not in the paper: at inference, average the outputs for the 8 mirror images of each
    #: block (EDSR's geometric self-ensemble): the noise is independent of the orientation,
    #: the network's errors partly are not. 8x the inference time; training is unchanged.
    self_ensemble: bool = False


@dataclass
class CGAN3DDataConfig(DataConfig):
    """Blocks cut from CT volumes, with the paper's equalisation and x34 augmentation."""

    mode: str = "blocks"
    spatial_size: list[int] = field(default_factory=lambda: [32, 32, 32])
    intensity: str = "ct"
    #: HU are clipped to this window before equalisation (the full 12-bit CT range).
    hu_window: list[float] = field(default_factory=lambda: [-1024.0, 3071.0])
    #: Histogram equalisation (per scan, invertible); false = linear HU window to [-1, 1].
    histogram_equalize: bool = True
    augment: bool = True
    #: Translation of the block window, in voxels, for the 26 translated copies.
    augment_shift: int = 8
    #: Skip blocks with less than this fraction of voxels inside the region mask (0 keeps all).
    min_region_fraction: float = 0.0
    #: HU interval of the evaluation region (the paper's lung region: [-1000, -400]).
    region_hu: list[float] = field(default_factory=lambda: [-1000.0, -400.0])
    #: At most this many scans are read (0 = all); for demos and tests.
    max_scans: int = 0
    #: Not in the paper: weight the pixel-wise loss of each voxel by the slope of the scan's
    #: inverse intensity transform there (HU per equalised unit), so that the training loss
    #: measures error in HU, as the evaluation does, not in equalised units.
    hu_weighted_loss: bool = False
    #: Not in the paper: also fit the per-scan intensity transform on this many random axial
    #: slabs of each training scan and normalise each block with one of them (0: the scan's).
    transform_slabs: int = 0
    #: Not in the paper: clip each of those slabs at a ceiling drawn log-uniformly from this HU
    #: interval before fitting (its blocks are clipped alike), as a scan whose densest voxel is
    #: soft tissue rather than bone has another upper tail to its equalisation (null: no clip).
    hu_ceiling: list[float] | None = None
