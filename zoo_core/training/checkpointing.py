"""The trainer's checkpoints: where they go, writing, pruning, resuming from the newest good one.

A checkpoint (``out_dir/checkpoints/step-N.safetensors``, written atomically by
:mod:`zoo_core.checkpoint`) holds the full training state, so that resuming reproduces an
uninterrupted run bit for bit: the weights, the EMA, optimiser and gradient-scaler states,
every rank's random number generators, the position in the epoch's data order, the loss
history and a subclass's :meth:`~zoo_core.training.GANTrainer.extra_state`.
:func:`save` and :func:`restore` are what :meth:`GANTrainer.save_checkpoint` and
:meth:`GANTrainer.restore` do; :func:`resume` is ``--resume``.
"""

from __future__ import annotations

import logging
import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from zoo_core import checkpoint
from zoo_core.config import to_yaml
from zoo_core.errors import CorruptWeightsError, TrainingError
from zoo_core.training import state as train_state
from zoo_core.training.history import LossHistory

if TYPE_CHECKING:
    from zoo_core.training.distributed import DistContext
    from zoo_core.training.trainer import GANTrainer

CHECKPOINT_DIR = "checkpoints"
CHECKPOINT_PATTERN = re.compile(r"^step-(\d+)\.safetensors$")
#: Periodic checkpoints kept on disk (older ones are deleted); the final one is always kept.
KEEP_CHECKPOINTS = 3

#: Settings that do not change what training computes, so changing them on resume is fine.
_BOOKKEEPING = {"train.steps", "train.log_every", "train.checkpoint_every", "train.num_workers"}

# The trainer's status lines, resuming included, come from one logger (see CHANGELOG).
logger = logging.getLogger("zoo_core.training.trainer")


def checkpoint_path(out_dir: Path, step: int) -> Path:
    return Path(out_dir) / CHECKPOINT_DIR / f"step-{step:08d}.safetensors"


def latest_checkpoint(out_dir: str | Path) -> Path | None:
    """The checkpoint with the highest step in ``out_dir/checkpoints``, if any."""
    folder = Path(out_dir) / CHECKPOINT_DIR
    if not folder.is_dir():
        return None
    found = _numbered(folder)
    return found[-1][1] if found else None


def _numbered(folder: Path) -> list[tuple[int, Path]]:
    """``(step, path)`` of the checkpoints in ``folder``, oldest first."""
    found = [(CHECKPOINT_PATTERN.match(p.name), p) for p in folder.iterdir()]
    return sorted((int(m.group(1)), p) for m, p in found if m)


def prune(out_dir: Path, keep: int = KEEP_CHECKPOINTS) -> None:
    """Delete all but the ``keep`` newest checkpoints."""
    for _, old in _numbered(Path(out_dir) / CHECKPOINT_DIR)[:-keep]:
        old.unlink(missing_ok=True)


def readable_latest_checkpoint(out_dir: Path, dist: DistContext) -> Path | None:
    """The newest checkpoint that reads; newer unreadable ones (cut short by a crash of the
    machine mid-write, say) are renamed ``*.corrupt`` by rank 0, kept for inspection, with a
    warning. Every rank must call it."""
    folder = Path(out_dir) / CHECKPOINT_DIR
    if not folder.is_dir():
        return None
    for _, path in reversed(_numbered(folder)):
        try:
            checkpoint.read_info(path)
        except CorruptWeightsError as exc:
            if dist.is_main:
                aside = path.with_name(path.name + ".corrupt")
                path.replace(aside)
                warnings.warn(
                    f"{exc} Resuming from the previous checkpoint instead; the bad file "
                    f"is kept as {aside.name}.",
                    stacklevel=3,  # GANTrainer.fit
                )
            dist.barrier()
            continue
        return path
    return None


def resume(trainer: GANTrainer) -> None:
    """Continue from the newest good checkpoint in the trainer's ``out_dir``, if there is one."""
    found = readable_latest_checkpoint(trainer.out_dir, trainer.dist)
    if found is not None:
        trainer.restore(found)
    elif trainer.dist.is_main:
        logger.info("No checkpoint in %s: starting from step 0.",
                    trainer.out_dir / CHECKPOINT_DIR)  # fmt: skip


def save(trainer: GANTrainer) -> Path:
    """Write the trainer's full state atomically (rank 0); every rank must call it.

    Weights that went non-finite without a non-finite loss (an infinite gradient, say)
    stop training here, so the checkpoint on disk stays the last good one.
    """
    dist = trainer.dist
    trainer.networks.set_phase(None)
    trainer.networks.sync_buffers(trainer.ema.module if trainer.ema is not None else None)
    _check_weights_finite(trainer)
    rng_tensors, rng_json = train_state.rng_state(trainer.noise)
    all_rng = dist.gather((rng_tensors, rng_json))
    path = checkpoint_path(trainer.out_dir, trainer.step)
    if dist.is_main:
        groups = _model_groups(trainer)
        opt_g, opt_g_json = train_state.optimizer_state(trainer.opt_g)
        opt_d, opt_d_json = train_state.optimizer_state(trainer.opt_d)
        groups["optim_g"], groups["optim_d"] = opt_g, opt_d
        groups["rng"] = {
            f"{rank}.{k}": v
            for rank, (tensors, _) in enumerate(all_rng)
            for k, v in tensors.items()
        }
        ema = trainer.ema
        state = {
            "step": trainer.step,
            "epoch": trainer.epoch,
            "position": trainer._position,
            "batch_size": trainer.batch_size,
            "world_size": dist.world_size,
            "elapsed": trainer._elapsed,
            "optim_g": opt_g_json,
            "optim_d": opt_d_json,
            "scaler_g": train_state.scaler_state(trainer.scaler_g),
            "scaler_d": train_state.scaler_state(trainer.scaler_d),
            "ema_n_averaged": int(ema.n_averaged.item()) if ema is not None else 0,
            "rng": [info for _, info in all_rng],
            "history": trainer.history.rows,
            "extra": trainer.extra_state(),
        }
        checkpoint.write(path, groups, model_id=trainer.model_id,
                         config_yaml=to_yaml(trainer.cfg), state=state)  # fmt: skip
        prune(trainer.out_dir)
    dist.barrier()
    trainer._last_checkpoint = path
    trainer._checkpoint_step = trainer.step
    return path


