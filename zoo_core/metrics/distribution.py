"""FID and KID: distances between the feature distributions of real and generated sets.

The Fréchet distance needs tr sqrt(S1 S2) for two 2048x2048 covariances. Evaluation sets in
medical imaging are often smaller than 2048, where the covariances are singular and
``scipy.linalg.sqrtm`` (MONAI's route) returns complex noise. Here, for n <= D, the trace is
computed exactly as the nuclear norm of X1 X2^T / sqrt((n1-1)(n2-1)) (the non-zero
eigenvalues of S1 S2 are the squared singular values of that n1 x n2 matrix); for larger sets
through symmetric eigendecompositions. Both are float64 and give 0 for a set with itself.
"""

from __future__ import annotations

import math

import torch

from zoo_core.errors import ZooError


def _features(x: torch.Tensor, name: str) -> torch.Tensor:
    x = torch.as_tensor(x).double()
    if x.ndim != 2 or len(x) < 2:
        raise ZooError(f"{name} features must be (N >= 2, D), got {tuple(x.shape)}.")
    return x


def frechet_distance(real: torch.Tensor, fake: torch.Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N, D)."""
    a, b = _features(real, "real"), _features(fake, "fake")
    if a.shape[1] != b.shape[1]:
        raise ZooError(f"feature sizes differ: {a.shape[1]} vs {b.shape[1]}.")
    mu_a, mu_b = a.mean(0), b.mean(0)
    xa, xb = a - mu_a, b - mu_b
    na, nb, dim = len(a), len(b), a.shape[1]
    trace_a = (xa * xa).sum() / (na - 1)
    trace_b = (xb * xb).sum() / (nb - 1)
    if min(na, nb) <= dim:
        cross = xa @ xb.T / math.sqrt((na - 1) * (nb - 1))
        trace_sqrt = torch.linalg.svdvals(cross).sum()
    else:
        cov_a = xa.T @ xa / (na - 1)
        cov_b = xb.T @ xb / (nb - 1)
        vals, vecs = torch.linalg.eigh(cov_a)
        root_a = (vecs * vals.clamp(min=0).sqrt()) @ vecs.T
        trace_sqrt = torch.linalg.eigvalsh(root_a @ cov_b @ root_a).clamp(min=0).sqrt().sum()
    fid = ((mu_a - mu_b) ** 2).sum() + trace_a + trace_b - 2 * trace_sqrt
    return max(float(fid), 0.0)


def kernel_inception_distance(
    real: torch.Tensor,
    fake: torch.Tensor,
    subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """KID (Bińkowski et al. 2018): unbiased MMD^2 with the kernel (x.y / d + 1)^3.

    Averaged over ``subsets`` random subsets of ``min(subset_size, n_real, n_fake)`` items;
    returns (mean, std). Unbiased, so it can dip slightly below 0 for equal distributions.
    """
    a, b = _features(real, "real"), _features(fake, "fake")
    m = min(subset_size, len(a), len(b))
    dim = a.shape[1]
    rng = torch.Generator().manual_seed(seed)
    values = []
    for _ in range(subsets):
        x = a[torch.randperm(len(a), generator=rng)[:m]]
        y = b[torch.randperm(len(b), generator=rng)[:m]]
        kxx = (x @ x.T / dim + 1) ** 3
        kyy = (y @ y.T / dim + 1) ** 3
        kxy = (x @ y.T / dim + 1) ** 3
        off = m * (m - 1)
        mmd = (kxx.sum() - kxx.trace()) / off + (kyy.sum() - kyy.trace()) / off - 2 * kxy.mean()
        values.append(float(mmd))
    t = torch.tensor(values, dtype=torch.float64)
    return float(t.mean()), float(t.std()) if len(t) > 1 else 0.0


def fid(
    real: torch.Tensor,
    fake: torch.Tensor,
    extractor: str = "inception-fid",
    *,
    batch_size: int = 32,
    device: str = "cpu",
) -> float:
    """FID between two image sets (N, C, H, W) in [0, 1]."""
    from zoo_core.metrics.features import extract_features

    kw = {"batch_size": batch_size, "device": device}
    return frechet_distance(
        extract_features(real, extractor, **kw), extract_features(fake, extractor, **kw)
    )


def kid(
    real: torch.Tensor,
    fake: torch.Tensor,
    extractor: str = "inception-fid",
    *,
    batch_size: int = 32,
    device: str = "cpu",
    subsets: int = 100,
    subset_size: int = 1000,
) -> tuple[float, float]:
    """KID (mean, std) between two image sets (N, C, H, W) in [0, 1]."""
    from zoo_core.metrics.features import extract_features

    kw = {"batch_size": batch_size, "device": device}
    return kernel_inception_distance(
        extract_features(real, extractor, **kw),
        extract_features(fake, extractor, **kw),
        subsets=subsets,
        subset_size=subset_size,
    )
