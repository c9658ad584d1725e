"""The style-transfer cGAN as a zoo model: conditions are region maps, outputs CT slices.

Conditions (``generate(condition=...)``, batches' ``"condition"``) are maps ``(N, 1, H, W)``
of class indices 0..K-1; maps drawn with the paper's gray values (0, 50, ..., 230) are
accepted too, and ``(N, K, H, W)`` one-hot maps pass through. Training batches also carry the
style slice ``"style"`` with its map ``"style_label"``, which only the G loss uses.

Generation options (``generate(..., style=..., perturb=True)``, ``zoo generate --style
--perturb``): a style slice to which a copy of G is adapted before sampling (the paper's G
takes no style input, see :mod:`zoo_stylecgan.stylize`), and boundary perturbation of the map
per sample (:meth:`StyleCGAN.vary_condition`, so ``zoo generate`` shows the map used).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from zoo_core.plugin_api import Batch, DataError, GANModel, latent
from zoo_stylecgan.networks import MapCritic, MapToCT

#: Adapted generators kept per model (each a full copy of G): one per (map, style) pair.
ADAPT_CACHE_SIZE = 2


class StyleCGAN(GANModel):
    conditional = True
    condition_kind = "labels"
    value_range = (-1.0, 1.0)

    def __init__(self, cfg: Any) -> None:
        super().__init__()
        self.num_classes = int(cfg.num_classes)
        self.label_values = [float(v) for v in cfg.label_values]
        if len(self.label_values) != self.num_classes:
            raise DataError(
                f"model.label_values has {len(self.label_values)} gray values for "
                f"model.num_classes={self.num_classes}; give one per region."
            )
        self.resolution = int(cfg.resolution)
        self.latent_dim = int(cfg.latent_dim)
        self.generator = MapToCT(
            self.num_classes,
            self.resolution,
            self.latent_dim,
            int(cfg.noise_side),
            int(cfg.g_filters),
            int(cfg.g_max_filters),
            int(cfg.g_depth),
            float(cfg.negative_slope),
        )
        self.discriminator = MapCritic(
            self.num_classes,
            self.resolution,
            int(cfg.d_filters),
            int(cfg.d_max_filters),
            float(cfg.negative_slope),
        )
        # Plain dicts (not submodules): nothing here enters the state dict.
        self._adapted: dict[tuple, torch.nn.Module] = {}
        self._inputs: dict[tuple, Any] = {}

    def discriminator_state_keys(self) -> set[str]:
        """None: generating in a new style adapts G against the trained D
        (:func:`zoo_stylecgan.stylize.adapt_to_style`), so shipped weights keep D."""
        return set()

    # -- conditions ------------------------------------------------------------------------

    def class_map(self, condition: torch.Tensor) -> torch.Tensor:
        """A condition as int64 class indices ``(N, 1, H, W)`` (gray values decoded)."""
        cond = torch.as_tensor(condition)
        if cond.ndim != 4:
            raise DataError(
                f"a condition is a batch of maps (N, 1, H, W), got shape {tuple(cond.shape)}."
            )
        if cond.shape[1] == self.num_classes and self.num_classes > 1:
            return cond.argmax(dim=1, keepdim=True)
        if cond.shape[1] != 1:
            raise DataError(
                f"a condition has 1 channel (class indices or gray values) or "
                f"{self.num_classes} (one-hot), not {cond.shape[1]}."
            )
        rounded = cond.round()
        if not torch.equal(cond, rounded):
            raise DataError(
                "the condition is not a region map (it has non-integer values, e.g. a CT window "
                "was applied to it): pass class indices 0.."
                f"{self.num_classes - 1} or the gray values {self._grays()}; "
                "`zoo generate` reads map images as label maps."
            )
        values = rounded.long()
        if int(values.min()) >= 0 and int(values.max()) < self.num_classes:
            return values
        table = torch.tensor(self.label_values, device=cond.device)
        hits = values.unsqueeze(-1) == table.round().long()
        if not bool(hits.any(-1).all()):
            bad = torch.unique(values[~hits.any(-1)])[:6].tolist()
            raise DataError(
                f"map values {bad} are neither class indices 0..{self.num_classes - 1} nor the "
                f"gray values {self._grays()}."
            )
        return hits.float().argmax(-1)

    def _grays(self) -> str:
        return ", ".join(f"{v:g}" for v in self.label_values)

    def onehot(self, condition: torch.Tensor) -> torch.Tensor:
        index = self.class_map(condition).to(self.device)
        return F.one_hot(index[:, 0], self.num_classes).permute(0, 3, 1, 2).float()

    # -- generation -------------------------------------------------------------------------

    def output_intensity(self) -> Any:
        """HU: [-1, 1] is the window ``data.hu_window``, so NIfTI/DICOM are written in HU."""
        from zoo_core.plugin_api import CTWindow

        data = getattr(self.config, "data", None)
        return None if data is None else CTWindow(*(float(v) for v in data.hu_window))

    def vary_condition(
        self,
        condition: torch.Tensor,
        generator: torch.Generator | None,
        *,
        perturb: bool = False,
        perturb_magnitude: float | None = None,
        **options: Any,
    ) -> torch.Tensor:
        """With ``perturb``, each map's boundaries deformed by its own seed drawn from
        ``generator`` (contribution 3); class indices either way."""
        from zoo_stylecgan.perturb import perturb_map

        maps = self.class_map(condition)
        if not perturb:
            return maps
        device = generator.device if generator is not None else maps.device
        seeds = torch.randint(0, 2**31 - 1, (maps.shape[0],), generator=generator, device=device)
        return torch.cat([
            perturb_map(maps[i : i + 1], int(seeds[i]), magnitude=perturb_magnitude)
            for i in range(maps.shape[0])
        ])  # fmt: skip

    def sample(
        self,
        n,
        condition,
        generator,
        *,
        style: str | Path | torch.Tensor | None = None,
        style_map: str | Path | torch.Tensor | None = None,
        content: str | Path | torch.Tensor | None = None,
        perturb: bool = False,
        perturb_magnitude: float | None = None,
        adapt_steps: int = 20,
        adapt_lr: float | None = None,
        vgg_weights: str | Path | None = None,
        allow_random_vgg: bool = False,
    ):
        """CT slices for the maps; with ``style`` (a file or a ``(1, 1, R, R)`` slice in
        [-1, 1]) each map's G is first adapted to it (``adapt_steps`` steps, cached)."""
        z = latent(condition.shape[0], self.latent_dim, self.device, generator)
        onehot = self.onehot(condition)
        if style is None or adapt_steps <= 0:
            return self.generator(onehot, z)
        adapt = {
            "style": style,
            "style_map": style_map,
            "content": content,
            "steps": int(adapt_steps),
            "lr": adapt_lr,
            "vgg_weights": vgg_weights,
            "allow_random": bool(allow_random_vgg),
        }
        return torch.cat([
            self.adapted_generator(condition[i : i + 1], **adapt)(onehot[i : i + 1], z[i : i + 1])
            for i in range(condition.shape[0])
        ])  # fmt: skip

    def adapted_generator(
        self,
        condition: torch.Tensor,
        *,
        style: Any,
        style_map: Any = None,
        content: Any = None,
        steps: int = 20,
        lr: float | None = None,
        vgg_weights: Any = None,
        allow_random: bool = False,
    ) -> torch.nn.Module:
        """A copy of G adapted to one style for one map (:func:`~zoo_stylecgan.stylize.
        adapt_to_style`, seed 0), kept for the next sample of the same map and style: the
        adaptation depends only on its inputs and G's weights, never on the sample's seed."""
        from zoo_stylecgan.stylize import adapt_to_style

        if self.config is None or "train" not in self.config:
            raise DataError(
                "adapting to a style image needs the run config (train.*): load the model with "
                "zoo.load, not a bare builder."
            )
        maps = self.class_map(condition)
        pair = self.style_slice(style, style_map)
        reference = None if content is None else self._slice_input(content, None)[0]
        weights = sum(float(p.detach().double().sum()) for p in self.generator.parameters())
        key = (self._key(maps), self._key(pair[0]), self._key(pair[1]),
               None if reference is None else self._key(reference), steps, lr,
               str(vgg_weights), allow_random, weights)  # fmt: skip
        if key not in self._adapted:
            losses = self._losses(vgg_weights, allow_random)
            with torch.enable_grad():
                adapted = adapt_to_style(self, maps, pair[0], pair[1], losses, steps=steps,
                                         lr=lr, content=reference, seed=0)  # fmt: skip
            while len(self._adapted) >= ADAPT_CACHE_SIZE:
                self._adapted.pop(next(iter(self._adapted)))
            self._adapted[key] = adapted
        return self._adapted[key]

    def style_slice(self, style: Any, style_map: Any = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The style slice in [-1, 1] and its class map, ``(1, 1, R, R)`` each."""
        return self._slice_input(style, style_map)

    def _slice_input(self, image: Any, labels: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """A CT slice (file, read once per file version, or tensor in [-1, 1]) and its map."""
        from zoo_stylecgan.regions import region_map
        from zoo_stylecgan.stylize import read_style, window_of

        if isinstance(image, str | Path):
            path = Path(image)
            key = (str(path), path.stat().st_mtime_ns, str(labels))
            if key not in self._inputs:
                self._inputs[key] = read_style(path, self, labels)
            pair = self._inputs[key]
        else:
            ct = torch.as_tensor(image, dtype=torch.float32).reshape(1, 1, *image.shape[-2:])
            if labels is None:
                hu = window_of(self).inverse(ct[0].cpu().numpy())
                index = torch.from_numpy(region_map(hu, self.config.data.region_scheme))[None]
            else:
                index = self.class_map(torch.as_tensor(labels).reshape(ct.shape))
            pair = (ct, index.long())
        return pair[0].to(self.device), pair[1].to(self.device)

    def _losses(self, vgg_weights: Any, allow_random: bool) -> Any:
        from zoo_stylecgan.losses import SegmentLosses

        key = ("losses", str(vgg_weights), allow_random)
        if key not in self._inputs:
            train = self.config.train.copy()
            if vgg_weights:
                train.vgg_weights = str(vgg_weights)
            if allow_random:
                train.vgg_allow_random = True
            self._inputs[key] = SegmentLosses.from_config(train, self.num_classes)
        return self._inputs[key].to(self.device)

    @staticmethod
    def _key(tensor: torch.Tensor) -> tuple:
        array = tensor.detach().cpu().contiguous()
        return (tuple(array.shape), str(array.dtype), hash(array.numpy().tobytes()))

    def montage_panels(
        self, condition: torch.Tensor | None, outputs: torch.Tensor, options: dict[str, Any]
    ) -> list[tuple[str, torch.Tensor]]:
        """map (drawn in its gray values) | style slice (with --style) | result."""
        if condition is None or condition.ndim != 4:
            return super().montage_panels(condition, outputs, options)
        gray = torch.tensor(self.label_values)[self.class_map(condition).cpu()] / 127.5 - 1.0
        panels = [("map (perturbed)" if options.get("perturb") else "map", gray)]
        if options.get("style") is not None:
            style = self.style_slice(options["style"], options.get("style_map"))[0].cpu()
            panels.append(("style", style.expand(len(outputs), *style.shape[1:])))
        return [*panels, ("result", outputs)]

    # -- training -----------------------------------------------------------------------------

    def prepare_batch(self, batch: Batch, generator: torch.Generator | None = None) -> Batch:
        batch = super().prepare_batch(batch, generator)
        if "condition" not in batch and "label" in batch:
            batch["condition"] = batch["label"]
        if "condition" in batch:
            batch["condition"] = self.class_map(batch["condition"])
        return batch

    def critic(self, images: torch.Tensor, batch: Batch) -> torch.Tensor:
        return self.discriminator(images, self.onehot(batch["condition"]))

    def example_batch(self, batch_size: int = 2) -> Batch:
        """Blocky random maps (every class present) with random slices and style slices."""
        size = self.resolution

        def maps() -> torch.Tensor:
            side = max(4, int(self.num_classes**0.5) + 1)
            coarse = torch.randint(self.num_classes, (batch_size, 1, side, side))
            coarse.view(batch_size, -1)[:, : self.num_classes] = torch.arange(self.num_classes)
            return F.interpolate(coarse.float(), size=(size, size), mode="nearest").long()

        def slices() -> torch.Tensor:
            return torch.rand(batch_size, 1, size, size) * 2 - 1

        return {
            "target": slices(),
            "condition": maps(),
            "style": slices(),
            "style_label": maps(),
        }
