"""CycleGAN networks and objective (imported only when a model is built).

``generator`` holds both generators (``ab``: A->B, ``ba``: B->A) and ``discriminator`` both
PatchGANs (``b`` judges domain B, ``a`` domain A), so the trainer's optimisers, EMA and
checkpoints cover all four networks through the two attributes every GANModel has.

Batches: ``{"target": real B, "condition": real A}`` (unpaired: drawn independently; the
zoo's unpaired data gives A as ``"source"``, which :meth:`CycleGAN.prepare_batch` renames).
:meth:`fake_batch` is G_AB(A) and :meth:`critic` is D_B, the pair the core trainer knows;
:meth:`auxiliary_loss` is everything else of Zhu et al.'s objective, with gradients routed
so that each network only receives its own player's gradient whichever loss it is added to.
:class:`zoo_cyclegan.trainer.CycleGANTrainer` computes the same terms with the image pool.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call

from zoo_core.plugin_api import (
    ConfigError,
    GANModel,
    PatchGANDiscriminator,
    ResnetGenerator,
    ZooError,
)


class GeneratorPair(nn.Module):
    """A->B (``ab``) and B->A (``ba``); calling it translates A->B."""

    def __init__(self, cfg) -> None:
        super().__init__()
        args = {"base_filters": cfg.g_filters, "n_blocks": cfg.n_blocks, "norm": cfg.norm}
        self.ab = ResnetGenerator(cfg.channels_a, cfg.channels_b, **args)
        self.ba = ResnetGenerator(cfg.channels_b, cfg.channels_a, **args)

    def forward(self, a: torch.Tensor) -> torch.Tensor:
        return self.ab(a)


class DiscriminatorPair(nn.Module):
    """PatchGANs for domain B (``b``) and domain A (``a``); calling it scores B images."""

    def __init__(self, cfg) -> None:
        super().__init__()
        args = {"base_filters": cfg.d_filters, "n_layers": cfg.d_layers, "norm": cfg.norm}
        self.b = PatchGANDiscriminator(cfg.channels_b, **args)
        self.a = PatchGANDiscriminator(cfg.channels_a, **args)

    def forward(self, b: torch.Tensor) -> torch.Tensor:
        return self.b(b)


def frozen_call(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``module(x)`` with its parameters treated as constants: gradients reach ``x`` only."""
    params = {name: p.detach() for name, p in module.named_parameters()}
    return functional_call(module, params, (x,))


