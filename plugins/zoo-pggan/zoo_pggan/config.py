"""The config schemas of the progressive GAN (no torch here: `zoo list` imports this module).

Keys follow Beers et al. (2018), section 3, and the Karras et al. (2018) recipe that paper
defers to. The ``model:`` section fixes the networks, ``train:`` the progressive schedule and
``data:`` how image and segmentation channels are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zoo_core.plugin_api import DataConfig, OptimizerConfig, TrainConfig


@dataclass
class PGGANConfig:
    """The networks. All blocks up to ``max_resolution`` are built at once, so a model's state
    dict has the same keys at every phase of training and published weights load by id."""

    latent_dim: int = 128
    #: Final output size (512 fundus, 256 BraTS); growing starts at ``start_resolution``.
    max_resolution: int = 512
    start_resolution: int = 4
    #: Filters of the conv layers at resolutions below the first key of ``filters_at``.
    filters: int = 128
    #: ``[resolution, filters]`` pairs: filters from that resolution upwards (the paper:
    #: ``[[256, 64], [512, 16]]``). A list, not a map, so a config replaces it whole.
    filters_at: list[list[int]] = field(default_factory=list)
    #: Names of the image channels (written as one image output).
    image_channels: list[str] = field(default_factory=lambda: ["R", "G", "B"])
    #: Names of the segmentation channels, generated with the image and criticised with it.
    segmentation_channels: list[str] = field(default_factory=lambda: ["vessels"])
    #: False drops the segmentation channels (the paper's Fig. 3 row A).
    use_segmentation: bool = True
    #: Karras et al.'s generator normalisation, learning-rate equalisation and critic feature.
    pixel_norm: bool = True
    equalized_lr: bool = True
    minibatch_std: bool = True
    minibatch_std_group: int = 4
    #: linear (Karras et al.; generate() clamps to [-1, 1]) or tanh.
    output_activation: str = "linear"
    #: Blend real images between resolutions during fade-in, as Karras et al. do.
    fade_reals: bool = True
    #: Build the latent encoder (the critic's trunk ending in a latent_dim vector).
    encoder: bool = True


@dataclass
class PGGANTrainConfig(TrainConfig):
    """The GAN loop plus the progressive schedule and the encoder's training."""

    #: Batches spent fading in each new resolution (alpha 0 -> 1) ...
    fade_in_steps: int = 20_000
    #: ... and then training it without interpolation. The first resolution has no fade-in
    #: and is trained for fade_in_steps + stabilise_steps batches, so every resolution gets
    #: the paper's 40,000 batches.
    stabilise_steps: int = 20_000
    #: ``[resolution, batch size]`` pairs from that resolution upwards (the paper:
    #: ``[[512, 8]]``); ``batch_size`` below the first.
    batch_size_at: list[list[int]] = field(default_factory=list)
    #: Karras et al.'s epsilon drift term, eps * E[D(x)^2], keeps critic scores near zero.
    drift_weight: float = 0.001
    #: Start each new resolution with fresh Adam moments, as Karras et al. do.
    reset_optimizers_on_grow: bool = True
    #: The latent encoder: non-progressive, MSE to the latent, "same training conditions".
    encoder_steps: int = 20_000
    optimizer_e: OptimizerConfig = field(
        default_factory=lambda: OptimizerConfig(name="adam", lr=0.001, betas=[0.0, 0.99])
    )


@dataclass
class PGGANDataConfig(DataConfig):
    """Image + segmentation channels from a folder.

    ``images`` mode: ``DIR/<image_dir>/NAME.png|jpg`` (RGB or grey) with a map of the same stem
    in each of ``DIR/<segmentation_keys[i]>/`` (e.g. ``vessels/``).
    ``slices`` mode: NIfTI volumes ``DIR/**/SUBJECT_<key>.nii[.gz]`` for every key of
    ``image_keys`` (one channel each) and the segmentation: either one label volume
    (``segmentation_keys: [seg]``) split into one channel per entry of ``label_values``, or
    one probability map per key (``label_values: []``).
    """

    image_dir: str = "images"
    image_keys: list[str] = field(default_factory=lambda: ["t1", "t1ce", "t2", "flair"])
    segmentation_keys: list[str] = field(default_factory=lambda: ["seg"])
    #: BraTS labels per channel: 2 edema, 1 non-enhancing/necrosis, 4 enhancing tumour.
    label_values: list[int] = field(default_factory=lambda: [2, 1, 4])
    #: Whether the segmentation channels are read (tie it to model.use_segmentation).
    segmentation: bool = True
    #: Axis of the volume the 2D slices are cut across (2 = axial for RAS volumes).
    slice_axis: int = 2
    #: Slices whose non-background fraction is below this are skipped (empty slices).
    min_foreground: float = 0.1
    #: Where slices are cached as a memory map when they do not fit in ``max_memory_mb``.
    cache_dir: str | None = None
    max_memory_mb: int = 2048
