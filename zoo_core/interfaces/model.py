"""The model contract: what every builder returns and what ``zoo.load`` hands to users.

A :class:`GANModel` owns its networks (``generator``, ``discriminator`` and any others) so that
one state dict carries everything that is published. Users call :meth:`GANModel.generate`;
the trainer calls the small set of training methods, which subclasses override where their
architecture differs (conditioning, auxiliary heads, progressive growing).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import torch
from torch import nn

from zoo_core.errors import ZooError

if TYPE_CHECKING:
    from zoo_core.api import PushResult

Batch = dict[str, Any]
Model = TypeVar("Model", bound="GANModel")


class GANModel(nn.Module):
    """Base class of every architecture the zoo builds.

    Subclasses assign ``self.generator`` and ``self.discriminator`` and implement
    :meth:`sample`. Unconditional models draw ``n`` samples; conditional ones
    (``conditional = True``) map a batch of conditions to outputs.

    Attributes set by ``zoo.load``: ``model_id``, ``config`` (the full run config), ``card``
    (:class:`zoo_core.cards.ModelCard`) and ``weights_info`` (repo, revision, sha256).
    """

    #: Whether :meth:`generate` maps a ``condition`` batch to outputs (True) or draws ``n``
    #: samples from noise alone (False); the trainer, the kit and ``zoo generate`` branch on it.
    conditional: ClassVar[bool] = False
    #: Output value range the card declares; generate() output lies within it.
    value_range: tuple[float, float] = (-1.0, 1.0)
    #: Spatial sizes the networks accept must be multiples of this (``2**downsamplings`` for
    #: fully convolutional encoders); ``zoo.generate`` pads slices up to it and crops back.
    size_multiple: int = 1
    #: Blocks cut from a whole volume start at multiples of this many voxels: a condition
    #: made on a lattice (a scan pixelated in 2x2x2 cells) must be cut on that lattice, as
    #: the model saw it in training, or every cell it is given is split in two.
    window_alignment: int = 1
    #: What a condition is: ``"image"`` (normalised like the training images, resized
    #: smoothly), ``"labels"`` (a class map: ``zoo generate`` reads it as it is, without
    #: intensity normalisation, and resizes it nearest-neighbour so no new class appears) or
    #: ``"class"`` (one class index per sample, ``(N,)``: ``zoo generate --class NAME`` with
    #: the names of the card's first input's ``label_maps``).
    condition_kind: ClassVar[str] = "image"
    #: Class-conditional models (``condition_kind = "class"``): how many classes there are.
    #: ``zoo generate`` cycles through this many when the card names no label maps; 0 means
    #: "as many as the card's first input's ``label_maps``".
    num_classes: int = 0
    #: Block models (trained on fixed-size patches of a volume): the block side in voxels,
    #: one int per spatial axis or one for all. ``zoo.generate`` then tiles larger inputs in
    #: blocks; None falls back to ``model.block_size`` of the config, then to the data's
    #: ``spatial_size`` when ``data.mode`` is ``blocks``, and otherwise the whole input goes in.
    block_size: int | tuple[int, ...] | None = None
    #: Block models: the fraction by which neighbouring windows overlap when a volume is
    #: tiled (the default of ``zoo generate --overlap``); more overlap, fewer seams, more work.
    inference_overlap: float = 0.5
    #: Block models: voxels of context cut around each window and cropped from its output
    #: (the default of ``zoo generate --margin``), for generators whose borders are weaker.
    inference_margin: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.model_id: str | None = None
        self.config: Any = None
        self.card: Any = None
        self.weights_info: dict[str, Any] = {}
        #: False when the weights loaded held no discriminator (shipped weights): its
        #: parameters are then a fresh initialisation, which save_pretrained leaves out.
        self.discriminator_loaded: bool = True

    # -- the Hub (huggingface_hub's PyTorchModelHubMixin names) -------------------------------

    @classmethod
    def from_pretrained(
        cls: type[Model],
        repo_or_path: str | Path,
        *,
        revision: str | None = None,
        dtype: Any = None,
        device: str = "cpu",
        local_files_only: bool = False,
        cache_dir: str | Path | None = None,
        source: str | None = None,
        overrides: list[str] | None = None,
        allow_pickle: bool = False,
    ) -> Model:
        """Load trained weights by registered id, Hub repo id (``ORG/NAME``) or folder.

        The same call as ``zoo.load`` (the same sha256 checks, cache and shipped weights),
        refusing a model of another class than the one it is called on:
        ``DCGAN.from_pretrained("beers-pggan-rop")`` would otherwise hand back a PGGAN, while
        the class says what the caller's code expects, as in transformers.
        """
        from zoo_core.api import load

        model = load(
            str(repo_or_path),
            revision=revision,
            dtype=dtype,
            device=device,
            local_files_only=local_files_only,
            cache_dir=cache_dir,
            source=source,
            overrides=overrides,
            allow_pickle=allow_pickle,
        )
        if not isinstance(model, cls):
            raise ZooError(
                f"{repo_or_path} is a {type(model).__name__} ({model.model_id}), not a "
                f"{cls.__name__}: call GANModel.from_pretrained (or zoo.load) for any model."
            )
        return model

    def save_pretrained(self, save_directory: str | Path, *, repo_id: str | None = None) -> Path:
        """Write config.yaml, model.safetensors and a README.md card listing their sha256,
        the layout of a shipped weights folder; ``from_pretrained`` reads it back exactly."""
        from zoo_core.pretrained import save_pretrained

        return save_pretrained(self, save_directory, repo_id=repo_id)

    def push_to_hub(
        self,
        repo_id: str,
        *,
        to: str | None = None,
        commit_message: str | None = None,
        private: bool = False,
        metrics: dict[str, Any] | str | Path | None = None,
    ) -> PushResult:
        """Publish the model to ``repo_id`` in one commit through ``zoo.push`` (``to``:
        ``"hf"`` or ``"dir:PATH"``); ``metrics`` from ``zoo evaluate`` fill the card's
        ``model-index``."""
        from zoo_core.pretrained import push_to_hub

        return push_to_hub(
            self, repo_id, to=to, commit_message=commit_message, private=private, metrics=metrics
        )

    @property
    def device(self) -> torch.device:
        for tensor in self.parameters():
            return tensor.device
        return torch.device("cpu")

    @property
    def dtype(self) -> torch.dtype:
        """The floating-point dtype of the weights (``zoo.load(dtype=...)``)."""
        for tensor in self.parameters():
            if tensor.is_floating_point():
                return tensor.dtype
        return torch.float32

    @contextlib.contextmanager
    def _in_own_dtype(self) -> Iterator[None]:
        """Run :meth:`sample` in the weights' dtype.

        Architectures draw their latents with ``torch.randn(...)``, float32 by default, and
        some cast a condition to float32 on purpose; a model cast to bfloat16 or float16
        would then mix dtypes in a layer. The default dtype set for the call and autocast
        to the weights' dtype keep every architecture working unchanged.
        """
        from zoo_core.precision import autocast

        dtype = self.dtype
        if dtype == torch.float32:
            yield
            return
        saved = torch.get_default_dtype()
        torch.set_default_dtype(dtype)
        try:
            with autocast(self.device, dtype):
                yield
        finally:
            torch.set_default_dtype(saved)

    # -- generation --------------------------------------------------------------------------

    def generate(
        self,
        n: int | None = None,
        condition: torch.Tensor | None = None,
        seed: int | Sequence[int] | None = None,
        **options: Any,
    ) -> torch.Tensor:
        """Produce samples in the layout and value range the model card declares.

        Unconditional models take ``n``; conditional ones take a ``condition`` batch (and
        ignore ``n``). The same ``seed`` gives the same images on the same device. Outputs
        are float32 also from a model loaded in bf16 or fp16 (``zoo.load(dtype=...)``).

        Seeds are per sample, as in ``zoo.generate``: with an integer ``seed`` sample ``i``
        of ``generate(n=n, seed=seed)`` is drawn with its own generator seeded from
        ``derive_seed(seed, i)``, so it does not depend on ``n`` and equals sample ``i`` of
        ``zoo.generate(model, n, seed=seed)``. A sequence of seeds gives each sample (or each
        condition of the batch) the generator seeded with its own entry. A conditional batch
        with an integer seed shares one generator: the block and slice tilers call it once
        per batch of blocks with a seed of their own, and the cgan3d reconstructions behind
        its card's figures rely on that.

        ``options`` are architecture-specific keyword arguments (a style image, a boundary
        perturbation...), passed on to :meth:`vary_condition` and :meth:`sample`; most models
        take none. ``zoo generate`` fills them from the options the architecture declares
        (``ArchSpec.generate_options``).
        """
        name = self.model_id or type(self).__name__
        if self.conditional:
            if condition is None:
                raise ZooError(
                    f"{name} is conditional: pass condition=<a "
                    "batch tensor>, e.g. the map, noisy block or low-resolution volume."
                )
            if not isinstance(condition, torch.Tensor):
                raise ZooError(f"condition must be a torch.Tensor, not {type(condition).__name__}")
            condition = condition.to(self.device)
            if condition.is_floating_point():
                condition = condition.to(self.dtype)
        else:
            if condition is not None:
                raise ZooError(f"{name} is unconditional: pass n=<count>, not a condition.")
            if not isinstance(n, int) or isinstance(n, bool) or n < 1:
                raise ZooError(f"n must be a positive integer number of samples, not {n!r}")
        if options:
            self._check_options(options)
        seeds = self._sample_seeds(seed, n, condition)
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad(), self._in_own_dtype():
                if seeds is None:
                    out = self._draw(n, condition, self._generator(seed), options)
                else:
                    out = torch.cat([
                        self._draw(None if self.conditional else 1,
                                   None if condition is None else condition[i : i + 1],
                                   self._generator(s), options)
                        for i, s in enumerate(seeds)
                    ])  # fmt: skip
        finally:
            self.train(was_training)
        low, high = self.value_range
        return out.float().clamp(low, high)  # float32 whatever the weights' dtype

    def _draw(
        self,
        n: int | None,
        condition: torch.Tensor | None,
        rng: torch.Generator | None,
        options: dict[str, Any],
    ) -> torch.Tensor:
        """One call of :meth:`sample` with one generator (after varying the condition)."""
        if self.conditional:
            condition = self.vary_condition(condition, rng, **options)
        return self.sample(n=n, condition=condition, generator=rng, **options)

    def _sample_seeds(
        self, seed: int | Sequence[int] | None, n: int | None, condition: torch.Tensor | None
    ) -> list[int] | None:
        """One seed per sample, or None where one generator serves the whole call."""
        if seed is None or (self.conditional and isinstance(seed, int)):
            return None
        count = int(condition.shape[0]) if condition is not None else int(n or 0)
        if isinstance(seed, int):
            from zoo_core.seeds import derive_seed

            return [derive_seed(seed, i) for i in range(count)]
        seeds = [int(s) for s in seed]
        if len(seeds) != count:
            raise ZooError(f"{len(seeds)} seeds for {count} samples; give one seed per sample.")
        return seeds

    def _generator(self, seed: int | None) -> torch.Generator | None:
        if seed is None:
            return None
        rng = torch.Generator(device=self.device)
        rng.manual_seed(int(seed))
        return rng

    def _check_options(self, options: dict[str, Any]) -> None:
        """One clear line for options :meth:`sample` does not take (not a TypeError deep
        inside it)."""
        params = inspect.signature(self.sample).parameters
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            return
        fixed = {"n", "condition", "generator"}
        accepted = [
            k for k, p in params.items() if k not in fixed and p.kind is not p.VAR_POSITIONAL
        ]
        unknown = sorted(set(options) - set(accepted))
        if unknown:
            raise ZooError(
                f"{self.model_id or type(self).__name__} takes no option(s) {unknown}; "
                f"it takes {accepted or 'none'}."
            )

    def vary_condition(
        self, condition: torch.Tensor, generator: torch.Generator | None, **options: Any
    ) -> torch.Tensor:
        """The condition a sample is actually drawn from: identity unless overridden.

        Models that change the condition per sample (boundary perturbation of a label map,
        random deformation) override it; :meth:`generate` calls it before :meth:`sample` with
        the same seeded generator, so :meth:`condition_for` can show what was used.
        """
        return condition

    def condition_for(
        self, condition: torch.Tensor, seed: int | None, **options: Any
    ) -> torch.Tensor:
        """What ``generate(condition=condition, seed=seed, **options)`` fed to :meth:`sample`
        (for montages and records; without a seed a varying model's choice is not
        reproducible)."""
        with torch.no_grad():
            return self.vary_condition(
                torch.as_tensor(condition).to(self.device), self._generator(seed), **options
            )

    def montage_panels(
        self, condition: torch.Tensor | None, outputs: torch.Tensor, options: dict[str, Any]
    ) -> list[tuple[str, torch.Tensor]]:
        """What ``zoo generate --montage`` shows per sample, left to right: ``(label,
        batch)`` pairs, each batch ``(N, C, *spatial)`` in :attr:`value_range`.

        The default shows the condition (stretched to the value range) beside the result, and
        unconditional samples alone. Models with extra inputs (a style image) add them.
        """
        if condition is None:
            return [("sample", outputs)]
        low, high = self.value_range
        flat = condition.float().flatten(1)
        lo = flat.min(1).values.view(-1, *[1] * (condition.ndim - 1))
        hi = flat.max(1).values.view(-1, *[1] * (condition.ndim - 1))
        unit = (condition.float() - lo) / (hi - lo).clamp_min(1e-12)
        return [("condition", low + (high - low) * unit), ("result", outputs)]

    def condition_options(self, transform: Any) -> dict[str, Any]:
        """Generate options that a condition's fitted normalisation gives this model.

        ``zoo generate`` fits the config's intensity transform on each condition file before
        it normalises it; a model whose network reads that fit (a per-scan HU table, say)
        returns it here as options for :meth:`generate`, so a whole scan runs through
        ``zoo generate`` exactly as through the architecture's own commands. Default: none.
        """
        return {}

    def output_intensity(self) -> Any:
        """How outputs map to physical units: a fixed ``zoo_core.data`` intensity transform
        (e.g. ``CTWindow(-1000, 1000)`` for synthetic CT), or None for "as the condition".

        None suits same-domain models (denoising, super-resolution): outputs are written in the
        units of their input. Translation models (MR -> CT) override it, so that ``zoo
        generate`` writes HU rather than the input's MR units.
        """
        return None

    def sample(
        self,
        n: int | None,
        condition: torch.Tensor | None,
        generator: torch.Generator | None,
        **options: Any,
    ) -> torch.Tensor:
        """Draw samples without gradient bookkeeping; called by :meth:`generate`.

        ``options`` are the architecture's own (see :meth:`generate`); a subclass that takes
        none may leave them out of its signature.
        """
        raise NotImplementedError

    # -- training (used by zoo_core.training.GANTrainer) -----------------------------------

    def prepare_batch(self, batch: Batch, generator: torch.Generator | None = None) -> Batch:
        """Make what the task derives from the data, on the model's device.

        Called by the trainer on every batch the data loader yields (``{"target": ...}`` plus
        ``"condition"``/``"label"`` where the data has them). Task models override it to make
        their condition on the fly: a noisy or downsampled copy of the target, say.
        """
        device = self.device
        return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}

    def fake_batch(self, batch: Batch, generator: torch.Generator | None = None) -> torch.Tensor:
        """Generator output for a training batch (gradients kept), shaped like its target.

        The default is :meth:`sample` on the batch: ``batch["condition"]`` for conditional
        models, ``len(batch["target"])`` samples otherwise, so that most models write the
        forward pass once. Override it when training feeds the generator something
        :meth:`sample` draws itself (InfoGAN's codes) or takes another path (one window
        where inference tiles a volume).
        """
        if self.conditional:
            return self.sample(n=None, condition=batch["condition"], generator=generator)
        return self.sample(n=batch["target"].shape[0], condition=None, generator=generator)

    def auxiliary_loss(self, batch: Batch, fake: torch.Tensor) -> torch.Tensor:
        """The architecture's own extra loss (auxiliary classifier, mutual information...).

        The trainer adds it to both the generator's and the discriminator's loss.
        """
        return fake.new_zeros(())

    def critic(self, images: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Discriminator scores for real or generated ``images`` of a batch."""
        return self.discriminator(images)

    def generator_parameters(self) -> list[nn.Parameter]:
        """What the generator's optimiser updates."""
        return list(self.generator.parameters())

    def discriminator_parameters(self) -> list[nn.Parameter]:
        """What the discriminator's optimiser updates."""
        return list(self.discriminator.parameters())

    def example_batch(self, batch_size: int = 2) -> Batch:
        """A random batch of the shapes training expects (for the conformance kit)."""
        raise NotImplementedError

    def discriminator_state_keys(self) -> set[str]:
        """State-dict keys only the discriminator uses, which generating never reads.

        Weights shipped inside a plugin (``zoo_core.shipped_weights.ship``) leave them out,
        which halves the package for most GANs, and loading accepts weights without them.
        The discriminator is ``self.discriminator`` plus ``discriminator_parameters()``;
        anything the generator also holds is kept, and a buffer (BatchNorm statistics) goes
        with the nearest enclosing module that has parameters. Override it if generating
        reads a network this rule counts as the discriminator's.
        """
        generator = {id(p) for p in self.generator_parameters()}
        critic = {id(p) for p in self.discriminator_parameters()}
        for name, extra in (("generator", generator), ("discriminator", critic)):
            module = getattr(self, name, None)
            if isinstance(module, nn.Module):
                extra.update(id(p) for p in module.parameters())
        critic -= generator
        if not critic:
            return set()
        params = dict(self.named_parameters(remove_duplicate=False))
        modules = dict(self.named_modules(remove_duplicate=False))
        keys = set()
        for key in self.state_dict():
            if key in params:
                if id(params[key]) in critic:
                    keys.add(key)
            elif _owner_is_critic(key, modules, critic):
                keys.add(key)
        return keys


def _owner_is_critic(key: str, modules: dict[str, nn.Module], critic: set[int]) -> bool:
    """Whether the nearest module above a buffer that has parameters is the critic's alone."""
    owner = key.rpartition(".")[0]
    while True:
        module = modules.get(owner)
        own = [id(p) for p in module.parameters()] if module is not None else []
        if own:
            return all(i in critic for i in own)
        if not owner:
            return False
        owner = owner.rpartition(".")[0]


def latent(
    n: int, dim: int, device: torch.device, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Standard-normal latent vectors, reproducible with a seeded generator."""
    return torch.randn(n, dim, device=device, generator=generator)
