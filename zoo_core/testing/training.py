"""The kit's training checks: a short run through the architecture's own trainer and dataset,
and the direction each player's loss moves its network in.

:func:`check_training` writes a small data folder (the architecture's ``example_data``, or
a synthetic folder of the core's layout), reads it with the architecture's own ``dataset``
(or the core's), and runs two steps of its own ``trainer`` (or the core's
:class:`~zoo_core.plugin_api.GANTrainer`) on the tiny config: every logged loss must be
finite and both networks' weights must change. It then runs :func:`check_loss_direction`
on the same trainer.

A loss that merely *moves* proves little: a loss with its sign flipped moves too (the
network then climbs its objective instead of descending it). :func:`check_loss_direction`
therefore does not trust the number the trainer returns. On one fixed batch, with fixed
noise, it computes each player's objective itself, from the critic's scores and the
configured losses (``train.adversarial``, ``train.adversarial_weight``, the
``train.loss_weights`` terms and the model's ``auxiliary_loss``), and takes a few small
steps down the gradient of the trainer's own ``discriminator_loss`` / ``generator_loss``:
at each, the objective must fall along the step (its gradient and the loss's point the same
way). A trainer that returns ``-loss`` makes every step climb the objective and fails.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zoo_core import config as zoo_config
from zoo_core.registry import ArchSpec, ModelSpec, get_registry

#: Settings the kit's runs start from; the tiny overrides come after them and may change them.
KIT_DEFAULTS = ("train.batch_size=2",)
#: Settings every kit run ends with: a short fp32 run on the CPU with a loss row per step.
KIT_RUN = (
    "train.epochs=null",
    "train.log_every=1",
    "train.checkpoint_every=0",
    "train.num_workers=0",
    "train.precision=fp32",
    "train.amp=false",
)
#: Gradient steps of each player in the loss-direction check.
DIRECTION_STEPS = 3
#: The seed of the noise the direction check draws its fixed fake batch from.
NOISE_SEED = 1234
#: Each direction step is sized to lower the player's loss by this fraction, to first order.
STEP = 1e-3


@dataclass
class Direction:
    """One player's direction check, per step: the kit's objective, its first-order change
    along the step the loss takes, and the cosine between their gradients."""

    objective: list[float] = field(default_factory=list)
    change: list[float] = field(default_factory=list)
    cosine: list[float] = field(default_factory=list)


@dataclass
class TrainingReport:
    """What :func:`check_training` saw: the loss rows of the run and the direction check."""

    rows: list[dict[str, float]]
    direction: dict[str, Direction] = field(default_factory=dict)


def _fail(spec_id: str, message: str) -> None:
    from zoo_core.testing.kit import ConformanceError

    raise ConformanceError(f"{spec_id}: {message}")


def run_config(spec: ModelSpec, overrides: Sequence[str] = (), steps: int = 2) -> Any:
    """The id's config for a kit run: kit defaults, then ``overrides``, then the run's own
    settings (``steps`` steps, fp32, a row per step, no periodic checkpoints)."""
    arch = get_registry().architecture(spec.architecture)
    dotlist = [*KIT_DEFAULTS, *overrides, f"train.steps={int(steps)}", *KIT_RUN]
    return zoo_config.load(arch, spec.config_path(), dotlist)


def write_example_data(arch: ArchSpec, data_cfg: Any, folder: str | Path) -> Path:
    """Fill ``folder`` with a small data folder the architecture's dataset reads: its own
    ``example_data`` callback, or else a synthetic folder of the core's layout."""
    from zoo_core.testing.example_data import write_core_layout

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if arch.example_data:
        arch.resolve("example_data")(data_cfg, folder)
        return folder
    try:
        return write_core_layout(data_cfg, folder)
    except ValueError as exc:
        raise _hint(arch, f"the kit cannot write example data for it: {exc}") from None


def trainer_class(arch: ArchSpec) -> type:
    """The trainer ``zoo train`` would run: the architecture's own, else the core's; one
    that is no :class:`GANTrainer` subclass fails the kit with the message it gives users."""
    from zoo_core.errors import ZooError
    from zoo_core.testing.kit import ConformanceError
    from zoo_core.training.run import trainer_class as resolve_trainer

    try:
        return resolve_trainer(arch)
    except ZooError as exc:
        raise ConformanceError(str(exc)) from exc


def _hint(arch: ArchSpec, message: str) -> Exception:
    from zoo_core.testing.kit import ConformanceError

    return ConformanceError(
        f"architecture {arch.name!r}: {message}. Name ArchSpec(example_data='module:function'),"
        " a function (data_config, folder) that writes a few small files in the layout the "
        "architecture's dataset reads."
    )


