"""Config schemas of the CycleGAN architecture (no torch here)."""

from dataclasses import dataclass

from zoo_core.plugin_api import DataConfig, TrainConfig


@dataclass
class CycleGANConfig:
    """Zhu et al.'s networks: ResNet generators (9 blocks at 256x256), 70x70 PatchGANs."""

    channels_a: int = 1
    channels_b: int = 1
    g_filters: int = 64
    d_filters: int = 64
    n_blocks: int = 9
    #: PatchGAN depth: 3 gives the 70x70 receptive field.
    d_layers: int = 3
    norm: str = "instance"
    #: Side of the training slices (the generators are fully convolutional: any multiple of 4
    #: works at inference).
    resolution: int = 256
    #: What generate(condition=...) does: "a2b" (MR -> CT for the zoo's ids) or "b2a".
    direction: str = "a2b"


@dataclass
class CycleGANTrainConfig(TrainConfig):
    """The loop's settings plus CycleGAN's own; lambda (cycle weight) is loss_weights.cycle."""

    #: Image history pool per discriminator (Shrivastava et al.); 0 turns it off.
    pool_size: int = 50
    #: Identity loss weight relative to lambda (Zhu et al.: 0.5, i.e. 0.5 * lambda).
    identity_weight: float = 0.5
    #: Gradient-consistency loss weight (Hiasa et al. 2018); 0 turns it off.
    gradient_consistency_weight: float = 0.0


@dataclass
class CycleGANDataConfig(DataConfig):
    """Unpaired folders ``domain_a/`` and ``domain_b/``, each with its own intensity scaling.

    ``intensity`` (the core key) scales domain A, the condition of ``generate``, so that
    ``zoo generate --condition`` normalises an input volume the way training did;
    ``intensity_b`` scales domain B (``hu_window`` applies to whichever domain is ``ct``).
    """

    intensity_b: str = "ct"