class CycleGAN(GANModel):
    """Unpaired translation; ``generate(condition=A slices)`` gives B (``direction: a2b``)."""

    conditional = True

    def __init__(self, cfg) -> None:
        super().__init__()
        if cfg.direction not in ("a2b", "b2a"):
            raise ConfigError(f"model.direction must be 'a2b' or 'b2a', not {cfg.direction!r}")
        if cfg.norm not in ("instance", "batch"):
            raise ConfigError(f"model.norm must be 'instance' or 'batch', not {cfg.norm!r}")
        self.direction = cfg.direction
        self.resolution = cfg.resolution
        self.channels = (cfg.channels_a, cfg.channels_b)
        self.generator = GeneratorPair(cfg)
        self.discriminator = DiscriminatorPair(cfg)
        # zoo.generate pads slices (of volumes too) to this and crops back
        self.size_multiple = self.generator.ab.multiple
        # Weights of the objective; set from the train config by the trainer (defaults: paper).
        self.cycle_weight, self.identity_weight, self.gc_weight = 10.0, 0.5, 0.0

    # -- inference ------------------------------------------------------------------------

    def translate(self, x: torch.Tensor, direction: str | None = None) -> torch.Tensor:
        """Translate a batch of 2D slices of any size (padded to a multiple of 4, cropped back)."""
        direction = direction or self.direction
        net = self.generator.ab if direction == "a2b" else self.generator.ba
        if x.ndim != 4:
            raise ZooError(
                f"CycleGAN translates 2D slices (N, C, H, W), got shape {tuple(x.shape)}; use "
                "zoo.generate(model, condition=volumes) for (N, C, X, Y, Z) volumes."
            )
        expected = self.channels[0] if direction == "a2b" else self.channels[1]
        if x.shape[1] != expected:
            raise ZooError(f"{direction} expects {expected} channel(s), got {x.shape[1]}")
        h, w = x.shape[2:]
        ph, pw = (-h) % self.size_multiple, (-w) % self.size_multiple
        if ph or pw:  # pad with the background value, -1
            x = nn.functional.pad(x, (0, pw, 0, ph), value=-1.0)
        return net(x)[:, :, :h, :w]

    def sample(self, n, condition, generator):
        return self.translate(condition)

    def output_intensity(self):
        """HU for CT outputs (``data.intensity_b: ct`` for a2b, ``data.intensity: ct`` for
        b2a) through ``data.hu_window``; MR outputs have no fixed physical scale, so they are
        written as the model's values; None (as the condition) without a config."""
        from zoo_core.plugin_api import CTWindow, IntensityTransform

        data = getattr(self.config, "data", None)
        if data is None:
            return None
        kind = data.intensity_b if self.direction == "a2b" else data.intensity
        if kind == "ct" and not data.histogram_equalize:
            return CTWindow(*(float(v) for v in data.hu_window))
        return IntensityTransform()

    # -- training -------------------------------------------------------------------------

    def prepare_batch(self, batch, generator=None):
        batch = super().prepare_batch(batch, generator)
        if "condition" not in batch and "source" in batch:
            batch["condition"] = batch.pop("source")
        if "condition" not in batch:
            raise ZooError(
                "CycleGAN batches need domain A images as 'condition' (or 'source') next to "
                "domain B images as 'target'."
            )
        return batch

    def fake_batch(self, batch, generator=None):
        return self.generator.ab(batch["condition"])

    def critic(self, images, batch):
        return self.discriminator.b(images)

    def cycle_terms(self, batch: dict, fake_b: torch.Tensor) -> dict[str, torch.Tensor]:
        """Generator-side terms except the B adversarial one, unweighted, as a dict."""
        from zoo_core.plugin_api import get_registry

        reg = get_registry()
        real_a, real_b = batch["condition"], batch["target"]
        fake_a = self.generator.ba(real_b)
        rec_a, rec_b = self.generator.ba(fake_b), self.generator.ab(fake_a)
        terms = {
            "fake_a": fake_a,
            "cycle": reg.loss("cycle")()([rec_a, rec_b], [real_a, real_b]),
        }
        if self.identity_weight > 0:
            l1 = reg.loss("l1")()
            same = self.channels[0] == self.channels[1]
            if not same:
                raise ConfigError("the identity loss needs as many channels in A as in B")
            terms["identity"] = l1(self.generator.ab(real_b), real_b) + l1(
                self.generator.ba(real_a), real_a
            )
        if self.gc_weight > 0:
            gc = reg.loss("gradient_consistency")()
            terms["gc"] = 0.5 * (gc(fake_b, real_a) + gc(fake_a, real_b))
        return terms

    def auxiliary_loss(self, batch, fake):
        """Domain A's adversarial pair + lambda * (cycle + identity [+ gc]), gradients routed.

        D_A's loss uses a detached fake (only D_A learns from it); G_BA's adversarial loss
        runs D_A with detached weights (only G_BA learns from it); the cycle, identity and
        gradient-consistency terms involve generators only. Added to either player's loss,
        each network gets exactly its own gradient.
        """
        from zoo_core.plugin_api import get_registry

        lsgan = get_registry().loss("lsgan")()
        terms = self.cycle_terms(batch, fake)
        fake_a = terms.pop("fake_a")
        disc_a = self.discriminator.a
        d_a = lsgan.d_loss(disc_a(batch["condition"]), disc_a(fake_a.detach()))
        g_ba = 2 * lsgan.g_loss(frozen_call(self.discriminator.a, fake_a))
        weighted = self.cycle_weight * terms["cycle"]
        weighted = weighted + self.cycle_weight * self.identity_weight * terms.get("identity", 0)
        weighted = weighted + self.gc_weight * terms.get("gc", 0)
        return d_a + g_ba + weighted

    def example_batch(self, batch_size=2):
        size = (self.resolution, self.resolution)
        return {
            "condition": torch.rand(batch_size, self.channels[0], *size) * 2 - 1,
            "target": torch.rand(batch_size, self.channels[1], *size) * 2 - 1,
        }
