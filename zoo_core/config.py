"""Configs: OmegaConf structured configs with one schema per architecture.

A run's config has three sections: ``model`` (the architecture's dataclass schema),
``train`` and ``data`` (the core's schemas below, optionally extended by the architecture).
``configs/<id>.yaml`` holds the paper's hyper-parameters and dotlist overrides
(``model.latent_dim=64``) go on top. A wrong key or type is a :class:`ConfigError` naming the
key, the expected type and the file. YAML is loaded safely and no name read from a config is
ever imported: optimisers and losses are looked up in tables the code defines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo_core.errors import ConfigError

if TYPE_CHECKING:
    from omegaconf import DictConfig

    from zoo_core.registry import ArchSpec


@dataclass
class OptimizerConfig:
    """An optimiser by name (adam, adamw, rmsprop, sgd) with its settings."""

    name: str = "adam"
    lr: float = 2e-4
    betas: list[float] = field(default_factory=lambda: [0.5, 0.999])
    eps: float = 1e-8
    weight_decay: float = 0.0
    momentum: float = 0.0


@dataclass
class TrainConfig:
    """The GAN loop's settings; an architecture may subclass this with its own keys."""

    #: Generator updates to run (the discriminator runs ``n_critic`` times per update).
    steps: int = 10_000
    batch_size: int = 16
    n_critic: int = 1
    #: bce (non-saturating), lsgan, wgan, wgan-gp or hinge.
    adversarial: str = "bce"
    gp_weight: float = 10.0
    #: Weight-clipping bound for the original WGAN critic; null turns it off.
    weight_clip: float | None = None
    #: Extra generator loss terms by registered name, e.g. ``{l1: 100.0}``.
    loss_weights: dict[str, float] = field(default_factory=dict)
    optimizer_g: OptimizerConfig = field(default_factory=OptimizerConfig)
    optimizer_d: OptimizerConfig = field(default_factory=OptimizerConfig)
    #: Exponential moving average of generator weights; null turns it off.
    ema_decay: float | None = None
    grad_clip: float | None = None
    #: Mixed precision where the device supports it.
    amp: bool = False
    seed: int = 0
    deterministic: bool = False
    checkpoint_every: int = 500
    log_every: int = 10
    num_workers: int = 0


@dataclass
class DataConfig:
    """How training data is read and prepared; an architecture may subclass this."""

    #: images (PNG/JPEG), slices (2D from 3D volumes), blocks (3D patches) or volumes.
    mode: str = "images"
    spatial_size: list[int] = field(default_factory=list)
    channels: int = 1
    #: none, minmax, ct (HU window to [-1, 1]) or mr (percentile normalisation to [-1, 1]).
    intensity: str = "minmax"
    hu_window: list[float] = field(default_factory=lambda: [-1000.0, 1000.0])
    #: Read (condition, target) pairs from ``condition/`` and ``target/`` sub-folders.
    paired: bool = False
    #: Sub-folder or file suffix holding label maps that go with each image, if any.
    labels: str | None = None
    augment: bool = False


def schema(arch: ArchSpec) -> DictConfig:
    """The empty, typed config of an architecture, with its defaults."""
    from omegaconf import OmegaConf

    cfg = OmegaConf.create(
        {
            "model": OmegaConf.structured(arch.config),
            "train": OmegaConf.structured(arch.train_config or TrainConfig),
            "data": OmegaConf.structured(arch.data_config or DataConfig),
        }
    )
    OmegaConf.set_struct(cfg, True)
    # Free-form maps (loss term -> weight) take keys the schema cannot list.
    if "loss_weights" in cfg.train:
        OmegaConf.set_struct(cfg.train.loss_weights, False)
    return cfg


def _merge(base: DictConfig, other: Any, where: str) -> DictConfig:
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        return OmegaConf.merge(base, other)
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", None) or "?"
        first_line = str(exc).splitlines()[0]
        raise ConfigError(f"{where}: key {key!r}: {first_line}") from None


def load(
    arch: ArchSpec,
    path: str | Path | None = None,
    overrides: list[str] | None = None,
) -> DictConfig:
    """Merge the schema, a YAML file and dotlist overrides, checking every key and type."""
    from omegaconf import OmegaConf

    cfg = schema(arch)
    if path is not None:
        path = Path(path)
        try:
            file_cfg = OmegaConf.load(path)
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist.") from None
        except Exception as exc:  # YAML syntax
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        cfg = _merge(cfg, file_cfg, str(path))
    if overrides:
        bad = [o for o in overrides if "=" not in o]
        if bad:
            raise ConfigError(f"override {bad[0]!r} must look like 'section.key=value'.")
        cfg = _merge(cfg, OmegaConf.from_dotlist(list(overrides)), "override " + " ".join(overrides))
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise ConfigError(f"{path or 'config'}: no value for {', '.join(missing)}.")
    return cfg


def to_yaml(cfg: DictConfig) -> str:
    from omegaconf import OmegaConf

    return OmegaConf.to_yaml(cfg, resolve=True)