def fixed_batch(model: Any, dataset: Any, batch_size: int, seed: int = 0) -> dict[str, Any]:
    """The first ``batch_size`` items of ``dataset``, collated and prepared by the model as
    the trainer prepares a batch, all under fixed seeds."""
    import torch
    from torch.utils.data import default_collate

    from zoo_core.training.data import seeded

    with seeded(seed):
        items = [dataset[i] for i in range(min(int(batch_size), len(dataset)))]
    batch = default_collate(items)
    generator = torch.Generator(device=model.device).manual_seed(seed)
    return model.prepare_batch(batch, generator=generator)


def check_training(
    spec: ModelSpec,
    overrides: Sequence[str] = (),
    *,
    steps: int = 2,
    direction_steps: int = DIRECTION_STEPS,
) -> TrainingReport:
    """Two training steps through the architecture's own trainer and dataset, then
    :func:`check_loss_direction` on the same trainer (see the module docstring)."""
    import torch

    from zoo_core.api import build
    from zoo_core.errors import ZooError

    arch = get_registry().architecture(spec.architecture)
    cfg = run_config(spec, overrides, steps)
    with tempfile.TemporaryDirectory(prefix="zoo-kit-") as tmp:
        data_dir = write_example_data(arch, cfg.data, Path(tmp) / "data")
        from zoo_core.training.run import training_dataset

        try:
            dataset = training_dataset(arch, cfg.data, data_dir)
        except ZooError as exc:
            why = f"its dataset cannot read the kit's example data ({exc})"
            if arch.example_data:
                _fail(spec.id, f"{arch.example_data} wrote a folder that {why}")
            raise _hint(arch, why) from exc
        torch.manual_seed(0)
        model = build(spec.architecture, cfg)
        model.model_id = spec.id
        trainer = trainer_class(arch)(
            model, cfg, dataset, Path(tmp) / "run", spec.id, device="cpu", progress=False
        )
        try:
            rows = _two_steps(spec, trainer, steps)
            batch = fixed_batch(trainer.model, dataset, trainer.local_batch_size)
            direction = check_loss_direction(trainer, batch, steps=direction_steps, spec_id=spec.id)
        finally:
            close = getattr(getattr(trainer, "dist", None), "close", None)
            if close is not None:
                close()
    return TrainingReport(rows, direction)


def _two_steps(spec: ModelSpec, trainer: Any, steps: int) -> list[dict[str, float]]:
    from zoo_core.errors import ZooError

    model = trainer.model
    players = {
        "generator": list(model.generator_parameters()),
        "discriminator": list(model.discriminator_parameters()),
    }
    before = {name: [p.detach().clone() for p in ps] for name, ps in players.items()}
    try:
        trainer.fit()
    except ZooError as exc:
        _fail(spec.id, f"{steps} training steps failed: {type(exc).__name__}: {exc}")
    rows = [dict(row) for row in trainer.history.rows]
    if len(rows) != steps:
        _fail(spec.id, f"{steps} training steps logged {len(rows)} loss rows")
    for row in rows:
        bad = sorted(k for k, v in row.items() if not math.isfinite(float(v)))
        if bad:
            _fail(spec.id, f"training step {row.get('step')} logged non-finite {bad}")
    for name, params in players.items():
        trainable = [(p, b) for p, b in zip(params, before[name], strict=True) if p.requires_grad]
        if trainable and all(p.detach().equal(b) for p, b in trainable):
            _fail(spec.id, f"{steps} training steps left every {name} weight unchanged")
    return rows