def restore(trainer: GANTrainer, path: str | Path) -> None:
    """Continue from a checkpoint: weights, EMA, optimisers, RNGs, data position, history."""
    path = Path(path)
    groups, info = checkpoint.read(path)
    if info["model_id"] != trainer.model_id:
        raise TrainingError(
            f"{path} was written for {info['model_id']!r}, not {trainer.model_id!r}; "
            "pass another --out."
        )
    state = info["state"]
    dist = trainer.dist
    _warn_config_changes(trainer, path, info["config"])
    trainer.load_extra_state(state.get("extra", {}))
    trainer.networks.set_phase(None)
    try:
        trainer.model.load_state_dict(groups["model"], strict=True)
    except RuntimeError as exc:
        first_line = str(exc).splitlines()[0]
        raise TrainingError(f"{path} does not fit the model: {first_line}") from None
    train_state.load_optimizer_state(trainer.opt_g, groups.get("optim_g", {}), state["optim_g"])
    train_state.load_optimizer_state(trainer.opt_d, groups.get("optim_d", {}), state["optim_d"])
    trainer.scaler_g.load_state_dict(state["scaler_g"])
    trainer.scaler_d.load_state_dict(state["scaler_d"])
    if trainer.ema is not None:
        ema = {k.removeprefix("generator."): v for k, v in groups.get("ema", {}).items()}
        if ema:
            trainer.ema.module.load_state_dict(ema, strict=True)
            trainer.ema.n_averaged.fill_(int(state.get("ema_n_averaged", 0)))
    rank = dist.rank
    rng = {k.partition(".")[2]: v for k, v in groups.get("rng", {}).items()
           if k.partition(".")[0] == str(rank)}  # fmt: skip
    if rng and state.get("world_size") == dist.world_size:
        train_state.load_rng_state(trainer.noise, rng, state["rng"][rank])
    else:
        warnings.warn(
            f"{path} was written by {state.get('world_size')} process(es), this run has "
            f"{dist.world_size}: random streams are reseeded, so the run continues "
            "correctly but not bit-identically.",
            stacklevel=3,  # the caller of GANTrainer.restore
        )
        train_state.seed_everything(int(trainer.train_cfg.seed) + rank + 7 * int(state["step"]))
    trainer.step = int(state["step"])
    trainer.epoch = int(state["epoch"])
    if int(state.get("batch_size", trainer.batch_size)) != trainer.batch_size:
        trainer.set_batch_size(int(state["batch_size"]))
    trainer._position = int(state["position"])
    trainer._iterator = None
    trainer._elapsed = float(state.get("elapsed", 0.0))
    trainer.history = LossHistory(state.get("history", []))
    trainer._last_checkpoint = path
    trainer._checkpoint_step = trainer.step
    if dist.is_main:
        logger.info("Resumed %s from %s at step %d.", trainer.model_id, path, trainer.step)


def _model_groups(trainer: GANTrainer) -> dict[str, dict[str, torch.Tensor]]:
    groups = {"model": {k: v.detach().cpu() for k, v in trainer.model.state_dict().items()}}
    if trainer.ema is not None:
        ema = trainer.ema.module.state_dict()
        groups["ema"] = {f"generator.{k}": v.detach().cpu() for k, v in ema.items()}
    return groups


def _check_weights_finite(trainer: GANTrainer) -> None:
    bad = [
        name
        for name, tensor in trainer.model.state_dict().items()
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all())
    ]
    if not trainer.dist.any_true(bool(bad), trainer.device):
        return
    where = ", ".join(bad[:4]) or "on another rank"
    kept = trainer._last_checkpoint or "none (no checkpoint had been written yet)"
    raise TrainingError(
        f"step {trainer.step}: the weights hold non-finite values ({where}); nothing was "
        f"saved and the last good checkpoint is {kept}. Lower the learning rates, set "
        "train.grad_clip or set train.precision=fp32, then resume."
    )


def _warn_config_changes(trainer: GANTrainer, path: Path, saved_yaml: str) -> None:
    """Resuming with other settings is allowed (more steps, say) but is not the same run."""
    from omegaconf import OmegaConf

    saved = _flatten(OmegaConf.to_container(OmegaConf.create(saved_yaml)))
    current = _flatten(OmegaConf.to_container(trainer.cfg, resolve=True))
    changed = sorted(k for k in saved.keys() | current.keys()
                     if k not in _BOOKKEEPING and saved.get(k) != current.get(k))  # fmt: skip
    if changed and trainer.dist.is_main:
        warnings.warn(
            f"resuming from {path} with changed settings: {', '.join(changed[:8])}; the "
            "result will differ from an uninterrupted run with the old settings.",
            stacklevel=4,  # the caller of GANTrainer.restore
        )


def _flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for key, value in tree.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): tree}
