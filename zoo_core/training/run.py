"""``zoo.train``: a registered model id + a data path -> a trained checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zoo_core.errors import ZooError


def training_dataset(arch: Any, data_cfg: Any, path: str | Path) -> Any:
    """The architecture's own dataset function if it names one, else the core's readers."""
    if arch.dataset:
        return arch.resolve("dataset")(data_cfg, Path(path))
    try:
        from zoo_core.data import training_dataset as core_dataset
    except ImportError as exc:
        raise ZooError(
            f"zoo_core.data.training_dataset is not available ({exc}); this zoo-core build "
            "cannot read training data for architectures without their own dataset."
        ) from None
    return core_dataset(data_cfg, Path(path))


def trainer_class(arch: Any) -> type:
    from zoo_core.training.trainer import GANTrainer

    if not arch.trainer:
        return GANTrainer
    cls = arch.resolve("trainer")
    if not (isinstance(cls, type) and issubclass(cls, GANTrainer)):
        raise ZooError(
            f"architecture {arch.name!r} (plugin {arch.plugin!r}) names trainer {arch.trainer!r}, "
            "which is not a zoo_core.training.GANTrainer subclass."
        )
    return cls


def train(
    model_id: str,
    data: str | Path,
    overrides: list[str] | None = None,
    out_dir: str | Path | None = None,
    resume: bool = False,
    *,
    device: str | None = None,
    progress: bool = True,
) -> Path:
    """Train a registered model on the data at ``data``; returns the final checkpoint.

    The config is the id's paper config with dotlist ``overrides`` on top. ``out_dir``
    (default ``runs/<model_id>``) receives ``checkpoints/step-N.safetensors``, ``losses.csv``
    and ``losses.png``; ``resume=True`` continues from its latest checkpoint. Run it under
    ``torchrun --nproc_per_node K`` for K processes; only rank 0 writes files. The result is
    what ``zoo push`` publishes.
    """
    from zoo_core.api import build, model_config, model_spec
    from zoo_core.registry import get_registry
    from zoo_core.training import state

    if not Path(data).exists():
        raise ZooError(f"training data {data} does not exist.")
    spec = model_spec(model_id)
    arch = get_registry().architecture(spec.architecture)
    cfg = model_config(model_id, list(overrides or []))
    state.seed_everything(int(cfg.train.seed))  # the same initial weights on every rank
    model = build(spec.architecture, cfg)
    model.model_id = model_id
    dataset = training_dataset(arch, cfg.data, data)
    out_dir = Path(out_dir) if out_dir is not None else Path("runs") / model_id
    trainer = trainer_class(arch)(
        model, cfg, dataset, out_dir, model_id, resume=resume, device=device, progress=progress
    )
    try:
        return trainer.fit()
    finally:
        trainer.dist.close()
