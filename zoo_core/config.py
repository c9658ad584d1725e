"""Configs: OmegaConf structured configs with one schema per architecture.

A run's config has three sections: ``model`` (the architecture's dataclass schema),
``train`` and ``data`` (the core's schemas below, optionally extended by the architecture).
``configs/<id>.yaml`` holds the paper's hyper-parameters and dotlist overrides
(``model.latent_dim=64``) go on top. A wrong key or type is a :class:`ConfigError` naming the
key, the expected type and the file. YAML is loaded safely and no name read from a config is
ever imported: optimisers and losses are looked up in tables the code defines.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
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
    #: Passes over the training data instead of ``steps``, for papers that count epochs:
    #: steps = epochs x (samples // (batch_size x n_critic)), worked out from the data given.
    epochs: int | None = None
    batch_size: int = 16
    n_critic: int = 1
    #: bce (non-saturating), lsgan, wgan, wgan-gp or hinge.
    adversarial: str = "bce"
    #: Weight of the generator's adversarial term against ``loss_weights`` (SRGAN's 1e-3):
    #: below 1 where a pixel-wise figure (PSNR) matters more than texture.
    adversarial_weight: float = 1.0
    gp_weight: float = 10.0
    #: Weight-clipping bound for the original WGAN critic; null turns it off.
    weight_clip: float | None = None
    #: Extra generator loss terms by registered name, e.g. ``{l1: 100.0}``.
    loss_weights: dict[str, float] = field(default_factory=dict)
    #: Keyword options of those terms' factories, e.g.
    #: ``{perceptual: {weights_path: vgg19.safetensors, layers: [relu2_2]}, tv: {power: 1}}``.
    loss_options: dict[str, Any] = field(default_factory=dict)
    optimizer_g: OptimizerConfig = field(default_factory=OptimizerConfig)
    optimizer_d: OptimizerConfig = field(default_factory=OptimizerConfig)
    #: Exponential moving average of generator weights; null turns it off.
    ema_decay: float | None = None
    #: constant; linear: both optimisers' learning rates stay until ``lr_decay_start`` and
    #: then fall linearly to 0 at ``steps`` (CycleGAN's second 100 epochs); exponential:
    #: divided by ``lr_decay_factor`` every step, down to ``lr_min`` (Mirza & Osindero).
    lr_schedule: str = "constant"
    lr_decay_start: int = 0
    lr_decay_factor: float = 1.0
    lr_min: float = 0.0
    grad_clip: float | None = None
    #: Differentiable augmentation of every image the critic sees, real and generated
    #: (translation, cutout, flip; zoo_core.training.diff_augment): for few training images.
    diff_augment: list[str] = field(default_factory=list)
    #: fp32, bf16 (autocast; fast on CPUs with AMX/AVX512-BF16 and recent GPUs), fp16 (GPU,
    #: with a gradient scaler) or auto (the fastest the device does well): zoo_core.precision.
    precision: str = "fp32"
    #: Deprecated spelling of ``precision: auto``.
    amp: bool = False
    #: Channels-last memory layout for the networks (3-4x faster convolutions on CPU).
    channels_last: bool = False
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
    #: Random flips along every axis (or ``augment_flip_axes``) and in-plane quarter turns.
    augment: bool = False
    #: Spatial axes augment flips; set, it flips only these and makes no quarter turns
    #: (e.g. [1]: CycleGAN's horizontal flips of (H, W) slices).
    augment_flip_axes: list[int] | None = None
    #: >0: resize to this side, then crop spatial_size at random (CycleGAN: 286 -> 256).
    jitter_size: int = 0
    #: Unpaired domains (CycleGAN): ``domain_a/`` gives "source", ``domain_b/`` "target".
    unpaired: bool = False
    #: resize (interpolate to spatial_size) or crop (centre crop/pad, keeps the voxel size).
    size_mode: str = "resize"
    #: Spatial axis that 2D slices are taken along (2 = axial for RAS volumes).
    slice_axis: int = 2
    #: Skip slices/blocks whose foreground share is below min_foreground.
    skip_empty: bool = True
    min_foreground: float = 0.01
    #: Blocks mode: grid (non-overlapping, stitchable) or random patches.
    patch_sampling: str = "grid"
    patches_per_volume: int = 16
    #: Histogram-equalise each image (after the HU window for ct), inverse recorded.
    histogram_equalize: bool = False
    mr_percentiles: list[float] = field(default_factory=lambda: [0.5, 99.5])
    #: Gray values of a label map's classes, in class order, e.g. [0, 50, 100, 150, 200, 230].
    label_values: list[float] = field(default_factory=list)
    #: Number of label classes (0: len(label_values)); label maps are one-hot when one_hot.
    num_classes: int = 0
    one_hot: bool = False
    #: Volumes kept in memory per data-loader worker (least recently used are dropped).
    cache_volumes: int = 4
    #: Folder for prepared volumes as memory-mapped .npy (fast shuffled blocks); null: none.
    cache_dir: str | None = None


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
    for free_form in ("loss_weights", "loss_options"):
        if free_form in cfg.train:
            OmegaConf.set_struct(cfg.train[free_form], False)
    return cfg


def _type_name(tp: Any) -> str:
    """``int``, ``list[int]``, ``dict[str, float]``, ``OptimizerConfig``: how users write types."""
    import typing

    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is None or tp is type(None):
        return "null"
    if tp is typing.Any:
        return "any value"
    if origin in (typing.Union, UnionType):
        return " | ".join(_type_name(a) for a in args)
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        return f"{name}[{', '.join(_type_name(a) for a in args)}]" if args else name
    return getattr(tp, "__name__", str(tp))


def _node_type(node: Any) -> str:
    from omegaconf import DictConfig as _DictConfig

    meta = node._metadata
    if isinstance(node, _DictConfig) and meta.object_type not in (None, dict):
        return _type_name(meta.object_type)  # a section: its dataclass
    name = _type_name(meta.ref_type)
    return f"{name} | null" if meta.optional and "null" not in name else name


def _describe_key(base: DictConfig, key: str) -> tuple[str, bool]:
    """What the schema expects at ``key`` and whether the key exists at all."""
    from omegaconf import DictConfig as _DictConfig
    from omegaconf import ListConfig

    node: Any = base
    parts = [p for p in re.split(r"\.|\[(\d+)\]", key) if p] if key else []
    for depth, part in enumerate(parts):
        if isinstance(node, ListConfig) and part.isdigit():
            return f"key {key!r} expects {_type_name(node._metadata.element_type)}", True
        if not isinstance(node, _DictConfig) or part not in node:
            section = ".".join(parts[:depth]) or "the config"
            keys = list(node) if isinstance(node, _DictConfig) else []
            known = ", ".join(f"{k} ({_node_type(node._get_node(k))})" for k in keys)
            close = difflib.get_close_matches(part, keys, n=1)
            hint = f" (did you mean {'.'.join([*parts[:depth], close[0]])!r}?)" if close else ""
            return f"unknown key {key!r}{hint}; {section} takes: {known or 'no keys'}", False
        node = node._get_node(part)
    return f"key {key!r} expects {_node_type(node)}", True


def _merge(base: DictConfig, other: Any, where: str) -> DictConfig:
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        return OmegaConf.merge(base, other)
    except OmegaConfBaseException as exc:
        key = getattr(exc, "full_key", None) or ""
        first_line = str(exc).splitlines()[0]
        try:
            expected, exists = _describe_key(base, key)
        except Exception:  # the schema walk is best effort; the raw message still names the key
            expected, exists = f"key {key!r}", True
        detail = f" ({first_line})" if exists else ""
        raise ConfigError(f"{where}: {expected}{detail}.") from None


_RESOLVER = re.compile(r"\$\{\s*[\w.]+\s*:")


def _refuse_resolvers(node: Any, where: str, prefix: str = "") -> None:
    """Configs may refer to other keys (``${model.size}``) but never call resolvers.

    A resolver (``${oc.env:...}``, or any a library registers) runs code or reads the
    environment when the config is used, which a config file must not be able to trigger.
    """
    if isinstance(node, dict):
        for key, value in node.items():
            _refuse_resolvers(value, where, f"{prefix}{key}.")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _refuse_resolvers(value, where, f"{prefix}{index}.")
    elif isinstance(node, str) and _RESOLVER.search(node):
        raise ConfigError(
            f"{where}: key {prefix.rstrip('.')!r} calls a resolver ({node!r}); configs may "
            "only hold values and ${key} references, never ${resolver:...} calls."
        )


def load(
    arch: ArchSpec,
    path: str | Path | None = None,
    overrides: list[str] | None = None,
    *,
    text: str | None = None,
    source: str = "config",
) -> DictConfig:
    """Merge the schema, a YAML file (or YAML ``text`` from ``source``, e.g. a checkpoint's
    metadata) and dotlist overrides, checking every key and type."""
    from omegaconf import OmegaConf

    cfg = schema(arch)
    where = str(path) if path is not None else source
    if path is not None or text is not None:
        try:
            file_cfg = OmegaConf.load(Path(path)) if path is not None else OmegaConf.create(text)
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist.") from None
        except Exception as exc:  # YAML syntax
            raise ConfigError(f"{where}: not valid YAML: {exc}") from None
        _refuse_resolvers(OmegaConf.to_container(file_cfg, resolve=False), where)
        cfg = _merge(cfg, file_cfg, where)
    if overrides:
        bad = [o for o in overrides if "=" not in o]
        if bad:
            raise ConfigError(f"override {bad[0]!r} must look like 'section.key=value'.")
        for override in overrides:
            dotlist = OmegaConf.from_dotlist([override])
            _refuse_resolvers(
                OmegaConf.to_container(dotlist, resolve=False), f"override {override!r}"
            )
            cfg = _merge(cfg, dotlist, f"override {override!r}")
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise ConfigError(f"{where}: no value for {', '.join(missing)}.")
    return cfg


def to_yaml(cfg: DictConfig) -> str:
    from omegaconf import OmegaConf

    return OmegaConf.to_yaml(cfg, resolve=True)
