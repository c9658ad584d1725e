"""Everything a plugin may import from the core, in one place.

A plugin imports from here (and uses ``zoo_core`` itself the way a user does: ``zoo.load``,
``zoo.generate``), never from the core's inner modules, so the core can move its rooms around
without breaking a plugin: what is listed in ``__all__`` is kept, or deprecated with notice,
for the life of plugin API 1.x (:data:`PLUGIN_API_VERSION`). ``tests/test_plugin_api.py``
checks that the first-party plugins keep to it.

Importing this module is cheap: the contract (hooks, specs, protocols, errors) is light, and
every name that needs torch is imported on first use, so a plugin's ``__init__`` can import
``hookimpl``, ``ArchSpec`` and ``ModelSpec`` from here without slowing ``zoo list``.

The names, by what they are for:

- the contract: :data:`hookimpl`, :class:`ArchSpec`, :class:`ModelSpec`, the callback
  protocols of :mod:`zoo_core.callbacks`, :class:`GANModel`, :class:`GANTrainer`, the config
  schemas and the errors a plugin raises;
- helpers around the contract: loading and building models, weights and checkpoints,
  generation over volumes, progress reports, optional extras, the ``--device`` option;
- the toolbox the first-party plugins share: network layers, losses (and where VGG-19's
  weights come from), data readers and intensity transforms, the block tiler, the shipped
  example data, metrics, image writers.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from zoo_core.callbacks import (
    DatasetFactory,
    EvaluationProtocol,
    EvaluationReport,
    ExampleDataFactory,
    FeatureExtractorFactory,
    GenerateOptionsFactory,
    LossFactory,
    ModelBuilder,
    TrainerFactory,
)
from zoo_core.errors import (
    ConfigError,
    DataError,
    HubError,
    PluginError,
    TrainingError,
    ZooError,
)
from zoo_core.hookspecs import PLUGIN_API_VERSION, hookimpl
from zoo_core.registry import ArchSpec, ModelSpec, get_registry

#: Public name -> (module, attribute): imported on first use, so no torch at import time.
_LAZY: dict[str, tuple[str, str]] = {
    # the model and training contract
    "GANModel": ("zoo_core.interfaces.model", "GANModel"),
    "Batch": ("zoo_core.interfaces.model", "Batch"),
    "latent": ("zoo_core.interfaces.model", "latent"),
    "GANTrainer": ("zoo_core.training", "GANTrainer"),
    "latest_checkpoint": ("zoo_core.training", "latest_checkpoint"),
    "TrainConfig": ("zoo_core.config", "TrainConfig"),
    "DataConfig": ("zoo_core.config", "DataConfig"),
    "OptimizerConfig": ("zoo_core.config", "OptimizerConfig"),
    "config_to_yaml": ("zoo_core.config", "to_yaml"),
    # models, weights and checkpoints
    "load": ("zoo_core.api", "load"),
    "load_local": ("zoo_core.api", "load_local"),
    "build": ("zoo_core.api", "build"),
    "model_config": ("zoo_core.api", "model_config"),
    "model_spec": ("zoo_core.api", "model_spec"),
    "push": ("zoo_core.api", "push"),
    "CONFIG_FILE": ("zoo_core.api", "CONFIG_FILE"),
    "WEIGHTS_FILE": ("zoo_core.api", "WEIGHTS_FILE"),
    "load_state_dict": ("zoo_core.weights", "load_state_dict"),
    "save_state_dict": ("zoo_core.weights", "save_state_dict"),
    "read_metadata": ("zoo_core.weights", "read_metadata"),
    "CHECKPOINT_FORMAT": ("zoo_core.checkpoint", "FORMAT"),
    # generation, progress, extras, command line
    "infer_slices": ("zoo_core.generation", "infer_slices"),
    "infer_volume": ("zoo_core.generation", "infer_volume"),
    "output_affine": ("zoo_core.generation", "output_affine"),
    "derive_seed": ("zoo_core.generation", "derive_seed"),
    "report_progress": ("zoo_core.generation.progress", "report"),
    "import_optional": ("zoo_core.extras", "import_optional"),
    "device_option": ("zoo_core.cli.options", "device_option"),
    # layers
    "ConvCritic": ("zoo_core.layers", "ConvCritic"),
    "ConvEncoder": ("zoo_core.layers", "ConvEncoder"),
    "ConvGenerator": ("zoo_core.layers", "ConvGenerator"),
    "ImagePool": ("zoo_core.layers", "ImagePool"),
    "PatchGANDiscriminator": ("zoo_core.layers", "PatchGANDiscriminator"),
    "ResnetBlock": ("zoo_core.layers", "ResnetBlock"),
    "ResnetGenerator": ("zoo_core.layers", "ResnetGenerator"),
    "down_block": ("zoo_core.layers", "down_block"),
    "init_normal": ("zoo_core.layers", "init_normal"),
    "make_norm": ("zoo_core.layers", "make_norm"),
    "up_block": ("zoo_core.layers", "up_block"),
    # losses
    "GradientPenalty": ("zoo_core.losses", "GradientPenalty"),
    "TotalVariation": ("zoo_core.losses", "TotalVariation"),
    "InceptionFeatures": ("zoo_core.losses", "InceptionFeatures"),
    "VGGFeatures": ("zoo_core.losses", "VGGFeatures"),
    "WassersteinLoss": ("zoo_core.losses", "WassersteinLoss"),
    "gram_matrix": ("zoo_core.losses", "gram_matrix"),
    "VGG_WEIGHTS_ENV": ("zoo_core.losses.perceptual", "WEIGHTS_ENV"),
    "resolve_vgg_weights": ("zoo_core.losses.perceptual", "resolve_vgg_weights"),
    # data
    "CTWindow": ("zoo_core.data", "CTWindow"),
    "MRNormalize": ("zoo_core.data", "MRNormalize"),
    "IntensityTransform": ("zoo_core.data", "IntensityTransform"),
    "intensity_transform": ("zoo_core.data", "intensity_transform"),
    "fit_to_size": ("zoo_core.data", "fit_to_size"),
    "gray_to_index": ("zoo_core.data", "gray_to_index"),
    "list_images": ("zoo_core.data", "list_images"),
    "read_image": ("zoo_core.data", "read_image"),
    "strip_suffix": ("zoo_core.data.readers", "strip_suffix"),
    "block_grid": ("zoo_core.data", "block_grid"),
    "crop": ("zoo_core.data", "crop"),
    "tile_blocks": ("zoo_core.data", "tile_blocks"),
    "volume_slices": ("zoo_core.data.slices", "volume_slices"),
    "augmentation": ("zoo_core.data.datasets", "augmentation"),
    "LevelSlices": ("zoo_core.data.slices", "LevelSlices"),
    "MNI152_KINDS": ("zoo_core.data.shipped", "MNI152_KINDS"),
    "copy_shipped": ("zoo_core.data.shipped", "copy_shipped"),
    "head_ct_path": ("zoo_core.data.shipped", "head_ct_path"),
    "load_head_ct": ("zoo_core.data.shipped", "load_head_ct"),
    "load_mni152": ("zoo_core.data.shipped", "load_mni152"),
    "load_volume": ("zoo_core.data.shipped", "load_volume"),
    "in_chunks": ("zoo_core.generation.chunks", "in_chunks"),
    "items_per_chunk": ("zoo_core.generation.chunks", "items_per_chunk"),
    "mni152_slabs": ("zoo_core.data.shipped", "mni152_slabs"),
    "mni152_split_index": ("zoo_core.data.shipped", "mni152_split_index"),
    "load_retina": ("zoo_core.data.shipped", "load_retina"),
    "save_volume": ("zoo_core.data.shipped", "save_volume"),
    "write_mni152": ("zoo_core.data.shipped", "write_mni152"),
    # metrics
    "evaluate": ("zoo_core.metrics", "evaluate"),
    "write_report": ("zoo_core.metrics", "write_report"),
    "psnr": ("zoo_core.metrics.image", "psnr"),
    "ssim": ("zoo_core.metrics.image", "ssim"),
    "masked_psnr": ("zoo_core.metrics.image", "masked_psnr"),
    "per_scan": ("zoo_core.metrics.image", "per_scan"),
    "high_frequency_ratio": ("zoo_core.metrics.image", "high_frequency_ratio"),
    "held_out_distribution": ("zoo_core.metrics.held_out", "held_out_distribution"),
    "code_agreement": ("zoo_core.metrics.class_fidelity", "code_agreement"),
    "labelled_images": ("zoo_core.metrics.class_fidelity", "labelled_images"),
    "split_parts": ("zoo_core.metrics.held_out", "split_parts"),
    "split_folder": ("zoo_core.metrics.held_out", "split_folder"),
    "held_out_markdown": ("zoo_core.metrics.held_out", "markdown"),
    "held_out_report": ("zoo_core.metrics.held_out", "held_out_report"),
    "held_out_sets": ("zoo_core.metrics.held_out", "held_out_sets"),
    "memorisation": ("zoo_core.metrics.memorisation", "memorisation"),
    "from_unit": ("zoo_core.metrics.sets", "from_unit"),
    "to_unit": ("zoo_core.metrics.sets", "to_unit"),
    "training_set": ("zoo_core.metrics.sets", "training_set"),
    # image writers
    "save_montage": ("zoo_core.io.montage", "save_montage"),
    "save_png": ("zoo_core.io.png", "save_png"),
}

#: Kept in step with _LAZY and the eager imports above (tests/test_plugin_api.py checks it).
__all__ = [
    "CHECKPOINT_FORMAT",
    "CONFIG_FILE",
    "MNI152_KINDS",
    "PLUGIN_API_VERSION",
    "VGG_WEIGHTS_ENV",
    "WEIGHTS_FILE",
    "ArchSpec",
    "Batch",
    "CTWindow",
    "ConfigError",
    "ConvCritic",
    "ConvEncoder",
    "ConvGenerator",
    "DataConfig",
    "DataError",
    "DatasetFactory",
    "EvaluationProtocol",
    "EvaluationReport",
    "ExampleDataFactory",
    "FeatureExtractorFactory",
    "GANModel",
    "GANTrainer",
    "GenerateOptionsFactory",
    "GradientPenalty",
    "HubError",
    "ImagePool",
    "InceptionFeatures",
    "IntensityTransform",
    "LevelSlices",
    "LossFactory",
    "MRNormalize",
    "ModelBuilder",
    "ModelSpec",
    "OptimizerConfig",
    "PatchGANDiscriminator",
    "PluginError",
    "ResnetBlock",
    "ResnetGenerator",
    "TotalVariation",
    "TrainConfig",
    "TrainerFactory",
    "TrainingError",
    "VGGFeatures",
    "WassersteinLoss",
    "ZooError",
    "augmentation",
    "block_grid",
    "build",
    "code_agreement",
    "config_to_yaml",
    "copy_shipped",
    "crop",
    "derive_seed",
    "device_option",
    "down_block",
    "evaluate",
    "fit_to_size",
    "from_unit",
    "get_registry",
    "gram_matrix",
    "gray_to_index",
    "head_ct_path",
    "held_out_distribution",
    "held_out_markdown",
    "held_out_report",
    "held_out_sets",
    "high_frequency_ratio",
    "hookimpl",
    "import_optional",
    "in_chunks",
    "infer_slices",
    "infer_volume",
    "init_normal",
    "intensity_transform",
    "items_per_chunk",
    "labelled_images",
    "latent",
    "latest_checkpoint",
    "list_images",
    "load",
    "load_head_ct",
    "load_local",
    "load_mni152",
    "load_retina",
    "load_state_dict",
    "load_volume",
    "make_norm",
    "masked_psnr",
    "memorisation",
    "mni152_slabs",
    "mni152_split_index",
    "model_config",
    "model_spec",
    "output_affine",
    "per_scan",
    "psnr",
    "push",
    "read_image",
    "read_metadata",
    "report_progress",
    "resolve_vgg_weights",
    "save_montage",
    "save_png",
    "save_state_dict",
    "save_volume",
    "split_folder",
    "split_parts",
    "ssim",
    "strip_suffix",
    "tile_blocks",
    "to_unit",
    "training_set",
    "up_block",
    "volume_slices",
    "write_mni152",
    "write_report",
]

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ imports these
    from zoo_core.api import (
        CONFIG_FILE,
        WEIGHTS_FILE,
        build,
        load,
        load_local,
        model_config,
        model_spec,
        push,
    )
    from zoo_core.checkpoint import FORMAT as CHECKPOINT_FORMAT
    from zoo_core.cli.options import device_option
    from zoo_core.config import DataConfig, OptimizerConfig, TrainConfig
    from zoo_core.config import to_yaml as config_to_yaml
    from zoo_core.data import (
        CTWindow,
        IntensityTransform,
        MRNormalize,
        block_grid,
        crop,
        fit_to_size,
        gray_to_index,
        intensity_transform,
        list_images,
        read_image,
        tile_blocks,
    )
    from zoo_core.data.datasets import augmentation
    from zoo_core.data.readers import strip_suffix
    from zoo_core.data.shipped import (
        MNI152_KINDS,
        copy_shipped,
        head_ct_path,
        load_head_ct,
        load_mni152,
        load_retina,
        load_volume,
        mni152_slabs,
        mni152_split_index,
        save_volume,
        write_mni152,
    )
    from zoo_core.data.slices import LevelSlices, volume_slices
    from zoo_core.extras import import_optional
    from zoo_core.generation import derive_seed, infer_slices, infer_volume, output_affine
    from zoo_core.generation.chunks import in_chunks, items_per_chunk
    from zoo_core.generation.progress import report as report_progress
    from zoo_core.interfaces.model import Batch, GANModel, latent
    from zoo_core.io.montage import save_montage
    from zoo_core.io.png import save_png
    from zoo_core.layers import (
        ConvCritic,
        ConvEncoder,
        ConvGenerator,
        ImagePool,
        PatchGANDiscriminator,
        ResnetBlock,
        ResnetGenerator,
        down_block,
        init_normal,
        make_norm,
        up_block,
    )
    from zoo_core.losses import (
        GradientPenalty,
        InceptionFeatures,
        TotalVariation,
        VGGFeatures,
        WassersteinLoss,
        gram_matrix,
    )
    from zoo_core.losses.perceptual import WEIGHTS_ENV as VGG_WEIGHTS_ENV
    from zoo_core.losses.perceptual import resolve_vgg_weights
    from zoo_core.metrics import evaluate, write_report
    from zoo_core.metrics.class_fidelity import code_agreement, labelled_images
    from zoo_core.metrics.held_out import (
        held_out_distribution,
        held_out_report,
        held_out_sets,
        split_folder,
        split_parts,
    )
    from zoo_core.metrics.held_out import markdown as held_out_markdown
    from zoo_core.metrics.image import high_frequency_ratio, masked_psnr, per_scan, psnr, ssim
    from zoo_core.metrics.memorisation import memorisation
    from zoo_core.metrics.sets import from_unit, to_unit, training_set
    from zoo_core.training import GANTrainer, latest_checkpoint
    from zoo_core.weights import load_state_dict, read_metadata, save_state_dict


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'zoo_core.plugin_api' has no attribute {name!r}")
    module, attribute = target
    # Looked up afresh each time (not cached here), so the name is always the core's current
    # object: a test that monkeypatches zoo_core.api.load patches it for plugins too.
    return getattr(import_module(module), attribute)


def __dir__() -> list[str]:
    return sorted(__all__)
