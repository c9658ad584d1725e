"""The GAN training loop every architecture shares, with hooks for the ones that differ.

One generator update (a *step*) is ``n_critic`` discriminator updates followed by one
generator update on the last discriminator batch. Architectures change the loop by
overriding :meth:`GANTrainer.on_step_start`, :meth:`GANTrainer.discriminator_loss`,
:meth:`GANTrainer.generator_loss` and the JSON state hooks; everything else (optimisers,
mixed precision, EMA, clipping, NaN detection, checkpoints, resuming, DDP) is done once, here
or in the modules the loop delegates to: checkpoints and resuming in
:mod:`zoo_core.training.checkpointing`, the process group and the networks' DDP wrappers in
:mod:`zoo_core.training.distributed`.

Resuming reproduces an uninterrupted run bit for bit: checkpoints hold the weights, the EMA,
optimiser and gradient-scaler states, every random number generator and the position in the
epoch's (seeded) data order; every sample's random choices are made under a seed of its own
(:mod:`zoo_core.training.data`), so neither workers nor resuming change them.
"""

from __future__ import annotations

import logging
import math
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from torch.utils.data import DataLoader, Dataset

from zoo_core import precision as precision_
from zoo_core.errors import ConfigError, DataError, TrainingError, ZooError
from zoo_core.interfaces.model import Batch, GANModel
from zoo_core.registry import get_registry
from zoo_core.training import checkpointing
from zoo_core.training import state as train_state
from zoo_core.training.checkpointing import (  # noqa: F401 - kept importable from here
    CHECKPOINT_DIR,
    CHECKPOINT_PATTERN,
    KEEP_CHECKPOINTS,
    checkpoint_path,
    latest_checkpoint,
)
from zoo_core.training.data import SeededItems, epoch_keys
from zoo_core.training.diff_augment import check_policies, diff_augment
from zoo_core.training.distributed import DistContext, PhasedNetworks
from zoo_core.training.history import LossHistory
from zoo_core.training.optim import apply_lr_factor, build_optimizer, lr_factor
from zoo_core.training.progress_bar import ProgressBar, stderr_is_terminal

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
        self.dist, self.device = DistContext.join(device)

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
        self.diff_augment = check_policies(self.train_cfg.get("diff_augment") or [])
        # A class label still holds for a shifted or partly blanked image (Zhao et al. train
        # class-conditional BigGAN so); a condition image would no longer match its target.
        if self.diff_augment and model.conditional and model.condition_kind != "class":
            raise ConfigError(
                "train.diff_augment is for unconditional and class-conditional models: an "
                "image-conditioned critic would see augmented images beside an unaugmented "
                f"condition. Leave it empty for {model.model_id or type(model).__name__}."
            )
        self.terms = self._loss_terms()
        #: The generator and discriminator, in their DDP wrappers when several processes train.
        self.networks = PhasedNetworks(self.model, self.dist, self.device)
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
        loss = self.adversarial.d_loss(self.critic(real, batch), self.critic(fake, batch))
        logs = {"d_adv": _num(loss)}
        if self.gradient_penalty is not None:
            gp = self.gradient_penalty(self.critic, real, fake, batch, generator=self.noise)
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
        adversarial = self.adversarial.g_loss(self.critic(fake, batch))
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

    def critic(self, images: torch.Tensor, batch: Batch) -> torch.Tensor:
        """The model's critic on ``images`` as training shows them: through
        ``train.diff_augment`` when it names any augmentation (drawn afresh per call)."""
        if self.diff_augment:
            low = float(self.model.value_range[0])
            images = diff_augment(images, self.diff_augment, low, self.noise)
        return self.model.critic(images, batch)

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
        self.networks.set_phase(None)
        self.networks.take_networks()
        # Frozen parameters (requires_grad=False, e.g. a fixed feature network) stay frozen:
        # they are neither optimised, clipped nor switched on by the phase changes.
        self._g_params = _unique(self.model.generator_parameters())
        self._d_params = _unique(self.model.discriminator_parameters())
        train = self.train_cfg
        self.opt_g = build_optimizer(self._g_params, train.optimizer_g, "train.optimizer_g")
        self.opt_d = build_optimizer(self._d_params, train.optimizer_d, "train.optimizer_d")
        self.networks.wrap(self._g_params, self._d_params)
        self._build_ema()

    # -- the loop ------------------------------------------------------------------------------

    def fit(self) -> Path:
        """Train to ``train.steps`` and return the final checkpoint's path."""
        if self._resume:
            self._resume = False
            checkpointing.resume(self)
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
            self.networks.set_phase(None)
            path = self.save_checkpoint()
            self._write_history()
            raise TrainingInterrupted(self.step, path) from None
        except TrainingError:
            self._write_history()
            raise
        finally:
            bar.close()
            restore_sigint()
            self.networks.set_phase(None)
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
        self.networks.set_phase("discriminator")
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
        self.networks.set_phase("generator")
        with self._autocast():
            loss_g, logs_g = self.generator_loss(batch)
        self._check_finite("generator", loss_g, logs_g)
        self._update(loss_g, self.opt_g, self.scaler_g, self._g_params, "generator")
        if self.ema is not None:
            self.ema.update_parameters(self.networks.plain["generator"])
        self.networks.set_phase(None)
        self.step += 1
        return {"d_loss": _num(loss_d), "g_loss": _num(loss_g), **logs_d, **logs_g}

    def _update(self, loss, opt, scaler, params, network: str) -> None:
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        self.dist.all_reduce_grads(self.networks.params_missed(network, params))
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

    # -- EMA, precision, losses --------------------------------------------------------------------

    def _build_ema(self) -> None:
        decay = self.train_cfg.ema_decay
        if decay is None:
            self.ema = None
            return
        if not 0.0 < float(decay) < 1.0:
            raise ConfigError(f"train.ema_decay={decay} must lie strictly between 0 and 1.")
        old = self.ema.module.state_dict() if self.ema is not None else {}
        self.ema = AveragedModel(
            self.networks.plain["generator"],
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

    # -- checkpoints (zoo_core.training.checkpointing) ---------------------------------------------

    def save_checkpoint(self) -> Path | None:
        """Write the full training state atomically (rank 0); every rank must call it.

        Weights that went non-finite without a non-finite loss (an infinite gradient, say)
        stop training here, so the checkpoint on disk stays the last good one.
        """
        return checkpointing.save(self)

    def restore(self, path: str | Path) -> None:
        """Continue from a checkpoint: weights, EMA, optimisers, RNGs, data position, history."""
        checkpointing.restore(self, path)

    # -- files and signals ---------------------------------------------------------------------

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
