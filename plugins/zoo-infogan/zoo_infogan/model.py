"""InfoGAN networks and the mutual-information term (imported only when a model is built).

G(z, c) takes noise with the codes c = (one-hot categorical, continuous U(-1, 1)); Q shares
D's convolutional trunk and predicts the categorical code's logits and a factored Gaussian
(mean, log-std) for each continuous code. The variational lower bound of I(c; G(z, c)) is
``H(c) - E[-log Q(c | G(z, c))]``; minimising the negative log-likelihood term
(:meth:`InfoGAN.auxiliary_loss`) in both players' losses maximises it (Chen et al., eq. 6).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from zoo_core.plugin_api import GANModel, ZooError, init_normal, latent


def gaussian_nll(x: torch.Tensor, mean: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    """``-log N(x; mean, exp(log_std)^2)`` summed over code dimensions, averaged over the batch."""
    nll = 0.5 * math.log(2 * math.pi) + log_std + 0.5 * ((x - mean) / log_std.exp()) ** 2
    return nll.sum(1).mean()


def _side(cfg) -> int:
    if cfg.resolution % 4:
        raise ZooError(f"model.resolution must be a multiple of 4 (G upsamples twice by 2), "
                       f"not {cfg.resolution}.")  # fmt: skip
    return cfg.resolution // 4


class Generator(nn.Module):
    """Chen et al.'s MNIST generator (their Table 1): FC 1024 - FC (R/4)^2 x 128 - up-conv 64
    - up-conv C, ReLU and batch norm between; tanh output for [-1, 1] images (the paper's
    sigmoid gave [0, 1])."""

    def __init__(self, cfg) -> None:
        super().__init__()
        side, wide = _side(cfg), 2 * cfg.g_filters
        width = cfg.noise_dim + cfg.categories + cfg.continuous
        self.unflat = (wide, side, side)
        self.fc = nn.Sequential(
            nn.Linear(width, cfg.fc_hidden, bias=False),
            nn.BatchNorm1d(cfg.fc_hidden),
            nn.ReLU(inplace=True),
            nn.Linear(cfg.fc_hidden, wide * side * side, bias=False),
            nn.BatchNorm1d(wide * side * side),
            nn.ReLU(inplace=True),
        )
        self.up = nn.Sequential(
            nn.ConvTranspose2d(wide, cfg.g_filters, 4, 2, 1, bias=False),
            nn.BatchNorm2d(cfg.g_filters),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(cfg.g_filters, cfg.channels, 4, 2, 1),
            nn.Tanh(),
        )
        self.apply(init_normal)

    def forward(self, codes: torch.Tensor) -> torch.Tensor:
        return self.up(self.fc(codes).view(codes.shape[0], *self.unflat))


class Discriminator(nn.Module):
    """Chen et al.'s MNIST D (their Table 1): conv 64 - conv 128 - FC 1024, LeakyReLU 0.2 and
    batch norm after the first layer, then two heads on the 1024 features: the real/fake logit
    and Q (FC 128 - FC codes)."""

    def __init__(self, cfg) -> None:
        super().__init__()
        self.categories, self.continuous = cfg.categories, cfg.continuous
        side, wide = _side(cfg), 2 * cfg.d_filters
        self.trunk = nn.Sequential(
            nn.Conv2d(cfg.channels, cfg.d_filters, 4, 2, 1),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(cfg.d_filters, wide, 4, 2, 1, bias=False),
            nn.BatchNorm2d(wide),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Flatten(),
            nn.Linear(wide * side * side, cfg.fc_hidden, bias=False),
            nn.BatchNorm1d(cfg.fc_hidden),
            nn.LeakyReLU(0.2, inplace=True),
        )
        self.source = nn.Linear(cfg.fc_hidden, 1)
        self.q = nn.Sequential(
            nn.Linear(cfg.fc_hidden, cfg.q_hidden, bias=False),
            nn.BatchNorm1d(cfg.q_hidden),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Linear(cfg.q_hidden, cfg.categories + 2 * cfg.continuous),
        )
        self.apply(init_normal)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.source(self.trunk(x))

    def codes(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Q(c | x): categorical logits, continuous means and log-stds."""
        out = self.q(self.trunk(x))
        k, n = self.categories, self.continuous
        return out[:, :k], out[:, k : k + n], out[:, k + n :].clamp(-5.0, 5.0)


class InfoGAN(GANModel):
    """``generate(n)`` draws codes at random; :meth:`generate_codes` fixes them."""

    def __init__(self, cfg) -> None:
        super().__init__()
        self.noise_dim, self.categories, self.continuous = (
            cfg.noise_dim,
            cfg.categories,
            cfg.continuous,
        )
        self.lambdas = (cfg.lambda_categorical, cfg.lambda_continuous)
        self.shape = (cfg.channels, cfg.resolution, cfg.resolution)
        self.generator = Generator(cfg)
        self.discriminator = Discriminator(cfg)

    def sample_codes(self, n: int, generator: torch.Generator | None = None) -> dict:
        device = self.device
        return {
            "code_cat": torch.randint(self.categories, (n,), device=device, generator=generator),
            "code_cont": torch.rand(n, self.continuous, device=device, generator=generator) * 2 - 1,
        }

    def _generate(self, cat: torch.Tensor, cont: torch.Tensor, generator) -> torch.Tensor:
        z = latent(cat.shape[0], self.noise_dim, self.device, generator)
        onehot = F.one_hot(cat.long(), self.categories).to(z.dtype)
        return self.generator(torch.cat([z, onehot, cont.to(z.dtype)], 1))

    def generate_codes(self, cat: torch.Tensor, cont: torch.Tensor, seed: int | None = None):
        """Images for given codes (e.g. a traversal of one continuous code), no gradients."""
        rng = torch.Generator(device=self.device).manual_seed(seed) if seed is not None else None
        with torch.no_grad():
            was = self.training
            self.eval()
            out = self._generate(cat.to(self.device), cont.to(self.device), rng)
            self.train(was)
        return out.clamp(*self.value_range)

    def sample(self, n, condition, generator):
        codes = self.sample_codes(n, generator)
        return self._generate(codes["code_cat"], codes["code_cont"], generator)

    def prepare_batch(self, batch, generator=None):
        batch = super().prepare_batch(batch, generator)
        batch.update(self.sample_codes(batch["target"].shape[0], generator))
        return batch

    def fake_batch(self, batch, generator=None):
        return self._generate(batch["code_cat"], batch["code_cont"], generator)

    def auxiliary_loss(self, batch, fake):
        """``lambda_cat * CE(Q_cat(fake), c_cat) + lambda_cont * NLL(c_cont | Q_cont(fake))``."""
        logits, mean, log_std = self.discriminator.codes(fake)
        loss = self.lambdas[0] * F.cross_entropy(logits.float(), batch["code_cat"])
        if self.continuous:
            loss = loss + self.lambdas[1] * gaussian_nll(batch["code_cont"], mean, log_std)
        return loss

    def example_batch(self, batch_size=2):
        return {"target": torch.rand(batch_size, *self.shape) * 2 - 1}
