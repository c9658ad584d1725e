"""The GAN training loop every architecture shares, with hooks for the ones that differ.

One generator update (a *step*) is ``n_critic`` discriminator updates followed by one
generator update on the last discriminator batch. Architectures change the loop by
overriding :meth:`GANTrainer.on_step_start`, :meth:`GANTrainer.discriminator_loss`,
:meth:`GANTrainer.generator_loss` and the JSON state hooks; everything else (optimisers,
mixed precision, EMA, clipping, NaN detection, checkpoints, resuming, DDP) is done here once.

Resuming reproduces an uninterrupted run bit for bit: checkpoints hold the weights, the EMA,
optimiser and gradient-scaler states, every random number generator and the position in the
epoch's (seeded) data order; every sample's random choices are made under a seed of its own
(:mod:`zoo_core.training.data`), so neither workers nor resuming change them.
"""

from __future__ import annotations

import logging
import math
import re
import signal
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.utils.data import DataLoader, Dataset

from zoo_core import checkpoint
from zoo_core import precision as precision_
from zoo_core.config import to_yaml
from zoo_core.devices import parse_device
from zoo_core.errors import ConfigError, CorruptWeightsError, DataError, TrainingError, ZooError
from zoo_core.interfaces.model import Batch, GANModel
from zoo_core.registry import get_registry
from zoo_core.training import state as train_state
from zoo_core.training.data import SeededItems, epoch_keys
from zoo_core.training.distributed import DistContext
from zoo_core.training.history import LossHistory
from zoo_core.training.optim import apply_lr_factor, build_optimizer, lr_factor
from zoo_core.training.progress_bar import ProgressBar, stderr_is_terminal

CHECKPOINT_DIR = "checkpoints"
CHECKPOINT_PATTERN = re.compile(r"^step-(\d+)\.safetensors$")
#: Periodic checkpoints kept on disk (older ones are deleted); the final one is always kept.
KEEP_CHECKPOINTS = 3
#: The loss history, appended to every ``train.log_every`` steps (see LossHistory.append_csv).
LOSSES_CSV = "losses.csv"

logger = logging.getLogger(__name__)


class TrainingInterrupted(TrainingError):
    """Ctrl-C (or a KeyboardInterrupt from a hook): the state was saved before stopping."""

    def __init__(self, step: int, path: Path | None):
        self.step = step
        self.path = path
        where = f"saved to {path}" if path else "not saved"
        super().__init__(
            f"training interrupted at step {step}; checkpoint {where}. "
            "Continue with --resume (zoo.train(..., resume=True))."
        )


#: Settings that do not change what training computes, so changing them on resume is fine.
_BOOKKEEPING = {"train.steps", "train.log_every", "train.checkpoint_every", "train.num_workers"}


