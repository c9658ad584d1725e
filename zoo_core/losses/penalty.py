"""The WGAN-GP gradient penalty (Gulrajani et al. 2017)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch


class GradientPenalty:
    """``E[(||grad_x D(x_hat)||_2 - center)^2]`` on random interpolates of real and fake.

    ``x_hat = eps * real + (1 - eps) * fake`` with one ``eps ~ U(0, 1)`` per sample, so it works
    for 2D (N,C,H,W) and 3D (N,C,D,H,W) batches alike. ``critic`` is called as
    ``critic(x_hat)``, or ``critic(x_hat, batch)`` when a ``batch`` is given, for conditional
    critics that score an image together with its condition. The penalty is computed in
    float32 with autocast off, so no gradient scaler is needed for it.
    """

    def __init__(self, center: float = 1.0):
        self.center = float(center)

    def __call__(
        self,
        critic: Callable[..., torch.Tensor],
        real: torch.Tensor,
        fake: torch.Tensor,
        batch: Any = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        if real.shape != fake.shape:
            raise ValueError(f"real {tuple(real.shape)} and fake {tuple(fake.shape)} differ")
        real, fake = real.detach().float(), fake.detach().float()
        eps_shape = (real.shape[0],) + (1,) * (real.ndim - 1)
        eps = torch.rand(eps_shape, device=real.device, generator=generator)
        x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
        device_type = real.device.type if real.device.type in ("cuda", "cpu") else "cpu"
        with torch.autocast(device_type=device_type, enabled=False):
            scores = critic(x_hat) if batch is None else critic(x_hat, batch)
            (grads,) = torch.autograd.grad(
                scores.float().sum(), x_hat, create_graph=True, retain_graph=True
            )
        norms = grads.flatten(1).norm(2, dim=1)
        return ((norms - self.center) ** 2).mean()


def gradient_penalty(center: float = 1.0) -> GradientPenalty:
    return GradientPenalty(center)