def check_loss_direction(
    trainer: Any, batch: dict[str, Any], *, steps: int = DIRECTION_STEPS, spec_id: str = ""
) -> dict[str, Direction]:
    """Each player's loss, as its trainer returns it, leads down the objective the kit
    measures itself, on one fixed batch with fixed noise.

    The discriminator's objective is ``train.adversarial``'s ``d_loss`` on the critic's
    scores of the real batch and of a fake batch; the generator's is ``adversarial_weight *
    g_loss`` on the fake's scores plus each ``train.loss_weights`` term (on
    :meth:`GANTrainer.term_inputs`); both add the model's ``auxiliary_loss``, as the core's
    trainer does. For ``steps`` steps, first the discriminator's (down the gradient of
    ``trainer.discriminator_loss``, weights clipped where configured) and then the
    generator's (down ``trainer.generator_loss``, against that discriminator), over the
    parameters of the player's optimiser, the objective's rate of change along the step
    must be negative: its gradient and the loss's must point the same way. A loss returned
    with its sign flipped points the other way and fails.

    Why rates rather than the objective before and after: on a tiny network with a batch of
    two, the paper's optimisers step further than the objective falls monotonically (Adam at
    1e-3 for InfoGAN), and an L1 term of voxels clipped to an intensity window has kinks at
    the very weights the steps start from, so even a tiny step can raise it. The gradients
    are exact at every point, so the check is deterministic and holds for every model.
    Each step is sized to lower the loss by :data:`STEP` of its value, to first order.
    """
    import torch

    model = trainer.model
    train_cfg = trainer.train_cfg
    adversarial = trainer.adversarial
    adv_weight = float(train_cfg.get("adversarial_weight", 1.0))
    clip = train_cfg.get("weight_clip", None)
    # The critic as the trainer shows it images: through train.diff_augment, whose draws
    # come from trainer.noise in the same order as in the trainer's losses.
    critic = trainer.critic

    def seeded(call: Callable[[], Any]) -> Any:
        torch.manual_seed(NOISE_SEED)  # the same dropout masks every time
        trainer.noise.manual_seed(NOISE_SEED)  # the same fake batch every time
        return call()

    def d_objective() -> Any:
        with torch.no_grad():
            fake = model.fake_batch(batch, generator=trainer.noise)
        real_scores = critic(batch["target"], batch)
        value = adversarial.d_loss(real_scores, critic(fake, batch))
        return value + model.auxiliary_loss(batch, fake)

    def g_objective() -> Any:
        fake = model.fake_batch(batch, generator=trainer.noise)
        value = adv_weight * adversarial.g_loss(critic(fake, batch))
        weight_map = batch.get("voxel_weight")
        for name, (weight, term) in trainer.terms.items():
            inputs = trainer.term_inputs(name, term, fake, batch)
            if weight_map is not None and getattr(term, "accepts_weight", False):
                value = value + weight * term(*inputs, weight=weight_map)
            else:
                value = value + weight * term(*inputs)
        return value + model.auxiliary_loss(batch, fake)

    def clip_weights() -> None:
        if clip is not None:
            with torch.no_grad():
                for group in trainer.opt_d.param_groups:
                    for p in group["params"]:
                        p.clamp_(-float(clip), float(clip))

    def gradient(value: Any, params: list[Any]) -> list[Any]:
        grads = torch.autograd.grad(value, params, allow_unused=True)
        pairs = zip(params, grads, strict=True)
        return [torch.zeros_like(p) if g is None else g.float() for p, g in pairs]

    def dot(a: list[Any], b: list[Any]) -> float:
        return float(sum((x * y).sum() for x, y in zip(a, b, strict=True)))

    model.train()
    clip_weights()  # a clipped critic's steps start from clipped weights
    result: dict[str, Direction] = {}
    players = (
        ("discriminator", d_objective, lambda: trainer.discriminator_loss(batch), trainer.opt_d),
        ("generator", g_objective, lambda: trainer.generator_loss(batch), trainer.opt_g),
    )
    for player, objective, loss_of, optimizer in players:
        params = [p for group in optimizer.param_groups for p in group["params"]]
        found = Direction()
        for step in range(int(steps)):
            loss, _ = seeded(loss_of)
            descent = gradient(loss, params)
            slope_loss = dot(descent, descent)
            value = seeded(objective)
            toward = gradient(value, params)
            if not (math.isfinite(slope_loss) and slope_loss > 0):
                _fail(spec_id, f"the {player}'s loss has no finite gradient on its weights")
            scale = STEP * max(abs(float(loss.detach())), 1e-3) / slope_loss
            rate = -scale * dot(toward, descent)  # the objective's change, to first order
            cosine = dot(toward, descent) / math.sqrt(max(dot(toward, toward), 1e-30) * slope_loss)
            found.objective.append(float(value.detach()))
            found.change.append(rate)
            found.cosine.append(cosine)
            if not (math.isfinite(rate) and rate < 0):
                what = "loss" if player == "discriminator" else "adversarial and loss_weights terms"
                _fail(
                    spec_id,
                    f"step {step + 1} down {type(trainer).__name__}.{player}_loss raises the "
                    f"{player}'s objective (the configured {what}, measured by the kit: "
                    f"{found.objective[-1]:.6g}, changing by {rate:+.3g} to first order; cosine "
                    f"{cosine:+.3f} between the two gradients): is the loss returned with the "
                    "wrong sign, or a term subtracted that should be added?",
                )
            with torch.no_grad():
                for p, g in zip(params, descent, strict=True):
                    p.sub_(scale * g.to(p.dtype))
            if player == "discriminator":
                clip_weights()
        result[player] = found
    return result