class _PhaseDDP(DistributedDataParallel):
    """DDP that records whether its forward ran and lends out its module's attributes.

    Trainers of multi-network architectures call sub-networks directly
    (``model.discriminator.b(x)``); that bypasses DDP's forward, so DDP would not reduce the
    gradients. The trainer then averages them itself (``forward_used`` is False).
    """

    forward_used = False

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if torch.is_grad_enabled():
            self.forward_used = True
        return super().forward(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name == "module":
                raise
            return getattr(self.module, name)


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


class GANTrainer:
    """Trains a :class:`GANModel` on a dataset of ``{"target": Tensor, ...}`` items.

    ``cfg`` is the full run config (``model``, ``train``, ``data``). ``cfg.train.batch_size``
    is the global batch: with ``torchrun`` each of the ``WORLD_SIZE`` processes takes an equal
    share, so a paper's batch size means the same thing on 1 or 8 GPUs.
    """

    def __init__(
        self,
        model: GANModel,
        cfg: Any,
        dataset: Dataset,
        out_dir: str | Path,
        model_id: str,
        *,
        resume: bool = False,
        device: str | torch.device | None = None,
        progress: bool = True,
    ):
        self.cfg = cfg
        self.train_cfg = cfg.train
        self.dataset = dataset
        self.out_dir = Path(out_dir)
        self.model_id = model_id
        self.progress = progress
        self.dist = DistContext.from_env()
        self.device = parse_device(device) if device is not None else self.dist.default_device()
        if self.dist.enabled and self.device.type == "cuda" and self.device.index is None:
            self.device = torch.device("cuda", self.dist.local_rank)
        self.dist.init(self.device)

        seed = int(self.train_cfg.seed)
        train_state.seed_everything(seed + self.dist.rank)
        self._determinism_before = _determinism()
        if self.train_cfg.deterministic:
            _deterministic_mode()
        #: Noise for fake batches, the penalty's interpolation etc.; saved in checkpoints.
        self.noise = torch.Generator(device=self.device)
        self.noise.manual_seed(seed * 1_000_003 + 17 + self.dist.rank)

        self.model = model.to(self.device)
        if self.train_cfg.get("channels_last", False):
            precision_.to_channels_last(self.model)
        self.model.train()
        self.step = 0
        self.epoch = 0
        self._position = 0  # dataset indices this rank consumed in the current epoch
        self._iterator: Iterator | None = None
        self.batch_size = 0
        self.set_batch_size(int(self.train_cfg.batch_size))
        if self.train_cfg.get("epochs"):
            self.train_cfg.steps = self._steps_for_epochs(int(self.train_cfg.epochs))
        self._lr_factor(0)  # a bad schedule is named before any data is read
        self.history = LossHistory()
        self._last_checkpoint: Path | None = None
        self._checkpoint_step = -1
        self._elapsed = 0.0
        self._stop_requested = False

        self.amp_dtype = self._amp_dtype()
        scaling = self.amp_dtype == torch.float16
        self.scaler_d = torch.amp.GradScaler(self.device.type, enabled=scaling)
        self.scaler_g = torch.amp.GradScaler(self.device.type, enabled=scaling)

        self.adversarial, self.gradient_penalty = self._adversarial_loss()
        self.terms = self._loss_terms()
        self._plain = {"generator": self.model.generator, "discriminator": self.model.discriminator}
        self._ddp: dict[str, nn.Module] = {}
        self.ema: AveragedModel | None = None
        self.opt_g: torch.optim.Optimizer
        self.opt_d: torch.optim.Optimizer
        self.rebuild_optimizers()
        self._resume = bool(resume)

    # -- hooks a subclass overrides -----------------------------------------------------------

    def on_step_start(self) -> None:
        """Called before each step's discriminator and generator updates."""

    def discriminator_loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        """Adversarial loss on real vs. detached fake (+ gradient penalty, + auxiliary loss)."""
        model = self.model
        with torch.no_grad():
            fake = model.fake_batch(batch, generator=self.noise)
        fake = fake.detach()
        real = batch["target"]
        loss = self.adversarial.d_loss(model.critic(real, batch), model.critic(fake, batch))
        logs = {"d_adv": _num(loss)}
        if self.gradient_penalty is not None:
            gp = self.gradient_penalty(model.critic, real, fake, batch, generator=self.noise)
            loss = loss + float(self.train_cfg.gp_weight) * gp
            logs["gp"] = _num(gp)
        aux = model.auxiliary_loss(batch, fake)
        if aux.requires_grad or aux.detach().abs().sum() > 0:
            loss = loss + aux
            logs["d_aux"] = _num(aux)
        return loss, logs

    def generator_loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        """Adversarial loss + weighted terms from ``train.loss_weights`` + auxiliary loss.

        A batch's ``voxel_weight`` (from the dataset) weights the pixel-wise terms that take
        one (``accepts_weight``): l1 and l2.
        """
        model = self.model
        fake = model.fake_batch(batch, generator=self.noise)
        adversarial = self.adversarial.g_loss(model.critic(fake, batch))
        logs = {"g_adv": _num(adversarial)}
        loss = float(self.train_cfg.get("adversarial_weight", 1.0)) * adversarial
        voxel_weight = batch.get("voxel_weight")
        for name, (weight, term) in self.terms.items():
            inputs = self.term_inputs(name, term, fake, batch)
            if voxel_weight is not None and getattr(term, "accepts_weight", False):
                value = term(*inputs, weight=voxel_weight)
            else:
                value = term(*inputs)
            loss = loss + weight * value
            logs[name] = _num(value)
        aux = model.auxiliary_loss(batch, fake)
        if aux.requires_grad or aux.detach().abs().sum() > 0:
            loss = loss + aux
            logs["g_aux"] = _num(aux)
        return loss, logs

    def term_inputs(self, name: str, term: Any, fake: torch.Tensor, batch: Batch) -> tuple:
        """What a weighted loss term is called with: ``(fake, target)`` by default.

        A trainer whose terms compare other tensors (CycleGAN's reconstructions for ``cycle``)
        overrides this.
        """
        return fake, batch["target"]

    def extra_state(self) -> dict[str, Any]:
        """JSON-able state of a subclass (e.g. the progressive stage), saved in checkpoints.

        A ``"card_notes"`` list of sentences (e.g. "trained with a random VGG-19") is added to
        the model card's limitations when ``zoo push`` publishes the checkpoint.
        """
        return {}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`extra_state`; called first on resume, before weights are loaded, so
        a subclass can grow its networks to the checkpoint's shape (and rebuild optimisers)."""

    # -- helpers for subclasses --------------------------------------------------------------

    def set_batch_size(self, n: int) -> None:
        """Change the global batch size; the data order continues where it was."""
        n = int(n)
        if n < 1 or n % self.dist.world_size:
            raise ConfigError(
                f"train.batch_size={n} must be a positive multiple of the {self.dist.world_size} "
                "processes (each takes an equal share)."
            )
        self.batch_size = n
        self.local_batch_size = n // self.dist.world_size
        self._iterator = None

    def _steps_for_epochs(self, epochs: int) -> int:
        """``train.epochs`` as generator steps: each step consumes ``n_critic`` batches."""
        per_step = self.batch_size * max(1, int(self.train_cfg.n_critic))
        if epochs < 1 or len(self.dataset) < per_step:
            raise ConfigError(
                f"train.epochs={epochs}: needs epochs >= 1 and at least one step's worth of "
                f"data ({per_step} samples; the data have {len(self.dataset)})."
            )
        return epochs * (len(self.dataset) // per_step)

    def _lr_factor(self, step: int) -> float:
        t = self.train_cfg
        return lr_factor(str(t.lr_schedule), step, int(t.lr_decay_start), int(t.steps),
                         float(t.lr_decay_factor))  # fmt: skip

    def rebuild_optimizers(self) -> None:
        """(Re)create optimisers, DDP wrappers and the EMA for the current networks.

        Call it after adding layers (progressive growing); EMA entries of existing weights are
        kept, optimiser moments start afresh.
        """
        self._set_phase(None)
        self._plain = {"generator": self.model.generator, "discriminator": self.model.discriminator}
        # Frozen parameters (requires_grad=False, e.g. a fixed feature network) stay frozen:
        # they are neither optimised, clipped nor switched on by the phase changes.
        self._g_params = _unique(self.model.generator_parameters())
        self._d_params = _unique(self.model.discriminator_parameters())
        train = self.train_cfg
        self.opt_g = build_optimizer(self._g_params, train.optimizer_g, "train.optimizer_g")
        self.opt_d = build_optimizer(self._d_params, train.optimizer_d, "train.optimizer_d")
        self._wrap_ddp()
        self._build_ema()

    # -- the loop ------------------------------------------------------------------------------

    def fit(self) -> Path:
        """Train to ``train.steps`` and return the final checkpoint's path."""
        if self._resume:
            self._resume = False
            found = self._readable_latest_checkpoint()
            if found is not None:
                self.restore(found)
            elif self.dist.is_main:
                logger.info("No checkpoint in %s: starting from step 0.",
                            self.out_dir / CHECKPOINT_DIR)  # fmt: skip
        total = int(self.train_cfg.steps)
        # A bar only where someone watches it; batch jobs and pipes get a line per log step.
        show_bar = self.progress and self.dist.is_main and stderr_is_terminal()
        bar = ProgressBar(total, self.step, self.model_id, show_bar)
        restore_sigint = self._install_sigint()
        started = time.perf_counter() - self._elapsed
        try:
            while self.step < total:
                if self.dist.any_true(self._stop_requested, self.device):
                    raise KeyboardInterrupt
                logs = self._train_step()
                self._elapsed = time.perf_counter() - started
                log_now = self.step % max(1, int(self.train_cfg.log_every)) == 0
                if log_now or self.step == total:
                    logs = self.dist.mean(logs, self.device)
                    self.history.add(self.step, {**logs, "seconds": self._elapsed})
                    self._log_step(total, logs, quiet=show_bar)
                bar.update(self.step, {k: logs[k] for k in ("d_loss", "g_loss")})
                every = int(self.train_cfg.checkpoint_every)
                if (every > 0 and self.step % every == 0) or self.step == total:
                    self.save_checkpoint()
        except KeyboardInterrupt:
            self._set_phase(None)
            path = self.save_checkpoint()
            self._write_history()
            raise TrainingInterrupted(self.step, path) from None
        except TrainingError:
            self._write_history()
            raise
        finally:
            bar.close()
            restore_sigint()
            self._set_phase(None)
            _restore_determinism(self._determinism_before)
        if self._last_checkpoint is None or self._checkpoint_step != self.step:
            self.save_checkpoint()  # resumed at the end: keep returning the final checkpoint
        self._write_history()
        return checkpoint_path(self.out_dir, self.step)

    def _log_step(self, total: int, logs: dict[str, float], quiet: bool) -> None:
        """Append the step's row to losses.csv (rank 0) and, unless a progress bar shows
        them, log the step, its losses and the seconds so far."""
        if not self.dist.is_main:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.history.append_csv(self.out_dir / LOSSES_CSV)
        if not quiet:
            losses = " ".join(f"{k}={v:.4g}" for k, v in logs.items())
            logger.info("%s step %d/%d %s %.1fs", self.model_id, self.step, total, losses,
                        self._elapsed)  # fmt: skip

    def _train_step(self) -> dict[str, float]:
        self.on_step_start()
        if self.train_cfg.lr_schedule != "constant":
            for optimizer in (self.opt_g, self.opt_d):
                apply_lr_factor(optimizer, self._lr_factor(self.step), float(self.train_cfg.lr_min))
        n_critic = max(1, int(self.train_cfg.n_critic))
        self._set_phase("discriminator")
        for _ in range(n_critic):
            batch = self._next_batch()
            with self._autocast():
                loss_d, logs_d = self.discriminator_loss(batch)
            self._check_finite("discriminator", loss_d, logs_d)
            self._update(loss_d, self.opt_d, self.scaler_d, self._d_params, "discriminator")
            clip = self.train_cfg.weight_clip
            if clip is not None:
                with torch.no_grad():
                    for p in self._d_params:
                        p.clamp_(-float(clip), float(clip))
        self._set_phase("generator")
        with self._autocast():
            loss_g, logs_g = self.generator_loss(batch)
        self._check_finite("generator", loss_g, logs_g)
        self._update(loss_g, self.opt_g, self.scaler_g, self._g_params, "generator")
        if self.ema is not None:
            self.ema.update_parameters(self._plain["generator"])
        self._set_phase(None)
        self.step += 1
        return {"d_loss": _num(loss_d), "g_loss": _num(loss_g), **logs_d, **logs_g}

    def _update(self, loss, opt, scaler, params, network: str) -> None:
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        self.dist.all_reduce_grads(self._params_ddp_missed(network, params))
        if self.train_cfg.grad_clip is not None:
            scaler.unscale_(opt)
            torch.nn.utils.clip_grad_norm_(params, float(self.train_cfg.grad_clip))
        scaler.step(opt)
        scaler.update()

    def _check_finite(self, which: str, loss: torch.Tensor, logs: dict[str, float]) -> None:
        bad = not bool(torch.isfinite(loss.detach()).all())
        if not self.dist.any_true(bad, self.device):
            return
        value = _num(loss)
        culprits = [k for k, v in logs.items() if not math.isfinite(v)]
        terms = f" (non-finite terms: {', '.join(culprits)})" if culprits else ""
        kept = (
            f"the last good checkpoint, {self._last_checkpoint}, is kept"
            if self._last_checkpoint
            else "no checkpoint had been written yet"
        )
        raise TrainingError(
            f"step {self.step + 1}: the {which} loss is {value}{terms}; training stopped and "
            f"{kept}. Lower the learning rate (train.optimizer_{which[0]}.lr), set "
            "train.grad_clip, or set train.precision=fp32, then resume."
        )

    def _check_weights_finite(self) -> None:
        bad = [
            name
            for name, tensor in self.model.state_dict().items()
            if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all())
        ]
        if not self.dist.any_true(bool(bad), self.device):
            return
        where = ", ".join(bad[:4]) or "on another rank"
        kept = self._last_checkpoint or "none (no checkpoint had been written yet)"
        raise TrainingError(
            f"step {self.step}: the weights hold non-finite values ({where}); nothing was "
            f"saved and the last good checkpoint is {kept}. Lower the learning rates, set "
            "train.grad_clip or set train.precision=fp32, then resume."
        )

    # -- data ----------------------------------------------------------------------------------

    def _loader(self) -> DataLoader:
        """This epoch's batches from the current position: the order depends on (seed, epoch)."""
        if len(self.dataset) < self.batch_size:
            raise DataError(
                f"the training data has {len(self.dataset)} samples, fewer than one batch "
                f"(train.batch_size={self.batch_size}); add data or lower the batch size."
            )
        keys = epoch_keys(self.dataset, int(self.train_cfg.seed), self.epoch, self.dist.rank,
                          self.dist.world_size, self._position)  # fmt: skip
        return DataLoader(
            SeededItems(self.dataset),
            batch_size=self.local_batch_size,
            sampler=keys,
            drop_last=True,
            num_workers=int(self.train_cfg.num_workers),
            # workers draw their base seed from here, not from the global RNG
            generator=torch.Generator().manual_seed(int(self.train_cfg.seed)),
            pin_memory=self.device.type == "cuda",
        )

    def _next_batch(self) -> Batch:
        for _ in range(2):
            if self._iterator is None:
                self._iterator = iter(self._loader())
            try:
                raw = next(self._iterator)
                break
            except StopIteration:
                self.epoch += 1
                self._position = 0
                self._iterator = None
        else:  # pragma: no cover - _loader checks the size
            raise DataError("the data loader yields no batch")
        self._position += self.local_batch_size
        if not isinstance(raw, dict) or "target" not in raw:
            keys = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
            raise DataError(f"dataset items must be dicts with a 'target' tensor, got {keys}")
        return self.model.prepare_batch(raw, generator=self.noise)

    # -- networks, DDP, EMA, precision ----------------------------------------------------------

    def _wrap_ddp(self) -> None:
        self._ddp = {}
        if not self.dist.enabled:
            return
        device_ids = [self.device.index] if self.device.type == "cuda" else None
        for name, module in self._plain.items():
            if any(p.requires_grad for p in module.parameters()):
                self._ddp[name] = _PhaseDDP(
                    module,
                    device_ids=device_ids,
                    # progressive growing, fade-ins and auxiliary heads leave parameters unused
                    find_unused_parameters=True,
                    broadcast_buffers=True,  # BatchNorm statistics follow rank 0
                )

    def _set_phase(self, phase: str | None) -> None:
        """Route the network being updated through its DDP wrapper, the other one plainly.

        The frozen network runs as a plain module (and without parameter gradients) so that
        DDP never waits for gradients that its phase does not produce.
        """
        if not hasattr(self, "_plain"):
            return
        for p in getattr(self, "_paused", []):  # switch back on only what this switched off
            p.requires_grad_(True)
        self._paused: list[nn.Parameter] = []
        if phase == "generator":
            generator_ids = {id(p) for p in self._g_params}
            self._paused = [p for p in self._d_params if id(p) not in generator_ids]
            for p in self._paused:
                p.requires_grad_(False)
        for name, module in self._plain.items():
            wrapped = self._ddp.get(name) if phase == name else None
            setattr(self.model, name, wrapped or module)

    def _params_ddp_missed(self, network: str, params: list[nn.Parameter]) -> list[nn.Parameter]:
        """The optimiser's parameters whose gradients DDP did not average in this backward:
        all of them when the wrapper's forward was bypassed, else those outside the wrapper."""
        if not self.dist.enabled:
            return []
        wrapper = self._ddp.get(network)
        if wrapper is None or not wrapper.forward_used:
            return params
        wrapper.forward_used = False
        covered = {id(p) for p in self._plain[network].parameters()}
        return [p for p in params if id(p) not in covered]

    def _build_ema(self) -> None:
        decay = self.train_cfg.ema_decay
        if decay is None:
            self.ema = None
            return
        if not 0.0 < float(decay) < 1.0:
            raise ConfigError(f"train.ema_decay={decay} must lie strictly between 0 and 1.")
        old = self.ema.module.state_dict() if self.ema is not None else {}
        self.ema = AveragedModel(
            self._plain["generator"],
            multi_avg_fn=get_ema_multi_avg_fn(float(decay)),
            use_buffers=True,
        )
        if old:
            current = self.ema.module.state_dict()
            keep = {k: v for k, v in old.items() if k in current and current[k].shape == v.shape}
            self.ema.module.load_state_dict(keep, strict=False)

    def _amp_dtype(self) -> torch.dtype | None:
        precision = str(self.train_cfg.get("precision", "fp32"))
        if self.train_cfg.amp and precision == "fp32":
            precision = "auto"  # the deprecated switch
        try:
            return precision_.resolve(precision, self.device)
        except ConfigError as exc:
            raise ConfigError(f"train.precision: {exc}") from None

    def _autocast(self):
        return precision_.autocast(self.device, self.amp_dtype)

    def _adversarial_loss(self):
        name = str(self.train_cfg.adversarial)
        base = "wgan" if name == "wgan-gp" else name
        registry = get_registry()
        try:
            loss = registry.loss(base)()
        except ZooError as exc:
            raise ConfigError(f"train.adversarial: {exc}") from None
        if not (hasattr(loss, "d_loss") and hasattr(loss, "g_loss")):
            raise ConfigError(f"train.adversarial: {name!r} is a loss term, not adversarial.")
        penalty = registry.loss("gradient_penalty")() if name == "wgan-gp" else None
        return loss, penalty

    def _loss_terms(self) -> dict[str, tuple[float, Any]]:
        options = self.train_cfg.get("loss_options", None) or {}
        terms = {}
        for name, weight in dict(self.train_cfg.loss_weights).items():
            if float(weight) == 0:
                continue
            try:
                factory = get_registry().loss(name)
            except ZooError as exc:
                raise ConfigError(f"train.loss_weights.{name}: {exc}") from None
            try:
                term = factory(**_plain_options(options.get(name)))
            except (TypeError, ValueError, ZooError) as exc:
                raise ConfigError(f"train.loss_options.{name}: {exc}") from None
            if getattr(term, "needs_reconstruction", False) and (
                type(self).term_inputs is GANTrainer.term_inputs
            ):
                raise ConfigError(
                    f"train.loss_weights.{name}: the {name!r} loss compares reconstructions, "
                    "which the default trainer does not make; use a trainer that overrides "
                    "term_inputs (e.g. a CycleGAN architecture's)."
                )
            terms[name] = (float(weight), term)
        return terms

    # -- checkpoints -------------------------------------------------------------------------

    def _sync_buffers(self) -> None:
        """Rank 0's buffers (BatchNorm statistics) everywhere, so every rank holds one model."""
        if self.dist.enabled:
            self.dist.broadcast_(list(self.model.buffers()))
            if self.ema is not None:
                self.dist.broadcast_(list(self.ema.module.buffers()))

    def _model_groups(self) -> dict[str, dict[str, torch.Tensor]]:
        groups = {"model": {k: v.detach().cpu() for k, v in self.model.state_dict().items()}}
        if self.ema is not None:
            ema = self.ema.module.state_dict()
            groups["ema"] = {f"generator.{k}": v.detach().cpu() for k, v in ema.items()}
        return groups

    def save_checkpoint(self) -> Path | None:
        """Write the full training state atomically (rank 0); every rank must call it.

        Weights that went non-finite without a non-finite loss (an infinite gradient, say)
        stop training here, so the checkpoint on disk stays the last good one.
        """
        self._set_phase(None)
        self._sync_buffers()
        self._check_weights_finite()
        rng_tensors, rng_json = train_state.rng_state(self.noise)
        all_rng = self.dist.gather((rng_tensors, rng_json))
        path = checkpoint_path(self.out_dir, self.step)
        if self.dist.is_main:
            groups = self._model_groups()
            opt_g, opt_g_json = train_state.optimizer_state(self.opt_g)
            opt_d, opt_d_json = train_state.optimizer_state(self.opt_d)
            groups["optim_g"], groups["optim_d"] = opt_g, opt_d
            groups["rng"] = {
                f"{rank}.{k}": v
                for rank, (tensors, _) in enumerate(all_rng)
                for k, v in tensors.items()
            }
            state = {
                "step": self.step,
                "epoch": self.epoch,
                "position": self._position,
                "batch_size": self.batch_size,
                "world_size": self.dist.world_size,
                "elapsed": self._elapsed,
                "optim_g": opt_g_json,
                "optim_d": opt_d_json,
                "scaler_g": train_state.scaler_state(self.scaler_g),
                "scaler_d": train_state.scaler_state(self.scaler_d),
                "ema_n_averaged": int(self.ema.n_averaged.item()) if self.ema is not None else 0,
                "rng": [info for _, info in all_rng],
                "history": self.history.rows,
                "extra": self.extra_state(),
            }
            checkpoint.write(path, groups, model_id=self.model_id, config_yaml=to_yaml(self.cfg),
                             state=state)  # fmt: skip
            self._prune_checkpoints()
        self.dist.barrier()
        self._last_checkpoint = path
        self._checkpoint_step = self.step
        return path

    def _prune_checkpoints(self) -> None:
        folder = self.out_dir / CHECKPOINT_DIR
        for _, old in _numbered(folder)[:-KEEP_CHECKPOINTS]:
            old.unlink(missing_ok=True)

    def _readable_latest_checkpoint(self) -> Path | None:
        """The newest checkpoint that reads; newer unreadable ones (cut short by a crash of the
        machine mid-write, say) are renamed ``*.corrupt``, kept for inspection, with a warning.
        """
        folder = self.out_dir / CHECKPOINT_DIR
        if not folder.is_dir():
            return None
        for _, path in reversed(_numbered(folder)):
            try:
                checkpoint.read_info(path)
            except CorruptWeightsError as exc:
                if self.dist.is_main:
                    aside = path.with_name(path.name + ".corrupt")
                    path.replace(aside)
                    warnings.warn(
                        f"{exc} Resuming from the previous checkpoint instead; the bad file "
                        f"is kept as {aside.name}.",
                        stacklevel=2,
                    )
                self.dist.barrier()
                continue
            return path
        return None

    def restore(self, path: str | Path) -> None:
        """Continue from a checkpoint: weights, EMA, optimisers, RNGs, data position, history."""
        path = Path(path)
        groups, info = checkpoint.read(path)
        if info["model_id"] != self.model_id:
            raise TrainingError(
                f"{path} was written for {info['model_id']!r}, not {self.model_id!r}; "
                "pass another --out."
            )
        state = info["state"]
        self._warn_config_changes(path, info["config"])
        self.load_extra_state(state.get("extra", {}))
        self._set_phase(None)
        try:
            self.model.load_state_dict(groups["model"], strict=True)
        except RuntimeError as exc:
            first_line = str(exc).splitlines()[0]
            raise TrainingError(f"{path} does not fit the model: {first_line}") from None
        train_state.load_optimizer_state(self.opt_g, groups.get("optim_g", {}), state["optim_g"])
        train_state.load_optimizer_state(self.opt_d, groups.get("optim_d", {}), state["optim_d"])
        self.scaler_g.load_state_dict(state["scaler_g"])
        self.scaler_d.load_state_dict(state["scaler_d"])
        if self.ema is not None:
            ema = {k.removeprefix("generator."): v for k, v in groups.get("ema", {}).items()}
            if ema:
                self.ema.module.load_state_dict(ema, strict=True)
                self.ema.n_averaged.fill_(int(state.get("ema_n_averaged", 0)))
        rank = self.dist.rank
        rng = {k.partition(".")[2]: v for k, v in groups.get("rng", {}).items()
               if k.partition(".")[0] == str(rank)}  # fmt: skip
        if rng and state.get("world_size") == self.dist.world_size:
            train_state.load_rng_state(self.noise, rng, state["rng"][rank])
        else:
            warnings.warn(
                f"{path} was written by {state.get('world_size')} process(es), this run has "
                f"{self.dist.world_size}: random streams are reseeded, so the run continues "
                "correctly but not bit-identically.",
                stacklevel=2,
            )
            train_state.seed_everything(int(self.train_cfg.seed) + rank + 7 * int(state["step"]))
        self.step = int(state["step"])
        self.epoch = int(state["epoch"])
        if int(state.get("batch_size", self.batch_size)) != self.batch_size:
            self.set_batch_size(int(state["batch_size"]))
        self._position = int(state["position"])
        self._iterator = None
        self._elapsed = float(state.get("elapsed", 0.0))
        self.history = LossHistory(state.get("history", []))
        self._last_checkpoint = path
        self._checkpoint_step = self.step
        if self.dist.is_main:
            logger.info("Resumed %s from %s at step %d.", self.model_id, path, self.step)

    def _warn_config_changes(self, path: Path, saved_yaml: str) -> None:
        """Resuming with other settings is allowed (more steps, say) but is not the same run."""
        from omegaconf import OmegaConf

        saved = _flatten(OmegaConf.to_container(OmegaConf.create(saved_yaml)))
        current = _flatten(OmegaConf.to_container(self.cfg, resolve=True))
        changed = sorted(k for k in saved.keys() | current.keys()
                         if k not in _BOOKKEEPING and saved.get(k) != current.get(k))  # fmt: skip
        if changed and self.dist.is_main:
            warnings.warn(
                f"resuming from {path} with changed settings: {', '.join(changed[:8])}; the "
                "result will differ from an uninterrupted run with the old settings.",
                stacklevel=3,
            )

    def _write_history(self) -> None:
        if not self.dist.is_main or not self.history.rows:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.history.write_csv(self.out_dir / LOSSES_CSV)
        self.history.plot(self.out_dir / "losses.png", f"{self.model_id} training losses")

    def _install_sigint(self):
        """First Ctrl-C stops at the end of the current step (a consistent checkpoint); a
        second one interrupts at once."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        previous = signal.getsignal(signal.SIGINT)

        def handler(signum, frame):
            if self._stop_requested:
                raise KeyboardInterrupt
            self._stop_requested = True
            if self.dist.is_main:  # a warning: shown even where logging is not configured
                logger.warning("Stopping after this step and saving a checkpoint "
                               "(Ctrl-C again: abort).")  # fmt: skip

        signal.signal(signal.SIGINT, handler)
        return lambda: signal.signal(signal.SIGINT, previous)


def _determinism() -> tuple[bool, bool, bool, bool]:
    return (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.benchmark,
        torch.backends.cudnn.deterministic,
    )


def _restore_determinism(before: tuple[bool, bool, bool, bool]) -> None:
    """Leave the process-wide switches as they were before this trainer."""
    enabled, warn_only, benchmark, deterministic = before
    torch.use_deterministic_algorithms(enabled, warn_only=warn_only)
    torch.backends.cudnn.benchmark = benchmark
    torch.backends.cudnn.deterministic = deterministic


def _deterministic_mode() -> None:
    """Reproducible kernels: cuDNN autotuning off and deterministic algorithms where they exist."""
    import os

    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    torch.use_deterministic_algorithms(True, warn_only=True)


def _plain_options(node: Any) -> dict[str, Any]:
    """A term's options as plain Python values (OmegaConf nodes become dicts and lists)."""
    from omegaconf import DictConfig, OmegaConf

    if isinstance(node, DictConfig):
        return OmegaConf.to_container(node, resolve=True)  # type: ignore[return-value]
    return dict(node or {})


def _flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        out: dict[str, Any] = {}
        for key, value in tree.items():
            out.update(_flatten(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): tree}


def _num(value: torch.Tensor | float) -> float:
    return float(value.detach().float().item()) if isinstance(value, torch.Tensor) else float(value)


def _unique(params) -> list[nn.Parameter]:
    """Trainable parameters, each once."""
    seen, out = set(), []
    for p in params:
        if p.requires_grad and id(p) not in seen:
            seen.add(id(p))
            out.append(p)
    return out
